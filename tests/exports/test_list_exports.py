"""A member's history, a unit's leadership seats, plans and a plan's tasks as files: each the JSON list's rows in
its order with its values, its enumerations in Vietnamese under `headers=vi`, a discipline's file only with pii,
and nothing outside the caller's scope."""

from typing import Any

import httpx
from fastapi import FastAPI

from tests.support.builders import AddMember, ClientWith, InsertKey, Seat
from tests.support.files import FORMATS, assert_export_is_the_list, table, text_of
from tests.support.problems import assert_problem

API = "/api/v1"


async def test_a_members_history_exports_as_its_json_list(
    app: FastAPI,
    client: httpx.AsyncClient,
    communes: dict[str, Any],
    add_member: AddMember,
    client_with: ClientWith,
    insert_key: InsertKey,
) -> None:
    member = await add_member(communes["A-DU-CB"], "Nguyễn Văn An")
    for kind, day, extra in (
        ("suspend", "2024-03-01", {"decision_ref": "07-QĐ/ĐU", "note": "Kỷ luật"}),
        ("end_suspension", "2024-09-01", {}),
        ("transfer", "2025-01-02", {"to_organization_id": communes["B-DU-CB"]["id"], "decision_ref": "9-QĐ"}),
    ):
        response = await client.post(f"{API}/members/{member}/events", json={"kind": kind, "date": day, **extra})
        assert response.status_code == 201, response.text
    url = f"{API}/members/{member}/history"
    events = await assert_export_is_the_list(client, url, {}, paged=False)
    assert [e["kind"] for e in events][-3:] == ["suspend", "end_suspension", "transfer"]
    vi = table("csv", (await client.get(url, params={"format": "csv"})).content)
    assert [r["Sự kiện"] for r in vi][-3:] == [
        "Đình chỉ sinh hoạt",
        "Hết đình chỉ sinh hoạt",
        "Chuyển sinh hoạt đảng chính thức",
    ]
    plain = await insert_key(role="viewer", pii=False, scopes=[communes["B"]["id"]])
    async with client_with(app, plain) as c:
        hidden = await assert_export_is_the_list(c, url, {}, paged=False)
        assert next(e for e in hidden if e["kind"] == "suspend")["details_hidden"] is True
        for fmt in FORMATS:
            response = await c.get(url, params={"format": fmt})
            assert "07-QĐ/ĐU" not in text_of(fmt, response.content) and "Kỷ luật" not in text_of(fmt, response.content)
            assert "9-QĐ" in text_of(fmt, response.content)  # a transfer's decision is no discipline
    outsider = await insert_key(role="viewer", scopes=[communes["A"]["id"]])
    async with client_with(app, outsider) as c:  # the member left A: out of its scope now
        assert_problem(await c.get(url, params={"format": "csv"}), 404, "member_not_found")


async def test_a_units_seats_export_as_its_json_list(
    app: FastAPI,
    client: httpx.AsyncClient,
    communes: dict[str, Any],
    add_member: AddMember,
    seat: Seat,
    client_with: ClientWith,
    insert_key: InsertKey,
) -> None:
    cell = communes["A-DU-CB"]
    for name, position in (
        ("Lê Thị Chi", "committee_member"),
        ("Trần Văn Bình", "deputy_secretary"),
        ("Ngô An", "secretary"),
    ):
        member = await add_member(cell, name)
        assert (await seat(client, cell, member, position, "2021-01-01")).status_code == 201
    url = f"{API}/organizations/{cell['id']}/positions"
    seats = await assert_export_is_the_list(client, url, {}, paged=False)
    assert [s["position"] for s in seats] == ["secretary", "deputy_secretary", "committee_member"]
    assert await assert_export_is_the_list(client, url, {"as_of": "2020-06-01"}, paged=False) == []
    response = await client.get(url, params={"format": "xlsx", "as_of": "2022-01-01"})
    assert response.headers["content-disposition"] == 'attachment; filename="positions_A-DU-CB_2022-01-01.xlsx"'
    titles = [r["Chức vụ"] for r in table("xlsx", response.content)]
    assert titles == ["Bí thư", "Phó Bí thư", "Cấp ủy viên (chi ủy viên)"]
    # a member's seats and public posts, in one file: seats first, then posts, each as GET …/positions lists them
    secretary = seats[0]["member_id"]
    post = {"post": "village_head", "organization_id": cell["id"], "place": "Thôn Đông", "valid_from": "2022-06-01"}
    assert (await client.post(f"{API}/members/{secretary}/posts", json=post)).status_code == 201
    held = (await client.get(f"{API}/members/{secretary}/positions")).json()
    for fmt in FORMATS:
        response = await client.get(f"{API}/members/{secretary}/positions", params={"format": fmt, "headers": "en"})
        rows = table(fmt, response.content)
        assert [(r["kind"], str(r["id"])) for r in rows] == [
            *(("position", p["id"]) for p in held["positions"]),
            *(("post", p["id"]) for p in held["posts"]),
        ]
        assert (rows[0]["position"], rows[1]["post"], rows[1]["place"]) == ("secretary", "village_head", "Thôn Đông")
    vi = table("csv", (await client.get(f"{API}/members/{secretary}/positions", params={"format": "csv"})).content)
    assert [r["Loại"] for r in vi] == ["Chức vụ đảng", "Chức danh kiêm nhiệm"]
    assert vi[1]["Chức danh chính quyền, đoàn thể"] == "Trưởng thôn (bản, ấp, buôn, làng)" and vi[1]["Chức vụ"] == ""
    outsider = await insert_key(role="viewer", scopes=[communes["B"]["id"]])
    async with client_with(app, outsider) as c:
        assert_problem(await c.get(url, params={"format": "csv"}), 404)
        assert_problem(await c.get(f"{API}/members/{secretary}/positions", params={"format": "xlsx"}), 404)


async def test_plans_and_a_plans_tasks_export_as_their_json_lists(
    app: FastAPI,
    client: httpx.AsyncClient,
    communes: dict[str, Any],
    client_with: ClientWith,
    insert_key: InsertKey,
) -> None:
    plans = []
    for unit, code in (("A", "86-KH/ĐU"), ("A-DU", None), ("B", "12-KH/ĐU")):
        body = {"organization_id": communes[unit]["id"], "title": f"Kế hoạch {unit}", "code": code}
        response = await client.post(f"{API}/plans", json=body)
        assert response.status_code == 201, response.text
        plans.append(response.json())
    for code, deadline in (
        ("1", "Quý IV/2024"),
        ("2", "Thường xuyên"),
        ("3", "Trong tháng 3/2025"),
        ("4", "sau khi có chủ trương của tỉnh"),
    ):
        roles = ["lead"] if code != "2" else ["coordinating"]
        task = {
            "code": code,
            "title": f"Việc {code}",
            "deadline": deadline,
            "assignments": [{"body": "Ban Tuyên giáo xã A", "roles": roles}],
        }
        assert (await client.post(f"{API}/plans/{plans[0]['id']}/tasks", json=task)).status_code == 201
    listed = await assert_export_is_the_list(client, f"{API}/plans", {}, paged=True)
    assert len(listed) == 3
    only = await assert_export_is_the_list(client, f"{API}/plans", {"organization_id": communes["A"]["id"]}, paged=True)
    assert [p["code"] for p in only] == ["86-KH/ĐU"]
    url = f"{API}/plans/{plans[0]['id']}/tasks"
    tasks = await assert_export_is_the_list(client, url, {"as_of": "2025-01-15"}, paged=False)
    assert [t["code"] for t in tasks] == ["1", "2", "3", "4"] and tasks[0]["state"] == "overdue"
    events = await assert_export_is_the_list(client, f"{API}/plans/{plans[0]['id']}/events", {}, paged=False)
    assert [e["waiting_tasks"] for e in events] == [["4"]]
    response = await client.get(url, params={"format": "csv", "as_of": "2025-01-15"})
    assert response.headers["content-disposition"] == 'attachment; filename="tasks-86-KH-DU_A_2025-01-15.csv"'
    assert table("csv", response.content)[0]["Tình trạng"] == "Quá hạn"
    body = tasks[0]["assignments"][0]["body_id"]
    for params in ({}, {"role": "lead"}, {"state": "overdue"}, {"due_within_days": 90}):
        mine = await assert_export_is_the_list(
            client, f"{API}/tasks", {"body_id": body, "as_of": "2025-01-15", **params}, paged=False
        )
        assert mine, params
    assert [t["code"] for t in mine] == ["3"]  # due in March 2025
    reader = await insert_key(role="viewer", scopes=[communes["A"]["id"]])
    async with client_with(app, reader) as c:
        mine = await assert_export_is_the_list(c, f"{API}/plans", {}, paged=True)
        assert {p["code"] for p in mine} == {"86-KH/ĐU", None}
        for fmt in FORMATS:
            assert "12-KH" not in text_of(fmt, (await c.get(f"{API}/plans", params={"format": fmt})).content)
        assert_problem(await c.get(f"{API}/plans/{plans[2]['id']}/tasks", params={"format": "csv"}), 404)


async def test_a_units_records_export_as_their_json_lists(
    app: FastAPI, client: httpx.AsyncClient, communes: dict[str, Any], client_with: ClientWith, insert_key: InsertKey
) -> None:
    cell, commune = communes["A-DU-CB"]["id"], communes["A"]["id"]
    for url, body in (
        (f"{API}/organizations/{cell}/regulations", {"issued_on": "2022-02-01", "reference": "07-QC/CB"}),
        (f"{API}/organizations/{cell}/regulations", {"issued_on": "2021-02-01", "reference": "03-QC/CB"}),
        (
            f"{API}/organizations/{cell}/inspections",
            {"inspecting_body": "Ủy ban Kiểm tra xã A", "year": 2024, "conclusion": "=Tốt"},
        ),
        (f"{API}/organizations/{commune}/terms", {"label": "2020-2025", "starts_on": "2020-09-01"}),
    ):
        assert (await client.post(url, json=body)).status_code == 201
    regulations = await assert_export_is_the_list(client, f"{API}/organizations/{cell}/regulations", {}, paged=False)
    assert [r["reference"] for r in regulations] == ["03-QC/CB", "07-QC/CB"]
    inspections = await assert_export_is_the_list(client, f"{API}/organizations/{cell}/inspections", {}, paged=False)
    assert inspections[0]["conclusion"] == "=Tốt"
    terms = await assert_export_is_the_list(client, f"{API}/organizations/{commune}/terms", {}, paged=False)
    assert [t["label"] for t in terms] == ["2020-2025"]
    vi = await client.get(f"{API}/organizations/{cell}/inspections", params={"format": "csv"})
    assert vi.headers["content-disposition"].startswith('attachment; filename="inspections_A-DU-CB_')
    assert table("csv", vi.content)[0]["Kết luận"] == "'=Tốt"
    outsider = await insert_key(role="viewer", scopes=[communes["B"]["id"]])
    async with client_with(app, outsider) as c:
        assert_problem(await c.get(f"{API}/organizations/{cell}/regulations", params={"format": "ndjson"}), 404)
