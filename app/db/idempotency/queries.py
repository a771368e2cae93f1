"""The stored answers of writes sent with an `Idempotency-Key`, all read and written on the request's connection."""

from typing import Any

import orjson

from app.db.sql import Querier, Record, Sql, execute, fetchrow, fetchval

# The advisory-lock class (the first of the two-int4 key space, apart from the single-bigint locks used elsewhere)
# of "a request with this key is running".
LOCK_CLASS = 0x1DE4


async def try_lock(conn: Querier, *, caller: str, key: str) -> bool:
    """Whether this transaction now holds the key (until it ends); False at once when another one holds it. A hash
    collision between two keys running at the same moment would make one of them wait for a retry, nothing worse."""
    locked: bool = await fetchval(
        conn,
        Sql(
            "SELECT pg_try_advisory_xact_lock({cls}, hashtext({caller} || chr(31) || {key}))",
            cls=LOCK_CLASS,
            caller=caller,
            key=key,
        ),
    )
    return locked


async def find(conn: Querier, *, caller: str, key: str) -> Record | None:
    """The stored answer of the key, unless it has expired (an expired key is a new one)."""
    return await fetchrow(
        conn,
        Sql(
            "SELECT method, path, body_sha256, status, headers::text AS headers, body FROM idempotency_keys "
            "WHERE caller = {caller} AND key = {key} AND expires_at > now()",
            caller=caller,
            key=key,
        ),
    )


async def store(
    conn: Querier,
    *,
    caller: str,
    key: str,
    method: str,
    path: str,
    body_sha256: bytes,
    status: int,
    headers: list[tuple[str, str]],
    body: bytes,
    ttl_hours: int,
) -> None:
    """The answer kept for `ttl_hours` (an expired row of the same key is replaced)."""
    await execute(
        conn,
        Sql(
            "INSERT INTO idempotency_keys "
            "(caller, key, method, path, body_sha256, status, headers, body, expires_at) "
            "VALUES ({caller}, {key}, {method}, {path}, {sha}, {status}, {headers}::jsonb, {body}, "
            "now() + make_interval(hours => {ttl})) "
            "ON CONFLICT (caller, key) DO UPDATE SET method = excluded.method, path = excluded.path, "
            "body_sha256 = excluded.body_sha256, status = excluded.status, headers = excluded.headers, "
            "body = excluded.body, created_at = excluded.created_at, expires_at = excluded.expires_at",
            caller=caller,
            key=key,
            method=method,
            path=path,
            sha=body_sha256,
            status=status,
            headers=orjson.dumps(headers).decode(),
            body=body,
            ttl=ttl_hours,
        ),
    )


async def forget_expired(conn: Querier, *, limit: int = 100) -> int:
    """Up to `limit` expired keys deleted; rows another transaction is deleting are skipped, never waited for."""
    status = await execute(
        conn,
        Sql(
            "DELETE FROM idempotency_keys WHERE (caller, key) IN (SELECT caller, key FROM idempotency_keys "
            "WHERE expires_at <= now() LIMIT {limit} FOR UPDATE SKIP LOCKED)",
            limit=limit,
        ),
    )
    return int(status.rsplit(" ", 1)[-1])


def headers_of(row: Record) -> list[tuple[str, str]]:
    pairs: list[Any] = orjson.loads(row["headers"])
    return [(str(name), str(value)) for name, value in pairs]
