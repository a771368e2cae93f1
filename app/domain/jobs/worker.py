"""The worker: pgqueuer's QueueManager taking import jobs from the queue, on a small pool of its own. `coso worker`
runs one as a process (on any number of machines); `coso serve` runs one inside the service unless
COSO_WORKER_IN_SERVE=false."""

import asyncio
import logging
import uuid
from dataclasses import dataclass, field
from datetime import timedelta

import asyncpg
from pgqueuer import Job, QueueManager

from app.db.jobs import queue
from app.db.jobs.queue import IMPORT_ENTRYPOINT
from app.db.webhooks.queue import WEBHOOK_ENTRYPOINT
from app.domain.imports.members import RowChecker
from app.domain.jobs import runner
from app.domain.secrets import ServiceSecrets
from app.domain.webhooks import delivery

log = logging.getLogger("coso.jobs")
RETRY_SECONDS = 5.0


@dataclass(frozen=True)
class WorkerConfig:
    concurrency: int = 1  # jobs this worker runs at once
    heartbeat_seconds: float = 30.0  # a job whose worker has not beaten for this long is picked up by another
    poll_seconds: float = 5.0  # how often an idle worker looks at the queue besides being notified
    limits: runner.Limits = field(default_factory=runner.Limits)
    webhooks: delivery.DeliveryConfig = field(default_factory=delivery.DeliveryConfig)


def queue_manager(pool: asyncpg.Pool, *, check: RowChecker, config: WorkerConfig) -> QueueManager:
    manager = queue.queue_manager(pool)

    @manager.entrypoint(IMPORT_ENTRYPOINT, on_failure="hold")
    async def import_job(job: Job) -> None:
        assert job.payload is not None
        job_id = uuid.UUID(bytes=job.payload)
        log.info("import job %s: started", job_id)
        await runner.run_job(pool, job_id, check=check, limits=config.limits)
        log.info("import job %s: ended", job_id)

    secrets = ServiceSecrets(pool)

    # Webhook deliveries share the queue and the worker (ARCHITECTURE.md, "Webhooks"); a failed attempt is recorded
    # and retried by a later job, so the job itself never fails.
    @manager.entrypoint(WEBHOOK_ENTRYPOINT)
    async def webhook_delivery(job: Job) -> None:
        assert job.payload is not None
        subscription_id = uuid.UUID(bytes=job.payload)
        await delivery.deliver(pool, subscription_id, cursors=await secrets.cursors(), config=config.webhooks)

    return manager


async def work(pool: asyncpg.Pool, manager: QueueManager, config: WorkerConfig) -> None:
    """Take jobs until `manager.shutdown` is set. pgqueuer's dequeue takes at most `max_concurrent_tasks` jobs of
    this worker at once (it wants at least twice its batch size: with one job at a time, 2)."""
    while not manager.shutdown.is_set():
        try:
            await manager.run(
                dequeue_timeout=timedelta(seconds=config.poll_seconds),
                batch_size=1,
                max_concurrent_tasks=max(2, config.concurrency),
                heartbeat_timeout=timedelta(seconds=config.heartbeat_seconds),
            )
        except Exception as exc:  # the database lost (a restart): the worker outlives it and takes jobs again after
            log.warning("job worker stopped (%s); starting again in %s s", exc.__class__.__name__, RETRY_SECONDS)
            try:
                await asyncio.wait_for(manager.shutdown.wait(), RETRY_SECONDS)
            except TimeoutError:
                pass


async def stop(manager: QueueManager, task: "asyncio.Task[None]", *, grace_seconds: float = 10) -> None:
    """Stop taking jobs and wait for the running ones a little; a job still running is then cancelled (its open
    transaction rolls back) and another worker resumes it after the heartbeat timeout."""
    manager.shutdown.set()
    try:
        await asyncio.wait_for(asyncio.shield(task), grace_seconds)
    except TimeoutError:
        task.cancel()
        try:
            await task
        except asyncio.CancelledError:
            pass
    except Exception:
        log.exception("the job worker stopped with an error")
