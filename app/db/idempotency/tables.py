"""The answers of writes sent with an `Idempotency-Key`, kept so that a retry gets the same answer without the work
being done twice (ARCHITECTURE.md, "Idempotency"). Written in the request's own transaction: a row exists iff the
work committed.

The Alembic migrations are the source of the schema: these declarations mirror them for `alembic check`."""

from sqlalchemy import Column, DateTime, Index, LargeBinary, SmallInteger, Table, Text
from sqlalchemy.dialects.postgresql import JSONB

from app.db.metadata import metadata
from app.db.metadata import now as _now

idempotency_keys = Table(
    "idempotency_keys",
    metadata,
    # Who sent it (`key:<key id>` or `jwt:<subject>`): another caller's same key is another key.
    Column("caller", Text, primary_key=True),
    Column("key", Text, primary_key=True),
    # The request's fingerprint: a retry must be the same request.
    Column("method", Text, nullable=False),
    Column("path", Text, nullable=False),
    Column("body_sha256", LargeBinary, nullable=False),
    # The answer, as sent: status, the headers that matter (Location, ETag, Content-Type, …) and the body.
    Column("status", SmallInteger, nullable=False),
    Column("headers", JSONB, nullable=False),
    Column("body", LargeBinary, nullable=False),
    _now("created_at"),
    Column("expires_at", DateTime(timezone=True), nullable=False),
    Index("ix_idempotency_keys_expires_at", "expires_at"),
)
