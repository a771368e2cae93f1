"""API keys: creating, listing, revoking, and checking them on every request (with a short in-process cache,
so a request costs no database round trip for its credentials)."""

import asyncio
import logging
import time
import uuid
from collections.abc import Coroutine, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import asyncpg

from app.db.access import keys as db
from app.db.organizations import reads as org_reads
from app.db.scope import WHOLE_TREE, Scope, outside_scope, widen_with_predecessors
from app.db.sql import Querier
from app.domain.access.callers import (
    Actor,
    Caller,
    Forbidden,
    Role,
    Unauthenticated,
    generate_key,
    secret_matches,
    split_key,
)
from app.domain.audit import service as audit
from app.domain.errors import NotFound, RuleViolation
from app.domain.pagination import Page, Paging
from app.domain.tx import Tx
from app.domain.versions import check_version

log = logging.getLogger("coso.keys")

_INVALID = "The API key is invalid, revoked or expired."
TOUCH_EVERY = timedelta(minutes=1)


@dataclass
class _Cached:
    row: db.KeyRow | None
    loaded: float


class AccessCache:
    """Key rows and widened scopes, kept `ttl` seconds. Revocation through this process takes effect at once;
    through another process, within `ttl`."""

    def __init__(self, pool: asyncpg.Pool, *, ttl: float) -> None:
        self.pool = pool
        self.ttl = ttl
        self._keys: dict[str, _Cached] = {}
        self._scopes: dict[tuple[uuid.UUID, ...], tuple[Scope, float]] = {}
        self._tasks: set[asyncio.Task[None]] = set()

    async def caller_for_key(self, token: str) -> Caller:
        parts = split_key(token)
        if parts is None:
            raise Unauthenticated(_INVALID)
        key_id, secret = parts
        now = time.monotonic()
        cached = self._keys.get(key_id)
        if cached is None or now - cached.loaded > self.ttl:
            cached = _Cached(await db.find_key(self.pool, key_id), now)
            self._keys[key_id] = cached
        row = cached.row
        if not secret_matches(secret, row.secret_hash if row else None) or row is None:
            raise Unauthenticated(_INVALID)
        wall = datetime.now(UTC)
        if row.revoked_at is not None or (row.expires_at is not None and row.expires_at <= wall):
            raise Unauthenticated(_INVALID)
        if row.last_used_at is None or wall - row.last_used_at > TOUCH_EVERY:
            cached.row = db.KeyRow(**{**row.__dict__, "last_used_at": wall})
            self._spawn(self._touch(key_id, wall))
        return Caller(
            kind="key", id=row.key_id, name=row.name, role=Role(row.role), scopes=tuple(row.scopes), pii=row.pii
        )

    async def scope_of(self, caller: Caller) -> Scope:
        if caller.whole_tree:
            return WHOLE_TREE
        now = time.monotonic()
        hit = self._scopes.get(caller.scopes)
        if hit is None or now - hit[1] > self.ttl:
            hit = (Scope(roots=await widen_with_predecessors(self.pool, caller.scopes)), now)
            self._scopes[caller.scopes] = hit
        return hit[0]

    def forget(self, key_id: str | None = None) -> None:
        """Drop cached keys (one, or all) and scopes: after a revocation or a reorganisation."""
        if key_id is None:
            self._keys.clear()
        else:
            self._keys.pop(key_id, None)
        self._scopes.clear()

    def _spawn(self, coro: Coroutine[Any, Any, None]) -> None:
        task = asyncio.create_task(coro)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _touch(self, key_id: str, at: datetime) -> None:
        try:
            await db.touch_key(self.pool, key_id, at)
        except (OSError, asyncpg.PostgresError, asyncpg.InterfaceError) as exc:  # best effort: never fail a read
            log.warning("could not record the last use of key %s: %s", key_id, exc.__class__.__name__)


@dataclass(frozen=True)
class CreatedKey:
    id: uuid.UUID
    token: str


async def create_key(
    tx: Tx,
    *,
    actor: Actor,
    scope: Scope,
    name: str,
    role: Role,
    scopes: Sequence[uuid.UUID],
    pii: bool,
    expires_at: datetime | None,
) -> CreatedKey:
    """A new key; its secret is returned once and only its hash is kept. An administrator can only hand out what
    it has: scopes inside its own, and `pii` only if it has it."""
    creator = actor.caller
    if pii and not creator.pii:
        raise Forbidden("You cannot create a key with the pii permission without having it yourself.")
    if not scopes and not creator.whole_tree:
        raise Forbidden(
            "A key covering the whole tree can only be created by a caller covering the whole tree; give `scopes`."
        )
    conn = tx.conn
    # A unit that does not exist and one outside the creator's scope are the same to the creator.
    unknown = await outside_scope(conn, scope, list(scopes))
    if unknown:
        raise RuleViolation(
            f"No organisation with id {', '.join(sorted(map(str, unknown)))} exists within your "
            "scope; a key covers units of your own scope only.",
            code="unknown_scope",
        )
    if expires_at is not None and expires_at <= datetime.now(UTC):
        raise RuleViolation("`expires_at` must be in the future.", code="expired_on_creation")
    new = generate_key()
    key_uuid = await db.insert_key(
        tx.conn,
        key_id=new.key_id,
        secret_hash=new.secret_hash,
        name=name,
        role=role.value,
        scopes=sorted(set(scopes)),
        pii=pii,
        created_by=creator.id,
        expires_at=expires_at,
    )
    await audit.record(
        tx,
        actor,
        action="create",
        entity="api_key",
        entity_id=key_uuid,
        organization_id=None,
        before=None,
        after={
            "id": key_uuid,
            "key_id": new.key_id,
            "name": name,
            "role": role.value,
            "scopes": sorted(set(scopes)),
            "pii": pii,
            "expires_at": expires_at,
        },
    )
    return CreatedKey(id=key_uuid, token=new.token)


async def revoke_key(
    tx: Tx, *, actor: Actor, scope: Scope, key_uuid: uuid.UUID, cache: AccessCache, expected_version: int | None = None
) -> db.KeyRow:
    conn = tx.conn
    row = await visible_key(conn, scope=scope, key_uuid=key_uuid)
    await check_version(tx, "api_keys", key_uuid, expected_version, "The key")
    if row.revoked_at is None:
        await db.revoke_key(tx.conn, key_uuid)
        await audit.record(
            tx,
            actor,
            action="revoke",
            entity="api_key",
            entity_id=key_uuid,
            organization_id=None,
            before={"id": key_uuid, "revoked_at": None},
            after={"id": key_uuid, "revoked": True},
            diff=False,
        )
    else:
        audit.unchanged(tx)  # revoking a revoked key changes nothing (and answers as the first time did)
    cache.forget(row.key_id)
    refreshed = await db.get_key(conn, key_uuid)
    assert refreshed is not None
    return refreshed


async def visible_key(conn: asyncpg.Pool | asyncpg.Connection, *, scope: Scope, key_uuid: uuid.UUID) -> db.KeyRow:
    """A key the caller may see: all of them for a whole-tree admin, otherwise keys within its scope."""
    row = await db.get_key(conn, key_uuid)
    if row is None or not await _covers(conn, scope, row):
        raise NotFound(f"No API key with id {key_uuid} exists.", code="key_not_found")
    return row


async def list_keys(pool: asyncpg.Pool, *, scope: Scope, paging: Paging) -> Page[db.KeyRow]:
    position = paging.after("keys")
    rows = await db.list_keys(
        pool, scope=scope, after=uuid.UUID(position["a"]) if position else None, limit=paging.fetch
    )
    return paging.page(rows, kind="keys", position=lambda r: {"a": str(r.id)})


async def _covers(conn: asyncpg.Pool | asyncpg.Connection, scope: Scope, row: db.KeyRow) -> bool:
    if scope.whole_tree:
        return True
    return bool(row.scopes) and not await outside_scope(conn, scope, row.scopes)


async def bootstrap_local_admin(pool: asyncpg.Pool, tx: Tx) -> str | None:
    """On an empty embedded database, one local admin key (the caller logs it loudly). Never on a real server."""
    if await db.any_key(pool):
        return None
    new = await create_key(
        tx,
        actor=Actor(caller=_BOOTSTRAP),
        scope=WHOLE_TREE,
        name="local admin (embedded)",
        role=Role.admin,
        scopes=[],
        pii=True,
        expires_at=None,
    )
    return new.token


_BOOTSTRAP = Caller(kind="system", id="bootstrap", name="coso serve (embedded database)", role=Role.admin, pii=True)


# --- what the API serves (never the secret hash; the secret itself once, on creation) ------------------------------


def public(row: db.KeyRow) -> dict[str, Any]:
    return {k: v for k, v in row.__dict__.items() if k != "secret_hash"}


async def issue_key(
    tx: Tx,
    *,
    actor: Actor,
    scope: Scope,
    name: str,
    role: Role,
    scopes: Sequence[uuid.UUID],
    pii: bool,
    expires_at: datetime | None,
) -> dict[str, Any]:
    """A new key as served: its record and, this once, the secret key."""
    created = await create_key(
        tx, actor=actor, scope=scope, name=name, role=role, scopes=scopes, pii=pii, expires_at=expires_at
    )
    return {**public(await visible_key(tx.conn, scope=scope, key_uuid=created.id)), "key": created.token}


async def key_page(pool: asyncpg.Pool, *, scope: Scope, paging: Paging) -> Page[dict[str, Any]]:
    page = await list_keys(pool, scope=scope, paging=paging)
    return Page(items=[public(r) for r in page.items], next_cursor=page.next_cursor)


async def read_key(pool: asyncpg.Pool, *, scope: Scope, key_uuid: uuid.UUID) -> dict[str, Any]:
    return public(await visible_key(pool, scope=scope, key_uuid=key_uuid))


async def revoke(
    tx: Tx, *, actor: Actor, scope: Scope, key_uuid: uuid.UUID, cache: AccessCache, expected_version: int | None = None
) -> dict[str, Any]:
    return public(
        await revoke_key(
            tx, actor=actor, scope=scope, key_uuid=key_uuid, cache=cache, expected_version=expected_version
        )
    )


async def list_all_keys(conn: Querier) -> list[db.KeyRow]:
    return await db.list_keys(conn, scope=WHOLE_TREE, after=None, limit=100_000)


async def find_key_uuid(conn: Querier, ref: str) -> uuid.UUID | None:
    """A key named by its id or its key_id."""
    return await db.find_key_uuid(conn, ref)


async def find_organization_id(conn: Querier, ref: str) -> uuid.UUID | None:
    """An organisation named by its id or its code."""
    return await org_reads.find_id(conn, ref)
