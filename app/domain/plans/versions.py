"""Versions of plans, tasks and bodies: a write made to the version its caller read (If-Match), or refused."""

import uuid

from app.db.plans import queries as db
from app.domain.errors import stale_version
from app.domain.tx import Tx


async def check_version(tx: Tx, table: str, row_id: uuid.UUID, expected: int | None, what: str) -> None:
    """If-Match: refuse a change made to a version someone has changed since (412), the row locked meanwhile."""
    current = await db.lock_version(tx.conn, table, row_id)
    if expected is not None and current is not None and expected != current:
        raise stale_version(what, current, expected)
