"""API keys and indicator targets carry a version (issue 14: every versioned resource has an ETag, and a change to
it takes If-Match): a key's moves when it is revoked (not when it is used), a target's never does today (targets
are created and deleted, not edited), so its ETag is stable until it is gone.

Revision ID: 0023
Revises: 0022
Create Date: 2026-12-08
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0023"
down_revision: str | None = "0022"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.execute("ALTER TABLE api_keys ADD COLUMN version integer NOT NULL DEFAULT 1")
    op.execute("ALTER TABLE indicator_targets ADD COLUMN version integer NOT NULL DEFAULT 1")


def downgrade() -> None:
    op.execute("ALTER TABLE indicator_targets DROP COLUMN version")
    op.execute("ALTER TABLE api_keys DROP COLUMN version")
