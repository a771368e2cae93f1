"""The audit log as a file: the entries GET /audit lists (filters, scope, newest first), hidden exactly as in its
JSON: no digest of a sensitive value and no rating score without pii, no unit outside an auditor's subtree."""

from typing import Any

import httpx
from fastapi import FastAPI

from tests.support.builders import ClientWith, InsertKey
from tests.support.files import FORMATS, assert_export_is_the_list, table, text_of
from tests.support.problems import assert_problem

URL = "/api/v1/audit"


async def _history(client: httpx.AsyncClient, communes: dict[str, Any]) -> dict[str, str]:
    ids = {}
    for cell, name, citizen in (
        ("A-DU-CB", "Nguyễn Thị Đào", "001190000001"),
        ("B-DU-CB", "Trần Văn Bắc", "001090000002"),
    ):
        body = {
            "full_name": name,
            "gender": "male",
            "birth_date": "1990-01-01",
            "status": "official",
            "organization_id": communes[cell]["id"],
            "citizen_id": citizen,
            "phone": "0912000111",
            "admission_decision_date": "2015-02-03",
            "admission_ceremony_date": "2015-02-10",
        }
        response = await client.post("/api/v1/members", json=body)
        assert response.status_code == 201, response.text
        ids[cell] = response.json()["id"]
        rated = await client.post(
            f"/api/v1/members/{ids[cell]}/ratings", json={"period": "2024", "score": 77, "comment": "Bí mật"}
        )
        assert rated.status_code == 201, rated.text
    return ids


async def test_the_log_exports_as_its_json_list_for_each_reader(
    app: FastAPI,
    client: httpx.AsyncClient,
    communes: dict[str, Any],
    client_with: ClientWith,
    insert_key: InsertKey,
) -> None:
    ids = await _history(client, communes)
    everything = await assert_export_is_the_list(client, URL, {}, paged=True)
    assert len(everything) == 11  # 7 units, 2 members, 2 ratings
    digest = next(e for e in everything if e["entity"] == "member")["after"]["citizen_id"]
    assert digest.startswith("redacted:")
    members = await assert_export_is_the_list(client, URL, {"entity": "member"}, paged=True)
    assert {m["entity_id"] for m in members} == set(ids.values())
    auditor = await insert_key(role="auditor", scopes=[communes["A"]["id"]], pii=False)
    async with client_with(app, auditor) as c:
        seen = await assert_export_is_the_list(c, URL, {}, paged=True)
        assert {e["entity_id"] for e in seen} >= {ids["A-DU-CB"]} and ids["B-DU-CB"] not in str(seen)
        assert any(e["redacted"] for e in seen)
        for fmt in FORMATS:
            response = await c.get(URL, params={"format": fmt})
            assert response.status_code == 200
            assert response.headers["content-disposition"].startswith('attachment; filename="audit_A_20')
            for secret in (digest, "Bí mật", "Trần Văn Bắc", communes["B"]["id"], "0912000111"):
                assert secret not in text_of(fmt, response.content), (fmt, secret)
            rows = table(fmt, response.content)
            assert len(rows) == len(seen)
        vi = table("csv", (await c.get(URL, params={"format": "csv"})).content)
        assert list(vi[0])[:3] == ["Số thứ tự", "Thời điểm", "Loại người thực hiện"]
        assert {r["Loại người thực hiện"] for r in vi} == {"Khóa API"}
    viewer = await insert_key(role="viewer")
    async with client_with(app, viewer) as c:
        assert_problem(await c.get(URL, params={"format": "csv"}), 403)
