"""The route-walking tests of access control: every operation needs credentials, is scoped, and hides sensitive
values from a caller without pii."""

import uuid

import asyncpg
import httpx
import orjson
import pytest
from fastapi import FastAPI

from tests.support.builders import ClientWith, InsertKey, Snapshot
from tests.support.problems import assert_problem
from tests.support.route_calls import B_SENSITIVE, B_UNIT_DATA, ROUTE_CALLS, api_routes, fill_call

API = "/api/v1/organizations"
OLD = "2020-01-01"


async def test_every_api_route_requires_credentials(app: FastAPI, anonymous: httpx.AsyncClient) -> None:
    """Walks the app's routes: every operation under /api/v1 answers 401 without credentials, and documents it."""
    operations = api_routes(app)
    assert len(operations) >= 20
    for method, path, operation in operations:
        assert "401" in operation["responses"] and "403" in operation["responses"], operation["operationId"]
        assert operation.get("security") == [{"bearer": []}], operation["operationId"]
        url = path
        for name in (
            "organization_id",
            "key_id",
            "plan_id",
            "task_id",
            "body_id",
            "event_id",
            "member_id",
            "target_id",
        ):
            url = url.replace("{" + name + "}", "0b8f7a6e-0000-4000-8000-000000000000")
        url = url.replace("{code}", "X").replace("{external_id}", "a:b")
        response = await anonymous.request(method, url, json={} if method in ("POST", "PATCH") else None)
        assert_problem(response, 401, "unauthenticated")


async def test_every_endpoint_is_scoped(
    app: FastAPI,
    db_pool: asyncpg.Pool,
    b_names: dict[str, str],
    client_with: ClientWith,
    insert_key: InsertKey,
    snapshot: Snapshot,
) -> None:
    """A commune-A admin key, against each endpoint, aimed at commune B: never anything of B, and the very answer a
    random id gets. An endpoint missing from ROUTE_CALLS fails this test, so a new endpoint cannot land unscoped."""
    names = b_names
    # The same calls aimed at nothing: every id random, every code and external id unknown.
    ghosts = {k: str(uuid.uuid4()) if not k.startswith("A") else v for k, v in names.items()}

    routes = {(m, p) for m, p, _ in api_routes(app)}
    assert routes == set(ROUTE_CALLS), f"add new endpoints to ROUTE_CALLS: {routes ^ set(ROUTE_CALLS)}"
    token = await insert_key(role="admin", scopes=[names["A"]], pii=False)
    # What must never come back: B's data (the ids the caller sent may be echoed in an error, its data not).
    b_data = [
        "Đảng bộ xã B",
        "Đảng bộ Trường B",
        "Chi bộ Tổ B",
        "Đảng bộ tỉnh",
        "B app",
        "csdl:B-DU",
        "Kế hoạch của xã B",
        "Việc của xã B",
        "Văn phòng Đảng ủy xã B",
        "Ban Thường vụ B",
        "Trần Văn Bê",
    ]
    b_data += B_UNIT_DATA + list(B_SENSITIVE.values())
    before = await snapshot()
    async with client_with(app, token) as c:
        for (method, path), call in ROUTE_CALLS.items():
            answers = []
            for values, code in ((names, "B"), (ghosts, "KHONG-CO")):
                sent = fill_call(call, values, code=code, external_id=f"csdl:{code}")
                url = path.replace("{organization_id}", values["B"])
                for name, value in sent["path"].items():
                    url = url.replace("{" + name + "}", value)
                if "content" in call:
                    response = await c.request(
                        method,
                        url,
                        params=sent["params"],
                        content=sent["content"].encode(),
                        headers={"Content-Type": sent["content_type"]},
                    )
                else:
                    response = await c.request(method, url, params=sent["params"], json=sent["json"])
                expected = call.get("status", 404)
                assert response.status_code == expected, (method, path, response.text)
                answers.append(_normalised(response, values, code))
            if not call.get("public_data"):
                for leaked in b_data:
                    assert leaked not in answers[0], (method, path, leaked)
                # Out of scope is indistinguishable from missing: the same answer, word for word (but for an answer
                # that names the moment it was given: the change feed's next cursor is its horizon then).
                if not call.get("of_the_moment"):
                    assert answers[0] == answers[1], (method, path, answers)
    assert await snapshot() == before


@pytest.mark.parametrize("role", ["admin", "auditor", "viewer"])
async def test_no_answer_carries_a_sensitive_value_to_a_caller_without_pii(
    app: FastAPI,
    db_pool: asyncpg.Pool,
    b_names: dict[str, str],
    role: str,
    client_with: ClientWith,
    insert_key: InsertKey,
) -> None:
    """Every read, the audit log included, by a caller covering the whole tree without pii: B's member's citizen ID,
    phone, residence, ethnicity and religion appear in no answer."""
    token = await insert_key(role=role, pii=False)
    async with client_with(app, token) as c:
        for (method, path), call in ROUTE_CALLS.items():
            if method != "GET":
                continue
            sent = fill_call(call, b_names, code="B", external_id="csdl:B")
            url = path.replace("{organization_id}", b_names["B"])
            for name, value in sent["path"].items():
                url = url.replace("{" + name + "}", value)
            response = await c.get(url, params=sent["params"])
            assert response.status_code < 500, (path, response.text)
            for value in B_SENSITIVE.values():
                assert value not in response.text, (role, path, value)
        members = await c.get("/api/v1/members", params={"organization_id": b_names["B-DU-CB"]})
        assert members.json()["items"][0]["pii_hidden"] is True


def _normalised(response: httpx.Response, values: dict[str, str], code: str) -> str:
    """The answer with the ids and codes that were sent replaced by their names, and without the request id."""
    text = response.text
    for name, value in values.items():
        if not name.startswith("A"):  # the caller's own units are what they are
            text = text.replace(value, f"<{name}>")
    text = text.replace(f"'{code}'", "'<code>'").replace(f"csdl:{code}", "<external_id>")
    json = "json" in response.headers.get("content-type", "")
    body = orjson.loads(text) if text and json else text or None
    if isinstance(body, dict):
        body.pop("request_id", None)
        body.pop("instance", None)  # the path asked for
    return f"{response.status_code} {orjson.dumps(body, option=orjson.OPT_SORT_KEYS).decode()}"
