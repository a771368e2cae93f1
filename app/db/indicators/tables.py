"""Indicator figures kept by triggers (migration 0009) and the targets set on units.

The Alembic migrations are the source of the schema: these declarations mirror them for `alembic check`
(tests/db/test_migrations.py) and are never used to build queries (ARCHITECTURE.md)."""

from typing import Any

from sqlalchemy import (
    BigInteger,
    CheckConstraint,
    Column,
    Date,
    DateTime,
    ForeignKey,
    Integer,
    Numeric,
    SmallInteger,
    Table,
    Text,
    text,
)
from sqlalchemy.dialects.postgresql import ARRAY, UUID

from app.db.metadata import metadata

# The measures of a unit and quarter (migrations 0009 and 0015 froze the same list; queries.py reads them).
INDICATOR_MEASURES = (
    "members",
    "admissions",
    "exits",
    "members_rated",
    "members_rated_good",
    "grassroots",
    "grassroots_rated",
    "grassroots_rated_good",
    "inspected_quarter",
    "inspected_year",
    "subordinate_cells",
    "subordinate_cells_regulated",
    "village_cells",
    "village_cells_committee",
    "village_cells_head_member",
    "village_cells_secretary_head",
    # migration 0015 (seed 004, 2.1.1.c–d, 2.1.3, 2.2.9.b; plan obligations)
    "village_cells_secretary_front_head",
    "military_police_cells",
    "military_police_cells_committee",
    "commune_committees",
    "commune_secretary_council_chair",
    "commune_secretary_committee_chair",
    "private_enterprise_units",
    "private_enterprise_members",
    "admissions_introduced",
    "tasks_due",
    "tasks_done_on_time",
)


def _measures() -> list[Column[Any]]:
    return [Column(m, Integer, server_default=text("0"), nullable=False) for m in INDICATOR_MEASURES]


indicator_quarters = Table(
    "indicator_quarters",
    metadata,
    Column("quarter", Integer, primary_key=True),
    Column("starts", Date, nullable=False),
    Column("ends", Date, nullable=False),
)


indicator_own = Table(
    "indicator_own",
    metadata,
    Column("organization_id", UUID(as_uuid=True), primary_key=True),
    Column("quarter", Integer, primary_key=True),
    Column("period_nodes", ARRAY(BigInteger), nullable=True),
    Column("current_nodes", ARRAY(BigInteger), nullable=True),
    *_measures(),
)


indicator_anchors = Table(
    "indicator_anchors",
    metadata,
    Column("organization_id", UUID(as_uuid=True), primary_key=True),
    Column("anchor_id", UUID(as_uuid=True), nullable=False, index=True),
)


indicator_rollup = Table(
    "indicator_rollup",
    metadata,
    Column("structure", SmallInteger, primary_key=True),
    Column("node", BigInteger, primary_key=True),
    Column("quarter", Integer, primary_key=True),
    *_measures(),
    CheckConstraint("structure IN (0, 1)", name="structure"),
)


indicator_dirty = Table(
    "indicator_dirty",
    metadata,
    Column("txid", Text, primary_key=True, server_default=text("pg_current_xact_id()::text")),
    Column("organization_id", UUID(as_uuid=True), primary_key=True),
)


indicator_clock = Table("indicator_clock", metadata, Column("day", Date, primary_key=True))


indicator_targets = Table(
    "indicator_targets",
    metadata,
    Column("id", UUID(as_uuid=True), primary_key=True, server_default=text("gen_random_uuid()")),
    Column("indicator", Text, nullable=False),
    Column("organization_id", UUID(as_uuid=True), ForeignKey("organizations.id"), nullable=False),
    Column("year_from", Integer, nullable=False),
    Column("year_to", Integer, nullable=True),
    Column("comparator", Text, nullable=False),
    Column("value", Numeric, nullable=False),
    Column("value_high", Numeric, nullable=True),
    Column("note", Text, nullable=True),
    Column("created_at", DateTime(timezone=True), server_default=text("now()"), nullable=False),
    # which period types it applies to: a yearly target is not a quarterly one (migration 0015)
    Column("period_types", ARRAY(Text), server_default=text("'{year}'"), nullable=False),
    Column("version", Integer, nullable=False, server_default=text("1")),  # the ETag (migration 0023)
    # the plan that set it (null: set on the unit directly)
    Column("plan_id", UUID(as_uuid=True), ForeignKey("plans.id", ondelete="CASCADE"), nullable=True, index=True),
    # where it came from: a request, or the text of its plan read at the import (migration 0015)
    Column("origin", Text, server_default=text("'request'"), nullable=False),
    CheckConstraint(
        "origin IN ('request', 'plan_text') AND (origin = 'request' OR plan_id IS NOT NULL)",
        name="origin",
    ),
)


# The thresholds the figures use, written by the service from its settings at start (coso_indicators_configure).
indicator_settings = Table(
    "indicator_settings",
    metadata,
    Column("name", Text, primary_key=True),
    Column("value", Integer, nullable=False),
)
