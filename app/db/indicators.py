"""Reads of the indicator sums (kept by the triggers of migration 0009; docs/indicators.md) and of targets.

A figure is a lookup: the rows of `indicator_rollup` for a unit's node and the quarters of a period. The units
themselves come from the tree of the period's last day (`structure=period`) or today's (`structure=current`)."""

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

import asyncpg
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from app.db.scope import Scope, scope_sql
from app.db.sql import Params, Querier

MEASURES = (
    "members", "admissions", "exits", "members_rated", "members_rated_good",
    "grassroots", "grassroots_rated", "grassroots_rated_good", "inspected_quarter", "inspected_year",
    "subordinate_cells", "subordinate_cells_regulated", "village_cells", "village_cells_committee",
    "village_cells_head_member", "village_cells_secretary_head",
)
STRUCTURES = {"period": 0, "current": 1}


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
    row = await conn.fetchrow("SELECT min(quarter) AS low, max(quarter) AS high FROM indicator_quarters")
    assert row is not None and row["low"] is not None, "indicator_quarters is empty (migration 0009 seeds it)"
    return int(row["low"]), int(row["high"])


async def find_unit_id(conn: Querier, code: str) -> uuid.UUID | None:
    found: uuid.UUID | None = await conn.fetchval("SELECT id FROM organizations WHERE code = $1", code)
    return found


async def units(conn: Querier, *, scope: Scope, periods: Sequence[tuple[date, date]], unit_id: uuid.UUID | None,
                depths: Sequence[int]) -> list[Unit]:
    """For each period (start, end), the units `depths` steps below `unit_id` (0 = itself) — or, without
    `unit_id`, below the roots of the scope (1 = the roots) — in the tree of the period's end, inside the scope,
    in tree order. A unit dissolved during a period is read in the tree of its last day; one that did not exist
    in a period has no row for it. Today's tree is the period (today, today)."""
    params = Params()
    starts, ends = params([p[0] for p in periods]), params([p[1] for p in periods])
    placed = "{p}.valid_from <= {day} AND ({p}.valid_to IS NULL OR {p}.valid_to > {day})"
    # Keys are granted on today's tree: the scope is checked at each unit's latest place, like every read.
    cte, in_scope = scope_sql(params, scope, None, path="lp.path")
    if unit_id is not None:
        base = f"""SELECT d.i, r.ref, bo.id, bp.path, bp.depth FROM days d
            JOIN organizations bo ON bo.id = {params(unit_id)}
             AND (bo.valid_to IS NULL OR bo.valid_to > d.starts)
            CROSS JOIN LATERAL (SELECT CASE WHEN bo.valid_to IS NOT NULL AND bo.valid_to <= d.ends
                                            THEN bo.valid_to - 1 ELSE d.ends END AS ref) r
            JOIN organization_placements bp ON bp.organization_id = bo.id AND {placed.format(p='bp', day='r.ref')}"""
        offset = 0
    else:
        roots = ("rp.parent_id IS NULL" if scope.roots is None
                 else f"rp.organization_id = ANY({params(list(scope.roots))}::uuid[])")
        base = f"""SELECT d.i, d.ends AS ref, rp.organization_id AS id, rp.path, rp.depth FROM days d
            JOIN organization_placements rp ON {placed.format(p='rp', day='d.ends')} AND {roots}"""
        offset = 1
    # Each depth by its own index: the unit itself, its children by parent, deeper levels by path range.
    parts = []
    for steps in sorted({d - offset for d in depths if d - offset >= 0}):
        if steps == 0:
            join = "p.organization_id = b.id"
        elif steps == 1:
            join = "p.parent_id = b.id"
        else:
            join = f"p.path >= b.path AND p.path < left(b.path, -1) || '0' AND p.depth = b.depth + {steps}"
        parts.append(f"""SELECT b.i, p.organization_id, p.parent_id, p.depth, p.path FROM base b
            JOIN organization_placements p ON {join} AND {placed.format(p='p', day='b.ref')}""")
    if not parts:
        return []
    sql = f"""WITH {cte + ',' if cte else ''}
        days AS (SELECT starts, ends, i FROM unnest({starts}::date[], {ends}::date[]) WITH ORDINALITY
                 AS t(starts, ends, i)),
        base AS ({base})
        SELECT p.i AS slot, o.id, o.code, o.name, o.node, p.parent_id, p.depth, p.path
        FROM ({" UNION ALL ".join(parts)}) p
        JOIN organizations o ON o.id = p.organization_id
        JOIN organization_placements lp ON lp.organization_id = o.id AND lp.latest
        WHERE {in_scope}
        ORDER BY p.i, p.path"""
    rows = await conn.fetch(sql, *params.values)
    return [Unit(slot=r["slot"] - 1, id=r["id"], code=r["code"], name=r["name"], node=r["node"],
                 parent_id=r["parent_id"], depth=r["depth"], path=r["path"]) for r in rows]


async def advance(conn: Querier) -> int:
    """Refresh the figures of units whose structure changed since the last call because a change recorded ahead
    of its date took effect (today's tree changes without a write). Cheap when nothing did."""
    touched: int = await conn.fetchval("SELECT coso_indicators_advance()")
    return touched


async def sums(conn: Querier, *, structure: str, nodes: Sequence[int], quarters: Sequence[int],
               measures: Sequence[str]) -> dict[tuple[int, int], asyncpg.Record]:
    """{(node, quarter): the measures} for the rows that exist (a missing row is all zeros)."""
    rows = await conn.fetch(
        f"SELECT node, quarter, {', '.join(measures)} FROM indicator_rollup "
        "WHERE structure = $1 AND node = ANY($2::bigint[]) AND quarter = ANY($3::int[])",
        STRUCTURES[structure], list(set(nodes)), list(set(quarters)))
    return {(r["node"], r["quarter"]): r for r in rows}


async def nodes_of_units(conn: Querier, nodes: Sequence[int]) -> dict[int, uuid.UUID]:
    rows = await conn.fetch("SELECT node, id FROM organizations WHERE node = ANY($1::bigint[])", list(set(nodes)))
    return {r["node"]: r["id"] for r in rows}


# --- plans (tasks_on_time) -----------------------------------------------------------------------------------------

async def plans_under(conn: Querier, *, path: str, day: date | None) -> list[uuid.UUID]:
    """Plans whose organisation stood in the subtree at `path` on `day` (None: today's tree)."""
    on = ("p.valid_from <= $3 AND (p.valid_to IS NULL OR p.valid_to > $3)" if day is not None
          else "p.latest AND $3::date IS NULL")
    rows = await conn.fetch(
        f"SELECT pl.id FROM plans pl JOIN organization_placements p ON p.organization_id = pl.organization_id "
        f"WHERE p.path >= $1 AND p.path < $2 AND {on}", path, path[:-1] + "0", day)
    return [r["id"] for r in rows]


# --- targets -------------------------------------------------------------------------------------------------------

_TARGET = """SELECT t.id, t.indicator, t.organization_id, o.node, o.code AS organization_code, t.year_from, t.year_to,
    t.comparator, t.value, t.value_high, t.note, t.created_at
    FROM indicator_targets t JOIN organizations o ON o.id = t.organization_id"""


async def targets_for(conn: Querier, indicators: Sequence[str], nodes: Sequence[int]) -> list[asyncpg.Record]:
    """Targets of these indicators set on any of these units."""
    rows: list[asyncpg.Record] = await conn.fetch(
        f"{_TARGET} WHERE t.indicator = ANY($1::text[]) AND o.node = ANY($2::bigint[])",
        list(indicators), list(set(nodes)))
    return rows


async def list_targets(conn: Querier, *, scope: Scope, indicator: str,
                       organization_id: uuid.UUID | None) -> list[asyncpg.Record]:
    params = Params()
    cte, in_scope = scope_sql(params, scope, None, path="lp.path")
    where = [f"t.indicator = {params(indicator)}", in_scope]
    if organization_id is not None:
        where.append(f"t.organization_id = {params(organization_id)}")
    rows: list[asyncpg.Record] = await conn.fetch(
        f"{'WITH ' + cte if cte else ''} {_TARGET} "
        "JOIN organization_placements lp ON lp.organization_id = o.id AND lp.latest "
        f"WHERE {' AND '.join(where)} ORDER BY lp.path, t.year_from", *params.values)
    return rows


async def get_target(conn: Querier, target_id: uuid.UUID) -> asyncpg.Record | None:
    row: asyncpg.Record | None = await conn.fetchrow(f"{_TARGET} WHERE t.id = $1", target_id)
    return row


async def overlapping_target(session: AsyncSession, *, indicator: str, organization_id: uuid.UUID,
                             year_from: int, year_to: int | None, except_id: uuid.UUID | None) -> Any:
    return (await session.execute(text(
        "SELECT id, year_from, year_to FROM indicator_targets WHERE indicator = :indicator "
        "AND organization_id = :org AND int4range(year_from, year_to, '[]') && int4range(:low, :high, '[]') "
        "AND id IS DISTINCT FROM :except_id LIMIT 1"),
        {"indicator": indicator, "org": organization_id, "low": year_from, "high": year_to,
         "except_id": except_id})).first()


async def insert_target(session: AsyncSession, **values: Any) -> uuid.UUID:
    target_id: uuid.UUID = (await session.execute(text(
        "INSERT INTO indicator_targets (indicator, organization_id, year_from, year_to, comparator, value, "
        "value_high, note) VALUES (:indicator, :organization_id, :year_from, :year_to, :comparator, :value, "
        ":value_high, :note) RETURNING id"), values)).scalar_one()
    return target_id


async def delete_target(session: AsyncSession, target_id: uuid.UUID) -> None:
    await session.execute(text("DELETE FROM indicator_targets WHERE id = :id"), {"id": target_id})
