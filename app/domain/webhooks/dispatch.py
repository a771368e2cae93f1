"""What sets deliveries going: every worker runs a dispatcher that, when a transaction that changed something
commits (the feed's NOTIFY, through a Waker) and every `poll_seconds` besides, enqueues a delivery job for each
active subscription with something to do (a change after its position, a batch in flight, a retry at its time,
through pgqueuer's `execute_after`). pgqueuer's dedupe key keeps one job per subscription queued or running, so
several workers' dispatchers enqueue nothing twice."""

import asyncio
import logging

import asyncpg

from app.db.webhooks import progress, queue
from app.domain.changes import feed
from app.domain.changes.feed import Waker

log = logging.getLogger("coso.webhooks")


async def dispatch_once(pool: asyncpg.Pool) -> int:
    """Enqueue the jobs due now (or at their retry time); how many subscriptions were due."""
    due = await progress.due(pool, below=await feed.horizon(pool))
    await queue.enqueue(pool, [(row["id"], float(row["delay"])) for row in due])
    return len(due)


async def dispatch(pool: asyncpg.Pool, waker: Waker, *, poll_seconds: float, stop: asyncio.Event) -> None:
    """Until `stop` is set: dispatch, then wait for the next commit or `poll_seconds`. A failure (the database
    lost) is logged and the loop goes on."""
    while not stop.is_set():
        try:
            await dispatch_once(pool)
        except Exception as exc:  # the database lost, a statement cancelled: try again at the next round
            log.warning("webhook dispatch failed (%s); trying again", exc.__class__.__name__)
        waiting = asyncio.ensure_future(waker.wait(poll_seconds))
        stopping = asyncio.ensure_future(stop.wait())
        await asyncio.wait({waiting, stopping}, return_when=asyncio.FIRST_COMPLETED)
        for task in (waiting, stopping):
            task.cancel()
