"""Hostile input, case by case: each answer is a 4xx problem that names what is wrong, and nothing is written."""

from typing import Any

import asyncpg
import httpx
import pytest

from tests.support.builders import CreateOrg, Snapshot
from tests.support.problems import assert_problem

OLD = "2015-01-01"
NUL = "Nguyễn\x00Văn"
SURROGATE_JSON = '"Nguy\\ud800n"'  # a lone surrogate: valid JSON escape, no Unicode character


@pytest.fixture
async def world(client: httpx.AsyncClient, create_org: CreateOrg) -> dict[str, str]:
    p = await create_org(client, "P", "provincial_committee", valid_from=OLD)
    cell = await create_org(client, "P-CB", "grassroots_cell", p, valid_from=OLD)
    member = await client.post(
        "/api/v1/members",
        json={
            "full_name": "Lê Văn Tám",
            "gender": "male",
            "birth_date": "1980-01-01",
            "status": "official",
            "organization_id": cell["id"],
            "admission_decision_date": "2005-01-01",
        },
    )
    plan = await client.post("/api/v1/plans", json={"organization_id": p["id"], "title": "Kế hoạch thử"})
    assert member.status_code == 201 and plan.status_code == 201, (member.text, plan.text)
    task = await client.post(
        f"/api/v1/plans/{plan.json()['id']}/tasks",
        json={"code": "1", "title": "Ban hành quy chế", "deadline": "Sau 03 tháng kể từ khi có Quy chế mẫu"},
    )
    event = (await client.get(f"/api/v1/plans/{plan.json()['id']}/events")).json()["items"][0]
    assert task.status_code == 201, task.text
    return {"P": p["id"], "CB": cell["id"], "M": member.json()["id"], "PLAN": plan.json()["id"], "EVENT": event["id"]}


def _member(**fields: Any) -> dict[str, Any]:
    return {
        "full_name": "Trần Thị Mới",
        "gender": "female",
        "birth_date": "1990-01-01",
        "status": "candidate",
        "organization_id": "{CB}",
        **fields,
    }


# (method, path, request keyword arguments, status, the field the problem must name or None)
CASES: list[tuple[str, str, dict[str, Any], int, str | None]] = [
    # NUL bytes, in bodies and in query parameters
    ("POST", "/api/v1/members", {"json": _member(full_name=NUL)}, 422, "body.full_name"),
    ("POST", "/api/v1/members", {"json": _member(residence=NUL)}, 422, "body.residence"),
    ("PATCH", "/api/v1/members/{M}", {"json": {"hometown": NUL}}, 422, "body.hometown"),
    (
        "POST",
        "/api/v1/members/{M}/events",
        {"json": {"kind": "exempt", "date": "2024-01-01", "note": NUL}},
        422,
        "body.note",
    ),
    (
        "POST",
        "/api/v1/members/{M}/events",
        {"json": {"kind": "transfer", "date": "2024-01-01", "destination": NUL}},
        422,
        "body.destination",
    ),
    (
        "POST",
        "/api/v1/organizations",
        {"json": {"code": "N1", "name": NUL, "kind": "grassroots_cell", "parent_id": "{P}"}},
        422,
        "body.name",
    ),
    ("POST", "/api/v1/plans", {"json": {"organization_id": "{P}", "title": NUL}}, 422, "body.title"),
    ("GET", "/api/v1/members", {"params": {"q": NUL}}, 422, "query.q"),
    ("GET", "/api/v1/members", {"params": {"card_number": "12\x0034"}}, 422, "query.card_number"),
    ("GET", "/api/v1/audit", {"params": {"actor_id": "key\x00"}}, 422, "query.actor_id"),
    ("GET", "/api/v1/organizations", {"params": {"q": NUL}}, 422, "query.q"),
    ("GET", "/api/v1/organizations/by_code/A%00B", {}, 422, "path.code"),
    # lone surrogates
    (
        "POST",
        "/api/v1/members",
        {
            "content": '{"full_name": ' + SURROGATE_JSON + ', "gender": "male", '
            '"birth_date": "1990-01-01", "status": "candidate", '
            '"organization_id": "{CB}"}'
        },
        422,
        "body.full_name",
    ),
    ("PATCH", "/api/v1/organizations/{P}", {"content": '{"name": ' + SURROGATE_JSON + "}"}, 422, "body.name"),
    # null for a field that cannot be empty, blank names
    ("PATCH", "/api/v1/organizations/{P}", {"json": {"kind": None}}, 422, "body.kind"),
    ("PATCH", "/api/v1/organizations/{P}", {"json": {"external_ids": None}}, 422, "body.external_ids"),
    ("PATCH", "/api/v1/members/{M}", {"json": {"full_name": None}}, 422, "body.full_name"),
    ("PATCH", "/api/v1/plans/{PLAN}", {"json": {"title": None}}, 422, "body.title"),
    (
        "POST",
        "/api/v1/organizations",
        {"json": {"code": "N2", "name": "   ", "kind": "grassroots_cell", "parent_id": "{P}"}},
        422,
        "body.name",
    ),
    ("POST", "/api/v1/members", {"json": _member(full_name=" \t ")}, 422, "body.full_name"),
    # placeholders left in a form: no letter, no digit
    ("POST", "/api/v1/members", {"json": _member(full_name="…")}, 422, "body.full_name"),
    ("PATCH", "/api/v1/plans/{PLAN}", {"json": {"title": "..."}}, 422, "body.title"),
    ("PATCH", "/api/v1/organizations/{P}", {"json": {"name": "- - -"}}, 422, "body.name"),
    ("GET", "/api/v1/members", {"params": {"q": " "}}, 422, "query.q"),
    ("GET", "/api/v1/bodies", {"params": {"q": "  "}}, 422, "query.q"),
    # dates outside the configured range, or not written as dates
    ("POST", "/api/v1/members/{M}/ratings", {"json": {"period": "0000", "score": 80}}, 422, "body.period"),
    ("PUT", "/api/v1/members/{M}/ratings/0000", {"json": {"score": 80}}, 422, "path.period"),
    ("GET", "/api/v1/organizations/{P}/ratings/summary", {"params": {"period": "9999"}}, 422, "query.period"),
    ("GET", "/api/v1/organizations", {"params": {"as_of": "0"}}, 422, "query.as_of"),
    ("GET", "/api/v1/organizations/{P}", {"params": {"as_of": "0001-01-01"}}, 422, "query.as_of"),
    ("GET", "/api/v1/audit", {"params": {"until": "0.5"}}, 422, "query.until"),
    ("POST", "/api/v1/members", {"json": _member(birth_date="0001-01-01")}, 422, "body.birth_date"),
    ("POST", "/api/v1/members", {"json": _member(birth_date=0)}, 422, "body.birth_date"),
    (
        "POST",
        "/api/v1/organizations",
        {
            "json": {
                "code": "N3",
                "name": "Chi bộ",
                "kind": "grassroots_cell",
                "parent_id": "{P}",
                "valid_from": "9999-12-31",
            }
        },
        422,
        "body.valid_from",
    ),
    ("POST", "/api/v1/keys", {"json": {"name": "k", "role": "viewer", "expires_at": 0}}, 422, "body.expires_at"),
    ("PUT", "/api/v1/plans/{PLAN}/events/{EVENT}", {"json": {"happened_on": 0}}, 422, "body.happened_on"),
    # numbers far out of range
    ("GET", "/api/v1/organizations", {"params": {"limit": "100000000000000000000000000"}}, 422, "query.limit"),
    ("POST", "/api/v1/members/{M}/ratings", {"json": {"period": "2024", "score": 10**30}}, 422, "body.score"),
    (
        "POST",
        "/api/v1/indicators/admission_rate/targets",
        {"json": {"organization_id": "{P}", "year_from": 2025, "comparator": "gte", "value": 1e300}},
        422,
        "body.value",
    ),
    (
        "POST",
        "/api/v1/organizations/{P}/inspections",
        {"json": {"inspecting_body": "UBKT", "year": 10**20}},
        422,
        "body.year",
    ),
    # very long strings
    ("POST", "/api/v1/members", {"json": _member(full_name="A" * 100_000)}, 422, "body.full_name"),
    ("GET", "/api/v1/organizations/by_code/" + "X" * 5_000, {}, 422, "path.code"),
    ("GET", "/api/v1/members", {"params": {"q": "x" * 6_000}}, 422, "query.q"),
    # parameters the operation does not take
    ("GET", "/api/v1/organizations", {"params": {"updated_since": "2024-01-01"}}, 422, "query.updated_since"),
    # cursors this service did not issue
    ("GET", "/api/v1/organizations", {"params": {"cursor": "eyJrIjoib3JnIn0.AAAA"}}, 400, None),
    ("GET", "/api/v1/members", {"params": {"cursor": "eyJrIjoibWVtYmVycyIsImEiOlsiJyJdfQ"}}, 400, None),
    ("GET", "/api/v1/audit", {"params": {"cursor": "eyJrIjoiYXVkaXQiLCJiIjoieCJ9.AAAAAAAAAAAAAAAA"}}, 400, None),
    # bodies that are not what the operation takes
    ("POST", "/api/v1/organizations", {"content": "{" * 5_000 + "}" * 5_000}, 400, None),
    ("POST", "/api/v1/organizations", {"content": "[" * 100_000 + "]" * 100_000}, 400, None),
    ("POST", "/api/v1/organizations", {"content": '{"code": NaN}'}, 400, None),
    (
        "POST",
        "/api/v1/organizations",
        {"content": "code=X&name=Y", "content_type": "application/x-www-form-urlencoded"},
        415,
        None,
    ),
    ("POST", "/api/v1/organizations", {"content": '{"code": "X"}', "content_type": "text/plain"}, 415, None),
    ("POST", "/api/v1/organizations", {"content": b"\xff\xfe{", "content_type": "application/json"}, 400, None),
    ("POST", "/api/v1/organizations", {"json": [1, 2, 3]}, 422, None),
    ("POST", "/api/v1/organizations", {"content": ""}, 422, "body"),
    # references to nothing
    (
        "POST",
        "/api/v1/members",
        {"json": _member(sponsor_ids=["0b8f7a6e-0000-4000-8000-000000000000", "0b8f7a6e-0000-4000-8000-000000000001"])},
        422,
        None,
    ),
    (
        "POST",
        "/api/v1/plans/import",
        {"params": {"organization_id": "{P}", "commit": "true"}, "content": "", "content_type": "text/plain"},
        422,
        None,
    ),
    (
        "POST",
        "/api/v1/plans/import",
        {
            "params": {"organization_id": "{P}", "commit": "true"},
            "content": "Không có gì ở đây\n",
            "content_type": "text/plain",
        },
        422,
        None,
    ),
    (
        "POST",
        "/api/v1/plans/import",
        {"params": {"organization_id": "{P}"}, "content": "1. Việc\x00 làm\n", "content_type": "text/plain"},
        422,
        None,
    ),
    (
        "POST",
        "/api/v1/plans/import",
        {"params": {"organization_id": "{P}"}, "content": b"%PDF-1.4", "content_type": "application/pdf"},
        415,
        None,
    ),
    (
        "POST",
        "/api/v1/plans/import",
        {
            "params": {"organization_id": "{P}", "commit": "true"},
            "content": b"PK\x03\x04 not really a zip",
            "content_type": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        },
        422,
        None,
    ),
]


def _fill(value: Any, world: dict[str, str]) -> Any:
    if isinstance(value, str):
        for name, real in world.items():
            value = value.replace("{" + name + "}", real)
        return value
    if isinstance(value, dict):
        return {k: _fill(v, world) for k, v in value.items()}
    if isinstance(value, list):
        return [_fill(v, world) for v in value]
    return value


@pytest.mark.parametrize("case", CASES, ids=[f"{c[0]} {c[1][:50]} {str(c[2])[:60]}" for c in CASES])
async def test_hostile_input_is_a_clear_4xx_and_writes_nothing(
    client: httpx.AsyncClient,
    db_pool: asyncpg.Pool,
    world: dict[str, str],
    case: tuple[str, str, dict[str, Any], int, str | None],
    snapshot: Snapshot,
) -> None:
    method, path, kwargs, status, field = case
    kwargs = _fill(kwargs, world)
    headers = {}
    if "content_type" in kwargs:
        headers["Content-Type"] = kwargs.pop("content_type")
    elif "content" in kwargs:
        headers["Content-Type"] = "application/json"
    before = await snapshot()
    response = await client.request(method, _fill(path, world), headers=headers, **kwargs)
    body = assert_problem(response, status)
    if field is not None:
        assert field in [e["field"] for e in body.get("errors") or []], body
    assert len(body["detail"]) < 2_000, "a detail a person can read"
    assert await snapshot() == before


async def test_a_yearly_task_read_before_its_plans_first_year(client: httpx.AsyncClient, world: dict[str, str]) -> None:
    """A plan issued in the future, or read as of a day before its first year, owes nothing yet (was a 500)."""
    plan = await client.post(
        "/api/v1/plans", json={"organization_id": world["P"], "title": "Kế hoạch 2030", "issued_on": "2030-03-01"}
    )
    assert plan.status_code == 201, plan.text
    task = await client.post(
        f"/api/v1/plans/{plan.json()['id']}/tasks",
        json={"code": "1", "title": "Báo cáo hằng năm", "deadline": "Hằng năm"},
    )
    assert task.status_code == 201, task.text
    for as_of in (None, "2024-06-01"):
        response = await client.get(
            f"/api/v1/plans/{plan.json()['id']}/tasks", params={"as_of": as_of} if as_of else {}
        )
        assert response.status_code == 200, response.text
        owed = response.json()["items"][0]["obligations"]
        assert [(o["year"], o["state"]) for o in owed] == [(2030, "not_yet_due")]


async def test_a_tampered_cursor_is_refused(client: httpx.AsyncClient, world: dict[str, str]) -> None:
    first = await client.get("/api/v1/organizations", params={"limit": 1})
    cursor = first.json()["next_cursor"]
    assert cursor
    body, _, mac = cursor.partition(".")
    forged = body[:-2] + ("AA" if body[-2:] != "AA" else "BB") + "." + mac
    assert_problem(
        await client.get("/api/v1/organizations", params={"limit": 1, "cursor": forged}), 400, "invalid_cursor"
    )
    assert (await client.get("/api/v1/organizations", params={"limit": 1, "cursor": cursor})).status_code == 200


async def test_method_not_allowed_lists_the_allowed_methods(client: httpx.AsyncClient) -> None:
    response = await client.delete("/api/v1/organizations")
    assert_problem(response, 405)
    assert set(response.headers["allow"].split(", ")) >= {"GET", "POST"}
