"""A unit may end on the day it was moved (issue 12): the placement the move made is kept, empty.

A move on D opens a placement [D, …) under the new parent; a dissolution (merge, split) dated the same D used to
delete it, leaving the unit ended under its old parent while its lineage said it had moved. Now that placement is
closed to [D, D): it holds on no day, so every read of a day (`as_of`, `active_on`, the indicators' reference days)
skips it as before, and it stays the unit's `latest` placement, so the registry shows the ended unit where the
lineage says it went. An empty range overlaps nothing, so the exclusion constraint allows it; only the check on the
dates did not. It now allows an empty placement for a unit's last one only (`latest`): no unit sits anywhere for
no day in the middle of its history.

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-07
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0016"
down_revision: str | None = "0015"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

NAME = "ck_organization_placements_validity"
OLD = "valid_to IS NULL OR valid_to > valid_from"
NEW = "valid_to IS NULL OR valid_to > valid_from OR (valid_to = valid_from AND latest)"


def upgrade() -> None:
    op.drop_constraint(op.f(NAME), "organization_placements", type_="check")
    op.create_check_constraint(op.f(NAME), "organization_placements", NEW)


def downgrade() -> None:
    # Back to the old rule: the empty placements go, as the service deleted them before, and the placement before
    # each becomes its unit's latest again (the unit then reads as ended at its old place).
    op.execute("""
        WITH gone AS (
            DELETE FROM organization_placements WHERE valid_to = valid_from RETURNING organization_id
        )
        UPDATE organization_placements p SET latest = true
        FROM (SELECT organization_id, max(valid_from) AS valid_from FROM organization_placements
              WHERE organization_id IN (SELECT organization_id FROM gone) AND valid_to <> valid_from
              GROUP BY organization_id) last
        WHERE p.organization_id = last.organization_id AND p.valid_from = last.valid_from""")
    op.drop_constraint(op.f(NAME), "organization_placements", type_="check")
    op.create_check_constraint(op.f(NAME), "organization_placements", OLD)
