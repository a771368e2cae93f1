"""Plans, tasks and bodies as records: body search, plan codes per issuing organisation, versions (ETag and
If-Match)."""

from typing import Any

import httpx
import pytest

from tests.support.builders import CreateOrg, Snapshot
from tests.support.problems import assert_problem

PLANS = "/api/v1/plans"
BODIES = "/api/v1/bodies"


@pytest.fixture
async def towns(client: httpx.AsyncClient, create_org: CreateOrg) -> tuple[dict[str, Any], dict[str, Any]]:
    province = await create_org(client, "T", "provincial_committee", valid_from="2020-01-01", name="Đảng bộ tỉnh")
    one = await create_org(client, "TX", "upper_level_committee", province, valid_from="2020-01-01", name="Thị xã A")
    two = await create_org(client, "TY", "upper_level_committee", province, valid_from="2020-01-01", name="Thị xã B")
    return one, two


async def _body(client: httpx.AsyncClient, org_id: str, name: str) -> dict[str, Any]:
    response = await client.post(BODIES, json={"organization_id": org_id, "name": name})
    assert response.status_code == 201, response.text
    body: dict[str, Any] = response.json()
    return body


async def _found(client: httpx.AsyncClient, q: str) -> list[str]:
    response = await client.get(BODIES, params={"q": q})
    assert response.status_code == 200, response.text
    return [b["name"] for b in response.json()["items"]]


async def test_body_search_ignores_case_accents_and_abbreviations_both_ways(
    client: httpx.AsyncClient, towns: tuple[dict[str, Any], dict[str, Any]]
) -> None:
    town, _ = towns
    await _body(client, town["id"], "UBND thị xã")
    await _body(client, town["id"], "Hội đồng nhân dân thị xã")
    await _body(client, town["id"], "Ban Tuyên giáo Thị ủy")
    for q in ("ubnd thi xa", "UBND THỊ XÃ", "ủy ban nhân dân thị xã", "Uy Ban Nhan Dan", "ubnd"):
        assert await _found(client, q) == ["UBND thị xã"], q
    for q in ("hđnd thị xã", "HDND", "hội đồng nhân dân"):
        assert await _found(client, q) == ["Hội đồng nhân dân thị xã"], q
    assert await _found(client, "ban tuyen giao") == ["Ban Tuyên giáo Thị ủy"]


async def test_body_search_finds_a_body_by_its_alias(
    client: httpx.AsyncClient, towns: tuple[dict[str, Any], dict[str, Any]]
) -> None:
    town, _ = towns
    body = await _body(client, town["id"], "Cơ quan Tổ chức - Nội vụ thị xã")
    added = await client.post(f"{BODIES}/{body['id']}/aliases", json={"alias": "Ban Tổ chức Thị ủy"})
    assert added.status_code == 200, added.text
    assert await _found(client, "ban to chuc thi uy") == ["Cơ quan Tổ chức - Nội vụ thị xã"]


async def test_plan_codes_are_unique_per_issuing_organisation(
    client: httpx.AsyncClient, towns: tuple[dict[str, Any], dict[str, Any]], snapshot: Snapshot
) -> None:
    one, two = towns
    first = await client.post(PLANS, json={"organization_id": one["id"], "code": "211-KH/TU", "title": "Kế hoạch A"})
    assert first.status_code == 201, first.text
    other = await client.post(PLANS, json={"organization_id": two["id"], "code": "211-KH/TU", "title": "Kế hoạch B"})
    assert other.status_code == 201, other.text  # each town numbers its own KH/TU
    renumbered = await client.patch(f"{PLANS}/{other.json()['id']}", json={"code": "211-KH/TU", "title": "B"})
    assert renumbered.status_code == 200, renumbered.text  # keeping its own code is no clash
    before = await snapshot()
    again = await client.post(PLANS, json={"organization_id": one["id"], "code": "211-KH/TU", "title": "Kế hoạch C"})
    assert_problem(again, 409, "duplicate_plan_code")
    assert await snapshot() == before
    second = await client.post(PLANS, json={"organization_id": one["id"], "code": "212-KH/TU", "title": "Kế hoạch D"})
    assert second.status_code == 201
    after_second = await snapshot()
    taken = await client.patch(f"{PLANS}/{second.json()['id']}", json={"code": "211-KH/TU"})
    assert_problem(taken, 409, "duplicate_plan_code")
    assert await snapshot() == after_second


async def _write_twice(
    client: httpx.AsyncClient, url: str, method: str, first: dict[str, Any], second: dict[str, Any]
) -> None:
    """Read (ETag), write with If-Match (the version moves on), write again with the stale ETag: 412."""
    read = await client.get(url)
    assert read.status_code == 200, read.text
    etag = read.headers["ETag"]
    assert etag.startswith(f'"{read.json()["version"]}-p')  # the version, the view of a caller with pii
    written = await client.request(
        method, url if method == "PATCH" else f"{url}/aliases", json=first, headers={"If-Match": etag}
    )
    assert written.status_code == 200, written.text
    assert written.headers["ETag"] != etag and written.json()["version"] == read.json()["version"] + 1
    stale = await client.request(
        method, url if method == "PATCH" else f"{url}/aliases", json=second, headers={"If-Match": etag}
    )
    problem = assert_problem(stale, 412, "version_mismatch")
    assert problem["current_version"] == written.json()["version"]
    assert (await client.get(url)).headers["ETag"] == written.headers["ETag"]  # the refused write left no trace


async def test_a_stale_if_match_on_a_plan_is_refused_and_changes_nothing(
    client: httpx.AsyncClient, towns: tuple[dict[str, Any], dict[str, Any]]
) -> None:
    town, _ = towns
    plan = (await client.post(PLANS, json={"organization_id": town["id"], "title": "Kế hoạch"})).json()
    await _write_twice(client, f"{PLANS}/{plan['id']}", "PATCH", {"status": "issued"}, {"title": "Lạc hậu"})
    assert (await client.get(f"{PLANS}/{plan['id']}")).json()["title"] == "Kế hoạch"


async def test_a_stale_if_match_on_a_task_is_refused_and_changes_nothing(
    client: httpx.AsyncClient, towns: tuple[dict[str, Any], dict[str, Any]]
) -> None:
    town, _ = towns
    plan = (await client.post(PLANS, json={"organization_id": town["id"], "title": "Kế hoạch"})).json()
    task = await client.post(
        f"{PLANS}/{plan['id']}/tasks", json={"code": "1", "title": "Việc", "deadline": "Quý IV/2024"}
    )
    assert task.status_code == 201 and task.headers["ETag"].startswith('"1-p@')  # read on today
    url = f"/api/v1/tasks/{task.json()['id']}"
    await _write_twice(client, url, "PATCH", {"deadline": "Trong đầu quý II/2025"}, {"title": "Lạc hậu"})
    got = (await client.get(url, params={"as_of": "2025-01-01"})).json()
    assert got["title"] == "Việc" and got["obligations"][0]["due"] == "2025-04-30"


async def test_a_stale_if_match_on_a_body_is_refused_and_changes_nothing(
    client: httpx.AsyncClient, towns: tuple[dict[str, Any], dict[str, Any]]
) -> None:
    town, _ = towns
    body = await _body(client, town["id"], "Cơ quan Tổ chức - Nội vụ thị xã")
    url = f"{BODIES}/{body['id']}"
    await _write_twice(client, url, "POST", {"alias": "Ban Tổ chức Thị ủy"}, {"alias": "Phòng Nội vụ thị xã"})
    assert (await client.get(url)).json()["aliases"] == ["Ban Tổ chức Thị ủy"]
