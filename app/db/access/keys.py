"""API key rows."""

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from app.db.scope import Scope, path_in_scope, scope_ranges, with_ctes
from app.db.sql import Querier, Sql, execute, fetch, fetchrow, fetchval


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
    version: int


_KEY = Sql(
    "SELECT k.id, k.key_id, k.secret_hash, k.name, k.role, k.scopes, k.pii, k.created_at, k.created_by, "
    "k.expires_at, k.revoked_at, k.last_used_at, k.version FROM api_keys k"
)


async def find_key(conn: Querier, key_id: str) -> KeyRow | None:
    row = await fetchrow(conn, Sql("{key} WHERE k.key_id = {key_id}", key=_KEY, key_id=key_id))
    return KeyRow(**dict(row)) if row is not None else None


async def touch_key(conn: Querier, key_id: str, at: datetime) -> None:
    await execute(conn, Sql("UPDATE api_keys SET last_used_at = {at} WHERE key_id = {key_id}", at=at, key_id=key_id))


async def insert_key(
    conn: Querier,
    *,
    key_id: str,
    secret_hash: bytes,
    name: str,
    role: str,
    scopes: Sequence[uuid.UUID],
    pii: bool,
    created_by: str | None,
    expires_at: datetime | None,
) -> uuid.UUID:
    new_id: uuid.UUID = await fetchval(
        conn,
        Sql(
            "INSERT INTO api_keys (key_id, secret_hash, name, role, scopes, pii, created_by, expires_at) "
            "VALUES ({key_id}, {hash}, {name}, {role}, {scopes}::uuid[], {pii}, {by}, {expires}) RETURNING id",
            key_id=key_id,
            hash=secret_hash,
            name=name,
            role=role,
            scopes=list(scopes),
            pii=pii,
            by=created_by,
            expires=expires_at,
        ),
    )
    return new_id


async def get_key(conn: Querier, key_uuid: uuid.UUID) -> KeyRow | None:
    row = await fetchrow(conn, Sql("{key} WHERE k.id = {id}", key=_KEY, id=key_uuid))
    return KeyRow(**dict(row)) if row is not None else None


async def list_keys(conn: Querier, *, scope: Scope, after: uuid.UUID | None, limit: int) -> list[KeyRow]:
    """Keys in id order; for a scoped caller, the keys whose every scope lies inside its own."""
    where = [Sql("({after}::uuid IS NULL OR k.id > {after})", after=after)]
    if not scope.whole_tree:
        where.append(
            Sql(
                """cardinality(k.scopes) > 0 AND NOT EXISTS (
            SELECT 1 FROM unnest(k.scopes) s(id) WHERE NOT EXISTS (
                SELECT 1 FROM organization_placements p
                WHERE p.organization_id = s.id AND p.latest AND {inside}))""",
                inside=path_in_scope(scope, "p.path"),
            )
        )
    rows = await fetch(
        conn,
        Sql(
            "{with_} {key} WHERE {where} ORDER BY k.id LIMIT {limit}",
            with_=with_ctes(scope_ranges(scope, None)),
            key=_KEY,
            where=Sql.all(where),
            limit=limit,
        ),
    )
    return [KeyRow(**dict(r)) for r in rows]


async def revoke_key(conn: Querier, key_uuid: uuid.UUID) -> None:
    await execute(
        conn,
        Sql(
            "UPDATE api_keys SET revoked_at = now(), version = version + 1 WHERE id = {id} AND revoked_at IS NULL",
            id=key_uuid,
        ),
    )


async def any_key(conn: Querier) -> bool:
    found: bool = await fetchval(conn, Sql("SELECT EXISTS (SELECT 1 FROM api_keys WHERE revoked_at IS NULL)"))
    return found


async def find_key_uuid(conn: Querier, ref: str) -> uuid.UUID | None:
    """The id of a key named by its id or its key_id."""
    found: uuid.UUID | None = await fetchval(
        conn, Sql("SELECT id FROM api_keys WHERE id::text = {ref} OR key_id = {ref}", ref=ref)
    )
    return found
