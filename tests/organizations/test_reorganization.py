"""Moves, merges, splits and dissolutions: atomic, recorded as lineage, and the old tree stays answerable."""

from collections.abc import AsyncIterator
from typing import Any

import asyncpg
import httpx
import pytest

from tests.support.builders import CreateOrg, Snapshot
from tests.support.problems import assert_problem

API = "/api/v1/organizations"
OLD = "2020-01-01"


@pytest.fixture
async def province(client: httpx.AsyncClient, create_org: CreateOrg) -> dict[str, Any]:
    """A province with two communes, each with a grassroots committee (with a cell) and a village cell."""
    root = await create_org(client, "HY", "provincial_committee", valid_from=OLD)
    for n in (1, 2):
        commune = await create_org(
            client,
            f"X{n}",
            "upper_level_committee",
            root,
            category="commune",
            valid_from=OLD,
            name=f"Đảng bộ xã Số {n}",
        )
        committee = await create_org(client, f"X{n}-DU", "grassroots_committee", commune, valid_from=OLD)
        await create_org(client, f"X{n}-DU-CB", "subordinate_cell", committee, valid_from=OLD)
        await create_org(client, f"X{n}-CB", "grassroots_cell", commune, valid_from=OLD, category="village")
    return root


@pytest.fixture(autouse=True)
async def _placements_stay_consistent(db_pool: asyncpg.Pool) -> AsyncIterator[None]:
    """After every reorganisation: each unit has exactly one `latest` placement, its last one; no overlaps."""
    yield
    broken = await db_pool.fetch("""
        SELECT o.code FROM organizations o JOIN organization_placements p ON p.organization_id = o.id
        GROUP BY o.code
        HAVING count(*) FILTER (WHERE p.latest) <> 1
            OR max(p.valid_from) <> max(p.valid_from) FILTER (WHERE p.latest)
            OR bool_or(p.latest AND p.valid_to IS DISTINCT FROM o.valid_to)""")
    assert broken == []


async def by_code(client: httpx.AsyncClient, code: str, **params: Any) -> dict[str, Any]:
    response = await client.get(f"{API}/by_code/{code}", params=params)
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


async def codes_under(client: httpx.AsyncClient, org_id: str, **params: Any) -> list[str]:
    response = await client.get(f"{API}/{org_id}/subtree", params={"limit": 500, **params})
    assert response.status_code == 200, response.text
    return [i["code"] for i in response.json()["items"]]


async def test_merge_two_communes_keeps_the_old_tree_answerable(
    client: httpx.AsyncClient, province: dict[str, Any]
) -> None:
    x1, x2 = await by_code(client, "X1"), await by_code(client, "X2")
    response = await client.post(
        f"{API}/merge",
        json={
            "source_ids": [x1["id"], x2["id"]],
            "effective_date": "2025-07-01",
            "decision_ref": "1234-QĐ/TU",
            "into": {"code": "X12", "name": "Đảng bộ xã Hợp Nhất"},
        },
    )
    assert response.status_code == 201, response.text
    merged = response.json()
    assert merged["kind"] == "upper_level_committee" and merged["category"] == "commune"
    assert merged["parent_id"] == province["id"] and merged["valid_from"] == "2025-07-01"

    before = {"as_of": "2025-06-30"}
    assert await codes_under(client, province["id"], **before) == [
        "HY",
        "X1",
        "X1-DU",
        "X1-DU-CB",
        "X1-CB",
        "X2",
        "X2-DU",
        "X2-DU-CB",
        "X2-CB",
    ]
    assert await codes_under(client, province["id"], as_of="2025-07-01") == [
        "HY",
        "X12",
        "X1-DU",
        "X1-DU-CB",
        "X1-CB",
        "X2-DU",
        "X2-DU-CB",
        "X2-CB",
    ]
    old_parent = (await by_code(client, "X1-DU-CB", **before))["parent_id"]
    assert old_parent == (await by_code(client, "X1-DU"))["id"]
    ancestors = (
        await client.get(f"{API}/{(await by_code(client, 'X2-DU-CB'))['id']}/ancestors", params=before)
    ).json()["items"]
    assert [a["code"] for a in ancestors] == ["HY", "X2", "X2-DU"]
    today_ancestors = (
        await client.get(f"{API}/{(await by_code(client, 'X2-DU-CB'))['id']}/ancestors", params={"as_of": "2026-01-01"})
    ).json()["items"]
    assert [a["code"] for a in today_ancestors] == ["HY", "X12", "X2-DU"]
    children_then = (await client.get(f"{API}/{province['id']}/children", params=before)).json()["items"]
    assert [c["code"] for c in children_then] == ["X1", "X2"]
    children_now = (await client.get(f"{API}/{province['id']}/children", params={"active_on": "2025-07-01"})).json()[
        "items"
    ]
    assert [c["code"] for c in children_now] == ["X12"]
    x1_now = await by_code(client, "X1")
    assert x1_now["valid_to"] == "2025-07-01"
    assert_problem(await client.get(f"{API}/{x1['id']}", params={"as_of": "2025-07-01"}), 404)
    lineage = (await client.get(f"{API}/{x1['id']}/lineage")).json()["items"]
    assert [e["action"] for e in lineage] == ["create", "merge"]
    assert set(lineage[1]["sources"]) == {x1["id"], x2["id"]} and lineage[1]["targets"] == [merged["id"]]
    assert lineage[1]["decision_ref"] == "1234-QĐ/TU"


async def test_merge_into_existing_unit(client: httpx.AsyncClient, province: dict[str, Any]) -> None:
    x1, x2 = await by_code(client, "X1"), await by_code(client, "X2")
    response = await client.post(
        f"{API}/merge", json={"source_ids": [x2["id"]], "into_id": x1["id"], "effective_date": "2025-07-01"}
    )
    assert response.status_code == 201, response.text
    assert await codes_under(client, x1["id"]) == ["X1", "X1-DU", "X1-DU-CB", "X1-CB", "X2-DU", "X2-DU-CB", "X2-CB"]
    assert await codes_under(client, x1["id"], as_of="2025-06-01") == ["X1", "X1-DU", "X1-DU-CB", "X1-CB"]


async def test_move_with_subtree_and_history(client: httpx.AsyncClient, province: dict[str, Any]) -> None:
    x2 = await by_code(client, "X2")
    du = await by_code(client, "X1-DU")
    response = await client.post(f"{API}/{du['id']}/move", json={"parent_id": x2["id"], "effective_date": "2024-01-01"})
    assert response.status_code == 200, response.text
    assert response.json()["parent_id"] == x2["id"] and response.json()["placed_from"] == "2024-01-01"
    assert await codes_under(client, x2["id"]) == ["X2", "X1-DU", "X1-DU-CB", "X2-DU", "X2-DU-CB", "X2-CB"]
    assert await codes_under(client, x2["id"], as_of="2023-12-31") == ["X2", "X2-DU", "X2-DU-CB", "X2-CB"]
    cell = await by_code(client, "X1-DU-CB")
    assert cell["depth"] == 3
    ancestors = (await client.get(f"{API}/{cell['id']}/ancestors")).json()["items"]
    assert [a["code"] for a in ancestors] == ["HY", "X2", "X1-DU"]


async def test_refused_reorganisations_write_nothing(
    client: httpx.AsyncClient, db_pool: asyncpg.Pool, province: dict[str, Any], snapshot: Snapshot
) -> None:
    x1, x2 = await by_code(client, "X1"), await by_code(client, "X2")
    du, cell = await by_code(client, "X1-DU"), await by_code(client, "X1-DU-CB")
    await client.post(f"{API}/{x2['id']}/move", json={"parent_id": province["id"], "effective_date": "2024-01-01"})
    before = await snapshot()
    cases = [
        (f"{API}/{x1['id']}/move", {"parent_id": cell["id"]}, 422, "parent_kind_not_allowed"),
        (f"{API}/{du['id']}/move", {"parent_id": du["id"]}, 422, "parent_kind_not_allowed"),
        (f"{API}/{x1['id']}/move", {"parent_id": x1["id"]}, 422, "cycle"),
        (f"{API}/{x1['id']}/dissolve", {"effective_date": "2025-01-01"}, 409, "has_children"),
        (f"{API}/{du['id']}/move", {"parent_id": x2["id"], "effective_date": "2019-01-01"}, 422, "before_founding"),
        (f"{API}/{du['id']}/move", {"parent_id": "0b8f7a6e-0000-4000-8000-000000000000"}, 422, "parent_not_found"),
        (f"{API}/{du['id']}/move", {"parent_id": x1["id"]}, 422, "already_there"),
        (f"{API}/merge", {"source_ids": [x1["id"]], "into": {"code": "N", "name": "N"}}, 422, "merge_sources"),
        (
            f"{API}/merge",
            {
                "source_ids": [x1["id"], x2["id"]],
                "into": {"code": "X1-DU", "name": "N"},
                "effective_date": "2025-01-01",
            },
            409,
            "duplicate_code",
        ),
        (
            f"{API}/{x1['id']}/split",
            {"parts": [{"code": "A", "name": "A", "children": [du["id"]]}, {"code": "B", "name": "B"}]},
            422,
            "split_children",
        ),
    ]
    for url, body, status, rule in cases:
        assert_problem(await client.post(url, json=body), status, rule)
        assert await snapshot() == before, rule


async def test_upper_level_cycle_is_refused(
    client: httpx.AsyncClient,
    db_pool: asyncpg.Pool,
    province: dict[str, Any],
    create_org: CreateOrg,
    snapshot: Snapshot,
) -> None:
    block = await create_org(client, "KHOI", "upper_level_committee", province, valid_from=OLD)
    inner = await create_org(client, "KHOI-2", "upper_level_committee", block, valid_from=OLD)
    before = await snapshot()
    body = assert_problem(await client.post(f"{API}/{block['id']}/move", json={"parent_id": inner["id"]}), 422, "cycle")
    assert "cycle" in body["detail"]
    assert await snapshot() == before


async def test_changes_must_be_recorded_in_date_order(
    client: httpx.AsyncClient, db_pool: asyncpg.Pool, province: dict[str, Any], snapshot: Snapshot
) -> None:
    x2 = await by_code(client, "X2")
    du = await by_code(client, "X1-DU")
    assert (
        await client.post(f"{API}/{du['id']}/move", json={"parent_id": x2["id"], "effective_date": "2024-06-01"})
    ).status_code == 200
    before = await snapshot()
    back = await client.post(
        f"{API}/{du['id']}/move", json={"parent_id": province["id"], "effective_date": "2024-01-01"}
    )
    assert_problem(back, 409, "later_change_recorded")
    assert await snapshot() == before


async def test_split_distributes_children(client: httpx.AsyncClient, province: dict[str, Any]) -> None:
    x1 = await by_code(client, "X1")
    du, cb = await by_code(client, "X1-DU"), await by_code(client, "X1-CB")
    response = await client.post(
        f"{API}/{x1['id']}/split",
        json={
            "effective_date": "2025-07-01",
            "decision_ref": "99-QĐ/TU",
            "parts": [
                {"code": "X1A", "name": "Đảng bộ phường A", "category": "ward", "children": [du["id"]]},
                {"code": "X1B", "name": "Đảng bộ xã B", "children": [cb["id"]]},
            ],
        },
    )
    assert response.status_code == 201, response.text
    parts = response.json()["items"]
    assert [p["code"] for p in parts] == ["X1A", "X1B"]
    assert parts[0]["category"] == "ward" and parts[1]["category"] == "commune"
    assert await codes_under(client, parts[0]["id"]) == ["X1A", "X1-DU", "X1-DU-CB"]
    assert await codes_under(client, parts[1]["id"]) == ["X1B", "X1-CB"]
    assert await codes_under(client, x1["id"], as_of="2025-06-30") == ["X1", "X1-DU", "X1-DU-CB", "X1-CB"]
    lineage = (await client.get(f"{API}/{x1['id']}/lineage")).json()["items"]
    assert lineage[-1]["action"] == "split"
    assert set(lineage[-1]["targets"]) == {p["id"] for p in parts}


async def test_dissolve_a_leaf(client: httpx.AsyncClient, province: dict[str, Any]) -> None:
    cb = await by_code(client, "X2-CB")
    response = await client.post(f"{API}/{cb['id']}/dissolve", json={"effective_date": "2025-03-01"})
    assert response.status_code == 200, response.text
    x2 = await by_code(client, "X2")
    active = (await client.get(f"{API}/{x2['id']}/children", params={"active_on": "2025-03-01"})).json()["items"]
    assert [c["code"] for c in active] == ["X2-DU"]
    registry = (await client.get(f"{API}/{x2['id']}/children")).json()["items"]
    assert [c["code"] for c in registry] == ["X2-DU", "X2-CB"]
    again = await client.post(f"{API}/{cb['id']}/dissolve", json={"effective_date": "2025-04-01"})
    assert_problem(again, 409, "organization_dissolved")


async def test_a_unit_is_not_ended_on_the_day_it_moved(
    client: httpx.AsyncClient, province: dict[str, Any], snapshot: Snapshot
) -> None:
    """Before: a dissolution dated the day of a move was accepted, deleted the placement the move made, and left
    the unit ended under its old parent (listed there) while its lineage said it had moved to the new one. Now the
    dissolution is refused and the move stays both in the tree and in the lineage."""
    cb, x2 = await by_code(client, "X1-CB"), await by_code(client, "X2")
    moved = await client.post(f"{API}/{cb['id']}/move", json={"parent_id": x2["id"], "effective_date": "2025-03-01"})
    assert moved.status_code == 200, moved.text
    before = await snapshot()
    refused = await client.post(f"{API}/{cb['id']}/dissolve", json={"effective_date": "2025-03-01"})
    assert_problem(refused, 409, "ended_on_the_day_it_moved")
    assert await snapshot() == before
    lineage = (await client.get(f"{API}/{cb['id']}/lineage")).json()["items"]
    assert [e["action"] for e in lineage] == ["create", "move"]
    assert "X1-CB" in [c["code"] for c in (await client.get(f"{API}/{x2['id']}/children")).json()["items"]]
    # a day later it can be dissolved: it ends where it was moved, and the lineage tells the same story
    done = await client.post(f"{API}/{cb['id']}/dissolve", json={"effective_date": "2025-03-02"})
    assert done.status_code == 200 and done.json()["parent_id"] == x2["id"]
    lineage = (await client.get(f"{API}/{cb['id']}/lineage")).json()["items"]
    assert [e["action"] for e in lineage] == ["create", "move", "dissolve"]
    x1 = await by_code(client, "X1")
    assert "X1-CB" not in [c["code"] for c in (await client.get(f"{API}/{x1['id']}/children")).json()["items"]]


async def test_a_unit_asked_about_before_its_founding_says_it_was_founded_later(
    client: httpx.AsyncClient, province: dict[str, Any], create_org: CreateOrg
) -> None:
    x1 = await by_code(client, "X1")
    young = await create_org(client, "X1-NEW", "grassroots_cell", x1, valid_from="2024-06-01")
    for path in ("", "/ancestors", "/children"):
        problem = assert_problem(
            await client.get(f"{API}/{young['id']}{path}", params={"as_of": "2024-01-01"}),
            404,
            "organization_not_yet_founded",
        )
        assert "founded later, on 2024-06-01" in problem["detail"] and "dissolved" not in problem["detail"]
        assert problem["founded_on"] == "2024-06-01"
    cb = await by_code(client, "X1-CB")
    assert (await client.post(f"{API}/{cb['id']}/dissolve", json={"effective_date": "2025-03-01"})).status_code == 200
    gone = assert_problem(
        await client.get(f"{API}/{cb['id']}", params={"as_of": "2025-06-01"}), 404, "organization_not_found"
    )
    assert "dissolved" in gone["detail"]
