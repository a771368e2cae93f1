"""Mark each unit's latest placement, so "the tree as it stands" is a plain indexed predicate.

Before, "latest" was `placement.valid_to IS NOT DISTINCT FROM organization.valid_to`: correct, but the planner
cannot estimate a join filter, and chose to join and sort a whole province's subtree for a 50-row page.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-24
"""

from collections.abc import Sequence

import sqlalchemy as sa

from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column(
        "organization_placements", sa.Column("latest", sa.Boolean(), server_default=sa.text("true"), nullable=False)
    )
    op.execute("""
        UPDATE organization_placements p SET latest = (p.valid_to IS NOT DISTINCT FROM o.valid_to)
        FROM organizations o WHERE o.id = p.organization_id""")
    op.create_index(
        "ix_organization_placements_latest_path",
        "organization_placements",
        ["path"],
        postgresql_where=sa.text("latest"),
    )
    op.create_index(
        "ix_organization_placements_latest_parent",
        "organization_placements",
        ["parent_id", "path"],
        postgresql_where=sa.text("latest"),
    )
    op.create_index(
        "uq_organization_placements_latest",
        "organization_placements",
        ["organization_id"],
        unique=True,
        postgresql_where=sa.text("latest"),
    )


def downgrade() -> None:
    op.drop_index("uq_organization_placements_latest", "organization_placements")
    op.drop_index("ix_organization_placements_latest_parent", "organization_placements")
    op.drop_index("ix_organization_placements_latest_path", "organization_placements")
    op.drop_column("organization_placements", "latest")
