"""Member records, their periods (where and in what status, over time), events and external ids.

The Alembic migrations are the source of the schema: these declarations mirror them for `alembic check`
(tests/db/test_migrations.py) and are never used to build queries (ARCHITECTURE.md)."""

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    Column,
    Computed,
    Date,
    ForeignKey,
    Index,
    Integer,
    PrimaryKeyConstraint,
    Table,
    Text,
    text,
)
from sqlalchemy.dialects.postgresql import ARRAY, JSONB, UUID, ExcludeConstraint

from app.db.metadata import metadata
from app.db.metadata import now as _now

MEMBER_STATUSES = (
    "candidate",
    "probationary",
    "official",
    "transferred_out",
    "expelled",
    "struck_off",
    "resigned",
    "deceased",
)

# A Party member (or a candidate for admission) as the record stands now; `member_periods` holds where and in what
# status they were over time, `member_events` every step that got them there.
members = Table(
    "members",
    metadata,
    Column("id", UUID(as_uuid=True), primary_key=True, server_default=text("gen_random_uuid()")),
    Column("full_name", Text, nullable=False),
    Column("name_folded", Text, Computed("coso_fold(full_name)", persisted=True)),
    Column("sort_key", Text(collation="C"), nullable=False),
    Column("gender", Text, nullable=False),
    Column("birth_date", Date, nullable=False),
    Column("birth_place", Text, nullable=True),
    Column("hometown", Text, nullable=True),
    Column("residence", Text, nullable=True),
    Column("ethnicity", Text, nullable=True),
    Column("religion", Text, nullable=True),
    Column("citizen_id", Text, nullable=True),
    Column("phone", Text, nullable=True),
    Column("education", Text, nullable=True),
    Column("professional_level", Text, nullable=True),
    Column("political_theory_level", Text, nullable=True),
    Column("admission_decision_date", Date, nullable=True),
    Column("admission_ceremony_date", Date, nullable=True),
    Column("official_date", Date, nullable=True),
    Column("party_card_number", Text, nullable=True),
    Column("record_number", Text, nullable=True),
    Column("status", Text, nullable=False),
    Column("organization_id", UUID(as_uuid=True), ForeignKey("organizations.id"), nullable=False),
    Column("org_path", Text(collation="C"), nullable=False),
    Column("host_organization_id", UUID(as_uuid=True), ForeignKey("organizations.id"), nullable=True),
    Column("temporarily_away", Boolean, nullable=False, server_default=text("false")),
    Column("exempt", Boolean, nullable=False, server_default=text("false")),
    Column("suspended", Boolean, nullable=False, server_default=text("false")),
    Column("sponsor_ids", ARRAY(UUID(as_uuid=True)), nullable=False, server_default=text("'{}'")),
    Column("training_certificate_date", Date, nullable=True),
    # Since when each sponsor has worked, studied or lived with the candidate: {sponsor id: date}.
    Column("sponsor_since", JSONB, nullable=False, server_default=text("'{}'::jsonb")),
    # The mass organisation whose grassroots committee introduced the candidate (stands for one sponsor).
    Column("introduced_by", Text, nullable=True),
    _now("created_at"),
    _now("updated_at"),
    Column("version", Integer, nullable=False, server_default=text("1")),
    CheckConstraint(f"status IN {MEMBER_STATUSES}", name="status"),
    CheckConstraint("gender IN ('male', 'female')", name="gender"),
    CheckConstraint("citizen_id IS NULL OR citizen_id ~ '^[0-9]{12}$'", name="citizen_id"),
    CheckConstraint("full_name <> ''", name="full_name"),
    CheckConstraint(
        "introduced_by IN ('fatherland_front', 'youth_union', 'trade_union', 'womens_union', 'farmers_association', "
        "'veterans_association')",
        name="introduced_by",
    ),
    Index("ix_members_org_path", "org_path", "sort_key", "id"),
    Index("ix_members_organization", "organization_id", "sort_key", "id"),
    Index("ix_members_sort", "sort_key", "id"),
    Index(
        "ix_members_name_folded_trgm",
        "name_folded",
        postgresql_using="gin",
        postgresql_ops={"name_folded": "gin_trgm_ops"},
    ),
    Index("ix_members_name_birth", "name_folded", "birth_date"),
    Index("ix_members_name_sorted", "name_folded", "sort_key", "id"),
    Index(
        "uq_members_citizen_id_living",
        "citizen_id",
        unique=True,
        postgresql_where=text("citizen_id IS NOT NULL AND status <> 'deceased'"),
    ),
    Index("ix_members_card", "party_card_number"),
    Index("ix_members_host", "host_organization_id", postgresql_where=text("host_organization_id IS NOT NULL")),
    # `updated_since` (a copy kept in sync asks for what changed since its last sync: few rows of many)
    Index("ix_members_updated_at", "updated_at"),
)


# Where a member belonged and in what state during [valid_from, valid_to).
member_periods = Table(
    "member_periods",
    metadata,
    Column("member_id", UUID(as_uuid=True), ForeignKey("members.id", ondelete="CASCADE"), nullable=False),
    Column("valid_from", Date, nullable=False),
    Column("valid_to", Date, nullable=True),
    Column("organization_id", UUID(as_uuid=True), ForeignKey("organizations.id"), nullable=False),
    Column("status", Text, nullable=False),
    Column("host_organization_id", UUID(as_uuid=True), ForeignKey("organizations.id"), nullable=True),
    Column("temporarily_away", Boolean, nullable=False, server_default=text("false")),
    Column("exempt", Boolean, nullable=False, server_default=text("false")),
    Column("suspended", Boolean, nullable=False, server_default=text("false")),
    PrimaryKeyConstraint("member_id", "valid_from"),
    CheckConstraint("valid_to IS NULL OR valid_to > valid_from", name="validity"),
    CheckConstraint(f"status IN {MEMBER_STATUSES}", name="status"),
    ExcludeConstraint(
        ("member_id", "="),
        (text("daterange(valid_from, valid_to)"), "&&"),
        name="ex_member_periods_no_overlap",
        using="gist",
    ),
    Index("ix_member_periods_organization", "organization_id", "valid_from"),
)


# One step of a member's life in the Party, with its date, decision and who recorded it.
member_events = Table(
    "member_events",
    metadata,
    Column("id", UUID(as_uuid=True), primary_key=True, server_default=text("gen_random_uuid()")),
    Column("member_id", UUID(as_uuid=True), ForeignKey("members.id", ondelete="CASCADE"), nullable=False),
    Column("kind", Text, nullable=False),
    Column("event_date", Date, nullable=False),
    Column("decision_ref", Text, nullable=True),
    Column("note", Text, nullable=True),
    Column("from_organization_id", UUID(as_uuid=True), nullable=True),
    Column("to_organization_id", UUID(as_uuid=True), nullable=True),
    Column("details", JSONB, nullable=True),
    Column("recorded_by", Text, nullable=False),
    _now("recorded_at"),
    Index("ix_member_events_member", "member_id", "event_date", "recorded_at"),
    Index("ix_member_events_kind_date", "kind", "event_date"),
)


member_external_ids = Table(
    "member_external_ids",
    metadata,
    Column("external_id", Text, primary_key=True),
    Column("member_id", UUID(as_uuid=True), ForeignKey("members.id", ondelete="CASCADE"), nullable=False, index=True),
    CheckConstraint("external_id ~ '^[^:\\s]+:\\S+$'", name="shape"),
)
