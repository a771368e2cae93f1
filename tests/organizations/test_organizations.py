"""Creating, reading, listing and correcting organisations; every refused request leaves the data unchanged."""

from typing import Any

import asyncpg
import httpx
import pytest

from tests.support.builders import CreateOrg, Snapshot
from tests.support.problems import assert_problem

API = "/api/v1/organizations"
OLD = "2020-01-01"


@pytest.fixture
async def tree(client: httpx.AsyncClient, create_org: CreateOrg) -> dict[str, dict[str, Any]]:
    province = await create_org(client, "HY", "provincial_committee", name="Đảng bộ tỉnh Hưng Yên", valid_from=OLD)
    commune = await create_org(
        client,
        "HY-X01",
        "upper_level_committee",
        province,
        name="Đảng bộ xã Tân Tiến",
        category="commune",
        valid_from=OLD,
    )
    committee = await create_org(
        client,
        "HY-X01-DU1",
        "grassroots_committee",
        commune,
        name="Đảng bộ Trường THPT Nguyễn Trãi",
        category="school",
        valid_from=OLD,
    )
    partial = await create_org(
        client, "HY-X01-DU1-BP", "partial_committee", committee, name="Đảng bộ bộ phận Khối A", valid_from=OLD
    )
    cell = await create_org(
        client, "HY-X01-DU1-CB1", "subordinate_cell", partial, name="Chi bộ Tổ Toán", valid_from=OLD
    )
    village = await create_org(
        client, "HY-X01-CB2", "grassroots_cell", commune, name="Chi bộ Thôn Đông", category="village", valid_from=OLD
    )
    return {
        "province": province,
        "commune": commune,
        "committee": committee,
        "partial": partial,
        "cell": cell,
        "village": village,
    }


async def test_read_by_id_code_and_external_id(client: httpx.AsyncClient, create_org: CreateOrg) -> None:
    province = await create_org(
        client,
        "HN",
        "provincial_committee",
        name="Đảng bộ thành phố Hà Nội",
        external_ids=["csdl3:01", "hrm:HN-1"],
        category="other",
    )
    assert province["external_ids"] == ["csdl3:01", "hrm:HN-1"]
    assert province["kind"] == "provincial_committee" and province["depth"] == 0 and province["parent_id"] is None
    assert province["version"] == 1 and province["valid_to"] is None
    for path in (f"{API}/{province['id']}", f"{API}/by_code/HN", f"{API}/by_external_id/hrm:HN-1"):
        response = await client.get(path)
        assert response.status_code == 200, path
        assert response.json()["id"] == province["id"]
    assert_problem(await client.get(f"{API}/by_code/NOPE"), 404, "organization_not_found")
    assert_problem(await client.get(f"{API}/by_external_id/hrm:none"), 404, "organization_not_found")
    assert_problem(await client.get(f"{API}/0b8f7a6e-0000-4000-8000-000000000000"), 404, "organization_not_found")


async def test_create_answers_location_and_defaults(client: httpx.AsyncClient) -> None:
    response = await client.post(
        API, json={"code": "T", "name": "  Đảng bộ   tỉnh Thái Bình ", "kind": "provincial_committee"}
    )
    assert response.status_code == 201
    body = response.json()
    assert response.headers["location"] == f"{API}/{body['id']}"
    assert body["name"] == "Đảng bộ tỉnh Thái Bình"
    assert body["valid_from"]


@pytest.mark.parametrize(
    ("kind", "parent_key", "rule"),
    [
        ("party_group", "committee", "parent_kind_not_allowed"),
        ("subordinate_cell", "commune", "parent_kind_not_allowed"),
        ("grassroots_cell", None, "parent_kind_not_allowed"),
        ("partial_committee", "village", "parent_kind_not_allowed"),
        ("provincial_committee", "province", "parent_kind_not_allowed"),
    ],
)
async def test_kind_rules_refuse_and_write_nothing(
    client: httpx.AsyncClient,
    db_pool: asyncpg.Pool,
    tree: dict[str, dict[str, Any]],
    kind: str,
    parent_key: str | None,
    rule: str,
    snapshot: Snapshot,
) -> None:
    before = await snapshot()
    response = await client.post(
        API,
        json={"code": "NEW", "name": "Mới", "kind": kind, "parent_id": tree[parent_key]["id"] if parent_key else None},
    )
    body = assert_problem(response, 422, rule)
    assert kind in body["detail"]
    assert await snapshot() == before


async def test_duplicates_refused_naming_the_owner(
    client: httpx.AsyncClient, db_pool: asyncpg.Pool, tree: dict[str, dict[str, Any]], snapshot: Snapshot
) -> None:
    await client.patch(f"{API}/{tree['village']['id']}", json={"external_ids": ["csdl3:V1"]})
    before = await snapshot()
    dup_code = await client.post(
        API, json={"code": "HY-X01", "name": "X", "kind": "grassroots_cell", "parent_id": tree["commune"]["id"]}
    )
    assert tree["commune"]["id"] in assert_problem(dup_code, 409, "duplicate_code")["detail"]
    dup_ext = await client.post(
        API,
        json={
            "code": "NEW",
            "name": "X",
            "kind": "grassroots_cell",
            "parent_id": tree["commune"]["id"],
            "external_ids": ["csdl3:V1"],
        },
    )
    assert tree["village"]["id"] in assert_problem(dup_ext, 409, "duplicate_external_id")["detail"]
    bad_ext = await client.post(
        API,
        json={
            "code": "NEW",
            "name": "X",
            "kind": "grassroots_cell",
            "parent_id": tree["commune"]["id"],
            "external_ids": ["no-colon"],
        },
    )
    assert assert_problem(bad_ext, 422, "validation_error")["errors"][0]["field"].startswith("body.external_ids")
    assert await snapshot() == before


async def test_nothing_under_a_dissolved_unit(
    client: httpx.AsyncClient, db_pool: asyncpg.Pool, tree: dict[str, dict[str, Any]], snapshot: Snapshot
) -> None:
    dissolved = await client.post(
        f"{API}/{tree['village']['id']}/dissolve", json={"effective_date": "2025-07-01", "decision_ref": "12-QĐ/ĐU"}
    )
    assert dissolved.status_code == 200, dissolved.text
    assert dissolved.json()["valid_to"] == "2025-07-01"
    before = await snapshot()
    response = await client.post(
        API, json={"code": "G", "name": "Tổ 1", "kind": "party_group", "parent_id": tree["village"]["id"]}
    )
    assert_problem(response, 409, "parent_dissolved")
    assert await snapshot() == before


async def test_patch_corrects_and_guards_versions(
    client: httpx.AsyncClient, db_pool: asyncpg.Pool, tree: dict[str, dict[str, Any]], snapshot: Snapshot
) -> None:
    unit = tree["village"]
    response = await client.patch(
        f"{API}/{unit['id']}", json={"name": "Chi bộ Thôn Đông Hưng"}, headers={"If-Match": '"1"'}
    )
    assert response.status_code == 200, response.text
    assert response.json()["name"] == "Chi bộ Thôn Đông Hưng"
    assert response.json()["version"] == 2 and response.headers["etag"] == '"2-p"'
    before = await snapshot()
    stale = await client.patch(f"{API}/{unit['id']}", json={"name": "Khác"}, headers={"If-Match": '"1"'})
    assert_problem(stale, 412, "version_mismatch")
    # an If-Match that names no version (a typo, another system's tag) is not taken for "no If-Match"
    for tag in ("abc", '"v2"', ""):
        garbled = await client.patch(f"{API}/{unit['id']}", json={"name": "Khác"}, headers={"If-Match": tag})
        assert_problem(garbled, 412, "version_mismatch")
    into_group = await client.patch(f"{API}/{unit['id']}", json={"kind": "party_group"})
    assert_problem(into_group, 422, "parent_kind_not_allowed")
    unknown_field = await client.patch(f"{API}/{unit['id']}", json={"parent_id": tree["province"]["id"]})
    assert_problem(unknown_field, 422, "validation_error")
    assert await snapshot() == before
    # a committee with subordinate cells cannot become a cell
    demote = await client.patch(f"{API}/{tree['partial']['id']}", json={"kind": "subordinate_cell"})
    assert_problem(demote, 422, "parent_kind_not_allowed")


async def _all_pages(client: httpx.AsyncClient, url: str, **params: Any) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = []
    cursor = None
    while True:
        response = await client.get(url, params={**params, **({"cursor": cursor} if cursor else {})})
        assert response.status_code == 200, response.text
        page = response.json()
        items += page["items"]
        cursor = page["next_cursor"]
        if cursor is None:
            return items


async def test_lists_filters_and_tree_endpoints(client: httpx.AsyncClient, tree: dict[str, dict[str, Any]]) -> None:
    def codes(items: list[dict[str, Any]]) -> list[str]:
        return [i["code"] for i in items]

    within = await _all_pages(client, API, within=tree["committee"]["id"], limit=1)
    assert codes(within) == ["HY-X01-DU1", "HY-X01-DU1-BP", "HY-X01-DU1-CB1"]
    assert codes(await _all_pages(client, API, kind=["grassroots_cell", "subordinate_cell"])) == [
        "HY-X01-DU1-CB1",
        "HY-X01-CB2",
    ]
    assert codes(await _all_pages(client, API, category="village")) == ["HY-X01-CB2"]
    assert codes(await _all_pages(client, API, parent_id=tree["commune"]["id"])) == ["HY-X01-DU1", "HY-X01-CB2"]
    children = await _all_pages(client, f"{API}/{tree['commune']['id']}/children", limit=1)
    assert codes(children) == ["HY-X01-DU1", "HY-X01-CB2"]
    ancestors = (await client.get(f"{API}/{tree['cell']['id']}/ancestors")).json()
    assert codes(ancestors["items"]) == ["HY", "HY-X01", "HY-X01-DU1", "HY-X01-DU1-BP"]
    assert [a["depth"] for a in ancestors["items"]] == [0, 1, 2, 3]
    subtree = await _all_pages(client, f"{API}/{tree['commune']['id']}/subtree", max_depth=1)
    assert codes(subtree) == ["HY-X01", "HY-X01-DU1", "HY-X01-CB2"]
    deep = await _all_pages(client, f"{API}/{tree['commune']['id']}/subtree", limit=2)
    assert len(deep) == 5
    missing = await client.get(API, params={"within": "0b8f7a6e-0000-4000-8000-000000000000"})
    assert_problem(missing, 422, "within_not_found")


async def test_search_is_accent_insensitive_and_exact_first(
    client: httpx.AsyncClient, tree: dict[str, dict[str, Any]], create_org: CreateOrg
) -> None:
    await create_org(client, "HY-X01-CB3", "grassroots_cell", tree["commune"], name="Chi bộ Thôn Đông Xá")
    await create_org(client, "HY-X01-CB4", "grassroots_cell", tree["commune"], name="Chi bộ Thôn Đồng")
    found = (await client.get(API, params={"q": "thon dong"})).json()["items"]
    assert {i["code"] for i in found} == {"HY-X01-CB2", "HY-X01-CB3", "HY-X01-CB4"}
    exact = (await client.get(API, params={"q": "Chi bộ Thôn Đồng"})).json()["items"]
    assert exact[0]["code"] == "HY-X01-CB4"
    by_code = (await client.get(API, params={"q": "hy-x01-du1"})).json()["items"]
    assert [i["code"] for i in by_code][:1] == ["HY-X01-DU1"]
    paged = await _all_pages(client, API, q="thon", limit=1)
    assert len(paged) == 3 and len({i["id"] for i in paged}) == 3
    literal = (await client.get(API, params={"q": "100%"})).json()["items"]
    assert literal == []


async def test_cursor_is_bound_to_its_query(client: httpx.AsyncClient, tree: dict[str, dict[str, Any]]) -> None:
    first = (await client.get(API, params={"limit": 1})).json()
    assert first["next_cursor"]
    other = await client.get(API, params={"limit": 1, "kind": "grassroots_cell", "cursor": first["next_cursor"]})
    assert_problem(other, 400, "invalid_cursor")
    assert_problem(await client.get(API, params={"cursor": "garbage!"}), 400, "invalid_cursor")


async def test_reference_lists_kinds_and_categories(client: httpx.AsyncClient) -> None:
    body = (await client.get("/api/v1/reference/organizations")).json()
    kinds = {k["value"]: k for k in body["kinds"]}
    assert kinds["party_group"]["label_vi"] == "Tổ đảng"
    assert set(kinds["party_group"]["allowed_parents"]) == {"grassroots_cell", "subordinate_cell"}
    assert None in kinds["provincial_committee"]["allowed_parents"]
    assert {"value": "village", "label_vi": "Thôn", "label_en": None} in body["categories"]


async def test_hot_reads_answer_like_the_documented_route(
    client: httpx.AsyncClient, anonymous: httpx.AsyncClient, tree: dict[str, dict[str, Any]]
) -> None:
    """The fast lane in front of GET /organizations/{id} and /ancestors changes nothing a caller can see."""
    unit = tree["cell"]
    plain = await client.get(f"{API}/{unit['id']}")
    assert plain.status_code == 200 and plain.headers["etag"] == '"1-p"' and plain.headers["x-request-id"]
    with_as_of = await client.get(f"{API}/{unit['id']}", params={"as_of": "2021-01-01"})
    assert with_as_of.json() == plain.json()
    # A parameter the operation does not take falls through to the route, which refuses it, naming it.
    odd = await client.get(f"{API}/{unit['id']}", params={"as_of": "2021-01-01", "utm": "x"})
    assert [e["field"] for e in assert_problem(odd, 422, "validation_error")["errors"]] == ["query.utm"]
    body = assert_problem(await client.get(f"{API}/not-a-uuid"), 422, "validation_error")
    assert body["errors"][0]["field"] == "path.organization_id"
    assert_problem(await client.get(f"{API}/{unit['id']}", params={"as_of": "yesterday"}), 422, "validation_error")
    assert_problem(await anonymous.get(f"{API}/{unit['id']}"), 401, "unauthenticated")
    ancestors = await client.get(f"{API}/{unit['id']}/ancestors", headers={"X-Request-ID": "trace-1"})
    assert [a["code"] for a in ancestors.json()["items"]] == ["HY", "HY-X01", "HY-X01-DU1", "HY-X01-DU1-BP"]
    assert ancestors.headers["x-request-id"] == "trace-1"
