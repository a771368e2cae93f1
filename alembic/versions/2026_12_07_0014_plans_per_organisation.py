"""Plans per issuing organisation: a plan's code is unique within the organisation that issues it, not across the
country (every town numbers its own "…-KH/TU").

Revision ID: 0014
Revises: 0011
Create Date: 2026-12-07
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0014"
down_revision: str | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.drop_constraint("uq_plans_code", "plans", type_="unique")
    op.create_unique_constraint("uq_plans_organization_id", "plans", ["organization_id", "code"])


def downgrade() -> None:
    op.drop_constraint("uq_plans_organization_id", "plans", type_="unique")
    op.create_unique_constraint("uq_plans_code", "plans", ["code"])
