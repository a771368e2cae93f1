"""National-scale indicator benchmark: GET /api/v1/indicators/analytics over five years of history of 5.6 million
members, what keeping the figures fresh costs a write, and whether the figures are exact at that scale.

What it does, in order:
 1. The database (`coso_bench` on DATABASE_URL's server, or the embedded one in bench/.data; `--database` for
    another name) holding the national tree (bench/national_tree.py), the members (bench/national_members.py) and
    their history 2021–2025 (bench/national_history.py). Each is reused while what built it is unchanged (the
    tree and the schema: the database's comment; the members: the members table's; the history: member_events'),
    otherwise loaded with COPY by a session with `coso.indicators = 'off'` (no indicator trigger runs), and then
    `SELECT coso_indicators_rebuild()` recomputes every indicator table once (timed; `--rebuild` to time it on
    reused data).
 2. The real service (`.venv/bin/coso serve`, one uvicorn worker, its default pool), a viewer key of the whole tree
    for the reads and an admin key for the writes (`coso keys create`).
 3. Exactness: a province's and a commune's figures for YEAR (every indicator but tasks_on_time: the dataset has no
    plans), from the API with both structures, against a brute-force count over the raw tables that follows
    docs/indicators.md (it shares no SQL with the service).
 4. Reads: for each query a bounded load with bench/org_tree.py's harness (`--concurrency` keep-alive connections
    of the raw HTTP/1.1 client, a warm-up, `--requests` requests or `--seconds` seconds): p50/p95/p99, requests/s
    and the CPU of client / server / PostgreSQL / others.
 5. Writes, one at a time from one client, timed as the client sees them (the indicator upkeep runs in the
    request's transaction, at commit): `--writes` member ratings replaced (PUT /members/{id}/ratings/2025, the band
    crossing good-or-better), member transfers between cells of a commune (POST /members/{id}/events), grassroots
    cells moved to another commune (POST /organizations/{id}/move), all in one province and dated today; then each
    undone the same way (same day: the data ends as it began). First with the indicator upkeep on (the default;
    the figures of the touched province and commune are checked against the brute force after the writes and
    after the undoing), then with the service started with COSO_INDICATOR_UPKEEP=false (its connections run with
    coso.indicators = 'off'; the data, back as it was, keeps the figures right: checked at the end).
 6. A markdown table on stdout; everything in bench/results/indicators.json.

Run: `make bench-indicators`, or `.venv/bin/python bench/indicators.py --help` for the knobs.
"""

import argparse
import asyncio
import contextlib
import hashlib
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from dataclasses import asdict, dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import asyncpg
import httpx
import national_tree
from members import _loaded_marker, members_fingerprint
from members import _mark as _mark_members
from national_history import load_history
from national_members import MEMBERS, load_members
from org_tree import (
    BENCH,
    BUSY,
    CLIENT_BOUND,
    DATABASE,
    POOL_SIZE,
    RESULTS,
    ROOT,
    Load,
    Scenario,
    Server,
    Stats,
    _fingerprint,
    _http,
    _with_database,
    postmaster_pid,
    run_scenarios,
    serve,
    server_dsn,
)

from app.db.migrations import upgrade
from app.db.organizations.paths import subtree_bounds

API = "/api/v1/indicators/analytics"
YEAR = 2024
FIVE_YEARS = "2021,2022,2023,2024,2025"
ONE = "members_rated_good"
FIVE = "members,members_rated_good,admission_rate,grassroots_inspected,village_cells_with_committee"
CHECKED = (
    "members",
    "village_cells_with_committee",
    "grassroots_rated_good",
    "members_rated_good",
    "admission_rate",
    "grassroots_inspected",
    "subordinate_cells_with_regulations",
    "village_heads_members",
    "secretary_village_head",
    "exit_rate",
)
STALE = "coso-bench:stale"  # indicator_rollup's comment while writes made without upkeep are not yet undone
TIMEZONE = "Asia/Ho_Chi_Minh"  # the service's default: its "today"


# --- the data -----------------------------------------------------------------------------------------------------


async def _prepare_database(admin_dsn: str, name: str, fresh: bool) -> bool:
    """Create the database unless a current one exists (bench/org_tree.py's rule); True when it must be loaded."""
    conn = await asyncpg.connect(admin_dsn)
    try:
        comment = await conn.fetchval(
            "SELECT shobj_description(oid, 'pg_database') FROM pg_database WHERE datname = $1", name
        )
        if comment == _fingerprint() and not fresh:
            return False
        await conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await conn.execute(f'CREATE DATABASE "{name}"')
        return True
    finally:
        await conn.close()


async def _comment(dsn: str, sql: str) -> None:
    conn = await asyncpg.connect(dsn)
    try:
        await conn.execute(sql)
    finally:
        await conn.close()


def history_fingerprint(total: int) -> str:
    """Changes whenever the members or the history generator could have changed."""
    digest = hashlib.sha256(members_fingerprint(total).encode())
    digest.update((BENCH / "national_history.py").read_bytes())
    return f"coso-bench-history:{digest.hexdigest()[:16]}:{total}"


async def _history_state(dsn: str) -> tuple[str | None, bool, bool]:
    """(member_events' comment, whether bench history rows are there, whether the indicator tables are stale)."""
    conn = await asyncpg.connect(dsn)
    try:
        marker = await conn.fetchval("SELECT obj_description('member_events'::regclass, 'pg_class')")
        present = await conn.fetchval(
            "SELECT EXISTS (SELECT 1 FROM member_events WHERE recorded_by = 'bench') AND EXISTS (SELECT 1 FROM ratings)"
        )
        stale = await conn.fetchval(
            "SELECT to_regclass('indicator_rollup') IS NOT NULL AND "
            "obj_description('indicator_rollup'::regclass, 'pg_class') IS NOT DISTINCT "
            "FROM $1",
            STALE,
        )
        return marker, present, stale
    finally:
        await conn.close()


async def _rebuild(dsn: str) -> float | None:
    conn = await asyncpg.connect(dsn)
    try:
        took = await national_tree.rebuild_indicators(conn)
        if took is not None:
            await conn.execute("COMMENT ON TABLE indicator_rollup IS NULL")
        return took
    finally:
        await conn.close()


@contextlib.contextmanager
def _tree_without_rebuild() -> Iterator[None]:
    """The tree loader recomputes the indicator figures after its COPY; here the history loader does it once at
    the end, so the tree's own rebuild (of figures the history replaces) is skipped."""
    original = national_tree.rebuild_indicators

    async def skip(conn: asyncpg.Connection) -> None:
        return None

    national_tree.rebuild_indicators = skip
    try:
        yield
    finally:
        national_tree.rebuild_indicators = original


def _members(dsn: str, total: int) -> dict[str, Any]:
    """bench/members.py's members, reused by their marker, or loaded (without the loader's own rebuild)."""
    if asyncio.run(_loaded_marker(dsn)) == members_fingerprint(total):
        return {"reused": True, "members": total}
    print(f"loading {total:,} members …", flush=True)
    summary = asyncio.run(load_members(dsn, total=total, rebuild=False))
    asyncio.run(_mark_members(dsn, total))  # last: a load cut short is loaded again next time
    return {"reused": False, **summary}


def bench_data(
    admin_dsn: str, name: str, total: int, *, fresh: bool, fresh_history: bool, rebuild: bool
) -> tuple[str, dict[str, Any]]:
    """The DSN of a database holding tree, members and history with its indicators built; what loading took.
    Every loader runs with `coso.indicators = 'off'`; the figures are rebuilt once, after the history."""
    dsn = _with_database(admin_dsn, name)
    loaded: dict[str, Any] = {}
    if asyncio.run(_prepare_database(admin_dsn, name, fresh)):
        started = time.perf_counter()
        upgrade(dsn)
        migrated = time.perf_counter()
        print(f"loading the national tree into {name} …", flush=True)
        with _tree_without_rebuild():
            loaded["tree"] = {
                "reused": False,
                "migrate_s": round(migrated - started, 1),
                **asyncio.run(national_tree.load_national_tree(dsn)),
            }
        asyncio.run(_comment(admin_dsn, f"COMMENT ON DATABASE \"{name}\" IS '{_fingerprint()}'"))
    else:
        loaded["tree"] = {"reused": True}
    loaded["members"] = _members(dsn, total)
    marker, present, stale = asyncio.run(_history_state(dsn))
    if fresh_history or marker != history_fingerprint(total) or not present:
        print("loading five years of history …", flush=True)
        loaded["history"] = {"reused": False, **asyncio.run(load_history(dsn))}
        asyncio.run(_comment(dsn, f"COMMENT ON TABLE member_events IS '{history_fingerprint(total)}'"))
        loaded["rebuild_s"] = loaded["history"]["rebuild_s"]
    else:
        loaded["history"] = {"reused": True}
        if rebuild or stale:
            print(
                "rebuilding the indicator tables …" + (" (left stale by an interrupted run)" if stale else ""),
                flush=True,
            )
            loaded["rebuild_s"] = asyncio.run(_rebuild(dsn))
    return dsn, loaded


# --- targets ------------------------------------------------------------------------------------------------------


@dataclass
class Unit:
    id: str
    code: str
    path: str
    children: int = 0


@dataclass
class Targets:
    provinces: list[Unit]
    communes: list[Unit]
    province: Unit  # where the writes go, and whose figures are checked
    commune: Unit  # one of its communes (checked too)
    roots: int  # units at the top of the tree (what the whole country's figures list)


async def pick_targets(dsn: str) -> Targets:
    conn = await asyncpg.connect(dsn)
    try:

        async def units(where: str) -> list[Unit]:
            rows = await conn.fetch(
                f"SELECT o.id::text, o.code, p.path, (SELECT count(*) FROM organization_placements c "  # noqa: S608 - SQL pieces written in this script, no input
                f"WHERE c.parent_id = o.id AND c.latest) AS children FROM organizations o "
                f"JOIN organization_placements p ON p.organization_id = o.id AND p.latest WHERE {where} "
                f"ORDER BY o.code"
            )
            return [Unit(r[0], r[1], r[2], r[3]) for r in rows]

        provinces = await units("o.kind = 'provincial_committee'")
        communes = await units("o.kind = 'upper_level_committee'")
        province = provinces[len(provinces) // 2]
        low, high = subtree_bounds(province.path)
        commune = next(c for c in communes if low <= c.path < high)
        roots = await conn.fetchval("SELECT count(*) FROM organization_placements WHERE latest AND depth = 0")
        return Targets(provinces, communes[:: max(1, len(communes) // 200)][:200], province, commune, roots)
    finally:
        await conn.close()


def _range(units: list[Unit]) -> str:
    counts = [u.children for u in units]
    return f"{min(counts)}–{max(counts)}"


def scenarios(t: Targets, token: str) -> list[Scenario]:
    def url(indicators: str, periods: str, unit: Unit | None, structure: str, breakdown: str = "self") -> str:
        query = {
            "indicator": indicators,
            "period": periods,
            **({"organization_id": unit.id} if unit else {}),
            **({"breakdown": breakdown} if breakdown != "self" else {}),
            **({"structure": structure} if structure != "period" else {}),
        }
        return f"{API}?{httpx.QueryParams(query)}"

    one, five = f"{ONE}, {YEAR}", f"5 indicators × 5 years ({FIVE_YEARS.replace(',', ', ')})"
    items = []
    for st in ("period", "current"):
        tag = "" if st == "period" else "_current"
        label = f", structure={st}"
        items += [
            Scenario(
                f"country{tag}",
                f"{one}, whole country (no organization_id: the total over the key's "
                f"scope, {t.roots} provinces){label}",
                [url(ONE, str(YEAR), None, st)],
                token,
            ),
            Scenario(
                f"province{tag}",
                f"{one}, a province (all 34 in turn){label}",
                [url(ONE, str(YEAR), p, st) for p in t.provinces],
                token,
            ),
            Scenario(
                f"commune{tag}",
                f"{one}, a commune ({len(t.communes)} in turn){label}",
                [url(ONE, str(YEAR), c, st) for c in t.communes],
                token,
            ),
            Scenario(
                f"province_children{tag}",
                f"{one}, a province and its communes ({_range(t.provinces)}; breakdown=children){label}",
                [url(ONE, str(YEAR), p, st, "children") for p in t.provinces],
                token,
                budget=0.5,
            ),
            Scenario(
                f"province_5x5{tag}",
                f"{five}, a province{label}",
                [url(FIVE, FIVE_YEARS, p, st) for p in t.provinces],
                token,
                budget=0.5,
            ),
            Scenario(
                f"country_5x5{tag}",
                f"{five}, whole country{label}",
                [url(FIVE, FIVE_YEARS, None, st)],
                token,
                budget=0.5,
            ),
        ]
    return items


async def check_answers(server: Server, all_scenarios: list[Scenario]) -> dict[str, Any]:
    """The first URL of each query answers 200 with items (how many, for the report)."""
    found: dict[str, Any] = {}
    async with _http(server, all_scenarios[0].token) as client:
        for s in all_scenarios:
            response = await client.get(s.urls[0])
            if response.status_code != 200 or not response.json().get("items"):
                raise RuntimeError(f"{s.key}: {response.status_code} {response.text[:500]}")
            found[s.key] = {"status": response.status_code, "items": len(response.json()["items"])}
    return found


# --- exactness: a brute-force count over the raw tables (docs/indicators.md) --------------------------------------

MEASURES_SQL = """
WITH u AS MATERIALIZED (        -- the units counting for X in the quarter: in X's subtree in the tree of ref(U, q)
    SELECT o.id, o.kind, o.category, o.valid_from, o.valid_to
    FROM organizations o
    CROSS JOIN LATERAL (SELECT CASE WHEN o.valid_to IS NOT NULL AND o.valid_to <= $2 THEN o.valid_to - 1
                                    ELSE $2 END AS ref) r
    JOIN organization_placements p ON p.organization_id = o.id AND p.valid_from <= r.ref
         AND (p.valid_to IS NULL OR p.valid_to > r.ref)
    WHERE p.path >= $3 AND p.path < $4
), alive AS MATERIALIZED (
    SELECT * FROM u WHERE valid_from <= $2 AND (valid_to IS NULL OR valid_to > $2)
), village AS MATERIALIZED (
    SELECT * FROM alive WHERE kind IN ('grassroots_cell', 'subordinate_cell')
      AND category IN ('village', 'residential_group')
)
SELECT
  (SELECT count(*) FROM u JOIN member_periods mp ON mp.organization_id = u.id
   WHERE mp.valid_from <= $2 AND (mp.valid_to IS NULL OR mp.valid_to > $2)
     AND mp.status IN ('probationary', 'official')) AS members,
  (SELECT count(*) FROM u JOIN member_periods mp ON mp.organization_id = u.id
   WHERE mp.status = 'probationary' AND mp.valid_from BETWEEN $1 AND $2
     AND NOT EXISTS (SELECT 1 FROM member_periods b WHERE b.member_id = mp.member_id
                     AND b.valid_to = mp.valid_from AND b.status = 'probationary')) AS admissions,
  (SELECT count(*) FROM u JOIN member_periods mp ON mp.organization_id = u.id
   WHERE mp.status IN ('struck_off', 'resigned') AND mp.valid_from BETWEEN $1 AND $2) AS exits,
  (SELECT count(*) FROM u JOIN ratings r ON r.organization_id = u.id
   WHERE r.period = $5::text AND r.member_id IS NOT NULL AND r.rating IS NOT NULL) AS members_rated,
  (SELECT count(*) FROM u JOIN ratings r ON r.organization_id = u.id
   WHERE r.period = $5::text AND r.member_id IS NOT NULL AND r.rating IN ('excellent', 'good'))
    AS members_rated_good,
  (SELECT count(*) FROM alive WHERE kind IN ('grassroots_committee', 'grassroots_cell')) AS grassroots,
  (SELECT count(*) FROM u JOIN ratings r ON r.organization_id = u.id
   WHERE u.kind IN ('grassroots_committee', 'grassroots_cell') AND r.period = $5::text AND r.member_id IS NULL
     AND r.rating IS NOT NULL) AS grassroots_rated,
  (SELECT count(*) FROM u JOIN ratings r ON r.organization_id = u.id
   WHERE u.kind IN ('grassroots_committee', 'grassroots_cell') AND r.period = $5::text AND r.member_id IS NULL
     AND r.rating IN ('excellent', 'good')) AS grassroots_rated_good,
  (SELECT count(DISTINCT u.id) FROM u JOIN inspections i ON i.organization_id = u.id
   WHERE u.kind IN ('grassroots_committee', 'grassroots_cell') AND i.year = $5::int) AS inspected_year,
  (SELECT count(*) FROM alive WHERE kind = 'subordinate_cell') AS subordinate_cells,
  (SELECT count(*) FROM alive a WHERE a.kind = 'subordinate_cell' AND EXISTS (
     SELECT 1 FROM working_regulations w WHERE w.organization_id = a.id AND w.issued_on <= $2))
    AS subordinate_cells_regulated,
  (SELECT count(*) FROM village) AS village_cells,
  (SELECT count(*) FROM village v WHERE
     (SELECT count(*) FROM party_positions pp WHERE pp.organization_id = v.id AND pp.valid_from <= $2
        AND (pp.valid_to IS NULL OR pp.valid_to > $2)) >= $6
     AND EXISTS (SELECT 1 FROM party_positions pp WHERE pp.organization_id = v.id AND pp.position = 'secretary'
                 AND pp.valid_from <= $2 AND (pp.valid_to IS NULL OR pp.valid_to > $2))) AS village_cells_committee,
  (SELECT count(*) FROM village v WHERE EXISTS (
     SELECT 1 FROM public_posts pu WHERE pu.organization_id = v.id
       AND pu.post IN ('village_head', 'residential_group_head')
       AND pu.valid_from <= $2 AND (pu.valid_to IS NULL OR pu.valid_to > $2))) AS village_cells_head_member,
  (SELECT count(*) FROM village v WHERE EXISTS (
     SELECT 1 FROM party_positions pp JOIN public_posts pu ON pu.member_id = pp.member_id
     WHERE pp.organization_id = v.id AND pp.position = 'secretary'
       AND pp.valid_from <= $2 AND (pp.valid_to IS NULL OR pp.valid_to > $2)
       AND pu.organization_id = v.id AND pu.post IN ('village_head', 'residential_group_head')
       AND pu.valid_from <= $2 AND (pu.valid_to IS NULL OR pu.valid_to > $2))) AS village_cells_secretary_head
"""
CELL_COMMITTEE_MIN_POSITIONS = 3  # COSO_CELL_COMMITTEE_MIN_POSITIONS' default


def _quarters(year: int) -> list[tuple[date, date]]:
    starts = [date(year, m, 1) for m in (1, 4, 7, 10)]
    return [(s, (starts[i + 1] if i < 3 else date(year + 1, 1, 1)) - timedelta(days=1)) for i, s in enumerate(starts)]


async def brute_force(conn: asyncpg.Connection, unit_id: str, year: int) -> dict[str, tuple[int, int | None]]:
    """(numerator, denominator) of each checked indicator for the unit and year, from the raw tables."""

    async def quarter(start: date, end: date, q4: bool) -> dict[str, int]:
        path = await conn.fetchval(
            "SELECT path FROM organization_placements WHERE organization_id = $1 AND "
            "valid_from <= $2 AND (valid_to IS NULL OR valid_to > $2)",
            uuid.UUID(unit_id),
            end,
        )
        low, high = subtree_bounds(path)
        row = await conn.fetchrow(
            MEASURES_SQL, start, end, low, high, str(end.year) if q4 else None, CELL_COMMITTEE_MIN_POSITIONS
        )
        return dict(row)

    quarters = [await quarter(s, e, i == 3) for i, (s, e) in enumerate(_quarters(year))]
    before = await quarter(*_quarters(year - 1)[3], False)
    end = quarters[3]

    def flow(measure: str) -> int:
        return sum(q[measure] for q in quarters)

    return {
        "members": (end["members"], None),
        "village_cells_with_committee": (end["village_cells_committee"], end["village_cells"]),
        "grassroots_rated_good": (flow("grassroots_rated_good"), flow("grassroots_rated")),
        "members_rated_good": (flow("members_rated_good"), flow("members_rated")),
        "admission_rate": (flow("admissions"), before["members"]),
        "grassroots_inspected": (flow("inspected_year"), end["grassroots"]),
        "subordinate_cells_with_regulations": (end["subordinate_cells_regulated"], end["subordinate_cells"]),
        "village_heads_members": (end["village_cells_head_member"], end["village_cells"]),
        "secretary_village_head": (end["village_cells_secretary_head"], end["village_cells"]),
        "exit_rate": (flow("exits"), before["members"]),
    }


async def exactness(
    dsn: str,
    server: Server,
    token: str,
    units: list[Unit],
    years: list[int],
    structures: tuple[str, ...] = ("period", "current"),
) -> dict[str, Any]:
    """The API's numerators and denominators against the brute force, unit by unit and year by year."""
    results: dict[str, Any] = {}
    conn = await asyncpg.connect(dsn)
    try:
        await conn.execute("SET jit = off; SET work_mem = '64MB'")
        async with _http(server, token) as client:
            for unit in units:
                for year in years:
                    started = time.perf_counter()
                    expected = await brute_force(conn, unit.id, year)
                    took = time.perf_counter() - started
                    for structure in structures:
                        response = await client.get(
                            API,
                            params={
                                "indicator": ",".join(CHECKED),
                                "period": str(year),
                                "organization_id": unit.id,
                                "structure": structure,
                            },
                        )
                        response.raise_for_status()
                        got = {
                            i["indicator"]: (i["numerator"], i["denominator"])
                            for i in response.json()["items"]
                            if i["organization_id"] == unit.id
                        }
                        differences = {
                            k: {"api": list(got.get(k, (None, None))), "brute_force": list(v)}
                            for k, v in expected.items()
                            if got.get(k, (None, None))[0] != v[0]
                            or (v[1] is not None and got.get(k, (None, None))[1] != v[1])
                        }
                        results[f"{unit.code} {year} {structure}"] = {
                            "match": not differences,
                            "differences": differences,
                            "figures": {k: list(v) for k, v in expected.items()},
                            "brute_force_s": round(took, 2),
                        }
    finally:
        await conn.close()
    return results


def _verdict(checks: dict[str, Any]) -> str:
    bad = [k for k, v in checks.items() if not v["match"]]
    return f"all {len(checks)} match" if not bad else f"{len(bad)} of {len(checks)} differ: {', '.join(bad)}"


# --- writes -------------------------------------------------------------------------------------------------------


@dataclass
class Writes:
    """What is written, and how to undo it (all in one province, dated `day`)."""

    ratings: list[tuple[str, int, str]]  # member, original score, original rated_on
    transfers: list[tuple[str, str, str]]  # member, their cell, another cell of the commune
    moves: list[tuple[str, str, str]]  # grassroots cell, its commune, another commune of the province
    day: date
    commune: Unit  # the commune most writes touch (its figures are checked)


def _commune_path(path: str, province_path: str) -> str:
    """The path of the commune a unit under `province_path` belongs to."""
    return province_path + path[len(province_path) :].split("/", 1)[0] + "/"


async def pick_writes(dsn: str, province: Unit, n: int, day: date) -> Writes:
    low, high = subtree_bounds(province.path)
    conn = await asyncpg.connect(dsn)
    try:
        ratings = await conn.fetch(
            """
            SELECT r.member_id::text, r.score, r.rated_on::text, p.path FROM ratings r
            JOIN organization_placements p ON p.organization_id = r.organization_id AND p.latest
            WHERE p.path >= $1 AND p.path < $2 AND r.period = '2025' AND r.member_id IS NOT NULL
              AND r.score IS NOT NULL
            ORDER BY r.member_id LIMIT $3""",
            low,
            high,
            n,
        )
        # Official members, not exempt, holding no seat or post, nothing recorded after `day`; one per cell.
        movers = await conn.fetch(
            """
            SELECT DISTINCT ON (m.organization_id) m.id::text, m.organization_id::text, m.org_path
            FROM members m JOIN organizations o ON o.id = m.organization_id
            WHERE m.org_path >= $1 AND m.org_path < $2 AND o.kind IN ('grassroots_cell', 'subordinate_cell')
              AND m.status = 'official' AND NOT m.exempt
              AND NOT EXISTS (SELECT 1 FROM party_positions pp WHERE pp.member_id = m.id)
              AND NOT EXISTS (SELECT 1 FROM public_posts pu WHERE pu.member_id = m.id)
              AND NOT EXISTS (SELECT 1 FROM member_events e WHERE e.member_id = m.id AND e.event_date > $3)
            ORDER BY m.organization_id, m.id""",
            low,
            high,
            day,
        )
        units = await conn.fetch(
            """
            SELECT o.id::text, o.code, o.kind, p.path, p.parent_id::text,
                   EXISTS (SELECT 1 FROM organization_placements q WHERE q.organization_id = o.id
                           AND q.valid_from > $3) AS changed_later
            FROM organizations o JOIN organization_placements p ON p.organization_id = o.id AND p.latest
            WHERE p.path >= $1 AND p.path < $2
              AND o.kind IN ('upper_level_committee', 'grassroots_cell', 'subordinate_cell')
            ORDER BY p.path""",
            low,
            high,
            day,
        )
    finally:
        await conn.close()
    communes = {u["path"]: u for u in units if u["kind"] == "upper_level_committee"}
    commune_ids = [u["id"] for u in communes.values()]
    cells: dict[str, list[str]] = {}
    for u in units:
        if u["kind"] != "upper_level_committee":
            cells.setdefault(_commune_path(u["path"], province.path), []).append(u["id"])
    touched: dict[str, int] = {}

    def touch(path: str) -> None:
        key = _commune_path(path, province.path)
        touched[key] = touched.get(key, 0) + 1

    transfers: list[tuple[str, str, str]] = []
    for member, cell, path in movers[:: max(1, len(movers) // n)][:n]:
        others = [c for c in cells[_commune_path(path, province.path)] if c != cell]
        if others:
            transfers.append((member, cell, others[len(transfers) % len(others)]))
            touch(path)
    grassroots = [u for u in units if u["kind"] == "grassroots_cell" and not u["changed_later"]]
    moves = []
    for k, u in enumerate(grassroots[:: max(1, len(grassroots) // n)][:n]):
        other = commune_ids[(commune_ids.index(u["parent_id"]) + 1 + k % 3) % len(commune_ids)]
        moves.append((u["id"], u["parent_id"], other))
        touch(u["path"])
    for r in ratings:
        touch(r["path"])
    busiest = communes[max(touched, key=lambda k: touched[k])]
    return Writes(
        [(r[0], r[1], r[2]) for r in ratings],
        transfers,
        moves,
        day,
        Unit(busiest["id"], busiest["code"], busiest["path"]),
    )


def _other_score(score: int) -> int:
    """A score in a band on the other side of good-or-better (so that the figures change)."""
    return 60 if score >= 70 else 80


@dataclass
class Timed:
    latencies: list[float] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)

    def summary(self) -> dict[str, Any]:
        ordered = sorted(self.latencies)
        if not ordered:
            return {"n": 0, "errors": len(self.errors), "first_errors": self.errors[:3]}

        def pick(q: float) -> float:
            return round(1000 * ordered[min(len(ordered) - 1, int(q * len(ordered)))], 1)

        return {
            "n": len(ordered),
            "p50_ms": pick(0.5),
            "p95_ms": pick(0.95),
            "p99_ms": pick(0.99),
            "mean_ms": round(1000 * statistics.fmean(ordered), 1),
            "errors": len(self.errors),
            "first_errors": self.errors[:3],
        }


async def _send(client: httpx.AsyncClient, timed: Timed, method: str, url: str, body: dict[str, Any]) -> None:
    started = time.perf_counter()
    response = await client.request(method, url, json=body)
    took = time.perf_counter() - started
    if response.status_code >= 300:
        timed.errors.append(f"{method} {url}: {response.status_code} {response.text[:300]}")
    else:
        timed.latencies.append(took)


async def write_pass(server: Server, token: str, w: Writes, *, undo: bool) -> dict[str, Timed]:
    """Each write once (or, with `undo`, its undoing), one at a time; latencies by kind."""
    timed = {"rating": Timed(), "transfer": Timed(), "move": Timed()}
    day = w.day.isoformat()
    async with _http(server, token) as client:
        order = ["move", "transfer", "rating"] if undo else ["rating", "transfer", "move"]
        for kind in order:
            if kind == "rating":
                for member, score, rated_on in w.ratings:
                    await _send(
                        client,
                        timed[kind],
                        "PUT",
                        f"/api/v1/members/{member}/ratings/2025",
                        {"score": score if undo else _other_score(score), "rated_on": rated_on},
                    )
            elif kind == "transfer":
                for member, cell, other in w.transfers:
                    await _send(
                        client,
                        timed[kind],
                        "POST",
                        f"/api/v1/members/{member}/events",
                        {"kind": "transfer", "date": day, "to_organization_id": cell if undo else other},
                    )
            else:
                for unit, commune, other in w.moves:
                    await _send(
                        client,
                        timed[kind],
                        "POST",
                        f"/api/v1/organizations/{unit}/move",
                        {"parent_id": commune if undo else other, "effective_date": day},
                    )
    return timed


@contextlib.contextmanager
def environment(**values: str) -> Iterator[None]:
    saved = {k: os.environ.get(k) for k in values}
    os.environ.update(values)
    try:
        yield
    finally:
        for k, v in saved.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v


def create_key(dsn: str, name: str, role: str) -> str:
    command = [str(Path(sys.executable).parent / "coso"), "keys", "create", "--name", name, "--role", role]
    done = subprocess.run(
        command, cwd=ROOT, capture_output=True, text=True, check=True, env={**os.environ, "DATABASE_URL": dsn}
    )
    return done.stdout.strip().splitlines()[-1]


# --- the run ------------------------------------------------------------------------------------------------------


def _marks(cpu: dict[str, Any]) -> str:
    return (" †" if (cpu.get("client") or 0) >= CLIENT_BOUND else "") + (
        " ‡" if (cpu.get("other") or 0) >= BUSY else ""
    )


def markdown(
    all_scenarios: list[Scenario], stats: dict[str, Stats], writes: dict[str, Any], setting: str, checks: dict[str, str]
) -> str:
    lines = [
        setting,
        "",
        f"| GET {API} | p50 ms | p95 ms | p99 ms | req/s | requests | errors | "
        "CPU % client / server / postgres / other |",
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: | --- |",
    ]
    for s in all_scenarios:
        r = stats[s.key]
        cpu = " / ".join(
            "–" if r.cpu.get(k) is None else f"{r.cpu[k]:.0f}" for k in ("client", "server", "postgres", "other")
        )
        lines.append(
            f"| {s.title} | {r.p50_ms:.1f} | {r.p95_ms:.1f} | {r.p99_ms:.1f} | {r.rps:.0f}{_marks(r.cpu)} | "
            f"{r.requests} | {r.errors} | {cpu} |"
        )
    lines += [
        "",
        f"† the client used ≥ {CLIENT_BOUND} % of a core: the server may do more than this.",
        f"‡ other processes used ≥ {BUSY} % of a core meanwhile: the figure is low by about that much.",
    ]
    if writes:
        lines += [
            "",
            "| write (one at a time) | upkeep on p50 / p95 ms | upkeep off p50 / p95 ms | on / off p50 | "
            "on / off p95 | calls | errors |",
            "| --- | ---: | ---: | ---: | ---: | ---: | ---: |",
        ]
        titles = {
            "rating": "PUT /members/{id}/ratings/2025 (band crosses good-or-better)",
            "transfer": "POST /members/{id}/events (transfer to another cell of the commune)",
            "move": "POST /organizations/{grassroots cell}/move (to another commune)",
        }
        for kind, title in titles.items():
            on, off = writes["on"][kind]["all"], writes["off"][kind]["all"]
            if not on.get("n") or not off.get("n"):
                lines.append(
                    f"| {title} | – | – | – | – | {on.get('n', 0)} / {off.get('n', 0)} | "
                    f"{on['errors'] + off['errors']} |"
                )
                continue
            lines.append(
                f"| {title} | {on['p50_ms']:.1f} / {on['p95_ms']:.1f} | {off['p50_ms']:.1f} / "
                f"{off['p95_ms']:.1f} | {on['p50_ms'] / off['p50_ms']:.2f} | "
                f"{on['p95_ms'] / off['p95_ms']:.2f} | {on['n']} / {off['n']} | "
                f"{on['errors'] + off['errors']} |"
            )
    if writes and not writes.get("upkeep_off_effective", True):
        lines += ["", "**COSO_INDICATOR_UPKEEP=false had no effect: the figures followed the writes.**"]
    lines += ["", "Exactness (API numerators and denominators against a brute-force count over the raw tables):"]
    lines += [f"- {k}: {v}" for k, v in checks.items()]
    return "\n".join(lines)


async def _facts(dsn: str) -> dict[str, Any]:
    conn = await asyncpg.connect(dsn)
    try:
        row = await conn.fetchrow("""
            SELECT current_setting('server_version') AS postgres, current_setting('shared_buffers') AS shared_buffers,
                   current_setting('work_mem') AS work_mem,
                   (SELECT count(*) FROM organizations) AS units,
                   (SELECT reltuples::bigint FROM pg_class WHERE oid = 'members'::regclass) AS members_estimate,
                   (SELECT reltuples::bigint FROM pg_class WHERE oid = 'member_periods'::regclass) AS periods_estimate,
                   (SELECT reltuples::bigint FROM pg_class WHERE oid = 'ratings'::regclass) AS ratings_estimate,
                   (SELECT reltuples::bigint FROM pg_class WHERE oid = 'indicator_own'::regclass) AS own_estimate,
                   (SELECT reltuples::bigint FROM pg_class WHERE oid = 'indicator_rollup'::regclass)
                     AS rollup_estimate,
                   pg_size_pretty(pg_total_relation_size('indicator_own')) AS own_size,
                   pg_size_pretty(pg_total_relation_size('indicator_rollup')) AS rollup_size,
                   pg_size_pretty(pg_database_size(current_database())) AS database_size""")
        return dict(row)
    finally:
        await conn.close()


def _writes_summary(forward: dict[str, Timed], back: dict[str, Timed]) -> dict[str, Any]:
    return {
        kind: {
            "forward": forward[kind].summary(),
            "undo": back[kind].summary(),
            "all": Timed(
                forward[kind].latencies + back[kind].latencies, forward[kind].errors + back[kind].errors
            ).summary(),
        }
        for kind in forward
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--members", type=int, default=MEMBERS, help="members to load (default: 5.6 million)")
    parser.add_argument("--database", default=DATABASE, help="the database to use on the server")
    parser.add_argument("--concurrency", type=int, default=8, help="client workers (connections)")
    parser.add_argument("--requests", type=int, default=2000, help="measured requests per query (at most)")
    parser.add_argument("--seconds", type=float, default=10, help="measured seconds per query (at most)")
    parser.add_argument("--warmup", type=int, default=200, help="requests before measuring")
    parser.add_argument(
        "--client",
        choices=["httpx", "raw"],
        default="raw",
        help="the minimal keep-alive HTTP/1.1 client (default: it costs less CPU), or httpx",
    )
    parser.add_argument("--writes", type=int, default=100, help="writes of each kind per mode (each then undone)")
    parser.add_argument("--only", nargs="*", help="measure only these reads (keys as in the JSON)")
    parser.add_argument("--no-writes", action="store_true", help="skip the write measurements")
    parser.add_argument("--fresh", action="store_true", help="drop the database and load everything again")
    parser.add_argument("--fresh-history", action="store_true", help="load the history again")
    parser.add_argument("--rebuild", action="store_true", help="rebuild the indicator tables (timed) even if fresh")
    parser.add_argument("--load-only", action="store_true", help="load (or check) the data, measure nothing")
    parser.add_argument("--out", type=Path, default=RESULTS / "indicators.json", help="the JSON report")
    parser.add_argument(
        "--data-dir",
        type=Path,
        default=BENCH / ".data",
        help="embedded PostgreSQL cluster (unless DATABASE_URL is set)",
    )
    args = parser.parse_args()
    load = Load(args.concurrency, args.requests, args.seconds, args.warmup, args.client)
    RESULTS.mkdir(exist_ok=True)

    with contextlib.ExitStack() as stack:
        admin = server_dsn(args.data_dir)
        dsn, loaded = bench_data(
            admin, args.database, args.members, fresh=args.fresh, fresh_history=args.fresh_history, rebuild=args.rebuild
        )
        facts = asyncio.run(_facts(dsn))
        print(f"database: {facts}\nloaded: {loaded}", flush=True)
        if args.load_only:
            return
        targets = asyncio.run(pick_targets(dsn))
        bin_dir = Path(sys.executable).parent
        stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S")
        viewer = create_key(dsn, f"bench-indicators-{stamp}", "viewer")
        admin_key = create_key(dsn, f"bench-indicators-{stamp}-writer", "admin")
        checked = [targets.province, targets.commune]
        checks: dict[str, Any] = {}
        coso = stack.enter_context(serve("coso", [str(bin_dir / "coso"), "serve"], dsn))
        coso.postmaster = asyncio.run(postmaster_pid(dsn))
        all_scenarios = [s for s in scenarios(targets, viewer) if not args.only or s.key in args.only]
        answers = asyncio.run(check_answers(coso, all_scenarios))
        print(f"exactness: {targets.province.code} and {targets.commune.code}, {YEAR} …", flush=True)
        checks["before"] = asyncio.run(exactness(dsn, coso, viewer, checked, [YEAR]))
        print(f"  {_verdict(checks['before'])}", flush=True)
        print(f"coso: measuring {len(all_scenarios)} queries, {load}", flush=True)
        stats = run_scenarios(coso, all_scenarios, load)
        writes: dict[str, Any] = {}
        if not args.no_writes:
            day = datetime.now(ZoneInfo(TIMEZONE)).date()
            plan = asyncio.run(pick_writes(dsn, targets.province, args.writes, day))
            touched = [targets.province, plan.commune]
            print(
                f"writes (upkeep on): {len(plan.ratings)} ratings, {len(plan.transfers)} transfers, "
                f"{len(plan.moves)} moves in {targets.province.code}, dated {day} …",
                flush=True,
            )
            forward = asyncio.run(write_pass(coso, admin_key, plan, undo=False))
            checks["after_writes"] = asyncio.run(exactness(dsn, coso, viewer, touched, [2025, day.year], ("period",)))
            print(f"  exactness after the writes: {_verdict(checks['after_writes'])}", flush=True)
            back = asyncio.run(write_pass(coso, admin_key, plan, undo=True))
            writes["on"] = _writes_summary(forward, back)
            checks["after_undo"] = asyncio.run(exactness(dsn, coso, viewer, touched, [2025, day.year], ("period",)))
            print(
                f"  on: { {k: v['all'] for k, v in writes['on'].items()} }\n"
                f"  exactness after undoing them: {_verdict(checks['after_undo'])}",
                flush=True,
            )
        stack.close()
        if not args.no_writes:
            asyncio.run(_comment(dsn, f"COMMENT ON TABLE indicator_rollup IS '{STALE}'"))
            with environment(COSO_INDICATOR_UPKEEP="false"):
                quiet_coso = stack.enter_context(serve("coso-no-upkeep", [str(bin_dir / "coso"), "serve"], dsn))
            print("writes (upkeep off) …", flush=True)
            forward = asyncio.run(write_pass(quiet_coso, admin_key, plan, undo=False))
            # Without upkeep the stored figures must now lag behind the data (else the setting had no effect).
            lagging = asyncio.run(exactness(dsn, quiet_coso, viewer, [plan.commune], [2025], ("period",)))
            writes["upkeep_off_effective"] = not all(v["match"] for v in lagging.values())
            back = asyncio.run(write_pass(quiet_coso, admin_key, plan, undo=True))
            writes["off"] = _writes_summary(forward, back)
            print(f"  off: { {k: v['all'] for k, v in writes['off'].items()} }", flush=True)
            if all(not t.errors for t in [*forward.values(), *back.values()]):
                asyncio.run(_comment(dsn, "COMMENT ON TABLE indicator_rollup IS NULL"))
            checks["after_no_upkeep"] = asyncio.run(
                exactness(dsn, quiet_coso, viewer, touched, [YEAR, day.year], ("period",))
            )
            print(
                f"  exactness after the writes without upkeep, undone: {_verdict(checks['after_no_upkeep'])}",
                flush=True,
            )

    verdicts = {k: _verdict(v) for k, v in checks.items()}
    history = loaded.get("history", {})
    setting = (
        f"{facts['units']:,} units, ~{facts['members_estimate']:,} members, ~{facts['periods_estimate']:,} "
        f"member periods, ~{facts['ratings_estimate']:,} ratings; indicator tables: ~{facts['own_estimate']:,} "
        f"own rows ({facts['own_size']}), ~{facts['rollup_estimate']:,} rollup rows ({facts['rollup_size']}). "
        f"{load.concurrency} connections ({load.client} client), ≤ {load.requests} requests or "
        f"{load.seconds:g} s per query; one uvicorn worker, pool {POOL_SIZE}; PostgreSQL {facts['postgres']} "
        f"(shared_buffers {facts['shared_buffers']}); {os.cpu_count()} cores shared by client, server and "
        "PostgreSQL."
        + ("" if history.get("reused", True) else f" History loaded in {history['load_s'] / 60:.1f} min")
        + (f"; coso_indicators_rebuild() took {loaded['rebuild_s']:.0f} s." if loaded.get("rebuild_s") else "")
    )
    table = markdown(all_scenarios, stats, writes, setting, verdicts)
    print("\n" + table)
    report = {
        "generated_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": {
            "cpus": os.cpu_count(),
            "python": platform.python_version(),
            "platform": platform.platform(),
            **{k: str(v) for k, v in facts.items()},
        },
        "load": asdict(load),
        "pool_size": POOL_SIZE,
        "loaded": loaded,
        "targets": {
            "provinces": len(targets.provinces),
            "communes": len(targets.communes),
            "province_children": _range(targets.provinces),
            "checked": [u.code for u in checked],
            "roots": targets.roots,
        },
        "first_answers": answers,
        "scenarios": {s.key: {"title": s.title, "url": s.urls[0], **asdict(stats[s.key])} for s in all_scenarios},
        "writes": writes,
        "exactness": checks,
        "markdown": table,
    }
    out = args.out
    with tempfile.NamedTemporaryFile("w", dir=out.parent, delete=False, suffix=".tmp") as tmp:
        tmp.write(json.dumps(report, indent=2, ensure_ascii=False, default=str) + "\n")
    os.chmod(tmp.name, 0o644)
    Path(tmp.name).replace(out)
    print(f"\nwritten: {out}")


if __name__ == "__main__":
    main()
