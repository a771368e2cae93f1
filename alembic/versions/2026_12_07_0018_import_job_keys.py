"""The keys (id, citizen ID, external ids) a running import job's rows claimed, so that a duplicate within the file
is found across batches without holding the file's keys in the worker's memory (issue 13). Written with each batch,
in its transaction; deleted when the job ends.

Revision ID: 0018
Revises: 0017
Create Date: 2026-12-07
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0018"
down_revision: str | None = "0017"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.execute(
        "CREATE TABLE import_job_keys ("
        "job_id uuid NOT NULL, "
        "key text NOT NULL, "
        "first_row integer NOT NULL, "
        "CONSTRAINT pk_import_job_keys PRIMARY KEY (job_id, key), "
        "CONSTRAINT fk_import_job_keys_job_id_import_jobs FOREIGN KEY (job_id) REFERENCES import_jobs (id) "
        "ON DELETE CASCADE)"
    )


def downgrade() -> None:
    op.execute("DROP TABLE import_job_keys")
