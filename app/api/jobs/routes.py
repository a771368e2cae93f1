"""Background jobs: a large import runs as one (POST /members/import answers 202 with the job); its submitter (or an
admin) follows it here, pages its bad rows and may cancel it. Anyone else's job is a 404, as a random id is."""

import uuid
from typing import Annotated, Literal

from fastapi import Query
from starlette.responses import Response

from app.api.auth import EditorDep, ReaderDep, api_router
from app.api.deps import PagingDep
from app.api.jobs.models import JobErrorPage, JobPage, JobRead, JobStatus
from app.api.responses import problems
from app.api.types import json_response, page_response
from app.domain.jobs import service as jobs

router = api_router("/api/v1/jobs", "jobs")


@router.get("", response_model=JobPage, responses=problems(400))
async def list_jobs(
    reader: ReaderDep,
    paging: PagingDep,
    status: Annotated[JobStatus | None, Query(description="Only jobs in this status")] = None,
    kind: Annotated[Literal["members"] | None, Query(description="Only jobs of this kind")] = None,
) -> Response:
    """Your jobs (an admin's: everyone's), newest first."""
    return page_response(await jobs.listing(reader.pool, reader.caller, paging, status=status, kind=kind))


@router.get("/{job_id}", response_model=JobRead, responses=problems(404))
async def get_job(reader: ReaderDep, job_id: uuid.UUID) -> Response:
    """The job: its status, rows done and failed so far, the counts, and why it failed."""
    return json_response((await jobs.get(reader.pool, reader.caller, job_id)).encode())


@router.get("/{job_id}/errors", response_model=JobErrorPage, responses=problems(400, 404))
async def list_job_errors(reader: ReaderDep, paging: PagingDep, job_id: uuid.UUID) -> Response:
    """The bad rows of the job's file, in the file's order: row, column, rule and what to correct (as in the
    import report). A per-row job lists those of its committed batches as it goes."""
    return page_response(await jobs.errors(reader.pool, reader.caller, job_id, paging))


@router.post("/{job_id}/cancel", response_model=JobRead, responses=problems(404, 409))
async def cancel_job(writer: EditorDep, job_id: uuid.UUID) -> Response:
    """A queued job is cancelled at once; a running one at its next batch, the batch in progress rolled back (an
    all-or-nothing job: everything). A finished job: 409."""
    return json_response((await jobs.cancel(writer.tx, actor=writer.actor, scope=writer.scope, job_id=job_id)).encode())
