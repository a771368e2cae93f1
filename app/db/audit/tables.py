"""The audit log: append-only (a trigger refuses the rest).

The Alembic migrations are the source of the schema: these declarations mirror them for `alembic check`
(tests/db/test_migrations.py) and are never used to build queries (ARCHITECTURE.md)."""

from sqlalchemy import BigInteger, CheckConstraint, Column, Identity, Index, Table, Text
from sqlalchemy.dialects.postgresql import JSONB, UUID

from app.db.metadata import metadata
from app.db.metadata import now as _now

# Who changed what, when, with the values before and after. Append-only (a trigger refuses the rest).
audit_log = Table(
    "audit_log",
    metadata,
    Column("id", BigInteger, Identity(always=True), primary_key=True),
    _now("at"),
    Column("actor_kind", Text, nullable=False),
    Column("actor_id", Text, nullable=False),
    Column("actor_name", Text, nullable=True),
    Column("request_id", Text, nullable=True),
    Column("action", Text, nullable=False),
    Column("entity", Text, nullable=False),
    Column("entity_id", UUID(as_uuid=True), nullable=True),
    Column("organization_id", UUID(as_uuid=True), nullable=True),
    Column("related_organization_id", UUID(as_uuid=True), nullable=True),
    Column("before", JSONB, nullable=True),
    Column("after", JSONB, nullable=True),
    CheckConstraint("actor_kind IN ('key', 'jwt', 'system')", name="actor_kind"),
    Index("ix_audit_log_entity", "entity", "entity_id", "id"),
    Index("ix_audit_log_actor", "actor_id", "id"),
    Index("ix_audit_log_at", "at"),
)
