"""Counts for the statistical reports: one grouped query per request, on asyncpg.

Everything is read as it stood on one day: the units are those placed in the tree that day (their placement's path
gives the subtree, a "C"-collation range), the members those whose period covers the day, counted in the period's
home organisation (never the host of a temporary transfer). The rows are grouped by raw values (a status, an age
in years, …); turning them into the bands and rows of a report is the domain's business."""

import uuid
from collections.abc import Sequence
from datetime import date

import asyncpg

from app.db.paths import subtree_bounds
from app.db.scope import Scope, scope_sql
from app.db.sql import Params, Querier

# What a member row may be grouped by, as SQL over `st` (the period of the day) and `m` (the record); `{day}` is
# the day's parameter. Ages are completed years (PostgreSQL's age() counts a 29 February birthday on 1 March).
MEMBER_VALUES: dict[str, str] = {
    "status": "st.status",
    "gender": "m.gender",
    "age": "date_part('year', age({day}, m.birth_date))::int",
    "party_age": ("CASE WHEN m.admission_decision_date <= {day} "
                  "THEN date_part('year', age({day}, m.admission_decision_date))::int END"),
    "ethnicity": "m.ethnicity",
    "political_theory_level": "m.political_theory_level",
}

ORGANIZATION_VALUES: dict[str, str] = {"kind": "o.kind", "category": "o.category"}

# The statuses of the people on a unit's rolls: candidates (not yet members) and members.
ON_ROLLS = ("candidate", "probationary", "official")


def _valid_on(alias: str, day: str) -> str:
    return f"({alias}.valid_from <= {day} AND ({alias}.valid_to IS NULL OR {alias}.valid_to > {day}))"


async def placed_unit(conn: Querier, *, scope: Scope, as_of: date, org_id: uuid.UUID | None = None,
                      code: str | None = None) -> tuple[uuid.UUID, str] | None:
    """(id, path) of the unit (by id or by code) as it stood in the tree on `as_of`, if the scope covers it."""
    params = Params()
    cte, in_scope = scope_sql(params, scope, as_of)
    key = f"o.id = {params(org_id)}" if org_id is not None else f"o.code = {params(code)}"
    row = await conn.fetchrow(
        f"{'WITH ' + cte if cte else ''} SELECT o.id, p.path FROM organization_placements p "
        f"JOIN organizations o ON o.id = p.organization_id "
        f"WHERE {key} AND {_valid_on('p', params(as_of))} AND {in_scope}", *params.values)
    return (row["id"], row["path"]) if row is not None else None


def _units_of_the_day(params: Params, day: str, *, scope: Scope, as_of: date,
                      within_path: str | None) -> tuple[str, str]:
    """(CTE for the WITH clause or "", condition on `op`): the placements of the day inside the subtree, or inside
    the scope when no subtree is given."""
    where = [_valid_on("op", day)]
    if within_path is not None:
        # The caller's scope covers the unit, hence its whole subtree: the range alone is enough.
        low, high = subtree_bounds(within_path)
        where.append(f"op.path >= {params(low)} AND op.path < {params(high)}")
        return "", " AND ".join(where)
    cte, in_scope = scope_sql(params, scope, as_of, path="op.path")
    return cte, " AND ".join([*where, in_scope])


async def count_members(conn: Querier, *, scope: Scope, as_of: date, within_path: str | None,
                        values: Sequence[str]) -> list[asyncpg.Record]:
    """Rows (v0, v1…, members, candidates, exempt) of the people on the rolls on `as_of`, grouped by `values`
    (names of MEMBER_VALUES): `members` counts probationary and official members, `candidates` the candidates,
    `exempt` the members exempt from activity that day. Without `within_path`, the whole scope."""
    params = Params()
    day = params(as_of)
    cte, placed = _units_of_the_day(params, day, scope=scope, as_of=as_of, within_path=within_path)
    columns = [MEMBER_VALUES[v].format(day=day) for v in values]
    record = " JOIN members m ON m.id = st.member_id" if any("m." in c for c in columns) else ""
    selected = "".join(f"{c} AS v{i}, " for i, c in enumerate(columns))
    grouped = f"GROUP BY {', '.join(str(i + 1) for i in range(len(columns)))}" if columns else ""
    units = f"units AS MATERIALIZED (SELECT op.organization_id FROM organization_placements op WHERE {placed})"
    sql = (f"WITH {cte + ', ' if cte else ''}{units} "
           f"SELECT {selected}count(*) FILTER (WHERE st.status <> 'candidate') AS members, "
           f"count(*) FILTER (WHERE st.status = 'candidate') AS candidates, "
           f"count(*) FILTER (WHERE st.status <> 'candidate' AND st.exempt) AS exempt "
           f"FROM units u JOIN member_periods st ON st.organization_id = u.organization_id AND {_valid_on('st', day)}"
           f"{record} WHERE st.status = ANY({params(list(ON_ROLLS))}::text[]) {grouped}")
    rows: list[asyncpg.Record] = await conn.fetch(sql, *params.values)
    return rows


async def count_organizations(conn: Querier, *, scope: Scope, as_of: date, within_path: str | None,
                              values: Sequence[str]) -> list[asyncpg.Record]:
    """Rows (v0, v1…, units) of the units in the tree on `as_of` (the one at `within_path` included), grouped by
    `values` (names of ORGANIZATION_VALUES)."""
    params = Params()
    day = params(as_of)
    cte, placed = _units_of_the_day(params, day, scope=scope, as_of=as_of, within_path=within_path)
    columns = [ORGANIZATION_VALUES[v] for v in values]
    selected = "".join(f"{c} AS v{i}, " for i, c in enumerate(columns))
    grouped = f"GROUP BY {', '.join(str(i + 1) for i in range(len(columns)))}" if columns else ""
    sql = (f"{'WITH ' + cte if cte else ''} SELECT {selected}count(*) AS units "
           f"FROM organization_placements op JOIN organizations o ON o.id = op.organization_id "
           f"WHERE {placed} AND {_valid_on('o', day)} {grouped}")
    rows: list[asyncpg.Record] = await conn.fetch(sql, *params.values)
    return rows
