"""National-scale member benchmark: latency and throughput of the member reads with 5.6 million members.

The issue's goal: at national scale a page of members within a commune or a province is answered in milliseconds.

What it does, in order:
 1. The database of bench/org_tree.py (coso_bench, on DATABASE_URL's server or the embedded one in bench/.data),
    holding the national tree (loaded, or reused, exactly as `make bench` does).
 2. The members of bench/national_members.py in it: 5.6 million (`--members N` for fewer), with one open period
    each. They are reused while the tree, the generator, the sort key and N are unchanged (their hash is kept as
    the members table's comment; `--fresh-members` loads them again), otherwise loaded with COPY (a few minutes).
 3. The real service as a subprocess (`.venv/bin/coso serve`, one uvicorn worker, its default pool) and an API key
    (`coso keys create`, viewer of the whole tree, no pii).
 4. For each query, a bounded load on 127.0.0.1 with bench/org_tree.py's harness: `--concurrency` workers (8; one
    keep-alive connection each) of the minimal raw HTTP/1.1 client (`--client httpx` for httpx), a warm-up, then
    `--requests` requests or `--seconds` seconds, whichever ends first (slow queries get a share of the requests).
    p50/p95/p99, requests/s, and the CPU of client / server / PostgreSQL / others (see bench/org_tree.py).
 5. With `--explain`, EXPLAIN (ANALYZE, BUFFERS) of the SQL the service runs for each listing (built by
    app.db.members itself), with the custom and the generic plan (asyncpg prepares every statement; after five
    executions PostgreSQL may keep a generic one).
 6. A markdown table on stdout; everything in bench/results/members.json.

Run: `.venv/bin/python bench/members.py` (full size), `… --members 500000` for a quick run; `--help` for the knobs.
"""

import argparse
import asyncio
import base64
import contextlib
import hashlib
import json
import os
import platform
import sys
import tempfile
import time
import uuid
from dataclasses import asdict, dataclass
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any
from urllib.parse import quote

import asyncpg
import httpx
import orjson
from national_members import MEMBERS, load_members
from org_tree import (
    BENCH,
    BUSY,
    CLIENT_BOUND,
    POOL_SIZE,
    RESULTS,
    ROOT,
    Load,
    Scenario,
    Server,
    Stats,
    _fingerprint,
    _http,
    bench_database,
    create_key,
    postmaster_pid,
    run_scenarios,
    serve,
    server_dsn,
)

from app.db.members import reads as member_sql
from app.db.members.search import search_members
from app.db.organizations.paths import subtree_bounds
from app.db.scope import WHOLE_TREE

API = "/api/v1/members"
AS_OF = date(2024, 12, 31)
COMMON = "nguyen van hung"
BROAD = "nguyen"
HOMES = ("grassroots_cell", "subordinate_cell", "party_group")


# --- the members --------------------------------------------------------------------------------------------------


def members_fingerprint(total: int) -> str:
    """Changes whenever the tree, the member generator, the sort key or the count could have changed."""
    digest = hashlib.sha256(_fingerprint().encode())
    for path in (BENCH / "national_members.py", ROOT / "app/domain/members/names.py"):
        digest.update(path.read_bytes())
    return f"coso-bench-members:{digest.hexdigest()[:16]}:{total}"


async def _loaded_marker(dsn: str) -> str | None:
    conn = await asyncpg.connect(dsn)
    try:
        marker: str | None = await conn.fetchval("SELECT obj_description('members'::regclass, 'pg_class')")
        return marker
    finally:
        await conn.close()


async def _mark(dsn: str, total: int) -> None:
    conn = await asyncpg.connect(dsn)
    try:
        await conn.execute(f"COMMENT ON TABLE members IS '{members_fingerprint(total)}'")
    finally:
        await conn.close()


def bench_members(dsn: str, total: int, *, fresh: bool) -> dict[str, Any]:
    """Load the members unless the ones wanted are there; what loading took (or that they were reused)."""
    if not fresh and asyncio.run(_loaded_marker(dsn)) == members_fingerprint(total):
        return {"reused": True, "members": total}
    print(f"loading {total:,} members …", flush=True)
    summary = asyncio.run(load_members(dsn, total=total))
    asyncio.run(_mark(dsn, total))  # last: a load cut short is loaded again next time
    return {"reused": False, **summary}


# --- what is measured ---------------------------------------------------------------------------------------------


@dataclass
class Unit:
    id: str
    path: str
    members: int = 0


@dataclass
class Rare:
    """A name few members bear (searched for without accents, as typed), and a province where one of them is."""

    q: str
    province: Unit
    matches: int  # members nationally whose folded name contains it


@dataclass
class Targets:
    provinces: list[Unit]
    communes: list[Unit]
    cells: list[Unit]
    members: list[str]
    rare: list[Rare]
    common_matches: int  # members whose folded name contains COMMON
    broad_matches: int  # … BROAD


def _spaced(rows: list[asyncpg.Record], n: int) -> list[asyncpg.Record]:
    return rows[:: max(1, len(rows) // n)][:n]


async def _count(conn: asyncpg.Connection, path: str) -> int:
    low, high = subtree_bounds(path)
    found: int = await conn.fetchval("SELECT count(*) FROM members WHERE org_path >= $1 AND org_path < $2", low, high)
    return found


async def _rare_names(conn: asyncpg.Connection, provinces: list[Unit], n: int) -> list[Rare]:
    """For `n` provinces spread over the list, the first name (in list order, from the 1,000th member on) that at most
    five members of the country bear, by the same substring match the service uses."""
    found = []
    for province in provinces[:: max(1, len(provinces) // n)][:n]:
        low, high = subtree_bounds(province.path)
        rows = await conn.fetch(
            "SELECT name_folded FROM members WHERE org_path >= $1 AND org_path < $2 "
            "ORDER BY org_path, sort_key, id OFFSET 1000 LIMIT 400",
            low,
            high,
        )
        for name in dict.fromkeys(r[0] for r in rows):
            if await conn.fetchval("SELECT count(*) FROM members WHERE name_folded = $1", name) > 2:
                continue  # cheap first sieve on the equality index
            matches = await conn.fetchval("SELECT count(*) FROM members WHERE name_folded LIKE '%' || $1 || '%'", name)
            if matches <= 5:
                found.append(Rare(q=name, province=province, matches=matches))
                break
    return found


async def pick_targets(dsn: str) -> Targets:
    """Units and members to ask for: evenly spaced in code order (the same ones on every run)."""
    conn = await asyncpg.connect(dsn)
    try:
        await conn.execute("SET jit = off")

        async def units(where: str, n: int) -> list[Unit]:
            rows = await conn.fetch(
                f"SELECT o.id::text, p.path FROM organizations o JOIN organization_placements p "  # noqa: S608 - SQL pieces written in this script, no input
                f"ON p.organization_id = o.id AND p.latest WHERE {where} ORDER BY o.code"
            )
            return [Unit(r[0], r[1]) for r in _spaced(rows, n)]

        provinces = await units("o.kind = 'provincial_committee'", 34)
        communes = await units("o.kind = 'upper_level_committee'", 200)
        cells = [
            c
            for c in await units(
                f"o.kind IN {HOMES} AND EXISTS (SELECT 1 FROM members m WHERE m.organization_id = o.id)",  # noqa: S608 - SQL pieces written in this script, no input
                200,
            )
        ]
        for unit in provinces + communes + cells:
            unit.members = await _count(conn, unit.path)
        members = [
            str(r[0])
            for r in await conn.fetch("SELECT id FROM members TABLESAMPLE SYSTEM (0.1) REPEATABLE (7) LIMIT 1000")
        ]
        common, broad = [
            await conn.fetchval("SELECT count(*) FROM members WHERE name_folded LIKE '%' || $1 || '%'", q)
            for q in (COMMON, BROAD)
        ]
        return Targets(provinces, communes, cells, members, await _rare_names(conn, provinces, 10), common, broad)
    finally:
        await conn.close()


def _sizes(units: list[Unit]) -> str:
    counts = [u.members for u in units]
    return f"{min(counts):,}–{max(counts):,} (mean {sum(counts) / len(counts):,.0f})"


async def _cursor_pages(server: Server, token: str, first_pages: list[str], pages: int) -> list[str]:
    """Pages 2…`pages` after each of `first_pages`, reached by following next_cursor."""
    urls = []
    async with _http(server, token) as client:
        for url in first_pages:
            for _ in range(pages - 1):
                cursor = (await client.get(url)).raise_for_status().json()["next_cursor"]
                if cursor is None:
                    break
                url = f"{url.split('&cursor=')[0]}&cursor={quote(cursor)}"
                urls.append(url)
    return urls


def scenarios(t: Targets, deep: list[str], token: str) -> list[Scenario]:
    q = quote(COMMON)
    return [  # budget: the share of --requests a query gets (the slow ones fewer, so that the run stays short)
        Scenario("by_id", "GET /members/{id}", [f"{API}/{i}" for i in t.members], token),
        Scenario(
            "within_province",
            f"?within={{province}}&limit=50, page 1 (provinces of {_sizes(t.provinces)})",
            [f"{API}?within={p.id}&limit=50" for p in t.provinces],
            token,
        ),
        Scenario("within_province_deep", "?within={province}&limit=50, pages 2–10 by next_cursor", deep, token),
        Scenario(
            "within_commune",
            f"?within={{commune}}&limit=50 (communes of {_sizes(t.communes)})",
            [f"{API}?within={c.id}&limit=50" for c in t.communes],
            token,
        ),
        Scenario(
            "by_cell",
            f"?organization_id={{cell}}&limit=50 (cells of {_sizes(t.cells)})",
            [f"{API}?organization_id={c.id}&limit=50" for c in t.cells],
            token,
        ),
        Scenario(
            "within_province_official",
            "?within={province}&status=official&limit=50",
            [f"{API}?within={p.id}&status=official&limit=50" for p in t.provinces],
            token,
        ),
        Scenario(
            "search_common",
            f"?q={COMMON}&limit=50 ({t.common_matches:,} matches)",
            [f"{API}?q={q}&limit=50"],
            token,
            budget=0.25,
        ),
        Scenario(
            "search_common_within",
            f"?q={COMMON}&within={{province}}&limit=50",
            [f"{API}?q={q}&within={p.id}&limit=50" for p in t.provinces],
            token,
            budget=0.25,
        ),
        Scenario(
            "search_broad",
            f"?q={BROAD}&limit=50 ({t.broad_matches:,} matches: worst case)",
            [f"{API}?q={BROAD}&limit=50"],
            token,
            budget=0.02,
        ),
        *(
            [
                Scenario(
                    "search_rare_within",
                    "?q={rare name}&within={province}&limit=50 "
                    f"({min(r.matches for r in t.rare)}–{max(r.matches for r in t.rare)} matches nationally)",
                    [f"{API}?q={quote(r.q)}&within={r.province.id}&limit=50" for r in t.rare],
                    token,
                )
            ]
            if t.rare
            else []
        ),
        Scenario(
            "as_of_province",
            f"?within={{province}}&as_of={AS_OF}&limit=50 (history: periods, placements)",
            [f"{API}?within={p.id}&as_of={AS_OF}&limit=50" for p in t.provinces],
            token,
            budget=0.1,
        ),
        Scenario(
            "as_of_commune",
            f"?within={{commune}}&as_of={AS_OF}&limit=50 (history)",
            [f"{API}?within={c.id}&as_of={AS_OF}&limit=50" for c in t.communes],
            token,
            budget=0.1,
        ),
    ]


async def check_answers(server: Server, all_scenarios: list[Scenario]) -> dict[str, Any]:
    """The first URL of each scenario answers 200 with items (what a page holds, for the report)."""
    found: dict[str, Any] = {}
    async with _http(server, all_scenarios[0].token) as client:
        for s in all_scenarios:
            response = await client.get(s.urls[0])
            body = response.json()
            items = body.get("items", [body]) if isinstance(body, dict) else body
            found[s.key] = {
                "status": response.status_code,
                "items": len(items),
                "more": bool(body.get("next_cursor")) if isinstance(body, dict) else False,
            }
            if response.status_code != 200 or not items:
                raise RuntimeError(f"{s.key}: {response.status_code} {response.text[:300]}")
    return found


# --- EXPLAIN ------------------------------------------------------------------------------------------------------


def _query_of(url: str) -> tuple[member_sql.MemberQuery, str | None]:
    """What the service would ask app.db.members for, from a listing URL (within left as the unit's id)."""
    params = httpx.URL(url).params
    after = None
    if "cursor" in params:
        cursor = params["cursor"].partition(".")[0]  # the payload; the rest is its signature
        after = orjson.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))["a"]
    query = member_sql.MemberQuery(
        as_of=date.fromisoformat(params["as_of"]) if "as_of" in params else None,
        organization_id=uuid.UUID(params["organization_id"]) if "organization_id" in params else None,
        statuses=params.get_list("status"),
        q=params.get("q"),
        after=after,
        limit=int(params.get("limit", 50)) + 1,
    )
    return query, params.get("within")


async def explain(dsn: str, all_scenarios: list[Scenario]) -> dict[str, str]:
    from explain_queries import Recorder, _literal

    conn = await asyncpg.connect(dsn, statement_cache_size=0)
    plans: dict[str, str] = {}
    try:
        await conn.execute("SET jit = off")  # as the service's connections (app/db/database.py)
        for number, s in enumerate(all_scenarios):
            if s.key == "by_id":
                continue
            query, within = _query_of(s.urls[0])
            if within is not None:
                path = await conn.fetchval(
                    "SELECT path FROM organization_placements WHERE organization_id = $1 AND "  # noqa: S608 - SQL pieces written in this script, no input
                    + ("latest" if query.as_of is None else "valid_from <= $2 AND (valid_to IS NULL OR valid_to > $2)"),
                    uuid.UUID(within),
                    *([query.as_of] if query.as_of else []),
                )
                query = member_sql.MemberQuery(**{**query.__dict__, "within_path": path})
            record = Recorder()
            if query.q:
                await search_members(record, query, scope=WHOLE_TREE)
            else:
                await member_sql.list_members(record, query, scope=WHOLE_TREE)
            types = await conn.fetch(
                "SELECT format_type(t, NULL) FROM unnest($1::oid[]) t",
                [p.oid for p in (await conn.prepare(record.sql)).get_parameters()],
            )
            text = [f"=== {s.key}: {s.urls[0]}", record.sql, f"-- parameters: {list(map(str, record.args))}"]
            for mode in ("force_custom_plan", "force_generic_plan"):
                await conn.execute(f"SET plan_cache_mode = {mode}")
                name = f"m{number}_{mode}"
                await conn.execute(f"PREPARE {name}({', '.join(t[0] for t in types)}) AS {record.sql}")
                started = time.perf_counter()
                plan = await conn.fetch(
                    f"EXPLAIN (ANALYZE, BUFFERS) EXECUTE {name}({', '.join(_literal(a) for a in record.args)})"
                )
                text += [f"-- {mode} ({1000 * (time.perf_counter() - started):.1f} ms):", *(r[0] for r in plan)]
            plans[s.key] = "\n".join(text)
            print("\n" + plans[s.key], flush=True)
    finally:
        await conn.close()
    return plans


# --- the run ------------------------------------------------------------------------------------------------------


def _marks(cpu: dict[str, Any]) -> str:
    return (" †" if (cpu.get("client") or 0) >= CLIENT_BOUND else "") + (
        " ‡" if (cpu.get("other") or 0) >= BUSY else ""
    )


def markdown(all_scenarios: list[Scenario], stats: dict[str, Stats], setting: str) -> str:
    lines = [
        setting,
        "",
        "| GET /api/v1/members… | p50 ms | p95 ms | p99 ms | req/s | requests | errors | "
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
    return "\n".join(lines)


async def _facts(dsn: str) -> dict[str, Any]:
    conn = await asyncpg.connect(dsn)
    try:
        row = await conn.fetchrow("""
            SELECT current_setting('server_version') AS postgres, current_setting('shared_buffers') AS shared_buffers,
                   current_setting('work_mem') AS work_mem,
                   (SELECT count(*) FROM organizations) AS units,
                   (SELECT reltuples::bigint FROM pg_class WHERE oid = 'members'::regclass) AS members_estimate,
                   pg_size_pretty(pg_total_relation_size('members')) AS members_size,
                   pg_size_pretty(pg_total_relation_size('member_periods')) AS periods_size,
                   pg_size_pretty(pg_database_size(current_database())) AS database_size""")
        return dict(row)
    finally:
        await conn.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--members", type=int, default=MEMBERS, help="members to load (default: 5.6 million)")
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
    parser.add_argument("--only", nargs="*", help="measure only these queries (keys as in the JSON)")
    parser.add_argument("--explain", action="store_true", help="EXPLAIN (ANALYZE, BUFFERS) each listing too")
    parser.add_argument("--fresh", action="store_true", help="drop coso_bench and load tree and members again")
    parser.add_argument("--fresh-members", action="store_true", help="load the members again")
    parser.add_argument("--load-only", action="store_true", help="load (or check) the data, measure nothing")
    parser.add_argument("--out", type=Path, default=RESULTS / "members.json", help="where to write the JSON report")
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
        dsn, tree = bench_database(admin, fresh=args.fresh)
        loaded = bench_members(dsn, args.members, fresh=args.fresh_members or args.fresh)
        facts = asyncio.run(_facts(dsn))
        print(f"database: {facts}\ntree: {tree}\nmembers: {loaded}", flush=True)
        if args.load_only:
            return
        started = time.perf_counter()
        targets = asyncio.run(pick_targets(dsn))
        print(
            f"targets picked in {time.perf_counter() - started:.1f} s: rare names "
            f"{[(r.q, r.matches) for r in targets.rare]}, '{COMMON}' {targets.common_matches:,} matches",
            flush=True,
        )
        bin_dir = Path(sys.executable).parent
        coso = stack.enter_context(serve("coso", [str(bin_dir / "coso"), "serve"], dsn))
        coso.postmaster = asyncio.run(postmaster_pid(dsn))
        token = create_key(dsn, f"bench-members-{datetime.now(UTC).strftime('%Y%m%dT%H%M%S')}")
        deep = asyncio.run(
            _cursor_pages(coso, token, [f"{API}?within={p.id}&limit=50" for p in targets.provinces[:5]], pages=10)
        )
        all_scenarios = [s for s in scenarios(targets, deep, token) if not args.only or s.key in args.only]
        answers = asyncio.run(check_answers(coso, all_scenarios))
        print(f"coso: measuring {len(all_scenarios)} queries, {load}", flush=True)
        stats = run_scenarios(coso, all_scenarios, load)
        plans = asyncio.run(explain(dsn, all_scenarios)) if args.explain else {}

    members = loaded.get("members", args.members)
    setting = (
        f"{members:,} members in {facts['units']:,} units (members {facts['members_size']}, periods "
        f"{facts['periods_size']} with indexes); {load.concurrency} connections ({load.client} client), ≤ "
        f"{load.requests} requests or {load.seconds:g} s per query; one uvicorn worker, pool {POOL_SIZE}; "
        f"PostgreSQL {facts['postgres']} (shared_buffers {facts['shared_buffers']}); {os.cpu_count()} cores "
        "shared by client, server and PostgreSQL."
        + ("" if loaded.get("reused") else f" Members loaded in {loaded['total_s'] / 60:.1f} min.")
    )
    table = markdown(all_scenarios, stats, setting)
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
        "tree": tree,
        "members": loaded,
        "targets": {
            "provinces": _sizes(targets.provinces),
            "communes": _sizes(targets.communes),
            "cells": _sizes(targets.cells),
            "common": {"q": COMMON, "matches": targets.common_matches},
            "broad": {"q": BROAD, "matches": targets.broad_matches},
            "rare": [{"q": r.q, "province": r.province.id, "matches": r.matches} for r in targets.rare],
        },
        "first_answers": answers,
        "scenarios": {s.key: {"title": s.title, **asdict(stats[s.key])} for s in all_scenarios},
        "plans": plans,
        "markdown": table,
    }
    out = args.out
    with tempfile.NamedTemporaryFile("w", dir=out.parent, delete=False, suffix=".tmp") as tmp:
        tmp.write(json.dumps(report, indent=2, ensure_ascii=False) + "\n")
    Path(tmp.name).replace(out)
    print(f"\nwritten: {out}")


if __name__ == "__main__":
    main()
