"""Who may call, what they see, and what is recorded: keys, JWTs, roles, scopes, the audit log."""

import time
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import asyncpg
import httpx
import jwt
import orjson
import pytest
from fastapi import FastAPI

from tests.conftest import client_with, insert_key, snapshot
from tests.helpers import assert_problem, create_org

API = "/api/v1/organizations"
OLD = "2020-01-01"


@pytest.fixture
async def communes(client: httpx.AsyncClient) -> dict[str, dict[str, Any]]:
    """Province P with communes A and B, each with a grassroots committee and a cell."""
    p = await create_org(client, "P", "provincial_committee", valid_from=OLD, name="Đảng bộ tỉnh")
    units = {"P": p}
    for c in ("A", "B"):
        commune = await create_org(client, c, "upper_level_committee", p, valid_from=OLD, name=f"Đảng bộ xã {c}",
                                   external_ids=[f"csdl:{c}"])
        du = await create_org(client, f"{c}-DU", "grassroots_committee", commune, valid_from=OLD,
                              name=f"Đảng bộ Trường {c}", external_ids=[f"csdl:{c}-DU"])
        cb = await create_org(client, f"{c}-DU-CB", "subordinate_cell", du, valid_from=OLD, name=f"Chi bộ Tổ {c}")
        units |= {c: commune, f"{c}-DU": du, f"{c}-DU-CB": cb}
    return units


async def test_no_or_bad_credentials_get_401(anonymous: httpx.AsyncClient, app: FastAPI,
                                            db_pool: asyncpg.Pool) -> None:
    response = await anonymous.get(API)
    assert_problem(response, 401, "unauthenticated")
    assert response.headers["www-authenticate"].startswith("Bearer")
    for token in ("coso_000000000000_nope", "garbage", "a.b.c"):
        async with client_with(app, token) as c:
            assert_problem(await c.get(API), 401, "unauthenticated")
    expired = await insert_key(db_pool, role="viewer", expires_at=datetime.now(UTC) - timedelta(seconds=1))
    async with client_with(app, expired) as c:
        assert_problem(await c.get(API), 401, "unauthenticated")
    # a right key id with a wrong secret
    good = await insert_key(db_pool, role="viewer")
    async with client_with(app, good[:-3] + "xyz") as c:
        assert_problem(await c.get(API), 401, "unauthenticated")
    assert (await anonymous.get("/healthz")).status_code == 200


async def test_roles(app: FastAPI, db_pool: asyncpg.Pool, communes: dict[str, dict[str, Any]]) -> None:
    viewer = await insert_key(db_pool, role="viewer")
    editor = await insert_key(db_pool, role="editor")
    auditor = await insert_key(db_pool, role="auditor")
    a, b = communes["A"], communes["B"]
    async with client_with(app, viewer) as c:
        assert (await c.get(f"{API}/{a['id']}")).status_code == 200
        assert_problem(await c.post(API, json={"code": "N", "name": "N", "kind": "grassroots_cell",
                                               "parent_id": a["id"]}), 403, "forbidden")
        assert_problem(await c.patch(f"{API}/{a['id']}", json={"name": "X"}), 403, "forbidden")
        assert_problem(await c.get("/api/v1/audit"), 403, "forbidden")
    async with client_with(app, editor) as c:
        assert (await c.patch(f"{API}/{a['id']}", json={"name": "Đảng bộ xã A mới"})).status_code == 200
        assert_problem(await c.post("/api/v1/keys", json={"name": "k", "role": "viewer"}), 403, "forbidden")
        assert_problem(await c.post(f"{API}/{communes['A-DU']['id']}/move", json={"parent_id": b["id"]}), 403)
        assert_problem(await c.post(f"{API}/merge", json={"source_ids": [a["id"], b["id"]],
                                                          "into": {"code": "AB", "name": "AB"}}), 403)
        assert_problem(await c.post(f"{API}/{a['id']}/dissolve", json={}), 403)
        assert_problem(await c.get("/api/v1/keys"), 403)
    async with client_with(app, auditor) as c:
        assert (await c.get("/api/v1/audit")).status_code == 200
        assert_problem(await c.patch(f"{API}/{a['id']}", json={"name": "X"}), 403)


async def test_key_lifecycle_through_the_api(client: httpx.AsyncClient, app: FastAPI, db_pool: asyncpg.Pool,
                                            communes: dict[str, dict[str, Any]]) -> None:
    created = await client.post("/api/v1/keys", json={"name": "Xã A app", "role": "viewer",
                                                      "scopes": [communes["A"]["id"]]})
    assert created.status_code == 201, created.text
    body = created.json()
    token = body["key"]
    assert token.startswith("coso_") and body["scopes"] == [communes["A"]["id"]]
    stored = await db_pool.fetchrow("SELECT * FROM api_keys WHERE id = $1", body["id"])
    assert token not in repr(dict(stored)) and token.split("_")[2].encode() not in stored["secret_hash"]
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
    bad = await client.post("/api/v1/keys", json={"name": "x", "role": "viewer",
                                                  "scopes": ["0b8f7a6e-0000-4000-8000-000000000000"]})
    assert_problem(bad, 422, "unknown_scope")


async def test_scoped_admin_cannot_hand_out_more_than_it_has(app: FastAPI, db_pool: asyncpg.Pool,
                                                            communes: dict[str, dict[str, Any]]) -> None:
    admin_a = await insert_key(db_pool, role="admin", scopes=[communes["A"]["id"]], pii=False)
    async with client_with(app, admin_a) as c:
        assert_problem(await c.post("/api/v1/keys", json={"name": "k", "role": "viewer"}), 403)
        # A unit outside its scope is answered like one that does not exist.
        outside = assert_problem(await c.post("/api/v1/keys", json={"name": "k", "role": "viewer",
                                                                    "scopes": [communes["B"]["id"]]}), 422,
                                 "unknown_scope")
        random_id = "0b8f7a6e-0000-4000-8000-000000000000"
        missing = assert_problem(await c.post("/api/v1/keys", json={"name": "k", "role": "viewer",
                                                                    "scopes": [random_id]}), 422, "unknown_scope")
        assert outside["detail"].replace(communes["B"]["id"], random_id) == missing["detail"]
        assert_problem(await c.post("/api/v1/keys", json={"name": "k", "role": "viewer", "pii": True,
                                                          "scopes": [communes["A-DU"]["id"]]}), 403)
        ok = await c.post("/api/v1/keys", json={"name": "k", "role": "viewer", "scopes": [communes["A-DU"]["id"]]})
        assert ok.status_code == 201, ok.text
        visible = [k["name"] for k in (await c.get("/api/v1/keys")).json()["items"]]
        assert sorted(visible) == ["k", "test key"]  # its own key and the one it made; not the whole-tree admin's


async def _ids(c: httpx.AsyncClient, url: str, **params: Any) -> set[str]:
    response = await c.get(url, params=params)
    assert response.status_code == 200, response.text
    return {i["id"] for i in response.json()["items"]}


async def test_commune_key_sees_nothing_of_another_commune(app: FastAPI, db_pool: asyncpg.Pool,
                                                           communes: dict[str, dict[str, Any]]) -> None:
    token = await insert_key(db_pool, role="admin", scopes=[communes["A"]["id"]])
    mine = {communes[k]["id"] for k in ("A", "A-DU", "A-DU-CB")}
    theirs = {k: communes[k] for k in ("P", "B", "B-DU", "B-DU-CB")}
    async with client_with(app, token) as c:
        for code, unit in theirs.items():
            for url in (f"{API}/{unit['id']}", f"{API}/by_code/{code}", f"{API}/{unit['id']}/children",
                        f"{API}/{unit['id']}/ancestors", f"{API}/{unit['id']}/subtree",
                        f"{API}/{unit['id']}/lineage", f"{API}/{unit['id']}?as_of=2021-01-01"):
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
            communes["A"]["id"], communes["A-DU"]["id"]}
        assert await _ids(c, f"{API}/{communes['A']['id']}/subtree") == mine
        # writes: to B, or moving A's unit to B, or under P
        before = await snapshot(db_pool)
        assert_problem(await c.patch(f"{API}/{communes['B']['id']}", json={"name": "X"}), 404)
        assert_problem(await c.post(API, json={"code": "N", "name": "N", "kind": "grassroots_cell",
                                               "parent_id": communes["B"]["id"]}), 422, "parent_not_found")
        assert_problem(await c.post(API, json={"code": "N", "name": "N", "kind": "provincial_committee"}), 403)
        # A parent outside the scope is answered like one that does not exist, as on creation.
        assert_problem(await c.post(f"{API}/{communes['A-DU']['id']}/move",
                                    json={"parent_id": communes["B"]["id"]}), 422, "parent_not_found")
        assert_problem(await c.post(f"{API}/{communes['B-DU']['id']}/move",
                                    json={"parent_id": communes["A"]["id"]}), 404)
        assert_problem(await c.post(f"{API}/merge", json={"source_ids": [communes["A-DU"]["id"]],
                                                          "into_id": communes["B-DU"]["id"]}), 404)
        assert_problem(await c.post(f"{API}/{communes['B-DU-CB']['id']}/dissolve", json={}), 404)
        assert await snapshot(db_pool) == before


async def test_scope_follows_merges_for_history(client: httpx.AsyncClient, app: FastAPI, db_pool: asyncpg.Pool,
                                                communes: dict[str, dict[str, Any]]) -> None:
    merged = await client.post(f"{API}/merge", json={
        "source_ids": [communes["A"]["id"], communes["B"]["id"]], "effective_date": "2025-07-01",
        "into": {"code": "AB", "name": "Đảng bộ xã AB"}})
    assert merged.status_code == 201, merged.text
    token = await insert_key(db_pool, role="viewer", scopes=[merged.json()["id"]])
    async with client_with(app, token) as c:
        then = await _ids(c, API, as_of="2024-12-31")
        assert then == {communes[k]["id"] for k in ("A", "A-DU", "A-DU-CB", "B", "B-DU", "B-DU-CB")}
        now = await _ids(c, API, active_on="2025-07-01")
        assert now == {merged.json()["id"]} | {communes[k]["id"] for k in ("A-DU", "A-DU-CB", "B-DU", "B-DU-CB")}
        assert_problem(await c.get(f"{API}/{communes['P']['id']}"), 404)


ROUTE_CALLS: dict[tuple[str, str], dict[str, Any]] = {
    ("GET", "/api/v1/members"): {"params": {"organization_id": "{B-DU-CB}"}, "status": 200, "empty": True},
    ("POST", "/api/v1/members"): {"json": {"full_name": "Người mới", "gender": "male", "birth_date": "1990-01-01",
                                           "status": "candidate", "organization_id": "{B-DU-CB}"}},
    ("GET", "/api/v1/members/{member_id}"): {"path": {"member_id": "{B_MEMBER}"}},
    ("PATCH", "/api/v1/members/{member_id}"): {"path": {"member_id": "{B_MEMBER}"}, "json": {"hometown": "X"}},
    ("POST", "/api/v1/members/{member_id}/events"): {"path": {"member_id": "{B_MEMBER}"},
                                                     "json": {"kind": "exempt", "date": "2025-01-01"}},
    ("GET", "/api/v1/members/{member_id}/history"): {"path": {"member_id": "{B_MEMBER}"}},
    ("GET", "/api/v1/reference/members"): {"status": 200, "public_data": True},
    ("GET", "/api/v1/organizations"): {"params": {"within": "{B}"}, "status": 422},
    ("POST", "/api/v1/organizations"): {"json": {"code": "N", "name": "N", "kind": "grassroots_cell",
                                                 "parent_id": "{B}"}, "status": 422},
    ("GET", "/api/v1/organizations/by_code/{code}"): {"path": {"code": "B"}},
    ("GET", "/api/v1/organizations/by_external_id/{external_id}"): {"path": {"external_id": "csdl:B"}},
    ("POST", "/api/v1/organizations/merge"): {"json": {"source_ids": ["{B-DU}"], "into_id": "{B}"}},
    ("GET", "/api/v1/organizations/{organization_id}"): {},
    ("PATCH", "/api/v1/organizations/{organization_id}"): {"json": {"name": "X"}},
    ("GET", "/api/v1/organizations/{organization_id}/children"): {},
    ("GET", "/api/v1/organizations/{organization_id}/ancestors"): {},
    ("GET", "/api/v1/organizations/{organization_id}/subtree"): {},
    ("GET", "/api/v1/organizations/{organization_id}/lineage"): {},
    ("POST", "/api/v1/organizations/{organization_id}/move"): {"json": {"parent_id": "{P}"}},
    ("POST", "/api/v1/organizations/{organization_id}/dissolve"): {"json": {}},
    ("POST", "/api/v1/organizations/{organization_id}/split"): {"json": {"parts": [
        {"code": "S1", "name": "S1", "children": ["{B-DU}"]}, {"code": "S2", "name": "S2"}]}},
    ("GET", "/api/v1/reference/organizations"): {"status": 200, "public_data": True},
    ("POST", "/api/v1/keys"): {"json": {"name": "k", "role": "viewer", "scopes": ["{B}"]}, "status": 422},
    ("GET", "/api/v1/keys"): {"status": 200, "empty": True},
    ("GET", "/api/v1/keys/{key_id}"): {"path": {"key_id": "{B_KEY}"}},
    ("POST", "/api/v1/keys/{key_id}/revoke"): {"path": {"key_id": "{B_KEY}"}},
    ("GET", "/api/v1/audit"): {"status": 200, "empty": True},
    ("GET", "/api/v1/bodies"): {"status": 200, "empty": True},
    ("POST", "/api/v1/bodies"): {"json": {"name": "Cơ quan mới", "organization_id": "{B}"}},
    ("GET", "/api/v1/bodies/{body_id}"): {"path": {"body_id": "{B_BODY}"}},
    ("POST", "/api/v1/bodies/{body_id}/aliases"): {"path": {"body_id": "{B_BODY}"}, "json": {"alias": "X"}},
    ("GET", "/api/v1/plans"): {"status": 200, "empty": True},
    ("POST", "/api/v1/plans"): {"json": {"organization_id": "{B}", "title": "Kế hoạch"}},
    ("POST", "/api/v1/plans/import"): {"params": {"organization_id": "{B}"}, "content": "1. Việc\n"},
    ("GET", "/api/v1/plans/{plan_id}"): {"path": {"plan_id": "{B_PLAN}"}},
    ("PATCH", "/api/v1/plans/{plan_id}"): {"path": {"plan_id": "{B_PLAN}"}, "json": {"status": "issued"}},
    ("GET", "/api/v1/plans/{plan_id}/tasks"): {"path": {"plan_id": "{B_PLAN}"}},
    ("POST", "/api/v1/plans/{plan_id}/tasks"): {"path": {"plan_id": "{B_PLAN}"},
                                                "json": {"code": "9", "title": "x"}},
    ("GET", "/api/v1/plans/{plan_id}/summary"): {"path": {"plan_id": "{B_PLAN}"}},
    ("GET", "/api/v1/plans/{plan_id}/events"): {"path": {"plan_id": "{B_PLAN}"}},
    ("PUT", "/api/v1/plans/{plan_id}/events/{event_id}"): {"path": {"plan_id": "{B_PLAN}", "event_id": "{B_EVENT}"},
                                                           "json": {"happened_on": "2024-01-01"}},
    ("GET", "/api/v1/tasks"): {"params": {"body_id": "{B_BODY}"}},
    ("GET", "/api/v1/tasks/{task_id}"): {"path": {"task_id": "{B_TASK}"}},
    ("POST", "/api/v1/tasks/{task_id}/reports"): {"path": {"task_id": "{B_TASK}"}, "json": {
        "body_id": "{B_BODY}", "reported_on": "2024-01-01", "status": "done"}},
}


# Positions, posts, ratings, organisation records, compliance (tests/test_positions.py and friends).
ROUTE_CALLS.update({
    ("GET", "/api/v1/reference/positions"): {"status": 200, "public_data": True},
    ("POST", "/api/v1/organizations/{organization_id}/positions"): {"json": {
        "member_id": "{B_MEMBER}", "position": "deputy_secretary", "valid_from": "2024-01-01"}},
    ("GET", "/api/v1/organizations/{organization_id}/positions"): {},
    ("POST", "/api/v1/organizations/{organization_id}/positions/{position_id}/end"): {
        "path": {"position_id": "{B_POSITION}"}, "json": {"valid_to": "2025-01-01"}},
    ("GET", "/api/v1/organizations/{organization_id}/leadership"): {},
    ("GET", "/api/v1/members/{member_id}/positions"): {"path": {"member_id": "{B_MEMBER}"}},
    ("POST", "/api/v1/members/{member_id}/posts"): {"path": {"member_id": "{B_MEMBER}"}, "json": {
        "post": "commune_chair", "place": "Xã B", "valid_from": "2024-01-01"}},
    ("POST", "/api/v1/members/{member_id}/posts/{post_id}/end"): {
        "path": {"member_id": "{B_MEMBER}", "post_id": "{B_POST}"}, "json": {"valid_to": "2025-01-01"}},
    ("POST", "/api/v1/members/{member_id}/ratings"): {"path": {"member_id": "{B_MEMBER}"},
                                                      "json": {"period": "2023", "score": 80}},
    ("PUT", "/api/v1/members/{member_id}/ratings/{period}"): {"path": {"member_id": "{B_MEMBER}", "period": "2024"},
                                                              "json": {"score": 10}},
    ("GET", "/api/v1/members/{member_id}/ratings"): {"path": {"member_id": "{B_MEMBER}"}},
    ("POST", "/api/v1/organizations/{organization_id}/ratings"): {"json": {"period": "2023", "score": 80}},
    ("PUT", "/api/v1/organizations/{organization_id}/ratings/{period}"): {"path": {"period": "2024"},
                                                                          "json": {"score": 10}},
    ("GET", "/api/v1/organizations/{organization_id}/ratings"): {},
    ("GET", "/api/v1/organizations/{organization_id}/ratings/summary"): {"params": {"period": "2024"}},
    ("GET", "/api/v1/organizations/{organization_id}/member_ratings"): {"params": {"period": "2024"}},
    ("POST", "/api/v1/organizations/{organization_id}/regulations"): {"json": {"issued_on": "2024-01-01",
                                                                              "reference": "1-QC"}},
    ("GET", "/api/v1/organizations/{organization_id}/regulations"): {},
    ("POST", "/api/v1/organizations/{organization_id}/inspections"): {"json": {"inspecting_body": "UBKT",
                                                                              "year": 2024}},
    ("GET", "/api/v1/organizations/{organization_id}/inspections"): {},
    ("POST", "/api/v1/organizations/{organization_id}/terms"): {"json": {"label": "2030-2035",
                                                                        "starts_on": "2030-01-01"}},
    ("GET", "/api/v1/organizations/{organization_id}/terms"): {},
    ("GET", "/api/v1/compliance"): {"params": {"within": "{B}"}, "status": 422},
})

# Statistics (tests/test_statistics.py).
ROUTE_CALLS.update({
    ("GET", "/api/v1/statistics/members"): {"params": {"organization_id": "{B}"}},
    ("GET", "/api/v1/statistics/organizations"): {"params": {"organization_id": "{B}"}},
})

# Indicators (tests/test_indicators.py).
ROUTE_CALLS.update({
    ("GET", "/api/v1/indicators"): {"status": 200, "public_data": True},
    ("GET", "/api/v1/indicators/{code}"): {"path": {"code": "members"}, "status": 200, "public_data": True},
    ("GET", "/api/v1/indicators/analytics"): {"params": {"indicator": "members", "period": "2024",
                                                         "organization_id": "{B}"}},
    ("GET", "/api/v1/indicators/{code}/targets"): {"path": {"code": "admission_rate"}, "status": 200},
    ("POST", "/api/v1/indicators/{code}/targets"): {"path": {"code": "admission_rate"}, "json": {
        "organization_id": "{B}", "year_from": 2030, "comparator": "gte", "value": 5}},
    ("DELETE", "/api/v1/indicators/{code}/targets/{target_id}"): {"path": {"code": "admission_rate",
                                                                           "target_id": "{B_TARGET}"}},
})

B_UNIT_DATA = ["07-QC/CBB", "Mục tiêu của xã B", "Ủy ban Kiểm tra xã B", "Kết luận về xã B"]
# Commune B's member's sensitive values: never in an answer to a caller without pii (nor to one outside B).
B_SENSITIVE = {"citizen_id": "001080012345", "phone": "0912 345 678", "residence": "Thôn Bến Đò, xã B",
               "ethnicity": "Tày-Bê-ẩn", "religion": "Đạo-Bê-ẩn"}


async def _b_unit_records(client: httpx.AsyncClient, communes: dict[str, dict[str, Any]],
                          b_member: str) -> dict[str, str]:
    """Commune B's seats, posts, ratings and records, for the scoping test."""
    cell, commune = communes["B-DU-CB"]["id"], communes["B"]["id"]
    created = []
    for url, body in ((f"{API}/{cell}/positions", {"member_id": b_member, "position": "secretary",
                                                   "valid_from": "2021-01-01"}),
                      (f"/api/v1/members/{b_member}/posts", {"post": "village_head", "organization_id": cell,
                                                             "valid_from": "2021-01-01"}),
                      (f"/api/v1/members/{b_member}/ratings", {"period": "2024", "score": 95}),
                      (f"{API}/{commune}/ratings", {"period": "2024", "score": 91}),
                      (f"{API}/{cell}/regulations", {"issued_on": "2021-02-01", "reference": "07-QC/CBB"}),
                      (f"{API}/{cell}/inspections", {"inspecting_body": "Ủy ban Kiểm tra xã B", "year": 2024,
                                                     "conclusion": "Kết luận về xã B"}),
                      (f"{API}/{commune}/terms", {"label": "2020-2025", "starts_on": "2020-09-01"})):
        response = await client.post(url, json=body)
        assert response.status_code == 201, response.text
        created.append(response.json()["id"])
    target = await client.post("/api/v1/indicators/admission_rate/targets", json={
        "organization_id": commune, "year_from": 2025, "comparator": "between", "value": 3, "value_high": 4,
        "note": "Mục tiêu của xã B"})
    assert target.status_code == 201, target.text
    return {"B_POSITION": created[0], "B_POST": created[1], "B_TARGET": target.json()["id"]}


def _api_routes(app: FastAPI) -> list[tuple[str, str, Any]]:
    found = []
    for route in app.openapi()["paths"]:
        if not route.startswith("/api/v1"):
            continue
        for method in app.openapi()["paths"][route]:
            found.append((method.upper(), route, app.openapi()["paths"][route][method]))
    return found


async def test_every_api_route_requires_credentials(app: FastAPI, anonymous: httpx.AsyncClient) -> None:
    """Walks the app's routes: every operation under /api/v1 answers 401 without credentials, and documents it."""
    operations = _api_routes(app)
    assert len(operations) >= 20
    for method, path, operation in operations:
        assert "401" in operation["responses"] and "403" in operation["responses"], operation["operationId"]
        assert operation.get("security") == [{"bearer": []}], operation["operationId"]
        url = path
        for name in ("organization_id", "key_id", "plan_id", "task_id", "body_id", "event_id", "member_id",
                     "target_id"):
            url = url.replace("{" + name + "}", "0b8f7a6e-0000-4000-8000-000000000000")
        url = url.replace("{code}", "X").replace("{external_id}", "a:b")
        response = await anonymous.request(method, url, json={} if method in ("POST", "PATCH") else None)
        assert_problem(response, 401, "unauthenticated")


@pytest.fixture
async def b_names(client: httpx.AsyncClient, communes: dict[str, dict[str, Any]]) -> dict[str, str]:
    """Commune B's key, plan, task, body, event, member (every sensitive field filled) and records, by name."""
    b_key = (await client.post("/api/v1/keys", json={"name": "B app", "role": "viewer",
                                                     "scopes": [communes["B"]["id"]]})).json()["id"]
    await client.patch(f"{API}/{communes['B']['id']}", json={"name": "Đảng bộ xã B (sửa)"})
    b_plan = (await client.post("/api/v1/plans", json={"organization_id": communes["B"]["id"],
                                                       "title": "Kế hoạch của xã B", "issuer": "Ban Thường vụ B"})
              ).json()["id"]
    b_task = (await client.post(f"/api/v1/plans/{b_plan}/tasks", json={
        "code": "1", "title": "Việc của xã B", "deadline": "Sau 1 tháng kể từ khi có hướng dẫn của tỉnh",
        "assignments": [{"body": "Văn phòng Đảng ủy xã B", "roles": ["lead"]}]})).json()
    b_event = (await client.get(f"/api/v1/plans/{b_plan}/events")).json()["items"][0]["id"]
    b_body = b_task["assignments"][0]["body_id"]
    b_member = (await client.post("/api/v1/members", json={
        "full_name": "Trần Văn Bê", "gender": "male", "birth_date": "1980-05-05", "status": "official",
        "organization_id": communes["B-DU-CB"]["id"], "admission_decision_date": "2010-01-01",
        **B_SENSITIVE})).json()["id"]
    names = {**{k: v["id"] for k, v in communes.items()}, "B_KEY": b_key, "B_PLAN": b_plan, "B_TASK": b_task["id"],
             "B_BODY": b_body, "B_EVENT": b_event, "B_MEMBER": b_member}
    names |= await _b_unit_records(client, communes, b_member)
    return names


async def test_every_endpoint_is_scoped(app: FastAPI, db_pool: asyncpg.Pool, b_names: dict[str, str]) -> None:
    """A commune-A admin key, against each endpoint, aimed at commune B: never anything of B, and the very answer a
    random id gets. An endpoint missing from ROUTE_CALLS fails this test, so a new endpoint cannot land unscoped."""
    names = b_names
    # The same calls aimed at nothing: every id random, every code and external id unknown.
    ghosts = {k: str(uuid.uuid4()) if not k.startswith("A") else v for k, v in names.items()}

    routes = {(m, p) for m, p, _ in _api_routes(app)}
    assert routes == set(ROUTE_CALLS), f"add new endpoints to ROUTE_CALLS: {routes ^ set(ROUTE_CALLS)}"
    token = await insert_key(db_pool, role="admin", scopes=[names["A"]], pii=False)
    # What must never come back: B's data (the ids the caller sent may be echoed in an error, its data not).
    b_data = ["Đảng bộ xã B", "Đảng bộ Trường B", "Chi bộ Tổ B", "Đảng bộ tỉnh", "B app", "csdl:B-DU",
              "Kế hoạch của xã B", "Việc của xã B", "Văn phòng Đảng ủy xã B", "Ban Thường vụ B", "Trần Văn Bê"]
    b_data += B_UNIT_DATA + list(B_SENSITIVE.values())
    before = await snapshot(db_pool)
    async with client_with(app, token) as c:
        for (method, path), call in ROUTE_CALLS.items():
            answers = []
            for values, code in ((names, "B"), (ghosts, "KHONG-CO")):
                sent = _call(call, values, code=code, external_id=f"csdl:{code}")
                url = path.replace("{organization_id}", values["B"])
                for name, value in sent["path"].items():
                    url = url.replace("{" + name + "}", value)
                if "content" in call:
                    response = await c.request(method, url, params=sent["params"], content=call["content"].encode(),
                                               headers={"Content-Type": "text/plain"})
                else:
                    response = await c.request(method, url, params=sent["params"], json=sent["json"])
                expected = call.get("status", 404)
                assert response.status_code == expected, (method, path, response.text)
                answers.append(_normalised(response, values, code))
            if not call.get("public_data"):
                for leaked in b_data:
                    assert leaked not in answers[0], (method, path, leaked)
                # Out of scope is indistinguishable from missing: the same answer, word for word.
                assert answers[0] == answers[1], (method, path, answers)
    assert await snapshot(db_pool) == before


@pytest.mark.parametrize("role", ["admin", "auditor", "viewer"])
async def test_no_answer_carries_a_sensitive_value_to_a_caller_without_pii(app: FastAPI, db_pool: asyncpg.Pool,
                                                                          b_names: dict[str, str],
                                                                          role: str) -> None:
    """Every read, the audit log included, by a caller covering the whole tree without pii: B's member's citizen ID,
    phone, residence, ethnicity and religion appear in no answer."""
    token = await insert_key(db_pool, role=role, pii=False)
    async with client_with(app, token) as c:
        for (method, path), call in ROUTE_CALLS.items():
            if method != "GET":
                continue
            sent = _call(call, b_names, code="B", external_id="csdl:B")
            url = path.replace("{organization_id}", b_names["B"])
            for name, value in sent["path"].items():
                url = url.replace("{" + name + "}", value)
            response = await c.get(url, params=sent["params"])
            assert response.status_code < 500, (path, response.text)
            for value in B_SENSITIVE.values():
                assert value not in response.text, (role, path, value)
        members = await c.get("/api/v1/members", params={"organization_id": b_names["B-DU-CB"]})
        assert members.json()["items"][0]["pii_hidden"] is True


def _call(call: dict[str, Any], values: dict[str, str], *, code: str, external_id: str) -> dict[str, Any]:
    """The call's path values, query parameters and body, with `{NAME}` replaced from `values`."""
    def fill(value: Any) -> Any:
        if isinstance(value, str) and value.startswith("{") and value.endswith("}"):
            return values[value[1:-1]]
        if isinstance(value, dict):
            return {k: fill(v) for k, v in value.items()}
        if isinstance(value, list):
            return [fill(v) for v in value]
        return value

    path = fill(call.get("path", {}))
    path = {k: code if k == "code" and v == "B" else external_id if k == "external_id" else v
            for k, v in path.items()}
    return {"path": path, "params": fill(call.get("params")), "json": fill(call.get("json"))}


def _normalised(response: httpx.Response, values: dict[str, str], code: str) -> str:
    """The answer with the ids and codes that were sent replaced by their names, and without the request id."""
    text = response.text
    for name, value in values.items():
        if not name.startswith("A"):  # the caller's own units are what they are
            text = text.replace(value, f"<{name}>")
    text = text.replace(f"'{code}'", "'<code>'").replace(f"csdl:{code}", "<external_id>")
    body = orjson.loads(text) if text else None
    if isinstance(body, dict):
        body.pop("request_id", None)
        body.pop("instance", None)  # the path asked for
    return f"{response.status_code} {orjson.dumps(body, option=orjson.OPT_SORT_KEYS).decode()}"


async def test_each_write_leaves_one_audit_row(client: httpx.AsyncClient, db_pool: asyncpg.Pool,
                                               communes: dict[str, dict[str, Any]]) -> None:
    async def rows_after(call: Any) -> list[asyncpg.Record]:
        top = await db_pool.fetchval("SELECT coalesce(max(id), 0) FROM audit_log")
        response = await call
        assert response.status_code in (200, 201), response.text
        return list(await db_pool.fetch("SELECT * FROM audit_log WHERE id > $1 ORDER BY id", top))

    import orjson

    created = await rows_after(client.post(API, json={"code": "C", "name": "Chi bộ C", "kind": "grassroots_cell",
                                                      "parent_id": communes["A"]["id"], "valid_from": OLD}))
    assert len(created) == 1 and created[0]["action"] == "create" and created[0]["before"] is None
    c_id = orjson.loads(created[0]["after"])["id"]
    assert orjson.loads(created[0]["after"])["code"] == "C" and created[0]["actor_kind"] == "key"
    assert created[0]["request_id"]
    patched = await rows_after(client.patch(f"{API}/{c_id}", json={"name": "Chi bộ C mới"}))
    assert len(patched) == 1
    assert orjson.loads(patched[0]["before"]) == {"id": c_id, "name": "Chi bộ C"}
    assert orjson.loads(patched[0]["after"]) == {"id": c_id, "name": "Chi bộ C mới"}
    moved = await rows_after(client.post(f"{API}/{c_id}/move", json={"parent_id": communes["B"]["id"],
                                                                     "effective_date": "2024-01-01"}))
    assert len(moved) == 1 and orjson.loads(moved[0]["before"])["parent_id"] == communes["A"]["id"]
    assert orjson.loads(moved[0]["after"])["parent_id"] == communes["B"]["id"]
    dissolved = await rows_after(client.post(f"{API}/{c_id}/dissolve", json={"effective_date": "2025-01-01"}))
    assert len(dissolved) == 1 and orjson.loads(dissolved[0]["after"])["valid_to"] == "2025-01-01"
    merged = await rows_after(client.post(f"{API}/merge", json={
        "source_ids": [communes["A"]["id"], communes["B"]["id"]], "effective_date": "2025-07-01",
        "into": {"code": "AB", "name": "AB"}}))
    assert len(merged) == 1 and merged[0]["action"] == "merge"
    assert len(orjson.loads(merged[0]["before"])["sources"]) == 2
    ab = orjson.loads(merged[0]["after"])["target"]["id"]
    split = await rows_after(client.post(f"{API}/{ab}/split", json={"effective_date": "2026-01-01", "parts": [
        {"code": "A2", "name": "A2", "children": [communes["A-DU"]["id"]]},
        {"code": "B2", "name": "B2", "children": [communes["B-DU"]["id"]]}]}))
    assert len(split) == 1 and len(orjson.loads(split[0]["after"])["parts"]) == 2
    key = await rows_after(client.post("/api/v1/keys", json={"name": "k", "role": "viewer"}))
    assert len(key) == 1 and "key" not in orjson.loads(key[0]["after"])
    refused = await client.patch(f"{API}/{c_id}", json={"kind": "party_group"})
    assert refused.status_code == 422
    assert await db_pool.fetchval("SELECT count(*) FROM audit_log WHERE id > $1", key[0]["id"]) == 0


async def test_audit_log_is_append_only_and_scoped(client: httpx.AsyncClient, app: FastAPI,
                                                   db_pool: asyncpg.Pool,
                                                   communes: dict[str, dict[str, Any]]) -> None:
    with pytest.raises(asyncpg.exceptions.InsufficientPrivilegeError):
        await db_pool.execute("UPDATE audit_log SET action = 'x'")
    with pytest.raises(asyncpg.exceptions.InsufficientPrivilegeError):
        await db_pool.execute("DELETE FROM audit_log")
    with pytest.raises(asyncpg.exceptions.InsufficientPrivilegeError):
        await db_pool.execute("TRUNCATE audit_log")
    everything = (await client.get("/api/v1/audit", params={"limit": 500})).json()["items"]
    assert len(everything) == 7
    auditor_a = await insert_key(db_pool, role="auditor", scopes=[communes["A"]["id"]])
    async with client_with(app, auditor_a) as c:
        seen = await _all(c, "/api/v1/audit", limit=1)
        assert {e["entity_id"] for e in seen} == {communes[k]["id"] for k in ("A", "A-DU", "A-DU-CB")}
        filtered = (await c.get("/api/v1/audit", params={"entity": "organization",
                                                         "entity_id": communes["A-DU"]["id"]})).json()["items"]
        assert [e["action"] for e in filtered] == ["create"]
    future = (datetime.now(UTC) + timedelta(hours=1)).isoformat()
    assert (await client.get("/api/v1/audit", params={"since": future})).json()["items"] == []


async def _all(c: httpx.AsyncClient, url: str, **params: Any) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = []
    cursor = None
    while True:
        page = (await c.get(url, params={**params, **({"cursor": cursor} if cursor else {})})).json()
        items += page["items"]
        cursor = page["next_cursor"]
        if not cursor:
            return items


def _token(secret: str, **claims: Any) -> str:
    body = {"sub": "nguyen.van.a", "exp": int(time.time()) + 300, "role": "viewer", **claims}
    return jwt.encode(body, secret, algorithm="HS256")


async def test_jwt_bearer_tokens(settings: Any, database_url: str, communes: dict[str, dict[str, Any]]) -> None:
    from app.main import create_app

    secret = "a-shared-secret-of-at-least-32-bytes!!"
    app = create_app(settings.model_copy(update={"jwt_secret": secret, "jwt_issuer": "sso.test"}),
                     database_url=database_url)
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
        for bad in (_token("another-secret-of-at-least-32-bytes!!!", iss="sso.test", org_scopes=["*"]),
                    _token(secret, iss="elsewhere", org_scopes=["*"]),
                    _token(secret, iss="sso.test"),
                    _token(secret, iss="sso.test", org_scopes=["*"], exp=int(time.time()) - 3600),
                    _token(secret, iss="sso.test", org_scopes=["*"], role="emperor")):
            async with client_with(app, bad) as c:
                assert_problem(await c.get(API), 401, "unauthenticated")


async def test_query_time_limit_is_a_503_problem(settings: Any, database_url: str, db_pool: asyncpg.Pool,
                                                 communes: dict[str, dict[str, Any]]) -> None:
    from app.main import create_app

    app = create_app(settings.model_copy(update={"statement_timeout_ms": 300}), database_url=database_url)
    token = await insert_key(db_pool, role="admin")
    async with app.router.lifespan_context(app), db_pool.acquire() as blocker, blocker.transaction():
        await blocker.execute("SELECT * FROM organizations WHERE code = 'A' FOR UPDATE")
        async with client_with(app, token) as c:
            response = await c.patch(f"{API}/{communes['A']['id']}", json={"name": "chờ"})
            assert_problem(response, 503, "query_timeout")
            assert response.headers.get("retry-after")


async def test_page_size_is_limited(client: httpx.AsyncClient) -> None:
    body = assert_problem(await client.get(API, params={"limit": 501}), 422, "validation_error")
    assert body["errors"][0]["field"] == "query.limit"
