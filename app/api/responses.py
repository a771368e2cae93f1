"""Documented error responses, shared by every route (all are application/problem+json)."""

from typing import Any

from app.api.problems import Problem

DESCRIPTIONS: dict[int, str] = {
    400: "Malformed request: a body that is not valid JSON, or a cursor this service did not issue",
    401: "Missing or invalid credentials",
    403: "Not allowed for this caller",
    404: "Not found (or outside the caller's scope)",
    409: "Conflicts with the current state (duplicate code or external id, later change recorded, …)",
    304: "Not Modified: the If-None-Match names the current representation's ETag (no body)",
    412: "If-Match does not match the current version (`version_mismatch`): read the record again",
    413: "Request body too large",
    415: "The body is not JSON (send Content-Type: application/json)",
    428: "If-Match is required (COSO_REQUIRE_IF_MATCH): GET the record and send its ETag (`precondition_required`)",
    422: "Invalid input or a broken rule; `errors` lists each invalid field",
    429: "Too many exports at once in this process (COSO_EXPORT_MAX_CONCURRENT): retry after `Retry-After` seconds",
    503: "Database unavailable or query too slow; retry later",
}


def problems(*statuses: int) -> dict[int | str, dict[str, Any]]:
    chosen = sorted({*statuses, 422, 503})
    return {s: {"model": Problem, "description": DESCRIPTIONS[s]} for s in chosen}
