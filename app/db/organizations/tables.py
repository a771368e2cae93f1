"""The organisation tree: units, where each sat over time (placements), their external ids, and the lineage of
reorganisations.

The Alembic migrations are the source of the schema: these declarations mirror them for `alembic check`
(tests/db/test_migrations.py) and are never used to build queries (ARCHITECTURE.md)."""

from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    Column,
    Computed,
    Date,
    ForeignKey,
    Identity,
    Index,
    Integer,
    PrimaryKeyConstraint,
    Table,
    Text,
    text,
)
from sqlalchemy.dialects.postgresql import UUID, ExcludeConstraint

from app.db.metadata import metadata
from app.db.metadata import now as _now

# Identity and attributes of a unit. Where it sits in the tree, over time, is in OrganizationPlacement.
organizations = Table(
    "organizations",
    metadata,
    Column("id", UUID(as_uuid=True), primary_key=True, server_default=text("gen_random_uuid()")),
    Column("node", BigInteger, Identity(always=True), nullable=False, unique=True),
    Column("code", Text, nullable=False, unique=True),
    Column("name", Text, nullable=False),
    Column("name_folded", Text, Computed("coso_fold(name)", persisted=True)),
    Column("code_folded", Text, Computed("coso_fold(code)", persisted=True)),
    Column("kind", Text, nullable=False, index=True),
    Column("category", Text, nullable=True, index=True),
    Column("valid_from", Date, nullable=False),
    Column("valid_to", Date, nullable=True),
    _now("created_at"),
    _now("updated_at"),
    Column("version", Integer, nullable=False, server_default=text("1")),
    CheckConstraint("valid_to IS NULL OR valid_to > valid_from", name="validity"),
    CheckConstraint("code <> '' AND name <> ''", name="not_blank"),
    Index(
        "ix_organizations_name_folded_trgm",
        "name_folded",
        postgresql_using="gin",
        postgresql_ops={"name_folded": "gin_trgm_ops"},
    ),
    Index(
        "ix_organizations_code_folded_trgm",
        "code_folded",
        postgresql_using="gin",
        postgresql_ops={"code_folded": "gin_trgm_ops"},
    ),
    Index("ix_organizations_name_folded", "name_folded"),
    Index("ix_organizations_code_folded", "code_folded"),
    Index("ix_organizations_updated_at", "updated_at"),  # `updated_since`
)


# Where a unit sat in the tree during [valid_from, valid_to): parent, materialised path, depth.  The path is
# "/<node>/<node>/…/" of the nodes from the root; with COLLATE "C" a plain btree serves both the subtree range scan
# and ORDER BY path, so a subtree page costs the same whatever the size of the tree.
organization_placements = Table(
    "organization_placements",
    metadata,
    Column("organization_id", UUID(as_uuid=True), ForeignKey("organizations.id", ondelete="CASCADE"), nullable=False),
    Column("valid_from", Date, nullable=False),
    Column("valid_to", Date, nullable=True),
    Column("parent_id", UUID(as_uuid=True), ForeignKey("organizations.id"), nullable=True),
    Column("path", Text(collation="C"), nullable=False),
    Column("depth", Integer, nullable=False),
    Column("latest", Boolean, nullable=False, server_default=text("true")),
    PrimaryKeyConstraint("organization_id", "valid_from"),
    # Empty ([D, D)) only as a unit's last placement: the place a move gave it on the day it ended (migration 0016).
    CheckConstraint("valid_to IS NULL OR valid_to > valid_from OR (valid_to = valid_from AND latest)", name="validity"),
    CheckConstraint("depth >= 0 AND path LIKE '/%/'", name="path_shape"),
    ExcludeConstraint(
        ("organization_id", "="),
        (text("daterange(valid_from, valid_to)"), "&&"),
        name="ex_organization_placements_no_overlap",
        using="gist",
    ),
    Index("ix_organization_placements_path", "path", "valid_from"),
    Index("ix_organization_placements_parent", "parent_id", "valid_from"),
    Index("ix_organization_placements_latest_path", "path", postgresql_where=text("latest")),
    Index("ix_organization_placements_latest_parent", "parent_id", "path", postgresql_where=text("latest")),
    Index("uq_organization_placements_latest", "organization_id", unique=True, postgresql_where=text("latest")),
)


# An identifier another system uses for a unit ("system:id"); each belongs to one unit only.
organization_external_ids = Table(
    "organization_external_ids",
    metadata,
    Column("external_id", Text, primary_key=True),
    Column(
        "organization_id",
        UUID(as_uuid=True),
        ForeignKey("organizations.id", ondelete="CASCADE"),
        nullable=False,
        index=True,
    ),
    CheckConstraint("external_id ~ '^[^:\\s]+:\\S+$'", name="shape"),
)


# A structural change (create, move, merge, split, dissolve) and the decision behind it.
lineage_events = Table(
    "lineage_events",
    metadata,
    Column("id", UUID(as_uuid=True), primary_key=True, server_default=text("gen_random_uuid()")),
    Column("action", Text, nullable=False),
    Column("effective_date", Date, nullable=False),
    Column("decision_ref", Text, nullable=True),
    Column("note", Text, nullable=True),
    _now("recorded_at"),
)


# One unit's part in a lineage event: `source` (what it was) or `target` (what it became).
lineage_links = Table(
    "lineage_links",
    metadata,
    Column("event_id", UUID(as_uuid=True), ForeignKey("lineage_events.id", ondelete="CASCADE"), nullable=False),
    Column(
        "organization_id",
        UUID(as_uuid=True),
        ForeignKey("organizations.id", ondelete="CASCADE"),
        nullable=False,
        index=True,
    ),
    Column("role", Text, nullable=False),
    PrimaryKeyConstraint("event_id", "organization_id", "role"),
    CheckConstraint("role IN ('source', 'target')", name="role"),
)
