"""What every request goes through before its parameters are validated: text PostgreSQL cannot store, bodies that
are not JSON, JSON that cannot be parsed, and query parameters the operation does not take.

PostgreSQL text cannot hold NUL (U+0000), and a lone UTF-16 surrogate (U+D800–U+DFFF, valid as a JSON escape)
cannot be encoded as UTF-8: either would fail deep inside a write. They are refused here, field by field, for
every operation at once."""

import json
from collections.abc import Iterator
from typing import Any

import orjson
from fastapi.exceptions import RequestValidationError
from fastapi.routing import APIRoute
from starlette.exceptions import HTTPException
from starlette.requests import Request

from app.api.routing import flat_routes, shadowing
from app.domain.errors import DomainError


class MalformedBody(DomainError):
    """The body cannot be read as JSON at all (400)."""

    code = "invalid_json"
    title = "Malformed request body"


class UnsupportedMediaType(DomainError):
    """The body is not JSON where the operation takes JSON (415)."""

    code = "unsupported_media_type"
    title = "Unsupported media type"


_FORBIDDEN_TEXT = "contains a character that cannot be stored (NUL, or a lone UTF-16 surrogate)"


def unstorable(text: str) -> bool:
    """Whether PostgreSQL text cannot hold this string."""
    return "\x00" in text or any("\ud800" <= c <= "\udfff" for c in text)


def _strings(value: Any, loc: tuple[str | int, ...]) -> Iterator[tuple[tuple[str | int, ...], str]]:
    """Every string of a JSON document (object keys included) with where it is, without recursion."""
    stack: list[tuple[Any, tuple[str | int, ...]]] = [(value, loc)]
    while stack:
        item, where = stack.pop()
        if isinstance(item, str):
            yield where, item
        elif isinstance(item, dict):
            for key, inner in item.items():
                yield (*where, key), key
                stack.append((inner, (*where, key)))
        elif isinstance(item, list):
            stack.extend((inner, (*where, i)) for i, inner in enumerate(item))


def _no_constants(name: str) -> Any:
    raise ValueError(f"{name} is not a JSON number")


def _parse_json(body: bytes) -> Any:
    """Strict JSON (RFC 8259: no NaN, no Infinity, depth ≤ 1024, UTF-8). A lone surrogate escape is valid JSON
    syntax that orjson refuses: such a document is read again by the standard parser, so that the field holding
    it can be named."""
    try:
        return orjson.loads(body)
    except orjson.JSONDecodeError as strict:
        if "surrogate" not in str(strict):
            raise MalformedBody(f"The body is not valid JSON: {strict}. Send a JSON document.") from None
        try:
            return json.loads(body, parse_constant=_no_constants)
        except (ValueError, RecursionError):
            raise MalformedBody(f"The body is not valid JSON: {strict}. Send a JSON document.") from None


def _is_json(content_type: str | None) -> bool:
    if not content_type:
        return False
    media = content_type.split(";", 1)[0].strip().lower()
    return media == "application/json" or (media.startswith("application/") and media.endswith("+json"))


def _query_names(route: APIRoute) -> set[str]:
    names: set[str] = set()
    stack = [route.dependant]
    while stack:
        dependant = stack.pop()
        names |= {p.alias for p in dependant.query_params}
        stack.extend(dependant.dependencies)
    return names


class Screen:
    """The checks for one route (its query parameter names are worked out once)."""

    def __init__(self, route: APIRoute) -> None:
        self.route = route
        self.takes_json = route.body_field is not None
        self.query_names = _query_names(route)
        self.shadows: list[Any] | None = None

    async def __call__(self, request: Request) -> None:
        if self.shadows is None:
            self.shadows = shadowing(self.route, flat_routes(request.app.router.routes))
        if any(s.path_regex.match(request.url.path) for s in self.shadows):
            # `PATCH /organizations/merge` is not a PATCH of an organisation called "merge": that path is the merge
            # operation's, which does not take PATCH.
            raise HTTPException(405)
        errors: list[dict[str, Any]] = []
        for key, value in request.query_params.multi_items():
            if key not in self.query_names:
                known = ", ".join(sorted(self.query_names)) or "none"
                errors.append(
                    {
                        "type": "unknown_parameter",
                        "loc": ("query", key),
                        "msg": f"this operation takes no parameter {key!r} (it takes: {known})",
                    }
                )
            elif unstorable(value) or unstorable(key):
                errors.append({"type": "unstorable_text", "loc": ("query", key), "msg": _FORBIDDEN_TEXT})
        for name, value in request.path_params.items():
            if isinstance(value, str) and unstorable(value):
                errors.append({"type": "unstorable_text", "loc": ("path", name), "msg": _FORBIDDEN_TEXT})
        if self.takes_json:
            body = await request.body()
            if body:
                if not _is_json(request.headers.get("content-type")):
                    raise UnsupportedMediaType(
                        "This operation takes a JSON body: send it with `Content-Type: application/json` (with "
                        "curl: -H 'Content-Type: application/json')."
                    )
                document = _parse_json(body)
                errors += [
                    {"type": "unstorable_text", "loc": loc, "msg": _FORBIDDEN_TEXT}
                    for loc, text in _strings(document, ("body",))
                    if unstorable(text)
                ]
                # FastAPI reads the body through Request.json(), which keeps what it parsed here: parsed once, and
                # strictly (the standard parser would accept NaN and Infinity).
                request._json = document
        if errors:
            raise RequestValidationError(errors)
