"""Plans and task assignments through the API: import of seed 004, deadlines waiting on events, yearly
obligations, reports, "my tasks", summaries and scoping."""

from typing import Any

import asyncpg
import httpx
import pytest
from fastapi import FastAPI

from app.demo.plan import plan_text
from tests.support.builders import ClientWith, CreateOrg, InsertKey, Snapshot
from tests.support.problems import assert_problem

SEED_TEXT: str | None = plan_text()  # seed 004 (../shared/seeds/004_*.txt), shipped with the package
PLANS = "/api/v1/plans"


@pytest.fixture
async def town(client: httpx.AsyncClient, create_org: CreateOrg) -> dict[str, Any]:
    province = await create_org(client, "T", "provincial_committee", valid_from="2020-01-01", name="Đảng bộ tỉnh")
    return await create_org(
        client, "TX", "upper_level_committee", province, valid_from="2020-01-01", name="Đảng bộ thị xã"
    )


async def _import(client: httpx.AsyncClient, org_id: str, *, commit: bool) -> httpx.Response:
    assert SEED_TEXT is not None, "seed 004 is in ../shared/seeds"
    return await client.post(
        f"{PLANS}/import",
        params={"organization_id": org_id, "commit": commit, "code": "211-KH/TU", "status": "issued"},
        content=SEED_TEXT.encode(),
        headers={"Content-Type": "text/plain; charset=utf-8"},
    )


@pytest.fixture
async def plan(client: httpx.AsyncClient, town: dict[str, Any]) -> dict[str, Any]:
    response = await _import(client, town["id"], commit=True)
    assert response.status_code == 201, response.text
    body: dict[str, Any] = response.json()
    return body


async def _tasks(client: httpx.AsyncClient, plan_id: str, as_of: str) -> dict[str, dict[str, Any]]:
    response = await client.get(f"{PLANS}/{plan_id}/tasks", params={"as_of": as_of})
    assert response.status_code == 200, response.text
    return {t["code"]: t for t in response.json()["items"]}


async def test_preview_writes_nothing_and_commit_creates_the_plan(
    client: httpx.AsyncClient, db_pool: asyncpg.Pool, town: dict[str, Any], snapshot: Snapshot
) -> None:
    before = await snapshot()
    preview = await _import(client, town["id"], commit=False)
    assert preview.status_code == 200, preview.text
    body = preview.json()
    assert body["tasks_with_deadline"] == 41 and body["plan_id"] is None
    assert len(body["unparsed"]) <= 3, body["unparsed"]
    assert "Ban Thường vụ Thị ủy" in body["new_bodies"]
    assert await snapshot() == before
    committed = await _import(client, town["id"], commit=True)
    assert committed.status_code == 201, committed.text
    plan_id = committed.json()["plan_id"]
    got = (await client.get(f"{PLANS}/{plan_id}")).json()
    assert got["code"] == "211-KH/TU" and got["issuer"] == "Ban Thường vụ Thị ủy" and got["status"] == "issued"
    tasks = await _tasks(client, plan_id, "2023-01-01")
    assert sum(1 for t in tasks.values() if t["deadline"]) == 41
    a = tasks["2.1.1.a"]
    roles = {(x["body"], x["role"]) for x in a["assignments"]}
    assert ("Ban Thường vụ Thị ủy", "directing") in roles
    assert ("Cơ quan Tổ chức - Nội vụ thị xã", "advisory") in roles
    # the same body in many tasks is one body
    bodies = (await client.get("/api/v1/bodies", params={"organization_id": town["id"], "limit": 500})).json()
    names = [b["name"] for b in bodies["items"]]
    assert names.count("Ban Thường vụ Thị ủy") == 1
    # importing the same code twice is refused, and leaves nothing half-written
    before = await snapshot()
    assert_problem(await _import(client, town["id"], commit=True), 409, "duplicate_plan_code")
    assert await snapshot() == before
    audit = (await client.get("/api/v1/audit", params={"entity": "plan"})).json()["items"]
    assert [e["action"] for e in audit] == ["import"]


async def test_recording_an_event_resolves_waiting_deadlines(client: httpx.AsyncClient, plan: dict[str, Any]) -> None:
    plan_id = plan["plan_id"]
    tasks = await _tasks(client, plan_id, "2023-07-01")
    assert tasks["2.1.2.a"]["state"] == "waiting_on_event"
    events = (await client.get(f"{PLANS}/{plan_id}/events")).json()["items"]
    model = next(e for e in events if "Quy chế mẫu" in e["description"])
    assert "2.1.2.a" in model["waiting_tasks"]
    recorded = await client.put(
        f"{PLANS}/{plan_id}/events/{model['id']}",
        json={"happened_on": "2023-03-15", "reference": "Quy chế mẫu số 01-QC/TU"},
    )
    assert recorded.status_code == 200, recorded.text
    task = (await _tasks(client, plan_id, "2023-07-01"))["2.1.2.a"]
    assert task["obligations"][0]["due"] == "2023-06-15"
    assert task["state"] == "overdue"
    assert (await _tasks(client, plan_id, "2023-06-10"))["2.1.2.a"]["state"] == "due_soon"
    assert (await _tasks(client, plan_id, "2023-04-01"))["2.1.2.a"]["state"] == "not_yet_due"
    body_id = next(a["body_id"] for a in task["assignments"] if a["role"] == "advisory")
    report = await client.post(
        f"/api/v1/tasks/{task['id']}/reports",
        json={"body_id": body_id, "reported_on": "2023-06-01", "status": "done", "text": "Đã ban hành quy chế"},
    )
    assert report.status_code == 201, report.text
    assert (await _tasks(client, plan_id, "2023-07-01"))["2.1.2.a"]["state"] == "done_on_time"
    assert (await _tasks(client, plan_id, "2023-05-01"))["2.1.2.a"]["state"] == "not_yet_due"
    outsider = next(b for b in (await client.get("/api/v1/bodies", params={"q": "uy ban kiem tra"})).json()["items"])
    not_assigned = await client.post(
        f"/api/v1/tasks/{tasks['3.a']['id']}/reports",
        json={"body_id": outsider["id"], "reported_on": "2023-06-01", "status": "done"},
    )
    assert_problem(not_assigned, 422, "not_assigned")


async def test_yearly_tasks_owe_one_obligation_per_year(client: httpx.AsyncClient, plan: dict[str, Any]) -> None:
    plan_id = plan["plan_id"]
    tasks = await _tasks(client, plan_id, "2024-06-30")
    for code in ("2.2.6", "2.2.10"):
        owed = tasks[code]["obligations"]
        assert [o["year"] for o in owed] == [2022, 2023, 2024], code
        assert [o["state"] for o in owed] == ["overdue", "overdue", "not_yet_due"]
    task = tasks["2.2.6"]
    body_id = task["assignments"][0]["body_id"]
    assert (
        await client.post(
            f"/api/v1/tasks/{task['id']}/reports",
            json={"body_id": body_id, "reported_on": "2023-12-20", "period_year": 2023, "status": "done"},
        )
    ).status_code == 201
    owed = (await _tasks(client, plan_id, "2024-06-30"))["2.2.6"]["obligations"]
    assert [o["state"] for o in owed] == ["overdue", "done_on_time", "not_yet_due"]
    summary = (await client.get(f"{PLANS}/{plan_id}/summary", params={"as_of": "2024-06-30"})).json()
    assert summary["tasks"] == 41
    assert summary["by_state"]["done_on_time"] >= 2  # 2.2.6's 2023 and "Đã hoàn thành"
    assert sum(summary["by_state"].values()) >= 41
    assert "directing" in summary["by_role"]


async def test_quarter_month_and_year_deadlines(client: httpx.AsyncClient, plan: dict[str, Any]) -> None:
    tasks = await _tasks(client, plan["plan_id"], "2023-02-15")
    assert tasks["3.a"]["obligations"][0]["due"] == "2022-12-31" and tasks["3.a"]["state"] == "overdue"
    assert tasks["3.b"]["state"] == "done_on_time"
    assert tasks["3.d"]["obligations"][0]["due"] == "2023-01-31" and tasks["3.d"]["state"] == "overdue"
    assert tasks["3.k"]["obligations"][0]["due"] == "2023-12-31" and tasks["3.k"]["state"] == "not_yet_due"
    assert tasks["2.1.1.c"]["state"] == "ongoing"
    assert tasks["2.1.1"]["deadline"] is None and tasks["2.1.1"]["state"] == "no_deadline"


async def test_my_tasks_and_reminders(client: httpx.AsyncClient, plan: dict[str, Any]) -> None:
    bodies = (await client.get("/api/v1/bodies", params={"q": "co quan to chuc - noi vu thi xa"})).json()["items"]
    body = bodies[0]
    assert body["name"] == "Cơ quan Tổ chức - Nội vụ thị xã"
    mine = (await client.get("/api/v1/tasks", params={"body_id": body["id"], "as_of": "2023-01-10"})).json()["items"]
    assert len(mine) >= 10
    advisory = (
        await client.get("/api/v1/tasks", params={"body_id": body["id"], "role": "advisory", "as_of": "2023-01-10"})
    ).json()["items"]
    assert advisory and all(
        any(a["role"] == "advisory" and a["body_id"] == body["id"] for a in t["assignments"]) for t in advisory
    )
    soon = (
        await client.get("/api/v1/tasks", params={"body_id": body["id"], "due_within_days": 30, "as_of": "2023-01-10"})
    ).json()["items"]
    assert all(o["due"] <= "2023-02-09" for t in soon for o in t["obligations"])
    overdue = (
        await client.get("/api/v1/tasks", params={"body_id": body["id"], "state": "overdue", "as_of": "2023-07-01"})
    ).json()["items"]
    assert all(o["state"] == "overdue" for t in overdue for o in t["obligations"])


async def test_plan_field_by_field(client: httpx.AsyncClient, town: dict[str, Any]) -> None:
    created = await client.post(
        PLANS,
        json={
            "organization_id": town["id"],
            "code": "12-KH/TU",
            "title": "Kế hoạch kiểm tra",
            "issuer": "Ban Thường vụ Thị ủy",
            "issued_on": "2024-01-05",
        },
    )
    assert created.status_code == 201, created.text
    plan_id = created.json()["id"]
    task = await client.post(
        f"{PLANS}/{plan_id}/tasks",
        json={
            "code": "1",
            "title": "Kiểm tra chi bộ",
            "deadline": "Quý II/2024",
            "assignments": [
                {"body": "Ủy ban Kiểm tra Thị ủy", "roles": ["lead"]},
                {"body": "UBKT thị ủy", "roles": ["implementing"]},
            ],
        },
    )
    assert task.status_code == 201, task.text
    assert task.json()["obligations"][0]["due"] == "2024-06-30"
    assert_problem(
        await client.post(f"{PLANS}/{plan_id}/tasks", json={"code": "1", "title": "x", "deadline": "Quý II/2024"}),
        409,
        "duplicate_task_code",
    )
    assert_problem(
        await client.post(f"{PLANS}/{plan_id}/tasks", json={"code": "2", "title": "x", "deadline": "xem xét sau"}),
        422,
        "unknown_deadline",
    )
    patched = await client.patch(f"{PLANS}/{plan_id}", json={"status": "issued"})
    assert patched.status_code == 200 and patched.json()["status"] == "issued"
    duplicate = await client.post(
        "/api/v1/bodies", json={"organization_id": town["id"], "name": "Uy ban kiem tra Thi uy"}
    )
    assert_problem(duplicate, 409, "duplicate_body")


async def test_plans_are_scoped(
    client: httpx.AsyncClient,
    app: FastAPI,
    db_pool: asyncpg.Pool,
    plan: dict[str, Any],
    town: dict[str, Any],
    client_with: ClientWith,
    create_org: CreateOrg,
    insert_key: InsertKey,
) -> None:
    province_id = town["parent_id"]
    elsewhere = await create_org(client, "TZ", "upper_level_committee", {"id": province_id}, valid_from="2020-01-01")
    outsider = await insert_key(role="editor", scopes=[elsewhere["id"]])
    insider = await insert_key(role="viewer", scopes=[town["id"]])
    tasks = await _tasks(client, plan["plan_id"], "2023-01-01")
    async with client_with(app, outsider) as c:
        assert_problem(await c.get(f"{PLANS}/{plan['plan_id']}"), 404)
        assert (await c.get(PLANS)).json()["items"] == []
        assert_problem(await c.get(f"/api/v1/tasks/{tasks['3.a']['id']}"), 404)
        assert_problem(await c.get(f"{PLANS}/{plan['plan_id']}/tasks"), 404)
        assert (await c.get("/api/v1/bodies")).json()["items"] == []
        assert_problem(await c.patch(f"{PLANS}/{plan['plan_id']}", json={"status": "draft"}), 404)
    async with client_with(app, insider) as c:
        assert (await c.get(f"{PLANS}/{plan['plan_id']}")).status_code == 200
        assert len((await c.get(PLANS)).json()["items"]) == 1


async def test_docx_import(client: httpx.AsyncClient, town: dict[str, Any]) -> None:
    docx = pytest.importorskip("docx")
    assert SEED_TEXT is not None
    document = docx.Document()
    for line in SEED_TEXT.splitlines():
        document.add_paragraph(line.replace("*", ""))
    import io

    buffer = io.BytesIO()
    document.save(buffer)
    response = await client.post(
        f"{PLANS}/import",
        params={"organization_id": town["id"]},
        content=buffer.getvalue(),
        headers={"Content-Type": "application/vnd.openxmlformats-officedocument.wordprocessingml.document"},
    )
    assert response.status_code == 200, response.text
    assert response.json()["tasks_with_deadline"] == 41
    for untyped in (buffer.getvalue(), SEED_TEXT.encode()):  # bytes of no declared type: a zip is a Word file
        same = await client.post(
            f"{PLANS}/import",
            params={"organization_id": town["id"]},
            content=untyped,
            headers={"Content-Type": "application/octet-stream"},
        )
        assert same.status_code == 200, same.text
        assert same.json()["tasks_with_deadline"] == 41
    bad = await client.post(
        f"{PLANS}/import",
        params={"organization_id": town["id"]},
        content=b"\x00\x01",
        headers={"Content-Type": "application/pdf"},
    )
    assert_problem(bad, 415, "unsupported_media_type")
