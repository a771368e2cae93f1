"""Export benchmark: GET /api/v1/members?format=csv|xlsx of a million members (issue 13), rows/s and the service's
peak resident memory while it streams.

What it does, in order:
 1. The database of bench/org_tree.py (coso_bench: the national tree) with the members of
    bench/national_members.py in it (`--members`, default 1,000,000; reused while the tree, the generator and the
    count are unchanged, as bench/members.py does).
 2. The real service as a subprocess (`coso serve`, one uvicorn worker) and an API key (admin of the whole tree,
    with pii: the export with every column, the heaviest one).
 3. For each format (and header style), one download of the whole list, read as it arrives; the service's resident
    memory (RSS, its process and children) sampled every 50 ms meanwhile. Printed: rows, MB, seconds, rows/s,
    time to the first byte, RSS before and at its peak.
 4. A markdown table on stdout; everything in bench/results/exports.json.

Run: `.venv/bin/python bench/exports.py` (or `--members 200000` for a quick run).
"""

import argparse
import contextlib
import json
import os
import platform
import subprocess
import sys
import threading
import time
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path

import httpx
import psutil
from members import bench_members
from org_tree import BENCH, RESULTS, ROOT, bench_database, serve, server_dsn

API = "/api/v1/members"


def admin_key(dsn: str) -> str:
    name = f"bench-exports-{datetime.now(UTC).strftime('%Y%m%dT%H%M%S')}"
    command = [str(Path(sys.executable).parent / "coso"), "keys", "create", "--name", name, "--role", "admin", "--pii"]
    done = subprocess.run(
        command, cwd=ROOT, capture_output=True, text=True, check=True, env={**os.environ, "DATABASE_URL": dsn}
    )
    return done.stdout.strip().splitlines()[-1]


class PeakRss:
    """The largest resident set of a process and its children, sampled on a thread until stopped."""

    def __init__(self, pid: int) -> None:
        self.process = psutil.Process(pid)
        self.peak = self.now()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)

    def now(self) -> int:
        processes = [self.process, *self.process.children(recursive=True)]
        total = 0
        for process in processes:
            with contextlib.suppress(psutil.NoSuchProcess):
                total += process.memory_info().rss
        return total

    def _sample(self) -> None:
        while not self._stop.wait(0.05):
            self.peak = max(self.peak, self.now())

    def __enter__(self) -> "PeakRss":
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()


@dataclass
class Figure:
    format: str
    headers: str
    rows: int
    megabytes: float
    seconds: float
    rows_per_second: float
    first_byte_ms: float
    rss_before_mb: float
    rss_peak_mb: float


def download(url: str, token: str, fmt: str, headers: str, rows: int, pid: int) -> Figure:
    params = {"format": fmt, "headers": headers}
    size = 0
    first: float | None = None
    with (
        PeakRss(pid) as rss,
        httpx.Client(base_url=url, trust_env=False, timeout=3600) as client,
    ):
        before = rss.peak
        started = time.perf_counter()
        with client.stream("GET", API, params=params, headers={"Authorization": f"Bearer {token}"}) as answer:
            if answer.status_code != 200:
                raise RuntimeError(f"{fmt}: {answer.status_code} {answer.read()[:500]!r}")
            for chunk in answer.iter_raw(1 << 20):
                first = first or time.perf_counter()
                size += len(chunk)
        seconds = time.perf_counter() - started
    return Figure(
        format=fmt,
        headers=headers,
        rows=rows,
        megabytes=round(size / 1e6, 1),
        seconds=round(seconds, 1),
        rows_per_second=round(rows / seconds),
        first_byte_ms=round(((first or started) - started) * 1000, 1),
        rss_before_mb=round(before / 2**20, 1),
        rss_peak_mb=round(rss.peak / 2**20, 1),
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--members", type=int, default=1_000_000, help="members to load (default: one million)")
    parser.add_argument("--formats", nargs="*", default=["csv", "xlsx", "ndjson"])
    parser.add_argument("--fresh", action="store_true", help="drop coso_bench and load tree and members again")
    parser.add_argument("--out", type=Path, default=RESULTS / "exports.json", help="the JSON report")
    parser.add_argument("--data-dir", type=Path, default=BENCH / ".data", help="embedded PostgreSQL cluster")
    args = parser.parse_args()
    RESULTS.mkdir(exist_ok=True)
    figures: list[Figure] = []
    with contextlib.ExitStack() as stack:
        admin = server_dsn(args.data_dir)
        dsn, tree = bench_database(admin, fresh=args.fresh)
        loaded = bench_members(dsn, args.members, fresh=args.fresh)
        print(f"tree: {tree}\nmembers: {loaded}", flush=True)
        coso = stack.enter_context(serve("coso", [str(Path(sys.executable).parent / "coso"), "serve"], dsn))
        token = admin_key(dsn)
        for fmt in args.formats:
            for headers in ("vi", "en") if fmt != "ndjson" else ("en",):
                figure = download(coso.url, token, fmt, headers, args.members, coso.process.pid)
                print(figure, flush=True)
                figures.append(figure)
    lines = [
        "| format | headers | rows | MB | s | rows/s | first byte ms | RSS before MB | RSS peak MB |",
        "|---|---|---:|---:|---:|---:|---:|---:|---:|",
        *(
            f"| {f.format} | {f.headers} | {f.rows:,} | {f.megabytes:,} | {f.seconds} | {f.rows_per_second:,} | "
            f"{f.first_byte_ms} | {f.rss_before_mb} | {f.rss_peak_mb} |"
            for f in figures
        ),
    ]
    print("\n" + "\n".join(lines))
    report = {
        "generated_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": {"cpus": os.cpu_count(), "python": platform.python_version(), "platform": platform.platform()},
        "members": loaded,
        "figures": [asdict(f) for f in figures],
    }
    args.out.write_text(json.dumps(report, indent=2, ensure_ascii=False) + "\n")


if __name__ == "__main__":
    main()
