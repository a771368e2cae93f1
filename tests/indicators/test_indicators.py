"""Indicator figures through the API: fresh after every kind of write, both structures after a merge, targets
inherited down the tree, CSV, scoping and clear errors. Exactness over random histories is
tests/indicators/test_indicators_property.py; the demo's hand count is tests/indicators/test_indicators_demo.py."""

import csv
import io
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from tests.support.builders import ClientWith, CreateOrg, InsertKey
from tests.support.problems import assert_problem

API = "/api/v1/indicators"
OLD = "2020-01-01"


async def figures(client: httpx.AsyncClient, **params: Any) -> list[dict[str, Any]]:
    response = await client.get(f"{API}/analytics", params=params)
    assert response.status_code == 200, response.text
    items: list[dict[str, Any]] = response.json()["items"]
    return items


async def figure(
    client: httpx.AsyncClient, indicator: str, period: str, unit: dict[str, Any] | str, **params: Any
) -> tuple[int, int | None]:
    unit_id = unit if isinstance(unit, str) else unit["id"]
    items = await figures(client, indicator=indicator, period=period, organization_id=unit_id, **params)
    mine = [i for i in items if i["organization_id"] == unit_id]
    assert len(mine) == 1, items
    return mine[0]["numerator"], mine[0]["denominator"]


async def member(
    client: httpx.AsyncClient, cell: dict[str, Any], name: str, admitted: str = "2010-05-01", status: str = "official"
) -> str:
    response = await client.post(
        "/api/v1/members",
        params={"allow_same_name": "true"},
        json={
            "full_name": name,
            "gender": "male",
            "birth_date": "1980-01-01",
            "status": status,
            "organization_id": cell["id"],
            "admission_decision_date": admitted,
        },
    )
    assert response.status_code == 201, response.text
    member_id: str = response.json()["id"]
    return member_id


@pytest.fixture
async def tree(client: httpx.AsyncClient, create_org: CreateOrg) -> dict[str, dict[str, Any]]:
    """A province with two communes; each has a grassroots committee with a village cell, and a grassroots
    cell; three official members in each village cell."""
    units: dict[str, dict[str, Any]] = {"P": await create_org(client, "P", "provincial_committee", valid_from=OLD)}
    for n in (1, 2):
        commune = await create_org(
            client,
            f"X{n}",
            "upper_level_committee",
            units["P"],
            category="commune",
            valid_from=OLD,
            name=f"Đảng bộ xã Số {n}",
        )
        committee = await create_org(client, f"X{n}-DU", "grassroots_committee", commune, valid_from=OLD)
        cell = await create_org(client, f"X{n}-DU-T", "subordinate_cell", committee, valid_from=OLD, category="village")
        grassroots_cell = await create_org(client, f"X{n}-CB", "grassroots_cell", commune, valid_from=OLD)
        units |= {f"X{n}": commune, f"X{n}-DU": committee, f"X{n}-DU-T": cell, f"X{n}-CB": grassroots_cell}
        for k in range(3):
            await member(client, cell, f"Nguyễn Văn Xã{n} Số{k}")
    return units


async def test_catalogue_names_every_indicator_with_its_definition(client: httpx.AsyncClient) -> None:
    response = await client.get(API)
    assert response.status_code == 200
    items = response.json()["items"]
    codes = {i["code"] for i in items}
    assert {
        "village_cells_with_committee",
        "grassroots_rated_good",
        "members_rated_good",
        "admission_rate",
        "grassroots_inspected",
        "subordinate_cells_with_regulations",
        "village_heads_members",
        "secretary_village_head",
        "exit_rate",
        "tasks_on_time",
        "members",
        "secretary_front_head",
        "military_police_cells_with_committee",
        "commune_secretary_council_chair",
        "commune_secretary_committee_chair",
        "private_enterprise_organizations",
        "private_enterprise_members",
        "admissions_introduced",
    } == codes
    for item in items:
        assert item["name"] and item["name_vi"] and item["numerator"] and item["numerator_vi"]
        assert item["unit"] in ("percent", "count") and item["period_types"]
        assert (item["denominator"] is None) == (item["unit"] == "count")
    one = (await client.get(f"{API}/admission_rate")).json()
    assert one["default_target"]["comparator"] == "gte" and one["default_target"]["value"] == 3
    assert_problem(await client.get(f"{API}/nope"), 404, "indicator_not_found")


async def test_each_write_is_in_the_next_read(client: httpx.AsyncClient, tree: dict[str, dict[str, Any]]) -> None:
    p, x1, x2 = tree["P"], tree["X1"], tree["X2"]
    cell1, cell2 = tree["X1-DU-T"], tree["X2-DU-T"]
    assert await figure(client, "members", "2024", p) == (6, None)
    assert await figure(client, "members", "2024", x1) == (3, None)

    # A rating: members_rated_good moves at once, at every level.
    someone = await member(client, cell1, "Trần Thị Đánh Giá")
    assert await figure(client, "members", "2024", p) == (7, None)
    response = await client.post(f"/api/v1/members/{someone}/ratings", json={"period": "2024", "score": 92})
    assert response.status_code == 201, response.text
    assert await figure(client, "members_rated_good", "2024", p) == (1, 1)
    assert await figure(client, "members_rated_good", "2024", x1) == (1, 1)
    assert await figure(client, "members_rated_good", "2024", x2) == (0, 0)
    replaced = await client.put(f"/api/v1/members/{someone}/ratings/2024", json={"score": 55})
    assert replaced.status_code == 200, replaced.text
    assert await figure(client, "members_rated_good", "2024", p) == (0, 1)

    # A transfer between communes in 2025: 2024 stays, 2025 moves.
    response = await client.post(
        f"/api/v1/members/{someone}/events",
        json={"kind": "transfer", "date": "2025-03-10", "to_organization_id": cell2["id"]},
    )
    assert response.status_code == 201, response.text
    assert await figure(client, "members", "2024", x1) == (4, None)
    assert await figure(client, "members", "2025", x1) == (3, None)
    assert await figure(client, "members", "2025", x2) == (4, None)
    assert await figure(client, "members", "2025Q1", x2) == (4, None)
    assert await figure(client, "members", "2024Q4", x2) == (3, None)

    # An exit: the exit rate counts it against the members at the start of the year.
    response = await client.post(f"/api/v1/members/{someone}/events", json={"kind": "resign", "date": "2025-06-01"})
    assert response.status_code == 201, response.text
    assert await figure(client, "exit_rate", "2025", x2) == (1, 3)
    assert await figure(client, "exit_rate", "2025", p) == (1, 7)
    assert await figure(client, "members", "2025", p) == (6, None)

    # A move of a unit: from its date on it counts under the new parent; before, under the old.
    response = await client.post(
        f"/api/v1/organizations/{tree['X1-DU']['id']}/move",
        json={"parent_id": x2["id"], "effective_date": "2025-01-01"},
    )
    assert response.status_code == 200, response.text
    assert await figure(client, "members", "2024", x1) == (4, None)
    assert await figure(client, "members", "2025", x1) == (0, None)
    assert await figure(client, "members", "2025", x2) == (6, None)
    # Today's tree regroups history: the 2024 members of the moved committee count under X2.
    assert await figure(client, "members", "2024", x1, structure="current") == (0, None)
    assert await figure(client, "members", "2024", x2, structure="current") == (7, None)


async def test_organisation_facts_are_fresh(client: httpx.AsyncClient, tree: dict[str, dict[str, Any]]) -> None:
    p, du, cell = tree["P"], tree["X1-DU"], tree["X1-DU-T"]
    assert await figure(client, "subordinate_cells_with_regulations", "2024", p) == (0, 2)
    response = await client.post(
        f"/api/v1/organizations/{cell['id']}/regulations", json={"issued_on": "2024-05-01", "reference": "01-QC/CB"}
    )
    assert response.status_code == 201, response.text
    assert await figure(client, "subordinate_cells_with_regulations", "2024", p) == (1, 2)
    assert await figure(client, "subordinate_cells_with_regulations", "2024Q1", p) == (0, 2)
    assert await figure(client, "subordinate_cells_with_regulations", "2024Q2", p) == (1, 2)

    assert await figure(client, "grassroots_inspected", "2024", p) == (0, 4)
    for _ in range(2):  # twice in a year is one organisation inspected
        response = await client.post(
            f"/api/v1/organizations/{du['id']}/inspections",
            json={"inspecting_body": "Ủy ban Kiểm tra Tỉnh ủy", "year": 2024, "inspected_on": "2024-08-15"},
        )
        assert response.status_code == 201, response.text
    assert await figure(client, "grassroots_inspected", "2024", p) == (1, 4)
    assert await figure(client, "grassroots_inspected", "2024Q3", p) == (1, 4)
    assert await figure(client, "grassroots_inspected", "2024Q2", p) == (0, 4)

    response = await client.post(f"/api/v1/organizations/{du['id']}/ratings", json={"period": "2024", "score": 95})
    assert response.status_code == 201, response.text
    assert await figure(client, "grassroots_rated_good", "2024", p) == (1, 1)

    # The village cell gets a committee (secretary + 2 seats) and its secretary is the village head.
    people = [
        (await client.get("/api/v1/members", params={"organization_id": cell["id"]})).json()["items"][k]["id"]
        for k in range(3)
    ]
    for person, seat in zip(people, ("secretary", "deputy_secretary", "committee_member"), strict=True):
        response = await client.post(
            f"/api/v1/organizations/{cell['id']}/positions",
            json={"member_id": person, "position": seat, "valid_from": "2023-02-01"},
        )
        assert response.status_code == 201, response.text
    assert await figure(client, "village_cells_with_committee", "2023", p) == (1, 2)
    assert await figure(client, "village_cells_with_committee", "2022", p) == (0, 2)
    assert await figure(client, "secretary_village_head", "2023", p) == (0, 2)
    response = await client.post(
        f"/api/v1/members/{people[0]}/posts",
        json={"post": "village_head", "organization_id": cell["id"], "valid_from": "2024-01-01"},
    )
    assert response.status_code == 201, response.text
    assert await figure(client, "secretary_village_head", "2024", p) == (1, 2)
    assert await figure(client, "village_heads_members", "2024", p) == (1, 2)
    assert await figure(client, "village_heads_members", "2023", p) == (0, 2)


async def test_merge_keeps_period_figures_and_regroups_current_ones(
    client: httpx.AsyncClient, tree: dict[str, dict[str, Any]]
) -> None:
    x1, x2 = tree["X1"], tree["X2"]
    await member(client, tree["X2-DU-T"], "Lê Văn Thêm")
    before = {code: await figure(client, "members", "2023", tree[code]) for code in ("X1", "X2")}
    assert before == {"X1": (3, None), "X2": (4, None)}
    response = await client.post(
        "/api/v1/organizations/merge",
        json={
            "source_ids": [x1["id"], x2["id"]],
            "effective_date": "2025-07-01",
            "decision_ref": "1234-QĐ/TU",
            "into": {"code": "X12", "name": "Đảng bộ xã Hợp Nhất"},
        },
    )
    assert response.status_code == 201, response.text
    merged = response.json()
    for code, expected in before.items():
        assert await figure(client, "members", "2023", tree[code]) == expected
    assert await figures(client, indicator="members", period="2023", organization_id=merged["id"]) == []
    assert await figure(client, "members", "2023", merged, structure="current") == (7, None)
    assert await figure(client, "members", "2025", merged) == (7, None)
    assert_problem(
        await client.get(
            f"{API}/analytics",
            params={"indicator": "members", "period": "2023", "organization_id": x1["id"], "structure": "current"},
        ),
        422,
        "not_in_current_tree",
    )
    # The province's children: the two communes in 2023, the merged one today.
    then = await figures(
        client,
        indicator="members",
        period="2023",
        organization_id=tree["P"]["id"],
        breakdown="children",
        include_self="false",
    )
    assert [(i["organization_code"], i["numerator"]) for i in then] == [("X1", 3), ("X2", 4)]
    now = await figures(
        client,
        indicator="members",
        period="2023",
        organization_id=tree["P"]["id"],
        breakdown="children",
        include_self="false",
        structure="current",
    )
    assert [(i["organization_code"], i["numerator"]) for i in now] == [("X12", 7)]


async def test_breakdowns_sum_to_the_parent(client: httpx.AsyncClient, tree: dict[str, dict[str, Any]]) -> None:
    items = await figures(
        client,
        indicator="members,admission_rate",
        period="2024,2025",
        organization_id=tree["P"]["id"],
        breakdown="level",
        level=2,
    )
    for indicator in ("members", "admission_rate"):
        for period in ("2024", "2025"):
            rows = [i for i in items if i["indicator"] == indicator and i["period"] == period]
            assert rows[0]["organization_code"] == "P"
            assert sorted(r["organization_code"] for r in rows[1:]) == ["X1-CB", "X1-DU", "X2-CB", "X2-DU"]
            assert rows[0]["numerator"] == sum(r["numerator"] for r in rows[1:])
    # Without a unit: the total over the caller's scope, and its roots as the children.
    total = await figures(client, indicator="members", period="2024", breakdown="children")
    assert [(i["organization_id"], i["numerator"]) for i in total] == [(None, 6), (tree["P"]["id"], 6)]


async def test_admissions_and_the_rate_against_members_at_the_start(
    client: httpx.AsyncClient, tree: dict[str, dict[str, Any]]
) -> None:
    cell = tree["X1-DU-T"]
    sponsors = [
        i["id"]
        for i in (await client.get("/api/v1/members", params={"organization_id": cell["id"]})).json()["items"][:2]
    ]
    candidate = await client.post(
        "/api/v1/members",
        json={
            "full_name": "Phạm Thị Mới",
            "gender": "female",
            "birth_date": "2000-01-01",
            "status": "candidate",
            "organization_id": cell["id"],
            "training_certificate_date": "2024-01-10",
            "sponsor_ids": sponsors,
            "sponsor_since": {s: "2022-01-01" for s in sponsors},
            "since": "2024-01-15",
        },
    )
    assert candidate.status_code == 201, candidate.text
    response = await client.post(
        f"/api/v1/members/{candidate.json()['id']}/events", json={"kind": "admit", "date": "2024-03-01"}
    )
    assert response.status_code == 201, response.text
    assert await figure(client, "admission_rate", "2024", tree["P"]) == (1, 6)
    assert await figure(client, "admission_rate", "2024Q1", tree["X1"]) == (1, 3)
    item = (await figures(client, indicator="admission_rate", period="2024", organization_id=tree["X1"]["id"]))[0]
    assert item["value"] == 33.33 and item["met"] is True and item["target"]["value"] == 3
    # Recognition a year later is no second admission.
    response = await client.post(
        f"/api/v1/members/{candidate.json()['id']}/events", json={"kind": "recognize", "date": "2025-03-01"}
    )
    assert response.status_code == 201, response.text
    assert await figure(client, "admission_rate", "2025", tree["P"]) == (0, 7)


async def test_targets_are_inherited_down_the_tree(client: httpx.AsyncClient, tree: dict[str, dict[str, Any]]) -> None:
    p, x1 = tree["P"], tree["X1"]
    response = await client.post(
        f"{API}/members_rated_good/targets",
        json={"organization_id": p["id"], "year_from": 2024, "comparator": "between", "value": 3, "value_high": 4},
    )
    assert response.status_code == 201, response.text
    assert_problem(
        await client.post(
            f"{API}/members_rated_good/targets",
            json={"organization_id": p["id"], "year_from": 2025, "year_to": 2026, "comparator": "gte", "value": 95},
        ),
        409,
        "target_overlaps",
    )
    assert_problem(
        await client.post(
            f"{API}/members_rated_good/targets",
            json={"organization_id": p["id"], "year_from": 2020, "comparator": "gte", "value": 95, "value_high": 99},
        ),
        422,
        "target_range",
    )
    own = await client.post(
        f"{API}/members_rated_good/targets",
        json={"organization_id": x1["id"], "year_from": 2024, "year_to": 2024, "comparator": "gte", "value": 80},
    )
    assert own.status_code == 201, own.text

    items = await figures(
        client, indicator="members_rated_good", period="2023,2024,2025", organization_id=p["id"], breakdown="children"
    )
    by = {(i["organization_code"], i["period"]): i["target"] for i in items}
    assert by[("P", "2023")]["comparator"] == "gt" and by[("P", "2023")]["organization_id"] is None  # default
    assert by[("P", "2024")]["comparator"] == "between" and by[("P", "2024")]["organization_id"] == p["id"]
    assert by[("X1", "2024")]["value"] == 80 and by[("X1", "2025")]["value"] == 3
    assert by[("X2", "2024")]["value_high"] == 4
    listed = (await client.get(f"{API}/members_rated_good/targets")).json()["items"]
    assert [t["organization_code"] for t in listed] == ["P", "X1"]
    response = await client.delete(f"{API}/members_rated_good/targets/{own.json()['id']}")
    assert response.status_code == 204
    items = await figures(client, indicator="members_rated_good", period="2024", organization_id=x1["id"])
    assert items[0]["target"]["comparator"] == "between"


async def test_csv_has_the_same_cells(client: httpx.AsyncClient, tree: dict[str, dict[str, Any]]) -> None:
    params = {
        "indicator": "members,admission_rate",
        "period": "2024",
        "organization_id": tree["P"]["id"],
        "breakdown": "children",
    }
    as_json = await figures(client, **params)
    response = await client.get(f"{API}/analytics", params={**params, "headers": "en"}, headers={"Accept": "text/csv"})
    assert response.status_code == 200 and response.headers["content-type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert [(r["indicator"], r["organization_code"], int(r["numerator"])) for r in rows] == [
        (i["indicator"], i["organization_code"], i["numerator"]) for i in as_json
    ]
    assert rows[0]["organization_name"] == "Tổ chức P"
    also = await client.get(f"{API}/analytics", params={**params, "format": "csv", "headers": "en"})
    assert also.text == response.text
    vi = await client.get(f"{API}/analytics", params={**params, "format": "csv"})  # an office's words
    first = next(csv.DictReader(io.StringIO(vi.content.decode("utf-8-sig"))))
    assert (first["Chỉ tiêu"], first["Tên tổ chức"]) == ("Số đảng viên", "Tổ chức P")


async def test_clear_errors(client: httpx.AsyncClient, tree: dict[str, dict[str, Any]]) -> None:
    def get(**params: Any) -> Any:
        return client.get(f"{API}/analytics", params={"indicator": "members", "period": "2024", **params})

    assert_problem(await get(indicator="members,nope"), 422, "unknown_indicator")
    assert_problem(await get(period="2024-13"), 422, "invalid_period")
    assert_problem(await get(period="1999"), 422, "period_outside_window")
    assert_problem(await get(organization_id="NO-SUCH-CODE"), 404, "organization_not_found")
    assert_problem(await get(indicator="members_rated_good", period="2024Q1"), 422, "period_type_not_supported")
    assert_problem(await get(breakdown="sideways"), 422)
    # A yearly indicator next to quarters: the quarters simply have no items for it.
    items = await figures(client, indicator="members,members_rated_good", period="2024,2024Q1", organization_id="P")
    assert [(i["indicator"], i["period"]) for i in items] == [
        ("members", "2024"),
        ("members", "2024Q1"),
        ("members_rated_good", "2024"),
    ]


async def test_a_scoped_key_sees_only_its_subtree(
    app: FastAPI,
    client: httpx.AsyncClient,
    db_pool: Any,
    tree: dict[str, dict[str, Any]],
    client_with: ClientWith,
    insert_key: InsertKey,
) -> None:
    await member(client, tree["X2-DU-T"], "Lê Văn Thêm")
    token = await insert_key(role="viewer", scopes=[tree["X1"]["id"]], pii=False)
    async with client_with(app, token) as scoped:
        total = await figures(scoped, indicator="members", period="2024", breakdown="children")
        assert [(i["organization_code"], i["numerator"]) for i in total] == [(None, 3), ("X1", 3)]
        response = await scoped.get(
            f"{API}/analytics", params={"indicator": "members", "period": "2024", "organization_id": tree["X2"]["id"]}
        )
        assert_problem(response, 404, "organization_not_found")
        assert_problem(
            await scoped.get(
                f"{API}/analytics", params={"indicator": "members", "period": "2024", "organization_id": "P"}
            ),
            404,
            "organization_not_found",
        )


async def test_members_older_than_their_cell_count_only_in_todays_tree(
    client: httpx.AsyncClient, tree: dict[str, dict[str, Any]], create_org: CreateOrg
) -> None:
    """A cell founded in 2023 registers a member admitted in 2015: the member is placed in the cell from its
    founding, never before (issue 12), so 2022 counts them nowhere, in the tree of 2022 or in today's."""
    late = await create_org(client, "LATE", "grassroots_cell", tree["X1"], valid_from="2023-01-01")
    await member(client, late, "Đỗ Văn Cũ", admitted="2015-05-05")
    assert await figure(client, "members", "2022", tree["X1"]) == (3, None)
    assert await figures(client, indicator="members", period="2022", organization_id=late["id"]) == []
    assert await figure(client, "members", "2022", late, structure="current") == (0, None)
    assert await figure(client, "members", "2022", tree["X1"], structure="current") == (3, None)
    assert await figure(client, "members", "2023", tree["X1"]) == (4, None)
