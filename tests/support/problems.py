"""The one assertion every test makes about refusals: an RFC 9457 problem with the status and the rule's type."""

from typing import Any

import httpx


def assert_problem(response: httpx.Response, status: int, code: str | None = None) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    body: dict[str, Any] = response.json()
    assert body["status"] == status
    assert body["detail"]
    if code is not None:
        assert body["type"] == f"urn:coso:problem:{code}", body
    return body
