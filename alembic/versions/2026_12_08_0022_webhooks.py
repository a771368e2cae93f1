"""Webhooks (issue 14): subscriptions to the change feed, delivered by the job worker through pgqueuer's queue, and
the log of their deliveries. A subscription keeps the scope and pii of the key that created it, the feed position
delivered up to, and its failures; a delivery is one batch of the feed (after → until), retried until it succeeds
(ARCHITECTURE.md, "Webhooks").

Revision ID: 0022
Revises: 0021
Create Date: 2026-12-08
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0022"
down_revision: str | None = "0021"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.execute(
        """CREATE TABLE webhook_subscriptions (
            id uuid DEFAULT gen_random_uuid() NOT NULL,
            url text NOT NULL,
            entities text[] NOT NULL,
            description text,
            secret text NOT NULL,
            created_by text NOT NULL,
            created_by_kind text NOT NULL,
            scopes uuid[] NOT NULL,
            pii boolean NOT NULL,
            status text DEFAULT 'active' NOT NULL,
            paused_reason text,
            cursor_xkey bigint NOT NULL,
            cursor_position bigint NOT NULL,
            consecutive_failures integer DEFAULT 0 NOT NULL,
            failing_since timestamp with time zone,
            next_attempt_at timestamp with time zone,
            last_success_at timestamp with time zone,
            last_failure_at timestamp with time zone,
            last_error text,
            version integer DEFAULT 1 NOT NULL,
            created_at timestamp with time zone DEFAULT now() NOT NULL,
            updated_at timestamp with time zone DEFAULT now() NOT NULL,
            CONSTRAINT pk_webhook_subscriptions PRIMARY KEY (id),
            CONSTRAINT ck_webhook_subscriptions_status CHECK (status IN ('active', 'paused')),
            CONSTRAINT ck_webhook_subscriptions_created_by_kind CHECK (created_by_kind IN ('key', 'jwt', 'system'))
        )"""
    )
    op.execute("CREATE INDEX ix_webhook_subscriptions_created_by ON webhook_subscriptions (created_by, created_at, id)")
    op.execute("CREATE INDEX ix_webhook_subscriptions_created_at ON webhook_subscriptions (created_at, id)")
    op.execute(
        """CREATE TABLE webhook_deliveries (
            id uuid DEFAULT gen_random_uuid() NOT NULL,
            subscription_id uuid NOT NULL,
            status text DEFAULT 'pending' NOT NULL,
            attempts integer DEFAULT 0 NOT NULL,
            after_xkey bigint NOT NULL,
            after_position bigint NOT NULL,
            until_xkey bigint NOT NULL,
            until_position bigint NOT NULL,
            first_xkey bigint NOT NULL,
            first_position bigint NOT NULL,
            last_xkey bigint NOT NULL,
            last_position bigint NOT NULL,
            entries integer NOT NULL,
            response_status integer,
            last_error text,
            created_at timestamp with time zone DEFAULT now() NOT NULL,
            last_attempt_at timestamp with time zone,
            next_attempt_at timestamp with time zone,
            delivered_at timestamp with time zone,
            CONSTRAINT pk_webhook_deliveries PRIMARY KEY (id),
            CONSTRAINT fk_webhook_deliveries_subscription_id_webhook_subscriptions FOREIGN KEY (subscription_id)
                REFERENCES webhook_subscriptions (id) ON DELETE CASCADE,
            CONSTRAINT ck_webhook_deliveries_status CHECK (status IN ('pending', 'succeeded', 'failed'))
        )"""
    )
    op.execute("CREATE INDEX ix_webhook_deliveries_log ON webhook_deliveries (subscription_id, created_at, id)")
    # One batch in flight per subscription: it is retried until it succeeds, and nothing after it is sent before.
    op.execute(
        "CREATE UNIQUE INDEX ix_webhook_deliveries_pending ON webhook_deliveries (subscription_id) "
        "WHERE status = 'pending'"
    )


def downgrade() -> None:
    op.execute("DROP TABLE webhook_deliveries")
    op.execute("DROP TABLE webhook_subscriptions")
