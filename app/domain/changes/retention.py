"""Keeping the change feed from growing without end (`coso changes compact`): each record's changes older than a
horizon collapse into one, its net change since then. A follower whose cursor is older than the horizon still ends
with the exact copy (each record's net change reaches it, a tombstone included); one that stopped between two of a
record's collapsed changes may receive that record's net change again, which applying twice does not alter. Every
record's last change stays, and so do all changes newer than the horizon."""

from datetime import UTC, datetime, timedelta

import asyncpg

from app.db.changes import queries


async def compact(pool: asyncpg.Pool, *, older_than_days: int) -> int:
    """Collapse each record's changes older than `older_than_days`; how many changes were removed."""
    before = datetime.now(UTC) - timedelta(days=older_than_days)
    async with pool.acquire() as conn, conn.transaction():
        return await queries.compact(conn, before=before)
