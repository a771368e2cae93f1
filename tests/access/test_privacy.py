"""Personal data and scope: what a refusal, the audit log and a unit's neighbours may tell a caller (Law 91/2025/QH15:
party membership is sensitive data; out of scope is indistinguishable from missing)."""

import asyncio
import uuid
from typing import Any

import asyncpg
import httpx
import orjson
import pytest
from fastapi import FastAPI

from tests.support.builders import ClientWith, CreateOrg, InsertKey, Snapshot
from tests.support.problems import assert_problem

MEMBERS = "/api/v1/members"
ORGS = "/api/v1/organizations"
OLD = "2015-01-01"
SENSITIVE = {
    "citizen_id": "001085012345",
    "phone": "0987 654 321",
    "residence": "Số 9 ngõ Bí Mật, xã B",
    "ethnicity": "Dân-tộc-ẩn",
    "religion": "Tôn-giáo-ẩn",
}


@pytest.fixture
async def world(client: httpx.AsyncClient, create_org: CreateOrg) -> dict[str, Any]:
    """Province P, communes A and B with a cell each; in B a member with every sensitive field filled."""
    p = await create_org(client, "P", "provincial_committee", valid_from=OLD, name="Đảng bộ tỉnh P")
    units: dict[str, Any] = {"P": p}
    for c in ("A", "B"):
        commune = await create_org(
            client, c, "upper_level_committee", p, valid_from=OLD, name=f"Đảng bộ xã {c}", external_ids=[f"csdl:{c}"]
        )
        cell = await create_org(client, f"{c}-CB", "grassroots_cell", commune, valid_from=OLD, name=f"Chi bộ thôn {c}")
        units |= {c: commune, f"{c}-CB": cell}
    created = await client.post(
        MEMBERS,
        json={
            "full_name": "Hoàng Thị Bí",
            "gender": "female",
            "birth_date": "1985-01-02",
            "status": "official",
            "organization_id": units["B-CB"]["id"],
            "admission_decision_date": "2010-01-01",
            "external_ids": ["csdl3:B-001"],
            **SENSITIVE,
        },
    )
    assert created.status_code == 201, created.text
    units["member"] = created.json()
    return units


def _free_of(text: str, *secrets: str) -> None:
    for secret in secrets:
        assert secret not in text, secret


async def test_conflicts_name_no_record_outside_the_scope(
    app: FastAPI,
    db_pool: asyncpg.Pool,
    world: dict[str, Any],
    client_with: ClientWith,
    insert_key: InsertKey,
    snapshot: Snapshot,
) -> None:
    """An editor of commune A, without pii, learns that a value is taken, never by whom."""
    token = await insert_key(role="editor", scopes=[world["A"]["id"]], pii=False)
    member = world["member"]
    hidden = [member["id"], "Hoàng Thị Bí", world["B-CB"]["id"], world["B"]["id"], "Đảng bộ xã B"]
    base = {
        "gender": "female",
        "birth_date": "1990-01-01",
        "status": "official",
        "organization_id": world["A-CB"]["id"],
        "admission_decision_date": "2012-01-01",
    }
    before = await snapshot()
    async with client_with(app, token) as c:
        answers = [
            (
                await c.post(MEMBERS, json={**base, "full_name": "Người Khác", "citizen_id": SENSITIVE["citizen_id"]}),
                "duplicate_citizen_id",
            ),
            (
                await c.post(MEMBERS, json={**base, "full_name": "Hoàng Thị Bí", "birth_date": "1985-01-02"}),
                "possible_duplicate",
            ),
            (
                await c.post(MEMBERS, json={**base, "full_name": "Người Thứ Ba", "external_ids": ["csdl3:B-001"]}),
                "duplicate_external_id",
            ),
            (
                await c.post(
                    ORGS,
                    json={
                        "code": "B-CB",
                        "name": "Chi bộ mới",
                        "kind": "grassroots_cell",
                        "parent_id": world["A"]["id"],
                    },
                ),
                "duplicate_code",
            ),
            (
                await c.post(
                    ORGS,
                    json={
                        "code": "A-NEW",
                        "name": "Chi bộ mới",
                        "kind": "grassroots_cell",
                        "parent_id": world["A"]["id"],
                        "external_ids": ["csdl:B"],
                    },
                ),
                "duplicate_external_id",
            ),
            (await c.patch(f"{ORGS}/{world['A-CB']['id']}", json={"code": "B"}), "duplicate_code"),
        ]
        for response, code in answers:
            body = assert_problem(response, 409, code)
            assert "existing_id" not in body, body
            _free_of(response.text, *hidden, SENSITIVE["citizen_id"])
    assert await snapshot() == before


async def test_conflicts_name_the_record_to_a_caller_who_may_see_it(
    client: httpx.AsyncClient, world: dict[str, Any]
) -> None:
    """The whole-tree administrator with pii (the `client` fixture) is told which record holds the value."""
    member = world["member"]
    body = assert_problem(
        await client.post(
            MEMBERS,
            json={
                "full_name": "Người Khác",
                "gender": "male",
                "birth_date": "1990-01-01",
                "status": "candidate",
                "organization_id": world["A-CB"]["id"],
                "citizen_id": SENSITIVE["citizen_id"],
            },
        ),
        409,
        "duplicate_citizen_id",
    )
    assert body["existing_id"] == member["id"] and "Hoàng Thị Bí" in body["detail"]
    body = assert_problem(
        await client.post(
            ORGS, json={"code": "B-CB", "name": "X", "kind": "grassroots_cell", "parent_id": world["A"]["id"]}
        ),
        409,
        "duplicate_code",
    )
    assert body["existing_id"] == world["B-CB"]["id"]


async def test_an_editor_in_scope_without_pii_is_not_told_who_holds_a_citizen_id(
    app: FastAPI, db_pool: asyncpg.Pool, world: dict[str, Any], client_with: ClientWith, insert_key: InsertKey
) -> None:
    token = await insert_key(role="editor", scopes=[world["B"]["id"]], pii=False)
    async with client_with(app, token) as c:
        response = await c.post(
            MEMBERS,
            json={
                "full_name": "Người Khác",
                "gender": "male",
                "birth_date": "1990-01-01",
                "status": "candidate",
                "organization_id": world["B-CB"]["id"],
                "citizen_id": SENSITIVE["citizen_id"],
            },
        )
    body = assert_problem(response, 409, "duplicate_citizen_id")
    assert "existing_id" not in body
    _free_of(response.text, world["member"]["id"], "Hoàng Thị Bí")


async def test_analytics_by_another_communes_code_is_missing(
    app: FastAPI, db_pool: asyncpg.Pool, world: dict[str, Any], client_with: ClientWith, insert_key: InsertKey
) -> None:
    token = await insert_key(role="viewer", scopes=[world["A"]["id"]], pii=False)
    async with client_with(app, token) as c:
        answers = []
        for code in ("B", "KHONG-CO"):
            response = await c.get(
                "/api/v1/indicators/analytics",
                params={"indicator": "members", "period": "2024", "organization_id": code},
            )
            body = assert_problem(response, 404, "organization_not_found")
            answers.append(body["detail"].replace(repr(code), "<code>"))
            _free_of(response.text, world["B"]["id"])
        assert answers[0] == answers[1]


async def _audit(c: httpx.AsyncClient, **params: Any) -> list[dict[str, Any]]:
    response = await c.get("/api/v1/audit", params={"limit": 500, **params})
    assert response.status_code == 200, response.text
    items: list[dict[str, Any]] = response.json()["items"]
    return items


async def test_the_audit_log_keeps_no_sensitive_value(
    client: httpx.AsyncClient,
    app: FastAPI,
    db_pool: asyncpg.Pool,
    world: dict[str, Any],
    client_with: ClientWith,
    insert_key: InsertKey,
) -> None:
    member = world["member"]
    changed = await client.patch(f"{MEMBERS}/{member['id']}", json={"phone": "0911 000 111", "religion": None})
    assert changed.status_code == 200, changed.text
    stored = "".join(str(dict(r)) for r in await db_pool.fetch("SELECT * FROM audit_log"))
    _free_of(stored, *SENSITIVE.values(), "0911 000 111")
    # The administrator with pii sees that they changed, and a digest per value (equal values, equal digests).
    entries = [e for e in await _audit(client, entity="member") if e["action"] == "update"]
    assert len(entries) == 1
    update = entries[0]
    assert update["before"]["phone"].startswith("redacted:") and update["after"]["phone"].startswith("redacted:")
    assert update["before"]["phone"] != update["after"]["phone"]
    assert update["after"]["religion"] is None  # cleared: nothing to hide
    created = next(e for e in await _audit(client, entity="member") if e["action"] == "create")
    assert created["after"]["phone"] == update["before"]["phone"]
    # Without pii: an administrator and an auditor of the whole tree see that the fields changed, not even digests.
    for role in ("admin", "auditor"):
        token = await insert_key(role=role, pii=False)
        async with client_with(app, token) as c:
            response = await c.get("/api/v1/audit", params={"limit": 500})
            assert response.status_code == 200
            _free_of(response.text, *SENSITIVE.values(), "redacted:")
            mine = next(e for e in response.json()["items"] if e["action"] == "update")
            assert mine["after"]["phone"] == "redacted" and "after.phone" in mine["redacted"]


async def test_a_person_with_pii_reading_the_audit_log_is_recorded(
    settings: Any, database_url: str, db_pool: asyncpg.Pool, world: dict[str, Any], client_with: ClientWith
) -> None:
    import time

    import jwt

    from app.main import create_app

    secret = "a-shared-secret-of-at-least-32-bytes!!"
    app = create_app(settings.model_copy(update={"jwt_secret": secret}), database_url=database_url)
    token = jwt.encode(
        {"sub": "kiem.tra.vien", "exp": int(time.time()) + 300, "role": "auditor", "org_scopes": ["*"], "pii": True},
        secret,
        algorithm="HS256",
    )
    async with app.router.lifespan_context(app), client_with(app, token) as c:
        assert (await c.get("/api/v1/audit", params={"entity": "member"})).status_code == 200
    read = await db_pool.fetchrow("SELECT * FROM audit_log WHERE action = 'read_sensitive'")
    assert read is not None and read["actor_id"] == "kiem.tra.vien"
    assert str(read["entity_id"]) == world["member"]["id"]


async def test_an_auditor_of_the_sending_commune_sees_that_a_member_left_not_where_to(
    client: httpx.AsyncClient,
    app: FastAPI,
    db_pool: asyncpg.Pool,
    world: dict[str, Any],
    client_with: ClientWith,
    insert_key: InsertKey,
) -> None:
    """A member of A is transferred to B: A's auditor sees the transfer (who left, when) with B's cell hidden;
    B's auditor sees it too (the entry names B's cell as its other end), with A's cell hidden."""
    a_member = await client.post(
        MEMBERS,
        json={
            "full_name": "Đỗ Văn Đi",
            "gender": "male",
            "birth_date": "1980-01-01",
            "status": "official",
            "organization_id": world["A-CB"]["id"],
            "admission_decision_date": "2005-01-01",
        },
    )
    moved = await client.post(
        f"{MEMBERS}/{a_member.json()['id']}/events",
        json={"kind": "transfer", "date": "2024-05-01", "to_organization_id": world["B-CB"]["id"]},
    )
    assert moved.status_code == 201, moved.text
    for mine, theirs in (("A", "B"), ("B", "A")):
        token = await insert_key(role="auditor", scopes=[world[mine]["id"]], pii=False)
        async with client_with(app, token) as c:
            response = await c.get("/api/v1/audit", params={"entity": "member"})
            entries = [e for e in response.json()["items"] if e["action"] == "transfer"]
        assert len(entries) == 1, (mine, response.text)
        entry = entries[0]
        assert entry["entity_id"] == a_member.json()["id"]
        _free_of(orjson.dumps(entry).decode(), world[f"{theirs}-CB"]["id"], world[theirs]["id"])
        assert entry["redacted"], entry
        side = entry["after"] if mine == "A" else entry["before"]
        assert side["organization_id"] is None


async def test_revoking_a_revoked_key_changes_nothing(client: httpx.AsyncClient, db_pool: asyncpg.Pool) -> None:
    key = (await client.post("/api/v1/keys", json={"name": "Ứng dụng cũ", "role": "viewer"})).json()
    first = await client.post(f"/api/v1/keys/{key['id']}/revoke")
    rows = await db_pool.fetchval("SELECT count(*) FROM audit_log")
    second = await client.post(f"/api/v1/keys/{key['id']}/revoke")
    assert first.status_code == second.status_code == 200, second.text
    assert first.json()["revoked_at"] == second.json()["revoked_at"]
    assert await db_pool.fetchval("SELECT count(*) FROM audit_log") == rows


@pytest.mark.parametrize(
    "call",
    [
        ("POST", "{unit}/dissolve", {"effective_date": "2025-01-01"}),
        ("POST", "{unit}/move", {"parent_id": "{real}", "effective_date": "2025-01-01"}),
        ("POST", "{unit}/regulations", {"issued_on": "2024-01-01", "reference": "1-QC"}),
        ("POST", "{unit}/ratings", {"period": "2024", "score": 80}),
        ("PUT", "{unit}/ratings/2024", {"score": 80}),
        ("POST", "{unit}/inspections", {"inspecting_body": "UBKT", "year": 2024}),
        ("POST", "{unit}/terms", {"label": "2025-2030", "starts_on": "2025-01-01"}),
        ("POST", "{unit}/positions", {"member_id": "{real}", "position": "secretary", "valid_from": "2024-01-01"}),
    ],
)
async def test_unknown_units_are_404_for_a_whole_tree_admin(
    client: httpx.AsyncClient,
    db_pool: asyncpg.Pool,
    world: dict[str, Any],
    call: tuple[str, str, Any],
    snapshot: Snapshot,
) -> None:
    method, path, body = call
    ghost = str(uuid.uuid4())
    url = f"{ORGS}/" + path.replace("{unit}", ghost)
    filled = orjson.loads(orjson.dumps(body).decode().replace("{real}", world["A"]["id"]))
    before = await snapshot()
    assert_problem(await client.request(method, url, json=filled), 404)
    assert await snapshot() == before


async def test_identical_concurrent_creates_make_one_record(
    client: httpx.AsyncClient, db_pool: asyncpg.Pool, world: dict[str, Any]
) -> None:
    body = {
        "full_name": "Vũ Thị Song",
        "gender": "female",
        "birth_date": "1991-09-09",
        "status": "official",
        "organization_id": world["A-CB"]["id"],
        "admission_decision_date": "2015-01-01",
    }
    answers = await asyncio.gather(*(client.post(MEMBERS, json=body) for _ in range(6)))
    assert sorted(r.status_code for r in answers) == [201] + [409] * 5, [r.text for r in answers]
    assert all(r.json()["type"].endswith("possible_duplicate") for r in answers if r.status_code == 409)
    assert await db_pool.fetchval("SELECT count(*) FROM members WHERE full_name = 'Vũ Thị Song'") == 1


async def test_sponsors_must_be_members_the_caller_can_see(
    app: FastAPI, db_pool: asyncpg.Pool, world: dict[str, Any], client_with: ClientWith, insert_key: InsertKey
) -> None:
    token = await insert_key(role="editor", scopes=[world["A"]["id"]], pii=False)
    async with client_with(app, token) as c:
        answers = []
        for sponsor in (world["member"]["id"], str(uuid.uuid4())):
            response = await c.post(
                MEMBERS,
                json={
                    "full_name": "Ứng Viên Mới",
                    "gender": "male",
                    "birth_date": "2000-01-01",
                    "status": "candidate",
                    "organization_id": world["A-CB"]["id"],
                    "sponsor_ids": [sponsor],
                },
            )
            body = assert_problem(response, 422, "sponsor_not_found")
            answers.append(body["detail"].replace(sponsor, "<id>"))
        assert answers[0] == answers[1]


async def test_discipline_needs_pii_in_a_members_history(
    client: httpx.AsyncClient,
    app: FastAPI,
    db_pool: asyncpg.Pool,
    world: dict[str, Any],
    client_with: ClientWith,
    insert_key: InsertKey,
) -> None:
    member = world["member"]
    suspended = await client.post(
        f"{MEMBERS}/{member['id']}/events",
        json={"kind": "suspend", "date": "2024-02-01", "decision_ref": "05-QĐ/UBKT", "note": "Vi phạm quy định X"},
    )
    assert suspended.status_code == 201, suspended.text
    token = await insert_key(role="viewer", pii=False)
    async with client_with(app, token) as c:
        history = await c.get(f"{MEMBERS}/{member['id']}/history")
    event = next(e for e in history.json()["items"] if e["kind"] == "suspend")
    assert event["details_hidden"] is True and event["note"] is None and event["decision_ref"] is None
    _free_of(history.text, "Vi phạm quy định X", "05-QĐ/UBKT")
    full = await client.get(f"{MEMBERS}/{member['id']}/history")
    shown = next(e for e in full.json()["items"] if e["kind"] == "suspend")
    assert shown["note"] == "Vi phạm quy định X" and shown["details_hidden"] is False
