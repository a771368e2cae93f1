"""Indexes serving `updated_since` on the two big lists (members, organisations): a copy kept in sync asks for the
few records changed since its last sync, which a scan in name or tree order would find only by reading them all
(issue 14).

Revision ID: 0020
Revises: 0019
Create Date: 2026-12-08
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0020"
down_revision: str | None = "0019"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.execute("CREATE INDEX ix_members_updated_at ON members (updated_at)")
    op.execute("CREATE INDEX ix_organizations_updated_at ON organizations (updated_at)")


def downgrade() -> None:
    op.execute("DROP INDEX ix_organizations_updated_at")
    op.execute("DROP INDEX ix_members_updated_at")
