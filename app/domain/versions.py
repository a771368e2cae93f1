"""If-Match: a change made to the version its caller read, or refused (412 version_mismatch)."""

import uuid

from app.db import versions as db
from app.domain.errors import stale_version
from app.domain.tx import Tx


def check_expected(what: str, current: int, expected: int | None) -> None:
    """Refuse a change to `what`, at `current` (its row already locked by the caller), made to another version."""
    if expected is not None and expected != current:
        raise stale_version(what, current, expected)


async def check_version(tx: Tx, table: str, row_id: uuid.UUID, expected: int | None, what: str) -> None:
    """Lock the row (SELECT … FOR UPDATE: a concurrent change waits for this transaction) and compare its version
    with the one If-Match named. Called after the scope check, so a record out of scope stays a 404."""
    current = await db.lock_version(tx.conn, table, row_id)
    if current is not None:
        check_expected(what, current, expected)


async def count_change(tx: Tx, table: str, row_id: uuid.UUID) -> None:
    """The record changed through something it holds (a plan's events or targets): its version and `updated_at`
    move, so its ETag and `updated_since` tell."""
    await db.bump_version(tx.conn, table, row_id)
