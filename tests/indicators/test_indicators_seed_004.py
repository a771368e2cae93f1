"""The indicators seed 004 names (issue 12), and the cell-committee threshold shared with the API's rules."""

from typing import Any

import asyncpg
import httpx
from fastapi import FastAPI

from app.main import create_app
from app.settings import Settings
from tests.support.builders import ClientWith, CreateOrg, InsertKey
from tests.support.indicator_oracle import Oracle, analytics, compare

API = "/api/v1/indicators"
OLD = "2020-01-01"


async def figure(client: httpx.AsyncClient, indicator: str, period: str, unit: dict[str, Any]) -> tuple[int, Any]:
    response = await client.get(
        f"{API}/analytics", params={"indicator": indicator, "period": period, "organization_id": unit["id"]}
    )
    assert response.status_code == 200, response.text
    (item,) = response.json()["items"]
    return item["numerator"], item["denominator"]


async def members(client: httpx.AsyncClient, cell: dict[str, Any], count: int) -> list[str]:
    ids = []
    for k in range(count):
        response = await client.post(
            "/api/v1/members",
            params={"allow_same_name": "true"},
            json={
                "full_name": f"Đảng viên {cell['code']} Số{k}",
                "gender": "female",
                "birth_date": "1981-02-02",
                "status": "official",
                "organization_id": cell["id"],
                "admission_decision_date": "2012-03-03",
            },
        )
        assert response.status_code == 201, response.text
        ids.append(response.json()["id"])
    return ids


async def seat(client: httpx.AsyncClient, unit: dict[str, Any], member: str, position: str) -> None:
    response = await client.post(
        f"/api/v1/organizations/{unit['id']}/positions",
        json={"member_id": member, "position": position, "valid_from": "2024-01-01"},
    )
    assert response.status_code == 201, response.text


async def post(client: httpx.AsyncClient, member: str, what: str, unit: dict[str, Any], since: str) -> str:
    response = await client.post(
        f"/api/v1/members/{member}/posts", json={"post": what, "organization_id": unit["id"], "valid_from": since}
    )
    assert response.status_code == 201, response.text
    post_id: str = response.json()["id"]
    return post_id


async def test_commune_secretaries_who_chair_the_council_or_the_committee(
    client: httpx.AsyncClient, create_org: CreateOrg
) -> None:
    """Seed 004, 2.1.3: the commune secretary also chairs the People's Council (and, where possible, the
    People's Committee); and a village cell's secretary heads the village Front work committee."""
    p = await create_org(client, "P", "provincial_committee", valid_from=OLD)
    x = await create_org(client, "X", "upper_level_committee", p, category="commune", valid_from=OLD)
    w = await create_org(client, "W", "upper_level_committee", p, category="ward", valid_from=OLD)
    cell = await create_org(client, "X-T", "grassroots_cell", x, category="village", valid_from=OLD)
    people = await members(client, cell, 3)
    await seat(client, x, people[0], "secretary")
    await seat(client, cell, people[1], "secretary")
    assert await figure(client, "commune_secretary_council_chair", "2024", p) == (0, 2)
    await post(client, people[0], "commune_council_chair", x, "2024-06-01")
    assert await figure(client, "commune_secretary_council_chair", "2024", p) == (1, 2)
    assert await figure(client, "commune_secretary_council_chair", "2024Q1", p) == (0, 2)
    assert await figure(client, "commune_secretary_committee_chair", "2024", p) == (0, 2)
    await post(client, people[0], "commune_chair", x, "2024-07-01")
    assert await figure(client, "commune_secretary_committee_chair", "2024", x) == (1, 1)
    assert await figure(client, "commune_secretary_committee_chair", "2024", w) == (0, 1)
    # the Front committee's head must be the cell's secretary: another member holding it does not count
    other = await post(client, people[2], "front_committee_head", cell, "2024-01-01")
    assert await figure(client, "secretary_front_head", "2024", x) == (0, 1)
    ended = await client.post(f"/api/v1/members/{people[2]}/posts/{other}/end", json={"valid_to": "2025-01-01"})
    assert ended.status_code == 200, ended.text
    await post(client, people[1], "front_committee_head", cell, "2025-01-01")
    assert await figure(client, "secretary_front_head", "2025", x) == (1, 1)


async def test_military_and_police_cells_with_a_committee_and_private_enterprises(
    client: httpx.AsyncClient, create_org: CreateOrg
) -> None:
    """Seed 004, 2.1.1.d (commune military and police cells with a committee) and 2.1.1.c (party organisations
    and members in private enterprises)."""
    p = await create_org(client, "P", "provincial_committee", valid_from=OLD)
    x = await create_org(client, "X", "grassroots_committee", p, category="commune", valid_from=OLD)
    military = await create_org(client, "X-QS", "subordinate_cell", x, category="military", valid_from=OLD)
    await create_org(client, "X-CA", "subordinate_cell", x, category="police", valid_from=OLD)
    company = await create_org(client, "DN", "grassroots_cell", p, category="private_enterprise", valid_from=OLD)
    assert await figure(client, "military_police_cells_with_committee", "2024", p) == (0, 2)
    people = await members(client, military, 3)
    for person, position in zip(people, ("secretary", "deputy_secretary", "committee_member"), strict=True):
        await seat(client, military, person, position)
    assert await figure(client, "military_police_cells_with_committee", "2024", p) == (1, 2)
    assert await figure(client, "military_police_cells_with_committee", "2023", p) == (0, 2)
    assert await figure(client, "private_enterprise_organizations", "2024", p) == (1, None)
    assert await figure(client, "private_enterprise_members", "2024", p) == (0, None)
    await members(client, company, 2)
    assert await figure(client, "private_enterprise_members", "2024", p) == (2, None)
    # a correction of the category is a correction of the whole history
    response = await client.patch(f"/api/v1/organizations/{company['id']}", json={"category": "state_enterprise"})
    assert response.status_code == 200, response.text
    assert await figure(client, "private_enterprise_members", "2024", p) == (0, None)
    assert await figure(client, "private_enterprise_organizations", "2024", p) == (0, None)


async def test_admissions_introduced_by_a_mass_organisation(client: httpx.AsyncClient, create_org: CreateOrg) -> None:
    """Seed 004, 2.2.9.b: candidates the Front and the mass organisations introduce (`introduced_by`)."""
    p = await create_org(client, "P", "provincial_committee", valid_from=OLD)
    cell = await create_org(client, "C", "grassroots_cell", p, valid_from=OLD)
    sponsors = await members(client, cell, 2)
    admitted = []
    for n, introducer in enumerate(("youth_union", None)):
        response = await client.post(
            "/api/v1/members",
            json={
                "full_name": f"Quần chúng Số{n}",
                "gender": "male",
                "birth_date": "2000-01-01",
                "status": "candidate",
                "organization_id": cell["id"],
                "training_certificate_date": "2024-01-10",
                "sponsor_ids": sponsors,
                "sponsor_since": {s: "2022-01-01" for s in sponsors},
                "since": "2024-01-15",
                **({"introduced_by": introducer} if introducer else {}),
            },
        )
        assert response.status_code == 201, response.text
        assert response.json()["introduced_by"] == introducer
        admit = await client.post(
            f"/api/v1/members/{response.json()['id']}/events", json={"kind": "admit", "date": "2024-05-19"}
        )
        assert admit.status_code == 201, admit.text
        admitted.append(response.json()["id"])
    assert await figure(client, "admissions_introduced", "2024", p) == (1, 2)
    assert await figure(client, "admissions_introduced", "2024Q2", p) == (1, 2)
    # recording later who introduced the second one counts it where it was admitted
    response = await client.patch(f"/api/v1/members/{admitted[1]}", json={"introduced_by": "trade_union"})
    assert response.status_code == 200, response.text
    assert await figure(client, "admissions_introduced", "2024", p) == (2, 2)


async def test_the_cell_committee_threshold_is_the_setting_of_both_the_rules_and_the_indicators(
    settings: Settings,
    database_url: str,
    db_pool: asyncpg.Pool,
    client: httpx.AsyncClient,
    create_org: CreateOrg,
    client_with: ClientWith,
    insert_key: InsertKey,
) -> None:
    """COSO_CELL_COMMITTEE_MIN_POSITIONS decides both `has_cell_committee` (leadership) and the indicator: a
    service started with 2 counts a village cell with two seats as having a committee, at once."""
    p = await create_org(client, "P", "provincial_committee", valid_from=OLD)
    cell = await create_org(client, "T", "grassroots_cell", p, category="village", valid_from=OLD)
    people = await members(client, cell, 2)
    await seat(client, cell, people[0], "secretary")
    await seat(client, cell, people[1], "deputy_secretary")
    assert await figure(client, "village_cells_with_committee", "2024", p) == (0, 1)
    lenient: FastAPI = create_app(
        settings.model_copy(update={"cell_committee_min_positions": 2}), database_url=database_url
    )
    try:
        async with lenient.router.lifespan_context(lenient), client_with(lenient, await insert_key()) as c:
            assert await figure(c, "village_cells_with_committee", "2024", p) == (1, 1)
            led = await c.get(f"/api/v1/organizations/{cell['id']}/leadership", params={"as_of": "2024-06-01"})
            assert led.json()["has_cell_committee"] is True and led.json()["cell_committee_min_positions"] == 2
    finally:
        await db_pool.execute(
            "SELECT coso_indicators_configure('cell_committee_min_positions', $1)",
            settings.cell_committee_min_positions,
        )
    assert await figure(client, "village_cells_with_committee", "2024", p) == (0, 1)


async def test_tasks_on_time_is_kept_in_the_sums_and_matches_the_oracle(
    client: httpx.AsyncClient, db_pool: asyncpg.Pool, create_org: CreateOrg
) -> None:
    """Plan obligations falling due in a period (by today) and done on time: kept at each write like the other
    figures, counted for the plan's organisation and every unit above it, as the oracle recounts them."""
    p = await create_org(client, "P", "provincial_committee", valid_from=OLD)
    x = await create_org(client, "X", "upper_level_committee", p, category="commune", valid_from=OLD)
    plan = await client.post(
        "/api/v1/plans",
        json={"organization_id": x["id"], "title": "Kế hoạch", "code": "01-KH/ĐU", "issued_on": "2022-05-01"},
    )
    assert plan.status_code == 201, plan.text
    tasks = {}
    for code, deadline in (("1", "Quý IV/2022"), ("2", "tháng 01/2023"), ("3", "Hằng năm"), ("4", "Quý I/2024")):
        response = await client.post(
            f"/api/v1/plans/{plan.json()['id']}/tasks",
            json={
                "code": code,
                "title": f"Nhiệm vụ {code}",
                "deadline": deadline,
                "assignments": [{"body": "Ban Tổ chức", "roles": ["lead"]}],
            },
        )
        assert response.status_code == 201, response.text
        tasks[code] = response.json()
    assert await figure(client, "tasks_on_time", "2022", p) == (0, 2)  # task 1 and 2022's yearly obligation

    async def report(code: str, on: str, year: int | None = None) -> None:
        task = tasks[code]
        response = await client.post(
            f"/api/v1/tasks/{task['id']}/reports",
            json={"body_id": task["assignments"][0]["body_id"], "reported_on": on, "status": "done"}
            | ({"period_year": year} if year else {}),
        )
        assert response.status_code == 201, response.text

    await report("1", "2022-11-01")
    await report("2", "2023-03-01")  # late
    await report("3", "2022-12-20", 2022)
    await report("3", "2024-01-10", 2023)  # late
    assert await figure(client, "tasks_on_time", "2022", p) == (2, 2)
    assert await figure(client, "tasks_on_time", "2022Q4", x) == (2, 2)
    assert await figure(client, "tasks_on_time", "2023", x) == (0, 2)
    assert await figure(client, "tasks_on_time", "2024Q1", p) == (0, 1)
    oracle = await Oracle.load(db_pool)
    root = next(u for u in oracle.orgs if str(u) == p["id"])
    periods = ["2022", "2023", "2024", "2022Q4", "2024Q1"]
    items = await analytics(
        client, indicator="tasks_on_time", period=",".join(periods), organization_id=p["id"], breakdown="children"
    )
    assert not compare(
        oracle, items, structure="period", root=root, level=1, indicators=["tasks_on_time"], periods=periods
    )
