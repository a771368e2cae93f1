"""A secret shared by every process (cursor signatures, digests in the audit log); audit entries that cross units
name their other end; sensitive personal values leave the audit log.

The audit log is append-only and kept for ever, so it must not hold copies of citizen IDs, phones, residences,
ethnicities or religions (Law 91/2025/QH15: such data is kept where it is needed and erased when it is no longer;
a copy in a log that refuses deletion could never be). From now on the service writes a keyed digest in their
place; this migration replaces the values already logged the same way, recording that it did so.

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-07
"""

import secrets
from collections.abc import Sequence

import sqlalchemy as sa

from alembic import op

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Frozen here; app/domain/audit/service.py holds the same list.
SENSITIVE = ("residence", "ethnicity", "religion", "citizen_id", "phone")

# The value of each of `fields` (a string) becomes 'redacted:' and the first 16 hex digits of
# sha256(secret || field || ':' || value): equal values give equal digests, and without the secret no value can be
# found from its digest. What the service writes in the audit log from now on, and what this migration rewrites.
REDACT = """
CREATE FUNCTION coso_audit_redact(doc jsonb, fields text[]) RETURNS jsonb
LANGUAGE plpgsql STABLE AS $$
DECLARE
    secret bytea;
BEGIN
    IF jsonb_typeof(doc) IS DISTINCT FROM 'object' THEN
        RETURN doc;
    END IF;
    SELECT value INTO secret FROM service_secrets WHERE name = 'main';
    IF secret IS NULL THEN  -- never store a value, never lose the entry: refuse the write
        RAISE EXCEPTION 'service_secrets has no main secret: the audit log cannot digest sensitive values';
    END IF;
    RETURN (SELECT coalesce(jsonb_object_agg(e.k, CASE
        WHEN e.k = ANY(fields) AND jsonb_typeof(e.v) = 'string' AND left(e.v #>> '{}', 9) <> 'redacted:'
        THEN to_jsonb('redacted:' || left(encode(sha256(secret || convert_to(e.k || ':' || (e.v #>> '{}'), 'UTF8')),
                                                 'hex'), 16))
        ELSE e.v END), '{}'::jsonb) FROM jsonb_each(doc) AS e(k, v));
END
$$
"""


def upgrade() -> None:
    op.create_table(
        "service_secrets",
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("value", sa.LargeBinary(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.PrimaryKeyConstraint("name", name=op.f("pk_service_secrets")),
    )
    bind = op.get_bind()
    bind.execute(
        sa.text("INSERT INTO service_secrets (name, value) VALUES ('main', :value)"), {"value": secrets.token_bytes(32)}
    )
    op.add_column("audit_log", sa.Column("related_organization_id", sa.UUID(), nullable=True))

    op.execute(REDACT)
    op.execute("ALTER TABLE audit_log DISABLE TRIGGER audit_log_append_only")
    redacted = bind.execute(
        sa.text(f"""
        UPDATE audit_log SET before = coso_audit_redact(before, ARRAY{list(SENSITIVE)}::text[]),
                             after = coso_audit_redact(after, ARRAY{list(SENSITIVE)}::text[])
        WHERE entity = 'member'
          AND (before ?| ARRAY{list(SENSITIVE)}::text[] OR after ?| ARRAY{list(SENSITIVE)}::text[])""")  # noqa: S608 - DDL from constants frozen in this migration
    ).rowcount
    op.execute("ALTER TABLE audit_log ENABLE TRIGGER audit_log_append_only")
    if redacted:
        bind.execute(
            sa.text("""
            INSERT INTO audit_log (actor_kind, actor_id, actor_name, action, entity, after)
            VALUES ('system', 'migration', 'coso migrate (0010)', 'redact_sensitive', 'audit_log',
                    jsonb_build_object('entries', CAST(:n AS int), 'fields', CAST(:fields AS text[])))"""),
            {"n": redacted, "fields": list(SENSITIVE)},
        )


def downgrade() -> None:
    # The values replaced by digests cannot come back.
    op.execute("DROP FUNCTION coso_audit_redact(jsonb, text[])")
    op.drop_column("audit_log", "related_organization_id")
    op.drop_table("service_secrets")
