"""A request's transaction: one connection, one transaction, committed when the request's work is done and its
audit entry written, rolled back otherwise (ARCHITECTURE.md, "The request's life")."""

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass

import asyncpg

# What a pooled connection that died with the server (a restart, a failover) raises at its first statement.
_STALE = (
    asyncpg.exceptions.ConnectionDoesNotExistError,
    asyncpg.exceptions.InterfaceError,
    asyncpg.exceptions.AdminShutdownError,
    ConnectionError,
)


@dataclass
class Tx:
    """The transaction a write runs in. Domain code reads and writes through `conn` and says what it did: an
    audit entry was written (`audited`), or nothing needed writing (`unchanged`: a preview, a repeat)."""

    conn: asyncpg.Connection
    audited: bool = False
    unchanged: bool = False


class UnauditedWrite(RuntimeError):
    """A transaction reached its end having written without an audit entry: it is rolled back."""


@asynccontextmanager
async def transaction(pool: asyncpg.Pool) -> AsyncIterator[Tx]:
    """A connection from the pool in a transaction. A connection that died with the server is noticed at BEGIN,
    before anything was done, and replaced once: the first write after a database restart does not fail."""
    for attempt in (1, 2):
        async with pool.acquire() as conn:
            txn = conn.transaction()
            try:
                await txn.start()
            except _STALE:
                if attempt == 2:
                    raise
                await conn.close()  # the pool opens a fresh one next time
                continue
            tx = Tx(conn=conn)
            try:
                yield tx
            except BaseException:
                await txn.rollback()
                raise
            if tx.unchanged:
                await txn.rollback()
            elif not tx.audited:
                await txn.rollback()
                raise UnauditedWrite("a write reached commit without an audit entry; rolled back")
            else:
                await txn.commit()
            return
