"""API key rows."""

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

import asyncpg
from sqlalchemy import insert, update
from sqlalchemy.ext.asyncio import AsyncSession

from app.db.scope import Scope, path_in_scope, scope_sql
from app.db.sql import Params, Querier
from app.db.tables import ApiKey

KEYS = ApiKey.__table__  # type: ignore[attr-defined]


@dataclass(frozen=True)
class KeyRow:
    id: uuid.UUID
    key_id: str
    secret_hash: bytes
    name: str
    role: str
    scopes: list[uuid.UUID]
    pii: bool
    created_at: datetime
    created_by: str | None
    expires_at: datetime | None
    revoked_at: datetime | None
    last_used_at: datetime | None


_COLUMNS = "id, key_id, secret_hash, name, role, scopes, pii, created_at, created_by, expires_at, revoked_at, " \
           "last_used_at"


async def find_key(conn: asyncpg.Pool | asyncpg.Connection, key_id: str) -> KeyRow | None:
    row = await conn.fetchrow(f"SELECT {_COLUMNS} FROM api_keys WHERE key_id = $1", key_id)
    return KeyRow(**dict(row)) if row is not None else None


async def touch_key(conn: asyncpg.Pool | asyncpg.Connection, key_id: str, at: datetime) -> None:
    await conn.execute("UPDATE api_keys SET last_used_at = $2 WHERE key_id = $1", key_id, at)


async def insert_key(session: AsyncSession, *, key_id: str, secret_hash: bytes, name: str, role: str,
                     scopes: Sequence[uuid.UUID], pii: bool, created_by: str | None,
                     expires_at: datetime | None) -> uuid.UUID:
    new_id: uuid.UUID = (await session.execute(insert(KEYS).values(
        key_id=key_id, secret_hash=secret_hash, name=name, role=role, scopes=list(scopes), pii=pii,
        created_by=created_by, expires_at=expires_at).returning(KEYS.c.id))).scalar_one()
    return new_id


async def get_key(conn: asyncpg.Pool | asyncpg.Connection, key_uuid: uuid.UUID) -> KeyRow | None:
    row = await conn.fetchrow(f"SELECT {_COLUMNS} FROM api_keys WHERE id = $1", key_uuid)
    return KeyRow(**dict(row)) if row is not None else None


async def list_keys(conn: Querier, *, scope: Scope, after: uuid.UUID | None, limit: int) -> list[KeyRow]:
    """Keys in id order; for a scoped caller, the keys whose every scope lies inside its own."""
    params = Params()
    cte, _ = scope_sql(params, scope, None)
    where = [f"({params(after)}::uuid IS NULL OR k.id > {params(after)})"]
    if not scope.whole_tree:
        where.append(f"""cardinality(k.scopes) > 0 AND NOT EXISTS (
            SELECT 1 FROM unnest(k.scopes) s(id) WHERE NOT EXISTS (
                SELECT 1 FROM organization_placements p
                WHERE p.organization_id = s.id AND p.latest AND {path_in_scope('p.path')}))""")
    rows = await conn.fetch(f"{'WITH ' + cte if cte else ''} SELECT {_COLUMNS} FROM api_keys k "
                            f"WHERE {' AND '.join(where)} ORDER BY k.id LIMIT {params(limit)}", *params.values)
    return [KeyRow(**dict(r)) for r in rows]


async def revoke_key(session: AsyncSession, key_uuid: uuid.UUID) -> None:
    await session.execute(update(KEYS).where(KEYS.c.id == key_uuid, KEYS.c.revoked_at.is_(None))
                          .values(revoked_at=datetime.now().astimezone()))


async def any_key(conn: asyncpg.Pool | asyncpg.Connection) -> bool:
    found: bool = await conn.fetchval("SELECT EXISTS (SELECT 1 FROM api_keys WHERE revoked_at IS NULL)")
    return found
