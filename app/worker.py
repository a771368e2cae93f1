"""The job worker as a running thing: its own small pool and pgqueuer's queue manager, started by `coso worker` or
in the service's lifespan (COSO_WORKER_IN_SERVE), stopped cleanly on shutdown. Here, beside app/main.py and
app/cli.py, because it wires the API's row checker into the domain's worker (the domain cannot import the API)."""

import asyncio
import logging
from dataclasses import dataclass

import asyncpg
from pgqueuer import QueueManager

from app.api.imports.checks import check_member_row
from app.db.changes.listener import ChangeListener
from app.db.database import close_database, open_database
from app.db.urls import asyncpg_dsn
from app.domain.jobs import runner, worker
from app.domain.webhooks import delivery, dispatch
from app.domain.webhooks.targets import UrlPolicy
from app.settings import Settings

log = logging.getLogger("coso.jobs")


def worker_config(settings: Settings, concurrency: int | None = None) -> worker.WorkerConfig:
    return worker.WorkerConfig(
        concurrency=concurrency or settings.worker_concurrency,
        heartbeat_seconds=settings.job_heartbeat_seconds,
        limits=runner.Limits(batch_rows=settings.job_batch_rows, max_attempts=settings.job_max_attempts),
        webhooks=delivery_config(settings),
    )


def delivery_config(settings: Settings) -> delivery.DeliveryConfig:
    return delivery.DeliveryConfig(
        timeout_seconds=settings.webhook_timeout_seconds,
        retry_base_seconds=settings.webhook_retry_base_seconds,
        retry_max_seconds=settings.webhook_retry_max_seconds,
        max_failures=settings.webhook_max_failures,
        max_failing_seconds=settings.webhook_max_failing_hours * 3600,
        batch_entries=settings.webhook_batch_entries,
        policy=UrlPolicy(
            allow_private=settings.webhook_allow_private,
            allowed_hosts=tuple(h.lower().rstrip(".") for h in settings.webhook_allowed_hosts),
        ),
    )


@dataclass
class RunningWorker:
    pool: asyncpg.Pool
    manager: QueueManager
    task: "asyncio.Task[None]"
    dispatcher: "asyncio.Task[None]"
    listener: ChangeListener

    async def stop(self) -> None:
        self.manager.shutdown.set()
        await self.dispatcher
        await self.listener.close()
        await worker.stop(self.manager, self.task)
        await close_database(self.pool)


async def start_worker(database_url: str, settings: Settings, concurrency: int | None = None) -> RunningWorker:
    config = worker_config(settings, concurrency)
    # Its own connections: a job's transaction and its progress (2 per job), the queue's listener and its queries,
    # the webhook dispatcher's queries (its LISTEN connection is its own).
    pool = await open_database(
        database_url,
        statement_timeout_ms=settings.statement_timeout_ms,
        pool_size=2 * config.concurrency + 5,
        indicator_upkeep=settings.indicator_upkeep,
    )
    manager = worker.queue_manager(pool, check=check_member_row, config=config)
    task = asyncio.create_task(worker.work(pool, manager, config))
    listener = ChangeListener(asyncpg_dsn(database_url))
    dispatcher = asyncio.create_task(
        dispatch.dispatch(pool, listener, poll_seconds=settings.webhook_poll_seconds, stop=manager.shutdown)
    )
    log.info("job worker started (%d at once)", config.concurrency)
    return RunningWorker(pool=pool, manager=manager, task=task, dispatcher=dispatcher, listener=listener)
