"""Party positions (seats of a unit's leadership) and concurrent public posts.

The Alembic migrations are the source of the schema: these declarations mirror them for `alembic check`
(tests/db/test_migrations.py) and are never used to build queries (ARCHITECTURE.md)."""

from sqlalchemy import CheckConstraint, Column, Date, ForeignKey, Index, Integer, Table, Text, text
from sqlalchemy.dialects.postgresql import UUID, ExcludeConstraint

from app.db.metadata import metadata
from app.db.metadata import now as _now

PARTY_POSITIONS = (
    "secretary",
    "deputy_secretary",
    "standing_committee_member",
    "committee_member",
    "group_leader",
    "group_deputy_leader",
)
# One head of a unit at a time: its secretary, or a party group's leader (never both in one unit).
HEAD_POSITIONS = ("secretary", "group_leader")

# A member's seat in an organisation's elected leadership (secretary, deputy, committee member) during [valid_from,
# valid_to). One head (secretary, or party group leader) per organisation at a time, one seat per member and
# organisation.
party_positions = Table(
    "party_positions",
    metadata,
    Column("id", UUID(as_uuid=True), primary_key=True, server_default=text("gen_random_uuid()")),
    Column("member_id", UUID(as_uuid=True), ForeignKey("members.id", ondelete="CASCADE"), nullable=False),
    Column("organization_id", UUID(as_uuid=True), ForeignKey("organizations.id"), nullable=False),
    Column("position", Text, nullable=False),
    Column("valid_from", Date, nullable=False),
    Column("valid_to", Date, nullable=True),
    Column("decision_ref", Text, nullable=True),
    Column("end_decision_ref", Text, nullable=True),
    _now("created_at"),
    _now("updated_at"),
    Column("version", Integer, nullable=False, server_default=text("1")),
    CheckConstraint(f"position IN {PARTY_POSITIONS}", name="position"),
    CheckConstraint("valid_to IS NULL OR valid_to > valid_from", name="validity"),
    ExcludeConstraint(
        ("organization_id", "="),
        (text("daterange(valid_from, valid_to)"), "&&"),
        name="ex_party_positions_one_secretary",
        using="gist",
        where=text("position IN ('secretary', 'group_leader')"),
    ),
    ExcludeConstraint(
        ("organization_id", "="),
        ("member_id", "="),
        (text("daterange(valid_from, valid_to)"), "&&"),
        name="ex_party_positions_one_seat",
        using="gist",
    ),
    Index("ix_party_positions_organization", "organization_id", "valid_from"),
    Index("ix_party_positions_member", "member_id", "valid_from"),
)


# A public post a member holds concurrently (village head, commune chair, …) during [valid_from, valid_to), at a place
# named in words or at the place a party organisation stands for (a village's cell).
public_posts = Table(
    "public_posts",
    metadata,
    Column("id", UUID(as_uuid=True), primary_key=True, server_default=text("gen_random_uuid()")),
    Column("member_id", UUID(as_uuid=True), ForeignKey("members.id", ondelete="CASCADE"), nullable=False),
    Column("post", Text, nullable=False),
    Column("place", Text, nullable=True),
    Column("organization_id", UUID(as_uuid=True), ForeignKey("organizations.id"), nullable=True),
    Column("valid_from", Date, nullable=False),
    Column("valid_to", Date, nullable=True),
    Column("decision_ref", Text, nullable=True),
    _now("created_at"),
    _now("updated_at"),
    Column("version", Integer, nullable=False, server_default=text("1")),
    CheckConstraint("valid_to IS NULL OR valid_to > valid_from", name="validity"),
    CheckConstraint("place IS NOT NULL OR organization_id IS NOT NULL", name="place"),
    Index("ix_public_posts_member", "member_id", "valid_from"),
    Index(
        "ix_public_posts_organization",
        "organization_id",
        "post",
        "valid_from",
        postgresql_where=text("organization_id IS NOT NULL"),
    ),
)
