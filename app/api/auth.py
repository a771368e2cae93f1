"""Authentication and authorisation as chained dependencies. Every /api/v1 route requires `authenticate`
(set on the routers in app/main.py, and checked by a test that walks the routes); reads get the caller's scope
through `Reader`, writes get it with the actor through `Writer`, so no route handles credentials itself."""

from dataclasses import dataclass
from typing import Annotated

import asyncpg
from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from sqlalchemy.ext.asyncio import AsyncSession

from app.api.deps import Transaction
from app.api.request_context import current_request_id
from app.db.scope import Scope
from app.domain.access import Actor, Caller, Permission, Unauthenticated
from app.domain.keys import AccessCache
from app.domain.tokens import JwtConfig, caller_from_jwt

bearer = HTTPBearer(auto_error=False, scheme_name="bearer",
                    description="An API key (`coso_…`) or a JWT from the configured identity provider.")


async def authenticate(request: Request,
                       credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)]) -> Caller:
    if credentials is None or not credentials.credentials:
        raise Unauthenticated("This API needs credentials: send `Authorization: Bearer <API key or JWT>`.")
    token = credentials.credentials
    cache: AccessCache = request.app.state.access
    if token.count(".") == 2:
        config: JwtConfig = request.app.state.jwt
        return await caller_from_jwt(token, config)
    return await cache.caller_for_key(token)


CallerDep = Annotated[Caller, Depends(authenticate)]


async def access_cache(request: Request) -> AccessCache:
    cache: AccessCache = request.app.state.access
    return cache


AccessCacheDep = Annotated[AccessCache, Depends(access_cache)]


async def caller_scope(request: Request, caller: CallerDep) -> Scope:
    cache: AccessCache = request.app.state.access
    return await cache.scope_of(caller)


ScopeDep = Annotated[Scope, Depends(caller_scope)]


@dataclass(frozen=True)
class Reader:
    """What a read needs: where to read from, and what the caller may see."""

    pool: asyncpg.Pool
    scope: Scope
    caller: Caller


def _reader(permission: Permission) -> object:
    # Few dependency nodes on the hot read path: each one costs FastAPI work on every request.
    async def dependency(request: Request, caller: CallerDep) -> Reader:
        caller.require(permission)
        cache: AccessCache = request.app.state.access
        return Reader(pool=request.app.state.db.pool, scope=await cache.scope_of(caller), caller=caller)

    return dependency


@dataclass(frozen=True)
class Writer:
    """What a write needs: the request's transaction, who is writing (for the audit log), and its scope."""

    session: AsyncSession
    actor: Actor
    scope: Scope


def _writer(permission: Permission) -> object:
    async def dependency(session: Transaction, caller: CallerDep, scope: ScopeDep) -> Writer:
        caller.require(permission)
        return Writer(session=session, actor=Actor(caller=caller, request_id=current_request_id()), scope=scope)

    return dependency


ReaderDep = Annotated[Reader, Depends(_reader(Permission.read))]
EditorDep = Annotated[Writer, Depends(_writer(Permission.write))]
ReorganizerDep = Annotated[Writer, Depends(_writer(Permission.reorganize))]
KeyAdminDep = Annotated[Writer, Depends(_writer(Permission.manage_keys))]
KeyReaderDep = Annotated[Reader, Depends(_reader(Permission.manage_keys))]
AuditorDep = Annotated[Reader, Depends(_reader(Permission.read_audit))]
