"""The demo data (`coso demo-data`): a bloc committee sized like seed 003, loaded in bulk and idempotently."""

import asyncio
import logging
import unicodedata
from collections import Counter
from typing import Any

import asyncpg
import httpx
import pytest

from app.cli import main
from app.demo.load import LARGE_CELL_CODE, load_demo_data
from app.domain.errors import Conflict
from tests.support.builders import CountRows, CreateOrg, Snapshot

# Seed 003: 82 grassroots organisations (38 committees, 44 cells), 4 partial committees, 290 subordinate cells,
# and one cell of 121 members split into 11 party groups.
SIZES = {
    "upper_level_committee": 1,
    "grassroots_committee": 38,
    "grassroots_cell": 44,
    "partial_committee": 4,
    "subordinate_cell": 290,
    "party_group": 11,
}
SEED_CATEGORIES = {
    "agency",
    "public_service_unit",
    "press",
    "mass_association",
    "state_enterprise",
    "state_minority_enterprise",
    "private_enterprise",
}


async def _all(client: httpx.AsyncClient, url: str, **params: Any) -> list[dict[str, Any]]:
    """Every item of a listing, following next_cursor (pages of 100, so the big kinds take several)."""
    items: list[dict[str, Any]] = []
    cursor: str | None = None
    while True:
        response = await client.get(url, params={**params, "limit": 100, **({"cursor": cursor} if cursor else {})})
        assert response.status_code == 200, response.text
        body = response.json()
        items += body["items"]
        cursor = body["next_cursor"]
        if cursor is None:
            return items


async def _by_code(client: httpx.AsyncClient, code: str) -> dict[str, Any]:
    response = await client.get(f"/api/v1/organizations/by_code/{code}")
    assert response.status_code == 200, response.text
    found: dict[str, Any] = response.json()
    return found


async def test_loads_the_sizes_of_seed_003(database_url: str, client: httpx.AsyncClient) -> None:
    summary = await load_demo_data(database_url)
    assert "Demo data loaded" in summary and "\n" not in summary
    assert "38 grassroots committees" in summary and "290 subordinate cells" in summary

    bloc = await _by_code(client, "DBK")
    province = await _by_code(client, "HY")
    assert bloc["kind"] == "upper_level_committee" and bloc["parent_id"] == province["id"]
    assert bloc["name"] == "Đảng bộ Khối các cơ quan và doanh nghiệp tỉnh Hưng Yên"
    assert province["kind"] == "provincial_committee" and province["parent_id"] is None
    for kind, expected in SIZES.items():
        units = await _all(client, "/api/v1/organizations", within=bloc["id"], kind=kind)
        assert len(units) == expected, kind
        assert {u["kind"] for u in units} == {kind}

    subtree = await _all(client, f"/api/v1/organizations/{bloc['id']}/subtree")
    assert len(subtree) == sum(SIZES.values())
    assert len({u["code"] for u in subtree}) == len(subtree)
    assert all(unicodedata.is_normalized("NFC", u["name"]) for u in subtree)
    assert all(u["valid_from"] >= "2020-01-01" for u in subtree)

    grassroots = await _all(client, f"/api/v1/organizations/{bloc['id']}/children")
    assert Counter(u["kind"] for u in grassroots) == {"grassroots_committee": 38, "grassroots_cell": 44}
    assert {u["category"] for u in grassroots} == SEED_CATEGORIES
    assert all(
        u["name"].startswith("Đảng bộ " if u["kind"] == "grassroots_committee" else "Chi bộ ") for u in grassroots
    )


async def test_partial_committees_sit_under_grassroots_committees(database_url: str, client: httpx.AsyncClient) -> None:
    await load_demo_data(database_url)
    bloc = await _by_code(client, "DBK")
    units = {u["id"]: u for u in await _all(client, f"/api/v1/organizations/{bloc['id']}/subtree")}
    for unit in units.values():
        parent_kind = units[unit["parent_id"]]["kind"] if unit["parent_id"] in units else None
        match unit["kind"]:
            case "partial_committee":
                assert parent_kind == "grassroots_committee"
                assert unit["name"].startswith("Đảng bộ bộ phận ")
                assert sum(1 for u in units.values() if u["parent_id"] == unit["id"]) >= 3
            case "subordinate_cell":
                assert parent_kind in {"grassroots_committee", "partial_committee"}
            case "grassroots_committee" | "grassroots_cell":
                assert unit["parent_id"] == bloc["id"]
    committees = [u for u in units.values() if u["kind"] == "grassroots_committee"]
    assert all(any(c["parent_id"] == committee["id"] for c in units.values()) for committee in committees), (
        "every grassroots committee has subordinate cells"
    )


async def test_party_groups_split_the_large_cell(database_url: str, client: httpx.AsyncClient) -> None:
    await load_demo_data(database_url)
    bloc = await _by_code(client, "DBK")
    groups = await _all(client, "/api/v1/organizations", within=bloc["id"], kind="party_group")
    cell = await _by_code(client, LARGE_CELL_CODE)
    assert {g["parent_id"] for g in groups} == {cell["id"]}
    assert sorted(g["name"] for g in groups) == sorted(f"Tổ đảng số {n}" for n in range(1, 12))
    assert cell["kind"] == "subordinate_cell"
    committee = (await client.get(f"/api/v1/organizations/{cell['parent_id']}")).json()
    assert committee["kind"] == "grassroots_committee" and committee["parent_id"] == bloc["id"]

    # The groups date from the pilot of July 2021: the 2020 structure has the cell without them.
    before = await _all(client, f"/api/v1/organizations/{cell['id']}/children", as_of="2021-06-30")
    after = await _all(client, f"/api/v1/organizations/{cell['id']}/children", as_of="2021-07-01")
    assert (len(before), len(after)) == (0, 11)


async def test_paths_lineage_and_kinds_are_consistent(
    database_url: str, db_pool: asyncpg.Pool, count_rows: CountRows
) -> None:
    await load_demo_data(database_url)
    assert await count_rows("organizations") == sum(SIZES.values()) + 1
    assert await count_rows("organization_placements") == sum(SIZES.values()) + 1
    bad_paths = await db_pool.fetch("""
        SELECT o.code FROM organization_placements p JOIN organizations o ON o.id = p.organization_id
        LEFT JOIN organization_placements pp ON pp.organization_id = p.parent_id
             AND pp.valid_from <= p.valid_from AND (pp.valid_to IS NULL OR pp.valid_to > p.valid_from)
        WHERE p.path <> coalesce(pp.path, '/') || coso_path_segment(o.node) || '/'
           OR p.depth <> coalesce(pp.depth + 1, 0)
           OR (p.parent_id IS NULL) <> (o.code = 'HY') OR p.valid_to IS NOT NULL""")
    assert bad_paths == []
    without_creation = await db_pool.fetch("""
        SELECT o.code FROM organizations o
        WHERE NOT EXISTS (SELECT 1 FROM lineage_links l JOIN lineage_events e ON e.id = l.event_id
                          WHERE l.organization_id = o.id AND l.role = 'target' AND e.action = 'create'
                            AND e.effective_date = o.valid_from)""")
    assert without_creation == []
    depths = await db_pool.fetch("""
        SELECT o.kind, array_agg(DISTINCT p.depth ORDER BY p.depth) AS depths
        FROM organization_placements p JOIN organizations o ON o.id = p.organization_id GROUP BY o.kind""")
    assert {r["kind"]: r["depths"] for r in depths} == {
        "provincial_committee": [0],
        "upper_level_committee": [1],
        "grassroots_committee": [2],
        "grassroots_cell": [2],
        "partial_committee": [3],
        "subordinate_cell": [3, 4],
        "party_group": [4],
    }


async def test_lineage_shows_the_creation(database_url: str, client: httpx.AsyncClient) -> None:
    await load_demo_data(database_url)
    unit = await _by_code(client, "DBK-CB01")
    events = (await client.get(f"/api/v1/organizations/{unit['id']}/lineage")).json()["items"]
    assert [(e["action"], e["targets"], e["sources"]) for e in events] == [("create", [unit["id"]], [])]


async def test_loading_twice_changes_nothing(
    database_url: str, db_pool: asyncpg.Pool, client: httpx.AsyncClient, snapshot: Snapshot
) -> None:
    first = await load_demo_data(database_url)
    before = await snapshot()
    second = await load_demo_data(database_url)
    assert "already loaded" in second and "nothing changed" in second
    assert await snapshot() == before
    total = f"{sum(SIZES.values())} units"
    assert total in first and total in second
    bloc = await _by_code(client, "DBK")
    assert len(await _all(client, "/api/v1/organizations", within=bloc["id"], kind="subordinate_cell")) == 290


async def test_a_clashing_code_is_refused_and_nothing_written(
    database_url: str, db_pool: asyncpg.Pool, client: httpx.AsyncClient, create_org: CreateOrg, snapshot: Snapshot
) -> None:
    await create_org(client, "HY", "provincial_committee", name="Đảng bộ tỉnh Hưng Yên (nhập tay)")
    before = await snapshot()
    with pytest.raises(Conflict, match="HY"):
        await load_demo_data(database_url)
    assert await snapshot() == before


async def test_cli_demo_data(
    database_url: str,
    db_pool: asyncpg.Pool,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    count_rows: CountRows,
) -> None:
    monkeypatch.setenv("DATABASE_URL", database_url)
    root = logging.getLogger()
    handlers, level = root.handlers[:], root.level
    try:
        # The command runs its own event loops (migrations, then the load): give it a thread of its own.
        await asyncio.to_thread(main, ["demo-data"])
        first = capsys.readouterr().out
        await asyncio.to_thread(main, ["demo-data"])
        second = capsys.readouterr().out
    finally:
        root.handlers[:] = handlers
        root.setLevel(level)
    assert first.startswith("Demo data loaded") and first.count("\n") == 1
    assert second.startswith("Demo data already loaded")
    assert await count_rows("organizations") == sum(SIZES.values()) + 1


async def test_demo_plan_with_progress(database_url: str, client: httpx.AsyncClient) -> None:
    await load_demo_data(database_url)
    plans = (await client.get("/api/v1/plans")).json()["items"]
    assert [p["code"] for p in plans] == ["211-KH/TU"]
    plan_id = plans[0]["id"]
    tasks = {
        t["code"]: t
        for t in (await client.get(f"/api/v1/plans/{plan_id}/tasks", params={"as_of": "2023-07-01"})).json()["items"]
    }
    assert sum(1 for t in tasks.values() if t["deadline"]) == 41
    assert tasks["2.1.2.a"]["obligations"][0]["due"] == "2023-06-15"
    assert tasks["2.1.2.a"]["state"] == "done_on_time"
    assert tasks["3.d"]["state"] == "done_late"
    assert tasks["3.e"]["state"] == "overdue"
    summary = (await client.get(f"/api/v1/plans/{plan_id}/summary", params={"as_of": "2023-07-01"})).json()
    assert summary["by_state"]["done_on_time"] >= 3
    again = await load_demo_data(database_url)
    assert "already loaded" in again
    assert len((await client.get("/api/v1/plans")).json()["items"]) == 1
