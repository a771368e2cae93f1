"""Member import end to end (issue 13): a generated CSV uploaded to the real service as a background job, from the
first byte sent to the job committed (indicators fresh: the refresh runs in the job's commits), with the resident
memory of the service and of the worker sampled throughout.

What it does, in order:
 1. A fresh database (`coso_bench_import_<random>` on DATABASE_URL's server or the embedded one in bench/.data),
    migrated, with the demo province (`coso demo-data`). Dropped at the end (`--keep` keeps it).
 2. The service (`coso serve`, its in-process worker off) and one `coso worker` process, as a deployment runs them,
    and an admin key with pii.
 3. The CSV of bench/import_members.py (`--rows`, default 100,000; written to a temporary file), uploaded streamed
    with `Prefer: respond-async`, `mode=commit`, `atomic=false` (and `--atomic` for all or nothing); the job polled
    every 0.2 s until it ends. Then the same file again: every row `unchanged`.
 4. Per pass: upload seconds, queue wait, job seconds (started → finished), end-to-end rows/s, the counts, and the
    peak RSS of the service and of the worker. A markdown table, and bench/results/import_jobs.json.

Run: `.venv/bin/python bench/import_jobs.py` (or `--rows 20000` for a quick run).
"""

import argparse
import asyncio
import contextlib
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
from exports import PeakRss, admin_key
from import_members import cells_of, drop_database, fresh_database, generate
from org_tree import BENCH, RESULTS, serve, server_dsn

from app.db.migrations import upgrade
from app.demo.load import load_demo_data

API = "/api/v1"


@dataclass
class Pass:
    name: str
    rows: int
    upload_s: float
    queued_s: float
    job_s: float
    total_s: float
    rows_per_second: float
    counts: dict[str, int]
    service_rss_peak_mb: float
    worker_rss_peak_mb: float


def _chunks(path: Path) -> Iterator[bytes]:
    with path.open("rb") as file:
        while chunk := file.read(1 << 20):
            yield chunk


def _seconds(job: dict[str, Any], start: str, end: str) -> float:
    if not job.get(start) or not job.get(end):
        return 0.0
    return (datetime.fromisoformat(job[end]) - datetime.fromisoformat(job[start])).total_seconds()


def one_pass(name: str, url: str, token: str, path: Path, rows: int, atomic: bool, pids: tuple[int, int]) -> Pass:
    headers = {"Authorization": f"Bearer {token}", "Content-Type": "text/csv", "Prefer": "respond-async"}
    params = {"mode": "commit", "atomic": str(atomic).lower()}
    with (
        PeakRss(pids[0]) as service,
        PeakRss(pids[1]) as worker,
        httpx.Client(base_url=url, trust_env=False, timeout=600) as client,
    ):
        started = time.perf_counter()
        answer = client.post(f"{API}/members/import", params=params, headers=headers, content=_chunks(path))
        uploaded = time.perf_counter()
        if answer.status_code != 202:
            raise RuntimeError(f"{name}: {answer.status_code} {answer.text[:500]}")
        location = answer.headers["location"]
        while True:
            job = client.get(location, headers={"Authorization": f"Bearer {token}"}).json()
            if job["status"] in ("succeeded", "failed", "cancelled"):
                break
            time.sleep(0.2)
        finished = time.perf_counter()
    rejected = atomic and (job.get("problem") or {}).get("type", "").endswith(":import_rejected")
    if job["status"] != "succeeded" and not rejected:  # an atomic file with bad rows: all done, then rolled back
        raise RuntimeError(f"{name}: the job ended {job['status']}: {job.get('problem')}")
    return Pass(
        name=name,
        rows=rows,
        upload_s=round(uploaded - started, 1),
        queued_s=round(_seconds(job, "created_at", "started_at"), 1),
        job_s=round(_seconds(job, "started_at", "finished_at"), 1),
        total_s=round(finished - started, 1),
        rows_per_second=round(rows / (finished - started)),
        counts=job["counts"],
        service_rss_peak_mb=round(service.peak / 2**20, 1),
        worker_rss_peak_mb=round(worker.peak / 2**20, 1),
    )


@contextlib.contextmanager
def worker_process(dsn: str) -> Iterator[subprocess.Popen[bytes]]:
    log = RESULTS / "import_jobs_worker.log"
    with log.open("wb") as out:
        process = subprocess.Popen(
            [str(Path(sys.executable).parent / "coso"), "worker"],
            env={**os.environ, "DATABASE_URL": dsn},
            stdout=out,
            stderr=subprocess.STDOUT,
        )
        try:
            yield process
        finally:
            process.terminate()
            process.wait(timeout=30)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=100_000, help="rows in the file (default 100,000)")
    parser.add_argument("--atomic", action="store_true", help="all or nothing (one transaction for the whole job)")
    parser.add_argument("--keep", action="store_true", help="keep the database it created")
    parser.add_argument("--out", type=Path, default=RESULTS / "import_jobs.json", help="the JSON report")
    parser.add_argument("--data-dir", type=Path, default=BENCH / ".data", help="embedded PostgreSQL cluster")
    args = parser.parse_args()
    RESULTS.mkdir(exist_ok=True)
    admin = server_dsn(args.data_dir)
    name, dsn = asyncio.run(fresh_database(admin))
    passes: list[Pass] = []
    try:
        upgrade(dsn)
        print(asyncio.run(load_demo_data(dsn)), flush=True)
        cells = asyncio.run(cells_of(dsn))
        with tempfile.TemporaryDirectory() as scratch:
            path = Path(scratch) / "members.csv"
            path.write_bytes(generate(args.rows, cells))
            print(f"{args.rows:,} rows, {path.stat().st_size / 1e6:.1f} MB", flush=True)
            os.environ["COSO_WORKER_IN_SERVE"] = "false"
            with (
                serve("coso", [str(Path(sys.executable).parent / "coso"), "serve"], dsn) as coso,
                worker_process(dsn) as worker,
            ):
                token = admin_key(dsn)
                pids = (coso.process.pid, worker.pid)
                for label in ("create", "again (unchanged)"):
                    figure = one_pass(label, coso.url, token, path, args.rows, args.atomic, pids)
                    print(figure, flush=True)
                    passes.append(figure)
    finally:
        if not args.keep:
            asyncio.run(drop_database(admin, name))
    lines = [
        "| pass | rows | upload s | queued s | job s | total s | rows/s | created | unchanged | failed "
        "| service RSS MB | worker RSS MB |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
        *(
            f"| {p.name} | {p.rows:,} | {p.upload_s} | {p.queued_s} | {p.job_s} | {p.total_s} | {p.rows_per_second:,} "
            f"| {p.counts.get('created', 0):,} | {p.counts.get('unchanged', 0):,} | {p.counts.get('failed', 0):,} "
            f"| {p.service_rss_peak_mb} | {p.worker_rss_peak_mb} |"
            for p in passes
        ),
    ]
    print("\n" + "\n".join(lines))
    args.out.write_text(
        json.dumps(
            {
                "generated_at": datetime.now(UTC).isoformat(timespec="seconds"),
                "machine": {
                    "cpus": os.cpu_count(),
                    "python": platform.python_version(),
                    "platform": platform.platform(),
                },
                "atomic": args.atomic,
                "passes": [asdict(p) for p in passes],
            },
            indent=2,
            ensure_ascii=False,
        )
        + "\n"
    )


if __name__ == "__main__":
    main()
