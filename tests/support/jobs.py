"""Background jobs in tests: a worker in the test process, waiting for a job to end, and generated member files."""

import asyncio
import time
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest

from app.settings import Settings
from app.worker import start_worker

FINAL = ("succeeded", "failed", "cancelled")
URL = "/api/v1/members/import"
CSV = "text/csv"
HEADER = "full_name,gender,birth_date,status,organization,admission_decision_date\n"


def generated_csv(count: int, cell: str, *, bad_every: int = 0, prefix: str = "Người") -> bytes:
    """`count` distinct members of `cell` (names and birth dates differ); every `bad_every`-th row has an
    impossible birth date."""
    lines = [HEADER]
    for i in range(1, count + 1):
        day = "31/02/1990" if bad_every and i % bad_every == 0 else f"{1 + i % 28:02d}/{1 + i % 12:02d}/{1960 + i % 30}"
        lines.append(f"{prefix} số {i},Nam,{day},official,{cell},01/01/2015\n")
    return "".join(lines).encode()


async def wait_for(
    client: httpx.AsyncClient, job_id: str, *, seconds: float = 60, until: str = "ended"
) -> dict[str, Any]:
    """The job once it has ended (`until="ended"`) or has committed some rows but not all (`until="midway"`)."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        job: dict[str, Any] = (await client.get(f"/api/v1/jobs/{job_id}")).json()
        if job["status"] in FINAL or (until == "midway" and job["rows_done"] > 0):
            return job
        await asyncio.sleep(0.05)
    pytest.fail(f"job {job_id} was not {until} within {seconds} s")


async def all_errors(client: httpx.AsyncClient, job_id: str, *, limit: int = 2) -> list[dict[str, Any]]:
    """Every error of a job, page after page (a small page: the cursor is exercised)."""
    found: list[dict[str, Any]] = []
    cursor: str | None = None
    while True:
        params: dict[str, Any] = {"limit": limit, **({"cursor": cursor} if cursor else {})}
        page = (await client.get(f"/api/v1/jobs/{job_id}/errors", params=params)).json()
        found += page["items"]
        cursor = page["next_cursor"]
        if cursor is None:
            return found


@pytest.fixture
async def worker(settings: Settings, database_url: str) -> AsyncIterator[None]:
    """A job worker in the test process (as `coso serve` runs one), batches of 2 rows."""
    running = await start_worker(database_url, settings.model_copy(update={"job_batch_rows": 2}))
    try:
        yield
    finally:
        await running.stop()
