"""The job worker as a running thing: its own small pool and pgqueuer's queue manager, started by `coso worker` or
in the service's lifespan (COSO_WORKER_IN_SERVE), stopped cleanly on shutdown. Here, beside app/main.py and
app/cli.py, because it wires the API's row checker into the domain's worker (the domain cannot import the API)."""

import asyncio
import logging
from dataclasses import dataclass

import asyncpg
from pgqueuer import QueueManager

from app.api.imports.checks import check_member_row
from app.db.database import close_database, open_database
from app.domain.jobs import runner, worker
from app.settings import Settings

log = logging.getLogger("coso.jobs")


def worker_config(settings: Settings, concurrency: int | None = None) -> worker.WorkerConfig:
    return worker.WorkerConfig(
        concurrency=concurrency or settings.worker_concurrency,
        heartbeat_seconds=settings.job_heartbeat_seconds,
        limits=runner.Limits(batch_rows=settings.job_batch_rows, max_attempts=settings.job_max_attempts),
    )


@dataclass
class RunningWorker:
    pool: asyncpg.Pool
    manager: QueueManager
    task: "asyncio.Task[None]"

    async def stop(self) -> None:
        await worker.stop(self.manager, self.task)
        await close_database(self.pool)


async def start_worker(database_url: str, settings: Settings, concurrency: int | None = None) -> RunningWorker:
    config = worker_config(settings, concurrency)
    # Its own connections: a job's transaction and its progress (2 per job), the queue's listener and its queries.
    pool = await open_database(
        database_url,
        statement_timeout_ms=settings.statement_timeout_ms,
        pool_size=2 * config.concurrency + 3,
        indicator_upkeep=settings.indicator_upkeep,
    )
    manager = worker.queue_manager(pool, check=check_member_row, config=config)
    task = asyncio.create_task(worker.work(pool, manager, config))
    log.info("job worker started (%d at once)", config.concurrency)
    return RunningWorker(pool=pool, manager=manager, task=task)
