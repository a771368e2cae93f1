"""Authentication and authorisation. Every /api/v1 route is an `AuthenticatedRoute` (set on the routers in
app/main.py, and checked by a test that walks the routes): the caller is established before any dependency or
endpoint runs, and a request without valid credentials never reaches them. Reads then get the caller's scope
through `Reader`, writes get it with the actor through `Writer`, so no route handles credentials itself.

This is a route class rather than a dependency on purpose: it is one mechanism that cannot be left out of a route
of these routers, and it keeps FastAPI's per-request dependency solving off the hot read path."""

from collections.abc import Callable, Coroutine
from dataclasses import dataclass
from typing import Annotated, Any

import asyncpg
from fastapi import APIRouter, Depends, Request
from fastapi.routing import APIRoute
from starlette.responses import Response

from app.api import conditional
from app.api.deps import Transaction
from app.api.hygiene import Screen
from app.api.idempotency import retries
from app.api.request_context import current_request_id
from app.domain.access.callers import Actor, Caller, Permission, Scope, Unauthenticated
from app.domain.access.keys import AccessCache
from app.domain.access.tokens import JwtConfig, caller_from_jwt
from app.domain.tx import Tx

BEARER_SCHEME = {
    "type": "http",
    "scheme": "bearer",
    "description": "An API key (`coso_…`) or a JWT from the configured identity provider.",
}


async def authenticate(request: Request) -> Caller:
    scheme, _, token = request.headers.get("authorization", "").partition(" ")
    token = token.strip()
    if scheme.lower() != "bearer" or not token:
        raise Unauthenticated("This API needs credentials: send `Authorization: Bearer <API key or JWT>`.")
    if token.count(".") == 2:
        config: JwtConfig = request.app.state.jwt
        return await caller_from_jwt(token, config)
    cache: AccessCache = request.app.state.access
    return await cache.caller_for_key(token)


class AuthenticatedRoute(APIRoute):
    """A route whose handler first establishes the caller (401 problem otherwise), whose answer's ETag names the
    representation that caller got (app/api/conditional.py: If-None-Match → 304), and whose writes honour an
    `Idempotency-Key` (app/api/idempotency/retries.py)."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()
        screen = Screen(self)

        async def authenticated(request: Request) -> Response:
            request.state.caller = caller = await authenticate(request)
            attempt = retries.begin(request, caller) if request.method in retries.WRITES else None
            await screen(request)
            if attempt is None:
                return conditional.finish(request, await handler(request))
            try:
                response = conditional.finish(request, await handler(request))
            except retries.Replayed as replayed:
                return replayed.response()
            # The request's transaction is still open here: it commits when this function returns.
            await retries.finish(attempt, response, ttl_hours=request.app.state.settings.idempotency_ttl_hours)
            return response

        return authenticated


def api_router(prefix: str, tag: str) -> APIRouter:
    """The router every /api/v1 resource uses: its routes are AuthenticatedRoutes."""
    return APIRouter(prefix=prefix, tags=[tag], route_class=AuthenticatedRoute)


async def current_caller(request: Request) -> Caller:
    caller: Caller = request.state.caller
    return caller


CallerDep = Annotated[Caller, Depends(current_caller)]


async def access_cache(request: Request) -> AccessCache:
    cache: AccessCache = request.app.state.access
    return cache


AccessCacheDep = Annotated[AccessCache, Depends(access_cache)]


async def caller_scope(request: Request) -> Scope:
    cache: AccessCache = request.app.state.access
    return await cache.scope_of(request.state.caller)


ScopeDep = Annotated[Scope, Depends(caller_scope)]


@dataclass(frozen=True)
class Reader:
    """What a read needs: where to read from, and what the caller may see."""

    pool: asyncpg.Pool
    scope: Scope
    caller: Caller


def _reader(permission: Permission) -> object:
    # Few dependency nodes on the hot read path: each one costs FastAPI work on every request.
    async def dependency(request: Request) -> Reader:
        caller: Caller = request.state.caller
        caller.require(permission)
        cache: AccessCache = request.app.state.access
        return Reader(pool=request.app.state.pool, scope=await cache.scope_of(caller), caller=caller)

    return dependency


@dataclass(frozen=True)
class Writer:
    """What a write needs: the request's transaction, who is writing (for the audit log), and its scope."""

    tx: Tx
    actor: Actor
    scope: Scope


def _writer(permission: Permission) -> object:
    async def dependency(tx: Transaction, caller: CallerDep, scope: ScopeDep) -> Writer:
        caller.require(permission)
        return Writer(tx=tx, actor=Actor(caller=caller, request_id=current_request_id()), scope=scope)

    return dependency


ReaderDep = Annotated[Reader, Depends(_reader(Permission.read))]
EditorDep = Annotated[Writer, Depends(_writer(Permission.write))]
ReorganizerDep = Annotated[Writer, Depends(_writer(Permission.reorganize))]
KeyAdminDep = Annotated[Writer, Depends(_writer(Permission.manage_keys))]
KeyReaderDep = Annotated[Reader, Depends(_reader(Permission.manage_keys))]
AuditorDep = Annotated[Reader, Depends(_reader(Permission.read_audit))]
