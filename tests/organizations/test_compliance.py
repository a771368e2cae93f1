"""Compliance checks through the API: each rule with its numbers and configured threshold, membership on a date
(exempt members counted, temporary ones only at home), the recognition window in working days, paging, scoping."""

import uuid
from datetime import date
from typing import Any

import asyncpg
import httpx
import pytest
from fastapi import FastAPI

from app.domain.organizations.compliance import UnitRules, latest_overdue_admission, recognition_due
from app.main import create_app
from app.settings import Settings
from tests.support.builders import AddMember, AddMembers, ClientWith, CreateOrg, InsertKey, Seat
from tests.support.problems import assert_problem

API = "/api/v1/compliance"
OLD = "2015-01-01"


@pytest.fixture
async def units(client: httpx.AsyncClient, create_org: CreateOrg) -> dict[str, dict[str, Any]]:
    p = await create_org(client, "P", "provincial_committee", valid_from=OLD, name="Đảng bộ tỉnh")
    x = await create_org(client, "X", "upper_level_committee", p, valid_from=OLD, name="Đảng bộ xã X")
    du = await create_org(client, "X-DU", "grassroots_committee", x, valid_from=OLD, name="Đảng bộ X")
    big = await create_org(client, "X-DU-BIG", "subordinate_cell", du, valid_from=OLD, name="Chi bộ lớn")
    nine = await create_org(client, "X-DU-NINE", "subordinate_cell", du, valid_from=OLD, name="Chi bộ chín")
    small = await create_org(client, "X-SMALL", "grassroots_cell", x, valid_from=OLD, name="Chi bộ nhỏ")
    large = await create_org(client, "X-LARGE", "grassroots_cell", x, valid_from=OLD, name="Chi bộ cơ sở lớn")
    y = await create_org(client, "Y", "upper_level_committee", p, valid_from=OLD, name="Đảng bộ xã Y")
    return {"p": p, "x": x, "du": du, "big": big, "nine": nine, "small": small, "large": large, "y": y}


async def issues(
    client: httpx.AsyncClient, within: dict[str, Any], as_of: str, **params: Any
) -> dict[str, dict[str, Any]]:
    response = await client.get(API, params={"within": within["id"], "as_of": as_of, "limit": 500, **params})
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["next_cursor"] is None
    return {i["organization"]["code"]: i for i in body["items"]}


def rules_of(item: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {v["rule"]: v for v in item["violations"]}


async def test_each_rule_with_its_numbers(
    client: httpx.AsyncClient,
    db_pool: asyncpg.Pool,
    units: dict[str, dict[str, Any]],
    add_member: AddMember,
    add_members: AddMembers,
    seat: Seat,
) -> None:
    await add_members(units["small"], 2, "Nhỏ")
    await add_member(units["small"], "Dự bị Nhỏ", status="probationary", admitted=date(2025, 6, 1))
    await add_members(units["large"], 30, "Lớn")
    await add_members(units["big"], 31, "To")
    nine = await add_members(units["nine"], 9, "Chín")
    found = await issues(client, units["x"], "2025-12-01")
    assert set(found) == {"X-SMALL", "X-LARGE", "X-DU-BIG", "X-DU-NINE"}
    small = rules_of(found["X-SMALL"])
    assert set(small) == {"too_few_official_members"}
    assert small["too_few_official_members"]["value"] == 2 and small["too_few_official_members"]["threshold"] == 3
    assert found["X-SMALL"]["members"] == 3 and found["X-SMALL"]["official_members"] == 2
    large = rules_of(found["X-LARGE"])
    assert large["grassroots_cell_too_large"]["value"] == 30 and large["grassroots_cell_too_large"]["threshold"] == 30
    assert "cell_without_committee" in large
    big = rules_of(found["X-DU-BIG"])
    assert big["subordinate_cell_too_large"]["value"] == 31 and big["subordinate_cell_too_large"]["threshold"] == 30
    without = rules_of(found["X-DU-NINE"])["cell_without_committee"]
    assert (without["value"], without["threshold"], without["committee_seats"]) == (9, 9, 0)
    assert found["X-DU-NINE"]["has_cell_committee"] is False
    # the grassroots committee counts its cells' members: 40 official, no rule broken
    assert "X-DU" not in found
    # a cell committee (secretary, deputy, member) settles the rule
    for member, position in zip(nine, ("secretary", "deputy_secretary", "committee_member"), strict=False):
        assert (await seat(client, units["nine"], member, position, "2025-01-01")).status_code == 201
    assert "X-DU-NINE" not in await issues(client, units["x"], "2025-12-01")
    assert "X-DU-NINE" in await issues(client, units["x"], "2024-12-01")
    # a subordinate cell of exactly 30 is not too large (it still lacks a committee)
    await db_pool.execute("DELETE FROM members WHERE id = (SELECT id FROM members WHERE full_name = 'To 00')")
    assert rules_of((await issues(client, units["x"], "2025-12-01"))["X-DU-BIG"]).keys() == {"cell_without_committee"}


async def test_membership_on_a_date(
    client: httpx.AsyncClient,
    db_pool: asyncpg.Pool,
    units: dict[str, dict[str, Any]],
    add_member: AddMember,
    add_members: AddMembers,
) -> None:
    small, large = units["small"], units["large"]
    await add_members(small, 2, "Nhỏ")
    await add_member(small, "Miễn Công Tác", exempt=True)
    found = await issues(client, units["x"], "2025-12-01")
    assert "X-SMALL" not in found  # the exempt member counts
    # a member of SMALL temporarily active in LARGE counts in SMALL only
    away = await add_member(small, "Tạm Thời", since=date(2023, 1, 1), host=large)
    await add_members(large, 29, "Lớn")
    found = await issues(client, units["x"], "2025-12-01")
    assert found["X-LARGE"]["members"] == 29 and "grassroots_cell_too_large" not in rules_of(found["X-LARGE"])
    await add_member(large, "Người Thứ Ba Mươi")
    found = await issues(client, units["x"], "2025-12-01")
    assert rules_of(found["X-LARGE"])["grassroots_cell_too_large"]["value"] == 30
    # without the exempt member, and once the temporary one left, SMALL is short again (but not while they stayed)
    await db_pool.execute("DELETE FROM members WHERE full_name = 'Miễn Công Tác'")
    await db_pool.execute("UPDATE member_periods SET valid_to = '2024-06-01' WHERE member_id = $1", uuid.UUID(away))
    assert "X-SMALL" not in await issues(client, units["x"], "2024-05-31")
    assert (
        rules_of((await issues(client, units["x"], "2024-06-01"))["X-SMALL"])["too_few_official_members"]["value"] == 2
    )


def test_recognition_window_counts_working_days() -> None:
    # official on Wed 10 Jan 2024; 30 working days later is Wed 21 Feb
    assert recognition_due(date(2023, 1, 10), probation_months=12, working_days=30) == date(2024, 2, 21)
    tet = [date(2024, 2, d) for d in range(8, 15)]  # five working days of Tết
    assert recognition_due(date(2023, 1, 10), probation_months=12, working_days=30, holidays=tet) == date(2024, 2, 28)
    rules = UnitRules()
    cutoff = latest_overdue_admission(date(2024, 2, 22), rules)
    assert cutoff == date(2023, 1, 10)
    assert recognition_due(
        cutoff + (date(2023, 1, 11) - date(2023, 1, 10)), probation_months=12, working_days=30
    ) >= date(2024, 2, 22)


async def test_probationary_members_past_their_window(
    client: httpx.AsyncClient,
    db_pool: asyncpg.Pool,
    units: dict[str, dict[str, Any]],
    settings: Settings,
    database_url: str,
    add_member: AddMember,
    add_members: AddMembers,
    client_with: ClientWith,
    insert_key: InsertKey,
) -> None:
    await add_members(units["small"], 3, "Chính thức")
    late = await add_member(units["small"], "Nguyễn Văn Chậm", status="probationary", admitted=date(2023, 1, 10))
    await add_member(units["small"], "Trần Thị Kịp", status="probationary", admitted=date(2023, 2, 1))
    assert "X-SMALL" not in await issues(client, units["x"], "2024-02-21")
    found = await issues(client, units["x"], "2024-02-22")
    item = found["X-SMALL"]
    window = rules_of(item)["probationary_past_recognition_window"]
    assert window["value"] == 1 and window["threshold"] == 30
    assert item["overdue_probationary"] == [
        {
            "member_id": late,
            "full_name": "Nguyễn Văn Chậm",
            "admission_decision_date": "2023-01-10",
            "admission_ceremony_date": None,
            "official_date": "2024-01-10",
            "recognition_due": "2024-02-21",
            "days_late": 1,
        }
    ]
    # recognised (an official period from the official date): no longer listed
    await db_pool.execute("UPDATE member_periods SET valid_to = '2024-01-10' WHERE member_id = $1", uuid.UUID(late))
    await db_pool.execute(
        "INSERT INTO member_periods (member_id, valid_from, organization_id, status) "
        "VALUES ($1, '2024-01-10', $2, 'official')",
        uuid.UUID(late),
        uuid.UUID(units["small"]["id"]),
    )
    assert "X-SMALL" not in await issues(client, units["x"], "2024-03-01")
    # holidays are configuration
    await db_pool.execute(
        "DELETE FROM member_periods WHERE member_id = $1 AND valid_from = '2024-01-10'", uuid.UUID(late)
    )
    await db_pool.execute("UPDATE member_periods SET valid_to = NULL WHERE member_id = $1", uuid.UUID(late))
    tet = [f"2024-02-{d:02d}" for d in range(8, 15)]
    with_tet = create_app(
        settings.model_copy(update={"public_holidays": [date.fromisoformat(d) for d in tet]}), database_url=database_url
    )
    token = await insert_key(role="viewer")
    async with with_tet.router.lifespan_context(with_tet), client_with(with_tet, token) as c:
        assert "X-SMALL" not in await issues(c, units["x"], "2024-02-28")
        overdue = (await issues(c, units["x"], "2024-02-29"))["X-SMALL"]["overdue_probationary"]
        assert [m["recognition_due"] for m in overdue] == ["2024-02-28"]


async def test_thresholds_are_configured(
    settings: Settings,
    database_url: str,
    db_pool: asyncpg.Pool,
    units: dict[str, dict[str, Any]],
    client_with: ClientWith,
    insert_key: InsertKey,
    add_members: AddMembers,
) -> None:
    await add_members(units["small"], 2, "Nhỏ")
    await add_members(units["big"], 25, "To")
    app = create_app(
        settings.model_copy(
            update={"min_official_members": 2, "subordinate_cell_max_members": 24, "cell_committee_threshold": 30}
        ),
        database_url=database_url,
    )
    token = await insert_key(role="viewer")
    async with app.router.lifespan_context(app), client_with(app, token) as c:
        found = await issues(c, units["x"], "2025-12-01")
        assert "X-SMALL" not in found
        assert rules_of(found["X-DU-BIG"]).keys() == {"subordinate_cell_too_large"}
        assert rules_of(found["X-DU-BIG"])["subordinate_cell_too_large"]["threshold"] == 24


async def test_pages_cover_every_unit_once(
    client: httpx.AsyncClient,
    db_pool: asyncpg.Pool,
    settings: Settings,
    database_url: str,
    units: dict[str, dict[str, Any]],
    client_with: ClientWith,
    create_org: CreateOrg,
    insert_key: InsertKey,
    add_members: AddMembers,
) -> None:
    cells = [await create_org(client, f"X-DU-C{i}", "subordinate_cell", units["du"], valid_from=OLD) for i in range(7)]
    for cell in cells[:5]:
        await add_members(cell, 9, cell["code"])  # 9 official members and no committee
    await add_members(cells[5], 3, "Đủ")
    # the grassroots cells and the subordinate cells without members have too few official members
    expected = {c["code"] for c in cells[:5]} | {"X-SMALL", "X-LARGE", "X-DU-BIG", "X-DU-NINE", "X-DU-C6"}
    for client_, limit in ((client, 2), (client, 1)):
        codes: list[str] = []
        cursor = None
        while True:
            params: dict[str, Any] = {"within": units["x"]["id"], "as_of": "2025-01-01", "limit": limit}
            page = (await client_.get(API, params={**params, **({"cursor": cursor} if cursor else {})})).json()
            assert len(page["items"]) <= limit
            codes += [i["organization"]["code"] for i in page["items"]]
            cursor = page["next_cursor"]
            if not cursor:
                break
        assert sorted(codes) == sorted(expected) and len(codes) == len(set(codes))
    # a small scan bound gives short pages, and still every unit exactly once
    bounded = create_app(settings.model_copy(update={"compliance_scan_units": 3}), database_url=database_url)
    token = await insert_key(role="viewer")
    async with bounded.router.lifespan_context(bounded), client_with(bounded, token) as c:
        codes, cursor, pages = [], None, 0
        while True:
            page = (
                await c.get(
                    API,
                    params={
                        "within": units["x"]["id"],
                        "as_of": "2025-01-01",
                        "limit": 50,
                        **({"cursor": cursor} if cursor else {}),
                    },
                )
            ).json()
            assert page["units_examined"] <= 3
            pages += 1
            codes += [i["organization"]["code"] for i in page["items"]]
            cursor = page["next_cursor"]
            if not cursor:
                break
        assert sorted(codes) == sorted(expected) and pages >= 5
    # a cursor belongs to its query
    first = (await client.get(API, params={"within": units["x"]["id"], "as_of": "2025-01-01", "limit": 1})).json()
    other = await client.get(
        API, params={"within": units["du"]["id"], "as_of": "2025-01-01", "cursor": first["next_cursor"]}
    )
    assert_problem(other, 400, "invalid_cursor")


async def test_compliance_is_scoped(
    app: FastAPI,
    db_pool: asyncpg.Pool,
    units: dict[str, dict[str, Any]],
    client_with: ClientWith,
    insert_key: InsertKey,
    add_members: AddMembers,
) -> None:
    await add_members(units["small"], 1, "Nhỏ")
    outsider = await insert_key(role="viewer", scopes=[units["y"]["id"]])
    insider = await insert_key(role="viewer", scopes=[units["x"]["id"]])
    async with client_with(app, outsider) as c:
        response = await c.get(API, params={"within": units["x"]["id"]})
        assert_problem(response, 422, "within_not_found")
        assert "Chi bộ nhỏ" not in response.text
        assert (await issues(c, units["y"], "2025-01-01")) == {}
    async with client_with(app, insider) as c:
        assert "X-SMALL" in await issues(c, units["x"], "2025-01-01")
        assert_problem(await c.get(API, params={"within": units["p"]["id"]}), 422, "within_not_found")


async def test_a_subordinate_cell_needs_three_official_members(
    client: httpx.AsyncClient, units: dict[str, dict[str, Any]], add_member: AddMember, add_members: AddMembers
) -> None:
    """Charter art. 24: "mỗi chi bộ ít nhất có 3 đảng viên chính thức", like a grassroots organisation."""
    await add_members(units["nine"], 2, "Chín")
    await add_member(units["nine"], "Dự bị Chín", status="probationary", admitted=date(2025, 6, 1))
    few = rules_of((await issues(client, units["x"], "2025-12-01"))["X-DU-NINE"])["too_few_official_members"]
    assert (few["value"], few["threshold"], few["severity"]) == (2, 3, "violation")
    assert "subordinate cell" in few["detail"]
    await add_member(units["nine"], "Chín Ba")
    assert "X-DU-NINE" not in await issues(client, units["x"], "2025-12-01")


async def test_a_large_subordinate_cell_is_advised_not_in_breach_and_party_groups_meet_it(
    client: httpx.AsyncClient, create_org: CreateOrg, units: dict[str, dict[str, Any]], add_members: AddMembers
) -> None:
    big = units["big"]
    official = await add_members(big, 31, "To")
    for i, member in enumerate(official[:3]):
        await client.post(
            f"/api/v1/organizations/{big['id']}/positions",
            json={
                "member_id": member,
                "position": ["secretary", "deputy_secretary", "committee_member"][i],
                "valid_from": "2020-01-01",
            },
        )
    found = await issues(client, units["x"], "2025-12-01")
    advice = rules_of(found["X-DU-BIG"])
    assert advice.keys() == {"subordinate_cell_too_large"}
    assert advice["subordinate_cell_too_large"]["severity"] == "advice"
    assert all(v["severity"] == "violation" for v in found["X-DU-NINE"]["violations"])
    await create_org(client, "X-DU-BIG-T1", "party_group", big, valid_from="2025-03-01", name="Tổ đảng 1")
    assert "X-DU-BIG" not in await issues(client, units["x"], "2025-12-01")
    assert "X-DU-BIG" in await issues(client, units["x"], "2025-02-01")  # before it was divided


async def test_an_oversized_cell_committee_already_recorded_is_reported(
    client: httpx.AsyncClient, db_pool: asyncpg.Pool, units: dict[str, dict[str, Any]], add_members: AddMembers
) -> None:
    """Seats recorded before the rule (11 seats, two deputies) are reported, the write refusing new ones."""
    nine = units["nine"]
    people = await add_members(nine, 11, "Chín")
    positions = ["secretary", "deputy_secretary", "deputy_secretary"] + ["committee_member"] * 8
    for member, position in zip(people, positions, strict=True):
        await db_pool.execute(
            "INSERT INTO party_positions (member_id, organization_id, position, valid_from) VALUES ($1, $2, $3, $4)",
            uuid.UUID(member),
            uuid.UUID(nine["id"]),
            position,
            date(2021, 1, 1),
        )
    found = rules_of((await issues(client, units["x"], "2025-12-01"))["X-DU-NINE"])
    assert (found["cell_committee_too_large"]["value"], found["cell_committee_too_large"]["threshold"]) == (11, 7)
    assert (found["too_many_deputy_secretaries"]["value"], found["too_many_deputy_secretaries"]["threshold"]) == (2, 1)
    assert found["cell_committee_too_large"]["severity"] == "violation"


async def test_the_recognition_window_counts_from_the_ceremony(
    client: httpx.AsyncClient,
    db_pool: asyncpg.Pool,
    units: dict[str, dict[str, Any]],
    add_member: AddMember,
    add_members: AddMembers,
) -> None:
    await add_members(units["small"], 3, "Chính thức")
    late = await add_member(units["small"], "Nguyễn Văn Lễ", status="probationary", admitted=date(2023, 1, 10))
    await db_pool.execute("UPDATE members SET admission_ceremony_date = '2023-02-20' WHERE id = $1", uuid.UUID(late))
    # the window of the decision (due 2024-02-21) has closed, the ceremony's (due 2024-04-02) has not
    assert "X-SMALL" not in await issues(client, units["x"], "2024-04-02")
    overdue = (await issues(client, units["x"], "2024-04-03"))["X-SMALL"]["overdue_probationary"]
    assert [(m["admission_ceremony_date"], m["official_date"], m["recognition_due"]) for m in overdue] == [
        ("2023-02-20", "2024-02-20", "2024-04-02")
    ]
