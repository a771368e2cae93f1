"""Conventions every endpoint shares: request ids, problem+json errors, body limits, probes, cursors, NFC text and
accent-insensitive search."""

import unicodedata
from collections.abc import AsyncIterator

import asyncpg
import httpx
import pytest

from app.db.migrations import head_revision
from app.main import create_app
from app.settings import Settings
from tests.support.builders import ClientWith, CountRows, CreateOrg, InsertKey
from tests.support.problems import assert_problem

API = "/api/v1/organizations"


# --- request ids ---------------------------------------------------------------------------------------------


async def test_request_id_is_echoed(client: httpx.AsyncClient) -> None:
    response = await client.get("/healthz", headers={"X-Request-ID": "trace-42.a:b_c"})
    assert response.headers["x-request-id"] == "trace-42.a:b_c"


@pytest.mark.parametrize("given", [None, "", "x" * 300, "two words", "line\nbreak", "<script>"])
async def test_request_id_is_made_up_when_absent_or_insane(client: httpx.AsyncClient, given: str | None) -> None:
    headers = {} if given is None else {"X-Request-ID": given}  # over ASGI, even a newline reaches the app
    first = await client.get("/healthz", headers=headers)
    second = await client.get("/healthz", headers=headers)
    made_up = first.headers["x-request-id"]
    assert made_up != given
    assert 8 <= len(made_up) <= 128 and made_up.isalnum()
    assert second.headers["x-request-id"] != made_up, "each request gets a fresh id"


async def test_problems_carry_the_request_id(client: httpx.AsyncClient) -> None:
    response = await client.get(f"{API}/not-a-uuid", headers={"X-Request-ID": "req-7"})
    body = assert_problem(response, 422, "validation_error")
    assert body["request_id"] == "req-7"
    assert response.headers["x-request-id"] == "req-7"


# --- errors are problems ------------------------------------------------------------------------------------


@pytest.mark.parametrize("path", ["/nowhere", "/api/v1/nowhere", "/api/v2/organizations"])
async def test_unknown_route_is_a_404_problem(client: httpx.AsyncClient, path: str) -> None:
    body = assert_problem(await client.get(path), 404)
    assert body["instance"] == path
    assert "/api/v1" in body["detail"]


async def test_unsupported_method_is_a_405_problem(client: httpx.AsyncClient) -> None:
    assert_problem(await client.delete(API), 405)


async def test_query_validation_error_names_the_field(client: httpx.AsyncClient) -> None:
    body = assert_problem(await client.get(API, params={"limit": 0}), 422, "validation_error")
    assert [e["field"] for e in body["errors"]] == ["query.limit"]
    assert all(e["message"] for e in body["errors"])
    assert "query.limit" in body["detail"]


async def test_body_validation_error_names_each_field(
    client: httpx.AsyncClient, db_pool: asyncpg.Pool, count_rows: CountRows
) -> None:
    response = await client.post(API, json={"code": "X1", "kind": "politburo", "valid_from": "yesterday"})
    body = assert_problem(response, 422, "validation_error")
    fields = {e["field"] for e in body["errors"]}
    assert fields == {"body.name", "body.kind", "body.valid_from"}, body["errors"]
    assert await count_rows("organizations") == 0


async def test_unknown_body_field_is_refused(client: httpx.AsyncClient) -> None:
    response = await client.post(API, json={"code": "X1", "name": "X", "kind": "provincial_committee", "colour": "red"})
    body = assert_problem(response, 422, "validation_error")
    assert [e["field"] for e in body["errors"]] == ["body.colour"]


async def test_malformed_json_is_a_400_problem(client: httpx.AsyncClient) -> None:
    response = await client.post(API, content=b'{"code": ', headers={"Content-Type": "application/json"})
    body = assert_problem(response, 400, "invalid_json")
    assert "char 9" in body["detail"]


@pytest.mark.parametrize("cursor", ["%%%not-base64%%%", "bm90IGpzb24", "eyJrIjoib3RoZXIifQ"])
async def test_invalid_cursor_is_a_400_problem(client: httpx.AsyncClient, cursor: str) -> None:
    assert_problem(await client.get(API, params={"cursor": cursor}), 400, "invalid_cursor")


async def test_cursor_of_another_query_is_refused(client: httpx.AsyncClient, create_org: CreateOrg) -> None:
    for code in ("P1", "P2"):
        await create_org(client, code, "provincial_committee")
    first = (await client.get(API, params={"limit": 1})).json()
    assert first["next_cursor"]
    following = await client.get(API, params={"limit": 1, "cursor": first["next_cursor"]})
    assert following.status_code == 200
    other = await client.get(API, params={"limit": 1, "cursor": first["next_cursor"], "kind": "provincial_committee"})
    assert_problem(other, 400, "invalid_cursor")


# --- request body limit -------------------------------------------------------------------------------------


@pytest.fixture
async def small_body_client(
    database_url: str, db_pool: asyncpg.Pool, client_with: ClientWith, insert_key: InsertKey
) -> AsyncIterator[httpx.AsyncClient]:
    app = create_app(
        Settings(database_url=database_url, max_body_bytes=1000, json_logs=False), database_url=database_url
    )
    token = await insert_key(name="small body admin")
    async with app.router.lifespan_context(app), client_with(app, token) as client:
        yield client


def _org_body(name_length: int) -> dict[str, str]:
    return {"code": "BIG", "name": "N" * name_length, "kind": "provincial_committee"}


async def test_body_over_the_limit_is_a_413_problem(
    small_body_client: httpx.AsyncClient, db_pool: asyncpg.Pool, count_rows: CountRows
) -> None:
    response = await small_body_client.post(
        API, json={**_org_body(200), "note": "x" * 1500}, headers={"X-Request-ID": "big-1"}
    )
    body = assert_problem(response, 413, "body_too_large")
    assert body["request_id"] == "big-1"
    assert response.headers["x-request-id"] == "big-1"
    assert await count_rows("organizations") == 0


async def test_streamed_body_over_the_limit_is_a_413_problem(
    small_body_client: httpx.AsyncClient, db_pool: asyncpg.Pool, count_rows: CountRows
) -> None:
    async def chunks() -> AsyncIterator[bytes]:  # no Content-Length: the limit is enforced while reading
        yield b'{"code": "BIG", "kind": "provincial_committee", "name": "'
        for _ in range(10):
            yield b"N" * 200
        yield b'"}'

    response = await small_body_client.post(API, content=chunks(), headers={"Content-Type": "application/json"})
    assert_problem(response, 413, "body_too_large")
    assert await count_rows("organizations") == 0


async def test_body_under_the_limit_is_accepted(small_body_client: httpx.AsyncClient) -> None:
    response = await small_body_client.post(API, json=_org_body(200))
    assert response.status_code == 201, response.text


# --- probes -------------------------------------------------------------------------------------------------


async def test_healthz(client: httpx.AsyncClient) -> None:
    response = await client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


async def test_readyz_names_the_migration_head(client: httpx.AsyncClient) -> None:
    response = await client.get("/readyz")
    assert response.status_code == 200
    assert response.json() == {"status": "ready", "migration": head_revision()}


async def test_readyz_is_503_when_the_schema_is_not_at_head(client: httpx.AsyncClient, db_pool: asyncpg.Pool) -> None:
    head = await db_pool.fetchval("SELECT version_num FROM alembic_version")
    assert head == head_revision()
    try:
        await db_pool.execute("UPDATE alembic_version SET version_num = 'some_other_revision'")
        body = assert_problem(await client.get("/readyz"), 503, "not_ready")
        assert "some_other_revision" in body["detail"] and head in body["detail"]
    finally:
        await db_pool.execute("UPDATE alembic_version SET version_num = $1", head)
    assert (await client.get("/readyz")).status_code == 200


# --- Vietnamese text ----------------------------------------------------------------------------------------


async def test_names_sent_decomposed_are_stored_precomposed(
    client: httpx.AsyncClient, db_pool: asyncpg.Pool, create_org: CreateOrg
) -> None:
    name = "Chi bộ Thôn Đông"
    decomposed = unicodedata.normalize("NFD", name)
    assert decomposed != name
    province = await create_org(client, "HY", "provincial_committee")
    created = await create_org(client, "HY-CB1", "grassroots_cell", province, name=decomposed)
    assert created["name"] == name
    read = (await client.get(f"{API}/{created['id']}")).json()
    assert read["name"] == name
    assert await db_pool.fetchval("SELECT name FROM organizations WHERE code = 'HY-CB1'") == name
    found = (await client.get(API, params={"q": decomposed})).json()["items"]
    assert [o["code"] for o in found] == ["HY-CB1"]


async def test_search_ignores_accents_and_ranks_exact_matches_first(
    client: httpx.AsyncClient, create_org: CreateOrg
) -> None:
    province = await create_org(client, "HY", "provincial_committee", name="Đảng bộ tỉnh Hưng Yên")
    # Created first, so tree order alone would put the partial match ahead of the exact one.
    partial = await create_org(client, "HY-X1", "upper_level_committee", province, name="Đảng bộ xã Đông Hưng")
    await create_org(client, "HY-X2", "upper_level_committee", province, name="Đảng bộ xã Tây Sơn")
    exact = await create_org(client, "HY-X3", "upper_level_committee", province, name="Đông Hưng")

    async def codes(q: str) -> list[str]:
        response = await client.get(API, params={"q": q})
        assert response.status_code == 200, response.text
        return [o["code"] for o in response.json()["items"]]

    assert sorted(await codes("dong")) == [partial["code"], exact["code"]]
    assert await codes("Đông Hưng") == [exact["code"], partial["code"]]
    assert await codes("dong hung") == [exact["code"], partial["code"]]
    assert await codes("ĐÔNG HƯNG") == [exact["code"], partial["code"]]
    assert await codes("tay son") == ["HY-X2"]
    assert await codes("hy-x2") == ["HY-X2"]
    assert await codes("Bắc Ninh") == []
