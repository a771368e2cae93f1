"""What the worker delivering webhooks reads and writes: which subscriptions have something to deliver, the one
lock that keeps a subscription's deliveries in order, the batch in flight and the outcome of each attempt. Every
statement is short and on its own (no transaction is held while a receiver is called: a transaction with an id
would hold back the change feed's horizon for everyone)."""

import uuid
from datetime import datetime

import asyncpg

from app.db.sql import Querier, Record, Sql, execute, fetch, fetchrow, fetchval
from app.db.webhooks.queries import DELIVERY, SUBSCRIPTION, Position


async def try_lock(conn: asyncpg.Connection, subscription_id: uuid.UUID) -> bool:
    """A transaction-level advisory lock on the subscription, in a transaction that writes nothing (so it takes no
    transaction id): one deliverer at a time, whatever the number of workers, released when the transaction ends
    or its connection dies."""
    got: bool = await fetchval(
        conn, Sql("SELECT pg_try_advisory_xact_lock(hashtextextended({key}, 0))", key=f"webhook:{subscription_id}")
    )
    return got


async def for_delivery(conn: Querier, subscription_id: uuid.UUID) -> Record | None:
    """The subscription as the worker needs it (its secret too), and whether the key that made it was revoked or
    has expired since (`key_gone`)."""
    return await fetchrow(
        conn,
        Sql(
            "SELECT {columns}, s.secret, now() AS now, s.created_by_kind = 'key' AND NOT EXISTS ("
            "SELECT 1 FROM api_keys k WHERE k.key_id = s.created_by AND k.revoked_at IS NULL "
            "AND (k.expires_at IS NULL OR k.expires_at > now())) AS key_gone "
            "FROM webhook_subscriptions s WHERE s.id = {id}",
            columns=SUBSCRIPTION,
            id=subscription_id,
        ),
    )


async def due(conn: Querier, *, below: int) -> list[Record]:
    """Active subscriptions with something to do: a batch in flight or a retry, or a change after their position
    below the horizon `below` of one of their kinds (its scope aside: a job that finds nothing visible just moves
    the position on). `delay`: seconds until the retry is due (0: now)."""
    return await fetch(
        conn,
        Sql(
            """SELECT s.id, greatest(extract(epoch FROM s.next_attempt_at - now()), 0)::float8 AS delay
            FROM webhook_subscriptions s
            WHERE s.status = 'active' AND (
                s.next_attempt_at IS NOT NULL
                OR EXISTS (SELECT 1 FROM webhook_deliveries d WHERE d.subscription_id = s.id AND d.status = 'pending')
                OR EXISTS (SELECT 1 FROM changes c
                           WHERE (c.xkey, c.position) > (s.cursor_xkey, s.cursor_position)
                             AND c.xkey < {below}::bigint AND c.entity = ANY(s.entities)))""",
            below=below,
        ),
    )


async def start_delivery(
    conn: Querier,
    subscription_id: uuid.UUID,
    *,
    after: Position,
    until: Position,
    first: Position,
    last: Position,
    entries: int,
) -> Record:
    row = await fetchrow(
        conn,
        Sql(
            "INSERT INTO webhook_deliveries AS d (subscription_id, after_xkey, after_position, until_xkey, "
            "until_position, first_xkey, first_position, last_xkey, last_position, entries) "
            "VALUES ({sub}, {ax}, {ap}, {ux}, {up}, {fx}, {fp}, {lx}, {lp}, {entries}) RETURNING {columns}",
            sub=subscription_id,
            ax=after[0],
            ap=after[1],
            ux=until[0],
            up=until[1],
            fx=first[0],
            fp=first[1],
            lx=last[0],
            lp=last[1],
            entries=entries,
            columns=DELIVERY,
        ),
    )
    assert row is not None
    return row


async def move_on(conn: Querier, subscription_id: uuid.UUID, *, after: Position, to: Position) -> None:
    """Nothing visible to deliver up to `to`: the position moves there, unless it was moved meanwhile (a replay)."""
    await execute(
        conn,
        Sql(
            "UPDATE webhook_subscriptions SET cursor_xkey = {tx}, cursor_position = {tp} "
            "WHERE id = {id} AND (cursor_xkey, cursor_position) = ({ax}, {ap})",
            id=subscription_id,
            ax=after[0],
            ap=after[1],
            tx=to[0],
            tp=to[1],
        ),
    )


async def succeeded(
    pool: asyncpg.Pool,
    delivery_id: uuid.UUID,
    subscription_id: uuid.UUID,
    *,
    after: Position,
    to: Position,
    status: int,
    entries: int,
) -> None:
    """The batch arrived: logged, and the subscription's position moves past it (unless a replay moved it
    meanwhile: then the replay's position stands), its failures forgotten."""
    async with pool.acquire() as conn, conn.transaction():
        await execute(
            conn,
            Sql(
                "UPDATE webhook_deliveries SET status = 'succeeded', attempts = attempts + 1, response_status = "
                "{status}, last_error = NULL, entries = {entries}, last_attempt_at = now(), delivered_at = now(), "
                "next_attempt_at = NULL WHERE id = {id}",
                id=delivery_id,
                status=status,
                entries=entries,
            ),
        )
        await execute(
            conn,
            Sql(
                "UPDATE webhook_subscriptions SET consecutive_failures = 0, failing_since = NULL, "
                "next_attempt_at = NULL, last_success_at = now(), "
                "cursor_xkey = CASE WHEN (cursor_xkey, cursor_position) = ({ax}, {ap}) THEN {tx} ELSE cursor_xkey END, "
                "cursor_position = CASE WHEN (cursor_xkey, cursor_position) = ({ax}, {ap}) THEN {tp} "
                "ELSE cursor_position END WHERE id = {id}",
                id=subscription_id,
                ax=after[0],
                ap=after[1],
                tx=to[0],
                tp=to[1],
            ),
        )


async def failed(
    pool: asyncpg.Pool,
    delivery_id: uuid.UUID,
    subscription_id: uuid.UUID,
    *,
    status: int | None,
    error: str,
    retry_at: datetime,
    pause: str | None,
) -> None:
    """An attempt failed: logged; the same batch is tried again at `retry_at`, or, when `pause` says why, the
    subscription is paused and the batch given up (a resume starts a new one from the same position)."""
    async with pool.acquire() as conn, conn.transaction():
        await execute(
            conn,
            Sql(
                "UPDATE webhook_deliveries SET attempts = attempts + 1, response_status = {status}, "
                "last_error = {error}, last_attempt_at = now(), "
                "status = CASE WHEN {pause}::text IS NULL THEN 'pending' ELSE 'failed' END, "
                "next_attempt_at = CASE WHEN {pause}::text IS NULL THEN {retry_at}::timestamptz END WHERE id = {id}",
                id=delivery_id,
                status=status,
                error=error,
                retry_at=retry_at,
                pause=pause,
            ),
        )
        await execute(
            conn,
            Sql(
                "UPDATE webhook_subscriptions SET consecutive_failures = consecutive_failures + 1, "
                "failing_since = coalesce(failing_since, now()), last_failure_at = now(), last_error = {error}, "
                "next_attempt_at = CASE WHEN {pause}::text IS NULL THEN {retry_at}::timestamptz END, "
                "status = CASE WHEN {pause}::text IS NULL THEN status ELSE 'paused' END, "
                "paused_reason = coalesce({pause}, paused_reason) WHERE id = {id}",
                id=subscription_id,
                error=error,
                retry_at=retry_at,
                pause=pause,
            ),
        )


async def pause(conn: Querier, subscription_id: uuid.UUID, reason: str) -> None:
    """Paused by the worker (the key that made it is gone): a batch in flight is given up."""
    await execute(
        conn,
        Sql(
            "WITH paused AS (UPDATE webhook_subscriptions SET status = 'paused', paused_reason = {reason}, "
            "next_attempt_at = NULL WHERE id = {id} AND status = 'active' RETURNING id) "
            "UPDATE webhook_deliveries SET status = 'failed', next_attempt_at = NULL, last_error = {reason} "
            "WHERE subscription_id IN (SELECT id FROM paused) AND status = 'pending'",
            id=subscription_id,
            reason=reason,
        ),
    )
