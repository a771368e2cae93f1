"""Plans per issuing organisation: a plan's code is unique within the organisation that issues it, not across the
country (every town numbers its own "…-KH/TU"). Bodies say which party organisations they stand for (`body_members`:
the one a body named like an organisation is, each of a collective's), and a collective's member reports its own
part of a task (`progress_reports.organization_id`).

Revision ID: 0014
Revises: 0011
Create Date: 2026-12-07
"""

from collections.abc import Sequence

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql

from alembic import op

revision: str = "0014"
down_revision: str | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.drop_constraint("uq_plans_code", "plans", type_="unique")
    op.create_unique_constraint("uq_plans_organization_id", "plans", ["organization_id", "code"])
    op.create_table(
        "body_members",
        sa.Column("body_id", postgresql.UUID(as_uuid=True), nullable=False),
        sa.Column("organization_id", postgresql.UUID(as_uuid=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["body_id"], ["bodies.id"], name=op.f("fk_body_members_body_id_bodies"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["organization_id"], ["organizations.id"], name=op.f("fk_body_members_organization_id_organizations")
        ),
        sa.PrimaryKeyConstraint("body_id", "organization_id", name=op.f("pk_body_members")),
    )
    op.create_index(op.f("ix_body_members_organization_id"), "body_members", ["organization_id"])
    op.add_column("progress_reports", sa.Column("organization_id", postgresql.UUID(as_uuid=True), nullable=True))
    op.create_foreign_key(
        op.f("fk_progress_reports_organization_id_organizations"),
        "progress_reports",
        "organizations",
        ["organization_id"],
        ["id"],
    )


def downgrade() -> None:
    op.drop_constraint(
        op.f("fk_progress_reports_organization_id_organizations"), "progress_reports", type_="foreignkey"
    )
    op.drop_column("progress_reports", "organization_id")
    op.drop_index(op.f("ix_body_members_organization_id"), table_name="body_members")
    op.drop_table("body_members")
    op.drop_constraint("uq_plans_organization_id", "plans", type_="unique")
    op.create_unique_constraint("uq_plans_code", "plans", ["code"])
