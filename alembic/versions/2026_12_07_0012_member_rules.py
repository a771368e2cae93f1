"""Member rules of the Charter (issue 12): probation counted from the admission ceremony, sponsors' acquaintance and
the introduction by a mass organisation.

* Probation lasts 12 months "tính từ ngày chi bộ tổ chức lễ kết nạp" (Charter art. 5.1): the official date is the
  ceremony + the probation months, not the decision + 12 months as the service computed until now. Stored official
  dates of members whose ceremony is known are recomputed (COSO_PROBATION_MONTHS, 12 by default), each with an
  audit entry by the system (actor `migration 0012`, before and after). The indicator
  figures do not read `members.official_date` (they follow `member_periods`, whose rows this migration leaves as
  recorded), so no indicator changes; tests/members/test_member_migration.py checks the figures against a rebuild.
* `sponsor_since`: since when each sponsor has worked, studied or lived with the candidate (sponsor id → date);
  a sponsor needs COSO_SPONSOR_MIN_MONTHS (12) of it at admission (Charter art. 4.2).
* `introduced_by`: the grassroots Youth Union (`youth_union`) or trade union (`trade_union`) committee that
  introduced the candidate by resolution; it stands for one of the two sponsors (Charter art. 4.2, QĐ 294-QĐ/TW).

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-07
"""

import os
from collections.abc import Sequence

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql

from alembic import op

revision: str = "0012"
down_revision: str | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _probation_months() -> int:
    return int(os.environ.get("COSO_PROBATION_MONTHS", "12"))


def upgrade() -> None:
    op.add_column(
        "members",
        sa.Column("sponsor_since", postgresql.JSONB(), server_default=sa.text("'{}'::jsonb"), nullable=False),
    )
    op.add_column("members", sa.Column("introduced_by", sa.Text(), nullable=True))
    op.create_check_constraint(
        "ck_members_introduced_by",
        "members",
        "introduced_by IS NULL OR introduced_by IN ('youth_union', 'trade_union')",
    )
    # date + interval keeps the day, or the month's last day (31 January + 1 month = 28/29 February), as add_months.
    # Each recomputed date is an audited change like any other, by the system, naming the rule.
    op.execute(
        sa.text(
            """
            WITH old AS (
                SELECT id, official_date, version FROM members
                WHERE official_date IS NOT NULL AND admission_ceremony_date IS NOT NULL
                  AND official_date <> (admission_ceremony_date + make_interval(months => :months))::date
                FOR UPDATE),
            changed AS (
                UPDATE members m
                SET official_date = (m.admission_ceremony_date + make_interval(months => :months))::date,
                    version = m.version + 1, updated_at = now()
                FROM old WHERE m.id = old.id
                RETURNING m.id, m.organization_id, old.official_date AS old_date, old.version AS old_version,
                          m.official_date, m.version)
            INSERT INTO audit_log (actor_kind, actor_id, actor_name, action, entity, entity_id, organization_id,
                                   before, after)
            SELECT 'system', 'migration 0012', 'Probation counted from the admission ceremony (Charter art. 5.1)',
                   'update', 'member', id, organization_id,
                   jsonb_build_object('id', id, 'official_date', old_date, 'version', old_version),
                   jsonb_build_object('id', id, 'official_date', official_date, 'version', version)
            FROM changed
            """
        ).bindparams(months=_probation_months())
    )


def downgrade() -> None:
    # The official dates stay as recomputed: the decision-based ones were wrong.
    op.drop_constraint("ck_members_introduced_by", "members", type_="check")
    op.drop_column("members", "introduced_by")
    op.drop_column("members", "sponsor_since")
