"""The change feed: what changed, in an order a follower can page through (migration 0021 has the triggers that
write it and the reasoning; ARCHITECTURE.md, "The change feed").

The Alembic migrations are the source of the schema: these declarations mirror them for `alembic check`."""

from sqlalchemy import BigInteger, Boolean, CheckConstraint, Column, Identity, Index, Integer, Table, Text, text
from sqlalchemy.dialects.postgresql import UUID

from app.db.metadata import metadata
from app.db.metadata import now as _now

ENTITIES = ("organization", "member", "plan", "task")
CHANGES = ("created", "updated", "moved", "ended", "deleted")

# One row per record and transaction that changed what a follower sees of it: its version, where it is in the tree
# (`path_*`: the unit's path, or that of the unit the record belongs to) and whether it is alive (not ended).
changes = Table(
    "changes",
    metadata,
    Column("position", BigInteger, Identity(always=True), primary_key=True),
    # The writing transaction's id, raised to the record's previous xkey: the feed's order is (xkey, position).
    Column("xkey", BigInteger, nullable=False),
    Column("entity", Text, nullable=False),
    Column("entity_id", UUID(as_uuid=True), nullable=False),
    Column("change", Text, nullable=False),
    Column("version", Integer, nullable=True),
    Column("path_before", Text(collation="C"), nullable=True),
    Column("path_after", Text(collation="C"), nullable=True),
    Column("alive_before", Boolean, nullable=False),
    Column("alive", Boolean, nullable=False),
    _now("changed_at"),
    CheckConstraint(f"entity IN {ENTITIES}", name="entity"),
    CheckConstraint(f"change IN {CHANGES}", name="change"),
    Index("ix_changes_order", "xkey", "position", unique=True),
    Index("ix_changes_entity", "entity", "entity_id", "xkey", "position"),
)

_TXID = text("pg_current_xact_id()::text::bigint")

# The records a running transaction touched (its statements' triggers write them; its commit turns them into changes).
change_dirty = Table(
    "change_dirty",
    metadata,
    Column("txid", BigInteger, primary_key=True, server_default=_TXID),
    Column("entity", Text, primary_key=True),
    Column("entity_id", UUID(as_uuid=True), primary_key=True),
)

# One row per transaction that touched a watched table: its insert arms the commit trigger once.
change_tx = Table("change_tx", metadata, Column("txid", BigInteger, primary_key=True, server_default=_TXID))
