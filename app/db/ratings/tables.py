"""Ratings of members and organisations.

The Alembic migrations are the source of the schema: these declarations mirror them for `alembic check`
(tests/db/test_migrations.py) and are never used to build queries (ARCHITECTURE.md)."""

from sqlalchemy import CheckConstraint, Column, Date, ForeignKey, Index, Integer, Table, Text, text
from sqlalchemy.dialects.postgresql import UUID

from app.db.metadata import metadata
from app.db.metadata import now as _now

RATING_BANDS = ("excellent", "good", "fulfilled", "not_fulfilled")
NOT_RATED_REASONS = (
    "exempt",
    "suspended",
    "admitted_less_than_6_months",
    "organization_less_than_6_months_old",
    "long_sick_leave",
    "maternity_leave",
)

# The rating of a member (member_id set) or of an organisation (member_id null) for a period ("2024", "2024Q2", the
# term "2020-2025"): a band (with its score, when the cell scored it), or the reason it was not rated; the facts the
# band's conditions look at that the records do not hold (sick leave in the period). `organization_id` is the
# organisation rated, or the member's organisation at rating time (the end of the period).
ratings = Table(
    "ratings",
    metadata,
    Column("id", UUID(as_uuid=True), primary_key=True, server_default=text("gen_random_uuid()")),
    Column("member_id", UUID(as_uuid=True), ForeignKey("members.id", ondelete="CASCADE"), nullable=True),
    Column("organization_id", UUID(as_uuid=True), ForeignKey("organizations.id"), nullable=False),
    Column("period", Text, nullable=False),
    Column("period_end", Date, nullable=False),
    Column("score", Integer, nullable=True),
    Column("rating", Text, nullable=True),
    Column("not_rated_reason", Text, nullable=True),
    Column("comment", Text, nullable=True),
    Column("rated_on", Date, nullable=True),
    Column("sick_leave_months", Integer, nullable=True),
    _now("created_at"),
    _now("updated_at"),
    Column("version", Integer, nullable=False, server_default=text("1")),
    CheckConstraint("period ~ '^[0-9]{4}(Q[1-4]|-[0-9]{4})?$'", name="period"),
    CheckConstraint("sick_leave_months IS NULL OR sick_leave_months BETWEEN 0 AND 60", name="sick_leave_months"),
    CheckConstraint("score IS NULL OR score BETWEEN 0 AND 100", name="score"),
    CheckConstraint(f"rating IS NULL OR rating IN {RATING_BANDS}", name="rating"),
    CheckConstraint(f"not_rated_reason IS NULL OR not_rated_reason IN {NOT_RATED_REASONS}", name="not_rated_reason"),
    CheckConstraint(
        "(rating IS NOT NULL AND not_rated_reason IS NULL) OR "
        "(rating IS NULL AND score IS NULL AND not_rated_reason IS NOT NULL)",
        name="rated_or_reason",
    ),
    Index(
        "uq_ratings_member_period", "member_id", "period", unique=True, postgresql_where=text("member_id IS NOT NULL")
    ),
    Index(
        "uq_ratings_organization_period",
        "organization_id",
        "period",
        unique=True,
        postgresql_where=text("member_id IS NULL"),
    ),
    Index("ix_ratings_period_organization", "period", "organization_id"),
    Index(
        "ix_ratings_member_organization", "organization_id", "period", postgresql_where=text("member_id IS NOT NULL")
    ),
)
