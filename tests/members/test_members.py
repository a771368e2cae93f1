"""Member records and their lifecycle through the API alone, with history and `as_of` at each step."""

import unicodedata
from typing import Any

import asyncpg
import httpx
import pytest
from fastapi import FastAPI

from tests.support.builders import ClientWith, CreateOrg, InsertKey, Snapshot
from tests.support.problems import assert_problem

MEMBERS = "/api/v1/members"
OLD = "2015-01-01"


@pytest.fixture
async def cells(client: httpx.AsyncClient, create_org: CreateOrg) -> dict[str, dict[str, Any]]:
    """Two provinces; in the first, a commune with a committee and two cells; in the second one cell."""
    hy = await create_org(client, "HY", "provincial_committee", valid_from=OLD)
    x1 = await create_org(client, "HY-X1", "upper_level_committee", hy, valid_from=OLD, category="commune")
    du = await create_org(client, "HY-X1-DU", "grassroots_committee", x1, valid_from=OLD)
    c1 = await create_org(client, "HY-X1-C1", "subordinate_cell", du, valid_from=OLD, name="Chi bộ Thôn Một")
    c2 = await create_org(client, "HY-X1-C2", "subordinate_cell", du, valid_from=OLD, name="Chi bộ Thôn Hai")
    tb = await create_org(client, "TB", "provincial_committee", valid_from=OLD)
    t1 = await create_org(client, "TB-X1", "upper_level_committee", tb, valid_from=OLD)
    tc = await create_org(client, "TB-X1-C1", "grassroots_cell", t1, valid_from=OLD)
    return {"hy": hy, "x1": x1, "du": du, "c1": c1, "c2": c2, "tb": tb, "tc": tc}


async def new_member(client: httpx.AsyncClient, cell: dict[str, Any], name: str, **extra: Any) -> dict[str, Any]:
    body = {
        "full_name": name,
        "gender": "female",
        "birth_date": "1985-03-04",
        "status": "official",
        "organization_id": cell["id"],
        "admission_decision_date": "2010-06-01",
        **extra,
    }
    response = await client.post(MEMBERS, json=body)
    assert response.status_code == 201, response.text
    created: dict[str, Any] = response.json()
    return created


async def event(client: httpx.AsyncClient, member_id: str, kind: str, day: str, **extra: Any) -> httpx.Response:
    return await client.post(f"{MEMBERS}/{member_id}/events", json={"kind": kind, "date": day, **extra})


async def at(client: httpx.AsyncClient, member_id: str, day: str) -> dict[str, Any]:
    response = await client.get(f"{MEMBERS}/{member_id}", params={"as_of": day})
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


async def test_a_whole_life_through_the_api(
    client: httpx.AsyncClient, db_pool: asyncpg.Pool, cells: dict[str, dict[str, Any]], snapshot: Snapshot
) -> None:
    sponsors = [await new_member(client, cells["c1"], n) for n in ("Lê Văn Một", "Phạm Thị Hai")]
    created = await client.post(
        MEMBERS,
        json={
            "full_name": "Nguyễn Thị Hồng Đào",
            "gender": "female",
            "birth_date": "2000-02-10",
            "status": "candidate",
            "organization_id": cells["c1"]["id"],
            "since": "2019-09-01",
            "citizen_id": "033300001234",
            "phone": "0912 345 678",
            "ethnicity": "01",
            "sponsor_ids": [s["id"] for s in sponsors],
            "sponsor_since": {s["id"]: "2018-09-01" for s in sponsors},
            "training_certificate_date": "2019-11-20",
        },
    )
    assert created.status_code == 201, created.text
    dao = created.json()
    assert dao["status"] == "candidate" and dao["citizen_id"] == "033300001234"
    mid = dao["id"]
    # an invalid step is refused and writes nothing
    before = await snapshot()
    assert_problem(await event(client, mid, "recognize", "2020-01-01"), 409, "not_yet_admitted")
    assert await snapshot() == before
    assert (
        await event(client, mid, "admit", "2020-03-02", decision_ref="12-QĐ/ĐU", ceremony_date="2020-03-10")
    ).status_code == 201
    assert_problem(await event(client, mid, "recognize", "2021-01-15"), 409, "probation_not_over")
    recognized = await event(client, mid, "recognize", "2021-05-20", decision_ref="40-QĐ/ĐU")
    assert recognized.status_code == 201, recognized.text
    assert recognized.json()["official_date"] == "2021-03-10"  # ceremony + 12 months, though recorded late
    away = await event(client, mid, "temporary_transfer", "2022-01-10", destination="Học viện Chính trị khu vực I")
    assert away.status_code == 201 and away.json()["temporarily_away"] is True
    assert (await event(client, mid, "return_from_temporary", "2022-07-01")).status_code == 201
    assert_problem(await event(client, mid, "admit", "2022-08-01"), 409, "not_a_candidate")
    moved = await event(
        client, mid, "transfer", "2023-04-01", to_organization_id=cells["tc"]["id"], decision_ref="88-QĐ/BTCTU"
    )
    assert moved.status_code == 201 and moved.json()["organization_id"] == cells["tc"]["id"]
    assert_problem(await event(client, mid, "exempt", "2023-01-01"), 409, "out_of_order")
    assert (await event(client, mid, "die", "2024-12-01")).status_code == 201
    assert_problem(
        await event(client, mid, "transfer", "2025-01-01", to_organization_id=cells["c1"]["id"]), 409, "terminal_status"
    )
    # where was she, in what status, on each date
    expected = [
        ("2019-10-01", "candidate", "c1", False),
        ("2020-06-01", "probationary", "c1", False),
        ("2021-06-01", "official", "c1", False),
        ("2022-03-01", "official", "c1", True),
        ("2022-08-01", "official", "c1", False),
        ("2023-05-01", "official", "tc", False),
        ("2025-01-01", "deceased", "tc", False),
    ]
    for day, status, cell, away_then in expected:
        then = await at(client, mid, day)
        assert (then["status"], then["organization_id"], then["temporarily_away"]) == (
            status,
            cells[cell]["id"],
            away_then,
        ), day
    assert_problem(await client.get(f"{MEMBERS}/{mid}", params={"as_of": "2018-01-01"}), 404)
    history = (await client.get(f"{MEMBERS}/{mid}/history")).json()["items"]
    assert [e["kind"] for e in history] == [
        "proposed",
        "admit",
        "recognize",
        "temporary_transfer",
        "return_from_temporary",
        "transfer",
        "die",
    ]
    assert history[1]["decision_ref"] == "12-QĐ/ĐU" and history[1]["recorded_by"]
    # lists as of a date follow the periods
    in_c1 = (await client.get(MEMBERS, params={"organization_id": cells["c1"]["id"], "as_of": "2022-03-01"})).json()
    assert mid in [m["id"] for m in in_c1["items"]]
    in_tb = (await client.get(MEMBERS, params={"within": cells["tb"]["id"], "status": "official"})).json()
    assert in_tb["items"] == []  # deceased now
    in_tb_2024 = (await client.get(MEMBERS, params={"within": cells["tb"]["id"], "as_of": "2024-01-01"})).json()
    assert [m["id"] for m in in_tb_2024["items"]] == [mid]
    # every write was audited
    assert await db_pool.fetchval("SELECT count(*) FROM audit_log WHERE entity_id = $1", mid) == 7


async def test_admission_needs_age_sponsors_and_training(
    client: httpx.AsyncClient, cells: dict[str, dict[str, Any]]
) -> None:
    sponsors = [(await new_member(client, cells["c1"], n))["id"] for n in ("Bảo Trợ Một", "Bảo Trợ Hai")]
    known = {s: "2022-01-01" for s in sponsors}
    file = {"sponsor_ids": sponsors, "sponsor_since": known, "training_certificate_date": "2024-05-01"}
    bare = await new_member(
        client,
        cells["c1"],
        "Chưa Đủ Hồ Sơ",
        status="candidate",
        birth_date="1995-01-01",
        admission_decision_date=None,
        since="2024-06-01",
    )
    assert_problem(await event(client, bare["id"], "admit", "2024-12-01"), 409, "sponsors_required")
    await client.patch(f"{MEMBERS}/{bare['id']}", json={"sponsor_ids": sponsors, "sponsor_since": known})
    assert_problem(await event(client, bare["id"], "admit", "2024-12-01"), 409, "training_required")
    young = await new_member(
        client,
        cells["c1"],
        "Trần Văn Trẻ",
        status="candidate",
        birth_date="2007-01-01",
        admission_decision_date=None,
        since="2024-06-01",
        **file,
    )
    assert_problem(await event(client, young["id"], "admit", "2024-12-01"), 409, "admission_age")
    assert (await event(client, young["id"], "admit", "2025-01-02")).status_code == 201
    old = await new_member(
        client,
        cells["c1"],
        "Trần Văn Già",
        status="candidate",
        birth_date="1960-01-01",
        admission_decision_date=None,
        since="2024-06-01",
        **file,
    )
    assert_problem(await event(client, old["id"], "admit", "2024-12-01"), 409, "admission_age")
    ok = await event(client, old["id"], "admit", "2024-12-01", age_exception="Quy định 24-QĐ/TW, điểm 1.3")
    assert ok.status_code == 201


async def test_duplicates_point_at_the_existing_record(
    client: httpx.AsyncClient, db_pool: asyncpg.Pool, cells: dict[str, dict[str, Any]], snapshot: Snapshot
) -> None:
    first = await new_member(client, cells["c1"], "Hoàng Văn Nam", citizen_id="001085000111")
    before = await snapshot()
    same_id = await client.post(
        MEMBERS,
        json={
            "full_name": "Người Khác",
            "gender": "male",
            "birth_date": "1990-01-01",
            "status": "official",
            "organization_id": cells["c2"]["id"],
            "admission_decision_date": "2015-01-01",
            "citizen_id": "001085000111",
        },
    )
    assert first["id"] in assert_problem(same_id, 409, "duplicate_citizen_id")["detail"]
    same_name = await client.post(
        MEMBERS,
        json={
            "full_name": "hoang van nam",
            "gender": "male",
            "birth_date": "1985-03-04",
            "status": "official",
            "organization_id": cells["c2"]["id"],
            "admission_decision_date": "2012-01-01",
        },
    )
    assert assert_problem(same_name, 409, "possible_duplicate")["existing_id"] == first["id"]
    bad_id = await client.post(
        MEMBERS,
        json={
            "full_name": "A B",
            "gender": "male",
            "birth_date": "1990-01-01",
            "status": "official",
            "organization_id": cells["c2"]["id"],
            "admission_decision_date": "2015-01-01",
            "citizen_id": "999000000111",
        },
    )
    assert_problem(bad_id, 422, "invalid_citizen_id")
    not_a_cell = await client.post(
        MEMBERS,
        json={
            "full_name": "A B",
            "gender": "male",
            "birth_date": "1990-01-01",
            "status": "candidate",
            "organization_id": cells["du"]["id"],
        },
    )
    assert_problem(not_a_cell, 422, "not_a_cell")
    assert await snapshot() == before
    allowed = await client.post(
        MEMBERS,
        params={"allow_same_name": True},
        json={
            "full_name": "Hoàng Văn Nam",
            "gender": "male",
            "birth_date": "1985-03-04",
            "status": "official",
            "organization_id": cells["c2"]["id"],
            "admission_decision_date": "2012-01-01",
        },
    )
    assert allowed.status_code == 201


async def test_name_search_and_vietnamese_order(client: httpx.AsyncClient, cells: dict[str, dict[str, Any]]) -> None:
    names = ["Nguyễn Thị Hồng Đào", "Trần Văn An", "Lê Thị Ánh", "Phạm Văn Dũng", "Đỗ Thị Đào", "Bùi Văn Ân"]
    ids = {n: (await new_member(client, cells["c1"], n))["id"] for n in names}
    for q in ("nguyen thi hong dao", "Nguyễn Thị Hồng Đào", unicodedata.normalize("NFD", "Nguyễn Thị Hồng Đào")):
        found = (await client.get(MEMBERS, params={"q": q})).json()["items"]
        assert found[0]["id"] == ids["Nguyễn Thị Hồng Đào"], q
    dao = {m["full_name"] for m in (await client.get(MEMBERS, params={"q": "Đào"})).json()["items"]}
    assert dao == {"Nguyễn Thị Hồng Đào", "Đỗ Thị Đào"}
    ordered = [
        m["full_name"]
        for m in (await client.get(MEMBERS, params={"organization_id": cells["c1"]["id"]})).json()["items"]
    ]
    assert ordered == ["Trần Văn An", "Lê Thị Ánh", "Bùi Văn Ân", "Phạm Văn Dũng", "Đỗ Thị Đào", "Nguyễn Thị Hồng Đào"]


async def test_sensitive_fields_need_pii(
    client: httpx.AsyncClient,
    app: FastAPI,
    db_pool: asyncpg.Pool,
    settings: Any,
    database_url: str,
    cells: dict[str, dict[str, Any]],
    client_with: ClientWith,
    insert_key: InsertKey,
) -> None:
    member = await new_member(
        client,
        cells["c1"],
        "Võ Thị Kín",
        citizen_id="001185000999",
        phone="0988 000 111",
        religion="buddhism",
        ethnicity="02",
        residence="Thôn Một, xã X1",
    )
    viewer = await insert_key(role="viewer", pii=False)
    async with client_with(app, viewer) as c:
        for response in (
            await c.get(f"{MEMBERS}/{member['id']}"),
            await c.get(MEMBERS),
            await c.get(f"{MEMBERS}/{member['id']}", params={"as_of": "2020-01-01"}),
        ):
            assert response.status_code == 200
            assert "001185000999" not in response.text and "0988" not in response.text
            assert "buddhism" not in response.text and "Thôn Một" not in response.text
        body = (await c.get(f"{MEMBERS}/{member['id']}")).json()
        assert body["pii_hidden"] is True and body["citizen_id"] is None
        assert_problem(await c.get(MEMBERS, params={"ethnicity": "02"}), 403, "pii_required")
        assert_problem(await c.get(MEMBERS, params={"citizen_id": "001185000999"}), 403, "pii_required")
        bad = await c.post(MEMBERS, json={"full_name": "X", "citizen_id": "001185000999"})
        assert "001185000999" not in bad.text
    found = (await client.get(MEMBERS, params={"citizen_id": "001185000999"})).json()["items"]
    assert [m["id"] for m in found] == [member["id"]]
    # a person (JWT) reading sensitive fields is recorded
    import time

    import jwt

    from app.main import create_app

    secret = "another-secret-with-at-least-32-bytes!!"
    jwt_app = create_app(settings.model_copy(update={"jwt_secret": secret}), database_url=database_url)
    token = jwt.encode(
        {"sub": "can.bo.to.chuc", "exp": int(time.time()) + 60, "role": "viewer", "pii": True, "org_scopes": ["*"]},
        secret,
        algorithm="HS256",
    )
    async with jwt_app.router.lifespan_context(jwt_app), client_with(jwt_app, token) as c:
        assert (await c.get(f"{MEMBERS}/{member['id']}")).json()["citizen_id"] == "001185000999"
    reads = await db_pool.fetch("SELECT actor_id, entity_id FROM audit_log WHERE action = 'read_sensitive'")
    assert [(r["actor_id"], str(r["entity_id"])) for r in reads] == [("can.bo.to.chuc", member["id"])]


async def test_province_listing_pages_each_member_once(
    client: httpx.AsyncClient, cells: dict[str, dict[str, Any]]
) -> None:
    for i in range(23):
        await new_member(client, cells["c1" if i % 2 else "c2"], f"Nguyễn Văn Số {i}")
    await new_member(client, cells["tc"], "Người Tỉnh Khác")
    seen: list[str] = []
    cursor = None
    while True:
        page = (
            await client.get(
                MEMBERS, params={"within": cells["hy"]["id"], "limit": 5, **({"cursor": cursor} if cursor else {})}
            )
        ).json()
        seen += [m["id"] for m in page["items"]]
        cursor = page["next_cursor"]
        if not cursor:
            break
    assert len(seen) == len(set(seen)) == 23


async def test_merging_cells_takes_their_members(client: httpx.AsyncClient, cells: dict[str, dict[str, Any]]) -> None:
    m1 = await new_member(client, cells["c1"], "Thành Viên Một")
    m2 = await new_member(client, cells["c2"], "Thành Viên Hai")
    merged = await client.post(
        "/api/v1/organizations/merge",
        json={
            "source_ids": [cells["c1"]["id"], cells["c2"]["id"]],
            "effective_date": "2025-07-01",
            "into": {"code": "HY-X1-C12", "name": "Chi bộ Thôn Một Hai"},
        },
    )
    assert merged.status_code == 201, merged.text
    target = merged.json()["id"]
    for member, cell in ((m1, "c1"), (m2, "c2")):
        assert (await at(client, member["id"], "2025-06-30"))["organization_id"] == cells[cell]["id"]
        assert (await at(client, member["id"], "2025-07-01"))["organization_id"] == target
    assert {m["id"] for m in (await client.get(MEMBERS, params={"organization_id": target})).json()["items"]} == {
        m1["id"],
        m2["id"],
    }
    # a unit that still has members cannot just be dissolved
    lone = await new_member(client, cells["tc"], "Ở Lại")
    assert lone
    assert_problem(
        await client.post(f"/api/v1/organizations/{cells['tc']['id']}/dissolve", json={"effective_date": "2025-01-01"}),
        409,
        "has_members",
    )


async def test_moving_a_unit_moves_its_members_in_within_lists(
    client: httpx.AsyncClient, cells: dict[str, dict[str, Any]]
) -> None:
    member = await new_member(client, cells["c1"], "Đi Theo Chi Bộ")
    assert (
        await client.post(
            f"/api/v1/organizations/{cells['x1']['id']}/move",
            json={"parent_id": cells["tb"]["id"], "effective_date": "2025-07-01"},
        )
    ).status_code == 200
    now = (await client.get(MEMBERS, params={"within": cells["tb"]["id"]})).json()["items"]
    assert member["id"] in [m["id"] for m in now]
    then = (await client.get(MEMBERS, params={"within": cells["hy"]["id"], "as_of": "2025-01-01"})).json()["items"]
    assert member["id"] in [m["id"] for m in then]


async def test_search_pages_exact_matches_first_then_the_rest(
    client: httpx.AsyncClient, cells: dict[str, dict[str, Any]]
) -> None:
    names = [
        "Nguyễn Văn Hùng",
        "nguyen van hung",
        "Nguyễn Văn Hưng",
        "Trần Nguyễn Văn Hùng Anh",
        "Nguyễn Văn Hùng Cường",
        "Lê Thị 100%",
    ]
    ids = {}
    for i, name in enumerate(names):
        ids[name] = (await new_member(client, cells["c1"], name, birth_date=f"198{i}-01-01"))["id"]
    seen: list[str] = []
    cursor = None
    while True:
        page = (
            await client.get(
                MEMBERS, params={"q": "Nguyễn Văn Hùng", "limit": 1, **({"cursor": cursor} if cursor else {})}
            )
        ).json()
        seen += [m["full_name"] for m in page["items"]]
        cursor = page["next_cursor"]
        if not cursor:
            break
    assert seen[0] == "Nguyễn Văn Hùng"  # as written
    assert seen[1] in ("nguyen van hung", "Nguyễn Văn Hưng")  # the same without accents
    assert set(seen[3:]) == {"Trần Nguyễn Văn Hùng Anh", "Nguyễn Văn Hùng Cường"}
    assert len(seen) == 5
    assert [m["full_name"] for m in (await client.get(MEMBERS, params={"q": "100%"})).json()["items"]] == [
        "Lê Thị 100%"
    ]
    assert (await client.get(MEMBERS, params={"q": "_"})).json()["items"] == []  # a literal underscore, no wildcard
