"""Ratings as files: a unit's member ratings of a period, a member's ratings and an organisation's own, each the
JSON list's rows in its order; a member's score, comment and sick leave only with pii; bands as their Vietnamese
labels under `headers=vi`; out of scope is not found."""

import time
from typing import Any

import asyncpg
import httpx
import jwt
import orjson
from fastapi import FastAPI

from app.main import create_app
from app.settings import Settings
from tests.support.builders import AddMember, ClientWith, InsertKey
from tests.support.files import FORMATS, assert_export_is_the_list, table, text_of
from tests.support.problems import assert_problem

API = "/api/v1"
PERSONAL = {"score", "comment", "sick_leave_months"}


async def _rate(client: httpx.AsyncClient, add_member: AddMember, communes: dict[str, Any]) -> list[str]:
    members = []
    rated: tuple[tuple[str, str, dict[str, Any]], ...] = (
        ("A-DU-CB", "Trần Thị Bình", {"score": 95, "comment": "=HYPERLINK(1)", "sick_leave_months": 1}),
        ("A-DU-CB", "Nguyễn Văn An", {"score": 75, "comment": "Tốt"}),
        ("A-DU", "Lê Văn Cường", {"not_rated_reason": "long_sick_leave"}),
        ("B-DU-CB", "Phạm Văn Dũng", {"score": 40}),
    )
    for i, (unit, name, body) in enumerate(rated):
        member = await add_member(communes[unit], name)
        members.append(member)
        response = await client.post(f"{API}/members/{member}/ratings", json={"period": "2024", **body})
        assert response.status_code == 201, (i, response.text)
        again = await client.post(f"{API}/members/{member}/ratings", json={"period": "2023", "score": 60})
        assert again.status_code == 201, again.text
    for unit, score in (("A-DU-CB", 81), ("A-DU-CB", 91)):
        period = "2023" if score == 81 else "2024"
        body = {"period": period, "score": score, "comment": "Chi bộ"}
        assert (await client.post(f"{API}/organizations/{communes[unit]['id']}/ratings", json=body)).status_code == 201
    return members


async def test_each_rating_list_exports_as_its_json_list(
    client: httpx.AsyncClient, communes: dict[str, Any], add_member: AddMember
) -> None:
    members = await _rate(client, add_member, communes)
    unit = f"{API}/organizations/{communes['A']['id']}/member_ratings"
    items = await assert_export_is_the_list(client, unit, {"period": "2024"}, paged=True)
    assert [i["full_name"] for i in items] == ["Lê Văn Cường", "Nguyễn Văn An", "Trần Thị Bình"]  # unit, then name
    whole = await assert_export_is_the_list(
        client, f"{API}/organizations/{communes['P']['id']}/member_ratings", {"period": "2024"}, paged=True
    )
    assert len(whole) == 4
    own = await assert_export_is_the_list(client, f"{API}/members/{members[0]}/ratings", {}, paged=False)
    assert [i["period"] for i in own] == ["2023", "2024"]
    org = await assert_export_is_the_list(
        client, f"{API}/organizations/{communes['A-DU-CB']['id']}/ratings", {}, paged=False
    )
    assert [i["score"] for i in org] == [81, 91]
    csv = await client.get(unit, params={"period": "2024", "format": "csv"})
    assert csv.headers["content-disposition"].startswith('attachment; filename="member-ratings-2024_A_20')
    assert "'=HYPERLINK(1)" in csv.content.decode()  # no formula for Excel
    rows = table("csv", csv.content)
    assert list(rows[0])[:3] == ["Mã bản ghi", "Mã đảng viên", "Họ và tên"]
    assert [r["Xếp loại"] for r in rows] == ["", "Hoàn thành tốt nhiệm vụ", "Hoàn thành xuất sắc nhiệm vụ"]
    assert rows[0]["Lý do không xếp loại"] == "Nghỉ ốm dài ngày"
    assert_problem(
        await client.get(unit, params={"period": "2024", "format": "csv", "limit": 2}), 422, "export_not_paged"
    )


async def test_personal_columns_need_pii_and_other_units_are_missing(
    app: FastAPI,
    client: httpx.AsyncClient,
    communes: dict[str, Any],
    add_member: AddMember,
    client_with: ClientWith,
    insert_key: InsertKey,
) -> None:
    members = await _rate(client, add_member, communes)
    a = communes["A"]["id"]
    token = await insert_key(role="viewer", pii=False, scopes=[a])
    async with client_with(app, token) as reader:
        unit = f"{API}/organizations/{a}/member_ratings"
        await assert_export_is_the_list(reader, unit, {"period": "2024"}, paged=True)
        for fmt in FORMATS:
            response = await reader.get(unit, params={"period": "2024", "format": fmt, "headers": "en"})
            rows = table(fmt, response.content)
            assert len(rows) == 3 and not PERSONAL & set(rows[0]) and "rating" in rows[0]
            assert "HYPERLINK" not in text_of(fmt, response.content) and "Tốt" not in text_of(fmt, response.content)
            own = await reader.get(f"{API}/members/{members[0]}/ratings", params={"format": fmt, "headers": "en"})
            assert not PERSONAL & set(table(fmt, own.content)[0])
            org = await reader.get(f"{API}/organizations/{communes['A-DU-CB']['id']}/ratings", params={"format": fmt})
            assert "Điểm" in table(fmt, org.content)[0] or "score" in table(fmt, org.content)[0]  # a unit's: public
            for url, params in (
                (f"{API}/organizations/{communes['B']['id']}/member_ratings", {"period": "2024"}),
                (f"{API}/members/{members[3]}/ratings", {}),
                (f"{API}/organizations/{communes['B-DU-CB']['id']}/ratings", {}),
            ):
                outside = await reader.get(url, params={**params, "format": fmt})
                assert_problem(outside, 404)
                assert "Phạm Văn Dũng" not in outside.text


async def test_a_persons_export_of_scores_is_one_sensitive_read(
    settings: Settings,
    database_url: str,
    db_pool: asyncpg.Pool,
    communes: dict[str, Any],
    client: httpx.AsyncClient,
    client_with: ClientWith,
    add_member: AddMember,
) -> None:
    await _rate(client, add_member, communes)
    secret = "a-shared-secret-of-at-least-32-bytes!!"
    app = create_app(settings.model_copy(update={"jwt_secret": secret}), database_url=database_url)

    def token(pii: bool) -> str:
        claims = {"sub": "can.bo", "exp": int(time.time()) + 300, "role": "viewer", "org_scopes": ["*"], "pii": pii}
        return jwt.encode(claims, secret, algorithm="HS256")

    url = f"{API}/organizations/{communes['A']['id']}/member_ratings"
    async with app.router.lifespan_context(app):
        async with client_with(app, token(False)) as c:
            assert (await c.get(url, params={"period": "2024", "format": "csv"})).status_code == 200
        assert await db_pool.fetchval("SELECT count(*) FROM audit_log WHERE action = 'read_sensitive'") == 0
        async with client_with(app, token(True)) as c:
            assert (await c.get(url, params={"period": "2024", "format": "ndjson"})).status_code == 200
    reads = await db_pool.fetch("SELECT * FROM audit_log WHERE action = 'read_sensitive'")
    assert len(reads) == 1
    after = orjson.loads(reads[0]["after"])
    assert (reads[0]["entity"], after["export"], after["count"]) == ("rating", "ndjson", 3)
