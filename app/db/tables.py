"""Table definitions. The Alembic migrations are the source of the schema; these mirror them
(a test runs `alembic check` to prove it). Table models never leave the db layer."""

import uuid
from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    Column,
    Computed,
    Date,
    DateTime,
    ForeignKey,
    Identity,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    Numeric,
    PrimaryKeyConstraint,
    SmallInteger,
    Table,
    Text,
    UniqueConstraint,
    func,
    text,
)
from sqlalchemy.dialects.postgresql import ARRAY, JSONB, UUID, ExcludeConstraint
from sqlmodel import Field, SQLModel

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

SQLModel.metadata = MetaData(naming_convention=NAMING_CONVENTION)
metadata = SQLModel.metadata


def _now() -> Column:  # type: ignore[type-arg]
    return Column(DateTime(timezone=True), nullable=False, server_default=func.now())


class Organization(SQLModel, table=True):
    """Identity and attributes of a unit. Where it sits in the tree, over time, is in OrganizationPlacement."""

    __tablename__ = "organizations"
    __table_args__ = (
        CheckConstraint("valid_to IS NULL OR valid_to > valid_from", name="validity"),
        CheckConstraint("code <> '' AND name <> ''", name="not_blank"),
        Index("ix_organizations_name_folded_trgm", "name_folded", postgresql_using="gin",
              postgresql_ops={"name_folded": "gin_trgm_ops"}),
        Index("ix_organizations_code_folded_trgm", "code_folded", postgresql_using="gin",
              postgresql_ops={"code_folded": "gin_trgm_ops"}),
        Index("ix_organizations_name_folded", "name_folded"),
        Index("ix_organizations_code_folded", "code_folded"),
    )

    id: uuid.UUID = Field(sa_column=Column(UUID(as_uuid=True), primary_key=True,
                                           server_default=text("gen_random_uuid()")))
    node: int = Field(sa_column=Column(BigInteger, Identity(always=True), nullable=False, unique=True))
    code: str = Field(sa_column=Column(Text, nullable=False, unique=True))
    name: str = Field(sa_column=Column(Text, nullable=False))
    name_folded: str = Field(sa_column=Column(Text, Computed("coso_fold(name)", persisted=True)))
    code_folded: str = Field(sa_column=Column(Text, Computed("coso_fold(code)", persisted=True)))
    kind: str = Field(sa_column=Column(Text, nullable=False, index=True))
    category: str | None = Field(sa_column=Column(Text, nullable=True, index=True))
    valid_from: date = Field(sa_column=Column(Date, nullable=False))
    valid_to: date | None = Field(sa_column=Column(Date, nullable=True))
    created_at: datetime = Field(sa_column=_now())
    updated_at: datetime = Field(sa_column=_now())
    version: int = Field(sa_column=Column(Integer, nullable=False, server_default=text("1")))


class OrganizationPlacement(SQLModel, table=True):
    """Where a unit sat in the tree during [valid_from, valid_to): parent, materialised path, depth.

    The path is "/<node>/<node>/…/" of the nodes from the root; with COLLATE "C" a plain btree serves both the
    subtree range scan and ORDER BY path, so a subtree page costs the same whatever the size of the tree.
    """

    __tablename__ = "organization_placements"
    __table_args__ = (
        PrimaryKeyConstraint("organization_id", "valid_from"),
        CheckConstraint("valid_to IS NULL OR valid_to > valid_from", name="validity"),
        CheckConstraint("depth >= 0 AND path LIKE '/%/'", name="path_shape"),
        ExcludeConstraint(
            ("organization_id", "="),
            (text("daterange(valid_from, valid_to)"), "&&"),
            name="ex_organization_placements_no_overlap",
            using="gist",
        ),
        Index("ix_organization_placements_path", "path", "valid_from"),
        Index("ix_organization_placements_parent", "parent_id", "valid_from"),
        Index("ix_organization_placements_latest_path", "path", postgresql_where=text("latest")),
        Index("ix_organization_placements_latest_parent", "parent_id", "path", postgresql_where=text("latest")),
        Index("uq_organization_placements_latest", "organization_id", unique=True, postgresql_where=text("latest")),
    )

    organization_id: uuid.UUID = Field(sa_column=Column(
        UUID(as_uuid=True), ForeignKey("organizations.id", ondelete="CASCADE"), nullable=False))
    valid_from: date = Field(sa_column=Column(Date, nullable=False))
    valid_to: date | None = Field(sa_column=Column(Date, nullable=True))
    parent_id: uuid.UUID | None = Field(sa_column=Column(
        UUID(as_uuid=True), ForeignKey("organizations.id"), nullable=True))
    path: str = Field(sa_column=Column(Text(collation="C"), nullable=False))
    depth: int = Field(sa_column=Column(Integer, nullable=False))
    latest: bool = Field(sa_column=Column(Boolean, nullable=False, server_default=text("true")),
                         description="The unit's last placement: the open one, or where a dissolved unit was last")


class OrganizationExternalId(SQLModel, table=True):
    """An identifier another system uses for a unit ("system:id"); each belongs to one unit only."""

    __tablename__ = "organization_external_ids"
    __table_args__ = (CheckConstraint("external_id ~ '^[^:\\s]+:\\S+$'", name="shape"),)

    external_id: str = Field(sa_column=Column(Text, primary_key=True))
    organization_id: uuid.UUID = Field(sa_column=Column(
        UUID(as_uuid=True), ForeignKey("organizations.id", ondelete="CASCADE"), nullable=False, index=True))


class LineageEvent(SQLModel, table=True):
    """A structural change (create, move, merge, split, dissolve) and the decision behind it."""

    __tablename__ = "lineage_events"

    id: uuid.UUID = Field(sa_column=Column(UUID(as_uuid=True), primary_key=True,
                                           server_default=text("gen_random_uuid()")))
    action: str = Field(sa_column=Column(Text, nullable=False))
    effective_date: date = Field(sa_column=Column(Date, nullable=False))
    decision_ref: str | None = Field(sa_column=Column(Text, nullable=True))
    note: str | None = Field(sa_column=Column(Text, nullable=True))
    recorded_at: datetime = Field(sa_column=_now())


class LineageLink(SQLModel, table=True):
    """One unit's part in a lineage event: `source` (what it was) or `target` (what it became)."""

    __tablename__ = "lineage_links"
    __table_args__ = (
        PrimaryKeyConstraint("event_id", "organization_id", "role"),
        CheckConstraint("role IN ('source', 'target')", name="role"),
    )

    event_id: uuid.UUID = Field(sa_column=Column(
        UUID(as_uuid=True), ForeignKey("lineage_events.id", ondelete="CASCADE"), nullable=False))
    organization_id: uuid.UUID = Field(sa_column=Column(
        UUID(as_uuid=True), ForeignKey("organizations.id", ondelete="CASCADE"), nullable=False, index=True))
    role: str = Field(sa_column=Column(Text, nullable=False))


class ApiKey(SQLModel, table=True):
    """A system's credential. Only a hash of the secret is kept; `key_id` is the public part used to find it."""

    __tablename__ = "api_keys"
    __table_args__ = (CheckConstraint("role IN ('viewer', 'editor', 'admin', 'auditor')", name="role"),)

    id: uuid.UUID = Field(sa_column=Column(UUID(as_uuid=True), primary_key=True,
                                           server_default=text("gen_random_uuid()")))
    key_id: str = Field(sa_column=Column(Text, nullable=False, unique=True))
    secret_hash: bytes = Field(sa_column=Column(LargeBinary, nullable=False))
    name: str = Field(sa_column=Column(Text, nullable=False))
    role: str = Field(sa_column=Column(Text, nullable=False))
    scopes: list[uuid.UUID] = Field(sa_column=Column(ARRAY(UUID(as_uuid=True)), nullable=False,
                                                     server_default=text("'{}'")))
    pii: bool = Field(sa_column=Column(Boolean, nullable=False, server_default=text("false")))
    created_at: datetime = Field(sa_column=_now())
    created_by: str | None = Field(sa_column=Column(Text, nullable=True))
    expires_at: datetime | None = Field(sa_column=Column(DateTime(timezone=True), nullable=True))
    revoked_at: datetime | None = Field(sa_column=Column(DateTime(timezone=True), nullable=True))
    last_used_at: datetime | None = Field(sa_column=Column(DateTime(timezone=True), nullable=True))


class AuditEntry(SQLModel, table=True):
    """Who changed what, when, with the values before and after. Append-only (a trigger refuses the rest)."""

    __tablename__ = "audit_log"
    __table_args__ = (
        CheckConstraint("actor_kind IN ('key', 'jwt', 'system')", name="actor_kind"),
        Index("ix_audit_log_entity", "entity", "entity_id", "id"),
        Index("ix_audit_log_actor", "actor_id", "id"),
        Index("ix_audit_log_at", "at"),
    )

    id: int = Field(sa_column=Column(BigInteger, Identity(always=True), primary_key=True))
    at: datetime = Field(sa_column=_now())
    actor_kind: str = Field(sa_column=Column(Text, nullable=False))
    actor_id: str = Field(sa_column=Column(Text, nullable=False))
    actor_name: str | None = Field(sa_column=Column(Text, nullable=True))
    request_id: str | None = Field(sa_column=Column(Text, nullable=True))
    action: str = Field(sa_column=Column(Text, nullable=False))
    entity: str = Field(sa_column=Column(Text, nullable=False))
    entity_id: uuid.UUID | None = Field(sa_column=Column(UUID(as_uuid=True), nullable=True))
    organization_id: uuid.UUID | None = Field(sa_column=Column(UUID(as_uuid=True), nullable=True))
    # The other end of a change that crosses units (where a member was transferred to, a unit moved under or merged
    # into): auditors covering either end see the entry.
    related_organization_id: uuid.UUID | None = Field(sa_column=Column(UUID(as_uuid=True), nullable=True))
    before: dict[str, Any] | None = Field(sa_column=Column(JSONB, nullable=True))
    after: dict[str, Any] | None = Field(sa_column=Column(JSONB, nullable=True))


class ServiceSecret(SQLModel, table=True):
    """Random secrets every process of a deployment shares (cursor signatures, the audit log's digests of
    sensitive values), made by the migration that created the table."""

    __tablename__ = "service_secrets"

    name: str = Field(sa_column=Column(Text, primary_key=True))
    value: bytes = Field(sa_column=Column(LargeBinary, nullable=False))
    created_at: datetime = Field(sa_column=_now())


class Body(SQLModel, table=True):
    """An agency or collective a plan names, in the namespace of an organisation (each town has its own "UBND thị
    xã"). `organization_id` is that organisation; for a collective it is the root of the subtree the collective
    stands for, and for a party organisation the organisation itself (`kind` says which). `name_key` is the
    forgiving match key (accents, case, spacing, abbreviations folded), unique within the namespace, so two different
    bodies are never merged silently: another spelling becomes an alias only when a person says so."""

    __tablename__ = "bodies"
    __table_args__ = (
        CheckConstraint("kind IN ('agency', 'organization', 'collective')", name="kind"),
        UniqueConstraint("organization_id", "name_key", name="uq_bodies_organization_id"),
        Index("ix_bodies_name_key_trgm", "name_key", postgresql_using="gin",
              postgresql_ops={"name_key": "gin_trgm_ops"}),
    )

    id: uuid.UUID = Field(sa_column=Column(UUID(as_uuid=True), primary_key=True,
                                           server_default=text("gen_random_uuid()")))
    name: str = Field(sa_column=Column(Text, nullable=False))
    name_key: str = Field(sa_column=Column(Text, nullable=False))
    kind: str = Field(sa_column=Column(Text, nullable=False))
    organization_id: uuid.UUID = Field(sa_column=Column(
        UUID(as_uuid=True), ForeignKey("organizations.id"), nullable=False, index=True))
    created_at: datetime = Field(sa_column=_now())
    updated_at: datetime = Field(sa_column=_now())
    version: int = Field(sa_column=Column(Integer, nullable=False, server_default=text("1")))


class BodyAlias(SQLModel, table=True):
    """Another spelling of a body ("UBND thị xã" for "Ủy ban nhân dân thị xã"), by its match key."""

    __tablename__ = "body_aliases"
    __table_args__ = (PrimaryKeyConstraint("organization_id", "alias_key"),)

    organization_id: uuid.UUID = Field(sa_column=Column(
        UUID(as_uuid=True), ForeignKey("organizations.id"), nullable=False))
    alias_key: str = Field(sa_column=Column(Text, nullable=False))
    body_id: uuid.UUID = Field(sa_column=Column(
        UUID(as_uuid=True), ForeignKey("bodies.id", ondelete="CASCADE"), nullable=False, index=True))
    alias: str = Field(sa_column=Column(Text, nullable=False))


class Plan(SQLModel, table=True):
    """A plan ("211-KH/TU") issued by a body of an organisation, implementing resolutions or other plans."""

    __tablename__ = "plans"
    __table_args__ = (
        CheckConstraint("status IN ('draft', 'issued')", name="status"),
        CheckConstraint("period_to IS NULL OR period_from IS NULL OR period_to >= period_from", name="period"),
    )

    id: uuid.UUID = Field(sa_column=Column(UUID(as_uuid=True), primary_key=True,
                                           server_default=text("gen_random_uuid()")))
    code: str | None = Field(sa_column=Column(Text, nullable=True, unique=True))
    title: str = Field(sa_column=Column(Text, nullable=False))
    organization_id: uuid.UUID = Field(sa_column=Column(
        UUID(as_uuid=True), ForeignKey("organizations.id"), nullable=False, index=True))
    issuer_body_id: uuid.UUID | None = Field(sa_column=Column(
        UUID(as_uuid=True), ForeignKey("bodies.id"), nullable=True))
    issued_on: date | None = Field(sa_column=Column(Date, nullable=True))
    implements: list[str] = Field(sa_column=Column(ARRAY(Text), nullable=False, server_default=text("'{}'")))
    status: str = Field(sa_column=Column(Text, nullable=False, server_default=text("'draft'")))
    period_from: date | None = Field(sa_column=Column(Date, nullable=True))
    period_to: date | None = Field(sa_column=Column(Date, nullable=True))
    created_at: datetime = Field(sa_column=_now())
    updated_at: datetime = Field(sa_column=_now())
    version: int = Field(sa_column=Column(Integer, nullable=False, server_default=text("1")))


class PlanEvent(SQLModel, table=True):
    """Something deadlines wait for ("khi có Quy chế mẫu …"); recording the day it happened resolves them."""

    __tablename__ = "plan_events"
    __table_args__ = (UniqueConstraint("plan_id", "description_key", name="uq_plan_events_plan_id"),)

    id: uuid.UUID = Field(sa_column=Column(UUID(as_uuid=True), primary_key=True,
                                           server_default=text("gen_random_uuid()")))
    plan_id: uuid.UUID = Field(sa_column=Column(
        UUID(as_uuid=True), ForeignKey("plans.id", ondelete="CASCADE"), nullable=False))
    description: str = Field(sa_column=Column(Text, nullable=False))
    description_key: str = Field(sa_column=Column(Text, nullable=False))
    happened_on: date | None = Field(sa_column=Column(Date, nullable=True))
    reference: str | None = Field(sa_column=Column(Text, nullable=True))


class Task(SQLModel, table=True):
    """A numbered item of a plan, with its deadline as written and as understood."""

    __tablename__ = "tasks"
    __table_args__ = (
        UniqueConstraint("plan_id", "code", name="uq_tasks_plan_id"),
        Index("ix_tasks_plan_position", "plan_id", "position"),
    )

    id: uuid.UUID = Field(sa_column=Column(UUID(as_uuid=True), primary_key=True,
                                           server_default=text("gen_random_uuid()")))
    plan_id: uuid.UUID = Field(sa_column=Column(
        UUID(as_uuid=True), ForeignKey("plans.id", ondelete="CASCADE"), nullable=False))
    parent_id: uuid.UUID | None = Field(sa_column=Column(
        UUID(as_uuid=True), ForeignKey("tasks.id", ondelete="CASCADE"), nullable=True))
    code: str = Field(sa_column=Column(Text, nullable=False))
    position: int = Field(sa_column=Column(Integer, nullable=False))
    title: str = Field(sa_column=Column(Text, nullable=False))
    deadline_kind: str | None = Field(sa_column=Column(Text, nullable=True))
    deadline_text: str | None = Field(sa_column=Column(Text, nullable=True))
    deadline: dict[str, Any] | None = Field(sa_column=Column(JSONB, nullable=True))
    created_at: datetime = Field(sa_column=_now())
    updated_at: datetime = Field(sa_column=_now())
    version: int = Field(sa_column=Column(Integer, nullable=False, server_default=text("1")))


class TaskAssignment(SQLModel, table=True):
    __tablename__ = "task_assignments"
    __table_args__ = (
        PrimaryKeyConstraint("task_id", "body_id", "role"),
        CheckConstraint("role IN ('directing', 'lead', 'advisory', 'coordinating', 'implementing')", name="role"),
        Index("ix_task_assignments_body", "body_id", "role"),
    )

    task_id: uuid.UUID = Field(sa_column=Column(
        UUID(as_uuid=True), ForeignKey("tasks.id", ondelete="CASCADE"), nullable=False))
    body_id: uuid.UUID = Field(sa_column=Column(UUID(as_uuid=True), ForeignKey("bodies.id"), nullable=False))
    role: str = Field(sa_column=Column(Text, nullable=False))


class ProgressReport(SQLModel, table=True):
    """A body's report on a task (for a recurring task, on one year's obligation)."""

    __tablename__ = "progress_reports"
    __table_args__ = (
        CheckConstraint("status IN ('not_started', 'in_progress', 'done', 'blocked')", name="status"),
        Index("ix_progress_reports_task", "task_id", "period_year", "reported_on"),
    )

    id: uuid.UUID = Field(sa_column=Column(UUID(as_uuid=True), primary_key=True,
                                           server_default=text("gen_random_uuid()")))
    task_id: uuid.UUID = Field(sa_column=Column(
        UUID(as_uuid=True), ForeignKey("tasks.id", ondelete="CASCADE"), nullable=False))
    body_id: uuid.UUID = Field(sa_column=Column(UUID(as_uuid=True), ForeignKey("bodies.id"), nullable=False))
    reported_on: date = Field(sa_column=Column(Date, nullable=False))
    period_year: int | None = Field(sa_column=Column(Integer, nullable=True))
    status: str = Field(sa_column=Column(Text, nullable=False))
    text: str | None = Field(sa_column=Column(Text, nullable=True))
    evidence_ref: str | None = Field(sa_column=Column(Text, nullable=True))
    created_at: datetime = Field(sa_column=_now())


MEMBER_STATUSES = ("candidate", "probationary", "official", "transferred_out", "expelled", "struck_off", "resigned",
                   "deceased")


class Member(SQLModel, table=True):
    """A Party member (or a candidate for admission) as the record stands now; `member_periods` holds where and in
    what status they were over time, `member_events` every step that got them there."""

    __tablename__ = "members"
    __table_args__ = (
        CheckConstraint(f"status IN {MEMBER_STATUSES}", name="status"),
        CheckConstraint("gender IN ('male', 'female')", name="gender"),
        CheckConstraint("citizen_id IS NULL OR citizen_id ~ '^[0-9]{12}$'", name="citizen_id"),
        CheckConstraint("full_name <> ''", name="full_name"),
        Index("ix_members_org_path", "org_path", "sort_key", "id"),
        Index("ix_members_organization", "organization_id", "sort_key", "id"),
        Index("ix_members_sort", "sort_key", "id"),
        Index("ix_members_name_folded_trgm", "name_folded", postgresql_using="gin",
              postgresql_ops={"name_folded": "gin_trgm_ops"}),
        Index("ix_members_name_birth", "name_folded", "birth_date"),
        Index("ix_members_name_sorted", "name_folded", "sort_key", "id"),
        Index("uq_members_citizen_id_living", "citizen_id", unique=True,
              postgresql_where=text("citizen_id IS NOT NULL AND status <> 'deceased'")),
        Index("ix_members_card", "party_card_number"),
        Index("ix_members_host", "host_organization_id", postgresql_where=text("host_organization_id IS NOT NULL")),
    )

    id: uuid.UUID = Field(sa_column=Column(UUID(as_uuid=True), primary_key=True,
                                           server_default=text("gen_random_uuid()")))
    full_name: str = Field(sa_column=Column(Text, nullable=False))
    name_folded: str = Field(sa_column=Column(Text, Computed("coso_fold(full_name)", persisted=True)))
    sort_key: str = Field(sa_column=Column(Text(collation="C"), nullable=False))
    gender: str = Field(sa_column=Column(Text, nullable=False))
    birth_date: date = Field(sa_column=Column(Date, nullable=False))
    birth_place: str | None = Field(sa_column=Column(Text, nullable=True))
    hometown: str | None = Field(sa_column=Column(Text, nullable=True))
    residence: str | None = Field(sa_column=Column(Text, nullable=True))
    ethnicity: str | None = Field(sa_column=Column(Text, nullable=True))
    religion: str | None = Field(sa_column=Column(Text, nullable=True))
    citizen_id: str | None = Field(sa_column=Column(Text, nullable=True))
    phone: str | None = Field(sa_column=Column(Text, nullable=True))
    education: str | None = Field(sa_column=Column(Text, nullable=True))
    professional_level: str | None = Field(sa_column=Column(Text, nullable=True))
    political_theory_level: str | None = Field(sa_column=Column(Text, nullable=True))
    admission_decision_date: date | None = Field(sa_column=Column(Date, nullable=True))
    admission_ceremony_date: date | None = Field(sa_column=Column(Date, nullable=True))
    official_date: date | None = Field(sa_column=Column(Date, nullable=True))
    party_card_number: str | None = Field(sa_column=Column(Text, nullable=True))
    record_number: str | None = Field(sa_column=Column(Text, nullable=True))
    status: str = Field(sa_column=Column(Text, nullable=False))
    organization_id: uuid.UUID = Field(sa_column=Column(
        UUID(as_uuid=True), ForeignKey("organizations.id"), nullable=False))
    org_path: str = Field(sa_column=Column(Text(collation="C"), nullable=False))
    host_organization_id: uuid.UUID | None = Field(sa_column=Column(
        UUID(as_uuid=True), ForeignKey("organizations.id"), nullable=True))
    temporarily_away: bool = Field(sa_column=Column(Boolean, nullable=False, server_default=text("false")))
    exempt: bool = Field(sa_column=Column(Boolean, nullable=False, server_default=text("false")))
    suspended: bool = Field(sa_column=Column(Boolean, nullable=False, server_default=text("false")))
    sponsor_ids: list[uuid.UUID] = Field(sa_column=Column(ARRAY(UUID(as_uuid=True)), nullable=False,
                                                          server_default=text("'{}'")))
    training_certificate_date: date | None = Field(sa_column=Column(Date, nullable=True))
    created_at: datetime = Field(sa_column=_now())
    updated_at: datetime = Field(sa_column=_now())
    version: int = Field(sa_column=Column(Integer, nullable=False, server_default=text("1")))


class MemberPeriod(SQLModel, table=True):
    """Where a member belonged and in what state during [valid_from, valid_to)."""

    __tablename__ = "member_periods"
    __table_args__ = (
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

    member_id: uuid.UUID = Field(sa_column=Column(
        UUID(as_uuid=True), ForeignKey("members.id", ondelete="CASCADE"), nullable=False))
    valid_from: date = Field(sa_column=Column(Date, nullable=False))
    valid_to: date | None = Field(sa_column=Column(Date, nullable=True))
    organization_id: uuid.UUID = Field(sa_column=Column(
        UUID(as_uuid=True), ForeignKey("organizations.id"), nullable=False))
    status: str = Field(sa_column=Column(Text, nullable=False))
    host_organization_id: uuid.UUID | None = Field(sa_column=Column(
        UUID(as_uuid=True), ForeignKey("organizations.id"), nullable=True))
    temporarily_away: bool = Field(sa_column=Column(Boolean, nullable=False, server_default=text("false")))
    exempt: bool = Field(sa_column=Column(Boolean, nullable=False, server_default=text("false")))
    suspended: bool = Field(sa_column=Column(Boolean, nullable=False, server_default=text("false")))


class MemberEvent(SQLModel, table=True):
    """One step of a member's life in the Party, with its date, decision and who recorded it."""

    __tablename__ = "member_events"
    __table_args__ = (Index("ix_member_events_member", "member_id", "event_date", "recorded_at"),
                      Index("ix_member_events_kind_date", "kind", "event_date"))

    id: uuid.UUID = Field(sa_column=Column(UUID(as_uuid=True), primary_key=True,
                                           server_default=text("gen_random_uuid()")))
    member_id: uuid.UUID = Field(sa_column=Column(
        UUID(as_uuid=True), ForeignKey("members.id", ondelete="CASCADE"), nullable=False))
    kind: str = Field(sa_column=Column(Text, nullable=False))
    event_date: date = Field(sa_column=Column(Date, nullable=False))
    decision_ref: str | None = Field(sa_column=Column(Text, nullable=True))
    note: str | None = Field(sa_column=Column(Text, nullable=True))
    from_organization_id: uuid.UUID | None = Field(sa_column=Column(UUID(as_uuid=True), nullable=True))
    to_organization_id: uuid.UUID | None = Field(sa_column=Column(UUID(as_uuid=True), nullable=True))
    details: dict[str, Any] | None = Field(sa_column=Column(JSONB, nullable=True))
    recorded_by: str = Field(sa_column=Column(Text, nullable=False))
    recorded_at: datetime = Field(sa_column=_now())


class MemberExternalId(SQLModel, table=True):
    __tablename__ = "member_external_ids"
    __table_args__ = (CheckConstraint("external_id ~ '^[^:\\s]+:\\S+$'", name="shape"),)

    external_id: str = Field(sa_column=Column(Text, primary_key=True))
    member_id: uuid.UUID = Field(sa_column=Column(
        UUID(as_uuid=True), ForeignKey("members.id", ondelete="CASCADE"), nullable=False, index=True))


# --- positions, posts, ratings and organisation records ----------------------------------------------------------

PARTY_POSITIONS = ("secretary", "deputy_secretary", "standing_committee_member", "committee_member")
RATING_BANDS = ("excellent", "good", "fulfilled", "not_fulfilled")
NOT_RATED_REASONS = ("exempt", "suspended", "admitted_less_than_6_months", "organization_less_than_6_months_old")


class PartyPosition(SQLModel, table=True):
    """A member's seat in an organisation's elected leadership (secretary, deputy, committee member) during
    [valid_from, valid_to). One secretary per organisation at a time, one seat per member and organisation."""

    __tablename__ = "party_positions"
    __table_args__ = (
        CheckConstraint(f"position IN {PARTY_POSITIONS}", name="position"),
        CheckConstraint("valid_to IS NULL OR valid_to > valid_from", name="validity"),
        ExcludeConstraint(
            ("organization_id", "="),
            (text("daterange(valid_from, valid_to)"), "&&"),
            name="ex_party_positions_one_secretary",
            using="gist",
            where=text("position = 'secretary'"),
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

    id: uuid.UUID = Field(sa_column=Column(UUID(as_uuid=True), primary_key=True,
                                           server_default=text("gen_random_uuid()")))
    member_id: uuid.UUID = Field(sa_column=Column(
        UUID(as_uuid=True), ForeignKey("members.id", ondelete="CASCADE"), nullable=False))
    organization_id: uuid.UUID = Field(sa_column=Column(
        UUID(as_uuid=True), ForeignKey("organizations.id"), nullable=False))
    position: str = Field(sa_column=Column(Text, nullable=False))
    valid_from: date = Field(sa_column=Column(Date, nullable=False))
    valid_to: date | None = Field(sa_column=Column(Date, nullable=True))
    decision_ref: str | None = Field(sa_column=Column(Text, nullable=True))
    end_decision_ref: str | None = Field(sa_column=Column(Text, nullable=True))
    created_at: datetime = Field(sa_column=_now())
    updated_at: datetime = Field(sa_column=_now())
    version: int = Field(sa_column=Column(Integer, nullable=False, server_default=text("1")))


class PublicPost(SQLModel, table=True):
    """A public post a member holds concurrently (village head, commune chair, …) during [valid_from, valid_to),
    at a place named in words or at the place a party organisation stands for (a village's cell)."""

    __tablename__ = "public_posts"
    __table_args__ = (
        CheckConstraint("valid_to IS NULL OR valid_to > valid_from", name="validity"),
        CheckConstraint("place IS NOT NULL OR organization_id IS NOT NULL", name="place"),
        Index("ix_public_posts_member", "member_id", "valid_from"),
        Index("ix_public_posts_organization", "organization_id", "post", "valid_from",
              postgresql_where=text("organization_id IS NOT NULL")),
    )

    id: uuid.UUID = Field(sa_column=Column(UUID(as_uuid=True), primary_key=True,
                                           server_default=text("gen_random_uuid()")))
    member_id: uuid.UUID = Field(sa_column=Column(
        UUID(as_uuid=True), ForeignKey("members.id", ondelete="CASCADE"), nullable=False))
    post: str = Field(sa_column=Column(Text, nullable=False))
    place: str | None = Field(sa_column=Column(Text, nullable=True))
    organization_id: uuid.UUID | None = Field(sa_column=Column(
        UUID(as_uuid=True), ForeignKey("organizations.id"), nullable=True))
    valid_from: date = Field(sa_column=Column(Date, nullable=False))
    valid_to: date | None = Field(sa_column=Column(Date, nullable=True))
    decision_ref: str | None = Field(sa_column=Column(Text, nullable=True))
    created_at: datetime = Field(sa_column=_now())
    updated_at: datetime = Field(sa_column=_now())
    version: int = Field(sa_column=Column(Integer, nullable=False, server_default=text("1")))


class Rating(SQLModel, table=True):
    """The rating of a member (member_id set) or of an organisation (member_id null) for a period ("2024",
    "2024-Q2"): a score and its band, or the reason it was not rated. `organization_id` is the organisation rated,
    or the member's organisation at rating time (the end of the period)."""

    __tablename__ = "ratings"
    __table_args__ = (
        CheckConstraint("period ~ '^[0-9]{4}(-Q[1-4])?$'", name="period"),
        CheckConstraint("score IS NULL OR score BETWEEN 0 AND 100", name="score"),
        CheckConstraint(f"rating IS NULL OR rating IN {RATING_BANDS}", name="rating"),
        CheckConstraint(f"not_rated_reason IS NULL OR not_rated_reason IN {NOT_RATED_REASONS}",
                        name="not_rated_reason"),
        CheckConstraint("(rating IS NOT NULL AND score IS NOT NULL AND not_rated_reason IS NULL) OR "
                        "(rating IS NULL AND score IS NULL AND not_rated_reason IS NOT NULL)", name="rated_or_reason"),
        Index("uq_ratings_member_period", "member_id", "period", unique=True,
              postgresql_where=text("member_id IS NOT NULL")),
        Index("uq_ratings_organization_period", "organization_id", "period", unique=True,
              postgresql_where=text("member_id IS NULL")),
        Index("ix_ratings_period_organization", "period", "organization_id"),
        # A unit's member ratings, for its indicator facts (migration 0009).
        Index("ix_ratings_member_organization", "organization_id", "period",
              postgresql_where=text("member_id IS NOT NULL")),
    )

    id: uuid.UUID = Field(sa_column=Column(UUID(as_uuid=True), primary_key=True,
                                           server_default=text("gen_random_uuid()")))
    member_id: uuid.UUID | None = Field(sa_column=Column(
        UUID(as_uuid=True), ForeignKey("members.id", ondelete="CASCADE"), nullable=True))
    organization_id: uuid.UUID = Field(sa_column=Column(
        UUID(as_uuid=True), ForeignKey("organizations.id"), nullable=False))
    period: str = Field(sa_column=Column(Text, nullable=False))
    period_end: date = Field(sa_column=Column(Date, nullable=False))
    score: int | None = Field(sa_column=Column(Integer, nullable=True))
    rating: str | None = Field(sa_column=Column(Text, nullable=True))
    not_rated_reason: str | None = Field(sa_column=Column(Text, nullable=True))
    comment: str | None = Field(sa_column=Column(Text, nullable=True))
    rated_on: date | None = Field(sa_column=Column(Date, nullable=True))
    created_at: datetime = Field(sa_column=_now())
    updated_at: datetime = Field(sa_column=_now())
    version: int = Field(sa_column=Column(Integer, nullable=False, server_default=text("1")))


class WorkingRegulation(SQLModel, table=True):
    """Working regulations (quy chế làm việc) an organisation issued."""

    __tablename__ = "working_regulations"
    __table_args__ = (Index("ix_working_regulations_organization", "organization_id", "issued_on"),)

    id: uuid.UUID = Field(sa_column=Column(UUID(as_uuid=True), primary_key=True,
                                           server_default=text("gen_random_uuid()")))
    organization_id: uuid.UUID = Field(sa_column=Column(
        UUID(as_uuid=True), ForeignKey("organizations.id"), nullable=False))
    issued_on: date = Field(sa_column=Column(Date, nullable=False))
    reference: str = Field(sa_column=Column(Text, nullable=False))
    title: str | None = Field(sa_column=Column(Text, nullable=True))
    created_at: datetime = Field(sa_column=_now())


class Inspection(SQLModel, table=True):
    """An inspection (kiểm tra, giám sát) of an organisation by a higher body, and its conclusion."""

    __tablename__ = "inspections"
    __table_args__ = (
        CheckConstraint("year BETWEEN 1930 AND 2100", name="year"),
        Index("ix_inspections_organization", "organization_id", "year"),
        Index("ix_inspections_year", "year", "organization_id"),
    )

    id: uuid.UUID = Field(sa_column=Column(UUID(as_uuid=True), primary_key=True,
                                           server_default=text("gen_random_uuid()")))
    organization_id: uuid.UUID = Field(sa_column=Column(
        UUID(as_uuid=True), ForeignKey("organizations.id"), nullable=False))
    inspecting_body: str = Field(sa_column=Column(Text, nullable=False))
    year: int = Field(sa_column=Column(Integer, nullable=False))
    inspected_on: date | None = Field(sa_column=Column(Date, nullable=True))
    conclusion: str | None = Field(sa_column=Column(Text, nullable=True))
    reference: str | None = Field(sa_column=Column(Text, nullable=True))
    created_at: datetime = Field(sa_column=_now())


class CommitteeTerm(SQLModel, table=True):
    """A term (nhiệm kỳ) of an organisation's committee, e.g. "2020-2025", from its congress to the next."""

    __tablename__ = "committee_terms"
    __table_args__ = (
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

    id: uuid.UUID = Field(sa_column=Column(UUID(as_uuid=True), primary_key=True,
                                           server_default=text("gen_random_uuid()")))
    organization_id: uuid.UUID = Field(sa_column=Column(
        UUID(as_uuid=True), ForeignKey("organizations.id"), nullable=False))
    label: str = Field(sa_column=Column(Text, nullable=False))
    starts_on: date = Field(sa_column=Column(Date, nullable=False))
    ends_on: date | None = Field(sa_column=Column(Date, nullable=True))
    created_at: datetime = Field(sa_column=_now())


# --- indicators (migration 0009; kept by triggers, read by app/db/indicators.py) ----------------------------------

INDICATOR_MEASURES = (
    "members", "admissions", "exits", "members_rated", "members_rated_good",
    "grassroots", "grassroots_rated", "grassroots_rated_good", "inspected_quarter", "inspected_year",
    "subordinate_cells", "subordinate_cells_regulated", "village_cells", "village_cells_committee",
    "village_cells_head_member", "village_cells_secretary_head",
)


def _measures() -> list[Column[Any]]:
    return [Column(m, Integer, server_default=text("0"), nullable=False) for m in INDICATOR_MEASURES]


INDICATOR_QUARTERS = Table(
    "indicator_quarters", metadata,
    Column("quarter", Integer, primary_key=True),
    Column("starts", Date, nullable=False),
    Column("ends", Date, nullable=False),
)
INDICATOR_OWN = Table(
    "indicator_own", metadata,
    Column("organization_id", UUID(as_uuid=True), primary_key=True),
    Column("quarter", Integer, primary_key=True),
    Column("period_nodes", ARRAY(BigInteger), nullable=True),
    Column("current_nodes", ARRAY(BigInteger), nullable=True),
    *_measures(),
)
INDICATOR_ANCHORS = Table(
    "indicator_anchors", metadata,
    Column("organization_id", UUID(as_uuid=True), primary_key=True),
    Column("anchor_id", UUID(as_uuid=True), nullable=False, index=True),
)
INDICATOR_ROLLUP = Table(
    "indicator_rollup", metadata,
    Column("structure", SmallInteger, primary_key=True),
    Column("node", BigInteger, primary_key=True),
    Column("quarter", Integer, primary_key=True),
    *_measures(),
    CheckConstraint("structure IN (0, 1)", name="structure"),
)
INDICATOR_DIRTY = Table(
    "indicator_dirty", metadata,
    Column("txid", Text, primary_key=True, server_default=text("pg_current_xact_id()::text")),
    Column("organization_id", UUID(as_uuid=True), primary_key=True),
)
INDICATOR_CLOCK = Table(
    "indicator_clock", metadata,
    Column("day", Date, primary_key=True),
)
INDICATOR_TARGETS = Table(
    "indicator_targets", metadata,
    Column("id", UUID(as_uuid=True), primary_key=True, server_default=text("gen_random_uuid()")),
    Column("indicator", Text, nullable=False),
    Column("organization_id", UUID(as_uuid=True), ForeignKey("organizations.id"), nullable=False),
    Column("year_from", Integer, nullable=False),
    Column("year_to", Integer, nullable=True),
    Column("comparator", Text, nullable=False),
    Column("value", Numeric, nullable=False),
    Column("value_high", Numeric, nullable=True),
    Column("note", Text, nullable=True),
    Column("created_at", DateTime(timezone=True), server_default=text("now()"), nullable=False),
    UniqueConstraint("indicator", "organization_id", "year_from"),
)
