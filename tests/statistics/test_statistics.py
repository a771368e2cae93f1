"""Counts for the statistical reports, through the API alone: a small tree and its members built with known
genders, birth and admission dates and histories, then counted as of several days (before and after a transfer, a
death, an exemption, a dissolution and a unit's move to another province)."""

from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

import asyncpg
import httpx
import pytest
from fastapi import FastAPI

from app.domain.members.catalogues import ETHNICITIES, POLITICAL_THEORY_LEVELS
from tests.support.builders import ClientWith, CreateOrg, InsertKey
from tests.support.problems import assert_problem

STATS = "/api/v1/statistics"
OLD = "1960-01-01"
BEFORE_TRANSFER, AFTER_TRANSFER = "2023-07-01", "2024-06-01"
BEFORE_MOVE, AFTER_MOVE = "2024-12-31", "2025-06-01"


@pytest.fixture
async def world(client: httpx.AsyncClient, create_org: CreateOrg) -> dict[str, dict[str, Any]]:
    """Province P: commune X1 (a grassroots committee with cells C1, C2 and C3, C3 dissolved on 2022-01-01) and
    ward X2 (grassroots cell X2-C, moved to province Q on 2025-01-01). Province Q: Q1 with cell Q1-C.

    Members (registered with their admission date; their membership starts then):
    * m1 female, born 1990-06-15, official, admitted 2012-03-01, X1-C1; transferred to X2-C on 2024-01-01;
      ethnicity 01, theory intermediate
    * m2 male, born 1960-01-10, official, admitted 1975-05-01, X1-C1; temporarily away to Q1-C from 2023-01-01;
      ethnicity 02, theory advanced
    * m3 female, born 2000-02-29, probationary, admitted 2024-03-01, X1-C1; no ethnicity, no theory level
    * m4 male, born 1980-12-31, official, admitted 2005-01-01, X1-C2; exempt from 2023-06-01; ethnicity "Kinh"
      (not a catalogue code), theory elementary
    * c1 female, born 2002-01-01, candidate in X1-C2 from 2023-01-01
    * m5 female, born 1950-07-01, official, admitted 1970-07-01, X2-C; died 2022-12-01; theory bachelor
    * m6 male, born 1985-05-05, official, admitted 2010-01-01, Q1-C"""
    p = await create_org(client, "P", "provincial_committee", valid_from=OLD)
    x1 = await create_org(client, "X1", "upper_level_committee", p, valid_from=OLD, category="commune")
    du = await create_org(client, "X1-DU", "grassroots_committee", x1, valid_from=OLD, category="agency")
    c1 = await create_org(client, "X1-C1", "subordinate_cell", du, valid_from=OLD, category="village")
    c2 = await create_org(client, "X1-C2", "subordinate_cell", du, valid_from=OLD, category="village")
    c3 = await create_org(client, "X1-C3", "subordinate_cell", du, valid_from=OLD, category="village")
    x2 = await create_org(client, "X2", "upper_level_committee", p, valid_from=OLD, category="ward")
    x2c = await create_org(client, "X2-C", "grassroots_cell", x2, valid_from=OLD, category="residential_group")
    q = await create_org(client, "Q", "provincial_committee", valid_from=OLD)
    q1 = await create_org(client, "Q1", "upper_level_committee", q, valid_from=OLD, category="commune")
    qc = await create_org(client, "Q1-C", "grassroots_cell", q1, valid_from=OLD, category="village")
    units = {
        "P": p,
        "X1": x1,
        "X1-DU": du,
        "X1-C1": c1,
        "X1-C2": c2,
        "X1-C3": c3,
        "X2": x2,
        "X2-C": x2c,
        "Q": q,
        "Q1": q1,
        "Q1-C": qc,
    }

    async def member(
        name: str, cell: str, gender: str, born: str, status: str, admitted: str | None, **extra: Any
    ) -> dict[str, Any]:
        response = await client.post(
            "/api/v1/members",
            json={
                "full_name": name,
                "gender": gender,
                "birth_date": born,
                "status": status,
                "organization_id": units[cell]["id"],
                "admission_decision_date": admitted,
                **extra,
            },
        )
        assert response.status_code == 201, response.text
        created: dict[str, Any] = response.json()
        return created

    async def event(who: dict[str, Any], kind: str, day: str, **extra: Any) -> None:
        response = await client.post(f"/api/v1/members/{who['id']}/events", json={"kind": kind, "date": day, **extra})
        assert response.status_code == 201, response.text

    m1 = await member(
        "Nguyễn Thị Một",
        "X1-C1",
        "female",
        "1990-06-15",
        "official",
        "2012-03-01",
        ethnicity="01",
        political_theory_level="intermediate",
    )
    m2 = await member(
        "Trần Văn Hai",
        "X1-C1",
        "male",
        "1960-01-10",
        "official",
        "1975-05-01",
        ethnicity="02",
        political_theory_level="advanced",
    )
    await member("Lê Thị Ba", "X1-C1", "female", "2000-02-29", "probationary", "2024-03-01")
    m4 = await member(
        "Phạm Văn Bốn",
        "X1-C2",
        "male",
        "1980-12-31",
        "official",
        "2005-01-01",
        ethnicity="Kinh",
        political_theory_level="elementary",
    )
    await member("Hoàng Thị Năm", "X1-C2", "female", "2002-01-01", "candidate", None, since="2023-01-01")
    m5 = await member(
        "Vũ Thị Sáu", "X2-C", "female", "1950-07-01", "official", "1970-07-01", political_theory_level="bachelor"
    )
    await member("Đỗ Văn Bảy", "Q1-C", "male", "1985-05-05", "official", "2010-01-01")
    await event(m5, "die", "2022-12-01")
    await event(m2, "temporary_transfer", "2023-01-01", to_organization_id=qc["id"])
    await event(m4, "exempt", "2023-06-01")
    await event(m1, "transfer", "2024-01-01", to_organization_id=x2c["id"])
    dissolved = await client.post(f"/api/v1/organizations/{c3['id']}/dissolve", json={"effective_date": "2022-01-01"})
    assert dissolved.status_code == 200, dissolved.text
    moved = await client.post(
        f"/api/v1/organizations/{x2c['id']}/move", json={"parent_id": q1["id"], "effective_date": "2025-01-01"}
    )
    assert moved.status_code == 200, moved.text
    return units


async def stats(
    c: httpx.AsyncClient, what: str, unit: dict[str, Any] | str | None, day: str | None, *by: str
) -> dict[str, Any]:
    params: dict[str, Any] = {"by": list(by)}
    if unit is not None:
        params["organization_id"] = unit if isinstance(unit, str) else unit["id"]
    if day is not None:
        params["as_of"] = day
    response = await c.get(f"{STATS}/{what}", params=params)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "application/json"
    body: dict[str, Any] = response.json()
    return body


def counts(body: dict[str, Any]) -> dict[str, int]:
    """Non-zero rows as {key: count} (every row is listed; the zeros are checked separately)."""
    return {i["key"]: i["count"] for i in body["items"] if i["count"]}


async def members_of(c: httpx.AsyncClient, unit: dict[str, Any] | None, day: str) -> tuple[int, int, int]:
    body = await stats(c, "members", unit, day, "status")
    return body["total"], body["candidates"], body["exempt"]


async def test_members_by_status_follow_the_periods_and_the_tree_of_the_day(
    client: httpx.AsyncClient, world: dict[str, dict[str, Any]]
) -> None:
    p, _x1, x2, q = world["P"], world["X1"], world["X2"], world["Q"]
    # (total members, candidates, exempt) of each subtree on each day
    expected = {
        "2020-01-01": {"P": (4, 0, 0), "X1": (3, 0, 0), "X2": (1, 0, 0), "Q": (1, 0, 0)},
        # m5 died; c1 is a candidate; m4 exempt; m2 away but counted at home in X1
        BEFORE_TRANSFER: {"P": (3, 1, 1), "X1": (3, 1, 1), "X2": (0, 0, 0), "Q": (1, 0, 0)},
        # m1 moved to X2-C; m3 admitted
        AFTER_TRANSFER: {"P": (4, 1, 1), "X1": (3, 1, 1), "X2": (1, 0, 0), "Q": (1, 0, 0)},
        BEFORE_MOVE: {"P": (4, 1, 1), "X1": (3, 1, 1), "X2": (1, 0, 0), "Q": (1, 0, 0)},
        # X2-C (with m1) now sits in province Q
        AFTER_MOVE: {"P": (3, 1, 1), "X1": (3, 1, 1), "X2": (0, 0, 0), "Q": (2, 0, 0)},
    }
    for day, by_unit in expected.items():
        for code, numbers in by_unit.items():
            assert await members_of(client, world[code], day) == numbers, (day, code)
    body = await stats(client, "members", p, AFTER_TRANSFER, "status")
    assert body["organization_id"] == p["id"] and body["as_of"] == AFTER_TRANSFER and body["by"] == ["status"]
    assert body["items"] == [
        {"key": "probationary", "label": "Đảng viên dự bị", "count": 1},
        {"key": "official", "label": "Đảng viên chính thức", "count": 3},
    ]
    assert counts(await stats(client, "members", x2, AFTER_MOVE, "status")) == {}
    assert counts(await stats(client, "members", q, AFTER_MOVE, "status")) == {"official": 2}
    # a cell alone, by code; before the members' unit existed nobody is counted
    assert (await stats(client, "members", "X1-C1", BEFORE_TRANSFER, "status"))["total"] == 2
    assert (await stats(client, "members", "X1-C1", AFTER_TRANSFER, "status"))["total"] == 2  # m2, m3
    assert await members_of(client, p, "1965-01-01") == (0, 0, 0)
    # the whole tree (the admin's scope) when no unit is given
    assert await members_of(client, None, AFTER_MOVE) == (5, 1, 1)


async def test_members_by_gender_age_and_party_age(client: httpx.AsyncClient, world: dict[str, dict[str, Any]]) -> None:
    p = world["P"]
    # 2020-01-01: m1 (f, 29, 7 years), m2 (m, 59, 44), m4 (m, 39, 15), m5 (f, 69, 49)
    assert counts(await stats(client, "members", p, "2020-01-01", "gender")) == {"female": 2, "male": 2}
    assert counts(await stats(client, "members", p, "2020-01-01", "age_band")) == {
        "to_30": 1,
        "31_40": 1,
        "51_60": 1,
        "61_70": 1,
    }
    assert counts(await stats(client, "members", p, "2020-01-01", "party_age_band")) == {
        "under_10": 1,
        "10_19": 1,
        "40_49": 2,
    }
    # after the transfer: m1 (f, 33, 12), m2 (m, 64, 49), m3 (f, 24, 0), m4 (m, 43, 19)
    assert counts(await stats(client, "members", p, AFTER_TRANSFER, "gender")) == {"female": 2, "male": 2}
    assert counts(await stats(client, "members", p, AFTER_TRANSFER, "age_band")) == {
        "to_30": 1,
        "31_40": 1,
        "41_50": 1,
        "61_70": 1,
    }
    assert counts(await stats(client, "members", p, AFTER_TRANSFER, "party_age_band")) == {
        "under_10": 1,
        "10_19": 2,
        "40_49": 1,
    }
    # birthdays and admission anniversaries count from the day itself
    m1_cell = world["X1-C1"]
    assert counts(await stats(client, "members", m1_cell, "2021-06-14", "age_band")) == {"to_30": 1, "61_70": 1}
    assert counts(await stats(client, "members", m1_cell, "2021-06-15", "age_band")) == {"31_40": 1, "61_70": 1}
    m4_cell = world["X1-C2"]
    assert counts(await stats(client, "members", m4_cell, "2014-12-31", "party_age_band")) == {"under_10": 1}
    assert counts(await stats(client, "members", m4_cell, "2015-01-01", "party_age_band")) == {"10_19": 1}
    assert counts(await stats(client, "members", m1_cell, "2025-05-01", "party_age_band")) == {
        "under_10": 1,
        "50_plus": 1,
    }  # m3, and m2 after 50 years
    # every row is listed, in order, with labels
    body = await stats(client, "members", p, AFTER_TRANSFER, "age_band")
    assert [(i["key"], i["label"]) for i in body["items"]] == [
        ("to_30", "Đến 30 tuổi"),
        ("31_40", "Từ 31 đến 40 tuổi"),
        ("41_50", "Từ 41 đến 50 tuổi"),
        ("51_60", "Từ 51 đến 60 tuổi"),
        ("61_70", "Từ 61 đến 70 tuổi"),
        ("over_70", "Trên 70 tuổi"),
    ]
    party_age = await stats(client, "members", p, AFTER_TRANSFER, "party_age_band")
    assert [i["key"] for i in party_age["items"]] == [
        "under_10",
        "10_19",
        "20_29",
        "30_39",
        "40_49",
        "50_plus",
        "unknown",
    ]
    gender = await stats(client, "members", p, AFTER_TRANSFER, "gender")
    assert gender["items"] == [
        {"key": "male", "label": "Nam", "count": 2},
        {"key": "female", "label": "Nữ", "count": 2},
    ]
    assert sum(i["count"] for i in gender["items"]) == gender["total"]


async def test_catalogue_dimensions_list_every_code_unlisted_and_unknown(
    client: httpx.AsyncClient, world: dict[str, dict[str, Any]]
) -> None:
    p = world["P"]
    levels = await stats(client, "members", p, AFTER_TRANSFER, "political_theory_level")
    assert [i["key"] for i in levels["items"]] == [*POLITICAL_THEORY_LEVELS, "unlisted", "unknown"]
    assert counts(levels) == {"intermediate": 1, "advanced": 1, "elementary": 1, "unknown": 1}
    assert counts(await stats(client, "members", p, "2020-01-01", "political_theory_level")) == {
        "intermediate": 1,
        "advanced": 1,
        "elementary": 1,
        "bachelor": 1,
    }
    ethnicity = await stats(client, "members", p, AFTER_TRANSFER, "ethnicity")
    assert [i["key"] for i in ethnicity["items"]] == [*ETHNICITIES, "unlisted", "unknown"]
    assert ethnicity["items"][0] == {"key": "01", "label": "Kinh", "count": 1}
    assert counts(ethnicity) == {"01": 1, "02": 1, "unlisted": 1, "unknown": 1}


async def test_cross_tab(client: httpx.AsyncClient, world: dict[str, dict[str, Any]]) -> None:
    body = await stats(client, "members", world["P"], AFTER_TRANSFER, "status", "gender")
    assert body["by"] == ["status", "gender"] and body["total"] == 4
    assert [(i["key"], i["count"], [(j["key"], j["count"]) for j in i["items"]]) for i in body["items"]] == [
        ("probationary", 1, [("male", 0), ("female", 1)]),
        ("official", 3, [("male", 2), ("female", 1)]),
    ]
    units = await stats(client, "organizations", world["P"], "2020-01-01", "kind", "category")
    cells = next(i for i in units["items"] if i["key"] == "subordinate_cell")
    assert cells["count"] == 3 and counts(cells) == {"village": 3}


async def test_organizations_by_kind_and_category(client: httpx.AsyncClient, world: dict[str, dict[str, Any]]) -> None:
    p, q = world["P"], world["Q"]
    body = await stats(client, "organizations", p, "2020-01-01", "kind")
    assert body["total"] == 8 and body["by"] == ["kind"] and body["organization_id"] == p["id"]
    assert counts(body) == {
        "provincial_committee": 1,
        "upper_level_committee": 2,
        "grassroots_committee": 1,
        "subordinate_cell": 3,
        "grassroots_cell": 1,
    }
    assert [i["key"] for i in body["items"]] == [
        "provincial_committee",
        "upper_level_committee",
        "grassroots_committee",
        "grassroots_cell",
        "partial_committee",
        "subordinate_cell",
        "party_group",
    ]
    assert body["items"][2]["label"] == "Đảng bộ cơ sở"
    # X1-C3 dissolved on 2022-01-01; X2-C moved to Q on 2025-01-01
    assert counts(await stats(client, "organizations", p, BEFORE_MOVE, "kind")) == {
        "provincial_committee": 1,
        "upper_level_committee": 2,
        "grassroots_committee": 1,
        "subordinate_cell": 2,
        "grassroots_cell": 1,
    }
    assert counts(await stats(client, "organizations", p, AFTER_MOVE, "kind")) == {
        "provincial_committee": 1,
        "upper_level_committee": 2,
        "grassroots_committee": 1,
        "subordinate_cell": 2,
    }
    assert counts(await stats(client, "organizations", q, BEFORE_MOVE, "kind")) == {
        "provincial_committee": 1,
        "upper_level_committee": 1,
        "grassroots_cell": 1,
    }
    assert counts(await stats(client, "organizations", q, AFTER_MOVE, "kind")) == {
        "provincial_committee": 1,
        "upper_level_committee": 1,
        "grassroots_cell": 2,
    }
    categories = await stats(client, "organizations", p, BEFORE_MOVE, "category")
    assert counts(categories) == {
        "commune": 1,
        "ward": 1,
        "agency": 1,
        "village": 2,
        "residential_group": 1,
        "unknown": 1,
    }
    assert categories["items"][-1] == {"key": "unknown", "label": "Chưa có thông tin", "count": 1}
    assert (await stats(client, "organizations", "X1-C1", AFTER_MOVE, "kind"))["total"] == 1  # the unit itself
    assert (await stats(client, "organizations", None, AFTER_MOVE, "kind"))["total"] == 10


async def test_defaults_are_today_the_status_and_the_kind(
    client: httpx.AsyncClient, world: dict[str, dict[str, Any]]
) -> None:
    today = datetime.now(ZoneInfo("Asia/Ho_Chi_Minh")).date().isoformat()
    response = await client.get(f"{STATS}/members", params={"organization_id": "P"})
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["as_of"] == today and body["by"] == ["status"] and body["organization_id"] == world["P"]["id"]
    assert (body["total"], body["candidates"], body["exempt"]) == (3, 1, 1)
    units = (await client.get(f"{STATS}/organizations")).json()
    assert units["by"] == ["kind"] and units["organization_id"] is None and units["total"] == 10


async def test_ethnicity_needs_pii(
    app: FastAPI,
    db_pool: asyncpg.Pool,
    world: dict[str, dict[str, Any]],
    client_with: ClientWith,
    insert_key: InsertKey,
) -> None:
    token = await insert_key(role="viewer", pii=False)
    async with client_with(app, token) as c:
        for by in (["ethnicity"], ["gender", "ethnicity"]):
            response = await c.get(f"{STATS}/members", params={"organization_id": world["P"]["id"], "by": by})
            assert_problem(response, 403, "pii_required")
        assert counts(await stats(c, "members", world["P"], AFTER_TRANSFER, "gender")) == {"female": 2, "male": 2}
        assert counts(await stats(c, "members", world["P"], AFTER_TRANSFER, "political_theory_level"))


async def test_a_scoped_key_counts_its_own_subtree_only(
    app: FastAPI,
    db_pool: asyncpg.Pool,
    world: dict[str, dict[str, Any]],
    client_with: ClientWith,
    insert_key: InsertKey,
) -> None:
    token = await insert_key(role="viewer", scopes=[world["X1"]["id"]], pii=False)
    async with client_with(app, token) as c:
        for what in ("members", "organizations"):
            for unit in (world["X2"]["id"], "X2", world["P"]["id"], "P", world["Q1-C"]["id"]):
                response = await c.get(f"{STATS}/{what}", params={"organization_id": unit, "as_of": AFTER_TRANSFER})
                assert_problem(response, 404, "organization_not_found")
        # without a unit: the key's whole scope
        assert await members_of(c, None, AFTER_TRANSFER) == (3, 1, 1)
        whole = await stats(c, "organizations", None, "2020-01-01", "kind")
        assert whole["organization_id"] is None and whole["total"] == 5  # X1, X1-DU, C1, C2, C3
        assert await members_of(c, world["X1-DU"], AFTER_TRANSFER) == (3, 1, 1)
    token = await insert_key(role="viewer", scopes=[world["X2-C"]["id"]], pii=False)
    async with client_with(app, token) as c:  # the cell's scope follows it to its new province
        assert await members_of(c, None, AFTER_MOVE) == (1, 0, 0)
        assert await members_of(c, None, "2020-01-01") == (1, 0, 0)  # m5, alive then


@pytest.mark.parametrize(
    ("what", "params", "code", "field"),
    [
        ("members", {"by": "colour"}, "validation_error", "query.by"),
        ("members", {"by": "kind"}, "validation_error", "query.by"),
        ("members", {"as_of": "yesterday"}, "validation_error", "query.as_of"),
        ("members", {"organization_id": ""}, "validation_error", "query.organization_id"),
        ("members", {"by": ["gender", "gender"]}, "invalid_dimensions", None),
        ("members", {"by": ["gender", "status", "age_band"]}, "invalid_dimensions", None),
        ("organizations", {"by": "gender"}, "validation_error", "query.by"),
        ("organizations", {"as_of": "2024-13-01"}, "validation_error", "query.as_of"),
    ],
)
async def test_bad_parameters_are_422_problems(
    client: httpx.AsyncClient, what: str, params: dict[str, Any], code: str, field: str | None
) -> None:
    body = assert_problem(await client.get(f"{STATS}/{what}", params=params), 422, code)
    if field is not None:
        assert any(e["field"].startswith(field) for e in body["errors"]), body["errors"]


async def test_unknown_units_and_units_not_yet_in_the_tree_are_404(
    client: httpx.AsyncClient, world: dict[str, dict[str, Any]]
) -> None:
    for what in ("members", "organizations"):
        for params in (
            {"organization_id": "NOPE"},
            {"organization_id": "0b8f7a6e-0000-4000-8000-000000000000"},
            {"organization_id": world["P"]["id"], "as_of": "1959-12-31"},
            {"organization_id": "X1-C3", "as_of": "2022-01-01"},
        ):
            assert_problem(await client.get(f"{STATS}/{what}", params=params), 404, "organization_not_found")
    assert (await stats(client, "organizations", "X1-C3", "2021-12-31", "kind"))["total"] == 1
