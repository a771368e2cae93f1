"""Organisations: identity, placements over time (materialised path), external ids, lineage.

Revision ID: 0001
Revises:
Create Date: 2026-11-24
"""

from collections.abc import Sequence

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql

from alembic import op

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.execute("CREATE EXTENSION IF NOT EXISTS unaccent")
    op.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    op.execute("CREATE EXTENSION IF NOT EXISTS btree_gist")
    # Accent- and case-folding for search. unaccent() is only STABLE (its dictionary could change); pinning the
    # dictionary makes the result depend on the argument alone, so the wrapper may be IMMUTABLE and indexed.
    op.execute(
        """
        CREATE FUNCTION coso_fold(value text) RETURNS text
        LANGUAGE sql IMMUTABLE PARALLEL SAFE STRICT
        RETURN lower(unaccent('unaccent'::regdictionary, value))
        """
    )
    # The path segment of a unit (see app/db/organizations/paths.py): its node in hex behind a length character, so that byte
    # order is numeric order.
    op.execute(
        """
        CREATE FUNCTION coso_path_segment(node bigint) RETURNS text
        LANGUAGE sql IMMUTABLE PARALLEL SAFE STRICT
        RETURN chr(48 + length(to_hex(node))) || to_hex(node)
        """
    )
    op.create_table(
        "organizations",
        sa.Column("id", sa.UUID(), server_default=sa.text("gen_random_uuid()"), nullable=False),
        sa.Column("node", sa.BigInteger(), sa.Identity(always=True), nullable=False),
        sa.Column("code", sa.Text(), nullable=False),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("name_folded", sa.Text(), sa.Computed("coso_fold(name)", persisted=True), nullable=True),
        sa.Column("code_folded", sa.Text(), sa.Computed("coso_fold(code)", persisted=True), nullable=True),
        sa.Column("kind", sa.Text(), nullable=False),
        sa.Column("category", sa.Text(), nullable=True),
        sa.Column("valid_from", sa.Date(), nullable=False),
        sa.Column("valid_to", sa.Date(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("version", sa.Integer(), server_default=sa.text("1"), nullable=False),
        sa.CheckConstraint("valid_to IS NULL OR valid_to > valid_from", name=op.f("ck_organizations_validity")),
        sa.CheckConstraint("code <> '' AND name <> ''", name=op.f("ck_organizations_not_blank")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_organizations")),
        sa.UniqueConstraint("code", name=op.f("uq_organizations_code")),
        sa.UniqueConstraint("node", name=op.f("uq_organizations_node")),
    )
    op.create_index(op.f("ix_organizations_kind"), "organizations", ["kind"])
    op.create_index(op.f("ix_organizations_category"), "organizations", ["category"])
    op.create_index(
        "ix_organizations_name_folded_trgm",
        "organizations",
        ["name_folded"],
        postgresql_using="gin",
        postgresql_ops={"name_folded": "gin_trgm_ops"},
    )
    op.create_index(
        "ix_organizations_code_folded_trgm",
        "organizations",
        ["code_folded"],
        postgresql_using="gin",
        postgresql_ops={"code_folded": "gin_trgm_ops"},
    )

    op.create_table(
        "organization_placements",
        sa.Column("organization_id", sa.UUID(), nullable=False),
        sa.Column("valid_from", sa.Date(), nullable=False),
        sa.Column("valid_to", sa.Date(), nullable=True),
        sa.Column("parent_id", sa.UUID(), nullable=True),
        sa.Column("path", sa.Text(collation="C"), nullable=False),
        sa.Column("depth", sa.Integer(), nullable=False),
        sa.CheckConstraint(
            "valid_to IS NULL OR valid_to > valid_from", name=op.f("ck_organization_placements_validity")
        ),
        sa.CheckConstraint("depth >= 0 AND path LIKE '/%/'", name=op.f("ck_organization_placements_path_shape")),
        sa.ForeignKeyConstraint(
            ["organization_id"],
            ["organizations.id"],
            ondelete="CASCADE",
            name=op.f("fk_organization_placements_organization_id_organizations"),
        ),
        sa.ForeignKeyConstraint(
            ["parent_id"], ["organizations.id"], name=op.f("fk_organization_placements_parent_id_organizations")
        ),
        sa.PrimaryKeyConstraint("organization_id", "valid_from", name=op.f("pk_organization_placements")),
        postgresql.ExcludeConstraint(
            (sa.column("organization_id"), "="),
            (sa.text("daterange(valid_from, valid_to)"), "&&"),
            using="gist",
            name="ex_organization_placements_no_overlap",
        ),
    )
    op.create_index("ix_organization_placements_path", "organization_placements", ["path", "valid_from"])
    op.create_index("ix_organization_placements_parent", "organization_placements", ["parent_id", "valid_from"])

    op.create_table(
        "organization_external_ids",
        sa.Column("external_id", sa.Text(), nullable=False),
        sa.Column("organization_id", sa.UUID(), nullable=False),
        sa.CheckConstraint("external_id ~ '^[^:\\s]+:\\S+$'", name=op.f("ck_organization_external_ids_shape")),
        sa.ForeignKeyConstraint(
            ["organization_id"],
            ["organizations.id"],
            ondelete="CASCADE",
            name=op.f("fk_organization_external_ids_organization_id_organizations"),
        ),
        sa.PrimaryKeyConstraint("external_id", name=op.f("pk_organization_external_ids")),
    )
    op.create_index(
        op.f("ix_organization_external_ids_organization_id"), "organization_external_ids", ["organization_id"]
    )

    op.create_table(
        "lineage_events",
        sa.Column("id", sa.UUID(), server_default=sa.text("gen_random_uuid()"), nullable=False),
        sa.Column("action", sa.Text(), nullable=False),
        sa.Column("effective_date", sa.Date(), nullable=False),
        sa.Column("decision_ref", sa.Text(), nullable=True),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("recorded_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_lineage_events")),
    )
    op.create_table(
        "lineage_links",
        sa.Column("event_id", sa.UUID(), nullable=False),
        sa.Column("organization_id", sa.UUID(), nullable=False),
        sa.Column("role", sa.Text(), nullable=False),
        sa.CheckConstraint("role IN ('source', 'target')", name=op.f("ck_lineage_links_role")),
        sa.ForeignKeyConstraint(
            ["event_id"],
            ["lineage_events.id"],
            ondelete="CASCADE",
            name=op.f("fk_lineage_links_event_id_lineage_events"),
        ),
        sa.ForeignKeyConstraint(
            ["organization_id"],
            ["organizations.id"],
            ondelete="CASCADE",
            name=op.f("fk_lineage_links_organization_id_organizations"),
        ),
        sa.PrimaryKeyConstraint("event_id", "organization_id", "role", name=op.f("pk_lineage_links")),
    )
    op.create_index(op.f("ix_lineage_links_organization_id"), "lineage_links", ["organization_id"])


def downgrade() -> None:
    op.drop_table("lineage_links")
    op.drop_table("lineage_events")
    op.drop_table("organization_external_ids")
    op.drop_table("organization_placements")
    op.drop_table("organizations")
    op.execute("DROP FUNCTION coso_path_segment(bigint)")
    op.execute("DROP FUNCTION coso_fold(text)")
