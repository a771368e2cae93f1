"""THE kill test (issue 13): a real `coso worker` process SIGKILLed in the middle of a job, another one started. A
per-row job resumes after its last committed batch and ends with counts equal to what is in the database, no row
written twice; an all-or-nothing job has nothing of the first attempt, then everything."""

import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.support.builders import CountRows
from tests.support.jobs import CSV, URL, generated_csv, wait_for

ROWS = 1_000
WORKER_ENV = {"COSO_JOB_HEARTBEAT_SECONDS": "1", "COSO_JOB_BATCH_ROWS": "50", "COSO_JSON_LOGS": "false"}


@contextmanager
def coso_worker(database_url: str, log: Path) -> Iterator[subprocess.Popen[bytes]]:
    """A `coso worker` process on the test database, ready when it says so; killed at the end whatever happened."""
    with log.open("wb") as out:
        process = subprocess.Popen(
            [sys.executable, "-m", "app.cli", "worker"],
            env={**os.environ, "DATABASE_URL": database_url, **WORKER_ENV},
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    try:
        deadline = time.monotonic() + 30
        while b"worker ready" not in log.read_bytes():
            if process.poll() is not None or time.monotonic() > deadline:
                pytest.fail(f"coso worker did not start:\n{log.read_text()}")
            time.sleep(0.05)
        yield process
    finally:
        if process.poll() is None:
            process.kill()
        process.wait()


async def distinct_names(client: httpx.AsyncClient, count_rows: CountRows) -> tuple[int, int]:
    """(members, distinct names): equal when no row was written twice."""
    members = await count_rows("members")
    pool = client._transport.app.state.pool  # type: ignore[attr-defined]
    names: int = await pool.fetchval("SELECT count(DISTINCT full_name) FROM members")
    return members, names


@pytest.mark.parametrize("atomic", ["false", "true"])
async def test_a_killed_worker_never_half_applies_a_job(
    client: httpx.AsyncClient,
    communes: dict[str, Any],
    count_rows: CountRows,
    database_url: str,
    tmp_path: Path,
    atomic: str,
) -> None:
    response = await client.post(
        URL,
        content=generated_csv(ROWS, "A-DU-CB"),
        headers={"Content-Type": CSV, "Prefer": "respond-async"},
        params={"mode": "commit", "atomic": atomic},
    )
    assert response.status_code == 202, response.text
    job_id = response.json()["id"]
    with coso_worker(database_url, tmp_path / "first.log") as first:
        midway = await wait_for(client, job_id, until="midway", seconds=120)
        assert midway["status"] == "running" and 0 < midway["rows_done"] < ROWS, midway
        first.send_signal(signal.SIGKILL)
        first.wait()
    after_kill = (await client.get(f"/api/v1/jobs/{job_id}")).json()
    members, names = await distinct_names(client, count_rows)
    if atomic == "true":
        assert members == 0, "an atomic job's first attempt left rows behind"
    else:
        # exactly the committed batches: the job's counts and checkpoint say what the database holds
        assert members == names == after_kill["counts"]["created"] == after_kill["rows_done"] > 0
        assert members % 50 == 0 and members < ROWS
    with coso_worker(database_url, tmp_path / "second.log"):
        done = await wait_for(client, job_id, seconds=180)
    assert done["status"] == "succeeded", done
    assert done["attempts"] == 2
    assert done["counts"] == {"rows": ROWS, "created": ROWS, "updated": 0, "unchanged": 0, "failed": 0}
    assert await distinct_names(client, count_rows) == (ROWS, ROWS)
