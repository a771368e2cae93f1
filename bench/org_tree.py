"""National-scale organisation tree benchmark: latency and throughput of the service's hot reads (`make bench`).

What it does, in order:
 1. A PostgreSQL server: DATABASE_URL's, or the embedded one (app.db.embedded) with its cluster in bench/.data
    (kept between runs; --data-dir to move it).
 2. The database `coso_bench` on it, migrated, holding the synthetic national tree of bench/national_tree.py
    (~330,000 units). It is reused while the migrations, app/db/organizations/paths.py and the generator are
    unchanged (their
    hash is kept as the database's comment), otherwise (or with --fresh) dropped, recreated and loaded again.
 3. The real service as a subprocess (`.venv/bin/coso serve`, one uvicorn worker, its default pool), and the
    bare Starlette + asyncpg baseline of bench/baseline.py beside it, each waited for on /readyz.
 4. For each scenario, a bounded load from one httpx.AsyncClient on 127.0.0.1 only (or, with `--client raw`, a
    minimal HTTP/1.1 client that costs less CPU): `--concurrency` workers (default 8, one keep-alive connection
    each), a short warm-up, then `--requests` requests or `--seconds` seconds, whichever ends first. Figures:
    p50/p95/p99 latency as the client sees it, requests/s, and the CPU used meanwhile by the client, the server
    process, PostgreSQL and everything else on the machine (2 cores on the reference machine, 200 % in all:
    when the client is near 100 %, the figures are the client's, marked †; when other processes took a share,
    the figures are low, marked ‡).
 5. For the queries the baseline answers too, `--rounds` alternating rounds coso / baseline under the same load;
    the ratio is coso's median requests/s over the baseline's (the project's goal: at least 0.6).
 6. Markdown tables on stdout; everything in bench/results/org_tree.json.

Run: `make bench`, or `.venv/bin/python bench/org_tree.py --help` for the knobs.
"""

import argparse
import asyncio
import atexit
import contextlib
import hashlib
import itertools
import json
import math
import os
import platform
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from dataclasses import asdict, dataclass, field, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import asyncpg
import baseline
import httpx
import psutil
from national_tree import load_national_tree, tree_loaded

from app.db.migrations import upgrade
from app.db.organizations import reads as service_sql
from app.db.scope import WHOLE_TREE
from app.db.urls import asyncpg_dsn

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
RESULTS = BENCH / "results"
DATABASE = "coso_bench"
POOL_SIZE = 10  # the service's default (app/settings.py); the baseline gets the same
API = "/api/v1/organizations"


# --- the database -------------------------------------------------------------------------------------------------


def _with_database(dsn: str, name: str) -> str:
    base, _, query = dsn.partition("?")
    head, _, _ = base.rpartition("/")
    return f"{head}/{name}" + (f"?{query}" if query else "")


def _fingerprint() -> str:
    """Changes whenever the schema, the path encoding or the generated tree could have changed."""
    digest = hashlib.sha256()
    for path in sorted(
        [*ROOT.glob("alembic/versions/*.py"), ROOT / "app/db/organizations/paths.py", BENCH / "national_tree.py"]
    ):
        if path.exists():
            digest.update(path.read_bytes())
    return "coso-bench:" + digest.hexdigest()[:16]


def server_dsn(data_dir: Path, *, throwaway: bool = False) -> str:
    """DATABASE_URL, or an embedded server (stopped, or deleted if `throwaway`, when this process exits)."""
    if os.environ.get("DATABASE_URL"):
        return asyncpg_dsn(os.environ["DATABASE_URL"])
    from app.db.embedded import start_embedded

    data_dir.mkdir(parents=True, exist_ok=True)
    data_dir.chmod(0o755)  # as root, the wheel runs PostgreSQL as another user, who must reach the cluster
    return start_embedded(data_dir, cleanup="delete" if throwaway else "stop")


async def _prepare_database(admin_dsn: str, fresh: bool) -> bool:
    """Create coso_bench unless a current one exists; True when it must be migrated and loaded."""
    conn = await asyncpg.connect(admin_dsn)
    try:
        comment = await conn.fetchval(
            "SELECT shobj_description(oid, 'pg_database') FROM pg_database WHERE datname = $1", DATABASE
        )
        if comment == _fingerprint() and not fresh:
            return False
        await conn.execute(f'DROP DATABASE IF EXISTS "{DATABASE}" WITH (FORCE)')
        await conn.execute(f'CREATE DATABASE "{DATABASE}"')
        return True
    finally:
        await conn.close()


async def _mark_loaded(admin_dsn: str) -> None:
    conn = await asyncpg.connect(admin_dsn)
    try:
        await conn.execute(f"COMMENT ON DATABASE \"{DATABASE}\" IS '{_fingerprint()}'")
    finally:
        await conn.close()


def bench_database(admin_dsn: str, *, fresh: bool) -> tuple[str, dict[str, Any]]:
    """The DSN of a migrated, loaded coso_bench, and what loading it took (or that it was reused)."""
    dsn = _with_database(admin_dsn, DATABASE)
    if not asyncio.run(_prepare_database(admin_dsn, fresh)):
        return dsn, {"reused": True}
    started = time.perf_counter()
    upgrade(dsn)
    migrated = time.perf_counter()
    print(f"loading the national tree into {DATABASE} …", flush=True)
    summary = asyncio.run(load_national_tree(dsn))
    asyncio.run(_mark_loaded(admin_dsn))
    return dsn, {"reused": False, "migrate_s": round(migrated - started, 1), **summary}


# --- the servers --------------------------------------------------------------------------------------------------


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@dataclass
class Server:
    name: str
    url: str
    process: subprocess.Popen[bytes]
    log: Path
    postmaster: int | None = None


READY_WITHIN = 90  # seconds


async def _wait_ready(server: Server) -> None:
    deadline = time.monotonic() + READY_WITHIN
    async with httpx.AsyncClient(base_url=server.url, trust_env=False, timeout=5) as client:
        while time.monotonic() < deadline:
            if server.process.poll() is not None:
                raise RuntimeError(f"{server.name} exited ({server.process.returncode}); see {server.log}")
            with contextlib.suppress(httpx.TransportError):
                if (await client.get("/readyz")).status_code == 200:
                    return
            await asyncio.sleep(0.2)
    raise RuntimeError(f"{server.name} not ready after {READY_WITHIN} s; see {server.log}")


@contextlib.contextmanager
def serve(name: str, command: list[str], dsn: str) -> Iterator[Server]:
    """Run one server on a free loopback port with DATABASE_URL=dsn until the block ends."""
    port = _free_port()
    log = RESULTS / f"{name}.log"
    env = {**os.environ, "DATABASE_URL": dsn, "COSO_POOL_SIZE": str(POOL_SIZE)}
    with log.open("wb") as out:
        process = subprocess.Popen(
            [*command, "--host", "127.0.0.1", "--port", str(port)],
            env=env,
            cwd=ROOT,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    server = Server(name, f"http://127.0.0.1:{port}", process, log)
    try:
        asyncio.run(_wait_ready(server))
        yield server
    finally:
        process.terminate()
        try:
            process.wait(15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


# --- the load -----------------------------------------------------------------------------------------------------


@dataclass
class Load:
    concurrency: int
    requests: int
    seconds: float
    warmup: int
    client: str = "httpx"


@dataclass
class Stats:
    requests: int
    errors: int
    seconds: float
    rps: float
    p50_ms: float
    p95_ms: float
    p99_ms: float
    cpu: dict[str, int | None] = field(default_factory=dict)


class CpuMeter:
    """CPU used, in % of one core, by this client, the server process, the PostgreSQL server (the postmaster, its
    live children and, through the postmaster's children times, those that ended: parallel workers) and the whole
    machine (all cores: 200 % on two; what none of the three used is someone else's)."""

    def __init__(self, server_pid: int, postmaster_pid: int | None) -> None:
        self.server = psutil.Process(server_pid)
        self.postmaster = psutil.Process(postmaster_pid) if postmaster_pid else None
        self.start = self._sample()

    def _postgres(self) -> float:
        if self.postmaster is None:
            return math.nan
        with contextlib.suppress(psutil.Error):
            own = self.postmaster.cpu_times()
            total = own.user + own.system + own.children_user + own.children_system
            for child in self.postmaster.children():
                with contextlib.suppress(psutil.Error):
                    times = child.cpu_times()
                    total += times.user + times.system
            return total
        return math.nan

    def _sample(self) -> tuple[float, ...]:
        server = self.server.cpu_times()
        machine = psutil.cpu_times()
        return (
            time.perf_counter(),
            time.process_time(),
            server.user + server.system,
            self._postgres(),
            machine.user + machine.nice + machine.system + machine.irq + machine.softirq,
        )

    def stop(self) -> dict[str, int | None]:
        end = self._sample()
        wall = end[0] - self.start[0]
        used = {
            name: 100 * (end[i] - self.start[i]) / wall
            for i, name in enumerate(("client", "server", "postgres", "machine"), 1)
        }
        # Process and machine counters tick separately: a few % below zero is rounding, not a measure.
        used["other"] = max(0.0, used["machine"] - used["client"] - used["server"] - used["postgres"])
        return {name: None if math.isnan(value) else round(value) for name, value in used.items()}


async def postmaster_pid(dsn: str) -> int | None:
    """The PostgreSQL server's main process, when it runs on this machine (for the CPU figures)."""
    conn = await asyncpg.connect(dsn)
    try:
        with contextlib.suppress(psutil.Error):
            return psutil.Process(await conn.fetchval("SELECT pg_backend_pid()")).ppid()
        return None
    finally:
        await conn.close()


def _percentile(sorted_values: list[float], q: float) -> float:
    return sorted_values[min(len(sorted_values) - 1, int(q * len(sorted_values)))]


Get = Callable[[str], Awaitable[int]]  # sends GET <url>, reads the whole answer, returns the status


class RawConnection:
    """A minimal HTTP/1.1 keep-alive client for `--client raw`: writes a GET, reads the head and Content-Length
    bytes of body, nothing more. Costs the client a fraction of httpx's CPU, so that on a small machine the
    client is not what limits the server."""

    def __init__(self, host: str, port: int, token: str) -> None:
        self.head = f"Host: {host}:{port}\r\nAuthorization: Bearer {token}\r\n\r\n"
        self.host, self.port = host, port
        self.streams: tuple[asyncio.StreamReader, asyncio.StreamWriter] | None = None

    async def get(self, url: str) -> int:
        if self.streams is None:
            self.streams = await asyncio.open_connection(self.host, self.port)
        reader, writer = self.streams
        writer.write(f"GET {url} HTTP/1.1\r\n{self.head}".encode())
        head = await reader.readuntil(b"\r\n\r\n")
        lines = head.split(b"\r\n")
        length = next(int(line.split(b":", 1)[1]) for line in lines if line.lower().startswith(b"content-length:"))
        await reader.readexactly(length)
        return int(lines[0].split()[1])

    def close(self) -> None:
        if self.streams is not None:
            self.streams[1].close()


@contextlib.asynccontextmanager
async def clients(server: Server, load: Load, token: str) -> AsyncIterator[list[Get]]:
    """One `get` per worker: a shared httpx.AsyncClient (one keep-alive connection per worker), or raw ones."""
    if load.client == "raw":
        port = int(server.url.rsplit(":", 1)[1])
        connections = [RawConnection("127.0.0.1", port, token) for _ in range(load.concurrency)]
        try:
            yield [c.get for c in connections]
        finally:
            for c in connections:
                c.close()
        return
    limits = httpx.Limits(max_connections=load.concurrency, max_keepalive_connections=load.concurrency)
    async with _http(server, token, limits=limits) as client:

        async def get(url: str) -> int:
            return (await client.get(url)).status_code

        yield [get] * load.concurrency


async def _drive(gets: list[Get], urls: list[str], count: int, seconds: float) -> tuple[list[float], int, float]:
    """`count` requests (or `seconds`), one worker per `get`, cycling through `urls`: latencies, errors, wall."""
    numbers = itertools.count()
    latencies: list[float] = []
    errors = 0
    started = time.perf_counter()
    deadline = started + seconds

    async def worker(get: Get) -> None:
        nonlocal errors
        while (i := next(numbers)) < count and time.perf_counter() < deadline:
            sent = time.perf_counter()
            status = await get(urls[i % len(urls)])
            latencies.append(time.perf_counter() - sent)
            errors += status != 200

    await asyncio.gather(*(worker(get) for get in gets))
    return latencies, errors, time.perf_counter() - started


def _http(server: Server, token: str, **options: Any) -> httpx.AsyncClient:
    """An httpx client for `server` (loopback; proxies in the environment ignored) sending `token`."""
    return httpx.AsyncClient(
        base_url=server.url, trust_env=False, timeout=60, headers={"Authorization": f"Bearer {token}"}, **options
    )


async def measure(server: Server, scenario: "Scenario", load: Load) -> Stats:
    """Warm up, then drive the load (scaled to the scenario's budget); the figures of the measured part only."""
    load = replace(
        load,
        requests=max(load.concurrency * 4, int(load.requests * scenario.budget)),
        warmup=max(load.concurrency, int(load.warmup * scenario.budget)),
    )
    urls = scenario.urls
    async with clients(server, load, scenario.token) as gets:
        await _drive(gets, urls, load.warmup, min(load.seconds / 2, 5))
        meter = CpuMeter(server.process.pid, server.postmaster)
        latencies, errors, wall = await _drive(gets, urls, load.requests, load.seconds)
        cpu = meter.stop()
    ordered = sorted(latencies)
    return Stats(
        requests=len(latencies),
        errors=errors,
        seconds=round(wall, 2),
        rps=round(len(latencies) / wall, 1),
        p50_ms=round(1000 * _percentile(ordered, 0.50), 2),
        p95_ms=round(1000 * _percentile(ordered, 0.95), 2),
        p99_ms=round(1000 * _percentile(ordered, 0.99), 2),
        cpu=cpu,
    )


# --- what is measured ---------------------------------------------------------------------------------------------


@dataclass
class Scenario:
    key: str
    title: str
    urls: list[str]
    token: str  # the API key sent
    compare: bool = False  # the baseline answers it too
    budget: float = 1.0  # share of --requests (slow scenarios get fewer)


@dataclass
class Keys:
    """API keys made for the run with `coso keys create`: a viewer of the whole tree, and one of one province."""

    whole: str
    province: str


def create_key(dsn: str, name: str, scope: str | None = None) -> str:
    command = [str(Path(sys.executable).parent / "coso"), "keys", "create", "--name", name, "--role", "viewer"]
    done = subprocess.run(
        [*command, *(["--scope", scope] if scope else [])],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
        env={**os.environ, "DATABASE_URL": dsn},
    )
    return done.stdout.strip().splitlines()[-1]


@dataclass
class Targets:
    """Units to ask for: evenly spaced in code order through the loaded tree (the same ones on every run)."""

    provinces: list[str]
    committees: list[str]
    communes: list[str]
    leaves: list[str]
    anyone: list[str]
    in_province: list[str]  # units under provinces[0], for the key scoped to it
    sizes: dict[str, Any]


async def pick_targets(dsn: str) -> Targets:
    conn = await asyncpg.connect(dsn)
    try:

        async def ids(where: str, n: int) -> list[str]:
            rows = await conn.fetch(
                f"SELECT o.id FROM organizations o JOIN organization_placements p "  # noqa: S608 - SQL pieces written in this script, no input
                f"ON p.organization_id = o.id WHERE {where} ORDER BY o.code"
            )
            everything = [str(r[0]) for r in rows]
            return everything[:: max(1, len(everything) // n)][:n]

        provinces = await ids("o.kind = 'provincial_committee'", 34)
        committees = await ids("o.kind = 'grassroots_committee'", 200)
        sizes = await conn.fetchrow(
            "SELECT min(n), round(avg(n)), max(n) FROM (SELECT count(*) n FROM organization_placements c "
            "JOIN organization_placements r ON r.depth = 0 AND c.path >= r.path AND c.path < "
            "left(r.path, -1) || '0' GROUP BY r.path) s"
        )
        committee_sizes = await conn.fetchrow(
            "SELECT min(n), round(avg(n), 1), max(n) FROM (SELECT count(*) n FROM organization_placements c "
            "JOIN organization_placements r ON c.path >= r.path AND c.path < left(r.path, -1) || '0' "
            "JOIN organizations o ON o.id = r.organization_id AND o.kind = 'grassroots_committee' "
            "WHERE r.organization_id = ANY($1::uuid[]) GROUP BY r.path) s",
            committees,
        )
        return Targets(
            provinces=provinces,
            committees=committees,
            communes=await ids("o.kind = 'upper_level_committee'", 200),
            leaves=await ids("p.depth >= 4", 200),
            anyone=await ids("true", 1000),
            in_province=await ids(
                f"p.path LIKE (SELECT path FROM organization_placements "  # noqa: S608 - SQL pieces written in this script, no input
                f"WHERE organization_id = '{provinces[0]}') || '%'",
                200,
            ),
            sizes={
                "province_subtree": [float(v) for v in sizes],
                "committee_subtree": [float(v) for v in committee_sizes],
            },
        )
    finally:
        await conn.close()


async def _cursor_pages(server: Server, token: str, provinces: list[str], pages: int) -> list[str]:
    """Pages 2…`pages` of the province subtrees, reached by following next_cursor from page 1."""
    urls = []
    async with _http(server, token) as client:
        for province in provinces:
            url = f"{API}/{province}/subtree?limit=50"
            for _ in range(pages - 1):
                cursor = (await client.get(url)).raise_for_status().json()["next_cursor"]
                url = f"{API}/{province}/subtree?" + str(httpx.QueryParams(limit=50, cursor=cursor))
                urls.append(url)
    return urls


def scenarios(targets: Targets, deep_pages: list[str], keys: Keys) -> list[Scenario]:
    t, whole, scoped = targets, keys.whole, keys.province
    province = t.provinces[0]
    return [
        Scenario("by_id", "GET /{id} (any unit)", [f"{API}/{i}" for i in t.anyone], whole, compare=True),
        Scenario(
            "subtree_province",
            "GET /{province}/subtree?limit=50, page 1",
            [f"{API}/{i}/subtree?limit=50" for i in t.provinces],
            whole,
            compare=True,
            budget=0.5,
        ),
        Scenario(
            "subtree_province_deep",
            "GET /{province}/subtree, pages 2–10 by next_cursor",
            deep_pages,
            whole,
            compare=True,
            budget=0.5,
        ),
        Scenario(
            "subtree_committee",
            "GET /{grassroots committee}/subtree?limit=50",
            [f"{API}/{i}/subtree?limit=50" for i in t.committees],
            whole,
            compare=True,
        ),
        Scenario(
            "within_province",
            "GET ?within={province}&limit=50",
            [f"{API}?within={i}&limit=50" for i in t.provinces],
            whole,
            budget=0.5,
        ),
        Scenario(
            "ancestors_commune",
            "GET /{commune}/ancestors (1 above)",
            [f"{API}/{i}/ancestors" for i in t.communes],
            whole,
            compare=True,
        ),
        Scenario(
            "ancestors_leaf",
            "GET /{leaf}/ancestors (4–5 above)",
            [f"{API}/{i}/ancestors" for i in t.leaves],
            whole,
            compare=True,
        ),
        Scenario(
            "search_nguyen_trai",
            "GET ?q=nguyen trai&limit=50 (~300 matches)",
            [f"{API}?q=nguyen%20trai&limit=50"],
            whole,
            budget=0.5,
        ),
        Scenario(
            "search_xa_an", "GET ?q=xa an&limit=50 (~700 matches)", [f"{API}?q=xa%20an&limit=50"], whole, budget=0.5
        ),
        Scenario(
            "search_nguyen_trai_within",
            "GET ?q=nguyen trai&within={province}&limit=50",
            [f"{API}?q=nguyen%20trai&within={i}&limit=50" for i in t.provinces],
            whole,
            budget=0.5,
        ),
        Scenario(
            "search_chi_bo",
            "GET ?q=chi bo&limit=50 (~300,000 matches: worst case)",
            [f"{API}?q=chi%20bo&limit=50"],
            whole,
            budget=0.05,
        ),
        Scenario(
            "scoped_by_id",
            "GET /{id}, key scoped to the unit's province",
            [f"{API}/{i}" for i in t.in_province],
            scoped,
        ),
        Scenario(
            "scoped_subtree_province",
            "GET /{province}/subtree?limit=50, key scoped to that province",
            [f"{API}/{province}/subtree?limit=50"],
            scoped,
            budget=0.5,
        ),
        Scenario(
            "scoped_search_xa_an",
            "GET ?q=xa an&limit=50, key scoped to one province",
            [f"{API}?q=xa%20an&limit=50"],
            scoped,
            budget=0.5,
        ),
    ]


# --- checks -------------------------------------------------------------------------------------------------------


def _normalise(sql: str) -> str:
    return " ".join(sql.split())


async def sql_drift() -> list[str]:
    """Which baseline statements no longer match what the service generates (empty: the copy is current)."""
    from explain_queries import Recorder

    record, everything = Recorder(), WHOLE_TREE
    probe = "/1a/2b/"
    expected: dict[str, str] = {}
    try:
        await service_sql.get_placed(record, uuid.uuid4(), scope=everything, as_of=None)
        expected["PLACED"] = record.sql
        await service_sql.list_organizations(
            record, service_sql.ListQuery(within_path=probe, limit=51), scope=everything
        )
        expected["SUBTREE_FIRST"] = record.sql
        await service_sql.list_organizations(
            record, service_sql.ListQuery(within_path=probe, after_path=probe, limit=5), scope=everything
        )
        expected["SUBTREE_AFTER"] = record.sql
        await service_sql.ancestors(record, "/11/12/13/", scope=everything, as_of=None)
        expected["ANCESTORS"] = record.sql
        await service_sql.get_organization(record, scope=everything, as_of=None, org_id=uuid.uuid4())
        expected["BY_ID"] = record.sql
    except TypeError as exc:  # the service's read functions changed shape: the check itself needs updating
        return [f"(not checked: {exc})"]
    return [name for name, sql in expected.items() if _normalise(sql) != _normalise(getattr(baseline, name))]


async def same_answers(coso: Server, base: Server, checks: list[Scenario]) -> bool:
    """The baseline's items are the service's, byte for byte (the cursors differ by design)."""
    async with _http(coso, checks[0].token) as ours_client, _http(base, checks[0].token) as theirs_client:
        for check in checks:
            ours, theirs = await ours_client.get(check.urls[0]), await theirs_client.get(check.urls[0])
            if ours.status_code != 200 or ours.status_code != theirs.status_code:
                return False
            if ours.json().get("items", ours.json()) != theirs.json().get("items", theirs.json()):
                return False
    return True


# --- the run ------------------------------------------------------------------------------------------------------

CLIENT_BOUND = 85  # % of a core: above this, the client may be what limits the figures
BUSY = 25  # % of a core used by other processes meanwhile: above this, the figures are disturbed


def _marks(cpu: dict[str, Any]) -> str:
    client_bound = (cpu.get("client") or 0) >= CLIENT_BOUND
    return (" †" if client_bound else "") + (" ‡" if (cpu.get("other") or 0) >= BUSY else "")


def run_scenarios(coso: Server, all_scenarios: list[Scenario], load: Load) -> dict[str, Stats]:
    results = {}
    for scenario in all_scenarios:
        results[scenario.key] = stats = asyncio.run(measure(coso, scenario, load))
        print(
            f"  {scenario.key:28} p50 {stats.p50_ms:8.2f} ms  p95 {stats.p95_ms:8.2f} ms  "
            f"{stats.rps:8.1f} req/s  cpu {stats.cpu}",
            flush=True,
        )
    return results


def compare(
    coso: Server, base: Server, all_scenarios: list[Scenario], load: Load, rounds: int
) -> dict[str, dict[str, Any]]:
    """Alternate coso and the baseline, `rounds` times per query; medians of requests/s, p50 and CPU."""
    results: dict[str, dict[str, Any]] = {}
    for scenario in (s for s in all_scenarios if s.compare):
        runs: dict[str, list[Stats]] = {"coso": [], "baseline": []}
        for _ in range(rounds):
            for server in (coso, base):
                runs[server.name].append(asyncio.run(measure(server, scenario, load)))
        row: dict[str, Any] = {
            name: {
                "rps": statistics.median(s.rps for s in stats),
                "p50_ms": statistics.median(s.p50_ms for s in stats),
                "errors": sum(s.errors for s in stats),
                "cpu": {k: statistics.median(s.cpu[k] or 0 for s in stats) for k in stats[0].cpu},
                "rounds_rps": [s.rps for s in stats],
            }
            for name, stats in runs.items()
        }
        row["ratio"] = round(row["coso"]["rps"] / row["baseline"]["rps"], 2)
        results[scenario.key] = row
        print(
            f"  {scenario.key:28} coso {row['coso']['rps']:8.1f} req/s  baseline "
            f"{row['baseline']['rps']:8.1f} req/s  ratio {row['ratio']:.2f}",
            flush=True,
        )
    return results


def _cpu(cpu: dict[str, Any]) -> str:
    return " / ".join("–" if cpu.get(k) is None else f"{cpu[k]:.0f}" for k in ("client", "server", "postgres", "other"))


def markdown(
    all_scenarios: list[Scenario],
    stats: dict[str, Stats],
    compared: dict[str, dict[str, Any]],
    setting: str,
    drift: list[str],
) -> str:
    """The two tables, ready for the README; † and ‡ mark figures the client or other work may have limited."""
    lines = [
        setting,
        "",
        "| query | p50 ms | p95 ms | p99 ms | req/s | requests | errors | CPU % client / server / postgres / other |",
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: | --- |",
    ]
    for s in all_scenarios:
        r = stats[s.key]
        lines.append(
            f"| {s.title} | {r.p50_ms:.1f} | {r.p95_ms:.1f} | {r.p99_ms:.1f} | {r.rps:.0f}{_marks(r.cpu)} | "
            f"{r.requests} | {r.errors} | {_cpu(r.cpu)} |"
        )
    if drift:
        lines += [
            "",
            f"**The baseline's SQL differs from the service's ({', '.join(drift)}): the ratios below compare "
            "different queries; copy the SQL into bench/baseline.py again.**",
        ]
    lines += [
        "",
        "| query | coso req/s | baseline req/s | coso / baseline (goal ≥ 0.6) | coso p50 ms | "
        "baseline p50 ms | server CPU % coso / baseline |",
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for s in all_scenarios:
        if s.key in compared:
            c = compared[s.key]
            verdict = "" if c["ratio"] >= 0.6 else " ✗"
            lines.append(
                f"| {s.title} | {c['coso']['rps']:.0f}{_marks(c['coso']['cpu'])} | "
                f"{c['baseline']['rps']:.0f}{_marks(c['baseline']['cpu'])} | "
                f"{c['ratio']:.2f}{verdict} | {c['coso']['p50_ms']:.1f} | {c['baseline']['p50_ms']:.1f} | "
                f"{c['coso']['cpu']['server']:.0f} / {c['baseline']['cpu']['server']:.0f} |"
            )
    lines += [
        "",
        f"† the client used ≥ {CLIENT_BOUND} % of a core: the server may do more than this (for the "
        "baseline, the ratio then flatters coso); `--client raw` loads harder.",
        f"‡ other processes used ≥ {BUSY} % of a core meanwhile: the figure is low by about that much.",
    ]
    return "\n".join(lines)


async def _server_facts(dsn: str) -> dict[str, Any]:
    conn = await asyncpg.connect(dsn)
    try:
        return {
            "postgres": await conn.fetchval("SHOW server_version"),
            "shared_buffers": await conn.fetchval("SHOW shared_buffers"),
            "work_mem": await conn.fetchval("SHOW work_mem"),
            "units": await tree_loaded(conn),
        }
    finally:
        await conn.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--concurrency", type=int, default=8, help="client workers (connections)")
    parser.add_argument("--requests", type=int, default=2000, help="measured requests per scenario (at most)")
    parser.add_argument("--seconds", type=float, default=10, help="measured seconds per scenario (at most)")
    parser.add_argument("--warmup", type=int, default=200, help="requests before measuring")
    parser.add_argument(
        "--client",
        choices=["httpx", "raw"],
        default="httpx",
        help="httpx.AsyncClient, or a minimal keep-alive HTTP/1.1 client that costs less CPU",
    )
    parser.add_argument("--rounds", type=int, default=3, help="alternating coso/baseline rounds per query")
    parser.add_argument("--fresh", action="store_true", help="drop coso_bench and load it again")
    parser.add_argument(
        "--data-dir",
        type=Path,
        default=BENCH / ".data",
        help="embedded PostgreSQL cluster (unless DATABASE_URL is set)",
    )
    parser.add_argument("--tmp", action="store_true", help="a throwaway embedded cluster in a temporary directory")
    args = parser.parse_args()
    load = Load(args.concurrency, args.requests, args.seconds, args.warmup, args.client)
    RESULTS.mkdir(exist_ok=True)

    with contextlib.ExitStack() as stack:
        data_dir = args.data_dir
        if args.tmp:
            data_dir = Path(tempfile.mkdtemp(prefix="coso-bench-"))
            # Registered before the server's own exit hook, so it runs after it (LIFO): the cluster is gone then.
            atexit.register(shutil.rmtree, data_dir, ignore_errors=True)
        admin = server_dsn(data_dir, throwaway=args.tmp)
        dsn, loaded = bench_database(admin, fresh=args.fresh)
        facts = asyncio.run(_server_facts(dsn))
        print(f"database: {facts} load: {loaded}", flush=True)
        targets = asyncio.run(pick_targets(dsn))
        bin_dir = Path(sys.executable).parent
        coso = stack.enter_context(serve("coso", [str(bin_dir / "coso"), "serve"], dsn))
        base = stack.enter_context(serve("baseline", [sys.executable, str(BENCH / "baseline.py")], dsn))
        coso.postmaster = base.postmaster = asyncio.run(postmaster_pid(dsn))
        stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S")
        keys = Keys(
            whole=create_key(dsn, f"bench-{stamp}"),
            province=create_key(dsn, f"bench-{stamp}-province", scope=targets.provinces[0]),
        )
        deep = asyncio.run(_cursor_pages(coso, keys.whole, targets.provinces[:5], pages=10))
        all_scenarios = scenarios(targets, deep, keys)
        drift = asyncio.run(sql_drift())
        same = asyncio.run(same_answers(coso, base, [s for s in all_scenarios if s.compare]))
        print(f"coso: measuring {len(all_scenarios)} scenarios, {load}", flush=True)
        stats = run_scenarios(coso, all_scenarios, load)
        print(f"coso vs baseline: {args.rounds} alternating rounds", flush=True)
        compared = compare(coso, base, all_scenarios, load, args.rounds)

    setting = (
        f"{facts['units']:,} units; {load.concurrency} connections ({load.client} client), ≤ {load.requests} "
        f"requests or {load.seconds:g} s per query; one uvicorn worker, pool {POOL_SIZE}; PostgreSQL "
        f"{facts['postgres']}; {os.cpu_count()} cores shared by client, server and PostgreSQL. Province "
        "subtrees hold {:,.0f}–{:,.0f} units (mean {:,.0f}); grassroots committee subtrees {:.0f}–{:.0f}.".format(
            *targets.sizes["province_subtree"][::2],
            targets.sizes["province_subtree"][1],
            *targets.sizes["committee_subtree"][::2],
        )
    )
    table = markdown(all_scenarios, stats, compared, setting, drift)
    print("\n" + table)
    if drift:
        print(f"\nWARNING: the baseline's SQL no longer matches the service's for {drift}: copy it again.")
    if not same:
        print("\nWARNING: the baseline's answers differ from the service's.")
    report = {
        "generated_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": {
            "cpus": os.cpu_count(),
            "python": platform.python_version(),
            "platform": platform.platform(),
            **facts,
        },
        "load": asdict(load),
        "rounds": args.rounds,
        "pool_size": POOL_SIZE,
        "dataset": loaded,
        "targets": targets.sizes,
        "baseline_sql_drift": drift,
        "baseline_same_answers": same,
        "scenarios": {s.key: {"title": s.title, **asdict(stats[s.key])} for s in all_scenarios},
        "comparison": compared,
        "markdown": table,
    }
    (RESULTS / "org_tree.json").write_text(json.dumps(report, indent=2, ensure_ascii=False) + "\n")
    print(f"\nwritten: {RESULTS / 'org_tree.json'}")


if __name__ == "__main__":
    main()
