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
from app.demo.reorganisation import GOVERNMENT_CODE, PARTY_AGENCIES_CODE, REORGANISED_ON
from app.domain.errors import Conflict
from tests.support.builders import CountRows, CreateOrg, Snapshot

# Seed 003: 82 grassroots organisations (38 committees, 44 cells), 4 partial committees, 290 subordinate cells,
# and one cell of 121 members split into 11 party groups: the bloc committee's subtree until its end in 2025.
SIZES = {
    "upper_level_committee": 1,
    "grassroots_committee": 38,
    "grassroots_cell": 44,
    "partial_committee": 4,
    "subordinate_cell": 290,
    "party_group": 11,
}
# Today, the province: the same units under the two committees of 2025 (the bloc committee is gone).
TODAY = {**SIZES, "provincial_committee": 1, "upper_level_committee": 2}
UNITS = sum(TODAY.values()) + 1  # every unit ever: today's and the dissolved bloc committee
BEFORE, AFTER, LAST = "2024-12-31", REORGANISED_ON.isoformat(), "2025-12-31"  # LAST: the demo's last day
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
        units = await _all(client, "/api/v1/organizations", within=bloc["id"], kind=kind, as_of=BEFORE)
        assert len(units) == expected, kind
        assert {u["kind"] for u in units} == {kind}
    for kind, expected in TODAY.items():
        units = await _all(client, "/api/v1/organizations", within=province["id"], kind=kind, as_of=LAST)
        assert len(units) == expected, kind

    subtree = await _all(client, f"/api/v1/organizations/{bloc['id']}/subtree", as_of=BEFORE)
    assert len(subtree) == sum(SIZES.values())
    assert len({u["code"] for u in subtree}) == len(subtree)
    assert all(unicodedata.is_normalized("NFC", u["name"]) for u in subtree)
    assert all(u["valid_from"] >= "2020-01-01" for u in subtree)

    grassroots = await _all(client, f"/api/v1/organizations/{bloc['id']}/children", as_of=BEFORE)
    assert Counter(u["kind"] for u in grassroots) == {"grassroots_committee": 38, "grassroots_cell": 44}
    assert {u["category"] for u in grassroots} == SEED_CATEGORIES
    assert all(
        u["name"].startswith("Đảng bộ " if u["kind"] == "grassroots_committee" else "Chi bộ ") for u in grassroots
    )

    # Today's tree: partial committees under grassroots committees, those under the two committees of 2025.
    tree = {u["id"]: u for u in await _all(client, f"/api/v1/organizations/{province['id']}/subtree")}
    committees_of_2025 = {u["id"] for u in tree.values() if u["code"] in (PARTY_AGENCIES_CODE, GOVERNMENT_CODE)}
    for unit in tree.values():
        parent_kind = tree[unit["parent_id"]]["kind"] if unit["parent_id"] in tree else None
        match unit["kind"]:
            case "partial_committee":
                assert parent_kind == "grassroots_committee"
                assert unit["name"].startswith("Đảng bộ bộ phận ")
                assert sum(1 for u in tree.values() if u["parent_id"] == unit["id"]) >= 3
            case "subordinate_cell":
                assert parent_kind in {"grassroots_committee", "partial_committee"}
            case "grassroots_committee" | "grassroots_cell":
                assert unit["parent_id"] in committees_of_2025
    committees = [u for u in tree.values() if u["kind"] == "grassroots_committee"]
    assert all(any(c["parent_id"] == committee["id"] for c in tree.values()) for committee in committees), (
        "every grassroots committee has subordinate cells"
    )


async def test_indicators_show_met_and_unmet_targets(database_url: str, client: httpx.AsyncClient) -> None:
    await load_demo_data(database_url)

    async def statuses(indicator: str, period: str, unit: str) -> dict[str, str | None]:
        """Each child unit's status against the target (met / above_range / not_met), by code."""
        response = await client.get(
            "/api/v1/indicators/analytics",
            params={"indicator": indicator, "period": period, "organization_id": unit, "breakdown": "children"},
        )
        assert response.status_code == 200, response.text
        return {i["organization_code"]: i["status"] for i in response.json()["items"]}

    # Members rated good or better (> 90 %): some of the bloc's organisations meet it each year, others do not.
    for year in ("2021", "2024"):
        found = Counter((await statuses("members_rated_good", year, "DBK")).values())
        assert found["met"] >= 20 and found["not_met"] >= 20, (year, found)
    # Grassroots organisations rated good or better: the bloc met it in 2022, not in 2024; in 2025 the committee of
    # Party agencies meets it and the People's Committee's does not.
    assert (await statuses("grassroots_rated_good", "2022", "HY"))["DBK"] == "met"
    assert (await statuses("grassroots_rated_good", "2024", "HY"))["DBK"] == "not_met"
    after = await statuses("grassroots_rated_good", "2025", "HY")
    assert (after[PARTY_AGENCIES_CODE], after[GOVERNMENT_CODE]) == ("met", "not_met")
    assert "DBK" not in after  # gone in 2025: no figures of its own that year


async def test_party_groups_split_the_large_cell_and_have_group_leaders(
    database_url: str, client: httpx.AsyncClient
) -> None:
    await load_demo_data(database_url)
    bloc = await _by_code(client, "DBK")
    groups = await _all(client, "/api/v1/organizations", within=bloc["id"], kind="party_group", as_of=BEFORE)
    cell = await _by_code(client, LARGE_CELL_CODE)
    assert {g["parent_id"] for g in groups} == {cell["id"]}
    assert sorted(g["name"] for g in groups) == sorted(f"Tổ đảng số {n}" for n in range(1, 12))
    assert cell["kind"] == "subordinate_cell"
    committee = (await client.get(f"/api/v1/organizations/{cell['parent_id']}")).json()
    government = await _by_code(client, GOVERNMENT_CODE)
    assert committee["kind"] == "grassroots_committee" and committee["parent_id"] == government["id"]
    then = (await client.get(f"/api/v1/organizations/{cell['parent_id']}", params={"as_of": BEFORE})).json()
    assert then["parent_id"] == bloc["id"]

    # The groups date from the pilot of July 2021: the 2020 structure has the cell without them.
    before = await _all(client, f"/api/v1/organizations/{cell['id']}/children", as_of="2021-06-30")
    after = await _all(client, f"/api/v1/organizations/{cell['id']}/children", as_of="2021-07-01")
    assert (len(before), len(after)) == (0, 11)

    # Each group has a leader and a deputy leader (no secretary), official members of the group, from its first
    # day to the end.
    for group in groups:
        for day in ("2021-07-01", LAST):
            listed = await client.get(f"/api/v1/organizations/{group['id']}/positions", params={"as_of": day})
            assert listed.status_code == 200, listed.text
            seats = listed.json()["items"]
            assert sorted(p["position"] for p in seats) == ["group_deputy_leader", "group_leader"], (group["code"], day)
            official = {
                m["id"] for m in await _all(client, "/api/v1/members", within=group["id"], status="official", as_of=day)
            }
            assert {p["member_id"] for p in seats} <= official, (group["code"], day)


async def test_paths_lineage_kinds_and_indicator_figures_are_consistent(
    database_url: str, db_pool: asyncpg.Pool, count_rows: CountRows
) -> None:
    await load_demo_data(database_url)
    assert await count_rows("organizations") == UNITS
    # One placement each, and a second one from 2025 for each unit that moved with the bloc's organisations.
    assert await count_rows("organization_placements") == UNITS + sum(SIZES.values()) - 1
    bad_paths = await db_pool.fetch("""
        SELECT o.code FROM organization_placements p JOIN organizations o ON o.id = p.organization_id
        LEFT JOIN organization_placements pp ON pp.organization_id = p.parent_id
             AND pp.valid_from <= p.valid_from AND (pp.valid_to IS NULL OR pp.valid_to > p.valid_from)
        WHERE p.path <> coalesce(pp.path, '/') || coso_path_segment(o.node) || '/'
           OR p.depth <> coalesce(pp.depth + 1, 0)
           OR (p.parent_id IS NULL) <> (o.code = 'HY')
           OR p.latest <> (p.valid_to IS NULL OR o.code = 'DBK')""")
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

    # The load writes history in bulk with the indicator triggers off and refreshes the figures once at the end:
    # they are what a rebuild from the raw tables gives, in the tree of each period and in today's.
    figures = ("indicator_own", "indicator_rollup", "indicator_anchors")
    stored = {t: sorted(tuple(r) for r in await db_pool.fetch(f"SELECT * FROM {t}")) for t in figures}  # noqa: S608 - table names from the code
    await db_pool.execute("SELECT coso_indicators_rebuild()")
    assert {t: sorted(tuple(r) for r in await db_pool.fetch(f"SELECT * FROM {t}")) for t in figures} == stored  # noqa: S608 - table names from the code
    assert len(stored["indicator_own"]) > 10_000 and stored["indicator_anchors"]  # the comparison compares figures


async def test_the_2025_reorganisation_as_of_before_and_after(database_url: str, client: httpx.AsyncClient) -> None:
    await load_demo_data(database_url)
    province, bloc = await _by_code(client, "HY"), await _by_code(client, "DBK")
    party, government = await _by_code(client, PARTY_AGENCIES_CODE), await _by_code(client, GOVERNMENT_CODE)
    assert bloc["valid_to"] == AFTER
    assert party["valid_from"] == government["valid_from"] == AFTER
    assert party["kind"] == government["kind"] == "upper_level_committee"

    async def children(unit: dict[str, Any], as_of: str | None = None) -> list[dict[str, Any]]:
        return await _all(client, f"/api/v1/organizations/{unit['id']}/children", **({"as_of": as_of} if as_of else {}))

    assert [u["code"] for u in await children(province, BEFORE)] == ["DBK"]
    assert sorted(u["code"] for u in await children(province, LAST)) == [PARTY_AGENCIES_CODE, GOVERNMENT_CODE]
    assert [u["code"] for u in await children(province, AFTER)] == [u["code"] for u in await children(province, LAST)]
    # Without a date, the ended bloc committee is still listed where it was last, with its end.
    assert {u["code"]: u["valid_to"] for u in await children(province)} == {
        "DBK": AFTER,
        PARTY_AGENCIES_CODE: None,
        GOVERNMENT_CODE: None,
    }
    grassroots = await children(bloc, BEFORE)
    assert len(grassroots) == 82
    gone = await client.get(f"/api/v1/organizations/{bloc['id']}/children", params={"as_of": AFTER})
    assert gone.status_code == 404 and "dissolved" in gone.json()["detail"]
    to_party, to_government = await children(party), await children(government)
    assert {u["code"] for u in to_party} | {u["code"] for u in to_government} == {u["code"] for u in grassroots}
    assert {u["category"] for u in to_party} == {"mass_association", "press", "agency"}
    assert {u["category"] for u in to_government} == {
        "agency",
        "public_service_unit",
        "state_enterprise",
        "state_minority_enterprise",
        "private_enterprise",
    }
    assert len(to_party) == 1 + 8 + 3  # the HĐND office, the mass associations, the press

    # A unit's lineage: created with the bloc, moved in 2025; the bloc's: created, dissolved.
    unit = await _by_code(client, "DBK-CB01")
    events = (await client.get(f"/api/v1/organizations/{unit['id']}/lineage")).json()["items"]
    assert [(e["action"], e["effective_date"], e["targets"], e["sources"]) for e in events] == [
        ("create", "2020-01-01", [unit["id"]], []),
        ("move", AFTER, [unit["id"]], [unit["id"]]),
    ]
    events = (await client.get(f"/api/v1/organizations/{bloc['id']}/lineage")).json()["items"]
    assert [(e["action"], e["effective_date"]) for e in events] == [("create", "2020-01-01"), ("dissolve", AFTER)]

    # The same cell, and its members, answer in either structure: the bloc's tree before, today's after.
    cell = await _by_code(client, LARGE_CELL_CODE)
    for as_of, root in ((BEFORE, bloc), (None, government)):
        params = {"as_of": as_of} if as_of else {}
        ancestors = (await client.get(f"/api/v1/organizations/{cell['id']}/ancestors", params=params)).json()
        assert root["id"] in [a["id"] for a in ancestors["items"]], as_of


async def test_loading_twice_changes_nothing(
    database_url: str, db_pool: asyncpg.Pool, client: httpx.AsyncClient, snapshot: Snapshot
) -> None:
    first = await load_demo_data(database_url)
    before = await snapshot()
    second = await load_demo_data(database_url)
    assert "already loaded" in second and "nothing changed" in second
    assert await snapshot() == before
    total = f"{sum(TODAY.values())} units"
    assert total in first and total in second
    province = await _by_code(client, "HY")
    assert len(await _all(client, "/api/v1/organizations", within=province["id"], kind="subordinate_cell")) == 290


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
    assert await count_rows("organizations") == UNITS


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
