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
