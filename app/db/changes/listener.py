"""Wakes the readers waiting on the change feed (GET /changes?wait=) when a transaction that changed something
commits: the feed's commit trigger sends `NOTIFY coso_changes`, and one connection per process listens. A waiting
request holds no pooled connection while it waits."""

import asyncio
import logging

import asyncpg

log = logging.getLogger("coso.changes")

CHANNEL = "coso_changes"


class ChangeListener:
    """LISTEN on its own connection, opened at the first wait (a process that never serves a long poll never opens
    it) and again after it was lost; waiters are woken together by swapping an event."""

    def __init__(self, dsn: str) -> None:
        self._dsn = dsn
        self._conn: asyncpg.Connection | None = None
        self._event = asyncio.Event()
        self._lock = asyncio.Lock()

    def _notified(self, *_: object) -> None:
        event, self._event = self._event, asyncio.Event()
        event.set()

    def _lost(self, *_: object) -> None:
        self._conn = None
        self._notified()

    async def _listening(self) -> bool:
        async with self._lock:
            if self._conn is not None and not self._conn.is_closed():
                return True
            try:
                conn = await asyncpg.connect(self._dsn)
                await conn.add_listener(CHANNEL, self._notified)
                conn.add_termination_listener(self._lost)
            except (OSError, asyncpg.PostgresError) as exc:
                log.warning("cannot listen for changes (%s): waiting readers poll", exc.__class__.__name__)
                return False
            self._conn = conn
            return True

    async def wait(self, seconds: float) -> None:
        """Until the next announced change, or `seconds`."""
        event = self._event
        if not await self._listening():
            await asyncio.sleep(seconds)
            return
        try:
            await asyncio.wait_for(event.wait(), seconds)
        except TimeoutError:
            return

    async def close(self) -> None:
        if self._conn is not None:
            conn, self._conn = self._conn, None
            await conn.close()
