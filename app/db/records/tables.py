"""What organisations keep: working regulations, inspections, committee terms.

The Alembic migrations are the source of the schema: these declarations mirror them for `alembic check`
(tests/db/test_migrations.py) and are never used to build queries (ARCHITECTURE.md)."""

from sqlalchemy import CheckConstraint, Column, Date, ForeignKey, Index, Integer, Table, Text, UniqueConstraint, text
from sqlalchemy.dialects.postgresql import UUID, ExcludeConstraint

from app.db.metadata import metadata
from app.db.metadata import now as _now

# Working regulations (quy chế làm việc) an organisation issued.
working_regulations = Table(
    "working_regulations",
    metadata,
    Column("id", UUID(as_uuid=True), primary_key=True, server_default=text("gen_random_uuid()")),
    Column("organization_id", UUID(as_uuid=True), ForeignKey("organizations.id"), nullable=False),
    Column("issued_on", Date, nullable=False),
    Column("reference", Text, nullable=False),
    Column("title", Text, nullable=True),
    _now("created_at"),
    Index("ix_working_regulations_organization", "organization_id", "issued_on"),
)


# An inspection (kiểm tra, giám sát) of an organisation by a higher body, and its conclusion.
inspections = Table(
    "inspections",
    metadata,
    Column("id", UUID(as_uuid=True), primary_key=True, server_default=text("gen_random_uuid()")),
    Column("organization_id", UUID(as_uuid=True), ForeignKey("organizations.id"), nullable=False),
    Column("inspecting_body", Text, nullable=False),
    Column("year", Integer, nullable=False),
    Column("inspected_on", Date, nullable=True),
    Column("conclusion", Text, nullable=True),
    Column("reference", Text, nullable=True),
    _now("created_at"),
    CheckConstraint("year BETWEEN 1930 AND 2100", name="year"),
    Index("ix_inspections_organization", "organization_id", "year"),
    Index("ix_inspections_year", "year", "organization_id"),
)


# A term (nhiệm kỳ) of an organisation's committee, e.g. "2020-2025", from its congress to the next.
committee_terms = Table(
    "committee_terms",
    metadata,
    Column("id", UUID(as_uuid=True), primary_key=True, server_default=text("gen_random_uuid()")),
    Column("organization_id", UUID(as_uuid=True), ForeignKey("organizations.id"), nullable=False),
    Column("label", Text, nullable=False),
    Column("starts_on", Date, nullable=False),
    Column("ends_on", Date, nullable=True),
    _now("created_at"),
    CheckConstraint("label ~ '^[0-9]{4}-[0-9]{4}$'", name="label"),
    CheckConstraint("ends_on IS NULL OR ends_on > starts_on", name="validity"),
    UniqueConstraint("organization_id", "label", name="uq_committee_terms_organization_id"),
    ExcludeConstraint(
        ("organization_id", "="),
        (text("daterange(starts_on, ends_on)"), "&&"),
        name="ex_committee_terms_no_overlap",
        using="gist",
    ),
)
