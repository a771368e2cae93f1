"""Equality indexes on folded names and codes: a search finds its exact matches without scanning the substring matches.

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-24
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index("ix_organizations_name_folded", "organizations", ["name_folded"])
    op.create_index("ix_organizations_code_folded", "organizations", ["code_folded"])


def downgrade() -> None:
    op.drop_index("ix_organizations_code_folded", "organizations")
    op.drop_index("ix_organizations_name_folded", "organizations")
