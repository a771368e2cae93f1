"""Counts for the statistical reports: one grouped query per request.

Everything is read as it stood on one day: the units are those placed in the tree that day (their placement's path
gives the subtree, a "C"-collation range), the members those whose period covers the day, counted in the period's
home organisation (never the host of a temporary transfer). The rows are grouped by raw values (a status, an age
in years, …); turning them into the bands and rows of a report is the domain's business."""

import uuid
from collections.abc import Callable, Sequence
from datetime import date

from app.db.organizations.paths import subtree_bounds
from app.db.positions.queries import valid_on
from app.db.scope import Scope, path_in_scope, scope_ranges, with_ctes
from app.db.sql import Querier, Record, Sql, fetch, fetchrow

# What a member row may be grouped by, over `st` (the period of the day) and `m` (the record). Ages are completed
# years (PostgreSQL's age() counts a 29 February birthday on 1 March).
MEMBER_VALUES: dict[str, Callable[[date], Sql]] = {
    "status": lambda day: Sql("st.status"),
    "gender": lambda day: Sql("m.gender"),
    "age": lambda day: Sql("date_part('year', age({day}, m.birth_date))::int", day=day),
    "party_age": lambda day: Sql(
        "CASE WHEN m.admission_decision_date <= {day} "
        "THEN date_part('year', age({day}, m.admission_decision_date))::int END",
        day=day,
    ),
    "ethnicity": lambda day: Sql("m.ethnicity"),
    "political_theory_level": lambda day: Sql("m.political_theory_level"),
}
# The dimensions read from the member record (the others from the period alone).
FROM_RECORD = frozenset({"gender", "age", "party_age", "ethnicity", "political_theory_level"})

ORGANIZATION_VALUES: dict[str, Sql] = {"kind": Sql("o.kind"), "category": Sql("o.category")}

# The statuses of the people on a unit's rolls: candidates (not yet members) and members.
ON_ROLLS = ("candidate", "probationary", "official")


async def placed_unit(
    conn: Querier, *, scope: Scope, as_of: date, org_id: uuid.UUID | None = None, code: str | None = None
) -> tuple[uuid.UUID, str] | None:
    """(id, path) of the unit (by id or by code) as it stood in the tree on `as_of`, if the scope covers it."""
    key = Sql("o.id = {id}", id=org_id) if org_id is not None else Sql("o.code = {code}", code=code)
    row = await fetchrow(
        conn,
        Sql(
            "{with_} SELECT o.id, p.path FROM organization_placements p "
            "JOIN organizations o ON o.id = p.organization_id "
            "WHERE {key} AND {placed} AND {inside}",
            with_=with_ctes(scope_ranges(scope, as_of)),
            key=key,
            placed=valid_on("p", as_of),
            inside=path_in_scope(scope, "p.path"),
        ),
    )
    return (row["id"], row["path"]) if row is not None else None


def _units_of_the_day(*, scope: Scope, as_of: date, within_path: str | None) -> tuple[Sql | None, Sql]:
    """(the scope's CTE or None, condition on `op`): the placements of the day inside the subtree, or inside the
    scope when no subtree is given."""
    where = [valid_on("op", as_of)]
    if within_path is not None:
        # The caller's scope covers the unit, hence its whole subtree: the range alone is enough.
        low, high = subtree_bounds(within_path)
        where.append(Sql("op.path >= {low} AND op.path < {high}", low=low, high=high))
        return None, Sql.all(where)
    return scope_ranges(scope, as_of), Sql.all([*where, path_in_scope(scope, "op.path")])


def _grouped(columns: Sequence[Sql]) -> tuple[Sql, Sql]:
    """(the selected values v0, v1…, followed by a comma; GROUP BY them)."""
    if not columns:
        return Sql(""), Sql("")
    selected = Sql.join("", [Sql("{c} AS {alias}, ", c=c, alias=Sql(f"v{i}")) for i, c in enumerate(columns)])
    return selected, Sql("GROUP BY {positions}", positions=Sql(", ".join(str(i + 1) for i in range(len(columns)))))


async def count_members(
    conn: Querier, *, scope: Scope, as_of: date, within_path: str | None, values: Sequence[str]
) -> list[Record]:
    """Rows (v0, v1…, members, candidates, exempt) of the people on the rolls on `as_of`, grouped by `values`
    (names of MEMBER_VALUES): `members` counts probationary and official members, `candidates` the candidates,
    `exempt` the members exempt from activity that day. Without `within_path`, the whole scope."""
    ranges, placed = _units_of_the_day(scope=scope, as_of=as_of, within_path=within_path)
    selected, grouped = _grouped([MEMBER_VALUES[v](as_of) for v in values])
    record = Sql("JOIN members m ON m.id = st.member_id") if FROM_RECORD & set(values) else Sql("")
    units = Sql(
        "units AS MATERIALIZED (SELECT op.organization_id FROM organization_placements op WHERE {placed})",
        placed=placed,
    )
    return await fetch(
        conn,
        Sql(
            "{with_} SELECT {selected} count(*) FILTER (WHERE st.status <> 'candidate') AS members, "
            "count(*) FILTER (WHERE st.status = 'candidate') AS candidates, "
            "count(*) FILTER (WHERE st.status <> 'candidate' AND st.exempt) AS exempt "
            "FROM units u JOIN member_periods st ON st.organization_id = u.organization_id AND {held} {record} "
            "WHERE st.status = ANY({on_rolls}::text[]) {grouped}",
            with_=with_ctes(ranges, units),
            selected=selected,
            held=valid_on("st", as_of),
            record=record,
            on_rolls=list(ON_ROLLS),
            grouped=grouped,
        ),
    )


async def count_organizations(
    conn: Querier, *, scope: Scope, as_of: date, within_path: str | None, values: Sequence[str]
) -> list[Record]:
    """Rows (v0, v1…, units) of the units in the tree on `as_of` (the one at `within_path` included), grouped by
    `values` (names of ORGANIZATION_VALUES)."""
    ranges, placed = _units_of_the_day(scope=scope, as_of=as_of, within_path=within_path)
    selected, grouped = _grouped([ORGANIZATION_VALUES[v] for v in values])
    return await fetch(
        conn,
        Sql(
            "{with_} SELECT {selected} count(*) AS units FROM organization_placements op "
            "JOIN organizations o ON o.id = op.organization_id WHERE {placed} AND {alive} {grouped}",
            with_=with_ctes(ranges),
            selected=selected,
            placed=placed,
            alive=valid_on("o", as_of),
            grouped=grouped,
        ),
    )
