"""Moves, merges, splits and dissolutions: atomic, recorded as lineage, and the old tree stays answerable."""

from collections.abc import AsyncIterator
from typing import Any

import asyncpg
import httpx
import pytest

from tests.support.builders import CreateOrg, Snapshot
from tests.support.indicator_oracle import Oracle, analytics, compare
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


MOVED = "2025-03-01"  # the day of the move, and of the end, in the tests below
BEFORE = "2025-02-28"


async def child_codes(client: httpx.AsyncClient, org_id: str, **params: Any) -> list[str]:
    response = await client.get(f"{API}/{org_id}/children", params={"limit": 500, **params})
    assert response.status_code == 200, response.text
    return [c["code"] for c in response.json()["items"]]


async def ancestor_codes(client: httpx.AsyncClient, org_id: str, **params: Any) -> list[str]:
    response = await client.get(f"{API}/{org_id}/ancestors", params=params)
    assert response.status_code == 200, response.text
    return [a["code"] for a in response.json()["items"]]


async def inspected(client: httpx.AsyncClient, unit: dict[str, Any]) -> None:
    """An inspection of the unit in February 2025, before the move: a fact of 2025Q1 that must count somewhere."""
    response = await client.post(
        f"{API}/{unit['id']}/inspections",
        json={"inspecting_body": "Ủy ban Kiểm tra", "year": 2025, "inspected_on": "2025-02-10"},
    )
    assert response.status_code == 201, response.text


async def communes_inspected(
    client: httpx.AsyncClient, province: dict[str, Any], structure: str
) -> dict[tuple[str, str], tuple[int, int]]:
    """grassroots_inspected of each commune: {(code, period): (inspected, grassroots)}."""
    items = await analytics(
        client,
        indicator="grassroots_inspected",
        period="2024,2025Q1",
        organization_id=province["id"],
        breakdown="children",
        structure=structure,
    )
    return {
        (i["organization_code"], i["period"]): (i["numerator"], i["denominator"])
        for i in items
        if i["organization_id"] != province["id"]
    }


async def indicator_problems(pool: asyncpg.Pool, client: httpx.AsyncClient, root: dict[str, Any]) -> list[str]:
    """Where the figures of every level below the root differ from the brute-force oracle's, in both structures."""
    oracle = await Oracle.load(pool)
    root_id = next(u for u in oracle.orgs if str(u) == root["id"])
    indicators = ["members", "grassroots_inspected", "village_cells_with_committee"]
    periods = ["2024", "2025", "2025Q1", "2025Q2"]
    problems: list[str] = []
    for structure in ("period", "current"):
        for level in (1, 2, 3):
            items = await analytics(
                client,
                indicator=",".join(indicators),
                period=",".join(periods),
                organization_id=root["id"],
                breakdown="level",
                level=level,
                include_self="true",
                structure=structure,
            )
            problems += compare(
                oracle, items, structure=structure, root=root_id, level=level, indicators=indicators, periods=periods
            )
    return problems


async def assert_moved_then_ended(
    client: httpx.AsyncClient, ended: dict[str, Any], old: dict[str, Any], new: dict[str, Any]
) -> None:
    """What a unit moved from `old` to `new` and ended on the same day reads like: until the day before, under the
    old parent; on the day, nowhere; in the registry (no date), ended under the new parent, where its lineage
    says it went."""
    assert ended["parent_id"] == new["id"] and ended["valid_to"] == MOVED
    assert ended["placed_from"] == MOVED and ended["placed_to"] == MOVED
    code = ended["code"]
    assert (await by_code(client, code, as_of=BEFORE))["parent_id"] == old["id"]
    assert_problem(await client.get(f"{API}/{ended['id']}", params={"as_of": MOVED}), 404, "organization_not_found")
    assert await ancestor_codes(client, ended["id"], as_of=BEFORE) == ["HY", old["code"]]
    assert await ancestor_codes(client, ended["id"]) == ["HY", new["code"]]
    # children before the day, on the day, in the registry (ended ones included, at their last place)
    assert code in await child_codes(client, old["id"], as_of=BEFORE)
    assert code not in await child_codes(client, new["id"], as_of=BEFORE)
    for parent in (old, new):
        assert code not in await child_codes(client, parent["id"], as_of=MOVED)
        assert code not in await child_codes(client, parent["id"], active_on=MOVED)
    assert code in await child_codes(client, new["id"])
    assert code not in await child_codes(client, old["id"])
    assert code in await codes_under(client, new["id"])
    assert code not in await codes_under(client, old["id"])


async def test_a_unit_dissolved_on_the_day_it_was_moved_ends_at_its_new_place(
    client: httpx.AsyncClient, db_pool: asyncpg.Pool, province: dict[str, Any]
) -> None:
    """Before: refused (409 ended_on_the_day_it_moved); earlier still, accepted by deleting the placement the move
    made, which left the unit ended under its old parent while its lineage said it had moved. Now the move stays:
    the unit ends at its new place, where it sat on no day."""
    x1, x2, cb = await by_code(client, "X1"), await by_code(client, "X2"), await by_code(client, "X1-CB")
    await inspected(client, cb)
    moved = await client.post(f"{API}/{cb['id']}/move", json={"parent_id": x2["id"], "effective_date": MOVED})
    assert moved.status_code == 200, moved.text
    done = await client.post(f"{API}/{cb['id']}/dissolve", json={"effective_date": MOVED})
    assert done.status_code == 200, done.text
    assert done.json() == await by_code(client, "X1-CB")
    lineage = (await client.get(f"{API}/{cb['id']}/lineage")).json()["items"]
    assert [(e["action"], e["effective_date"]) for e in lineage] == [
        ("create", OLD),
        ("move", MOVED),
        ("dissolve", MOVED),
    ]
    await assert_moved_then_ended(client, done.json(), x1, x2)
    # Its figures: in the tree of each period, under X1 to its last day (the inspection of February counts there);
    # in today's tree, its whole history under the unit it last sat under, X2.
    assert await communes_inspected(client, province, "period") == {
        ("X1", "2024"): (0, 2),
        ("X2", "2024"): (0, 2),
        ("X1", "2025Q1"): (1, 1),
        ("X2", "2025Q1"): (0, 2),
    }
    assert await communes_inspected(client, province, "current") == {
        ("X1", "2024"): (0, 1),
        ("X2", "2024"): (0, 3),
        ("X1", "2025Q1"): (0, 1),
        ("X2", "2025Q1"): (1, 2),
    }
    problems = await indicator_problems(db_pool, client, province)
    assert not problems, "\n".join(problems)


async def test_a_unit_merged_on_the_day_it_was_moved_ends_at_its_new_place(
    client: httpx.AsyncClient, db_pool: asyncpg.Pool, province: dict[str, Any]
) -> None:
    """A merge ends its sources the way a dissolution does: a source moved that day ends at its new place, and its
    children go to the merged unit."""
    x1, x2, du = await by_code(client, "X1"), await by_code(client, "X2"), await by_code(client, "X1-DU")
    into = await by_code(client, "X2-DU")
    await inspected(client, du)
    moved = await client.post(f"{API}/{du['id']}/move", json={"parent_id": x2["id"], "effective_date": MOVED})
    assert moved.status_code == 200, moved.text
    merged = await client.post(
        f"{API}/merge", json={"source_ids": [du["id"]], "into_id": into["id"], "effective_date": MOVED}
    )
    assert merged.status_code == 201, merged.text
    lineage = (await client.get(f"{API}/{du['id']}/lineage")).json()["items"]
    assert [(e["action"], e["effective_date"]) for e in lineage] == [
        ("create", OLD),
        ("move", MOVED),
        ("merge", MOVED),
    ]
    assert lineage[-1]["targets"] == [into["id"]]
    await assert_moved_then_ended(client, await by_code(client, "X1-DU"), x1, x2)
    cell = await by_code(client, "X1-DU-CB")
    assert await ancestor_codes(client, cell["id"], as_of=BEFORE) == ["HY", "X1", "X1-DU"]
    assert await ancestor_codes(client, cell["id"], as_of=MOVED) == ["HY", "X2", "X2-DU"]
    assert await child_codes(client, into["id"]) == ["X1-DU-CB", "X2-DU-CB"]
    # In the tree of 2025Q1 the committee's inspection counts under X1 (its last day there); in today's tree its
    # history counts under the unit it merged into, in X2.
    assert await communes_inspected(client, province, "period") == {
        ("X1", "2024"): (0, 2),
        ("X2", "2024"): (0, 2),
        ("X1", "2025Q1"): (1, 1),
        ("X2", "2025Q1"): (0, 2),
    }
    assert await communes_inspected(client, province, "current") == {
        ("X1", "2024"): (0, 1),
        ("X2", "2024"): (0, 3),
        ("X1", "2025Q1"): (0, 1),
        ("X2", "2025Q1"): (1, 2),
    }
    problems = await indicator_problems(db_pool, client, province)
    assert not problems, "\n".join(problems)


async def test_a_unit_split_on_the_day_it_was_moved_ends_at_its_new_place(
    client: httpx.AsyncClient, province: dict[str, Any]
) -> None:
    x1, x2, du = await by_code(client, "X1"), await by_code(client, "X2"), await by_code(client, "X1-DU")
    cell = await by_code(client, "X1-DU-CB")
    moved = await client.post(f"{API}/{du['id']}/move", json={"parent_id": x2["id"], "effective_date": MOVED})
    assert moved.status_code == 200, moved.text
    split = await client.post(
        f"{API}/{du['id']}/split",
        json={
            "effective_date": MOVED,
            "parts": [
                {"code": "DU-A", "name": "Đảng bộ A", "children": [cell["id"]]},
                {"code": "DU-B", "name": "Đảng bộ B", "children": []},
            ],
        },
    )
    assert split.status_code == 201, split.text
    assert [p["parent_id"] for p in split.json()["items"]] == [x2["id"], x2["id"]]
    lineage = (await client.get(f"{API}/{du['id']}/lineage")).json()["items"]
    assert [e["action"] for e in lineage] == ["create", "move", "split"]
    await assert_moved_then_ended(client, await by_code(client, "X1-DU"), x1, x2)


async def test_a_unit_ended_on_the_day_it_was_moved_follows_its_new_parent_moved_that_day(
    client: httpx.AsyncClient, province: dict[str, Any], create_org: CreateOrg
) -> None:
    """Placed under X2 that day, it moves with X2's subtree when X2 moves that same day."""
    bloc = await create_org(client, "KHOI", "upper_level_committee", province, valid_from=OLD)
    x2, cb = await by_code(client, "X2"), await by_code(client, "X1-CB")
    assert (
        await client.post(f"{API}/{cb['id']}/move", json={"parent_id": x2["id"], "effective_date": MOVED})
    ).status_code == 200
    assert (await client.post(f"{API}/{cb['id']}/dissolve", json={"effective_date": MOVED})).status_code == 200
    moved = await client.post(f"{API}/{x2['id']}/move", json={"parent_id": bloc["id"], "effective_date": MOVED})
    assert moved.status_code == 200, moved.text
    assert await ancestor_codes(client, cb["id"]) == ["HY", "KHOI", "X2"]
    assert "X1-CB" in await codes_under(client, bloc["id"])
    assert (await by_code(client, "X1-CB"))["depth"] == 3
    assert await ancestor_codes(client, cb["id"], as_of=BEFORE) == ["HY", "X1"]


@pytest.mark.parametrize("cell_first", [True, False])
async def test_a_merge_source_under_another_source_ends_where_it_was(
    client: httpx.AsyncClient, province: dict[str, Any], cell_first: bool
) -> None:
    """The tree a merge leaves does not depend on the order of its sources: a source under another one is not
    carried under the target on the way, it ends under its own parent."""
    x1, x2, cb = await by_code(client, "X1"), await by_code(client, "X2"), await by_code(client, "X1-CB")
    sources = [cb["id"], x1["id"]] if cell_first else [x1["id"], cb["id"]]
    merged = await client.post(
        f"{API}/merge", json={"source_ids": sources, "into_id": x2["id"], "effective_date": MOVED}
    )
    assert merged.status_code == 201, merged.text
    ended = await by_code(client, "X1-CB")
    assert ended["parent_id"] == x1["id"] and ended["valid_to"] == MOVED and ended["placed_to"] == MOVED
    assert ended["placed_from"] == OLD
    assert await child_codes(client, x2["id"]) == ["X1-DU", "X2-DU", "X2-CB"]


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
