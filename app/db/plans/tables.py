"""Plans, their tasks, the bodies tasks are assigned to, awaited events and progress reports.

The Alembic migrations are the source of the schema: these declarations mirror them for `alembic check`
(tests/db/test_migrations.py) and are never used to build queries (ARCHITECTURE.md)."""

from sqlalchemy import (
    CheckConstraint,
    Column,
    Date,
    ForeignKey,
    Index,
    Integer,
    PrimaryKeyConstraint,
    Table,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.dialects.postgresql import ARRAY, JSONB, UUID

from app.db.metadata import metadata
from app.db.metadata import now as _now

# An agency or collective a plan names, in the namespace of an organisation (each town has its own "UBND thị xã").
# `organization_id` is that organisation; for a collective it is the root of the subtree the collective stands for,
# and for a party organisation the organisation itself (`kind` says which). `name_key` is the forgiving match key
# (accents, case, spacing, abbreviations folded), unique within the namespace, so two different bodies are never
# merged silently: another spelling becomes an alias only when a person says so.
bodies = Table(
    "bodies",
    metadata,
    Column("id", UUID(as_uuid=True), primary_key=True, server_default=text("gen_random_uuid()")),
    Column("name", Text, nullable=False),
    Column("name_key", Text, nullable=False),
    Column("kind", Text, nullable=False),
    Column("organization_id", UUID(as_uuid=True), ForeignKey("organizations.id"), nullable=False, index=True),
    _now("created_at"),
    _now("updated_at"),
    Column("version", Integer, nullable=False, server_default=text("1")),
    CheckConstraint("kind IN ('agency', 'organization', 'collective')", name="kind"),
    UniqueConstraint("organization_id", "name_key", name="uq_bodies_organization_id"),
    Index("ix_bodies_name_key_trgm", "name_key", postgresql_using="gin", postgresql_ops={"name_key": "gin_trgm_ops"}),
)


# The party organisations a body stands for: the one a body named like an organisation of the tree is ("Đảng ủy
# Quân sự thị xã"), or each organisation of a collective ("Đảng ủy các xã, phường", "03 chi bộ trường THPT"),
# resolved in the tree under the body's organisation when the body is registered.
body_members = Table(
    "body_members",
    metadata,
    Column("body_id", UUID(as_uuid=True), ForeignKey("bodies.id", ondelete="CASCADE"), nullable=False),
    Column("organization_id", UUID(as_uuid=True), ForeignKey("organizations.id"), nullable=False, index=True),
    PrimaryKeyConstraint("body_id", "organization_id"),
)


# Another spelling of a body ("UBND thị xã" for "Ủy ban nhân dân thị xã"), by its match key.
body_aliases = Table(
    "body_aliases",
    metadata,
    Column("organization_id", UUID(as_uuid=True), ForeignKey("organizations.id"), nullable=False),
    Column("alias_key", Text, nullable=False),
    Column("body_id", UUID(as_uuid=True), ForeignKey("bodies.id", ondelete="CASCADE"), nullable=False, index=True),
    Column("alias", Text, nullable=False),
    PrimaryKeyConstraint("organization_id", "alias_key"),
)


# A plan ("211-KH/TU") issued by a body of an organisation, implementing resolutions or other plans. Its code is
# unique within the issuing organisation only: every town numbers its own "…-KH/TU".
plans = Table(
    "plans",
    metadata,
    Column("id", UUID(as_uuid=True), primary_key=True, server_default=text("gen_random_uuid()")),
    Column("code", Text, nullable=True),
    Column("title", Text, nullable=False),
    Column("organization_id", UUID(as_uuid=True), ForeignKey("organizations.id"), nullable=False, index=True),
    Column("issuer_body_id", UUID(as_uuid=True), ForeignKey("bodies.id"), nullable=True),
    Column("issued_on", Date, nullable=True),
    Column("implements", ARRAY(Text), nullable=False, server_default=text("'{}'")),
    Column("status", Text, nullable=False, server_default=text("'draft'")),
    Column("period_from", Date, nullable=True),
    Column("period_to", Date, nullable=True),
    _now("created_at"),
    _now("updated_at"),
    Column("version", Integer, nullable=False, server_default=text("1")),
    CheckConstraint("status IN ('draft', 'issued')", name="status"),
    UniqueConstraint("organization_id", "code", name="uq_plans_organization_id"),
    CheckConstraint("period_to IS NULL OR period_from IS NULL OR period_to >= period_from", name="period"),
)


# Something deadlines wait for ("khi có Quy chế mẫu …"); recording the day it happened resolves them.
plan_events = Table(
    "plan_events",
    metadata,
    Column("id", UUID(as_uuid=True), primary_key=True, server_default=text("gen_random_uuid()")),
    Column("plan_id", UUID(as_uuid=True), ForeignKey("plans.id", ondelete="CASCADE"), nullable=False),
    Column("description", Text, nullable=False),
    Column("description_key", Text, nullable=False),
    Column("happened_on", Date, nullable=True),
    Column("reference", Text, nullable=True),
    UniqueConstraint("plan_id", "description_key", name="uq_plan_events_plan_id"),
)


# A numbered item of a plan, with its deadline as written and as understood.
tasks = Table(
    "tasks",
    metadata,
    Column("id", UUID(as_uuid=True), primary_key=True, server_default=text("gen_random_uuid()")),
    Column("plan_id", UUID(as_uuid=True), ForeignKey("plans.id", ondelete="CASCADE"), nullable=False),
    Column("parent_id", UUID(as_uuid=True), ForeignKey("tasks.id", ondelete="CASCADE"), nullable=True),
    Column("code", Text, nullable=False),
    Column("position", Integer, nullable=False),
    Column("title", Text, nullable=False),
    Column("deadline_kind", Text, nullable=True),
    Column("deadline_text", Text, nullable=True),
    Column("deadline", JSONB, nullable=True),
    _now("created_at"),
    _now("updated_at"),
    Column("version", Integer, nullable=False, server_default=text("1")),
    UniqueConstraint("plan_id", "code", name="uq_tasks_plan_id"),
    Index("ix_tasks_plan_position", "plan_id", "position"),
)


task_assignments = Table(
    "task_assignments",
    metadata,
    Column("task_id", UUID(as_uuid=True), ForeignKey("tasks.id", ondelete="CASCADE"), nullable=False),
    Column("body_id", UUID(as_uuid=True), ForeignKey("bodies.id"), nullable=False),
    Column("role", Text, nullable=False),
    PrimaryKeyConstraint("task_id", "body_id", "role"),
    CheckConstraint("role IN ('directing', 'lead', 'advisory', 'coordinating', 'implementing')", name="role"),
    Index("ix_task_assignments_body", "body_id", "role"),
)


# A body's report on a task (for a recurring task, on one year's obligation).
progress_reports = Table(
    "progress_reports",
    metadata,
    Column("id", UUID(as_uuid=True), primary_key=True, server_default=text("gen_random_uuid()")),
    Column("task_id", UUID(as_uuid=True), ForeignKey("tasks.id", ondelete="CASCADE"), nullable=False),
    Column("body_id", UUID(as_uuid=True), ForeignKey("bodies.id"), nullable=False),
    # For a collective, the member organisation that reports its own part (each reports for itself).
    Column("organization_id", UUID(as_uuid=True), ForeignKey("organizations.id"), nullable=True),
    Column("reported_on", Date, nullable=False),
    Column("period_year", Integer, nullable=True),
    Column("status", Text, nullable=False),
    Column("text", Text, nullable=True),
    Column("evidence_ref", Text, nullable=True),
    _now("created_at"),
    CheckConstraint("status IN ('not_started', 'in_progress', 'done', 'blocked')", name="status"),
    Index("ix_progress_reports_task", "task_id", "period_year", "reported_on"),
)
