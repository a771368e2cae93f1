"""Background import jobs, seen as a user sees them: 202 and a job to follow, the same report as an answer at once,
per-row and atomic, validate, cancel, errors paged, and nobody else's job visible. The worker runs in the test
process (fixture `worker`); tests/jobs/test_worker_kill.py kills a real one."""

import re
from typing import Any

import asyncpg
import httpx
from fastapi import FastAPI

from app.main import create_app
from app.settings import Settings
from app.worker import start_worker
from tests.support.builders import ClientWith, CountRows, InsertKey
from tests.support.jobs import CSV, URL, all_errors, generated_csv, wait_for
from tests.support.problems import assert_problem

ASYNC = {"Content-Type": CSV, "Prefer": "respond-async"}


def with_bad_rows(cell: str) -> bytes:
    """Seven rows, two of them bad (an impossible date; the same name and birth date as row 1)."""
    body = generated_csv(6, cell, bad_every=4)
    return body + f"Người số 1,Nam,02/02/1961,official,{cell},01/01/2015\n".encode()


def without_ids(errors: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """A possible duplicate's message names the record it met: a validation's rolled-back one differs each time."""
    uuid = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")
    return [{**e, "message": uuid.sub("<id>", e["message"])} for e in errors]


async def submit(client: httpx.AsyncClient, body: bytes, **params: str) -> dict[str, Any]:
    response = await client.post(URL, content=body, headers=ASYNC, params=params)
    assert response.status_code == 202, response.text
    job: dict[str, Any] = response.json()
    assert response.headers["location"] == f"/api/v1/jobs/{job['id']}"
    assert response.headers["preference-applied"] == "respond-async"
    return job


async def test_respond_async_runs_a_job_with_the_report_of_an_answer_at_once(
    client: httpx.AsyncClient, communes: dict[str, Any], worker: None, count_rows: CountRows
) -> None:
    """mode=validate: the job's counts and errors are those of the synchronous report of the same file; nothing
    is written."""
    body = with_bad_rows("A-DU-CB")
    at_once = await client.post(URL, content=body, headers={"Content-Type": CSV})
    assert at_once.status_code == 200, at_once.text
    report = at_once.json()
    assert report["counts"]["failed"] == 2
    job = await submit(client, body)
    assert job["status"] == "queued" and job["mode"] == "validate" and job["atomic"] is True
    done = await wait_for(client, job["id"])
    assert done["status"] == "succeeded", done
    assert done["counts"] == report["counts"] and done["committed"] is report["committed"] is False
    assert (done["rows_total"], done["rows_done"], done["rows_failed"]) == (7, 7, 2)
    assert without_ids(await all_errors(client, job["id"])) == without_ids(report["errors"])
    assert await count_rows("members") == 0


async def test_a_file_over_the_size_of_an_answer_at_once_is_a_job(
    settings: Settings,
    database_url: str,
    client_with: ClientWith,
    insert_key: InsertKey,
    communes: dict[str, Any],
    worker: None,
    count_rows: CountRows,
) -> None:
    """Over COSO_IMPORT_SYNC_MAX_BYTES: 202 without asking; per-row commit writes the good rows."""
    app = create_app(settings.model_copy(update={"import_sync_max_bytes": 200}), database_url=database_url)
    token = await insert_key(name="small sync admin")
    body = with_bad_rows("A-DU-CB")
    assert len(body) > 200
    async with app.router.lifespan_context(app), client_with(app, token) as small:
        response = await small.post(
            URL, content=body, headers={"Content-Type": CSV}, params={"mode": "commit", "atomic": "false"}
        )
        assert response.status_code == 202, response.text
        assert "preference-applied" not in response.headers
        done = await wait_for(small, response.json()["id"])
        audit = (await small.get("/api/v1/audit", params={"entity": "member"})).json()["items"]
    assert done["status"] == "succeeded" and done["committed"] is True
    assert done["counts"] == {"rows": 7, "created": 5, "updated": 0, "unchanged": 0, "failed": 2}
    assert await count_rows("members") == 5
    # every write is traced to its job and to the records of its batch (batches of 2 here)
    assert sorted(e["request_id"] for e in audit) == [
        f"job:{done['id']}:{batch}" for batch in ("1-2", "1-2", "3-4", "5-6", "5-6")
    ]


async def test_an_atomic_job_with_a_bad_row_fails_and_writes_nothing(
    client: httpx.AsyncClient, communes: dict[str, Any], worker: None, count_rows: CountRows
) -> None:
    job = await submit(client, with_bad_rows("A-DU-CB"), mode="commit", atomic="true")
    done = await wait_for(client, job["id"])
    assert done["status"] == "failed" and done["committed"] is False
    assert done["problem"]["type"] == "urn:coso:problem:import_rejected"
    assert done["counts"]["failed"] == 2 and done["counts"]["created"] == 5
    assert [(e["record"], e["rule"]) for e in await all_errors(client, job["id"])] == [
        (4, "invalid_date"),
        (7, "possible_duplicate"),
    ]
    assert await count_rows("members") == 0
    good = await submit(client, generated_csv(5, "A-DU-CB"), mode="commit", atomic="true")
    ended = await wait_for(client, good["id"])
    assert ended["status"] == "succeeded" and ended["committed"] is True
    assert await count_rows("members") == 5


async def test_a_queued_job_is_cancelled_at_once_and_a_finished_one_is_a_conflict(
    client: httpx.AsyncClient, communes: dict[str, Any], count_rows: CountRows
) -> None:
    """No worker runs here: the job stays queued until cancelled."""
    job = await submit(client, generated_csv(3, "A-DU-CB"), mode="commit")
    cancelled = await client.post(f"/api/v1/jobs/{job['id']}/cancel")
    assert cancelled.status_code == 200, cancelled.text
    assert cancelled.json()["status"] == "cancelled" and cancelled.json()["finished_at"] is not None
    assert_problem(await client.post(f"/api/v1/jobs/{job['id']}/cancel"), 409, "job_finished")
    listed = (await client.get("/api/v1/jobs", params={"status": "cancelled"})).json()["items"]
    assert [j["id"] for j in listed] == [job["id"]]
    assert (await client.get("/api/v1/jobs", params={"status": "queued"})).json()["items"] == []


async def test_a_running_job_stops_at_its_next_batch(
    client: httpx.AsyncClient, communes: dict[str, Any], worker: None, count_rows: CountRows
) -> None:
    """Per-row: the committed batches stay (and are what the job counts); all or nothing: nothing stays."""
    for atomic in ("false", "true"):
        before = await count_rows("members")
        job = await submit(client, generated_csv(400, "A-DU-CB", prefix=f"Hủy {atomic}"), mode="commit", atomic=atomic)
        assert (await wait_for(client, job["id"], until="midway"))["status"] == "running"
        assert (await client.post(f"/api/v1/jobs/{job['id']}/cancel")).status_code == 200
        done = await wait_for(client, job["id"])
        assert done["status"] == "cancelled", done
        written = await count_rows("members") - before
        if atomic == "false":
            assert 0 < written < 400 and written == done["counts"]["created"] == done["rows_done"]
        else:
            assert written == 0


async def test_a_job_is_its_submitters_and_the_admins(
    app: FastAPI,
    client: httpx.AsyncClient,
    communes: dict[str, Any],
    client_with: ClientWith,
    insert_key: InsertKey,
) -> None:
    editor = await insert_key(role="editor", name="submitter")
    other = await insert_key(role="editor", name="someone else")
    async with client_with(app, editor) as mine:
        job = await submit(mine, generated_csv(3, "A-DU-CB"))
        assert (await mine.get(f"/api/v1/jobs/{job['id']}")).status_code == 200
        assert [j["id"] for j in (await mine.get("/api/v1/jobs")).json()["items"]] == [job["id"]]
    async with client_with(app, other) as theirs:
        seen = await theirs.get(f"/api/v1/jobs/{job['id']}")
        random = await theirs.get("/api/v1/jobs/0b8f7a6e-0000-4000-8000-000000000000")
        assert_problem(seen, 404, "job_not_found")
        assert seen.json()["detail"].replace(job["id"], "?") == random.json()["detail"].replace(
            "0b8f7a6e-0000-4000-8000-000000000000", "?"
        )
        assert_problem(await theirs.post(f"/api/v1/jobs/{job['id']}/cancel"), 404, "job_not_found")
        assert_problem(await theirs.get(f"/api/v1/jobs/{job['id']}/errors"), 404, "job_not_found")
        assert (await theirs.get("/api/v1/jobs")).json()["items"] == []
    admin = await client.get(f"/api/v1/jobs/{job['id']}")
    assert admin.status_code == 200 and admin.json()["created_by"] == job["created_by"]


async def test_a_job_refuses_what_an_answer_at_once_refuses(
    client: httpx.AsyncClient, communes: dict[str, Any], count_rows: CountRows
) -> None:
    """The media type before anything is stored; an empty upload; nothing of either is kept."""
    wrong = await client.post(URL, content=b"x", headers={"Content-Type": "text/plain", "Prefer": "respond-async"})
    assert_problem(wrong, 415, "unsupported_media_type")
    empty = await client.post(URL, content=b"", headers=ASYNC)
    assert_problem(empty, 422, "unreadable_file")
    assert await count_rows("import_jobs") == 0 and await count_rows("pgqueuer") == 0


async def test_a_job_whose_worker_died_too_often_fails_and_says_why(
    client: httpx.AsyncClient,
    communes: dict[str, Any],
    db_pool: asyncpg.Pool,
    settings: Settings,
    database_url: str,
    count_rows: CountRows,
) -> None:
    """Started COSO_JOB_MAX_ATTEMPTS times already (the attempts are counted at each start: as if its worker had
    been killed each time), the next start fails it, and nothing is written."""
    job = await submit(client, generated_csv(3, "A-DU-CB"), mode="commit", atomic="false")
    await db_pool.execute("UPDATE import_jobs SET attempts = 3, status = 'running' WHERE id = $1", job["id"])
    running = await start_worker(database_url, settings)
    try:
        done = await wait_for(client, job["id"])
    finally:
        await running.stop()
    assert done["status"] == "failed" and done["attempts"] == 4
    assert done["problem"]["type"] == "urn:coso:problem:job_abandoned"
    assert await count_rows("members") == 0
