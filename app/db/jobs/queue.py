"""The queue: pgqueuer on asyncpg (ARCHITECTURE.md, "Jobs"). A job is enqueued on the request's own connection,
so the job's row, its upload and its place in the queue commit together or not at all."""

import uuid

import asyncpg
from pgqueuer import Queries, QueueManager

IMPORT_ENTRYPOINT = "import_job"


async def enqueue_import(conn: asyncpg.Connection, job_id: uuid.UUID) -> None:
    """In the caller's transaction (pgqueuer's INSERT runs on this connection)."""
    await Queries.from_asyncpg_connection(conn).enqueue(IMPORT_ENTRYPOINT, job_id.bytes)


def queue_manager(pool: asyncpg.Pool) -> QueueManager:
    """A queue manager on a pool (its listener holds one connection of it for LISTEN)."""
    return QueueManager(Queries.from_asyncpg_pool(pool))
