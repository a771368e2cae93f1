"""The answers of writes sent with an `Idempotency-Key` (issue 14): the caller, the key, the request's fingerprint
and the answer, kept until `expires_at` (COSO_IDEMPOTENCY_TTL_HOURS). Written in the request's own transaction.

Revision ID: 0019
Revises: 0018
Create Date: 2026-12-08
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0019"
down_revision: str | None = "0018"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.execute(
        "CREATE TABLE idempotency_keys ("
        "caller text NOT NULL, "
        "key text NOT NULL, "
        "method text NOT NULL, "
        "path text NOT NULL, "
        "body_sha256 bytea NOT NULL, "
        "status smallint NOT NULL, "
        "headers jsonb NOT NULL, "
        "body bytea NOT NULL, "
        "created_at timestamp with time zone NOT NULL DEFAULT now(), "
        "expires_at timestamp with time zone NOT NULL, "
        "CONSTRAINT pk_idempotency_keys PRIMARY KEY (caller, key))"
    )
    op.execute("CREATE INDEX ix_idempotency_keys_expires_at ON idempotency_keys (expires_at)")


def downgrade() -> None:
    op.execute("DROP TABLE idempotency_keys")
