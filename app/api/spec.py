"""The OpenAPI document tells the truth: every status an operation can answer, problem+json for every error, the
bearer scheme, and links from what an operation creates to the operations that take it (stateful testing follows
them)."""

import re
from collections.abc import Callable
from typing import Any

from fastapi import FastAPI

from app.api.auth import BEARER_SCHEME
from app.api.idempotency.retries import HEADER as IDEMPOTENCY_KEY
from app.api.idempotency.retries import REPLAYED, WRITES
from app.api.problems import PROBLEM_JSON
from app.api.responses import DESCRIPTIONS

_PARAM = re.compile(r"\{([a-z_]+)\}")
_PROBLEM = {"$ref": "#/components/schemas/Problem"}

# Links that no path prefix implies: (from operation, to operation) → parameters of the target.
EXTRA_LINKS: dict[tuple[str, str], dict[str, str]] = {
    ("add_task", "get_task"): {"task_id": "$response.body#/id"},
    ("add_task", "add_report"): {"task_id": "$response.body#/id"},
    ("rate_member", "replace_member_rating"): {
        "member_id": "$request.path.member_id",
        "period": "$response.body#/period",
    },
    ("rate_organization", "replace_organization_rating"): {
        "organization_id": "$request.path.organization_id",
        "period": "$response.body#/period",
    },
    ("create_member", "list_member_positions"): {"member_id": "$response.body#/id"},
    ("create_organization", "list_organization_ratings"): {"organization_id": "$response.body#/id"},
}


def _statuses(path: str, method: str, operation: dict[str, Any]) -> set[int]:
    """What every /api/v1 operation of this shape can answer besides its own documented outcomes."""
    found = {401, 403, 422, 503}
    if operation.get("requestBody") is not None:
        found |= {400, 413, 415}  # unparseable JSON, too large, not JSON
    params = {p["name"] for p in operation.get("parameters", []) if p.get("in") == "query"}
    if "cursor" in params:
        found.add(400)
    if _PARAM.search(path):
        found.add(404)
    return found


# Every write of /api/v1 takes an Idempotency-Key (app/api/idempotency/retries.py).
IDEMPOTENCY_PARAMETER = {
    "name": IDEMPOTENCY_KEY,
    "in": "header",
    "required": False,
    "description": "A key of your choice (1–255 printable ASCII characters; a UUID is a good one) that makes a "
    "retry safe: the first request with it does the work, and a retry with the same key and the same request "
    f"(method, path with query, body) gets the first answer again, with `{REPLAYED}: true`, without the work "
    "being done twice. The same key with another request: 422 `idempotency_key_reused`; while the first request "
    "still runs: 409 `idempotency_key_in_flight` with `Retry-After`; a key that is none: 400 "
    "`invalid_idempotency_key`. Keys are the caller's own and kept COSO_IDEMPOTENCY_TTL_HOURS (24 h by default); "
    "only successful (2xx) answers are kept, so a request that failed can be corrected and sent again with its key.",
    "schema": {"type": "string", "minLength": 1, "maxLength": 255, "pattern": "^[ -~]+$"},
}
_REPLAYED_HEADER = {
    "description": "`true`: the answer kept for the request's Idempotency-Key, sent again (the work was not redone)",
    "schema": {"type": "string", "enum": ["true"]},
}


def _idempotent(operation: dict[str, Any]) -> None:
    """The Idempotency-Key parameter, what it can answer (400, 409, 422) and the replay's header on success."""
    parameters = operation.setdefault("parameters", [])
    parameters.append({"$ref": "#/components/parameters/IdempotencyKey"})
    responses = operation["responses"]
    for status in (400, 409, 422):
        responses.setdefault(str(status), _problem_response(status))
    for code, response in responses.items():
        if code.startswith("2"):
            response.setdefault("headers", {})[REPLAYED] = _REPLAYED_HEADER


ETAG_HEADER = {
    "description": 'The version of the record and the view of it sent: "7", "7-p" (with personal data), '
    '"7@2024-01-01" (on a structure date). Send it as If-Match to change the record, or as If-None-Match to read '
    "it again only if it changed",
    "schema": {"type": "string", "pattern": '^"[0-9]+(-p)?(@[0-9]{4}-[0-9]{2}-[0-9]{2})?"$'},
}
IF_NONE_MATCH = {
    "name": "If-None-Match",
    "in": "header",
    "required": False,
    "description": "ETags you hold (or `*`): 304 Not Modified without a body if one is the current one's "
    "(weak comparison)",
    "schema": {"type": "string"},
}


def _versioned(schema: dict[str, Any], response: dict[str, Any]) -> bool:
    """The answer is one versioned record: its JSON schema has a `version` (the ETag)."""
    target = response.get("content", {}).get("application/json", {}).get("schema", {})
    ref = target.get("$ref", "")
    if ref.startswith("#/components/schemas/"):
        target = schema.get("components", {}).get("schemas", {}).get(ref.rsplit("/", 1)[1], {})
    return "version" in target.get("properties", {})


def _conditional(schema: dict[str, Any], method: str, operation: dict[str, Any]) -> None:
    """ETag on the answers that are one versioned record; If-None-Match and 304 on their GETs; 412 and 428 on the
    writes that take If-Match (app/api/conditional.py, types.ExpectedVersion)."""
    responses = operation["responses"]
    tagged = False
    for code, response in responses.items():
        if code[0] == "2" and _versioned(schema, response):
            response.setdefault("headers", {})["ETag"] = ETAG_HEADER
            tagged = True
    if method == "get" and tagged:
        operation.setdefault("parameters", []).append(IF_NONE_MATCH)
        responses["304"] = {"description": DESCRIPTIONS[304], "headers": {"ETag": ETAG_HEADER}}
    if any(p.get("in") == "header" and p.get("name") == "If-Match" for p in operation.get("parameters", [])):
        for status in (412, 428):
            responses.setdefault(str(status), _problem_response(status))


def _problem_response(status: int) -> dict[str, Any]:
    return {"description": DESCRIPTIONS[status], "content": {PROBLEM_JSON: {"schema": _PROBLEM}}}


def _links(paths: dict[str, Any]) -> dict[str, dict[str, dict[str, Any]]]:
    """Links by source operation id: a POST that creates (201 with an `id`) links to every operation under the
    created resource's path, which takes the new id for the path's next parameter."""
    operations = {
        (path, method): op
        for path, item in paths.items()
        for method, op in item.items()
        if isinstance(op, dict) and "operationId" in op
    }
    by_id = {op["operationId"]: (path, method) for (path, method), op in operations.items()}
    links: dict[str, dict[str, dict[str, Any]]] = {}
    for (path, method), op in operations.items():
        if method != "post" or "201" not in op.get("responses", {}):
            continue
        for (other, _), target in operations.items():
            rest = other[len(path) :] if other.startswith(path + "/{") else None
            if not rest:
                continue
            created = _PARAM.search(rest)
            assert created is not None
            parameters = {name: f"$request.path.{name}" for name in _PARAM.findall(path)}
            parameters[created.group(1)] = "$response.body#/id"
            if set(_PARAM.findall(other)) != set(parameters):
                continue  # it needs another id than the one just created
            links.setdefault(op["operationId"], {})[target["operationId"]] = parameters
    for (source, linked), extra in EXTRA_LINKS.items():
        if source in by_id and linked in by_id:
            links.setdefault(source, {})[linked] = extra
    return links


def install(app: FastAPI) -> None:
    build: Callable[[], dict[str, Any]] = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            schema = build()
            schema.setdefault("components", {}).setdefault("securitySchemes", {})["bearer"] = BEARER_SCHEME
            schema["components"].setdefault("parameters", {})["IdempotencyKey"] = IDEMPOTENCY_PARAMETER
            paths = schema["paths"]
            for path, item in paths.items():
                for method, operation in item.items():
                    responses = operation.setdefault("responses", {})
                    for code, response in responses.items():
                        content = response.get("content", {})
                        if code[0] in "45" and "application/json" in content:
                            content[PROBLEM_JSON] = content.pop("application/json")
                    if not path.startswith("/api/v1/"):
                        continue
                    operation["security"] = [{"bearer": []}]
                    for status in sorted(_statuses(path, method, operation)):
                        responses.setdefault(str(status), _problem_response(status))
                    if method.upper() in WRITES:
                        _idempotent(operation)
                    _conditional(schema, method, operation)
                    operation["responses"] = dict(sorted(responses.items()))
            for source, targets in _links(paths).items():
                for item in paths.values():
                    for operation in item.values():
                        if operation.get("operationId") == source:
                            created = operation["responses"]["201"]
                            created["links"] = {
                                target: {"operationId": target, "parameters": parameters}
                                for target, parameters in sorted(targets.items())
                            }
            app.openapi_schema = schema
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]
