"""Targets of the indicators (issue 12): a yearly target is no quarter's, a range is met from its low end and
exceeding it is no failure, plans carry targets (seed 004's by default), and a refused target writes nothing."""

from typing import Any

import httpx
import pytest

from tests.support.builders import CreateOrg, Snapshot
from tests.support.problems import assert_problem

API = "/api/v1/indicators"
OLD = "2020-01-01"


async def items(client: httpx.AsyncClient, **params: Any) -> list[dict[str, Any]]:
    response = await client.get(f"{API}/analytics", params=params)
    assert response.status_code == 200, response.text
    found: list[dict[str, Any]] = response.json()["items"]
    return found


async def one(client: httpx.AsyncClient, indicator: str, period: str, unit: dict[str, Any]) -> dict[str, Any]:
    found = await items(client, indicator=indicator, period=period, organization_id=unit["id"])
    assert len(found) == 1, found
    return found[0]


async def member(client: httpx.AsyncClient, cell: dict[str, Any], name: str, admitted: str = "2010-05-01") -> str:
    response = await client.post(
        "/api/v1/members",
        params={"allow_same_name": "true"},
        json={
            "full_name": name,
            "gender": "male",
            "birth_date": "1980-01-01",
            "status": "official",
            "organization_id": cell["id"],
            "admission_decision_date": admitted,
        },
    )
    assert response.status_code == 201, response.text
    member_id: str = response.json()["id"]
    return member_id


@pytest.fixture
async def units(client: httpx.AsyncClient, create_org: CreateOrg) -> dict[str, dict[str, Any]]:
    """A province, a commune, four grassroots cells under it (each with ten official members), a plan of the
    province."""
    p = await create_org(client, "P", "provincial_committee", valid_from=OLD)
    x = await create_org(client, "X", "upper_level_committee", p, category="commune", valid_from=OLD)
    found = {"P": p, "X": x}
    for n in range(4):
        cell = await create_org(client, f"C{n}", "grassroots_cell", x, valid_from=OLD, category="village")
        found[f"C{n}"] = cell
    for k in range(10):
        await member(client, found["C0"], f"Nguyễn Văn Số{k}")
    plan = await client.post(
        "/api/v1/plans",
        json={"organization_id": p["id"], "title": "Kế hoạch thực hiện Nghị quyết 21", "code": "211-KH/TU"},
    )
    assert plan.status_code == 201, plan.text
    found["plan"] = plan.json()
    return found


async def inspect(client: httpx.AsyncClient, unit: dict[str, Any], on: str) -> None:
    response = await client.post(
        f"/api/v1/organizations/{unit['id']}/inspections",
        json={"inspecting_body": "Ủy ban Kiểm tra", "year": int(on[:4]), "inspected_on": on},
    )
    assert response.status_code == 201, response.text


async def test_a_yearly_target_is_not_a_quarters_target(
    client: httpx.AsyncClient, units: dict[str, dict[str, Any]]
) -> None:
    """The admission rate of a quarter is not 'not met' against the yearly ≥ 3 %: quarters have no target
    unless one is set for them."""
    x = units["X"]
    year = await one(client, "admission_rate", "2024", x)
    assert year["target"]["comparator"] == "gte" and year["target"]["period_types"] == ["year"]
    assert year["met"] is False and year["status"] == "not_met"
    quarter = await one(client, "admission_rate", "2024Q2", x)
    assert quarter["value"] == 0 and quarter["target"] is None
    assert quarter["met"] is None and quarter["status"] is None
    # A target set for quarters too applies to them.
    response = await client.post(
        f"{API}/admission_rate/targets",
        json={
            "organization_id": x["id"],
            "year_from": 2024,
            "comparator": "gte",
            "value": 1,
            "period_types": ["quarter"],
        },
    )
    assert response.status_code == 201, response.text
    assert response.json()["period_types"] == ["quarter"] and response.json()["set_by"] == "organization"
    quarter = await one(client, "admission_rate", "2024Q2", x)
    assert quarter["target"]["value"] == 1 and quarter["status"] == "not_met"
    # ...while the year still answers to the catalogue's yearly default.
    assert (await one(client, "admission_rate", "2024", x))["target"]["set_by"] == "default"


async def test_a_stock_target_holds_for_quarters_too(
    client: httpx.AsyncClient, units: dict[str, dict[str, Any]]
) -> None:
    """A share of a state at a period's end (subordinate cells with regulations) is judged at each quarter's end."""
    item = await one(client, "subordinate_cells_with_regulations", "2024Q3", units["P"])
    assert item["target"]["period_types"] == ["year", "quarter"] and item["target"]["value"] == 100


async def test_a_range_is_met_from_its_low_end_and_above_it_is_no_failure(
    client: httpx.AsyncClient, units: dict[str, dict[str, Any]]
) -> None:
    """Inspections 5–10 %: below 5 is not met, inside is met, above 10 is reported `above_range` and still met."""
    x = units["X"]
    response = await client.post(
        f"{API}/grassroots_inspected/targets",
        json={"organization_id": x["id"], "year_from": 2023, "comparator": "between", "value": 20, "value_high": 30},
    )
    assert response.status_code == 201, response.text
    before = await one(client, "grassroots_inspected", "2023", x)
    assert (before["value"], before["met"], before["status"]) == (0, False, "not_met")
    await inspect(client, units["C1"], "2023-05-05")
    inside = await one(client, "grassroots_inspected", "2023", x)
    assert (inside["value"], inside["met"], inside["status"]) == (25, True, "met")
    await inspect(client, units["C2"], "2023-06-06")
    above = await one(client, "grassroots_inspected", "2023", x)
    assert (above["value"], above["met"], above["status"]) == (50, True, "above_range")
    # The catalogue's 5–10 % is yearly: a quarter is not judged by it.
    assert (await one(client, "grassroots_inspected", "2023Q2", units["P"]))["status"] is None
    csv = await client.get(
        f"{API}/analytics",
        params={
            "indicator": "grassroots_inspected",
            "period": "2023",
            "organization_id": x["id"],
            "format": "csv",
            "headers": "en",
        },
    )
    assert csv.text.splitlines()[0].endswith(",met,status") and csv.text.splitlines()[1].endswith(",true,above_range")


async def test_a_plan_carries_seed_004_targets_by_default(
    client: httpx.AsyncClient, units: dict[str, dict[str, Any]]
) -> None:
    """A plan naming indicators without figures carries seed 004's targets; units below the plan's organisation
    are judged by them, and each item says the target came from the plan."""
    plan = units["plan"]
    response = await client.put(
        f"/api/v1/plans/{plan['id']}/targets",
        json={"targets": [{"indicator": "admission_rate"}, {"indicator": "village_cells_with_committee"}]},
    )
    assert response.status_code == 200, response.text
    carried = {t["indicator"]: t for t in response.json()["items"]}
    admission = carried["admission_rate"]
    assert (admission["comparator"], admission["value"], admission["value_high"]) == ("between", 3, 4)
    assert admission["set_by"] == "plan" and admission["plan_code"] == "211-KH/TU"
    assert admission["organization_id"] == units["P"]["id"] and admission["period_types"] == ["year"]
    village = carried["village_cells_with_committee"]
    assert (village["comparator"], village["value"], village["year_from"]) == ("gte", 100, 2025)
    item = await one(client, "admission_rate", "2025", units["X"])
    assert item["target"]["set_by"] == "plan" and item["target"]["plan_id"] == plan["id"]
    assert item["target"]["plan_code"] == "211-KH/TU" and item["target"]["value_high"] == 4
    # Before the plan's years, the catalogue's default; a unit's own target comes before the plan's.
    assert (await one(client, "village_cells_with_committee", "2024", units["X"]))["target"] is None
    own = await client.post(
        f"{API}/admission_rate/targets",
        json={"organization_id": units["P"]["id"], "year_from": 2025, "comparator": "gte", "value": 2},
    )
    assert own.status_code == 201, own.text
    assert (await one(client, "admission_rate", "2025", units["X"]))["target"]["set_by"] == "organization"
    listed = await client.get(f"/api/v1/plans/{plan['id']}/targets")
    assert sorted(t["indicator"] for t in listed.json()["items"]) == ["admission_rate", "village_cells_with_committee"]
    # Replacing with an empty list removes them.
    emptied = await client.put(f"/api/v1/plans/{plan['id']}/targets", json={"targets": []})
    assert emptied.status_code == 200 and emptied.json()["items"] == []
    catalogue = (await client.get(f"{API}/admission_rate")).json()
    assert catalogue["plan_default_target"]["value_high"] == 4 and catalogue["default_target"]["value"] == 3


async def test_a_refused_plan_target_writes_nothing(
    client: httpx.AsyncClient, units: dict[str, dict[str, Any]], snapshot: Snapshot
) -> None:
    plan = units["plan"]
    url = f"/api/v1/plans/{plan['id']}/targets"
    response = await client.put(url, json={"targets": [{"indicator": "admission_rate"}]})
    assert response.status_code == 200, response.text
    before = await snapshot()
    assert_problem(
        await client.put(url, json={"targets": [{"indicator": "members_rated_good"}]}), 422, "target_incomplete"
    )
    assert_problem(await client.put(url, json={"targets": [{"indicator": "nope"}]}), 422, "unknown_indicator")
    twice = {"indicator": "exit_rate", "comparator": "lte", "value": 1, "year_from": 2024}
    assert_problem(await client.put(url, json={"targets": [twice, {**twice, "value": 2}]}), 409, "target_overlaps")
    assert_problem(
        await client.put(
            url,
            json={
                "targets": [
                    {"indicator": "members_rated_good", "comparator": "gt", "value": 90, "year_from": 2024}
                    | {"period_types": ["quarter"]}
                ]
            },
        ),
        422,
        "target_period_types",
    )
    assert_problem(
        await client.put("/api/v1/plans/00000000-0000-0000-0000-000000000000/targets", json={"targets": []}),
        404,
        "plan_not_found",
    )
    assert await snapshot() == before


async def test_a_target_for_a_period_type_the_indicator_lacks_is_refused(
    client: httpx.AsyncClient, units: dict[str, dict[str, Any]], snapshot: Snapshot
) -> None:
    before = await snapshot()
    assert_problem(
        await client.post(
            f"{API}/members_rated_good/targets",
            json={
                "organization_id": units["P"]["id"],
                "year_from": 2024,
                "comparator": "gt",
                "value": 90,
                "period_types": ["year", "quarter"],
            },
        ),
        422,
        "target_period_types",
    )
    assert await snapshot() == before


async def test_targets_of_one_unit_overlap_only_for_the_same_period_types(
    client: httpx.AsyncClient, units: dict[str, dict[str, Any]], snapshot: Snapshot
) -> None:
    body = {"organization_id": units["X"]["id"], "year_from": 2024, "comparator": "gte", "value": 3}
    assert (await client.post(f"{API}/admission_rate/targets", json=body)).status_code == 201
    quarterly = await client.post(
        f"{API}/admission_rate/targets", json={**body, "value": 1, "period_types": ["quarter"]}
    )
    assert quarterly.status_code == 201, quarterly.text
    before = await snapshot()
    assert_problem(
        await client.post(f"{API}/admission_rate/targets", json={**body, "year_from": 2026, "value": 4}),
        409,
        "target_overlaps",
    )
    assert await snapshot() == before
