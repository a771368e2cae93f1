"""Collective bodies stand for organisations of the plan's subtree, and a task assigned to one is done per
organisation: seed 004 imported under a town with its communes, wards, military committee and school cells."""

from typing import Any

import httpx
import pytest

from app.demo.plan import plan_text
from tests.support.builders import CreateOrg, Snapshot
from tests.support.problems import assert_problem

PLANS = "/api/v1/plans"
CELL, COMMITTEE = "grassroots_cell", "grassroots_committee"


@pytest.fixture
async def town(client: httpx.AsyncClient, create_org: CreateOrg) -> dict[str, Any]:
    """Thị xã Đức Phổ as seed 004 names its units: communes and wards, the military committee, three high-school
    cells and the vocational centre's cell; a village cell under one commune."""
    province = await create_org(client, "T", "provincial_committee", valid_from="2020-01-01", name="Đảng bộ tỉnh")
    town = await create_org(
        client, "TX", "upper_level_committee", province, valid_from="2020-01-01", name="Đảng bộ thị xã Đức Phổ"
    )
    units: dict[str, dict[str, Any]] = {}
    for code, name, kind, category in (
        ("PN", "Đảng bộ xã Phổ Nhơn", COMMITTEE, "commune"),
        ("PK", "Đảng bộ xã Phổ Khánh", COMMITTEE, "commune"),
        ("PNI", "Đảng bộ xã Phổ Ninh", COMMITTEE, "commune"),
        ("PV", "Đảng bộ phường Phổ Vinh", COMMITTEE, "ward"),
        ("PC", "Đảng bộ xã Phổ Châu", COMMITTEE, "commune"),
        ("QS", "Đảng bộ Quân sự thị xã", COMMITTEE, "military"),
        ("T1", "Chi bộ Trường THPT số 1 Đức Phổ", CELL, "school"),
        ("T2", "Chi bộ Trường THPT số 2 Đức Phổ", CELL, "school"),
        ("T3", "Chi bộ Trường THPT Lương Thế Vinh", CELL, "school"),
        ("GD", "Chi bộ TT GDNN-GDTX", CELL, "public_service_unit"),
        ("TH", "Chi bộ Trường THCS Phổ Văn", CELL, "school"),
    ):
        units[code] = await create_org(client, code, kind, town, valid_from="2020-01-01", name=name, category=category)
    units["V1"] = await create_org(
        client, "V1", "subordinate_cell", units["PN"], valid_from="2020-01-01", name="Chi bộ thôn 1", category="village"
    )
    return {**town, "units": units}


@pytest.fixture
async def plan(client: httpx.AsyncClient, town: dict[str, Any]) -> dict[str, Any]:
    response = await client.post(
        f"{PLANS}/import",
        params={"organization_id": town["id"], "commit": True, "code": "211-KH/TU", "status": "issued"},
        content=plan_text().encode(),
        headers={"Content-Type": "text/plain; charset=utf-8"},
    )
    assert response.status_code == 201, response.text
    tasks = (await client.get(f"{PLANS}/{response.json()['plan_id']}/tasks", params={"as_of": "2023-01-01"})).json()
    return {t["code"]: t for t in tasks["items"]}


def _members(task: dict[str, Any], body: str) -> list[str]:
    (assignment, *_) = [a for a in task["assignments"] if a["body"] == body]
    return [m["code"] for m in assignment["members"]]


async def test_collective_of_communes_and_wards_stands_for_their_committees(plan: dict[str, Any]) -> None:
    assert _members(plan["2.1.1.d"], "Đảng ủy các xã, phường") == ["PN", "PK", "PNI", "PV", "PC"]


async def test_counted_cells_stand_for_those_cells(plan: dict[str, Any]) -> None:
    assert _members(plan["2.2.5"], "03 chi bộ trường THPT trên địa bàn thị xã") == ["T1", "T2", "T3"]


async def test_collective_in_either_word_order_is_one_body_of_the_direct_subordinates(plan: dict[str, Any]) -> None:
    # 2.1.1.b writes "Các chi bộ, đảng ủy trực thuộc Thị ủy", 2.1.1.c "Các đảng ủy, chi bộ trực thuộc Thị ủy"
    one = next(a for a in plan["2.1.1.b"]["assignments"] if a["body"].endswith("trực thuộc Thị ủy"))
    other = next(a for a in plan["2.1.1.c"]["assignments"] if a["body"].endswith("trực thuộc Thị ủy"))
    assert one["body_id"] == other["body_id"]
    assert [m["code"] for m in one["members"]] == ["PN", "PK", "PNI", "PV", "PC", "QS", "T1", "T2", "T3", "GD", "TH"]


async def test_a_body_that_is_a_party_organisation_is_linked_to_it(plan: dict[str, Any]) -> None:
    military = next(a for a in plan["2.1.1.d"]["assignments"] if a["body"] == "Đảng ủy Quân sự thị xã")
    assert military["kind"] == "organization" and [m["code"] for m in military["members"]] == ["QS"]
    centre = "Chi bộ Trung tâm Giáo dục nghề nghiệp - Giáo dục thường xuyên thị xã"
    assert _members(plan["2.2.5"], centre) == ["GD"]
    agency = next(a for a in plan["2.1.1.d"]["assignments"] if a["body"] == "Cơ quan Tổ chức - Nội vụ thị xã")
    assert agency["kind"] == "agency" and agency["members"] == []


async def test_named_units_in_parentheses_become_those_units(plan: dict[str, Any]) -> None:
    body = "Đảng ủy xã, phường (Phổ Nhơn, Phổ Khánh, Phổ Ninh và Phổ Vinh)"
    assert _members(plan["3.k"], body) == ["PN", "PK", "PNI", "PV"]


async def test_every_organisation_of_the_subtree_for_all_committees(plan: dict[str, Any]) -> None:
    members = _members(plan["3.a"], "Các cấp ủy, tổ chức đảng trong Đảng bộ thị xã")
    assert "V1" in members and len(members) == 12


async def test_a_collective_task_is_done_per_organisation(
    client: httpx.AsyncClient, plan: dict[str, Any], town: dict[str, Any]
) -> None:
    task = plan["3.k"]  # due at the end of 2023, for the four communes and wards named
    body = next(a for a in task["assignments"] if a["body"].startswith("Đảng ủy xã, phường"))
    units = town["units"]
    (progress,) = task["collectives"]
    assert (progress["organizations"], progress["done"], progress["late"], progress["silent"]) == (4, 0, 0, 4)
    for code, day in (("PN", "2023-11-20"), ("PK", "2024-01-15")):
        report = await client.post(
            f"/api/v1/tasks/{task['id']}/reports",
            json={
                "body_id": body["body_id"],
                "organization_id": units[code]["id"],
                "reported_on": day,
                "status": "done",
            },
        )
        assert report.status_code == 201, report.text
    got = (await client.get(f"/api/v1/tasks/{task['id']}", params={"as_of": "2024-02-01"})).json()
    (progress,) = got["collectives"]
    assert (progress["done"], progress["late"], progress["silent"]) == (1, 3, 2)  # PK late, PNI and PV overdue
    states = {m["code"]: m["state"] for m in progress["by_organization"]}
    assert states == {"PN": "done_on_time", "PK": "done_late", "PNI": "overdue", "PV": "overdue"}


async def test_only_an_organisation_of_the_collective_reports_its_part(
    client: httpx.AsyncClient, plan: dict[str, Any], town: dict[str, Any], snapshot: Snapshot
) -> None:
    task = plan["3.k"]
    body = next(a for a in task["assignments"] if a["body"].startswith("Đảng ủy xã, phường"))
    before = await snapshot()
    outsider = await client.post(
        f"/api/v1/tasks/{task['id']}/reports",
        json={
            "body_id": body["body_id"],
            "organization_id": town["units"]["PC"]["id"],  # Phổ Châu is not among the four named
            "reported_on": "2023-06-01",
            "status": "done",
        },
    )
    assert_problem(outsider, 422, "not_a_member_of_the_collective")
    assert await snapshot() == before
