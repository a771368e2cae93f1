"""API key rows."""

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

import asyncpg
from sqlalchemy import insert, update
from sqlalchemy.ext.asyncio import AsyncSession

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


async def list_keys(conn: asyncpg.Pool | asyncpg.Connection, *, after: uuid.UUID | None, limit: int) -> list[KeyRow]:
    rows = await conn.fetch(f"SELECT {_COLUMNS} FROM api_keys WHERE ($1::uuid IS NULL OR id > $1) ORDER BY id "
                            "LIMIT $2", after, limit)
    return [KeyRow(**dict(r)) for r in rows]


async def revoke_key(session: AsyncSession, key_uuid: uuid.UUID) -> None:
    await session.execute(update(KEYS).where(KEYS.c.id == key_uuid, KEYS.c.revoked_at.is_(None))
                          .values(revoked_at=datetime.now().astimezone()))


async def any_key(conn: asyncpg.Pool | asyncpg.Connection) -> bool:
    found: bool = await conn.fetchval("SELECT EXISTS (SELECT 1 FROM api_keys WHERE revoked_at IS NULL)")
    return found
