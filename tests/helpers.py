"""Small helpers to build trees through the API."""

from typing import Any

import httpx


async def create_org(client: httpx.AsyncClient, code: str, kind: str, parent: dict[str, Any] | None = None,
                     **extra: Any) -> dict[str, Any]:
    body = {"code": code, "name": extra.pop("name", f"Tổ chức {code}"), "kind": kind,
            "parent_id": parent["id"] if parent else None, **extra}
    response = await client.post("/api/v1/organizations", json=body)
    assert response.status_code == 201, response.text
    created: dict[str, Any] = response.json()
    return created


def assert_problem(response: httpx.Response, status: int, code: str | None = None) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    body: dict[str, Any] = response.json()
    assert body["status"] == status
    assert body["detail"]
    if code is not None:
        assert body["type"] == f"urn:coso:problem:{code}", body
    return body
