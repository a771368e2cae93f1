import httpx

from tests.support.builders import CreateOrg
from tests.support.problems import assert_problem


async def test_create_and_read_back(client: httpx.AsyncClient, create_org: CreateOrg) -> None:
    province = await create_org(
        client, "HY", "provincial_committee", name="Đảng bộ tỉnh Hưng Yên", external_ids=["csdl:HY01"]
    )
    commune = await create_org(client, "HY-X1", "upper_level_committee", province, category="commune")
    got = await client.get(f"/api/v1/organizations/{commune['id']}")
    assert got.status_code == 200
    assert got.json()["parent_id"] == province["id"]
    assert got.json()["depth"] == 1
    assert got.headers["etag"] == '"1-p"'  # version 1, read by a caller with pii
    by_ext = await client.get("/api/v1/organizations/by_external_id/csdl:HY01")
    assert by_ext.json()["id"] == province["id"]


async def test_unknown_parent_is_a_problem(client: httpx.AsyncClient) -> None:
    response = await client.post(
        "/api/v1/organizations",
        json={"code": "X", "name": "X", "kind": "grassroots_cell", "parent_id": "00000000-0000-0000-0000-000000000001"},
    )
    assert_problem(response, 422, "parent_not_found")
