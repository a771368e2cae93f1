"""Background jobs: the import jobs, their uploads (in chunks, so that a worker on any machine reads them) and the
errors of their rows. pgqueuer's own tables (the queue) are installed by migration 0017 from the SQL of the pinned
pgqueuer and are not declared here: `alembic check` leaves them out (`QUEUE_TABLES`, alembic/env.py).

The Alembic migrations are the source of the schema: these declarations mirror them for `alembic check`."""

from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    Column,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    Table,
    Text,
    text,
)
from sqlalchemy.dialects.postgresql import JSONB, UUID

from app.db.metadata import metadata
from app.db.metadata import now as _now

JOB_STATUSES = ("queued", "running", "succeeded", "failed", "cancelled")
# pgqueuer's tables and type, installed by migration 0017 (what the pinned pgqueuer's `pgq install` creates).
QUEUE_TABLES = ("pgqueuer", "pgqueuer_log", "pgqueuer_schedules", "pgqueuer_statistics")

import_jobs = Table(
    "import_jobs",
    metadata,
    Column("id", UUID(as_uuid=True), primary_key=True, server_default=text("gen_random_uuid()")),
    Column("kind", Text, nullable=False),
    Column("status", Text, nullable=False, server_default=text("'queued'")),
    Column("mode", Text, nullable=False),
    Column("atomic", Boolean, nullable=False),
    Column("options", JSONB, nullable=False),
    Column("format", Text, nullable=False),
    Column("file_name", Text, nullable=True),
    Column("file_bytes", BigInteger, nullable=False, server_default=text("0")),
    # Who submitted it (the key id or the token's subject), and what the worker needs to act as them.
    Column("created_by", Text, nullable=False),
    Column("caller", JSONB, nullable=False),
    Column("rows_total", Integer, nullable=True),
    Column("rows_done", Integer, nullable=False, server_default=text("0")),
    Column("rows_failed", Integer, nullable=False, server_default=text("0")),
    Column("counts", JSONB, nullable=False, server_default=text("'{}'::jsonb")),
    Column("committed", Boolean, nullable=False, server_default=text("false")),
    # Records (data rows) of the file whose outcome is committed: a restarted per-row job goes on after them.
    Column("checkpoint", Integer, nullable=False, server_default=text("0")),
    Column("attempts", Integer, nullable=False, server_default=text("0")),
    Column("cancel_requested", Boolean, nullable=False, server_default=text("false")),
    Column("problem", JSONB, nullable=True),
    _now("created_at"),
    Column("started_at", DateTime(timezone=True), nullable=True),
    Column("finished_at", DateTime(timezone=True), nullable=True),
    CheckConstraint("kind IN ('members')", name="kind"),
    CheckConstraint("status IN ('queued', 'running', 'succeeded', 'failed', 'cancelled')", name="status"),
    CheckConstraint("mode IN ('validate', 'commit')", name="mode"),
    Index("ix_import_jobs_created_by", "created_by", "created_at", "id"),
    Index("ix_import_jobs_created_at", "created_at", "id"),
)

import_job_chunks = Table(
    "import_job_chunks",
    metadata,
    Column("job_id", UUID(as_uuid=True), ForeignKey("import_jobs.id", ondelete="CASCADE"), primary_key=True),
    Column("seq", Integer, primary_key=True),
    Column("data", LargeBinary, nullable=False),
)

import_job_errors = Table(
    "import_job_errors",
    metadata,
    Column("id", BigInteger, primary_key=True, autoincrement=True),
    Column("job_id", UUID(as_uuid=True), ForeignKey("import_jobs.id", ondelete="CASCADE"), nullable=False),
    Column("row", Integer, nullable=False),
    Column("record", Integer, nullable=False),
    Column("column", Text, nullable=True),
    Column("rule", Text, nullable=False),
    Column("message", Text, nullable=False),
    Index("ix_import_job_errors_job_id", "job_id", "record", "id"),
)

# The keys (`<field>:<value>`) the rows of a running job claimed, and the file row of the first (migration 0018).
import_job_keys = Table(
    "import_job_keys",
    metadata,
    Column("job_id", UUID(as_uuid=True), ForeignKey("import_jobs.id", ondelete="CASCADE"), primary_key=True),
    Column("key", Text, primary_key=True),
    Column("first_row", Integer, nullable=False),
)
