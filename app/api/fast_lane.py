"""A fast lane for the hottest reads (one organisation, its ancestors).

FastAPI's per-request work (parameter solving, dependency graph) costs more CPU than the database round trip of
these reads. For requests of the common shape (a well-formed id, at most `as_of`), the lane authenticates, parses
those two parameters and calls the very same endpoint function; any other shape (a malformed id, an unknown
parameter) falls through to the FastAPI route, which validates and answers as usual. The lane adds no behaviour:
the endpoint, the scope and the errors are the route's own, and so are the ETag and If-None-Match (304), finished by
the same `conditional.finish` as the route class's."""

import re
import uuid
from collections.abc import Awaitable, Callable
from datetime import date

from fastapi import FastAPI
from fastapi.routing import APIRoute
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route
from starlette.types import Receive, Scope, Send

from app.api import conditional
from app.api.auth import Reader, authenticate
from app.api.routing import flat_routes
from app.api.types import DATE_RANGE
from app.domain.access.callers import Permission
from app.domain.access.keys import AccessCache

_ALLOWED_QUERY = frozenset({"as_of"})
_ISO_DATE = re.compile(r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$")


class _FallThrough(Exception):
    pass


def _day(text: str) -> date:
    earliest, latest = DATE_RANGE.get()
    if not _ISO_DATE.match(text) or not earliest <= (day := date.fromisoformat(text)) <= latest:
        raise ValueError(text)
    return day


def _lane(route: APIRoute) -> Callable[[Request], Awaitable[Response]]:
    endpoint: Callable[..., Awaitable[Response]] = route.endpoint

    async def fast(request: Request) -> Response:
        query = request.query_params
        if not _ALLOWED_QUERY.issuperset(query.keys()) or len(query) != len(query.multi_items()):
            raise _FallThrough
        try:
            org_id = uuid.UUID(request.path_params["organization_id"])
            as_of = _day(query["as_of"]) if "as_of" in query else None
        except ValueError:
            raise _FallThrough from None  # the route answers with the validation error
        caller = request.state.caller = await authenticate(request)
        caller.require(Permission.read)
        cache: AccessCache = request.app.state.access
        reader = Reader(pool=request.app.state.pool, scope=await cache.scope_of(caller), caller=caller)
        return conditional.finish(request, await endpoint(organization_id=org_id, reader=reader, as_of=as_of))

    return fast


class FastLaneRoute(Route):
    """Serves the common shape through the lane, everything else through the FastAPI route it shadows."""

    def __init__(self, route: APIRoute) -> None:
        super().__init__(route.path, _lane(route), methods=sorted(route.methods or ()), include_in_schema=False)
        self.route = route

    async def handle(self, scope: Scope, receive: Receive, send: Send) -> None:
        try:
            await super().handle(scope, receive, send)
        except _FallThrough:
            await self.route.handle(scope, receive, send)


def install(app: FastAPI, *, names: set[str]) -> None:
    """Put a fast lane in front of the named GET routes (they keep their place in the OpenAPI document)."""
    for route in flat_routes(app.routes):
        if isinstance(route, APIRoute) and route.name in names:
            app.router.routes.insert(0, FastLaneRoute(route))
