"""Seats of party groups, one head per unit, ratings per term, band-only ratings, leave reasons, one period spelling.

* party_positions: the party group's `group_leader` and `group_deputy_leader`; one head at a time covers the group
  leader as it does the secretary.
* ratings: periods spelled `2024Q2` as the indicators do (data migration from `2024-Q2`) and terms (`2020-2025`);
  a band may be recorded without a score; `long_sick_leave` and `maternity_leave` as reasons for not rating;
  `sick_leave_months`, a fact a band condition looks at. The indicator SQL reads yearly ratings by
  `length(period) = 4` and `rating`: unchanged.

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-07
"""

from collections.abc import Sequence

import sqlalchemy as sa

from alembic import op

revision: str = "0013"
down_revision: str | None = "0012"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

OLD_POSITIONS = "position IN ('secretary', 'deputy_secretary', 'standing_committee_member', 'committee_member')"
NEW_POSITIONS = (
    "position IN ('secretary', 'deputy_secretary', 'standing_committee_member', 'committee_member', "
    "'group_leader', 'group_deputy_leader')"
)
OLD_REASONS = (
    "not_rated_reason IS NULL OR not_rated_reason IN ('exempt', 'suspended', 'admitted_less_than_6_months', "
    "'organization_less_than_6_months_old')"
)
NEW_REASONS = (
    "not_rated_reason IS NULL OR not_rated_reason IN ('exempt', 'suspended', 'admitted_less_than_6_months', "
    "'organization_less_than_6_months_old', 'long_sick_leave', 'maternity_leave')"
)
OLD_RATED = (
    "(rating IS NOT NULL AND score IS NOT NULL AND not_rated_reason IS NULL) OR "
    "(rating IS NULL AND score IS NULL AND not_rated_reason IS NOT NULL)"
)
NEW_RATED = (
    "(rating IS NOT NULL AND not_rated_reason IS NULL) OR "
    "(rating IS NULL AND score IS NULL AND not_rated_reason IS NOT NULL)"
)


def _one_head(where: str) -> None:
    op.drop_constraint("ex_party_positions_one_secretary", "party_positions")
    op.execute(
        "ALTER TABLE party_positions ADD CONSTRAINT ex_party_positions_one_secretary EXCLUDE USING gist "
        f"(organization_id WITH =, daterange(valid_from, valid_to) WITH &&) WHERE ({where})"
    )


def _check(table: str, name: str, condition: str) -> None:
    op.drop_constraint(op.f(f"ck_{table}_{name}"), table)
    op.create_check_constraint(op.f(f"ck_{table}_{name}"), table, condition)


def upgrade() -> None:
    _check("party_positions", "position", NEW_POSITIONS)
    _one_head("position IN ('secretary', 'group_leader')")
    op.drop_constraint(op.f("ck_ratings_period"), "ratings")
    op.execute("UPDATE ratings SET period = replace(period, '-Q', 'Q') WHERE period LIKE '%-Q%'")
    op.create_check_constraint(op.f("ck_ratings_period"), "ratings", "period ~ '^[0-9]{4}(Q[1-4]|-[0-9]{4})?$'")
    _check("ratings", "not_rated_reason", NEW_REASONS)
    _check("ratings", "rated_or_reason", NEW_RATED)
    op.add_column("ratings", sa.Column("sick_leave_months", sa.Integer(), nullable=True))
    op.create_check_constraint(
        op.f("ck_ratings_sick_leave_months"),
        "ratings",
        "sick_leave_months IS NULL OR sick_leave_months BETWEEN 0 AND 60",
    )


def downgrade() -> None:
    op.drop_constraint(op.f("ck_ratings_sick_leave_months"), "ratings")
    op.drop_column("ratings", "sick_leave_months")
    op.execute("DELETE FROM ratings WHERE rating IS NOT NULL AND score IS NULL")
    _check("ratings", "rated_or_reason", OLD_RATED)
    op.execute("DELETE FROM ratings WHERE not_rated_reason IN ('long_sick_leave', 'maternity_leave')")
    _check("ratings", "not_rated_reason", OLD_REASONS)
    op.drop_constraint(op.f("ck_ratings_period"), "ratings")
    op.execute("DELETE FROM ratings WHERE period LIKE '%-____'")
    op.execute("UPDATE ratings SET period = replace(period, 'Q', '-Q') WHERE period LIKE '%Q%'")
    op.create_check_constraint(op.f("ck_ratings_period"), "ratings", "period ~ '^[0-9]{4}(-Q[1-4])?$'")
    op.execute("DELETE FROM party_positions WHERE position IN ('group_leader', 'group_deputy_leader')")
    _one_head("position = 'secretary'")
    _check("party_positions", "position", OLD_POSITIONS)
