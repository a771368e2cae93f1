"""Who may call, what they see, and what is recorded: keys, JWTs, roles, scopes, the audit log."""

import time
from datetime import UTC, datetime, timedelta
from typing import Any

import asyncpg
import httpx
import jwt
from fastapi import FastAPI

from tests.support.builders import ClientWith, InsertKey, Snapshot
from tests.support.problems import assert_problem

API = "/api/v1/organizations"
OLD = "2020-01-01"


async def test_no_or_bad_credentials_get_401(
    anonymous: httpx.AsyncClient, app: FastAPI, db_pool: asyncpg.Pool, client_with: ClientWith, insert_key: InsertKey
) -> None:
    response = await anonymous.get(API)
    assert_problem(response, 401, "unauthenticated")
    assert response.headers["www-authenticate"].startswith("Bearer")
    for token in ("coso_000000000000_nope", "garbage", "a.b.c"):
        async with client_with(app, token) as c:
            assert_problem(await c.get(API), 401, "unauthenticated")
    expired = await insert_key(role="viewer", expires_at=datetime.now(UTC) - timedelta(seconds=1))
    async with client_with(app, expired) as c:
        assert_problem(await c.get(API), 401, "unauthenticated")
    # a right key id with a wrong secret
    good = await insert_key(role="viewer")
    async with client_with(app, good[:-3] + "xyz") as c:
        assert_problem(await c.get(API), 401, "unauthenticated")
    assert (await anonymous.get("/healthz")).status_code == 200


async def test_roles(
    app: FastAPI,
    db_pool: asyncpg.Pool,
    communes: dict[str, dict[str, Any]],
    client_with: ClientWith,
    insert_key: InsertKey,
) -> None:
    viewer = await insert_key(role="viewer")
    editor = await insert_key(role="editor")
    auditor = await insert_key(role="auditor")
    a, b = communes["A"], communes["B"]
    async with client_with(app, viewer) as c:
        assert (await c.get(f"{API}/{a['id']}")).status_code == 200
        assert_problem(
            await c.post(API, json={"code": "N", "name": "N", "kind": "grassroots_cell", "parent_id": a["id"]}),
            403,
            "forbidden",
        )
        assert_problem(await c.patch(f"{API}/{a['id']}", json={"name": "X"}), 403, "forbidden")
        assert_problem(await c.get("/api/v1/audit"), 403, "forbidden")
    async with client_with(app, editor) as c:
        assert (await c.patch(f"{API}/{a['id']}", json={"name": "Đảng bộ xã A mới"})).status_code == 200
        assert_problem(await c.post("/api/v1/keys", json={"name": "k", "role": "viewer"}), 403, "forbidden")
        assert_problem(await c.post(f"{API}/{communes['A-DU']['id']}/move", json={"parent_id": b["id"]}), 403)
        assert_problem(
            await c.post(f"{API}/merge", json={"source_ids": [a["id"], b["id"]], "into": {"code": "AB", "name": "AB"}}),
            403,
        )
        assert_problem(await c.post(f"{API}/{a['id']}/dissolve", json={}), 403)
        assert_problem(await c.get("/api/v1/keys"), 403)
    async with client_with(app, auditor) as c:
        assert (await c.get("/api/v1/audit")).status_code == 200
        assert_problem(await c.patch(f"{API}/{a['id']}", json={"name": "X"}), 403)


async def test_key_lifecycle_through_the_api(
    client: httpx.AsyncClient,
    app: FastAPI,
    db_pool: asyncpg.Pool,
    communes: dict[str, dict[str, Any]],
    client_with: ClientWith,
) -> None:
    created = await client.post(
        "/api/v1/keys", json={"name": "Xã A app", "role": "viewer", "scopes": [communes["A"]["id"]]}
    )
    assert created.status_code == 201, created.text
    body = created.json()
    token = body["key"]
    assert token.startswith("coso_") and body["scopes"] == [communes["A"]["id"]]
    stored = await db_pool.fetchrow("SELECT * FROM api_keys WHERE id = $1", body["id"])
    assert token not in repr(dict(stored)) and token.split("_", 2)[2].encode() not in stored["secret_hash"]
    listing = (await client.get("/api/v1/keys")).json()["items"]
    assert all("key" not in k and "secret_hash" not in k for k in listing)
    assert (await client.get(f"/api/v1/keys/{body['id']}")).json()["name"] == "Xã A app"
    async with client_with(app, token) as c:
        assert (await c.get(f"{API}/{communes['A']['id']}")).status_code == 200
        revoked = await client.post(f"/api/v1/keys/{body['id']}/revoke")
        assert revoked.status_code == 200 and revoked.json()["revoked_at"]
        assert_problem(await c.get(f"{API}/{communes['A']['id']}"), 401)
    last_used = await db_pool.fetchval("SELECT last_used_at FROM api_keys WHERE id = $1", body["id"])
    assert last_used is not None
    bad = await client.post(
        "/api/v1/keys", json={"name": "x", "role": "viewer", "scopes": ["0b8f7a6e-0000-4000-8000-000000000000"]}
    )
    assert_problem(bad, 422, "unknown_scope")


async def test_scoped_admin_cannot_hand_out_more_than_it_has(
    app: FastAPI,
    db_pool: asyncpg.Pool,
    communes: dict[str, dict[str, Any]],
    client_with: ClientWith,
    insert_key: InsertKey,
) -> None:
    admin_a = await insert_key(role="admin", scopes=[communes["A"]["id"]], pii=False)
    async with client_with(app, admin_a) as c:
        assert_problem(await c.post("/api/v1/keys", json={"name": "k", "role": "viewer"}), 403)
        # A unit outside its scope is answered like one that does not exist.
        outside = assert_problem(
            await c.post("/api/v1/keys", json={"name": "k", "role": "viewer", "scopes": [communes["B"]["id"]]}),
            422,
            "unknown_scope",
        )
        random_id = "0b8f7a6e-0000-4000-8000-000000000000"
        missing = assert_problem(
            await c.post("/api/v1/keys", json={"name": "k", "role": "viewer", "scopes": [random_id]}),
            422,
            "unknown_scope",
        )
        assert outside["detail"].replace(communes["B"]["id"], random_id) == missing["detail"]
        assert_problem(
            await c.post(
                "/api/v1/keys", json={"name": "k", "role": "viewer", "pii": True, "scopes": [communes["A-DU"]["id"]]}
            ),
            403,
        )
        ok = await c.post("/api/v1/keys", json={"name": "k", "role": "viewer", "scopes": [communes["A-DU"]["id"]]})
        assert ok.status_code == 201, ok.text
        visible = [k["name"] for k in (await c.get("/api/v1/keys")).json()["items"]]
        assert sorted(visible) == ["k", "test key"]  # its own key and the one it made; not the whole-tree admin's


async def _ids(c: httpx.AsyncClient, url: str, **params: Any) -> set[str]:
    response = await c.get(url, params=params)
    assert response.status_code == 200, response.text
    return {i["id"] for i in response.json()["items"]}


async def test_commune_key_sees_nothing_of_another_commune(
    app: FastAPI,
    db_pool: asyncpg.Pool,
    communes: dict[str, dict[str, Any]],
    client_with: ClientWith,
    insert_key: InsertKey,
    snapshot: Snapshot,
) -> None:
    token = await insert_key(role="admin", scopes=[communes["A"]["id"]])
    mine = {communes[k]["id"] for k in ("A", "A-DU", "A-DU-CB")}
    theirs = {k: communes[k] for k in ("P", "B", "B-DU", "B-DU-CB")}
    async with client_with(app, token) as c:
        for code, unit in theirs.items():
            for url in (
                f"{API}/{unit['id']}",
                f"{API}/by_code/{code}",
                f"{API}/{unit['id']}/children",
                f"{API}/{unit['id']}/ancestors",
                f"{API}/{unit['id']}/subtree",
                f"{API}/{unit['id']}/lineage",
                f"{API}/{unit['id']}?as_of=2021-01-01",
            ):
                assert_problem(await c.get(url), 404)
        assert_problem(await c.get(f"{API}/by_external_id/csdl:B-DU"), 404)
        assert (await c.get(f"{API}/by_external_id/csdl:A-DU")).status_code == 200
        assert await _ids(c, API) == mine
        assert await _ids(c, API, as_of="2021-01-01") == mine
        assert await _ids(c, API, q="Đảng bộ") == {communes["A"]["id"], communes["A-DU"]["id"]}
        assert await _ids(c, API, q="B") <= mine
        assert await _ids(c, API, kind="upper_level_committee") == {communes["A"]["id"]}
        assert await _ids(c, API, parent_id=communes["P"]["id"]) == {communes["A"]["id"]}
        assert await _ids(c, API, parent_id=communes["B"]["id"]) == set()
        assert_problem(await c.get(API, params={"within": communes["B"]["id"]}), 422, "within_not_found")
        assert await _ids(c, f"{API}/{communes['A-DU-CB']['id']}/ancestors") == {
            communes["A"]["id"],
            communes["A-DU"]["id"],
        }
        assert await _ids(c, f"{API}/{communes['A']['id']}/subtree") == mine
        # writes: to B, or moving A's unit to B, or under P
        before = await snapshot()
        assert_problem(await c.patch(f"{API}/{communes['B']['id']}", json={"name": "X"}), 404)
        assert_problem(
            await c.post(
                API, json={"code": "N", "name": "N", "kind": "grassroots_cell", "parent_id": communes["B"]["id"]}
            ),
            422,
            "parent_not_found",
        )
        assert_problem(await c.post(API, json={"code": "N", "name": "N", "kind": "provincial_committee"}), 403)
        # A parent outside the scope is answered like one that does not exist, as on creation.
        assert_problem(
            await c.post(f"{API}/{communes['A-DU']['id']}/move", json={"parent_id": communes["B"]["id"]}),
            422,
            "parent_not_found",
        )
        assert_problem(
            await c.post(f"{API}/{communes['B-DU']['id']}/move", json={"parent_id": communes["A"]["id"]}), 404
        )
        assert_problem(
            await c.post(
                f"{API}/merge", json={"source_ids": [communes["A-DU"]["id"]], "into_id": communes["B-DU"]["id"]}
            ),
            404,
        )
        assert_problem(await c.post(f"{API}/{communes['B-DU-CB']['id']}/dissolve", json={}), 404)
        assert await snapshot() == before


async def test_scope_follows_merges_for_history(
    client: httpx.AsyncClient,
    app: FastAPI,
    db_pool: asyncpg.Pool,
    communes: dict[str, dict[str, Any]],
    client_with: ClientWith,
    insert_key: InsertKey,
) -> None:
    merged = await client.post(
        f"{API}/merge",
        json={
            "source_ids": [communes["A"]["id"], communes["B"]["id"]],
            "effective_date": "2025-07-01",
            "into": {"code": "AB", "name": "Đảng bộ xã AB"},
        },
    )
    assert merged.status_code == 201, merged.text
    token = await insert_key(role="viewer", scopes=[merged.json()["id"]])
    async with client_with(app, token) as c:
        then = await _ids(c, API, as_of="2024-12-31")
        assert then == {communes[k]["id"] for k in ("A", "A-DU", "A-DU-CB", "B", "B-DU", "B-DU-CB")}
        now = await _ids(c, API, active_on="2025-07-01")
        assert now == {merged.json()["id"]} | {communes[k]["id"] for k in ("A-DU", "A-DU-CB", "B-DU", "B-DU-CB")}
        assert_problem(await c.get(f"{API}/{communes['P']['id']}"), 404)


def _token(secret: str, **claims: Any) -> str:
    body = {"sub": "nguyen.van.a", "exp": int(time.time()) + 300, "role": "viewer", **claims}
    return jwt.encode(body, secret, algorithm="HS256")


async def test_jwt_bearer_tokens(
    settings: Any, database_url: str, communes: dict[str, dict[str, Any]], client_with: ClientWith
) -> None:
    from app.main import create_app

    secret = "a-shared-secret-of-at-least-32-bytes!!"
    app = create_app(
        settings.model_copy(update={"jwt_secret": secret, "jwt_issuer": "sso.test"}), database_url=database_url
    )
    async with app.router.lifespan_context(app):
        scoped = _token(secret, iss="sso.test", org_scopes=[communes["A"]["id"]])
        async with client_with(app, scoped) as c:
            assert (await c.get(f"{API}/{communes['A-DU']['id']}")).status_code == 200
            assert_problem(await c.get(f"{API}/{communes['B']['id']}"), 404)
            assert_problem(await c.patch(f"{API}/{communes['A']['id']}", json={"name": "x"}), 403)
        editor = _token(secret, iss="sso.test", role="editor", org_scopes=["*"])
        async with client_with(app, editor) as c:
            response = await c.patch(f"{API}/{communes['B']['id']}", json={"name": "Xã B"})
            assert response.status_code == 200, response.text
        for bad in (
            _token("another-secret-of-at-least-32-bytes!!!", iss="sso.test", org_scopes=["*"]),
            _token(secret, iss="elsewhere", org_scopes=["*"]),
            _token(secret, iss="sso.test"),
            _token(secret, iss="sso.test", org_scopes=["*"], exp=int(time.time()) - 3600),
            _token(secret, iss="sso.test", org_scopes=["*"], role="emperor"),
        ):
            async with client_with(app, bad) as c:
                assert_problem(await c.get(API), 401, "unauthenticated")


async def test_query_time_limit_is_a_503_problem(
    settings: Any,
    database_url: str,
    db_pool: asyncpg.Pool,
    communes: dict[str, dict[str, Any]],
    client_with: ClientWith,
    insert_key: InsertKey,
) -> None:
    from app.main import create_app

    app = create_app(settings.model_copy(update={"statement_timeout_ms": 300}), database_url=database_url)
    token = await insert_key(role="admin")
    async with app.router.lifespan_context(app), db_pool.acquire() as blocker, blocker.transaction():
        await blocker.execute("SELECT * FROM organizations WHERE code = 'A' FOR UPDATE")
        async with client_with(app, token) as c:
            response = await c.patch(f"{API}/{communes['A']['id']}", json={"name": "chờ"})
            assert_problem(response, 503, "query_timeout")
            assert response.headers.get("retry-after")


async def test_page_size_is_limited(client: httpx.AsyncClient) -> None:
    body = assert_problem(await client.get(API, params={"limit": 501}), 422, "validation_error")
    assert body["errors"][0]["field"] == "query.limit"
