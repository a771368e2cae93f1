"""API keys.

The Alembic migrations are the source of the schema: these declarations mirror them for `alembic check`
(tests/db/test_migrations.py) and are never used to build queries (ARCHITECTURE.md)."""

from sqlalchemy import Boolean, CheckConstraint, Column, DateTime, Integer, LargeBinary, Table, Text, text
from sqlalchemy.dialects.postgresql import ARRAY, UUID

from app.db.metadata import metadata
from app.db.metadata import now as _now

# A system's credential. Only a hash of the secret is kept; `key_id` is the public part used to find it.
api_keys = Table(
    "api_keys",
    metadata,
    Column("id", UUID(as_uuid=True), primary_key=True, server_default=text("gen_random_uuid()")),
    Column("key_id", Text, nullable=False, unique=True),
    Column("secret_hash", LargeBinary, nullable=False),
    Column("name", Text, nullable=False),
    Column("role", Text, nullable=False),
    Column("scopes", ARRAY(UUID(as_uuid=True)), nullable=False, server_default=text("'{}'")),
    Column("pii", Boolean, nullable=False, server_default=text("false")),
    _now("created_at"),
    Column("created_by", Text, nullable=True),
    Column("expires_at", DateTime(timezone=True), nullable=True),
    Column("revoked_at", DateTime(timezone=True), nullable=True),
    Column("last_used_at", DateTime(timezone=True), nullable=True),
    # Moves when the key is revoked (its ETag), not when it is used.
    Column("version", Integer, nullable=False, server_default=text("1")),
    CheckConstraint("role IN ('viewer', 'editor', 'admin', 'auditor')", name="role"),
)
