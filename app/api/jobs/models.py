"""Background jobs as the API shows them (documentation: the documents are built in PostgreSQL)."""

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, Field

from app.api.imports.models import ImportRowError

JobStatus = Literal["queued", "running", "succeeded", "failed", "cancelled"]


class JobCounts(BaseModel):
    """The report's counts so far (empty until the worker has counted a batch)."""

    rows: int = 0
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    failed: int = 0


class JobRead(BaseModel):
    id: str
    kind: Literal["members"]
    status: JobStatus = Field(
        description="queued → running → succeeded, failed (`problem` says why) or cancelled. A job whose worker "
        "died stays running until another worker takes it up (it resumes after its last committed batch, or "
        "starts again when it is all or nothing)"
    )
    mode: Literal["validate", "commit"]
    atomic: bool
    format: str = Field(description="The media type the file is read as")
    file_name: str | None
    file_bytes: int
    created_by: str = Field(description="The key id or the token subject that submitted it")
    rows_total: int | None = Field(description="Data rows of the file (null until the worker has read it)")
    rows_done: int
    rows_failed: int
    counts: JobCounts
    committed: bool = Field(description="As in the import report: the good rows were written")
    attempts: int = Field(description="How many times a worker started it")
    problem: dict[str, Any] | None = Field(description="Why it failed: a problem document (RFC 9457)")
    created_at: datetime
    started_at: datetime | None
    finished_at: datetime | None


class JobPage(BaseModel):
    items: list[JobRead]
    next_cursor: str | None


class JobErrorPage(BaseModel):
    items: list[ImportRowError]
    next_cursor: str | None
