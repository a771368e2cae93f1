"""Webhooks: subscriptions to the change feed and the log of their deliveries (migration 0022; ARCHITECTURE.md,
"Webhooks"). Positions in the feed are (xkey, position) pairs, as in `changes`.

The Alembic migrations are the source of the schema: these declarations mirror them for `alembic check`."""

from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    Column,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    Table,
    Text,
    text,
)
from sqlalchemy.dialects.postgresql import ARRAY, UUID

from app.db.metadata import metadata
from app.db.metadata import now as _now

SUBSCRIPTION_STATUSES = ("active", "paused")
DELIVERY_STATUSES = ("pending", "succeeded", "failed")

webhook_subscriptions = Table(
    "webhook_subscriptions",
    metadata,
    Column("id", UUID(as_uuid=True), primary_key=True, server_default=text("gen_random_uuid()")),
    Column("url", Text, nullable=False),
    Column("entities", ARRAY(Text), nullable=False),
    Column("description", Text, nullable=True),
    # The signing key (whsec_…), shown once when made: the worker needs it to sign every delivery.
    Column("secret", Text, nullable=False),
    # Who made it (the key id or the token's subject) and what that caller sees: deliveries are read as it.
    Column("created_by", Text, nullable=False),
    # A key's subscription stops (is paused) when the key is revoked or expires.
    Column("created_by_kind", Text, nullable=False),
    Column("scopes", ARRAY(UUID(as_uuid=True)), nullable=False),
    Column("pii", Boolean, nullable=False),
    Column("status", Text, nullable=False, server_default=text("'active'")),
    Column("paused_reason", Text, nullable=True),
    # The feed position delivered up to (exclusive start of the next batch).
    Column("cursor_xkey", BigInteger, nullable=False),
    Column("cursor_position", BigInteger, nullable=False),
    Column("consecutive_failures", Integer, nullable=False, server_default=text("0")),
    Column("failing_since", DateTime(timezone=True), nullable=True),
    Column("next_attempt_at", DateTime(timezone=True), nullable=True),
    Column("last_success_at", DateTime(timezone=True), nullable=True),
    Column("last_failure_at", DateTime(timezone=True), nullable=True),
    Column("last_error", Text, nullable=True),
    Column("version", Integer, nullable=False, server_default=text("1")),
    _now("created_at"),
    _now("updated_at"),
    CheckConstraint("status IN ('active', 'paused')", name="status"),
    CheckConstraint("created_by_kind IN ('key', 'jwt', 'system')", name="created_by_kind"),
    Index("ix_webhook_subscriptions_created_by", "created_by", "created_at", "id"),
    Index("ix_webhook_subscriptions_created_at", "created_at", "id"),
)

# One batch of the feed sent to a subscription: the positions it covers, and how its attempts went.
webhook_deliveries = Table(
    "webhook_deliveries",
    metadata,
    Column("id", UUID(as_uuid=True), primary_key=True, server_default=text("gen_random_uuid()")),
    Column(
        "subscription_id",
        UUID(as_uuid=True),
        ForeignKey("webhook_subscriptions.id", ondelete="CASCADE"),
        nullable=False,
    ),
    Column("status", Text, nullable=False, server_default=text("'pending'")),
    Column("attempts", Integer, nullable=False, server_default=text("0")),
    Column("after_xkey", BigInteger, nullable=False),
    Column("after_position", BigInteger, nullable=False),
    Column("until_xkey", BigInteger, nullable=False),
    Column("until_position", BigInteger, nullable=False),
    Column("first_xkey", BigInteger, nullable=False),
    Column("first_position", BigInteger, nullable=False),
    Column("last_xkey", BigInteger, nullable=False),
    Column("last_position", BigInteger, nullable=False),
    Column("entries", Integer, nullable=False),
    Column("response_status", Integer, nullable=True),
    Column("last_error", Text, nullable=True),
    _now("created_at"),
    Column("last_attempt_at", DateTime(timezone=True), nullable=True),
    Column("next_attempt_at", DateTime(timezone=True), nullable=True),
    Column("delivered_at", DateTime(timezone=True), nullable=True),
    CheckConstraint("status IN ('pending', 'succeeded', 'failed')", name="status"),
    Index("ix_webhook_deliveries_log", "subscription_id", "created_at", "id"),
    Index(
        "ix_webhook_deliveries_pending",
        "subscription_id",
        unique=True,
        postgresql_where=text("status = 'pending'"),
    ),
)
