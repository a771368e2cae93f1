"""Reads of the indicator sums (kept by the triggers of migration 0009; docs/indicators.md).

A figure is a lookup: the rows of `indicator_rollup` for a unit's node and the quarters of a period. The units
themselves come from the tree of the period's last day (`structure=period`) or today's (`structure=current`)."""

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

from app.db.indicators.tables import INDICATOR_MEASURES as MEASURES
from app.db.scope import Scope, path_in_scope, scope_ranges, with_ctes
from app.db.sql import Querier, Record, Sql, fetch, fetchrow, fetchval

STRUCTURES = {"period": 0, "current": 1}

__all__ = [
    "MEASURES",
    "STRUCTURES",
    "Unit",
    "advance",
    "configure",
    "find_unit_id",
    "nodes_of_units",
    "quarter_window",
    "sums",
    "units",
]


@dataclass(frozen=True)
class Unit:
    """A unit as it stood in the tree of one period (`slot` = the period's index in the request)."""

    slot: int
    id: uuid.UUID
    code: str
    name: str
    node: int
    parent_id: uuid.UUID | None
    depth: int
    path: str


async def quarter_window(conn: Querier) -> tuple[int, int]:
    row = await fetchrow(conn, Sql("SELECT min(quarter) AS low, max(quarter) AS high FROM indicator_quarters"))
    assert row is not None and row["low"] is not None, "indicator_quarters is empty (migration 0009 seeds it)"
    return int(row["low"]), int(row["high"])


async def find_unit_id(conn: Querier, code: str) -> uuid.UUID | None:
    found: uuid.UUID | None = await fetchval(conn, Sql("SELECT id FROM organizations WHERE code = {code}", code=code))
    return found


def _placed(alias: str, day: str) -> Sql:
    """The placement `alias` holds on the day `day` (both written in code: an alias and a column)."""
    return Sql("{p}.valid_from <= {day} AND ({p}.valid_to IS NULL OR {p}.valid_to > {day})", p=Sql(alias), day=Sql(day))


def _level(steps: int) -> Sql:
    """The units `steps` below a base unit `b`, each depth by its own index: the unit itself, its children by
    parent, deeper levels by path range."""
    if steps == 0:
        join = Sql("p.organization_id = b.id")
    elif steps == 1:
        join = Sql("p.parent_id = b.id")
    else:
        join = Sql("p.path >= b.path AND p.path < left(b.path, -1) || '0' AND p.depth = b.depth + {steps}", steps=steps)
    return Sql(
        "SELECT b.i, p.organization_id, p.parent_id, p.depth, p.path FROM base b "
        "JOIN organization_placements p ON {join} AND {placed}",
        join=join,
        placed=_placed("p", "b.ref"),
    )


async def units(
    conn: Querier,
    *,
    scope: Scope,
    periods: Sequence[tuple[date, date]],
    unit_id: uuid.UUID | None,
    depths: Sequence[int],
) -> list[Unit]:
    """For each period (start, end), the units `depths` steps below `unit_id` (0 = itself) — or, without
    `unit_id`, below the roots of the scope (1 = the roots) — in the tree of the period's end, inside the scope,
    in tree order. A unit dissolved during a period is read in the tree of its last day; one that did not exist
    in a period has no row for it. Today's tree is the period (today, today)."""
    if unit_id is not None:
        base = Sql(
            """SELECT d.i, r.ref, bo.id, bp.path, bp.depth FROM days d
            JOIN organizations bo ON bo.id = {unit} AND (bo.valid_to IS NULL OR bo.valid_to > d.starts)
            CROSS JOIN LATERAL (SELECT CASE WHEN bo.valid_to IS NOT NULL AND bo.valid_to <= d.ends
                                            THEN bo.valid_to - 1 ELSE d.ends END AS ref) r
            JOIN organization_placements bp ON bp.organization_id = bo.id AND {placed}""",
            unit=unit_id,
            placed=_placed("bp", "r.ref"),
        )
        offset = 0
    else:
        roots = (
            Sql("rp.parent_id IS NULL")
            if scope.roots is None
            else Sql("rp.organization_id = ANY({roots}::uuid[])", roots=list(scope.roots))
        )
        base = Sql(
            "SELECT d.i, d.ends AS ref, rp.organization_id AS id, rp.path, rp.depth FROM days d "
            "JOIN organization_placements rp ON {placed} AND {roots}",
            placed=_placed("rp", "d.ends"),
            roots=roots,
        )
        offset = 1
    levels = [_level(steps) for steps in sorted({d - offset for d in depths if d - offset >= 0})]
    if not levels:
        return []
    days = Sql(
        "days AS (SELECT starts, ends, i FROM unnest({starts}::date[], {ends}::date[]) WITH ORDINALITY "
        "AS t(starts, ends, i))",
        starts=[p[0] for p in periods],
        ends=[p[1] for p in periods],
    )
    # Keys are granted on today's tree: the scope is checked at each unit's latest place, like every read.
    rows = await fetch(
        conn,
        Sql(
            """{with_}
        SELECT p.i AS slot, o.id, o.code, o.name, o.node, p.parent_id, p.depth, p.path
        FROM ({levels}) p
        JOIN organizations o ON o.id = p.organization_id
        JOIN organization_placements lp ON lp.organization_id = o.id AND lp.latest
        WHERE {inside}
        ORDER BY p.i, p.path""",
            with_=with_ctes(scope_ranges(scope, None), days, Sql("base AS ({b})", b=base)),
            levels=Sql.join(" UNION ALL ", levels),
            inside=path_in_scope(scope, "lp.path"),
        ),
    )
    return [
        Unit(
            slot=r["slot"] - 1,
            id=r["id"],
            code=r["code"],
            name=r["name"],
            node=r["node"],
            parent_id=r["parent_id"],
            depth=r["depth"],
            path=r["path"],
        )
        for r in rows
    ]


async def advance(conn: Querier) -> int:
    """Refresh the figures of units whose structure changed since the last call because a change recorded ahead
    of its date took effect (today's tree changes without a write). Cheap when nothing did."""
    touched: int = await fetchval(conn, Sql("SELECT coso_indicators_advance()"))
    return touched


async def configure(conn: Querier, *, cell_committee_min_positions: int) -> bool:
    """Write the thresholds the figures use (the service's settings) where the database functions read them;
    a changed one recomputes the figures it decides. True when something changed."""
    changed: bool = await fetchval(
        conn,
        Sql(
            "SELECT coso_indicators_configure('cell_committee_min_positions', {value})",
            value=cell_committee_min_positions,
        ),
    )
    return changed


async def sums(
    conn: Querier, *, structure: str, nodes: Sequence[int], quarters: Sequence[int], measures: Sequence[str]
) -> dict[tuple[int, int], Record]:
    """{(node, quarter): the measures} for the rows that exist (a missing row is all zeros)."""
    unknown = set(measures) - set(MEASURES)
    if unknown:
        raise ValueError(f"not measures: {sorted(unknown)}")
    rows = await fetch(
        conn,
        Sql(
            "SELECT node, quarter, {measures} FROM indicator_rollup WHERE structure = {structure} "
            "AND node = ANY({nodes}::bigint[]) AND quarter = ANY({quarters}::int[])",
            measures=Sql(", ".join(measures)),
            structure=STRUCTURES[structure],
            nodes=list(set(nodes)),
            quarters=list(set(quarters)),
        ),
    )
    return {(r["node"], r["quarter"]): r for r in rows}


async def nodes_of_units(conn: Querier, nodes: Sequence[int]) -> dict[int, uuid.UUID]:
    rows = await fetch(
        conn, Sql("SELECT node, id FROM organizations WHERE node = ANY({nodes}::bigint[])", nodes=list(set(nodes)))
    )
    return {r["node"]: r["id"] for r in rows}
