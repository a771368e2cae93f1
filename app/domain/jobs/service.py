"""Import jobs as a resource: submitted in the request's transaction (the job, its upload in chunks and its place in
pgqueuer's queue commit together), then read, listed, cancelled and their errors paged by the caller who made them
(or an admin); anyone else finds nothing, as with a random id."""

import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import orjson

from app.db.jobs import queries as db
from app.db.jobs import queue
from app.db.scope import Scope
from app.db.sql import Querier
from app.domain.access.callers import Actor, Caller, Role
from app.domain.audit import service as audit
from app.domain.errors import Conflict, NotFound
from app.domain.imports import files, members
from app.domain.pagination import Page, Paging
from app.domain.tx import Tx

CHUNK_BYTES = 1024 * 1024  # one row of import_job_chunks: the upload is never held whole in memory


class JobNotFound(NotFound):
    code = "job_not_found"


class JobFinished(Conflict):
    code = "job_finished"


@dataclass(frozen=True)
class Submitted:
    job_id: uuid.UUID
    document: str


def owner(caller: Caller) -> str | None:
    """Whose jobs a caller sees: its own (by key id or token subject); an administrator of the whole tree sees all
    (None). An administrator of a subtree sees its own only: another's job may hold rows of any unit."""
    return None if caller.role == Role.admin and caller.whole_tree else caller.id


def caller_record(caller: Caller) -> dict[str, Any]:
    """What the worker needs to act as the submitter: the caller (role, scopes as subtree roots, pii)."""
    return {
        "kind": caller.kind,
        "id": caller.id,
        "name": caller.name,
        "role": caller.role.value,
        "scopes": [str(s) for s in caller.scopes],
        "pii": caller.pii,
    }


def caller_of(record: dict[str, Any]) -> Caller:
    return Caller(
        kind=record["kind"],
        id=record["id"],
        name=record["name"],
        role=Role(record["role"]),
        scopes=tuple(uuid.UUID(s) for s in record["scopes"]),
        pii=record["pii"],
    )


def options_record(options: members.Options) -> dict[str, Any]:
    return {
        "mode": options.mode,
        "atomic": options.atomic,
        "allow_same_name": options.allow_same_name,
        "today": options.today.isoformat(),
        "min_age": options.min_age,
        "probation_months": options.probation_months,
    }


async def submit(
    tx: Tx,
    *,
    actor: Actor,
    media: str,
    head: bytes,
    rest: AsyncIterator[bytes],
    options: members.Options,
    file_name: str | None,
) -> Submitted:
    """The job, its upload (what was read already, then the rest of the body as it arrives, in chunks of 1 MB) and
    its place in the queue, in the request's transaction: a failure anywhere leaves none of them."""
    job_id = await db.insert_job(
        tx.conn,
        mode=options.mode,
        atomic=options.atomic,
        options=options_record(options),
        media=media,
        file_name=file_name,
        created_by=actor.caller.id,
        caller=caller_record(actor.caller),
    )
    seq = 0
    size = 0
    pending = bytearray(head)
    async for piece in rest:
        pending += piece
        while len(pending) >= CHUNK_BYTES:
            await db.insert_chunk(tx.conn, job_id, seq, bytes(pending[:CHUNK_BYTES]))
            del pending[:CHUNK_BYTES]
            size += CHUNK_BYTES
            seq += 1
    while pending:
        await db.insert_chunk(tx.conn, job_id, seq, bytes(pending[:CHUNK_BYTES]))
        size += min(len(pending), CHUNK_BYTES)
        del pending[:CHUNK_BYTES]
        seq += 1
    if size == 0:
        raise files.UnreadableFile("The file is empty: send a header row and at least one data row.")
    await db.set_file_bytes(tx.conn, job_id, size)
    await queue.enqueue_import(tx.conn, job_id)
    await audit.record(
        tx,
        actor,
        action="submit",
        entity="import_job",
        entity_id=job_id,
        organization_id=None,
        before=None,
        after={"kind": "members", "mode": options.mode, "atomic": options.atomic, "format": media, "bytes": size},
        diff=False,
    )
    document = await db.job_document(tx.conn, job_id, created_by=None)
    assert document is not None
    return Submitted(job_id=job_id, document=document)


def _missing(job_id: uuid.UUID) -> JobNotFound:
    return JobNotFound(f"No job {job_id} (or not one of yours).")


async def get(conn: Querier, caller: Caller, job_id: uuid.UUID) -> str:
    document = await db.job_document(conn, job_id, created_by=owner(caller))
    if document is None:
        raise _missing(job_id)
    return document


async def listing(conn: Querier, caller: Caller, paging: Paging, *, status: str | None, kind: str | None) -> Page[str]:
    position = paging.after("jobs")
    after = (position["at"], uuid.UUID(position["id"])) if position else None
    rows = await db.list_jobs(conn, created_by=owner(caller), status=status, kind=kind, after=after, limit=paging.fetch)
    page = paging.page(rows, kind="jobs", position=lambda r: {"at": r["created_at"], "id": str(r["id"])})
    return Page(items=[r["doc"] for r in page.items], next_cursor=page.next_cursor)


async def errors(conn: Querier, caller: Caller, job_id: uuid.UUID, paging: Paging) -> Page[str]:
    await get(conn, caller, job_id)
    position = paging.after("job_errors")
    after = (int(position["record"]), int(position["id"])) if position else None
    rows = await db.job_errors(conn, job_id, after=after, limit=paging.fetch)
    page = paging.page(rows, kind="job_errors", position=lambda r: {"record": r["record"], "id": r["id"]})
    return Page(items=[r["doc"] for r in page.items], next_cursor=page.next_cursor)


async def cancel(tx: Tx, *, actor: Actor, scope: Scope, job_id: uuid.UUID) -> str:
    """Queued: cancelled now. Running: the worker stops at its next batch and rolls back the batch it is in (an
    all-or-nothing job: everything). Finished: 409."""
    current = await get(tx.conn, actor.caller, job_id)
    document = await db.request_cancel(tx.conn, job_id)
    if document is None:
        status = orjson.loads(current)["status"]
        raise JobFinished(f"The job is {status} already: there is nothing to cancel.")
    await audit.record(
        tx,
        actor,
        action="cancel",
        entity="import_job",
        entity_id=job_id,
        organization_id=None,
        before=None,
        after={"status": orjson.loads(document)["status"]},
        diff=False,
    )
    return document
