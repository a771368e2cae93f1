"""The audit log: one row per write, append-only, read within the caller's scope."""

from datetime import UTC, datetime, timedelta
from typing import Any

import asyncpg
import httpx
import orjson
import pytest
from fastapi import FastAPI

from tests.support.builders import ClientWith, InsertKey

API = "/api/v1/organizations"
OLD = "2020-01-01"


async def test_each_write_leaves_one_audit_row(
    client: httpx.AsyncClient, db_pool: asyncpg.Pool, communes: dict[str, dict[str, Any]]
) -> None:
    async def rows_after(call: Any) -> list[asyncpg.Record]:
        top = await db_pool.fetchval("SELECT coalesce(max(id), 0) FROM audit_log")
        response = await call
        assert response.status_code in (200, 201), response.text
        return list(await db_pool.fetch("SELECT * FROM audit_log WHERE id > $1 ORDER BY id", top))

    created = await rows_after(
        client.post(
            API,
            json={
                "code": "C",
                "name": "Chi bộ C",
                "kind": "grassroots_cell",
                "parent_id": communes["A"]["id"],
                "valid_from": OLD,
            },
        )
    )
    assert len(created) == 1 and created[0]["action"] == "create" and created[0]["before"] is None
    c_id = orjson.loads(created[0]["after"])["id"]
    assert orjson.loads(created[0]["after"])["code"] == "C" and created[0]["actor_kind"] == "key"
    assert created[0]["request_id"]
    patched = await rows_after(client.patch(f"{API}/{c_id}", json={"name": "Chi bộ C mới"}))
    assert len(patched) == 1
    assert orjson.loads(patched[0]["before"]) == {"id": c_id, "name": "Chi bộ C"}
    assert orjson.loads(patched[0]["after"]) == {"id": c_id, "name": "Chi bộ C mới"}
    moved = await rows_after(
        client.post(f"{API}/{c_id}/move", json={"parent_id": communes["B"]["id"], "effective_date": "2024-01-01"})
    )
    assert len(moved) == 1 and orjson.loads(moved[0]["before"])["parent_id"] == communes["A"]["id"]
    assert orjson.loads(moved[0]["after"])["parent_id"] == communes["B"]["id"]
    dissolved = await rows_after(client.post(f"{API}/{c_id}/dissolve", json={"effective_date": "2025-01-01"}))
    assert len(dissolved) == 1 and orjson.loads(dissolved[0]["after"])["valid_to"] == "2025-01-01"
    merged = await rows_after(
        client.post(
            f"{API}/merge",
            json={
                "source_ids": [communes["A"]["id"], communes["B"]["id"]],
                "effective_date": "2025-07-01",
                "into": {"code": "AB", "name": "AB"},
            },
        )
    )
    assert len(merged) == 1 and merged[0]["action"] == "merge"
    assert len(orjson.loads(merged[0]["before"])["sources"]) == 2
    ab = orjson.loads(merged[0]["after"])["target"]["id"]
    split = await rows_after(
        client.post(
            f"{API}/{ab}/split",
            json={
                "effective_date": "2026-01-01",
                "parts": [
                    {"code": "A2", "name": "A2", "children": [communes["A-DU"]["id"]]},
                    {"code": "B2", "name": "B2", "children": [communes["B-DU"]["id"]]},
                ],
            },
        )
    )
    assert len(split) == 1 and len(orjson.loads(split[0]["after"])["parts"]) == 2
    key = await rows_after(client.post("/api/v1/keys", json={"name": "k", "role": "viewer"}))
    assert len(key) == 1 and "key" not in orjson.loads(key[0]["after"])
    refused = await client.patch(f"{API}/{c_id}", json={"kind": "party_group"})
    assert refused.status_code == 422
    assert await db_pool.fetchval("SELECT count(*) FROM audit_log WHERE id > $1", key[0]["id"]) == 0


async def test_audit_log_is_append_only_and_scoped(
    client: httpx.AsyncClient,
    app: FastAPI,
    db_pool: asyncpg.Pool,
    communes: dict[str, dict[str, Any]],
    client_with: ClientWith,
    insert_key: InsertKey,
) -> None:
    with pytest.raises(asyncpg.exceptions.InsufficientPrivilegeError):
        await db_pool.execute("UPDATE audit_log SET action = 'x'")
    with pytest.raises(asyncpg.exceptions.InsufficientPrivilegeError):
        await db_pool.execute("DELETE FROM audit_log")
    with pytest.raises(asyncpg.exceptions.InsufficientPrivilegeError):
        await db_pool.execute("TRUNCATE audit_log")
    everything = (await client.get("/api/v1/audit", params={"limit": 500})).json()["items"]
    assert len(everything) == 7
    auditor_a = await insert_key(role="auditor", scopes=[communes["A"]["id"]])
    async with client_with(app, auditor_a) as c:
        seen = await _all(c, "/api/v1/audit", limit=1)
        assert {e["entity_id"] for e in seen} == {communes[k]["id"] for k in ("A", "A-DU", "A-DU-CB")}
        filtered = (
            await c.get("/api/v1/audit", params={"entity": "organization", "entity_id": communes["A-DU"]["id"]})
        ).json()["items"]
        assert [e["action"] for e in filtered] == ["create"]
    future = (datetime.now(UTC) + timedelta(hours=1)).isoformat()
    assert (await client.get("/api/v1/audit", params={"since": future})).json()["items"] == []


async def _all(c: httpx.AsyncClient, url: str, **params: Any) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = []
    cursor = None
    while True:
        page = (await c.get(url, params={**params, **({"cursor": cursor} if cursor else {})})).json()
        items += page["items"]
        cursor = page["next_cursor"]
        if not cursor:
            return items
