"""Delivering a subscription (the worker's webhook job): the next batch of the change feed after the subscription's
position, read as its maker (stored scope and pii), POSTed signed as Standard Webhooks say; on a 2xx the position
moves past the batch and the next batch follows; on a failure the same batch (the same `webhook-id`) is tried again
later, with exponential back-off, and nothing after it is sent before: at least once, in order. A subscription
that keeps failing is paused, and says why (ARCHITECTURE.md, "Webhooks")."""

import logging
import random
import time
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

import asyncpg
import orjson
from standardwebhooks import Webhook

from app.db.scope import WHOLE_TREE, Scope, widen_with_predecessors
from app.db.sql import Record
from app.db.webhooks import progress, queries
from app.domain.changes import feed
from app.domain.pagination import Cursors
from app.domain.webhooks import sending
from app.domain.webhooks.targets import UrlNotAllowed, UrlPolicy, check

log = logging.getLogger("coso.webhooks")
KEY_GONE = "the API key that made it was revoked or has expired; make a new subscription with a valid key"


@dataclass(frozen=True)
class DeliveryConfig:
    timeout_seconds: float = 10.0
    retry_base_seconds: float = 5.0
    retry_max_seconds: float = 3600.0
    max_failures: int = 20
    max_failing_seconds: float = 24 * 3600.0
    batch_entries: int = 100
    job_seconds: float = 60.0  # a job delivers batches for this long at most, then leaves the rest to the next job
    policy: UrlPolicy = field(default_factory=UrlPolicy)


def retry_delay(failures: int, config: DeliveryConfig) -> float:
    """Exponential back-off with jitter: base × 2^(failures − 1), capped, then between half of it and all of it."""
    delay: float = min(config.retry_max_seconds, config.retry_base_seconds * 2.0 ** min(failures - 1, 60))
    return delay / 2 + random.uniform(0, delay / 2)  # noqa: S311 - jitter, not a secret


def payload(items: list[bytes], next_cursor: str, at: datetime) -> bytes:
    """The body of a delivery: {"type", "timestamp", "data": {"items", "next_cursor"}}, items as the feed serves
    them (already JSON)."""
    head = orjson.dumps({"type": "coso.changes", "timestamp": at})[:-1]
    return head + b',"data":{"items":[' + b",".join(items) + b'],"next_cursor":' + orjson.dumps(next_cursor) + b"}}"


def _position(row: Record, name: str) -> tuple[int, int]:
    return (int(row[f"{name}_xkey"]), int(row[f"{name}_position"]))


async def _scope(pool: asyncpg.Pool, sub: Record) -> Scope:
    roots = tuple(sub["scopes"])
    return WHOLE_TREE if not roots else Scope(roots=await widen_with_predecessors(pool, roots))


def _pause_reason(sub: Record, config: DeliveryConfig, now: datetime, error: str) -> str | None:
    """Why the subscription stops here (None: it is tried again)."""
    failures = int(sub["consecutive_failures"]) + 1
    since: datetime = sub["failing_since"] or now
    if failures >= config.max_failures:
        return f"{failures} deliveries failed in a row (the last: {error}); fix the receiver, then resume"
    if (now - since).total_seconds() > config.max_failing_seconds:
        return (
            f"deliveries have failed since {since.isoformat(timespec='seconds')} (the last: {error}); fix the "
            "receiver, then resume"
        )
    return None


async def _one_batch(pool: asyncpg.Pool, sub: Record, *, cursors: Cursors, config: DeliveryConfig) -> bool:
    """Deliver the batch in flight, or the next one. True: delivered, look for more; False: nothing more now."""
    sub_id: uuid.UUID = sub["id"]
    scope = await _scope(pool, sub)
    after = _position(sub, "cursor")
    pending = await queries.pending_delivery(pool, sub_id)
    if pending is not None and _position(pending, "after") != after:
        await queries.give_up_pending(pool, sub_id, "the subscription was replayed from another position")
        pending = None
    until = _position(pending, "until") if pending is not None else None
    batch = await feed.read_batch(
        pool,
        scope=scope,
        cursors=cursors,
        entities=list(sub["entities"]),
        pii=bool(sub["pii"]),
        after=after,
        limit=config.batch_entries,
        until=until,
    )
    if pending is None:
        if not batch.items:
            await progress.move_on(pool, sub_id, after=after, to=batch.end)
            return False
        pending = await progress.start_delivery(
            pool,
            sub_id,
            after=after,
            until=batch.end,
            first=batch.positions[0],
            last=batch.positions[-1],
            entries=len(batch.items),
        )
    now = datetime.now(UTC)
    body = payload(batch.items, feed.cursor_at(cursors, batch.end), now)
    message_id = f"msg_{pending['id'].hex}"
    try:
        target = await check(str(sub["url"]), config.policy)
    except UrlNotAllowed as exc:
        outcome = sending.Outcome(status=None, error=exc.detail)
    else:
        signature = Webhook(str(sub["secret"])).sign(message_id, now, body)
        headers = {
            "webhook-id": message_id,
            "webhook-timestamp": str(int(now.timestamp())),
            "webhook-signature": signature,
        }
        outcome = await sending.post(target, body, headers, seconds=config.timeout_seconds)
    if outcome.delivered:
        assert outcome.status is not None
        await progress.succeeded(
            pool, pending["id"], sub_id, after=after, to=batch.end, status=outcome.status, entries=len(batch.items)
        )
        log.info("webhook %s: delivered %d changes (%s)", sub_id, len(batch.items), message_id)
        return True
    error = outcome.error or "failed"
    reason = _pause_reason(sub, config, now, error)
    failures = int(sub["consecutive_failures"]) + 1
    retry_at = now + timedelta(seconds=retry_delay(failures, config))
    await progress.failed(
        pool,
        pending["id"],
        sub_id,
        status=outcome.status,
        error=error,
        retry_at=retry_at,
        pause=reason,
    )
    log.warning("webhook %s: delivery %s failed (%s), attempt %d", sub_id, message_id, error, failures)
    return False


async def deliver(pool: asyncpg.Pool, subscription_id: uuid.UUID, *, cursors: Cursors, config: DeliveryConfig) -> None:
    """The webhook job: under the subscription's lock (one deliverer at a time), batch after batch while they
    arrive, for `job_seconds` at most. Not due yet (a retry's time has not come), paused or gone: nothing."""
    deadline = time.monotonic() + config.job_seconds
    async with pool.acquire() as lock, lock.transaction():
        if not await progress.try_lock(lock, subscription_id):
            return  # another worker is delivering it
        while time.monotonic() < deadline:
            sub = await progress.for_delivery(pool, subscription_id)
            if sub is None or sub["status"] != "active":
                return
            if sub["key_gone"]:  # what it delivers is what its key may read: nothing any more
                await progress.pause(pool, subscription_id, KEY_GONE)
                return
            if sub["next_attempt_at"] is not None and sub["next_attempt_at"] > sub["now"]:
                return  # a retry that is not due: the dispatcher enqueues it for its time
            if not await _one_batch(pool, sub, cursors=cursors, config=config):
                return
