"""Party positions and public posts through the API: the rules on seats, who leads a unit on a date, the cell
committee rule, the secretary who is also the village head, the audit trail and scoping."""

import uuid
from collections.abc import Awaitable, Callable
from datetime import date
from typing import Any

import asyncpg
import httpx
import pytest
from fastapi import FastAPI

from app.main import create_app
from app.settings import Settings
from tests.support.builders import AddMember, AddMembers, ClientWith, CreateOrg, InsertKey, Seat, Snapshot
from tests.support.problems import assert_problem

API = "/api/v1"
OLD = "2015-01-01"


@pytest.fixture
async def units(client: httpx.AsyncClient, create_org: CreateOrg) -> dict[str, dict[str, Any]]:
    """A commune with a grassroots committee and two village cells under it, a grassroots cell, and another
    commune elsewhere."""
    p = await create_org(client, "P", "provincial_committee", valid_from=OLD, name="Đảng bộ tỉnh")
    x = await create_org(client, "X", "upper_level_committee", p, valid_from=OLD, name="Đảng bộ xã X")
    du = await create_org(client, "X-DU", "grassroots_committee", x, valid_from=OLD, name="Đảng bộ X")
    c1 = await create_org(
        client, "X-C1", "subordinate_cell", du, valid_from=OLD, name="Chi bộ Thôn Đông", category="village"
    )
    c2 = await create_org(
        client, "X-C2", "subordinate_cell", du, valid_from=OLD, name="Chi bộ Thôn Tây", category="village"
    )
    cs = await create_org(client, "X-CS", "grassroots_cell", x, valid_from=OLD, name="Chi bộ Trường")
    y = await create_org(client, "Y", "upper_level_committee", p, valid_from=OLD, name="Đảng bộ xã Y")
    return {"p": p, "x": x, "du": du, "c1": c1, "c2": c2, "cs": cs, "y": y}


async def leadership(client: httpx.AsyncClient, org: dict[str, Any], as_of: str) -> dict[str, Any]:
    response = await client.get(f"{API}/organizations/{org['id']}/leadership", params={"as_of": as_of})
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


async def test_seats_make_the_leadership_and_the_cell_committee(
    client: httpx.AsyncClient,
    db_pool: asyncpg.Pool,
    units: dict[str, dict[str, Any]],
    add_member: AddMember,
    seat: Seat,
) -> None:
    c1 = units["c1"]
    an, binh, chi = [await add_member(c1, n) for n in ("Nguyễn Văn An", "Trần Thị Bình", "Lê Văn Chi")]
    created = await seat(client, c1, an, "secretary", "2020-08-01", decision_ref="12-QĐ/ĐU")
    assert created.status_code == 201, created.text
    body = created.json()
    assert body["full_name"] == "Nguyễn Văn An" and body["position"] == "secretary" and body["valid_to"] is None
    assert body["decision_ref"] == "12-QĐ/ĐU" and body["organization_code"] == "X-C1"
    assert (await seat(client, c1, binh, "deputy_secretary", "2020-08-01")).status_code == 201
    led = await leadership(client, c1, "2021-01-01")
    assert led["secretary"]["full_name"] == "Nguyễn Văn An"
    assert [d["full_name"] for d in led["deputies"]] == ["Trần Thị Bình"]
    assert led["is_cell"] and led["committee_seats"] == 2 and led["has_cell_committee"] is False
    assert (await seat(client, c1, chi, "committee_member", "2021-03-01")).status_code == 201
    led = await leadership(client, c1, "2021-03-01")
    assert led["committee_seats"] == 3 and led["has_cell_committee"] is True
    assert [s["position"] for s in led["committee"]] == ["secretary", "deputy_secretary", "committee_member"]
    assert (await leadership(client, c1, "2021-02-28"))["has_cell_committee"] is False
    assert (await leadership(client, c1, "2020-07-31"))["secretary"] is None
    listed = (await client.get(f"{API}/organizations/{c1['id']}/positions", params={"as_of": "2021-03-01"})).json()
    assert [p["full_name"] for p in listed["items"]] == ["Nguyễn Văn An", "Trần Thị Bình", "Lê Văn Chi"]
    # a committee is not a cell: the cell-committee answer is for cells only
    du_led = await leadership(client, units["du"], "2021-03-01")
    assert du_led["is_cell"] is False and du_led["has_cell_committee"] is None and du_led["secretary"] is None


async def test_the_cell_committee_rule_is_configured(
    settings: Settings,
    database_url: str,
    db_pool: asyncpg.Pool,
    client: httpx.AsyncClient,
    units: dict[str, dict[str, Any]],
    add_member: AddMember,
    client_with: ClientWith,
    insert_key: InsertKey,
    seat: Seat,
) -> None:
    c1 = units["c1"]
    for i, position in enumerate(("secretary", "deputy_secretary", "committee_member")):
        member = await add_member(c1, f"Thành viên {i}")
        assert (await seat(client, c1, member, position, "2021-01-01")).status_code == 201
    assert (await leadership(client, c1, "2022-01-01"))["has_cell_committee"] is True
    stricter = create_app(settings.model_copy(update={"cell_committee_min_positions": 4}), database_url=database_url)
    token = await insert_key(role="viewer")
    try:
        async with stricter.router.lifespan_context(stricter), client_with(stricter, token) as c:
            led = await leadership(c, c1, "2022-01-01")
            assert led["has_cell_committee"] is False and led["cell_committee_min_positions"] == 4
    finally:  # the app's start wrote its setting for the indicator functions: the session's app's back
        await db_pool.execute(
            "SELECT coso_indicators_configure('cell_committee_min_positions', $1)",
            settings.cell_committee_min_positions,
        )


async def test_one_secretary_at_a_time(
    client: httpx.AsyncClient,
    db_pool: asyncpg.Pool,
    units: dict[str, dict[str, Any]],
    add_member: AddMember,
    seat: Seat,
    snapshot: Snapshot,
) -> None:
    c1 = units["c1"]
    an, binh = await add_member(c1, "Nguyễn Văn An"), await add_member(c1, "Trần Thị Bình")
    first = (await seat(client, c1, an, "secretary", "2020-08-01")).json()
    before = await snapshot()
    refused = assert_problem(await seat(client, c1, binh, "secretary", "2023-01-01"), 409, "one_secretary_at_a_time")
    assert "Nguyễn Văn An" in refused["detail"] and refused["existing_id"] == first["id"]
    # a secretary in the past that overlaps the current one is refused too
    assert_problem(
        await seat(client, c1, binh, "secretary", "2019-01-01", valid_to="2020-09-01"), 409, "one_secretary_at_a_time"
    )
    assert_problem(await seat(client, c1, an, "committee_member", "2023-01-01"), 409, "one_seat_per_member")
    assert await snapshot() == before
    end = await client.post(
        f"{API}/organizations/{c1['id']}/positions/{first['id']}/end",
        json={"valid_to": "2023-01-01", "decision_ref": "30-QĐ/ĐU"},
    )
    assert end.status_code == 200, end.text
    assert end.json()["valid_to"] == "2023-01-01" and end.json()["end_decision_ref"] == "30-QĐ/ĐU"
    assert_problem(
        await client.post(
            f"{API}/organizations/{c1['id']}/positions/{first['id']}/end", json={"valid_to": "2024-01-01"}
        ),
        409,
        "position_already_ended",
    )
    assert (await seat(client, c1, binh, "secretary", "2023-01-01")).status_code == 201
    assert (await leadership(client, c1, "2022-12-31"))["secretary"]["full_name"] == "Nguyễn Văn An"
    assert (await leadership(client, c1, "2023-01-01"))["secretary"]["full_name"] == "Trần Thị Bình"
    # the database refuses two secretaries even if the check were skipped
    with pytest.raises(asyncpg.exceptions.ExclusionViolationError):
        await db_pool.execute(
            "INSERT INTO party_positions (member_id, organization_id, position, valid_from) "
            "VALUES ($1, $2, 'secretary', '2024-01-01')",
            uuid.UUID(an),
            uuid.UUID(c1["id"]),
        )


async def test_only_members_of_the_unit_hold_its_seats(
    client: httpx.AsyncClient,
    db_pool: asyncpg.Pool,
    units: dict[str, dict[str, Any]],
    add_member: AddMember,
    seat: Seat,
) -> None:
    c1, c2, du = units["c1"], units["c2"], units["du"]
    east = await add_member(c1, "Phạm Văn Đông")
    west = await add_member(c2, "Hoàng Thị Tây")
    late = await add_member(c1, "Vũ Văn Muộn", status="probationary", admitted=date(2024, 3, 1))
    assert_problem(await seat(client, c1, west, "deputy_secretary", "2021-01-01"), 422, "not_a_member_of_organization")
    assert_problem(await seat(client, c1, late, "committee_member", "2023-01-01"), 422, "not_a_member_on_date")
    # the grassroots committee's seats go to members of the units under it
    assert (await seat(client, du, east, "secretary", "2020-01-01")).status_code == 201
    assert (await seat(client, du, west, "standing_committee_member", "2020-01-01")).status_code == 201
    assert_problem(
        await seat(client, c1, east, "standing_committee_member", "2021-01-01"), 422, "no_standing_committee"
    )
    assert_problem(
        await seat(client, c1, east, "secretary", "2021-01-01", valid_to="2021-01-01"), 422, "invalid_period"
    )
    assert_problem(await seat(client, c1, east, "president", "2021-01-01"), 422, "validation_error")
    assert_problem(await seat(client, c1, str(uuid.uuid4()), "secretary", "2021-01-01"), 404, "member_not_found")
    assert_problem(await seat(client, c1, east, "secretary", "2010-01-01"), 422, "organization_not_yet_founded")


async def test_posts_and_the_secretary_who_is_village_head(
    client: httpx.AsyncClient,
    db_pool: asyncpg.Pool,
    units: dict[str, dict[str, Any]],
    add_member: AddMember,
    seat: Seat,
) -> None:
    c1 = units["c1"]
    an = await add_member(c1, "Nguyễn Văn An")
    binh = await add_member(c1, "Trần Thị Bình")
    assert (await seat(client, c1, an, "secretary", "2020-08-01")).status_code == 201
    assert (await leadership(client, c1, "2022-01-01"))["secretary_is_village_head"] is False
    head = await client.post(
        f"{API}/members/{an}/posts",
        json={
            "post": "village_head",
            "organization_id": c1["id"],
            "place": "Thôn Đông",
            "valid_from": "2022-06-01",
            "decision_ref": "45/QĐ-UBND",
        },
    )
    assert head.status_code == 201, head.text
    assert head.json()["post"] == "village_head" and head.json()["organization_code"] == "X-C1"
    led = await leadership(client, c1, "2022-06-01")
    assert led["secretary_is_village_head"] is True
    assert [p["post"] for p in led["secretary_posts"]] == ["village_head"]
    assert (await leadership(client, c1, "2022-05-31"))["secretary_is_village_head"] is False
    # one village head at a time; the member can hold other posts
    assert_problem(
        await client.post(
            f"{API}/members/{binh}/posts",
            json={"post": "village_head", "organization_id": c1["id"], "valid_from": "2023-01-01"},
        ),
        409,
        "post_taken",
    )
    front = await client.post(
        f"{API}/members/{an}/posts",
        json={"post": "front_committee_head", "place": "Thôn Đông", "valid_from": "2021-01-01"},
    )
    assert front.status_code == 201, front.text
    assert_problem(
        await client.post(f"{API}/members/{an}/posts", json={"post": "commune_chair", "valid_from": "2021-01-01"}),
        422,
        "post_place",
    )
    ended = await client.post(f"{API}/members/{an}/posts/{head.json()['id']}/end", json={"valid_to": "2024-01-01"})
    assert ended.status_code == 200 and ended.json()["valid_to"] == "2024-01-01"
    assert (await leadership(client, c1, "2024-01-01"))["secretary_is_village_head"] is False
    mine = (await client.get(f"{API}/members/{an}/positions")).json()
    assert mine["full_name"] == "Nguyễn Văn An"
    assert [p["position"] for p in mine["positions"]] == ["secretary"]
    assert [p["post"] for p in mine["posts"]] == ["front_committee_head", "village_head"]
    ref = (await client.get(f"{API}/reference/positions")).json()
    labels = {p["value"]: p["label_vi"] for p in ref["posts"]}
    assert labels["village_head"].startswith("Trưởng thôn") and "village_head" in ref["community_head_posts"]
    assert [p["value"] for p in ref["positions"]] == [
        "secretary",
        "deputy_secretary",
        "standing_committee_member",
        "committee_member",
        "group_leader",
        "group_deputy_leader",
    ]
    group_labels = {p["value"]: p["label_vi"] for p in ref["positions"]}
    assert (
        group_labels["group_leader"] == "Tổ trưởng tổ đảng" and group_labels["group_deputy_leader"] == "Tổ phó tổ đảng"
    )


async def test_each_write_is_audited_once(
    client: httpx.AsyncClient,
    db_pool: asyncpg.Pool,
    units: dict[str, dict[str, Any]],
    add_member: AddMember,
    seat: Seat,
) -> None:
    c1 = units["c1"]
    an = await add_member(c1, "Nguyễn Văn An")
    calls: list[Callable[[], Awaitable[httpx.Response]]] = [
        lambda: seat(client, c1, an, "secretary", "2020-08-01"),
        lambda: client.post(
            f"{API}/members/{an}/posts",
            json={"post": "village_head", "organization_id": c1["id"], "valid_from": "2021-01-01"},
        ),
    ]
    for call in calls:
        top = await db_pool.fetchval("SELECT coalesce(max(id), 0) FROM audit_log")
        response = await call()
        assert response.status_code == 201, response.text
        rows = await db_pool.fetch("SELECT * FROM audit_log WHERE id > $1", top)
        assert len(rows) == 1 and rows[0]["action"] == "create" and str(rows[0]["entity_id"]) == response.json()["id"]
    position_id = (await client.get(f"{API}/members/{an}/positions")).json()["positions"][0]["id"]
    top = await db_pool.fetchval("SELECT max(id) FROM audit_log")
    await client.post(f"{API}/organizations/{c1['id']}/positions/{position_id}/end", json={"valid_to": "2022-01-01"})
    rows = await db_pool.fetch("SELECT * FROM audit_log WHERE id > $1", top)
    assert [(r["action"], r["entity"]) for r in rows] == [("end", "party_position")]


async def test_positions_are_scoped(
    client: httpx.AsyncClient,
    app: FastAPI,
    db_pool: asyncpg.Pool,
    units: dict[str, dict[str, Any]],
    add_member: AddMember,
    client_with: ClientWith,
    insert_key: InsertKey,
    seat: Seat,
    snapshot: Snapshot,
) -> None:
    c1 = units["c1"]
    an = await add_member(c1, "Nguyễn Văn An")
    position = (await seat(client, c1, an, "secretary", "2020-08-01")).json()
    outsider = await insert_key(role="editor", scopes=[units["y"]["id"]])
    insider = await insert_key(role="viewer", scopes=[units["du"]["id"]])
    before = await snapshot()
    async with client_with(app, outsider) as c:
        for url in (
            f"{API}/organizations/{c1['id']}/leadership",
            f"{API}/organizations/{c1['id']}/positions",
            f"{API}/members/{an}/positions",
        ):
            response = await c.get(url)
            assert_problem(response, 404)
            assert "Nguyễn Văn An" not in response.text
        assert_problem(await seat(c, c1, an, "deputy_secretary", "2021-01-01"), 404)
        assert_problem(
            await c.post(
                f"{API}/organizations/{c1['id']}/positions/{position['id']}/end", json={"valid_to": "2022-01-01"}
            ),
            404,
        )
        assert_problem(
            await c.post(
                f"{API}/members/{an}/posts",
                json={"post": "village_head", "place": "Thôn Đông", "valid_from": "2021-01-01"},
            ),
            404,
        )
    assert await snapshot() == before
    async with client_with(app, insider) as c:
        assert (await leadership(c, c1, "2021-01-01"))["secretary"]["full_name"] == "Nguyễn Văn An"
        assert_problem(await seat(c, c1, an, "deputy_secretary", "2021-01-01"), 403)


async def test_a_probationary_member_cannot_hold_an_elected_seat(
    client: httpx.AsyncClient,
    units: dict[str, dict[str, Any]],
    add_member: AddMember,
    seat: Seat,
    snapshot: Snapshot,
) -> None:
    """Charter art. 5: a probationary member cannot stand for election; seats go to official members."""
    c1 = units["c1"]
    late = await add_member(c1, "Vũ Văn Muộn", status="probationary", admitted=date(2024, 3, 1))
    before = await snapshot()
    for position in ("secretary", "deputy_secretary", "committee_member"):
        problem = assert_problem(
            await seat(client, c1, late, position, "2024-06-01"), 409, "probationary_member_cannot_hold_seat"
        )
        assert "probationary" in problem["detail"]
    assert await snapshot() == before
    official = await add_member(c1, "Phạm Văn Đông")
    assert (await seat(client, c1, official, "committee_member", "2024-06-01")).status_code == 201


async def test_a_cell_committee_has_at_most_seven_members_and_one_deputy(
    client: httpx.AsyncClient,
    units: dict[str, dict[str, Any]],
    add_members: AddMembers,
    seat: Seat,
    snapshot: Snapshot,
) -> None:
    """QĐ 294-QĐ/TW (point 24 of QĐ 29 before it): a cell elects at most 7 committee members, one deputy secretary."""
    c1 = units["c1"]
    people = await add_members(c1, 9, "Đảng viên")
    assert (await seat(client, c1, people[0], "secretary", "2021-01-01")).status_code == 201
    assert (await seat(client, c1, people[1], "deputy_secretary", "2021-01-01")).status_code == 201
    before = await snapshot()
    assert_problem(
        await seat(client, c1, people[2], "deputy_secretary", "2021-01-01"), 409, "too_many_deputy_secretaries"
    )
    assert await snapshot() == before
    for person in people[2:7]:
        assert (await seat(client, c1, person, "committee_member", "2021-01-01")).status_code == 201
    before = await snapshot()
    problem = assert_problem(
        await seat(client, c1, people[7], "committee_member", "2022-01-01"), 409, "cell_committee_too_large"
    )
    assert problem["value"] == 8 and problem["threshold"] == 7
    # a seat that starts before the committee fills up is refused too: it would overlap the seventh
    assert_problem(await seat(client, c1, people[7], "committee_member", "2020-06-01"), 409, "cell_committee_too_large")
    assert await snapshot() == before
    # a seat that ends before the others begin is fine
    early = await seat(client, c1, people[7], "committee_member", "2020-01-01", valid_to="2021-01-01")
    assert early.status_code == 201, early.text


async def test_the_committee_composition_is_configured(
    settings: Settings,
    database_url: str,
    units: dict[str, dict[str, Any]],
    add_members: AddMembers,
    client_with: ClientWith,
    insert_key: InsertKey,
    seat: Seat,
) -> None:
    c1 = units["c1"]
    people = await add_members(c1, 4, "Đảng viên")
    update = {"cell_committee_max_members": 3, "cell_max_deputy_secretaries": 2}
    other = create_app(settings.model_copy(update=update), database_url=database_url)
    token = await insert_key(role="editor")
    async with other.router.lifespan_context(other), client_with(other, token) as configured:
        assert (await seat(configured, c1, people[0], "deputy_secretary", "2021-01-01")).status_code == 201
        assert (await seat(configured, c1, people[1], "deputy_secretary", "2021-01-01")).status_code == 201
        assert (await seat(configured, c1, people[2], "secretary", "2021-01-01")).status_code == 201
        assert_problem(
            await seat(configured, c1, people[3], "committee_member", "2021-01-01"), 409, "cell_committee_too_large"
        )


async def test_a_party_group_has_a_leader_and_a_deputy_not_a_secretary(
    client: httpx.AsyncClient,
    create_org: CreateOrg,
    units: dict[str, dict[str, Any]],
    add_member: AddMember,
    seat: Seat,
    snapshot: Snapshot,
) -> None:
    """Charter art. 24.1: "tổ đảng bầu tổ trưởng, nếu cần thì bầu tổ phó"."""
    group = await create_org(client, "X-C1-T1", "party_group", units["c1"], valid_from=OLD, name="Tổ đảng 1")
    an, binh, chi = [await add_member(group, n) for n in ("Nguyễn Văn An", "Trần Thị Bình", "Lê Văn Chi")]
    before = await snapshot()
    for position in ("secretary", "deputy_secretary", "committee_member"):
        assert_problem(
            await seat(client, group, an, position, "2021-01-01"), 422, "party_group_has_leader_not_secretary"
        )
    assert_problem(
        await seat(client, units["c1"], an, "group_leader", "2021-01-01"), 422, "group_seat_outside_party_group"
    )
    assert await snapshot() == before
    assert (await seat(client, group, an, "group_leader", "2021-01-01")).status_code == 201
    assert (await seat(client, group, binh, "group_deputy_leader", "2021-01-01")).status_code == 201
    assert_problem(await seat(client, group, chi, "group_leader", "2021-06-01"), 409, "one_secretary_at_a_time")
    assert_problem(
        await seat(client, group, chi, "group_deputy_leader", "2021-06-01"), 409, "too_many_group_deputy_leaders"
    )
    led = await leadership(client, group, "2021-06-01")
    assert [s["position"] for s in led["committee"]] == ["group_leader", "group_deputy_leader"]
