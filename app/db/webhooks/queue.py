"""Webhook deliveries in pgqueuer's queue, beside the import jobs (app/db/jobs/queue.py): one entrypoint, one job per
subscription at most (its dedupe key: pgqueuer refuses a second queued or running job of the same key, and we skip
it), delayed by `execute_after` for a retry."""

import uuid
from datetime import timedelta

import asyncpg
from pgqueuer import Queries

from app.db.sql import Querier, Sql, execute

WEBHOOK_ENTRYPOINT = "webhook_delivery"


def dedupe_key(subscription_id: uuid.UUID) -> str:
    return f"webhook:{subscription_id}"


def _queries(conn: Querier) -> Queries:
    if isinstance(conn, asyncpg.Pool):
        return Queries.from_asyncpg_pool(conn)
    return Queries.from_asyncpg_connection(conn)


async def enqueue(conn: Querier, due: list[tuple[uuid.UUID, float]]) -> None:
    """A delivery job for each (subscription, seconds from now) that has none queued or running yet."""
    if not due:
        return
    await _queries(conn).enqueue(
        [WEBHOOK_ENTRYPOINT] * len(due),
        [s.bytes for s, _ in due],
        [0] * len(due),
        execute_after=[timedelta(seconds=max(0.0, seconds)) for _, seconds in due],
        dedupe_key=[dedupe_key(s) for s, _ in due],
        on_conflict="skip",
    )


async def now(conn: asyncpg.Connection, subscription_id: uuid.UUID) -> None:
    """A delivery job due now, in the caller's transaction (a resume, a replay): a queued job waiting for its retry
    time is replaced; a running one is left alone (it reads the subscription again before each batch)."""
    await execute(
        conn,
        Sql(
            "DELETE FROM pgqueuer WHERE entrypoint = {entrypoint} AND dedupe_key = {key} AND status = 'queued'",
            entrypoint=WEBHOOK_ENTRYPOINT,
            key=dedupe_key(subscription_id),
        ),
    )
    await enqueue(conn, [(subscription_id, 0.0)])
