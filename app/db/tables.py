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
    PrimaryKeyConstraint,
    Text,
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
    )

    organization_id: uuid.UUID = Field(sa_column=Column(
        UUID(as_uuid=True), ForeignKey("organizations.id", ondelete="CASCADE"), nullable=False))
    valid_from: date = Field(sa_column=Column(Date, nullable=False))
    valid_to: date | None = Field(sa_column=Column(Date, nullable=True))
    parent_id: uuid.UUID | None = Field(sa_column=Column(
        UUID(as_uuid=True), ForeignKey("organizations.id"), nullable=True))
    path: str = Field(sa_column=Column(Text(collation="C"), nullable=False))
    depth: int = Field(sa_column=Column(Integer, nullable=False))


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
    before: dict[str, Any] | None = Field(sa_column=Column(JSONB, nullable=True))
    after: dict[str, Any] | None = Field(sa_column=Column(JSONB, nullable=True))
