"""If-Match on every change to an existing versioned record: a stale tag is a 412 `version_mismatch` and changes
nothing; COSO_REQUIRE_IF_MATCH=true refuses such a change without the header (428 `precondition_required`); two
clients writing the same version at once: one wins, the other learns it."""

import asyncio
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from app.main import create_app
from app.settings import Settings
from tests.support.builders import ClientWith, InsertKey, Snapshot
from tests.support.problems import assert_problem
from tests.support.route_calls import ROUTE_CALLS, api_routes, fill_call

# The writes that must take If-Match: a test that finds one of them without it fails (and a new one is listed here).
GUARDED = {
    ("PATCH", "/api/v1/organizations/{organization_id}"),
    ("POST", "/api/v1/organizations/{organization_id}/move"),
    ("POST", "/api/v1/organizations/{organization_id}/dissolve"),
    ("POST", "/api/v1/organizations/{organization_id}/split"),
    ("PATCH", "/api/v1/members/{member_id}"),
    ("POST", "/api/v1/members/{member_id}/events"),
    ("PATCH", "/api/v1/plans/{plan_id}"),
    ("PUT", "/api/v1/plans/{plan_id}/events/{event_id}"),
    ("PUT", "/api/v1/plans/{plan_id}/targets"),
    ("PATCH", "/api/v1/tasks/{task_id}"),
    ("POST", "/api/v1/tasks/{task_id}/reports"),
    ("POST", "/api/v1/bodies/{body_id}/aliases"),
    ("POST", "/api/v1/organizations/{organization_id}/positions/{position_id}/end"),
    ("POST", "/api/v1/members/{member_id}/posts/{post_id}/end"),
    ("PUT", "/api/v1/members/{member_id}/ratings/{period}"),
    ("PUT", "/api/v1/organizations/{organization_id}/ratings/{period}"),
    ("POST", "/api/v1/keys/{key_id}/revoke"),
    ("DELETE", "/api/v1/indicators/{code}/targets/{target_id}"),
    ("PATCH", "/api/v1/webhooks/{webhook_id}"),
    ("DELETE", "/api/v1/webhooks/{webhook_id}"),
    ("POST", "/api/v1/webhooks/{webhook_id}/pause"),
    ("POST", "/api/v1/webhooks/{webhook_id}/resume"),
    ("POST", "/api/v1/webhooks/{webhook_id}/replay"),
    ("POST", "/api/v1/webhooks/{webhook_id}/rotate_secret"),
}
# Bodies that succeed for a whole-tree administrator (ROUTE_CALLS aims some at an outsider's refusal).
BODIES: dict[tuple[str, str], dict[str, Any]] = {
    ("POST", "/api/v1/organizations/{organization_id}/move"): {
        "path": {"organization_id": "{B-DU-CB}"},
        "json": {"parent_id": "{A-DU}"},
    },
    ("POST", "/api/v1/organizations/{organization_id}/dissolve"): {
        "path": {"organization_id": "{A-DU-CB}"},
        "json": {},
    },
    ("POST", "/api/v1/organizations/{organization_id}/positions/{position_id}/end"): {
        "path": {"organization_id": "{B-DU-CB}", "position_id": "{B_POSITION}"},
        "json": {"valid_to": "2025-01-01"},
    },
}


def _guarded(app: FastAPI) -> set[tuple[str, str]]:
    """The operations whose documentation takes If-Match."""
    return {
        (method, path)
        for method, path, operation in api_routes(app)
        if any(p.get("in") == "header" and p.get("name") == "If-Match" for p in operation.get("parameters", []))
    }


def _request(operation: tuple[str, str], names: dict[str, str]) -> tuple[str, str, dict[str, Any]]:
    method, path = operation
    sent = fill_call(BODIES.get(operation, ROUTE_CALLS[operation]), names, code="B", external_id="csdl:B")
    url = path.replace("{organization_id}", sent["path"].pop("organization_id", names["B"]))
    for name, value in sent["path"].items():
        url = url.replace("{" + name + "}", value)
    return method, url, {"json": sent["json"], "params": sent["params"]}


def test_every_change_to_a_versioned_record_takes_if_match(app: FastAPI) -> None:
    assert _guarded(app) == GUARDED


@pytest.mark.parametrize("operation", sorted(GUARDED), ids=lambda o: f"{o[0]} {o[1]}")
async def test_a_stale_if_match_changes_nothing(
    client: httpx.AsyncClient, b_names: dict[str, str], snapshot: Snapshot, operation: tuple[str, str]
) -> None:
    method, url, call = _request(operation, b_names)
    before = await snapshot()
    for stale in ('"999"', '"999-p"', 'W/"999"', '"not-a-version"'):
        response = await client.request(method, url, headers={"If-Match": stale}, **call)
        body = assert_problem(response, 412, "version_mismatch")
        assert "changed it since you read it" in body["detail"]
    assert await snapshot() == before


@pytest.mark.parametrize("operation", sorted(GUARDED), ids=lambda o: f"{o[0]} {o[1]}")
async def test_the_current_version_or_a_star_is_accepted(
    client: httpx.AsyncClient, b_names: dict[str, str], operation: tuple[str, str]
) -> None:
    """Neither 412 nor 428 with `If-Match: *`: the change meets only its own rules."""
    method, url, call = _request(operation, b_names)
    response = await client.request(method, url, headers={"If-Match": "*"}, **call)
    assert response.status_code not in (412, 428), response.text


@pytest.fixture
async def strict(settings: Settings, database_url: str) -> Any:
    """The service with COSO_REQUIRE_IF_MATCH=true."""
    app = create_app(settings.model_copy(update={"require_if_match": True}), database_url=database_url)
    async with app.router.lifespan_context(app):
        yield app


@pytest.mark.parametrize("operation", sorted(GUARDED), ids=lambda o: f"{o[0]} {o[1]}")
async def test_required_if_match_refuses_a_change_without_it(
    strict: FastAPI,
    client_with: ClientWith,
    insert_key: InsertKey,
    b_names: dict[str, str],
    snapshot: Snapshot,
    operation: tuple[str, str],
) -> None:
    method, url, call = _request(operation, b_names)
    token = await insert_key(name="strict admin")
    before = await snapshot()
    async with client_with(strict, token) as strict_client:
        response = await strict_client.request(method, url, **call)
    body = assert_problem(response, 428, "precondition_required")
    assert "If-Match" in body["detail"] and "GET" in body["detail"] and "ETag" in body["detail"]
    assert await snapshot() == before


async def test_required_if_match_takes_the_etag_and_leaves_creation_free(
    strict: FastAPI, client_with: ClientWith, insert_key: InsertKey, b_names: dict[str, str]
) -> None:
    async with client_with(strict, await insert_key(name="strict admin")) as strict_client:
        url = f"/api/v1/members/{b_names['B_MEMBER']}"
        tag = (await strict_client.get(url)).headers["etag"]
        changed = await strict_client.patch(url, json={"hometown": "Quê"}, headers={"If-Match": tag})
        assert changed.status_code == 200, changed.text
        created = await strict_client.post(
            "/api/v1/plans", json={"organization_id": b_names["B"], "title": "Kế hoạch không cần If-Match"}
        )
        assert created.status_code == 201, created.text


async def test_two_clients_writing_the_same_version_at_once_one_wins(
    app: FastAPI,
    client: httpx.AsyncClient,
    client_with: ClientWith,
    insert_key: InsertKey,
    b_names: dict[str, str],
) -> None:
    """Both read version n and send it; the row is locked and compared, so exactly one change lands (200), the
    other is refused (412) and its author can read the winner's change and decide: nothing is silently lost."""
    url = f"/api/v1/members/{b_names['B_MEMBER']}"
    read = await client.get(url)
    tag, version = read.headers["etag"], read.json()["version"]
    async with client_with(app, await insert_key(name="second writer")) as other:
        first, second = await asyncio.gather(
            client.patch(url, json={"hometown": "Bên thứ nhất"}, headers={"If-Match": tag}),
            other.patch(url, json={"phone": "0900 000 001"}, headers={"If-Match": tag}),
        )
    assert sorted([first.status_code, second.status_code]) == [200, 412], (first.text, second.text)
    won, lost = (first, second) if first.status_code == 200 else (second, first)
    assert_problem(lost, 412, "version_mismatch")
    now = (await client.get(url)).json()
    assert now["version"] == version + 1
    assert now == won.json()
    # The loser's field is as it was: its change was refused, not half-applied.
    if won is first:
        assert now["hometown"] == "Bên thứ nhất" and now["phone"] == read.json()["phone"]
    else:
        assert now["phone"] == "0900 000 001" and now["hometown"] == read.json()["hometown"]
