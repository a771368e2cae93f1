"""A large indicator refresh (a bulk load, a move of a subtree) plans its statements for its own size.

coso_indicators_refresh runs with plan_cache_mode = force_generic_plan: a write touches a unit or two, and one
generic plan serves them all. A generic plan made in a session whose earlier refreshes were small is the wrong one
for ten thousand units (its nested loops over the scratch table went quadratic: a 10,001-unit commit ran for
minutes). From 64 units on, the refresh now analyzes its scratch table and plans each statement for the batch at
hand (force_custom_plan, for the rest of the call only).

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-07
"""

from collections.abc import Sequence

import sqlalchemy as sa

from alembic import op

revision: str = "0011"
down_revision: str | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

FILL = "INSERT INTO coso_indicator_fresh SELECT * FROM coso_indicator_own_facts(ids);"
LARGE = """
    IF cardinality(ids) >= 64 THEN
        ANALYZE coso_indicator_fresh;
        PERFORM set_config('plan_cache_mode', 'force_custom_plan', true);
    END IF;"""


def _definition() -> str:
    definition: str = (
        op.get_bind()
        .execute(sa.text("SELECT pg_get_functiondef('coso_indicators_refresh(uuid[])'::regprocedure)"))
        .scalar_one()
    )
    return definition


def upgrade() -> None:
    definition = _definition()
    assert definition.count(FILL) == 1, "coso_indicators_refresh is not the function migration 0009 made"
    op.execute(definition.replace(FILL, FILL + LARGE))


def downgrade() -> None:
    op.execute(_definition().replace(LARGE, ""))
