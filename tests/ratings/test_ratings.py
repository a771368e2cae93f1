"""Ratings of members and organisations through the API: bands from scores, reasons checked against the records,
one rating per period, the summary with its quota, personal details behind `pii`, organisation records, scoping."""

import uuid
from datetime import date
from typing import Any

import asyncpg
import httpx
import orjson
import pytest
from fastapi import FastAPI

from app.domain.ratings.service import period_bounds
from app.main import create_app
from app.settings import Settings
from tests.support.builders import AddMember, ClientWith, CreateOrg, InsertKey, Snapshot
from tests.support.problems import assert_problem

API = "/api/v1"
OLD = "2015-01-01"


@pytest.fixture
async def units(client: httpx.AsyncClient, create_org: CreateOrg) -> dict[str, dict[str, Any]]:
    p = await create_org(client, "P", "provincial_committee", valid_from=OLD, name="Đảng bộ tỉnh")
    x = await create_org(client, "X", "upper_level_committee", p, valid_from=OLD, name="Đảng bộ xã X")
    du = await create_org(client, "X-DU", "grassroots_committee", x, valid_from=OLD, name="Đảng bộ X")
    c1 = await create_org(client, "X-C1", "subordinate_cell", du, valid_from=OLD, name="Chi bộ Thôn Đông")
    c2 = await create_org(client, "X-C2", "subordinate_cell", du, valid_from=OLD, name="Chi bộ Thôn Tây")
    young = await create_org(client, "X-C3", "subordinate_cell", du, valid_from="2024-09-01", name="Chi bộ mới")
    y = await create_org(client, "Y", "upper_level_committee", p, valid_from=OLD, name="Đảng bộ xã Y")
    return {"p": p, "x": x, "du": du, "c1": c1, "c2": c2, "young": young, "y": y}


async def rate(client: httpx.AsyncClient, member_id: str, period: str = "2024", **body: Any) -> httpx.Response:
    return await client.post(f"{API}/members/{member_id}/ratings", json={"period": period, **body})


def test_periods_are_years_and_quarters() -> None:
    assert period_bounds("2024") == (date(2024, 1, 1), date(2024, 12, 31))
    assert period_bounds("2024Q1") == (date(2024, 1, 1), date(2024, 3, 31))
    assert period_bounds("2024Q4") == (date(2024, 10, 1), date(2024, 12, 31))


async def test_scores_give_bands_by_the_configured_thresholds(
    client: httpx.AsyncClient, db_pool: asyncpg.Pool, units: dict[str, dict[str, Any]], add_member: AddMember
) -> None:
    expected = {
        100: "excellent",
        90: "excellent",
        89: "good",
        70: "good",
        69: "fulfilled",
        50: "fulfilled",
        49: "not_fulfilled",
        0: "not_fulfilled",
    }
    for score, band in expected.items():
        member = await add_member(units["c1"], f"Đảng viên {score}")
        response = await rate(client, member, score=score, comment="Nhận xét", rated_on="2024-12-20")
        assert response.status_code == 201, response.text
        body = response.json()
        assert (body["score"], body["rating"], body["not_rated_reason"]) == (score, band, None)
        assert body["organization_id"] == units["c1"]["id"] and body["period_end"] == "2024-12-31"
        assert body["comment"] == "Nhận xét" and body["details_hidden"] is False
    assert_problem(await rate(client, member, "2023", score=101), 422, "validation_error")
    assert_problem(await rate(client, member, "2023"), 422, "validation_error")
    assert_problem(await rate(client, member, "2023", score=80, not_rated_reason="exempt"), 422, "validation_error")
    assert_problem(await rate(client, member, "2024Q5", score=80), 422, "validation_error")


async def test_thresholds_come_from_configuration(
    settings: Settings,
    database_url: str,
    db_pool: asyncpg.Pool,
    units: dict[str, dict[str, Any]],
    add_member: AddMember,
    client_with: ClientWith,
    insert_key: InsertKey,
) -> None:
    member = await add_member(units["c1"], "Nguyễn Văn An")
    app = create_app(settings.model_copy(update={"rating_excellent_min": 95}), database_url=database_url)
    token = await insert_key(role="editor")
    async with app.router.lifespan_context(app), client_with(app, token) as c:
        response = await rate(c, member, score=92)
        assert response.status_code == 201, response.text
        assert response.json()["rating"] == "good"


async def test_one_rating_per_period_and_put_replaces_it(
    client: httpx.AsyncClient,
    db_pool: asyncpg.Pool,
    units: dict[str, dict[str, Any]],
    add_member: AddMember,
    snapshot: Snapshot,
) -> None:
    member = await add_member(units["c1"], "Nguyễn Văn An")
    first = (await rate(client, member, score=85)).json()
    before = await snapshot()
    duplicate = assert_problem(await rate(client, member, score=95), 409, "duplicate_rating")
    assert duplicate["existing_id"] == first["id"]
    assert await snapshot() == before
    assert (await rate(client, member, "2024Q2", score=95)).status_code == 201  # a quarter is another period
    top = await db_pool.fetchval("SELECT max(id) FROM audit_log")
    replaced = await client.put(f"{API}/members/{member}/ratings/2024", json={"score": 91, "comment": "Sửa"})
    assert replaced.status_code == 200, replaced.text
    assert replaced.json()["id"] == first["id"] and replaced.json()["rating"] == "excellent"
    assert replaced.json()["version"] == 2
    rows = await db_pool.fetch("SELECT * FROM audit_log WHERE id > $1", top)
    assert len(rows) == 1 and rows[0]["action"] == "replace"
    assert orjson.loads(rows[0]["before"])["score"] == 85 and orjson.loads(rows[0]["after"])["score"] == 91
    assert_problem(
        await client.put(f"{API}/members/{member}/ratings/2023", json={"score": 91}), 404, "rating_not_found"
    )
    listed = (await client.get(f"{API}/members/{member}/ratings")).json()["items"]
    assert [(r["period"], r["score"]) for r in listed] == [("2024Q2", 95), ("2024", 91)]


async def test_reasons_for_not_rating_are_checked_against_the_records(
    client: httpx.AsyncClient, db_pool: asyncpg.Pool, units: dict[str, dict[str, Any]], add_member: AddMember
) -> None:
    c1 = units["c1"]
    new = await add_member(c1, "Vũ Văn Mới", status="probationary", admitted=date(2024, 9, 1))
    exempt = await add_member(c1, "Lê Văn Miễn", exempt=True)
    suspended = await add_member(c1, "Đỗ Văn Đình", suspended=True)
    plain = await add_member(c1, "Phạm Văn Thường")
    refused = assert_problem(await rate(client, new, score=80), 422, "not_ratable")
    assert refused["reasons"] == ["admitted_less_than_6_months"]
    ok = await rate(client, new, not_rated_reason="admitted_less_than_6_months")
    assert ok.status_code == 201 and ok.json()["rating"] is None and ok.json()["score"] is None
    # admitted on 1 July: six months before the end of the year, so rated
    july = await add_member(c1, "Vũ Thị Bảy", status="probationary", admitted=date(2024, 7, 1))
    assert (await rate(client, july, score=75)).status_code == 201
    assert_problem(await rate(client, exempt, score=80), 422, "not_ratable")
    assert (await rate(client, exempt, not_rated_reason="exempt")).status_code == 201
    assert (await rate(client, suspended, not_rated_reason="suspended")).status_code == 201
    assert_problem(await rate(client, plain, not_rated_reason="exempt"), 422, "not_rated_reason_not_supported")
    assert_problem(
        await rate(client, plain, not_rated_reason="organization_less_than_6_months_old"),
        422,
        "not_rated_reason_not_supported",
    )
    # in 2025 the new member has served long enough
    assert (await rate(client, new, "2025", score=80)).status_code == 201
    # not yet a member then
    assert_problem(
        await rate(client, new, "2023", not_rated_reason="admitted_less_than_6_months"), 422, "not_a_member_on_date"
    )


async def test_the_organisation_at_rating_time_is_recorded(
    client: httpx.AsyncClient, db_pool: asyncpg.Pool, units: dict[str, dict[str, Any]], add_member: AddMember
) -> None:
    moved = await add_member(units["c1"], "Trần Văn Chuyển")
    await db_pool.execute("UPDATE member_periods SET valid_to = '2025-03-01' WHERE member_id = $1", uuid.UUID(moved))
    await db_pool.execute(
        "INSERT INTO member_periods (member_id, valid_from, organization_id, status) "
        "VALUES ($1, '2025-03-01', $2, 'official')",
        uuid.UUID(moved),
        uuid.UUID(units["c2"]["id"]),
    )
    await db_pool.execute(
        "UPDATE members SET organization_id = $2 WHERE id = $1", uuid.UUID(moved), uuid.UUID(units["c2"]["id"])
    )
    assert (await rate(client, moved, "2024", score=80)).json()["organization_code"] == "X-C1"
    assert (await rate(client, moved, "2025", score=80)).json()["organization_code"] == "X-C2"


async def test_organisations_are_rated_unless_too_young(
    client: httpx.AsyncClient, units: dict[str, dict[str, Any]]
) -> None:
    url = f"{API}/organizations/{{}}/ratings"
    rated = await client.post(url.format(units["c1"]["id"]), json={"period": "2024", "score": 92})
    assert rated.status_code == 201, rated.text
    assert rated.json()["member_id"] is None and rated.json()["rating"] == "excellent"
    young = units["young"]["id"]
    assert_problem(await client.post(url.format(young), json={"period": "2024", "score": 80}), 422, "not_ratable")
    assert_problem(
        await client.post(url.format(young), json={"period": "2024", "not_rated_reason": "exempt"}),
        422,
        "not_rated_reason_not_supported",
    )
    ok = await client.post(
        url.format(young), json={"period": "2024", "not_rated_reason": "organization_less_than_6_months_old"}
    )
    assert ok.status_code == 201, ok.text
    assert (await client.post(url.format(young), json={"period": "2025", "score": 75})).status_code == 201
    assert_problem(
        await client.post(url.format(young), json={"period": "2023", "score": 75}), 422, "organization_not_yet_founded"
    )
    assert_problem(
        await client.post(url.format(units["c1"]["id"]), json={"period": "2024", "score": 70}), 409, "duplicate_rating"
    )
    put = await client.put(f"{url.format(units['c1']['id'])}/2024", json={"score": 70})
    assert put.status_code == 200 and put.json()["rating"] == "good"
    listed = (await client.get(url.format(young))).json()["items"]
    assert [(r["period"], r["rating"], r["not_rated_reason"]) for r in listed] == [
        ("2024", None, "organization_less_than_6_months_old"),
        ("2025", "good", None),
    ]


async def test_summary_reports_the_quota_without_enforcing_it(
    client: httpx.AsyncClient,
    db_pool: asyncpg.Pool,
    units: dict[str, dict[str, Any]],
    settings: Settings,
    database_url: str,
    add_member: AddMember,
    client_with: ClientWith,
    insert_key: InsertKey,
) -> None:
    c1, c2 = units["c1"], units["c2"]
    scores = {c1["id"]: [95, 92, 80, 75, 72, 60, 40], c2["id"]: [91, 85, 85, 85, 85]}
    for org in (c1, c2):
        for i, score in enumerate(scores[org["id"]]):
            member = await add_member(org, f"{org['code']} {i}")
            assert (await rate(client, member, score=score)).status_code == 201
    exempt = await add_member(c1, "Lê Văn Miễn", exempt=True)
    assert (await rate(client, exempt, not_rated_reason="exempt")).status_code == 201
    await add_member(c1, "Chưa Đánh Giá")
    for org, score in ((c1, 91), (c2, 80)):
        assert (
            await client.post(f"{API}/organizations/{org['id']}/ratings", json={"period": "2024", "score": score})
        ).status_code == 201
    response = await client.get(f"{API}/organizations/{units['du']['id']}/ratings/summary", params={"period": "2024"})
    assert response.status_code == 200, response.text
    summary = response.json()
    members = summary["members"]
    assert members["by_rating"] == {"excellent": 3, "good": 7, "fulfilled": 1, "not_fulfilled": 1}
    assert members["not_rated"]["exempt"] == 1 and members["rated"] == 12
    assert members["in_membership"] == 14 and members["without_rating"] == 1
    assert members["quota"] == {
        "excellent": 3,
        "good_or_better": 10,
        "percent": 20.0,
        "max_excellent": 2,
        "excellent_share_percent": 30.0,
        "exceeded": True,
    }
    assert summary["organizations"]["by_rating"]["excellent"] == 1
    assert summary["organizations"]["quota"]["exceeded"] is True  # 1 of 2 good-or-better
    # per unit: 2 of 5 in C1 is over 20 %; 1 of 5 in C2 is not
    assert [(u["code"], u["excellent"], u["good_or_better"]) for u in summary["units_over_quota"]] == [("X-C1", 2, 5)]
    cell = (await client.get(f"{API}/organizations/{c2['id']}/ratings/summary", params={"period": "2024"})).json()
    assert cell["members"]["quota"]["exceeded"] is False and cell["members"]["quota"]["max_excellent"] == 1
    lenient = create_app(settings.model_copy(update={"excellent_quota_percent": 40.0}), database_url=database_url)
    token = await insert_key(role="viewer")
    async with lenient.router.lifespan_context(lenient), client_with(lenient, token) as c:
        again = (
            await c.get(f"{API}/organizations/{units['du']['id']}/ratings/summary", params={"period": "2024"})
        ).json()
        assert again["members"]["quota"]["exceeded"] is False and again["units_over_quota"] == []
    # the unit's member ratings, unit by unit and by name, page by page
    seen: list[tuple[str, str]] = []
    cursor = None
    while True:
        params: dict[str, str | int] = {"period": "2024", "limit": 5, **({"cursor": cursor} if cursor else {})}
        page = (await client.get(f"{API}/organizations/{units['du']['id']}/member_ratings", params=params)).json()
        seen += [(r["organization_code"], r["full_name"]) for r in page["items"]]
        cursor = page["next_cursor"]
        if not cursor:
            break
    assert len(seen) == 13 and len(set(seen)) == 13
    assert seen == sorted(seen, key=lambda r: (r[0], r[1].lower())) and seen[0] == ("X-C1", "Lê Văn Miễn")


async def test_scores_and_comments_need_pii(
    app: FastAPI,
    client: httpx.AsyncClient,
    db_pool: asyncpg.Pool,
    units: dict[str, dict[str, Any]],
    add_member: AddMember,
    client_with: ClientWith,
    insert_key: InsertKey,
) -> None:
    member = await add_member(units["c1"], "Nguyễn Văn An")
    assert (await rate(client, member, score=93, comment="Gương mẫu", sick_leave_months=1)).status_code == 201
    assert (await client.get(f"{API}/members/{member}/ratings")).json()["items"][0]["sick_leave_months"] == 1
    assert (
        await client.post(
            f"{API}/organizations/{units['c1']['id']}/ratings",
            json={"period": "2024", "score": 81, "comment": "Chi bộ tốt"},
        )
    ).status_code == 201
    plain = await insert_key(role="editor", pii=False)
    async with client_with(app, plain) as c:
        seen = (await c.get(f"{API}/members/{member}/ratings")).json()["items"][0]
        assert seen["rating"] == "excellent" and seen["score"] is None and seen["comment"] is None
        assert seen["sick_leave_months"] is None and seen["details_hidden"] is True
        listed = (
            await c.get(f"{API}/organizations/{units['du']['id']}/member_ratings", params={"period": "2024"})
        ).json()["items"]
        assert listed[0]["score"] is None and "Gương mẫu" not in str(listed)
        written = (await c.put(f"{API}/members/{member}/ratings/2024", json={"score": 88})).json()
        assert written["rating"] == "good" and written["score"] is None
        org = (await c.get(f"{API}/organizations/{units['c1']['id']}/ratings")).json()["items"][0]
        assert org["score"] == 81 and org["comment"] == "Chi bộ tốt" and org["details_hidden"] is False
    seen = (await client.get(f"{API}/members/{member}/ratings")).json()["items"][0]
    assert seen["score"] == 88 and seen["details_hidden"] is False


async def test_ratings_and_records_are_scoped(
    app: FastAPI,
    client: httpx.AsyncClient,
    db_pool: asyncpg.Pool,
    units: dict[str, dict[str, Any]],
    add_member: AddMember,
    client_with: ClientWith,
    insert_key: InsertKey,
    snapshot: Snapshot,
) -> None:
    member = await add_member(units["c1"], "Nguyễn Văn An")
    assert (await rate(client, member, score=93)).status_code == 201
    c1 = units["c1"]["id"]
    outsider = await insert_key(role="editor", scopes=[units["y"]["id"]])
    before = await snapshot()
    async with client_with(app, outsider) as c:
        for url, params in (
            (f"{API}/members/{member}/ratings", None),
            (f"{API}/organizations/{c1}/ratings", None),
            (f"{API}/organizations/{c1}/ratings/summary", {"period": "2024"}),
            (f"{API}/organizations/{c1}/member_ratings", {"period": "2024"}),
            (f"{API}/organizations/{c1}/regulations", None),
            (f"{API}/organizations/{c1}/inspections", None),
            (f"{API}/organizations/{c1}/terms", None),
        ):
            response = await c.get(url, params=params)
            assert_problem(response, 404)
            assert "Nguyễn Văn An" not in response.text
        assert_problem(await rate(c, member, "2025", score=80), 404)
        assert_problem(await c.put(f"{API}/members/{member}/ratings/2024", json={"score": 10}), 404)
        assert_problem(await c.post(f"{API}/organizations/{c1}/ratings", json={"period": "2024", "score": 1}), 404)
        assert_problem(
            await c.post(f"{API}/organizations/{c1}/terms", json={"label": "2020-2025", "starts_on": "2020-01-01"}), 404
        )
    assert await snapshot() == before


async def test_periods_are_spelled_2024Q2_everywhere_and_terms_are_rated(
    client: httpx.AsyncClient, units: dict[str, dict[str, Any]], add_member: AddMember
) -> None:
    """One spelling of periods, the indicators' (2024Q2); ratings per term (nhiệm kỳ, QĐ 366-QĐ/TW) beside year
    and quarter."""
    member = await add_member(units["c1"], "Nguyễn Văn An")
    old = assert_problem(await rate(client, member, "2024-Q2", score=80), 422, "validation_error")
    assert "'2024-Q2' is written 2024Q2" in old["detail"], old
    assert "2020-2025" in assert_problem(await rate(client, member, "24", score=80), 422, "validation_error")["detail"]
    quarter = await rate(client, member, "2024Q2", score=80)
    assert quarter.status_code == 201 and quarter.json()["period"] == "2024Q2"
    term = await rate(client, member, "2020-2025", score=85)
    assert term.status_code == 201, term.text
    assert term.json()["period_end"] == "2025-12-31" and term.json()["rating"] == "good"
    assert_problem(await rate(client, member, "2020-2031", score=85), 422, "bad_period")
    assert_problem(await rate(client, member, "2020-2019", score=85), 422, "bad_period")
    assert period_bounds("2020-2025") == (date(2020, 1, 1), date(2025, 12, 31))


async def test_a_band_may_be_recorded_without_a_score(
    client: httpx.AsyncClient, units: dict[str, dict[str, Any]], add_member: AddMember, snapshot: Snapshot
) -> None:
    member = await add_member(units["c1"], "Nguyễn Văn An")
    other = await add_member(units["c1"], "Trần Thị Bình")
    banded = await rate(client, member, rating="good")
    assert banded.status_code == 201, banded.text
    assert banded.json()["rating"] == "good" and banded.json()["score"] is None
    before = await snapshot()
    assert_problem(await rate(client, other, score=75, rating="excellent"), 422, "band_above_score")
    assert_problem(await rate(client, other), 422, "validation_error")
    assert await snapshot() == before
    lowered = await rate(client, other, score=92, rating="good")  # a condition lowered it
    assert lowered.status_code == 201 and lowered.json()["rating"] == "good"


async def test_a_member_disciplined_in_the_period_is_not_rated_above_the_ceiling(
    client: httpx.AsyncClient,
    db_pool: asyncpg.Pool,
    units: dict[str, dict[str, Any]],
    add_member: AddMember,
    snapshot: Snapshot,
) -> None:
    """HD 21-HD/BTCTW II.B.2: a member disciplined in the year is rated not fulfilled (the ceiling is configured);
    the discipline is read from the member's history."""
    member = await add_member(units["c1"], "Nguyễn Văn An")
    await db_pool.execute(
        "INSERT INTO member_events (member_id, kind, event_date, recorded_by) VALUES ($1, 'suspend', $2, 'test')",
        uuid.UUID(member),
        date(2024, 3, 1),
    )
    before = await snapshot()
    for body in ({"score": 80}, {"rating": "fulfilled"}, {"score": 95}):
        problem = assert_problem(await rate(client, member, **body), 409, "disciplined_member_band_ceiling")
        assert problem["ceiling"] == "not_fulfilled"
    assert await snapshot() == before
    assert (await rate(client, member, rating="not_fulfilled")).status_code == 201
    # the discipline of 2024 does not weigh on 2023
    assert (await rate(client, member, "2023", score=95)).json()["rating"] == "excellent"


async def test_long_sick_leave_caps_the_band_and_leave_is_a_reason_not_to_rate(
    client: httpx.AsyncClient, units: dict[str, dict[str, Any]], add_member: AddMember, snapshot: Snapshot
) -> None:
    """HD 21-HD/BTCTW II.6: sick leave of 3 months or more in the year: not good or better; maternity and long sick
    leave as reasons for not rating (taken as declared)."""
    an, binh, chi = [await add_member(units["c1"], n) for n in ("Nguyễn Văn An", "Trần Thị Bình", "Lê Văn Chi")]
    before = await snapshot()
    problem = assert_problem(await rate(client, an, score=85, sick_leave_months=4), 422, "sick_leave_band_ceiling")
    assert problem["ceiling"] == "fulfilled"
    assert await snapshot() == before
    assert (await rate(client, an, score=85, sick_leave_months=2)).json()["rating"] == "good"
    assert (await rate(client, binh, score=65, sick_leave_months=4)).status_code == 201
    for who, reason in ((chi, "maternity_leave"), (binh, "long_sick_leave")):
        done = await rate(client, who, "2023", not_rated_reason=reason)
        assert done.status_code == 201 and done.json()["not_rated_reason"] == reason
    reasons = (await client.get(f"{API}/reference/positions")).json()["not_rated_reasons"]
    assert {"long_sick_leave", "maternity_leave"} <= set(reasons)
