"""Member import benchmark: rows/s of the import's domain function (`members.run_rows`, what the synchronous
endpoint and the background jobs call per batch), creating records, then re-importing the same file (unchanged).

What it does, in order:
 1. A fresh database on DATABASE_URL's server (or the embedded one in bench/.data): `coso_bench_import_<random>`,
    migrated, with the demo province (`coso demo-data`: its tree, ~2,500 members with their history). It is
    dropped at the end (`--keep` to keep it); no other database is touched.
 2. A CSV of `--rows` generated members (official, probationary and candidates, each with a citizen ID, a phone,
    an external id; realistic Vietnamese names, so a few share a name and birth date with someone: row errors, as
    in life) in the demo's cells, parsed as the endpoint parses it (timed apart: it runs in a thread there).
 3. Commit mode, per-row errors: the rows through `run_rows` in batches of `--batch` in one transaction, then
    the commit (where the indicator upkeep refreshes the touched units once): rows/s of each.
    `--one-by-one` times the per-row path instead (`run_rows_one_by_one`: the figure before the set-based path).
    `--no-upkeep` runs with coso.indicators = 'off' (what the triggers cost); `--no-feed` with the change feed's
    triggers disabled in the bench database (what recording the changes costs).
 4. The same file again (a re-imported export): every row `unchanged`, rows/s.
 5. Peak resident memory of this process; with `--profile`, cProfile of step 3 (top functions by own time).

Run: `.venv/bin/python bench/import_members.py` (100,000 rows), `--rows 10000 --one-by-one` for the old path.
"""

import argparse
import asyncio
import cProfile
import csv
import io
import os
import pstats
import random
import resource
import secrets
import sys
import time
from collections.abc import Awaitable, Callable
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import asyncpg
import psutil
from org_tree import server_dsn

from app.api.imports.checks import check_member_row
from app.db.migrations import upgrade
from app.db.scope import WHOLE_TREE
from app.demo.load import load_demo_data
from app.domain.access.callers import Actor, Caller, Role
from app.domain.imports import columns, files, members
from app.domain.imports.report import Report
from app.domain.tx import Tx

BENCH = Path(__file__).resolve().parent
CHECK = check_member_row
TODAY = date(2026, 12, 7)
OPTIONS = members.Options(
    mode="commit", atomic=False, allow_same_name=False, today=TODAY, min_age=18, probation_months=12
)
ACTOR = Actor(caller=Caller(kind="key", id="bench", name="bench", role=Role.admin, pii=True), request_id="bench")
SURNAMES = ["Nguyễn", "Trần", "Lê", "Phạm", "Hoàng", "Huỳnh", "Phan", "Vũ", "Võ", "Đặng", "Bùi", "Đỗ", "Hồ", "Ngô"]
MIDDLE = ["Văn", "Thị", "Hữu", "Đức", "Minh", "Thanh", "Ngọc", "Quang", "Xuân", "Thu", "Hoàng", "Kim"]
GIVEN = [
    "An", "Bình", "Cường", "Dũng", "Giang", "Hà", "Hải", "Hạnh", "Hiếu", "Hoa", "Hùng", "Hương", "Khánh", "Lan",
    "Linh", "Long", "Mai", "Minh", "Nam", "Nga", "Ngọc", "Phúc", "Phương", "Quân", "Sơn", "Tâm", "Thảo", "Trang",
    "Trung", "Tuấn", "Vân", "Việt", "Yến", "Thủy", "Hòa", "Lộc", "Đạt", "Duy", "Kiên", "Quỳnh",
]  # fmt: skip
HEADER = [
    "full_name", "gender", "birth_date", "status", "organization", "admission_decision_date", "citizen_id", "phone",
    "external_ids",
]  # fmt: skip


def generate(n: int, cells: list[str], seed: int = 7) -> bytes:
    rng = random.Random(seed)
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(HEADER)
    for i in range(n):
        birth = date(1950, 1, 1) + timedelta(days=rng.randrange(365 * 52))
        fate = rng.random()
        status = "official" if fate < 0.75 else "probationary" if fate < 0.85 else "candidate"
        admitted = ""
        if status != "candidate":
            earliest = max(birth.year + 18, 1990)
            admitted = date(rng.randrange(earliest, 2026), rng.randrange(1, 13), rng.randrange(1, 29)).isoformat()
            if status == "probationary":
                admitted = (TODAY - timedelta(days=rng.randrange(30, 300))).isoformat()
        else:
            birth = date(rng.randrange(1975, 2006), rng.randrange(1, 13), rng.randrange(1, 29))
        name = f"{rng.choice(SURNAMES)} {rng.choice(MIDDLE)} {rng.choice(GIVEN)}"
        writer.writerow(
            [
                name,
                rng.choice(["male", "female"]),
                birth.isoformat(),
                status,
                rng.choice(cells),
                admitted,
                f"{1 + i % 96:03d}{i:09d}",
                f"09{i:08d}",
                f"bench:{i}",
            ]
        )
    return out.getvalue().encode()


async def fresh_database(admin_dsn: str) -> tuple[str, str]:
    name = f"coso_bench_import_{secrets.token_hex(4)}"
    conn = await asyncpg.connect(admin_dsn)
    try:
        await conn.execute(f'CREATE DATABASE "{name}"')
    finally:
        await conn.close()
    return name, admin_dsn.rsplit("/", 1)[0] + "/" + name


async def drop_database(admin_dsn: str, name: str) -> None:
    assert name.startswith("coso_bench_import_")  # only the one this run created
    conn = await asyncpg.connect(admin_dsn)
    try:
        await conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        await conn.close()


async def cells_of(dsn: str) -> list[str]:
    conn = await asyncpg.connect(dsn)
    try:
        rows = await conn.fetch(
            "SELECT code FROM organizations WHERE kind IN ('grassroots_cell', 'subordinate_cell', 'party_group') "
            "AND valid_to IS NULL AND valid_from <= '2020-01-01' ORDER BY code"
        )
    finally:
        await conn.close()
    return [r["code"] for r in rows]


Runner = Callable[..., Awaitable[None]]


async def one_pass(
    dsn: str, rows: list[columns.MemberRow], *, batch: int, run: Runner, upkeep: bool, profile: bool
) -> dict[str, Any]:
    """All rows in one transaction, `batch` rows per call, then the commit; seconds of each."""
    conn = await asyncpg.connect(dsn)
    try:
        if not upkeep:
            await conn.execute("SET coso.indicators = 'off'")
        report = Report(kind="members", format="text/csv", mode="commit", atomic=False)
        members.mark_duplicates_in_file(rows)
        profiler = cProfile.Profile() if profile else None
        backend = _backend(await conn.fetchval("SELECT pg_backend_pid()"))
        txn = conn.transaction()
        await txn.start()
        tx = Tx(conn=conn)
        started = time.perf_counter()
        cpu_started, pg_started = time.process_time(), _cpu(backend)
        if profiler:
            profiler.enable()
        for first in range(0, len(rows), batch):
            part = rows[first : first + batch]
            await run(
                tx, actor=ACTOR, scope=WHOLE_TREE, rows=part, check=check_member_row, options=OPTIONS, report=report
            )
        ran = time.perf_counter()
        await txn.commit()
        committed = time.perf_counter()
        cpu, pg = time.process_time() - cpu_started, _cpu(backend) - pg_started
        if profiler:
            profiler.disable()
            stats = pstats.Stats(profiler, stream=sys.stderr)
            stats.sort_stats("tottime").print_stats(25)
            stats.sort_stats("cumulative").print_stats(30)
    finally:
        await conn.close()
    counts = report.counts
    total = committed - started
    return {
        "rows": counts.rows,
        "created": counts.created,
        "updated": counts.updated,
        "unchanged": counts.unchanged,
        "failed": counts.failed,
        "run_s": round(ran - started, 2),
        "commit_s": round(committed - ran, 2),
        "rows_per_s": round(counts.rows / total),
        # CPU seconds of this process and of its PostgreSQL backend: what the machine's load does not inflate
        "python_cpu_s": round(cpu, 2),
        "postgres_cpu_s": round(pg, 2) if backend else None,
        "rows_per_cpu_s": round(counts.rows / (cpu + pg)) if backend else None,
        "errors": sorted({e.rule for e in report.errors}),
    }


def _backend(pid: int) -> psutil.Process | None:
    """The connection's PostgreSQL backend, when the server runs on this machine."""
    try:
        process = psutil.Process(pid)
        process.cpu_times()
    except (psutil.Error, OSError):
        return None
    return process


def _cpu(process: psutil.Process | None) -> float:
    if process is None:
        return 0.0
    times = process.cpu_times()
    return float(times.user + times.system)


async def without_feed(dsn: str) -> None:
    """The change feed's statement triggers disabled in the bench database (its own, dropped at the end)."""
    conn = await asyncpg.connect(dsn)
    try:
        for table in ("members", "organizations", "organization_placements", "plans", "tasks"):
            for op in ("insert", "update", "delete"):
                await conn.execute(f"ALTER TABLE {table} DISABLE TRIGGER changes_mark_{op}")
    finally:
        await conn.close()


def peak_rss_mb() -> float:
    return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)


async def bench(args: argparse.Namespace) -> None:
    admin = server_dsn(BENCH / ".data")
    name, dsn = await fresh_database(admin)
    print(f"database {name}", flush=True)
    try:
        started = time.perf_counter()
        await asyncio.to_thread(upgrade, dsn)
        print(await load_demo_data(dsn), flush=True)
        print(f"migrated and loaded in {time.perf_counter() - started:.1f} s", flush=True)
        if args.no_feed:
            await without_feed(dsn)
        cells = await cells_of(dsn)
        data = generate(args.rows, cells)
        parse_started = time.perf_counter()
        table = files.read_table(data, "text/csv", max_rows=args.rows)
        rows = columns.member_rows(table)
        parse_s = time.perf_counter() - parse_started
        print(f"{args.rows} rows, {len(data) / 1e6:.1f} MB of CSV into {len(cells)} cells; parsed in {parse_s:.2f} s")
        run = members.run_rows_one_by_one if args.one_by_one else members.run_rows
        path = "per-row (run_rows_one_by_one)" if args.one_by_one else "set-based (run_rows)"
        upkeep = "on" if not args.no_upkeep else "off"
        feed = "off" if args.no_feed else "on"
        print(f"path: {path}, batch {args.batch}, indicator upkeep {upkeep}, change feed {feed}")
        created = await one_pass(dsn, rows, batch=args.batch, run=run, upkeep=not args.no_upkeep, profile=args.profile)
        print(f"create:   {created}", flush=True)
        again = columns.member_rows(table)
        unchanged = await one_pass(
            dsn, again, batch=args.batch, run=run, upkeep=not args.no_upkeep, profile=args.profile
        )
        print(f"reimport: {unchanged}", flush=True)
        print(f"peak RSS of this process: {peak_rss_mb()} MB (the CSV, its parsed rows and the reports included)")
    finally:
        if args.keep:
            print(f"kept {name}")
        else:
            await drop_database(admin, name)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=100_000, help="rows in the file (default 100,000)")
    parser.add_argument("--batch", type=int, default=2000, help="rows per run_rows call (a job's batch)")
    parser.add_argument("--one-by-one", action="store_true", help="time the per-row path (the old one)")
    parser.add_argument("--no-upkeep", action="store_true", help="coso.indicators = 'off' (no indicator triggers)")
    parser.add_argument("--no-feed", action="store_true", help="the change feed's triggers disabled")
    parser.add_argument("--profile", action="store_true", help="cProfile of each pass (on stderr)")
    parser.add_argument("--keep", action="store_true", help="keep the database it created")
    args = parser.parse_args()
    if not os.environ.get("DATABASE_URL"):
        print("no DATABASE_URL: using the embedded server in bench/.data", file=sys.stderr)
    asyncio.run(bench(args))


if __name__ == "__main__":
    main()
