"""Webhook subscriptions as a resource: made with the maker's scope and pii, the secret shown once, changed, paused,
deleted, audited; nobody else's visible; URLs to internal addresses refused (SSRF)."""

from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from tests.support.builders import ClientWith, InsertKey, Snapshot
from tests.support.problems import assert_problem

HOOKS = "/api/v1/webhooks"
PUBLIC = "https://93.184.215.14/coso-hooks"


@pytest.mark.parametrize(
    "url",
    [
        "http://169.254.169.254/latest/meta-data/",
        "http://10.0.0.1/hook",
        "http://localhost:8080/hook",
        "http://[::1]/hook",
        "http://[fe80::1]/hook",
        "http://[::ffff:127.0.0.1]/hook",
        "http://0.0.0.0/hook",
        "http://192.168.1.10/hook",
        "http://[fd00::1]/hook",
        "http://224.0.0.1/hook",
        "file:///etc/passwd",
        "ftp://93.184.215.14/hook",
        "gopher://93.184.215.14/",
        "https:///no-host",
    ],
)
async def test_urls_to_internal_addresses_are_refused(client: httpx.AsyncClient, url: str, snapshot: Snapshot) -> None:
    before = await snapshot()
    body = assert_problem(await client.post(HOOKS, json={"url": url}), 422, "webhook_url_not_allowed")
    assert len(body["detail"]) < 400
    assert await snapshot() == before


async def test_a_subscription_from_making_to_deleting(
    app: FastAPI, client: httpx.AsyncClient, client_with: ClientWith, insert_key: InsertKey, communes: dict[str, Any]
) -> None:
    a_key = await insert_key(role="editor", scopes=[communes["A"]["id"]], pii=False, name="A app")
    async with client_with(app, a_key) as a:
        made = await a.post(HOOKS, json={"url": PUBLIC, "entities": ["task", "member"], "description": "Tỉnh A"})
        assert made.status_code == 201, made.text
        hook = made.json()
        assert made.headers["location"] == f"{HOOKS}/{hook['id']}"
        assert hook["secret"].startswith("whsec_") and hook["entities"] == ["member", "task"]
        assert (hook["status"], hook["scopes"], hook["pii"]) == ("active", [communes["A"]["id"]], False)
        read = await a.get(f"{HOOKS}/{hook['id']}")
        assert read.status_code == 200 and hook["secret"] not in read.text and "secret" not in read.json()
        assert [h["id"] for h in (await a.get(HOOKS)).json()["items"]] == [hook["id"]]

        # Another editor's key finds nothing of it, as with a random id; the whole-tree admin sees it.
        other = await insert_key(role="editor", scopes=[communes["A"]["id"]], pii=False, name="other")
        async with client_with(app, other) as o:
            for method, path in (("GET", ""), ("PATCH", ""), ("POST", "/pause"), ("DELETE", "")):
                mine = await o.request(method, f"{HOOKS}/{hook['id']}{path}", json={} if method == "PATCH" else None)
                assert_problem(mine, 404, "webhook_not_found")
            assert (await o.get(HOOKS)).json()["items"] == []
        assert hook["id"] in [h["id"] for h in (await client.get(HOOKS)).json()["items"]]
        viewer = await insert_key(role="viewer", name="viewer")
        async with client_with(app, viewer) as v:
            assert_problem(await v.post(HOOKS, json={"url": PUBLIC}), 403, "forbidden")

        patched = await a.patch(f"{HOOKS}/{hook['id']}", json={"entities": [], "description": None})
        assert patched.status_code == 200, patched.text
        assert patched.json()["entities"] == ["organization", "member", "plan", "task"]
        assert patched.json()["description"] is None and patched.json()["version"] == 2
        refused = await a.patch(f"{HOOKS}/{hook['id']}", json={"url": "http://169.254.169.254/"})
        assert_problem(refused, 422, "webhook_url_not_allowed")
        assert_problem(await a.patch(f"{HOOKS}/{hook['id']}", json={"url": None}), 422, "validation_error")

        paused = (await a.post(f"{HOOKS}/{hook['id']}/pause")).json()
        assert paused["status"] == "paused" and paused["paused_reason"] == "paused by A app"
        rotated = await a.post(f"{HOOKS}/{hook['id']}/rotate_secret")
        assert rotated.status_code == 200 and rotated.json()["secret"] not in (hook["secret"], None)
        assert (await a.post(f"{HOOKS}/{hook['id']}/resume")).json()["status"] == "active"
        assert (await a.post(f"{HOOKS}/{hook['id']}/replay", json={"after": "now"})).status_code == 200
        assert (await a.get(f"{HOOKS}/{hook['id']}/deliveries")).json() == {"items": [], "next_cursor": None}
        assert (await a.delete(f"{HOOKS}/{hook['id']}")).status_code == 204
        assert_problem(await a.get(f"{HOOKS}/{hook['id']}"), 404, "webhook_not_found")

    audit = (await client.get("/api/v1/audit", params={"entity": "webhook", "limit": 50})).json()["items"]
    actions = sorted(e["action"] for e in audit)
    assert actions == sorted(["create", "update", "pause", "rotate_secret", "resume", "replay", "delete"])
    assert hook["secret"] not in str(audit) and rotated.json()["secret"] not in str(audit)


async def test_an_unknown_cursor_is_refused(client: httpx.AsyncClient) -> None:
    assert_problem(await client.post(HOOKS, json={"url": PUBLIC, "after": "abc.def"}), 400, "invalid_cursor")
    assert_problem(await client.post(HOOKS, json={"url": PUBLIC, "entities": ["unit"]}), 422, "validation_error")
