"""A worker's import job: the upload read back to a temporary file on disk, read once to check it and count its
rows (`files.survey`), then read again one batch at a time, each batch converted, its in-file duplicates marked
(`duplicates`, the keys claimed in `import_job_keys`) and run through the import's own `run_rows`: the worker's
memory does not grow with the file (ARCHITECTURE.md, "Jobs").

- Per-row commit (atomic=false, mode=commit): one transaction per batch, the job's checkpoint, counts and errors
  written in that same transaction. A restart goes on after the last committed batch; no row is written twice.
- All or nothing (atomic=true, or mode=validate): every batch in one transaction; progress (rows_done) is written
  on another connection so that readers see it. A restart starts again: nothing of the last attempt survived.
- A worker that died leaves its job `running`; pgqueuer's heartbeat lets another worker pick it up, which counts
  one more attempt. After `max_attempts` the job fails, and its problem says why.

Every batch's writes are audited with the request id `job:<job id>:<first>-<last>` (the records of the file the
batch holds), so a changed record is traced to its job and to the rows it came from."""

import asyncio
import logging
import tempfile
import uuid
from collections.abc import AsyncGenerator, Iterator
from contextlib import aclosing
from dataclasses import dataclass
from datetime import date
from typing import IO, Any

import asyncpg
import orjson

from app.db.jobs import queries as db
from app.db.scope import WHOLE_TREE, Scope, widen_with_predecessors
from app.db.sql import Sql, execute
from app.domain.access.callers import Actor, Forbidden
from app.domain.errors import DomainError
from app.domain.imports import columns, files, members
from app.domain.imports.report import ImportRejected, Report, RowError
from app.domain.jobs import duplicates
from app.domain.jobs.service import caller_of
from app.domain.tx import Tx

log = logging.getLogger("coso.jobs")


@dataclass(frozen=True)
class Limits:
    batch_rows: int = 2_000
    max_attempts: int = 3


class _Cancelled(Exception):
    """The job's owner cancelled it: the transaction in progress is rolled back."""


class _Superseded(Exception):
    """Another attempt of the same job got further (this worker was thought dead): this one stops."""


def _problem(error: DomainError, status: int) -> dict[str, Any]:
    return {"type": f"urn:coso:problem:{error.code}", "title": error.title, "status": status, "detail": error.detail}


def _options(record: dict[str, Any]) -> members.Options:
    return members.Options(
        mode=record["mode"],
        atomic=record["atomic"],
        allow_same_name=record["allow_same_name"],
        today=date.fromisoformat(record["today"]),
        min_age=record["min_age"],
        probation_months=record["probation_months"],
    )


def _errors(errors: list[RowError]) -> list[tuple[int, int, str | None, str, str]]:
    return [(e.row, e.record, e.column, e.rule, e.message) for e in errors]


async def _lock(conn: asyncpg.Connection, job_id: uuid.UUID) -> None:
    """Two attempts of one job never write at the same time (a worker thought dead may still be running)."""
    await execute(conn, Sql("SELECT pg_advisory_xact_lock(hashtextextended({key}, 0))", key=f"import_job:{job_id}"))


async def _read_upload(pool: asyncpg.Pool, job_id: uuid.UUID, upload: IO[bytes]) -> None:
    """The chunks in order, into a temporary file on disk: one chunk (1 MB) in memory at a time."""
    for seq in await db.chunk_numbers(pool, job_id):
        upload.write(await db.chunk(pool, job_id, seq))
    upload.flush()


async def _survey(upload: IO[bytes], media: str, actor: Actor) -> files.Survey:
    """The file read once, keeping no row: every error of the file (as `files.read_table`), the header's columns
    and their pii rule, the number of rows; before any row runs."""
    surveyed = await asyncio.to_thread(files.survey, upload, media, max_rows=10**8)
    sensitive = [h for h, name in columns.header_fields(surveyed.header).items() if name in columns.SENSITIVE]
    if sensitive and not actor.caller.pii:  # the rule of members.import_file, for a job's submitter
        raise Forbidden(
            f"The columns {', '.join(repr(s) for s in sensitive)} hold sensitive personal data (Law 91/2025/QH15): "
            "importing them needs the pii permission.",
            code="pii_required",
        )
    return surveyed


@dataclass(frozen=True)
class _File:
    """The job's upload on disk and what its survey found."""

    upload: IO[bytes]
    media: str
    surveyed: files.Survey

    async def batches(self, *, size: int, skip: int) -> AsyncGenerator[list[columns.MemberRow], None]:
        """The rows as member values, one batch at a time (read and converted in a thread); the first `skip`
        records are read past without being converted."""
        tables = files.batches(self.upload, self.media, self.surveyed, size=size, skip=skip)
        while (rows := await asyncio.to_thread(_next_rows, tables)) is not None:
            yield rows


def _next_rows(tables: Iterator[files.Table]) -> list[columns.MemberRow] | None:
    table = next(tables, None)
    return None if table is None else columns.member_rows(table)


async def _mark_duplicates(conn: asyncpg.Connection, job_id: uuid.UUID, rows: list[columns.MemberRow]) -> None:
    """`members.mark_duplicates_in_file` across the batches: the batch's keys claimed in the batch's transaction."""
    duplicates.mark(rows, await db.claim_keys(conn, job_id, duplicates.first_rows(rows)))


async def run_job(pool: asyncpg.Pool, job_id: uuid.UUID, *, check: members.RowChecker, limits: Limits) -> None:
    async with pool.acquire() as conn:
        started = await db.start_attempt(conn, job_id)
    if started is None:
        return  # cancelled while queued, or finished by an earlier attempt
    if started["attempts"] > limits.max_attempts:
        await db.finish(
            pool,
            job_id,
            status="failed",
            problem={
                "type": "urn:coso:problem:job_abandoned",
                "title": "The job was abandoned",
                "status": 500,
                "detail": f"The job was started {limits.max_attempts} times and its worker stopped each time (killed, "
                "or out of memory); it is not tried again. Submit it again, or split the file.",
            },
        )
        return
    caller = caller_of(orjson.loads(started["caller"]))
    scope = WHOLE_TREE if caller.whole_tree else Scope(roots=await widen_with_predecessors(pool, caller.scopes))
    options = _options(orjson.loads(started["options"]))
    try:
        with tempfile.TemporaryFile() as upload:
            await _read_upload(pool, job_id, upload)
            file = _File(upload, started["format"], await _survey(upload, started["format"], Actor(caller=caller)))
            await db.set_total(pool, job_id, file.surveyed.rows)
            if options.mode == "commit" and not options.atomic:
                await _per_batch(
                    pool,
                    job_id,
                    file,
                    started,
                    caller_actor=caller,
                    scope=scope,
                    check=check,
                    options=options,
                    limits=limits,
                )
            else:
                await _all_or_nothing(
                    pool,
                    job_id,
                    file,
                    started["attempts"],
                    caller_actor=caller,
                    scope=scope,
                    check=check,
                    options=options,
                    limits=limits,
                )
    except _Cancelled:
        await db.finish(pool, job_id, status="cancelled")
    except _Superseded:
        log.warning("import job %s: another attempt went further; this one stops", job_id)
    except DomainError as error:
        status = 403 if isinstance(error, Forbidden) else 413 if isinstance(error, files.TooLarge) else 422
        await db.finish(pool, job_id, status="failed", problem=_problem(error, status))
    except Exception:  # the job must end with a status; pgqueuer would only log it and drop the queue entry
        log.exception("import job %s failed", job_id)
        await db.finish(
            pool,
            job_id,
            status="failed",
            problem={
                "type": "urn:coso:problem:job_error",
                "title": "The job failed",
                "status": 500,
                "detail": "The job stopped on an unexpected error (logged by the worker); nothing of its last batch "
                "was written. Submit it again; if it fails again, tell the operators.",
            },
        )


def _actor(caller: Any, job_id: uuid.UUID, batch: list[columns.MemberRow]) -> Actor:
    return Actor(caller=caller, request_id=f"job:{job_id}:{batch[0].record}-{batch[-1].record}")


def _add(total: dict[str, int], report: Report) -> dict[str, int]:
    counted = report.counts
    fields = ("rows", "created", "updated", "unchanged", "failed")
    return {f: total.get(f, 0) + getattr(counted, f) for f in fields}


async def _per_batch(
    pool: asyncpg.Pool,
    job_id: uuid.UUID,
    file: _File,
    started: Any,
    *,
    caller_actor: Any,
    scope: Scope,
    check: members.RowChecker,
    options: members.Options,
    limits: Limits,
) -> None:
    counts: dict[str, int] = orjson.loads(started["counts"])
    start = started["checkpoint"]
    async with aclosing(file.batches(size=limits.batch_rows, skip=start)) as batches:
        async for batch in batches:
            report = members.new_report(options, "")
            async with pool.acquire() as conn, conn.transaction():
                await _lock(conn, job_id)
                state = await db.job_state(conn, job_id)
                if state is None or state["checkpoint"] != start or state["status"] != "running":
                    raise _Superseded
                await _mark_duplicates(conn, job_id, batch)
                tx = Tx(conn=conn)
                await members.run_rows(
                    tx,
                    actor=_actor(caller_actor, job_id, batch),
                    scope=scope,
                    rows=batch,
                    check=check,
                    options=options,
                    report=report,
                )
                if await db.cancel_requested(conn, job_id):
                    raise _Cancelled
                counts = _add(counts, report)
                await db.add_errors(conn, job_id, _errors(report.errors))
                start += len(batch)
                await db.save_checkpoint(conn, job_id, checkpoint=start, counts=counts, rows_failed=counts["failed"])
    await db.finish(
        pool, job_id, status="succeeded", counts=_add(counts, members.new_report(options, "")), committed=True
    )


async def _all_or_nothing(
    pool: asyncpg.Pool,
    job_id: uuid.UUID,
    file: _File,
    attempt: int,
    *,
    caller_actor: Any,
    scope: Scope,
    check: members.RowChecker,
    options: members.Options,
    limits: Limits,
) -> None:
    report = members.new_report(options, file.media)
    async with pool.acquire() as conn:
        transaction = conn.transaction()
        await transaction.start()
        tx = Tx(conn=conn)
        try:
            await _lock(conn, job_id)
            state = await db.job_state(conn, job_id)
            if state is None or state["status"] != "running":
                raise _Superseded  # an attempt thought dead finished the job while this one waited for the lock
            if attempt > 1:
                await db.restart(pool, job_id)  # what the last attempt showed was never committed
            async with aclosing(file.batches(size=limits.batch_rows, skip=0)) as batches:
                async for batch in batches:
                    await _mark_duplicates(conn, job_id, batch)
                    await members.run_rows(
                        tx,
                        actor=_actor(caller_actor, job_id, batch),
                        scope=scope,
                        rows=batch,
                        check=check,
                        options=options,
                        report=report,
                    )
                    done, failed = report.counts.rows, report.counts.failed
                    await db.set_progress(pool, job_id, rows_done=done, rows_failed=failed)
                    if await db.cancel_requested(pool, job_id):
                        raise _Cancelled
            try:
                members.finish(tx, report, options)
            except ImportRejected as rejected:
                await transaction.rollback()
                await _outcome(pool, job_id, report, status="failed", problem=_problem(rejected, 422))
                return
            if tx.unchanged:
                await transaction.rollback()
                await _outcome(pool, job_id, report, status="succeeded")
                return
            if await db.cancel_requested(conn, job_id):
                raise _Cancelled
            await _outcome(conn, job_id, report, status="succeeded")
        except BaseException:
            await transaction.rollback()
            raise
        await transaction.commit()


async def _outcome(
    conn: asyncpg.Pool | asyncpg.Connection,
    job_id: uuid.UUID,
    report: Report,
    *,
    status: str,
    problem: dict[str, Any] | None = None,
) -> None:
    await db.add_errors(conn, job_id, _errors(report.errors))
    await db.finish(conn, job_id, status=status, counts=_add({}, report), committed=report.committed, problem=problem)
