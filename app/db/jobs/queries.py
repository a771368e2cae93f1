"""The import jobs' rows: created with their upload in the request's transaction, read by their owner, advanced by
a worker. The queue itself is pgqueuer's (`app/db/jobs/queue.py`)."""

import uuid
from collections.abc import Sequence
from typing import Any

import orjson

from app.db.sql import Querier, Record, Sql, execute, fetch, fetchrow, fetchval

# A job as the API shows it (GET /jobs/{id}), built in PostgreSQL like every other document.
JOB_DOC = Sql(
    "json_build_object('id', j.id, 'kind', j.kind, 'status', j.status, 'mode', j.mode, 'atomic', j.atomic, "
    "'format', j.format, 'file_name', j.file_name, 'file_bytes', j.file_bytes, 'created_by', j.created_by, "
    "'rows_total', j.rows_total, 'rows_done', j.rows_done, 'rows_failed', j.rows_failed, "
    "'counts', j.counts, 'committed', j.committed, 'attempts', j.attempts, 'problem', j.problem, "
    "'created_at', j.created_at, 'started_at', j.started_at, 'finished_at', j.finished_at)::text"
)


async def insert_job(
    conn: Querier,
    *,
    mode: str,
    atomic: bool,
    options: dict[str, Any],
    media: str,
    file_name: str | None,
    created_by: str,
    caller: dict[str, Any],
) -> uuid.UUID:
    job_id: uuid.UUID = await fetchval(
        conn,
        Sql(
            "INSERT INTO import_jobs (kind, mode, atomic, options, format, file_name, created_by, caller) "
            "VALUES ('members', {mode}, {atomic}, {options}::jsonb, {media}, {file_name}, {created_by}, "
            "{caller}::jsonb) RETURNING id",
            mode=mode,
            atomic=atomic,
            options=orjson.dumps(options).decode(),
            media=media,
            file_name=file_name,
            created_by=created_by,
            caller=orjson.dumps(caller).decode(),
        ),
    )
    return job_id


async def insert_chunk(conn: Querier, job_id: uuid.UUID, seq: int, data: bytes) -> None:
    await execute(
        conn,
        Sql(
            "INSERT INTO import_job_chunks (job_id, seq, data) VALUES ({job}, {seq}, {data})",
            job=job_id,
            seq=seq,
            data=data,
        ),
    )


async def set_file_bytes(conn: Querier, job_id: uuid.UUID, size: int) -> None:
    await execute(conn, Sql("UPDATE import_jobs SET file_bytes = {size} WHERE id = {job}", size=size, job=job_id))


async def chunk_numbers(conn: Querier, job_id: uuid.UUID) -> list[int]:
    rows = await fetch(conn, Sql("SELECT seq FROM import_job_chunks WHERE job_id = {job} ORDER BY seq", job=job_id))
    return [r["seq"] for r in rows]


async def claim_keys(conn: Querier, job_id: uuid.UUID, claims: dict[str, int]) -> dict[str, int]:
    """A batch's keys (key → the file row of the first of its rows to have it): those no earlier batch claimed are
    claimed; the others are answered with the row that claimed them. The statement's snapshot is from before its
    own INSERT, so the SELECT sees exactly the earlier claims."""
    if not claims:
        return {}
    rows = await fetch(
        conn,
        Sql(
            "WITH given AS (SELECT * FROM unnest({keys}::text[], {rows}::int[]) AS g(key, first_row)), "
            "claimed AS (INSERT INTO import_job_keys (job_id, key, first_row) SELECT {job}, key, first_row FROM given "
            "ON CONFLICT (job_id, key) DO NOTHING) "
            "SELECT k.key, k.first_row FROM import_job_keys k JOIN given g ON g.key = k.key WHERE k.job_id = {job}",
            job=job_id,
            keys=list(claims),
            rows=list(claims.values()),
        ),
    )
    return {r["key"]: r["first_row"] for r in rows}


async def chunk(conn: Querier, job_id: uuid.UUID, seq: int) -> bytes:
    data: bytes = await fetchval(
        conn, Sql("SELECT data FROM import_job_chunks WHERE job_id = {job} AND seq = {seq}", job=job_id, seq=seq)
    )
    return data


def _visible(created_by: str | None) -> Sql:
    """A job is its submitter's (created_by = the key id or the token's subject); None: an admin's view, all."""
    return Sql("TRUE") if created_by is None else Sql("j.created_by = {by}", by=created_by)


async def job_document(conn: Querier, job_id: uuid.UUID, *, created_by: str | None) -> str | None:
    doc: str | None = await fetchval(
        conn,
        Sql(
            "SELECT {doc} FROM import_jobs j WHERE j.id = {job} AND {visible}",
            doc=JOB_DOC,
            job=job_id,
            visible=_visible(created_by),
        ),
    )
    return doc


async def list_jobs(
    conn: Querier,
    *,
    created_by: str | None,
    status: str | None,
    kind: str | None,
    after: tuple[str, uuid.UUID] | None,
    limit: int,
) -> list[Record]:
    """Newest first; keyset on (created_at, id)."""
    conditions = [_visible(created_by)]
    if status is not None:
        conditions.append(Sql("j.status = {status}", status=status))
    if kind is not None:
        conditions.append(Sql("j.kind = {kind}", kind=kind))
    if after is not None:
        conditions.append(Sql("(j.created_at, j.id) < ({at}::timestamptz, {id}::uuid)", at=after[0], id=after[1]))
    return await fetch(
        conn,
        Sql(
            "SELECT j.id, j.created_at::text AS created_at, {doc} AS doc FROM import_jobs j WHERE {where} "
            "ORDER BY j.created_at DESC, j.id DESC LIMIT {limit}",
            doc=JOB_DOC,
            where=Sql.all(conditions),
            limit=limit,
        ),
    )


async def job_errors(conn: Querier, job_id: uuid.UUID, *, after: tuple[int, int] | None, limit: int) -> list[Record]:
    """The errors of a job's rows in the file's order; keyset on (record, id)."""
    position = (
        Sql("TRUE") if after is None else Sql("(e.record, e.id) > ({record}, {id})", record=after[0], id=after[1])
    )
    return await fetch(
        conn,
        Sql(
            "SELECT e.id, e.record, json_build_object('row', e.row, 'record', e.record, 'column', e.column, "
            "'rule', e.rule, 'message', e.message)::text AS doc FROM import_job_errors e "
            "WHERE e.job_id = {job} AND {position} ORDER BY e.record, e.id LIMIT {limit}",
            job=job_id,
            position=position,
            limit=limit,
        ),
    )


async def request_cancel(conn: Querier, job_id: uuid.UUID) -> str | None:
    """Queued: cancelled at once. Running: flagged, the worker stops at its next batch. Finished: None."""
    doc: str | None = await fetchval(
        conn,
        Sql(
            "UPDATE import_jobs j SET cancel_requested = true, "
            "status = CASE WHEN j.status = 'queued' THEN 'cancelled' ELSE j.status END, "
            "finished_at = CASE WHEN j.status = 'queued' THEN now() ELSE j.finished_at END "
            "WHERE j.id = {job} AND j.status IN ('queued', 'running') RETURNING {doc}",
            job=job_id,
            doc=JOB_DOC,
        ),
    )
    return doc


async def job_state(conn: Querier, job_id: uuid.UUID) -> Record | None:
    return await fetchrow(
        conn, Sql("SELECT status, checkpoint, cancel_requested FROM import_jobs WHERE id = {job}", job=job_id)
    )


async def cancel_requested(conn: Querier, job_id: uuid.UUID) -> bool:
    flag: bool | None = await fetchval(
        conn, Sql("SELECT cancel_requested FROM import_jobs WHERE id = {job}", job=job_id)
    )
    return bool(flag)


async def start_attempt(conn: Querier, job_id: uuid.UUID) -> Record | None:
    """A worker takes the job: one more attempt. None when it is finished or cancelled (nothing to do)."""
    return await fetchrow(
        conn,
        Sql(
            "UPDATE import_jobs SET status = 'running', attempts = attempts + 1, "
            "started_at = coalesce(started_at, now()) "
            "WHERE id = {job} AND status IN ('queued', 'running') AND NOT cancel_requested "
            "RETURNING id, mode, atomic, options, format, caller, checkpoint, attempts, counts, rows_failed",
            job=job_id,
        ),
    )


async def restart(conn: Querier, job_id: uuid.UUID) -> None:
    """An all-or-nothing job starts again from nothing: what its last attempt showed is forgotten (nothing of it
    was committed)."""
    await execute(
        conn,
        Sql(
            "UPDATE import_jobs SET rows_done = 0, rows_failed = 0, checkpoint = 0, counts = '{{}}'::jsonb "
            "WHERE id = {job}",
            job=job_id,
        ),
    )
    await execute(conn, Sql("DELETE FROM import_job_errors WHERE job_id = {job}", job=job_id))


async def set_total(conn: Querier, job_id: uuid.UUID, total: int) -> None:
    await execute(conn, Sql("UPDATE import_jobs SET rows_total = {total} WHERE id = {job}", total=total, job=job_id))


async def set_progress(conn: Querier, job_id: uuid.UUID, *, rows_done: int, rows_failed: int) -> None:
    await execute(
        conn,
        Sql(
            "UPDATE import_jobs SET rows_done = {done}, rows_failed = {failed} WHERE id = {job}",
            done=rows_done,
            failed=rows_failed,
            job=job_id,
        ),
    )


async def add_errors(conn: Querier, job_id: uuid.UUID, errors: Sequence[tuple[int, int, str | None, str, str]]) -> None:
    """Errors of rows (row, record, column, rule, message), in one statement."""
    if errors:
        await execute(
            conn,
            Sql(
                'INSERT INTO import_job_errors (job_id, row, record, "column", rule, message) '
                "SELECT {job}, * FROM unnest({rows}::int[], {records}::int[], {columns}::text[], {rules}::text[], "
                "{messages}::text[])",
                job=job_id,
                rows=[e[0] for e in errors],
                records=[e[1] for e in errors],
                columns=[e[2] for e in errors],
                rules=[e[3] for e in errors],
                messages=[e[4] for e in errors],
            ),
        )


async def save_checkpoint(
    conn: Querier, job_id: uuid.UUID, *, checkpoint: int, counts: dict[str, int], rows_failed: int
) -> None:
    """A committed batch of a per-row job: its outcome in the same transaction as its rows."""
    await execute(
        conn,
        Sql(
            "UPDATE import_jobs SET checkpoint = {checkpoint}, rows_done = {checkpoint}, rows_failed = {failed}, "
            "counts = {counts}::jsonb WHERE id = {job}",
            checkpoint=checkpoint,
            failed=rows_failed,
            counts=orjson.dumps(counts).decode(),
            job=job_id,
        ),
    )


async def finish(
    conn: Querier,
    job_id: uuid.UUID,
    *,
    status: str,
    counts: dict[str, int] | None = None,
    committed: bool = False,
    problem: dict[str, Any] | None = None,
) -> None:
    """The job's end; the keys its rows claimed are forgotten with it."""
    await execute(
        conn,
        Sql(
            "WITH forgotten AS (DELETE FROM import_job_keys WHERE job_id = {job}) "
            "UPDATE import_jobs SET status = {status}, finished_at = clock_timestamp(), committed = {committed}, "
            "counts = coalesce({counts}::jsonb, counts), problem = {problem}::jsonb, "
            "rows_failed = coalesce(({counts}::jsonb ->> 'failed')::int, rows_failed), "
            "rows_done = coalesce(({counts}::jsonb ->> 'rows')::int, rows_done) WHERE id = {job}",
            status=status,
            committed=committed,
            counts=None if counts is None else orjson.dumps(counts).decode(),
            problem=None if problem is None else orjson.dumps(problem).decode(),
            job=job_id,
        ),
    )
