"""The change feed (issue 14): every create, update, move, end and deletion of a unit, member, plan or task, in an
order a follower can page through without ever skipping a change that commits late.

Triggers, not application code, record what changed, so that no write path (a request, a bulk COPY, a subtree
move that rewrites thousands of members' paths) can forget it:

- statement-level triggers with transition tables mark the records a statement touched (`change_dirty`, one
  INSERT … SELECT per statement, whatever its size) and the transaction (`change_tx`, one row);
- at commit, a deferred trigger on `change_tx` compares each touched record's state (version, path in the tree,
  alive) with the last state the feed gave for it, and appends one `changes` row per record that differs: what a
  follower needs, once per transaction, however many statements touched the record.

A session that sets `coso.changes = 'off'` writes without recording (the benchmarks' national loaders, whose
millions of rows no follower reads); nothing in the service sets it.

Order and the hold-back: a change's position is (`xkey`, `position`). `xkey` is the writing transaction's id, raised
to the entity's previous `xkey` when that is higher (so one record's changes keep their order); the feed serves
only rows whose `xkey` lies below the oldest transaction still running (`pg_snapshot_xmin`). Every transaction
that has not committed yet has an id at or above that horizon, so nothing can later appear below a position
already served (ARCHITECTURE.md, "The change feed").

Revision ID: 0021
Revises: 0020
Create Date: 2026-12-08
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0021"
down_revision: str | None = "0020"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

ENDED_STATUSES = "('transferred_out', 'expelled', 'struck_off', 'resigned', 'deceased')"

# What a record looks like to the feed now: (entity, entity_id, present, version, path, alive), for the touched ones.
STATE = f"""
    SELECT t.entity, t.entity_id, m.id IS NOT NULL AS present, m.version, m.org_path AS path,
           coalesce(m.status NOT IN {ENDED_STATUSES}, false) AS alive
    FROM taken t LEFT JOIN members m ON m.id = t.entity_id WHERE t.entity = 'member'
    UNION ALL
    SELECT t.entity, t.entity_id, o.id IS NOT NULL, o.version, p.path, coalesce(o.valid_to IS NULL, false)
    FROM taken t LEFT JOIN organizations o ON o.id = t.entity_id
    LEFT JOIN organization_placements p ON p.organization_id = o.id AND p.latest
    WHERE t.entity = 'organization'
    UNION ALL
    SELECT t.entity, t.entity_id, pl.id IS NOT NULL, pl.version, p.path, pl.id IS NOT NULL
    FROM taken t LEFT JOIN plans pl ON pl.id = t.entity_id
    LEFT JOIN organization_placements p ON p.organization_id = pl.organization_id AND p.latest
    WHERE t.entity = 'plan'
    UNION ALL
    SELECT t.entity, t.entity_id, tk.id IS NOT NULL, tk.version, p.path, tk.id IS NOT NULL
    FROM taken t LEFT JOIN tasks tk ON tk.id = t.entity_id LEFT JOIN plans pl ON pl.id = tk.plan_id
    LEFT JOIN organization_placements p ON p.organization_id = pl.organization_id AND p.latest
    WHERE t.entity = 'task'
"""  # noqa: S608 - DDL from constants frozen in this migration

FLUSH = f"""
CREATE FUNCTION coso_changes_flush() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
    me bigint := pg_current_xact_id()::text::bigint;
BEGIN
    DELETE FROM change_tx WHERE txid = me;
    WITH taken AS (
        DELETE FROM change_dirty WHERE txid = me RETURNING entity, entity_id
    ), now_state AS ({STATE}
    ), compared AS (
        SELECT n.*, l.xkey AS last_key, l.version AS last_version, l.path_after AS last_path,
               coalesce(l.alive, false) AS last_alive, l.position IS NOT NULL AS seen, l.change AS last_change
        FROM now_state n LEFT JOIN LATERAL (
            SELECT c.xkey, c.version, c.path_after, c.alive, c.position, c.change FROM changes c
            WHERE c.entity = n.entity AND c.entity_id = n.entity_id
            ORDER BY c.xkey DESC, c.position DESC LIMIT 1
        ) l ON true
    )
    INSERT INTO changes (xkey, entity, entity_id, change, version, path_before, path_after, alive_before, alive)
    SELECT greatest(me, coalesce(last_key, 0)), entity, entity_id,
           CASE WHEN NOT present THEN 'deleted'
                WHEN NOT seen THEN 'created'
                WHEN last_alive AND NOT alive THEN 'ended'
                WHEN alive AND NOT last_alive THEN 'created'
                WHEN path IS DISTINCT FROM last_path THEN 'moved'
                ELSE 'updated' END,
           version, last_path, CASE WHEN present THEN path END, last_alive, present AND alive
    FROM compared
    WHERE CASE WHEN NOT present THEN seen AND last_change <> 'deleted'
               WHEN NOT seen THEN true
               ELSE version IS DISTINCT FROM last_version OR path IS DISTINCT FROM last_path
                    OR alive IS DISTINCT FROM last_alive END
    ORDER BY entity, entity_id;
    PERFORM pg_notify('coso_changes', '');
    RETURN NULL;
END
$$
"""  # noqa: S608 - DDL from constants frozen in this migration

# (table, entity, the id column, what else a change of the table touches)
WATCHED = (
    ("members", "member", "id"),
    ("organizations", "organization", "id"),
    ("organization_placements", "organization", "organization_id"),
    ("plans", "plan", "id"),
    ("tasks", "task", "id"),
)

# A unit's placement decides where its plans and their tasks are: they follow it in the feed.
FOLLOWERS = """
    INSERT INTO change_dirty (entity, entity_id)
    SELECT DISTINCT 'plan', pl.id FROM plans pl WHERE pl.organization_id IN (SELECT organization_id FROM {rows})
    UNION
    SELECT DISTINCT 'task', tk.id FROM tasks tk JOIN plans pl ON pl.id = tk.plan_id
    WHERE pl.organization_id IN (SELECT organization_id FROM {rows})
    ON CONFLICT DO NOTHING;
"""


def _mark(table: str, entity: str, column: str, op_name: str) -> str:
    rows = "old_rows" if op_name == "DELETE" else "new_rows"
    follow = FOLLOWERS.format(rows=rows) if table == "organization_placements" else ""
    return f"""
CREATE FUNCTION coso_changes_mark_{table}_{op_name.lower()}() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF current_setting('coso.changes', true) = 'off' THEN
        RETURN NULL;
    END IF;
    INSERT INTO change_dirty (entity, entity_id) SELECT DISTINCT '{entity}', {column} FROM {rows}
    ON CONFLICT DO NOTHING;
    {follow}
    INSERT INTO change_tx DEFAULT VALUES ON CONFLICT DO NOTHING;
    RETURN NULL;
END
$$
"""  # noqa: S608 - DDL from constants frozen in this migration


def upgrade() -> None:
    op.execute(
        """CREATE TABLE changes (
            position bigint GENERATED ALWAYS AS IDENTITY,
            xkey bigint NOT NULL,
            entity text NOT NULL,
            entity_id uuid NOT NULL,
            change text NOT NULL,
            version integer,
            path_before text COLLATE "C",
            path_after text COLLATE "C",
            alive_before boolean NOT NULL,
            alive boolean NOT NULL,
            changed_at timestamptz NOT NULL DEFAULT now(),
            CONSTRAINT pk_changes PRIMARY KEY (position),
            CONSTRAINT ck_changes_entity CHECK (entity IN ('organization', 'member', 'plan', 'task')),
            CONSTRAINT ck_changes_change CHECK (change IN ('created', 'updated', 'moved', 'ended', 'deleted'))
        )"""
    )
    op.execute("CREATE UNIQUE INDEX ix_changes_order ON changes (xkey, position)")
    op.execute("CREATE INDEX ix_changes_entity ON changes (entity, entity_id, xkey, position)")
    op.execute(
        """CREATE TABLE change_dirty (
            txid bigint NOT NULL DEFAULT pg_current_xact_id()::text::bigint,
            entity text NOT NULL,
            entity_id uuid NOT NULL,
            CONSTRAINT pk_change_dirty PRIMARY KEY (txid, entity, entity_id)
        )"""
    )
    op.execute(
        """CREATE TABLE change_tx (
            txid bigint NOT NULL DEFAULT pg_current_xact_id()::text::bigint,
            CONSTRAINT pk_change_tx PRIMARY KEY (txid)
        )"""
    )
    op.execute(FLUSH)
    op.execute("""CREATE CONSTRAINT TRIGGER changes_flush AFTER INSERT ON change_tx
                  DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION coso_changes_flush()""")
    for table, entity, column in WATCHED:
        for op_name in ("INSERT", "UPDATE", "DELETE"):
            rows = "OLD TABLE AS old_rows" if op_name == "DELETE" else "NEW TABLE AS new_rows"
            op.execute(_mark(table, entity, column, op_name))
            op.execute(
                f"CREATE TRIGGER changes_mark_{op_name.lower()} AFTER {op_name} ON {table} "
                f"REFERENCING {rows} FOR EACH STATEMENT "
                f"EXECUTE FUNCTION coso_changes_mark_{table}_{op_name.lower()}()"
            )
    # What exists now is where a new follower starts: one `created` per record, in one transaction.
    op.execute("INSERT INTO change_dirty (entity, entity_id) SELECT 'organization', id FROM organizations")
    op.execute("INSERT INTO change_dirty (entity, entity_id) SELECT 'member', id FROM members")
    op.execute("INSERT INTO change_dirty (entity, entity_id) SELECT 'plan', id FROM plans")
    op.execute("INSERT INTO change_dirty (entity, entity_id) SELECT 'task', id FROM tasks")
    op.execute("INSERT INTO change_tx DEFAULT VALUES")


def downgrade() -> None:
    for table, _, _ in WATCHED:
        for op_name in ("INSERT", "UPDATE", "DELETE"):
            op.execute(f"DROP TRIGGER changes_mark_{op_name.lower()} ON {table}")
            op.execute(f"DROP FUNCTION coso_changes_mark_{table}_{op_name.lower()}()")
    op.execute("DROP TABLE change_tx")
    op.execute("DROP FUNCTION coso_changes_flush()")
    op.execute("DROP TABLE change_dirty")
    op.execute("DROP TABLE changes")
