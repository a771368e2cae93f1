"""`Idempotency-Key` as a client retrying over a bad network sees it: one resource however often (or however
concurrently) the write is sent, the first answer again, 422 for the key reused on another request, 409 while the
first still runs, and a failed request that leaves its key free."""

import asyncio
import uuid
from typing import Any

import asyncpg
import httpx
from fastapi import FastAPI

from app.db.idempotency.queries import LOCK_CLASS
from app.main import create_app
from app.settings import Settings
from tests.support.builders import API, ClientWith, CountRows, CreateOrg, InsertKey
from tests.support.jobs import CSV, URL, generated_csv
from tests.support.problems import assert_problem

ORGS = f"{API}/organizations"


def province(code: str = "P", **extra: Any) -> dict[str, Any]:
    return {"code": code, "name": f"Đảng bộ tỉnh {code}", "kind": "provincial_committee", **extra}


def keyed(key: str) -> dict[str, str]:
    return {"Idempotency-Key": key}


async def test_the_same_post_twice_creates_one_resource_and_answers_the_same(
    client: httpx.AsyncClient, count_rows: CountRows
) -> None:
    first = await client.post(ORGS, json=province(), headers=keyed("create-P-1"))
    assert first.status_code == 201, first.text
    assert "idempotent-replayed" not in first.headers
    second = await client.post(ORGS, json=province(), headers=keyed("create-P-1"))
    assert second.status_code == 201, second.text
    assert second.headers["idempotent-replayed"] == "true"
    assert second.content == first.content
    assert second.headers["location"] == first.headers["location"]
    assert second.headers["etag"] == first.headers["etag"]
    assert second.headers["content-type"] == first.headers["content-type"]
    assert second.headers["x-request-id"] != first.headers["x-request-id"], "the retry is a request of its own"
    assert await count_rows("organizations") == 1
    # Without a key, the same body is a new request: a duplicate code.
    assert_problem(await client.post(ORGS, json=province()), 409, "duplicate_code")


async def test_concurrent_retries_do_the_work_once(client: httpx.AsyncClient, count_rows: CountRows) -> None:
    answers = await asyncio.gather(
        *(client.post(ORGS, json=province("C"), headers=keyed("concurrent")) for _ in range(5))
    )
    done = [a for a in answers if a.status_code == 201]
    waiting = [a for a in answers if a.status_code == 409]
    assert len(done) + len(waiting) == 5, [a.text for a in answers]
    assert done, "at least the first does the work"
    assert len({a.content for a in done}) == 1, "every 201 is the one answer"
    assert sum(1 for a in done if "idempotent-replayed" not in a.headers) == 1, "exactly one did the work"
    for answer in waiting:
        assert_problem(answer, 409, "idempotency_key_in_flight")
        assert answer.headers["retry-after"] == "1"
    assert await count_rows("organizations") == 1
    # Once the first has committed, a retry gets its answer.
    retry = await client.post(ORGS, json=province("C"), headers=keyed("concurrent"))
    assert retry.status_code == 201 and retry.content == done[0].content


async def test_a_retry_while_the_first_runs_is_told_to_retry(
    client: httpx.AsyncClient, db_pool: asyncpg.Pool, count_rows: CountRows
) -> None:
    """The first request holds its key (as a running one does): the second neither waits nor does the work."""
    first = await client.post(ORGS, json=province("R"), headers=keyed("held"))
    assert first.status_code == 201
    caller = await db_pool.fetchval("SELECT caller FROM idempotency_keys WHERE key = 'held'")
    async with db_pool.acquire() as conn, conn.transaction():
        # The lock a request holds while it runs (app/db/idempotency/queries.py), taken as a running one would.
        await conn.execute("SELECT pg_advisory_xact_lock($1, hashtext($2 || chr(31) || 'other'))", LOCK_CLASS, caller)
        held = await asyncio.wait_for(client.post(ORGS, json=province("S"), headers=keyed("other")), timeout=5)
    assert_problem(held, 409, "idempotency_key_in_flight")
    assert held.headers["retry-after"] == "1"
    assert await count_rows("organizations") == 1
    after = await client.post(ORGS, json=province("S"), headers=keyed("other"))
    assert after.status_code == 201, after.text


async def test_the_key_reused_on_another_request_is_refused(client: httpx.AsyncClient, count_rows: CountRows) -> None:
    assert (await client.post(ORGS, json=province("A"), headers=keyed("k"))).status_code == 201
    other_body = assert_problem(await client.post(ORGS, json=province("B"), headers=keyed("k")), 422)
    assert other_body["type"] == "urn:coso:problem:idempotency_key_reused"
    assert "another body" in other_body["detail"]
    member = await client.post(f"{API}/members", json={"full_name": "X"}, headers=keyed("k"))
    problem = assert_problem(member, 422, "idempotency_key_reused")
    assert f"POST {ORGS}" in problem["detail"] and f"POST {API}/members" in problem["detail"]
    assert await count_rows("organizations") == 1


async def test_keys_are_the_callers_own(
    client: httpx.AsyncClient, client_with: ClientWith, app: FastAPI, insert_key: InsertKey, count_rows: CountRows
) -> None:
    assert (await client.post(ORGS, json=province("A"), headers=keyed("shared"))).status_code == 201
    async with client_with(app, await insert_key(name="another")) as other:
        answer = await other.post(ORGS, json=province("B"), headers=keyed("shared"))
        assert answer.status_code == 201, answer.text
        assert "idempotent-replayed" not in answer.headers
    assert await count_rows("organizations") == 2


async def test_a_failed_request_leaves_its_key_free(
    client: httpx.AsyncClient, create_org: CreateOrg, count_rows: CountRows
) -> None:
    invalid = await client.post(ORGS, json={"code": "A", "kind": "provincial_committee"}, headers=keyed("fix-me"))
    assert_problem(invalid, 422, "validation_error")
    await create_org(client, "DUP", "provincial_committee")
    clash = await client.post(ORGS, json=province("DUP"), headers=keyed("fix-me-too"))
    assert_problem(clash, 409, "duplicate_code")
    # Corrected and sent again with the same keys: done, and kept.
    fixed = await client.post(ORGS, json=province("A"), headers=keyed("fix-me"))
    assert fixed.status_code == 201, fixed.text
    renamed = await client.post(ORGS, json=province("DUP2"), headers=keyed("fix-me-too"))
    assert renamed.status_code == 201, renamed.text
    assert await count_rows("organizations") == 3
    assert await count_rows("idempotency_keys") == 2


async def test_an_expired_key_is_a_new_one(
    client: httpx.AsyncClient, db_pool: asyncpg.Pool, count_rows: CountRows
) -> None:
    assert (await client.post(ORGS, json=province("A"), headers=keyed("old"))).status_code == 201
    await db_pool.execute("UPDATE idempotency_keys SET expires_at = now() - interval '1 second'")
    again = await client.post(ORGS, json=province("B"), headers=keyed("old"))
    assert again.status_code == 201, again.text
    assert "idempotent-replayed" not in again.headers
    assert await count_rows("organizations") == 2
    assert await db_pool.fetchval("SELECT path FROM idempotency_keys WHERE key = 'old'") == ORGS


async def test_expired_keys_are_swept_by_later_writes(
    client: httpx.AsyncClient, db_pool: asyncpg.Pool, count_rows: CountRows
) -> None:
    for code in ("A", "B"):
        assert (await client.post(ORGS, json=province(code), headers=keyed(code))).status_code == 201
    await db_pool.execute("UPDATE idempotency_keys SET expires_at = now() - interval '1 hour'")
    assert (await client.post(ORGS, json=province("C"), headers=keyed("C"))).status_code == 201
    assert [r["key"] for r in await db_pool.fetch("SELECT key FROM idempotency_keys")] == ["C"]


async def test_a_kept_answer_survives_a_restart(
    settings: Settings, database_url: str, client_with: ClientWith, insert_key: InsertKey, count_rows: CountRows
) -> None:
    """A new process on the same database: the key was kept in PostgreSQL."""
    token = await insert_key(name="restarting")
    fresh = create_app(settings, database_url=database_url)
    async with fresh.router.lifespan_context(fresh):
        async with client_with(fresh, token) as first_life:
            first = await first_life.post(ORGS, json=province(), headers=keyed("across-restarts"))
    assert first.status_code == 201
    again = create_app(settings, database_url=database_url)
    async with again.router.lifespan_context(again):
        async with client_with(again, token) as second_life:
            second = await second_life.post(ORGS, json=province(), headers=keyed("across-restarts"))
    assert second.status_code == 201 and second.headers["idempotent-replayed"] == "true"
    assert second.content == first.content
    assert await count_rows("organizations") == 1


async def test_an_import_job_submitted_twice_is_one_job(
    client: httpx.AsyncClient, communes: dict[str, Any], count_rows: CountRows
) -> None:
    body = generated_csv(3, "A-DU-CB")
    headers = {"Content-Type": CSV, "Prefer": "respond-async", **keyed("import-1")}
    first = await client.post(URL, content=body, headers=headers, params={"mode": "commit"})
    assert first.status_code == 202, first.text
    second = await client.post(URL, content=body, headers=headers, params={"mode": "commit"})
    assert second.status_code == 202 and second.headers["idempotent-replayed"] == "true"
    assert second.json()["id"] == first.json()["id"]
    assert second.headers["location"] == first.headers["location"] == f"{API}/jobs/{first.json()['id']}"
    assert second.headers["preference-applied"] == "respond-async"
    assert await count_rows("import_jobs") == 1
    other_file = await client.post(URL, content=generated_csv(4, "A-DU-CB"), headers=headers, params={"mode": "commit"})
    assert_problem(other_file, 422, "idempotency_key_reused")
    assert await count_rows("import_jobs") == 1


async def test_a_streamed_upload_is_fingerprinted_whole(
    client: httpx.AsyncClient, communes: dict[str, Any], count_rows: CountRows
) -> None:
    """The body arrives in chunks: its digest is of all of them (a change in the last chunk is another body)."""
    rows = generated_csv(50, "A-DU-CB")

    async def chunks(data: bytes) -> Any:
        for start in range(0, len(data), 100):
            yield data[start : start + 100]

    headers = {"Content-Type": CSV, "Prefer": "respond-async", **keyed("chunked")}
    first = await client.post(URL, content=chunks(rows), headers=headers)
    assert first.status_code == 202, first.text
    same = await client.post(URL, content=chunks(rows), headers=headers)
    assert same.status_code == 202 and same.json()["id"] == first.json()["id"]
    changed = rows[:-2] + b"9\n"
    assert_problem(await client.post(URL, content=chunks(changed), headers=headers), 422, "idempotency_key_reused")
    assert await count_rows("import_jobs") == 1


async def test_an_invalid_key_is_refused(client: httpx.AsyncClient, count_rows: CountRows) -> None:
    for key in (b"", b"x" * 256, "clé".encode(), b"a\x01b"):
        answer = await client.post(ORGS, json=province(), headers={b"Idempotency-Key": key})
        assert_problem(answer, 400, "invalid_idempotency_key")
    assert await count_rows("organizations") == 0
    ok = await client.post(ORGS, json=province(), headers=keyed("x" * 255))
    assert ok.status_code == 201


async def test_reads_ignore_the_header(client: httpx.AsyncClient) -> None:
    answer = await client.get(ORGS, headers={b"Idempotency-Key": "not a key é".encode()})
    assert answer.status_code == 200
    assert "idempotent-replayed" not in answer.headers


async def test_put_patch_and_delete_take_a_key(client: httpx.AsyncClient, create_org: CreateOrg) -> None:
    unit = await create_org(client, "P", "provincial_committee")
    url = f"{ORGS}/{unit['id']}"
    first = await client.patch(url, json={"name": "Đảng bộ tỉnh Mới"}, headers=keyed("rename"))
    assert first.status_code == 200, first.text
    # Someone else renames it since: the retry still answers the first rename, and changes nothing.
    assert (await client.patch(url, json={"name": "Đảng bộ tỉnh Khác"})).status_code == 200
    retry = await client.patch(url, json={"name": "Đảng bộ tỉnh Mới"}, headers=keyed("rename"))
    assert retry.content == first.content and retry.headers["idempotent-replayed"] == "true"
    assert (await client.get(url)).json()["name"] == "Đảng bộ tỉnh Khác"
    assert str(uuid.UUID(unit["id"])) == unit["id"]


async def test_a_delete_retried_answers_its_first_204(
    client: httpx.AsyncClient, create_org: CreateOrg, count_rows: CountRows
) -> None:
    """Without the key, the retry of a delete that was done is a 404; with it, the first answer."""
    unit = await create_org(client, "P", "provincial_committee")
    targets = f"{API}/indicators/members_rated_good/targets"
    target = await client.post(
        targets, json={"organization_id": unit["id"], "year_from": 2024, "comparator": "gte", "value": 80}
    )
    assert target.status_code == 201, target.text
    url = f"{targets}/{target.json()['id']}"
    first = await client.delete(url, headers=keyed("drop-target"))
    assert first.status_code == 204
    retry = await client.delete(url, headers=keyed("drop-target"))
    assert retry.status_code == 204 and retry.headers["idempotent-replayed"] == "true" and retry.content == b""
    assert_problem(await client.delete(url), 404)
    assert await count_rows("indicator_targets") == 0
