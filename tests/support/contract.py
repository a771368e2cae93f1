"""The published contract, checked on every answer the tests receive.

Responses are JSON built in SQL and sent as bytes, so FastAPI's `response_model`s only document them: nothing at
run time compares what is served with openapi.yaml. Every client of the test suite therefore carries `Contract.hook`,
which finds the operation the server matched (the app's own routes, in the app's order), and checks that the status
is documented for it, that the media type is the documented one, and that the body validates against the
documented schema. Objects are checked closed: a field served but not documented is as much a drift as a documented
field that is missing (problem details stay open, RFC 9457 lets them carry extension members)."""

import copy
import re
import weakref
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

import httpx
import jsonschema_rs
import orjson
from fastapi import FastAPI
from fastapi.routing import APIRoute

from app.api.routing import flat_routes

OPEN_SCHEMAS = {"Problem"}  # RFC 9457: extension members are allowed
PROBLEM_MEDIA = "application/problem+json"


class ContractViolation(AssertionError):
    """A served answer that openapi.yaml does not describe."""


def _closed(schema: Any) -> Any:
    """The schema with every object that lists its properties closed to others."""
    if isinstance(schema, dict):
        closed = {k: _closed(v) for k, v in schema.items()}
        if "properties" in closed and "additionalProperties" not in closed:
            closed["additionalProperties"] = False
        return closed
    if isinstance(schema, list):
        return [_closed(v) for v in schema]
    return schema


@dataclass
class Contract:
    app: FastAPI
    document: dict[str, Any] = field(init=False)
    checked: set[tuple[str, str, int]] = field(default_factory=set)  # (method, path template, status)
    _routes: list[tuple[re.Pattern[str], set[str], str]] = field(init=False)
    _components: dict[str, Any] = field(init=False)
    _validators: dict[tuple[str, str, str], Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.document = self.app.openapi()
        # In the app's order (flat: included routers are kept behind a wrapper), as Starlette matches them.
        self._routes = [
            (r.path_regex, r.methods or set(), r.path)
            for r in flat_routes(self.app.routes)
            if isinstance(r, APIRoute) and r.path in self.document["paths"]
        ]
        schemas = {
            name: schema if name in OPEN_SCHEMAS else _closed(schema)
            for name, schema in self.document["components"]["schemas"].items()
        }
        self._components = {**copy.deepcopy(self.document["components"]), "schemas": schemas}

    def operation(self, method: str, path: str) -> tuple[str, dict[str, Any]] | None:
        """The path template and operation the app routes (method, path) to, or None (no route, or another
        method's: the answer is then a 404 or 405 problem)."""
        for regex, methods, template in self._routes:
            if regex.match(path) and method in methods:
                return template, self.document["paths"][template][method.lower()]
        return None

    def _validator(self, key: tuple[str, str, str], schema: dict[str, Any]) -> Any:
        if key not in self._validators:
            root = {
                "$schema": "https://json-schema.org/draft/2020-12/schema",
                **_closed(schema),
                "components": self._components,
            }
            self._validators[key] = jsonschema_rs.validator_for(root)
        return self._validators[key]

    def violations(
        self, method: str, path: str, status: int, media: str, body: bytes, headers: Mapping[str, str] | None = None
    ) -> Iterator[str]:
        """What in this answer openapi.yaml does not describe (`headers`: a documented ETag must be sent)."""
        if method == "HEAD":
            return
        found = self.operation(method, path)
        if found is None:
            if path.startswith("/api/") or path in self.document["paths"]:
                if media != PROBLEM_MEDIA:
                    yield f"{status} for an unrouted {method} {path} is {media or 'no body'}, not a problem"
                else:
                    yield from self._invalid(("Problem", "", ""), {"$ref": "#/components/schemas/Problem"}, body)
            return
        template, operation = found
        responses = operation["responses"]
        documented = responses.get(str(status)) or responses.get(f"{str(status)[0]}XX") or responses.get("default")
        where = f"{method} {template} → {status}"
        if documented is None:
            yield f"{where}: status not documented (documented: {', '.join(responses)})"
            return
        self.checked.add((method, template, status))
        if headers is not None and "ETag" in documented.get("headers", {}) and "etag" not in headers:
            yield f"{where}: documented with an ETag, served without one"
        content = documented.get("content") or {}
        if not content:
            if body:
                yield f"{where}: documented without a body, served {len(body)} bytes of {media}"
            return
        if media not in content:
            yield f"{where}: served as {media or 'no body'}, documented as {', '.join(content)}"
            return
        schema = content[media].get("schema")
        if schema is not None and media.endswith("json"):
            yield from self._invalid((method, template, f"{status} {media}"), schema, body)

    def _invalid(self, key: tuple[str, str, str], schema: dict[str, Any], body: bytes) -> Iterator[str]:
        try:
            instance = orjson.loads(body)
        except orjson.JSONDecodeError:
            yield f"{key[0]} {key[1]} {key[2]}: the body is not JSON: {body[:200]!r}"
            return
        for error in self._validator(key, schema).iter_errors(instance):
            at = "/".join(str(p) for p in error.instance_path) or "(the body)"
            yield f"{key[0]} {key[1]} {key[2]}: at {at}: {error.message}"

    async def hook(self, response: httpx.Response) -> None:
        """An httpx response hook: raises ContractViolation for an answer the contract does not describe."""
        await response.aread()
        request = response.request
        media = response.headers.get("content-type", "").split(";")[0].strip()
        found = list(
            self.violations(
                request.method, request.url.path, response.status_code, media, response.content, response.headers
            )
        )
        if found:
            shown = "\n  ".join(found[:10])
            raise ContractViolation(
                f"{request.method} {request.url} answered what openapi.yaml does not describe:\n  {shown}"
            )


_CONTRACTS: "weakref.WeakKeyDictionary[FastAPI, Contract]" = weakref.WeakKeyDictionary()


def contract_for(app: FastAPI) -> Contract:
    """The app's contract, read once per app."""
    if app not in _CONTRACTS:
        _CONTRACTS[app] = Contract(app)
    return _CONTRACTS[app]
