"""Indicator figures kept exact and fresh: each unit's own facts per quarter, and their sums for every unit above
it, in the tree of the period and in today's tree (docs/indicators.md).

Every write that can change a figure marks its units dirty (row triggers); at commit a deferred trigger
recomputes those units' own facts set-based, and adds the difference to the sums of the units above them.
`SET coso.indicators = 'off'` silences the triggers (bulk loaders), `SELECT coso_indicators_rebuild()` then
recomputes everything.

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-24
"""

from collections.abc import Sequence

import sqlalchemy as sa

from alembic import op

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Frozen here (a migration never changes); app/db/indicators/queries.py holds the same list.
MEASURES = (
    "members",
    "admissions",
    "exits",
    "members_rated",
    "members_rated_good",
    "grassroots",
    "grassroots_rated",
    "grassroots_rated_good",
    "inspected_quarter",
    "inspected_year",
    "subordinate_cells",
    "subordinate_cells_regulated",
    "village_cells",
    "village_cells_committee",
    "village_cells_head_member",
    "village_cells_secretary_head",
)
FIRST_YEAR, LAST_YEAR = 2020, 2027
CELL_COMMITTEE_MIN_POSITIONS = 3  # the default of COSO_CELL_COMMITTEE_MIN_POSITIONS

_COLUMNS = ", ".join(MEASURES)
_ZERO = {m: "0" for m in MEASURES}


def _source(org: str, quarter: str, values: dict[str, str], body: str) -> str:
    """One branch of the UNION ALL: (org, quarter, the sixteen measures) with `values` set, zeros elsewhere."""
    cells = ", ".join(f"{values.get(m, '0')} AS {m}" for m in MEASURES)
    return f"SELECT {org} AS organization_id, {quarter} AS quarter, {cells} {body}"


_IN_MEMBERSHIP = "('probationary', 'official')"
_VALID_ON_END = "{a}.valid_from <= q.ends AND ({a}.valid_to IS NULL OR {a}.valid_to > q.ends)"
_GOOD = "('excellent', 'good')"
_GRASSROOTS = "('grassroots_committee', 'grassroots_cell')"
_CELLS = "('grassroots_cell', 'subordinate_cell')"
_HEADS = "('village_head', 'residential_group_head')"

# The own facts of the units in `ids` (uuid[]), one row per unit and quarter of the window with a fact.
_SOURCES = [
    _source(
        "mp.organization_id",
        "q.quarter",
        {"members": "1"},
        f"""
        FROM member_periods mp JOIN indicator_quarters q ON {_VALID_ON_END.format(a="mp")}
        WHERE mp.organization_id = ANY(@IDS@) AND mp.status IN {_IN_MEMBERSHIP}""",
    ),
    _source(
        "mp.organization_id",
        "q.quarter",
        {"admissions": "1"},
        """
        FROM member_periods mp JOIN indicator_quarters q ON mp.valid_from BETWEEN q.starts AND q.ends
        WHERE mp.organization_id = ANY(@IDS@) AND mp.status = 'probationary'
          AND NOT EXISTS (SELECT 1 FROM member_periods prev WHERE prev.member_id = mp.member_id
                          AND prev.valid_to = mp.valid_from AND prev.status = 'probationary')""",
    ),
    _source(
        "mp.organization_id",
        "q.quarter",
        {"exits": "1"},
        """
        FROM member_periods mp JOIN indicator_quarters q ON mp.valid_from BETWEEN q.starts AND q.ends
        WHERE mp.organization_id = ANY(@IDS@) AND mp.status IN ('struck_off', 'resigned')""",
    ),
    _source(
        "r.organization_id",
        "substr(r.period, 1, 4)::int * 4 + 3",
        {"members_rated": "1", "members_rated_good": f"(r.rating IN {_GOOD})::int"},
        """
        FROM ratings r WHERE r.organization_id = ANY(@IDS@) AND r.member_id IS NOT NULL
          AND r.rating IS NOT NULL AND length(r.period) = 4""",
    ),
    _source(
        "r.organization_id",
        "substr(r.period, 1, 4)::int * 4 + 3",
        {"grassroots_rated": "1", "grassroots_rated_good": f"(r.rating IN {_GOOD})::int"},
        f"""
        FROM ratings r JOIN organizations o ON o.id = r.organization_id
        WHERE r.organization_id = ANY(@IDS@) AND r.member_id IS NULL AND r.rating IS NOT NULL
          AND length(r.period) = 4 AND o.kind IN {_GRASSROOTS}""",
    ),
    _source(
        "i.organization_id",
        "i.quarter",
        {"inspected_quarter": "1"},
        f"""
        FROM (SELECT DISTINCT i.organization_id, q.quarter FROM inspections i
              JOIN indicator_quarters q ON i.inspected_on BETWEEN q.starts AND q.ends
              JOIN organizations o ON o.id = i.organization_id
              WHERE i.organization_id = ANY(@IDS@) AND o.kind IN {_GRASSROOTS}) i""",  # noqa: S608 - DDL from constants frozen in this migration
    ),
    _source(
        "i.organization_id",
        "i.year * 4 + 3",
        {"inspected_year": "1"},
        f"""
        FROM (SELECT DISTINCT i.organization_id, i.year FROM inspections i
              JOIN organizations o ON o.id = i.organization_id
              WHERE i.organization_id = ANY(@IDS@) AND o.kind IN {_GRASSROOTS}) i""",  # noqa: S608 - DDL from constants frozen in this migration
    ),
    _source(
        "o.id",
        "q.quarter",
        {
            "grassroots": f"(o.kind IN {_GRASSROOTS})::int",
            "subordinate_cells": "(o.kind = 'subordinate_cell')::int",
            "subordinate_cells_regulated": """(o.kind = 'subordinate_cell' AND EXISTS (
            SELECT 1 FROM working_regulations w WHERE w.organization_id = o.id AND w.issued_on <= q.ends))::int""",
            "village_cells": "v.village::int",
            "village_cells_committee": f"""(v.village AND EXISTS (
            SELECT 1 FROM party_positions pp WHERE pp.organization_id = o.id AND {_VALID_ON_END.format(a="pp")}
            HAVING count(*) >= {CELL_COMMITTEE_MIN_POSITIONS} AND bool_or(pp.position = 'secretary')))::int""",  # noqa: S608 - DDL from constants frozen in this migration
            "village_cells_head_member": f"""(v.village AND EXISTS (
            SELECT 1 FROM public_posts pu WHERE pu.organization_id = o.id AND pu.post IN {_HEADS}
              AND {_VALID_ON_END.format(a="pu")}))::int""",  # noqa: S608 - DDL from constants frozen in this migration
            "village_cells_secretary_head": f"""(v.village AND EXISTS (
            SELECT 1 FROM party_positions pp JOIN public_posts pu ON pu.member_id = pp.member_id
            WHERE pp.organization_id = o.id AND pp.position = 'secretary' AND {_VALID_ON_END.format(a="pp")}
              AND pu.organization_id = o.id AND pu.post IN {_HEADS} AND {_VALID_ON_END.format(a="pu")}))::int""",  # noqa: S608 - DDL from constants frozen in this migration
        },
        f"""
        FROM organizations o JOIN indicator_quarters q ON {_VALID_ON_END.format(a="o")}
        CROSS JOIN LATERAL (SELECT o.kind IN {_CELLS} AND coalesce(o.category IN ('village', 'residential_group'), false)
                            AS village) v
        WHERE o.id = ANY(@IDS@) AND (o.kind IN {_GRASSROOTS} OR o.kind = 'subordinate_cell' OR v.village)""",
    ),
]


def _quarter_of(day: str) -> str:
    return f"(date_part('year', {day})::int * 4 + (date_part('month', {day})::int - 1) / 3)"


# The member stock of every unit at once (the rebuild): +1 in the quarter a period starts, -1 in the quarter it
# ends, summed along the quarters — instead of matching every period with every quarter end it spans.
_MEMBERS_BY_DELTAS = _source(
    "g.organization_id",
    "g.quarter",
    {"members": "g.members"},
    f"""
    FROM (
        WITH w AS (SELECT min(quarter) AS lo, max(quarter) AS hi FROM indicator_quarters),
        p AS (SELECT mp.organization_id, {_quarter_of("mp.valid_from")} AS qf,
                     {_quarter_of("mp.valid_to")} AS qt
              FROM member_periods mp WHERE mp.status IN {_IN_MEMBERSHIP}),
        d AS (SELECT p.organization_id, greatest(p.qf, w.lo) AS quarter, 1 AS delta FROM p, w
              WHERE p.qf <= w.hi AND (p.qt IS NULL OR p.qt > w.lo)
              UNION ALL
              SELECT p.organization_id, p.qt, -1 FROM p, w
              WHERE p.qf <= w.hi AND p.qt > w.lo AND p.qt <= w.hi),
        s AS (SELECT organization_id, quarter, sum(delta) AS delta FROM d GROUP BY organization_id, quarter)
        SELECT u.organization_id, q.quarter,
               sum(coalesce(s.delta, 0)) OVER (PARTITION BY u.organization_id ORDER BY q.quarter)::int AS members
        FROM (SELECT DISTINCT organization_id FROM s) u CROSS JOIN indicator_quarters q
        LEFT JOIN s ON s.organization_id = u.organization_id AND s.quarter = q.quarter
    ) g""",  # noqa: S608 - DDL from constants frozen in this migration
)

_SUMS = ", ".join(f"sum({m})::int AS {m}" for m in MEASURES)
_NONZERO = " OR ".join(f"{m} <> 0" for m in MEASURES)

# A write's few units: each looked up by its key (OFFSET 0 keeps the planner from hashing every organisation).
_ORG_JOIN = """CROSS JOIN LATERAL (SELECT o.id, o.valid_to FROM organizations o WHERE o.id = f.organization_id
                                   OFFSET 0) o"""


def _own_facts(ids: str | None) -> str:
    """The own facts of the units in `ids` (an SQL uuid[] expression; None: every unit), one row per unit and
    quarter of the window with a fact, with where they count (docs/indicators.md)."""
    sources = " UNION ALL ".join(_SOURCES if ids else [_MEMBERS_BY_DELTAS, *_SOURCES[1:]])
    sources = sources.replace("= ANY(@IDS@)", f"= ANY({ids})" if ids else "IS NOT NULL")
    return f"""
    WITH facts AS (
        SELECT f.organization_id, f.quarter, {_SUMS}
        FROM ({sources}) f
        GROUP BY f.organization_id, f.quarter
        HAVING {" OR ".join(f"sum({m}) <> 0" for m in MEASURES)}
    ), anchors AS (
        SELECT u.id, coso_path_nodes(lp.path) AS nodes
        FROM (SELECT DISTINCT organization_id AS id FROM facts) u
        CROSS JOIN LATERAL (SELECT coso_indicator_anchor(u.id) AS id) a
        JOIN LATERAL (SELECT cp.path FROM organization_placements cp WHERE cp.organization_id = a.id
                      ORDER BY (cp.valid_from <= CURRENT_DATE AND (cp.valid_to IS NULL OR cp.valid_to > CURRENT_DATE))
                               DESC, cp.latest DESC LIMIT 1) lp ON true
    )
    SELECT f.organization_id, f.quarter, coso_path_nodes(p.path), a.nodes, {", ".join("f." + m for m in MEASURES)}
    FROM facts f
    {_ORG_JOIN if ids else "JOIN organizations o ON o.id = f.organization_id"}
    JOIN indicator_quarters q ON q.quarter = f.quarter
    CROSS JOIN LATERAL (SELECT CASE WHEN o.valid_to IS NOT NULL AND o.valid_to <= q.ends
                                    THEN o.valid_to - 1 ELSE q.ends END AS ref) r
    -- Facts dated before the unit was placed (members registered with an older admission date) count nowhere
    -- in the tree of their period, and under the unit's anchor today.
    LEFT JOIN organization_placements p ON p.organization_id = o.id AND p.valid_from <= r.ref
         AND (p.valid_to IS NULL OR p.valid_to > r.ref)
    LEFT JOIN anchors a ON a.id = f.organization_id
    WHERE p.path IS NOT NULL OR a.nodes IS NOT NULL"""  # noqa: S608 - DDL from constants frozen in this migration


OWN_FACTS = f"""
CREATE FUNCTION coso_indicator_own_facts(ids uuid[])
RETURNS TABLE (organization_id uuid, quarter int, period_nodes bigint[], current_nodes bigint[],
               {", ".join(f"{m} int" for m in MEASURES)})
LANGUAGE sql STABLE AS $$ {_own_facts("ids")} $$
"""

# The unit whose place in today's tree a unit's history counts under (docs/indicators.md).
ANCHOR = """
CREATE FUNCTION coso_indicator_anchor(unit uuid) RETURNS uuid
LANGUAGE plpgsql STABLE AS $$
DECLARE
    alive boolean;
    next_unit uuid;
BEGIN
    FOR step IN 1..64 LOOP
        SELECT o.valid_from <= CURRENT_DATE AND (o.valid_to IS NULL OR o.valid_to > CURRENT_DATE) INTO alive
        FROM organizations o WHERE o.id = unit;
        IF alive IS NULL OR alive THEN
            RETURN unit;
        END IF;
        SELECT t.organization_id INTO next_unit
        FROM lineage_links s JOIN lineage_events e ON e.id = s.event_id AND e.action = 'merge'
        JOIN lineage_links t ON t.event_id = s.event_id AND t.role = 'target'
        WHERE s.organization_id = unit AND s.role = 'source' AND e.effective_date <= CURRENT_DATE
        ORDER BY e.effective_date DESC LIMIT 1;
        IF next_unit IS NULL THEN
            SELECT p.parent_id INTO next_unit FROM organization_placements p
            WHERE p.organization_id = unit AND p.valid_from <= CURRENT_DATE ORDER BY p.valid_from DESC LIMIT 1;
        END IF;
        IF next_unit IS NULL OR next_unit = unit THEN
            RETURN unit;
        END IF;
        unit := next_unit;
    END LOOP;
    RETURN unit;
END
$$
"""

# Today's tree changes without a write when a change recorded ahead of its date takes effect: the service calls
# this (at start and every few minutes); it refreshes the units whose structure changed since the last call.
ADVANCE = """
CREATE FUNCTION coso_indicators_advance() RETURNS integer
LANGUAGE plpgsql AS $$
DECLARE
    since date;
    touched uuid[];
BEGIN
    SELECT day INTO since FROM indicator_clock FOR UPDATE;
    IF since IS NULL THEN
        INSERT INTO indicator_clock (day) VALUES (CURRENT_DATE);
        RETURN 0;
    END IF;
    IF since >= CURRENT_DATE THEN
        RETURN 0;
    END IF;
    touched := ARRAY(
        SELECT id FROM organizations WHERE valid_from > since AND valid_from <= CURRENT_DATE
           OR valid_to > since AND valid_to <= CURRENT_DATE
        UNION SELECT organization_id FROM organization_placements
        WHERE valid_from > since AND valid_from <= CURRENT_DATE OR valid_to > since AND valid_to <= CURRENT_DATE
        UNION SELECT l.organization_id FROM lineage_links l JOIN lineage_events e ON e.id = l.event_id
        WHERE e.effective_date > since AND e.effective_date <= CURRENT_DATE);
    PERFORM coso_indicator_mark(t, true) FROM unnest(touched) t;
    PERFORM coso_indicators_refresh(ARRAY(
        SELECT organization_id FROM indicator_dirty WHERE txid = pg_current_xact_id()::text));
    DELETE FROM indicator_dirty WHERE txid = pg_current_xact_id()::text;
    UPDATE indicator_clock SET day = CURRENT_DATE;
    RETURN cardinality(touched);
END
$$
"""

PATH_NODES = """
CREATE FUNCTION coso_path_nodes(path text) RETURNS bigint[]
LANGUAGE sql IMMUTABLE PARALLEL SAFE STRICT
RETURN ARRAY(SELECT ('x' || lpad(substr(s, 2), 16, '0'))::bit(64)::bigint
             FROM unnest(string_to_array(btrim(path, '/'), '/')) WITH ORDINALITY AS t(s, n) ORDER BY n)
"""


def _signed(sign: str) -> str:
    return ", ".join(f"{sign}{m} AS {m}" for m in MEASURES)


# The difference between the stored own facts of `ids` and their facts now, added to the sums above them.
REFRESH = f"""
CREATE FUNCTION coso_indicators_refresh(ids uuid[]) RETURNS void
LANGUAGE plpgsql
-- A write touches a unit or two: one plan for any of them, not one planned afresh at each of its first writes.
SET plan_cache_mode = force_generic_plan AS $$
BEGIN
    IF to_regclass('pg_temp.coso_indicator_fresh') IS NULL THEN
        CREATE TEMP TABLE coso_indicator_fresh (LIKE indicator_own, PRIMARY KEY (organization_id, quarter));
    END IF;
    DELETE FROM coso_indicator_fresh;
    INSERT INTO coso_indicator_fresh SELECT * FROM coso_indicator_own_facts(ids);
    WITH gone AS (
        SELECT o.* FROM indicator_own o WHERE o.organization_id = ANY(ids)
        AND NOT EXISTS (SELECT 1 FROM coso_indicator_fresh f WHERE f.organization_id = o.organization_id
                        AND f.quarter = o.quarter AND (f.*)::text = (o.*)::text)
    ), came AS (
        SELECT f.* FROM coso_indicator_fresh f
        WHERE NOT EXISTS (SELECT 1 FROM indicator_own o WHERE o.organization_id = ANY(ids)
                          AND o.organization_id = f.organization_id
                          AND o.quarter = f.quarter AND (f.*)::text = (o.*)::text)
    ), delta AS (
        SELECT period_nodes, current_nodes, quarter, {_signed("-")} FROM gone
        UNION ALL SELECT period_nodes, current_nodes, quarter, {_COLUMNS} FROM came
    ), spread AS (
        SELECT 0::smallint AS structure, n AS node, quarter, {_COLUMNS} FROM delta, unnest(period_nodes) n
        UNION ALL
        SELECT 1::smallint, n, quarter, {_COLUMNS} FROM delta, unnest(current_nodes) n
    ), summed AS (
        SELECT structure, node, quarter, {_SUMS} FROM spread GROUP BY structure, node, quarter
    )
    INSERT INTO indicator_rollup (structure, node, quarter, {_COLUMNS})
    SELECT structure, node, quarter, {_COLUMNS} FROM summed WHERE {_NONZERO}
    ORDER BY structure, node, quarter
    ON CONFLICT (structure, node, quarter) DO UPDATE SET
        {", ".join(f"{m} = indicator_rollup.{m} + excluded.{m}" for m in MEASURES)};
    DELETE FROM indicator_own o WHERE o.organization_id = ANY(ids)
        AND NOT EXISTS (SELECT 1 FROM coso_indicator_fresh f WHERE f.organization_id = o.organization_id
                        AND f.quarter = o.quarter AND (f.*)::text = (o.*)::text);
    INSERT INTO indicator_own SELECT f.* FROM coso_indicator_fresh f
        WHERE NOT EXISTS (SELECT 1 FROM indicator_own o WHERE o.organization_id = ANY(ids)
                          AND o.organization_id = f.organization_id AND o.quarter = f.quarter);
    DELETE FROM coso_indicator_fresh;
    DELETE FROM indicator_anchors WHERE organization_id = ANY(ids);
    INSERT INTO indicator_anchors (organization_id, anchor_id)
    SELECT u, a FROM unnest(ids) u, coso_indicator_anchor(u) a WHERE a <> u;
END
$$
"""  # noqa: S608 - DDL from constants frozen in this migration


def _rollup_from_own(structure: int, nodes: str) -> str:
    """The sums of every unit's own rows over the nodes they count for: each row for its last node, and the rows
    sharing a chain above it summed first (cells far outnumber the units above them)."""
    return f"""
        SELECT {structure}::smallint AS structure, {nodes}[cardinality({nodes})] AS node, quarter, {_COLUMNS}
        FROM indicator_own WHERE {nodes} IS NOT NULL
        UNION ALL
        SELECT {structure}::smallint, n, quarter, {_COLUMNS}
        FROM (SELECT {nodes}[1:cardinality({nodes}) - 1] AS chain, quarter, {_SUMS} FROM indicator_own
              WHERE cardinality({nodes}) > 1 GROUP BY 1, 2) g, unnest(g.chain) n"""  # noqa: S608 - DDL from constants frozen in this migration


REBUILD = f"""
CREATE FUNCTION coso_indicators_rebuild() RETURNS void
LANGUAGE plpgsql AS $$
BEGIN
    SET LOCAL work_mem = '512MB';
    SET LOCAL maintenance_work_mem = '512MB';
    TRUNCATE indicator_own, indicator_rollup, indicator_anchors, indicator_clock;
    INSERT INTO indicator_clock (day) VALUES (CURRENT_DATE);
    DELETE FROM indicator_dirty;
    -- Millions of rows: the keys are built once at the end rather than row by row.
    ALTER TABLE indicator_own DROP CONSTRAINT pk_indicator_own;
    ALTER TABLE indicator_rollup DROP CONSTRAINT pk_indicator_rollup;
    INSERT INTO indicator_own {_own_facts(None)};
    ALTER TABLE indicator_own ADD CONSTRAINT pk_indicator_own PRIMARY KEY (organization_id, quarter);
    INSERT INTO indicator_anchors (organization_id, anchor_id)
    SELECT id, a FROM organizations, coso_indicator_anchor(id) a
    WHERE NOT (valid_from <= CURRENT_DATE AND (valid_to IS NULL OR valid_to > CURRENT_DATE)) AND a <> id;
    INSERT INTO indicator_rollup (structure, node, quarter, {_COLUMNS})
    SELECT structure, node, quarter, {_SUMS} FROM (
        {_rollup_from_own(0, "period_nodes")}
        UNION ALL
        {_rollup_from_own(1, "current_nodes")}
    ) s GROUP BY structure, node, quarter;
    ALTER TABLE indicator_rollup ADD CONSTRAINT pk_indicator_rollup PRIMARY KEY (structure, node, quarter);
END
$$
"""  # noqa: S608 - DDL from constants frozen in this migration

# Units whose figures a change of `unit` can touch: itself, and the dissolved units counting under it today
# (`indicator_anchors`: each one's anchor; a living unit's chain changes with its own placements).
MARK = """
CREATE FUNCTION coso_indicator_mark(unit uuid, anchored boolean) RETURNS void
LANGUAGE plpgsql AS $$
BEGIN
    IF unit IS NULL THEN
        RETURN;
    END IF;
    INSERT INTO indicator_dirty (organization_id) VALUES (unit) ON CONFLICT DO NOTHING;
    IF anchored THEN
        INSERT INTO indicator_dirty (organization_id)
        SELECT a.organization_id FROM indicator_anchors a WHERE a.anchor_id = unit
        ON CONFLICT DO NOTHING;
    END IF;
END
$$
"""

# (table, the columns naming the units a row counts in, whether units anchored under them are touched too)
WATCHED = (
    ("member_periods", ("organization_id",), False),
    ("ratings", ("organization_id",), False),
    ("inspections", ("organization_id",), False),
    ("working_regulations", ("organization_id",), False),
    ("party_positions", ("organization_id",), False),
    ("public_posts", ("organization_id",), False),
    ("organizations", ("id",), True),
    ("organization_placements", ("organization_id",), True),
    ("lineage_links", ("organization_id",), True),
)


def _mark_function(table: str, columns: tuple[str, ...], anchored: bool) -> str:
    flag = "true" if anchored else "false"
    calls = []
    for column in columns:
        calls.append(f"IF TG_OP <> 'INSERT' THEN PERFORM coso_indicator_mark(OLD.{column}, {flag}); END IF;")
        calls.append(f"IF TG_OP <> 'DELETE' THEN PERFORM coso_indicator_mark(NEW.{column}, {flag}); END IF;")
    return f"""
CREATE FUNCTION coso_indicator_mark_{table}() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF current_setting('coso.indicators', true) = 'off' THEN
        RETURN NULL;
    END IF;
    {" ".join(calls)}
    RETURN NULL;
END
$$
"""


FLUSH = """
CREATE FUNCTION coso_indicators_flush() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
    ids uuid[];
BEGIN
    WITH taken AS (DELETE FROM indicator_dirty WHERE txid = pg_current_xact_id()::text RETURNING organization_id)
    SELECT array_agg(organization_id) INTO ids FROM taken;
    IF ids IS NOT NULL THEN
        PERFORM coso_indicators_refresh(ids);
    END IF;
    RETURN NULL;
END
$$
"""


def _measure_columns() -> list[sa.Column[int]]:
    return [sa.Column(m, sa.Integer(), server_default=sa.text("0"), nullable=False) for m in MEASURES]


def upgrade() -> None:
    op.create_table(
        "indicator_quarters",
        sa.Column("quarter", sa.Integer(), nullable=False),
        sa.Column("starts", sa.Date(), nullable=False),
        sa.Column("ends", sa.Date(), nullable=False),
        sa.PrimaryKeyConstraint("quarter", name=op.f("pk_indicator_quarters")),
    )
    op.execute(f"""
        INSERT INTO indicator_quarters (quarter, starts, ends)
        SELECT y * 4 + q, make_date(y, q * 3 + 1, 1), (make_date(y, q * 3 + 1, 1) + interval '3 months')::date - 1
        FROM generate_series({FIRST_YEAR}, {LAST_YEAR}) y, generate_series(0, 3) q""")  # noqa: S608 - DDL from constants frozen in this migration
    op.create_table(
        "indicator_own",
        sa.Column("organization_id", sa.UUID(), nullable=False),
        sa.Column("quarter", sa.Integer(), nullable=False),
        sa.Column("period_nodes", sa.ARRAY(sa.BigInteger()), nullable=True),
        sa.Column("current_nodes", sa.ARRAY(sa.BigInteger()), nullable=True),
        *_measure_columns(),
        sa.PrimaryKeyConstraint("organization_id", "quarter", name=op.f("pk_indicator_own")),
    )
    op.create_table(
        "indicator_anchors",
        sa.Column("organization_id", sa.UUID(), nullable=False),
        sa.Column("anchor_id", sa.UUID(), nullable=False),
        sa.PrimaryKeyConstraint("organization_id", name=op.f("pk_indicator_anchors")),
    )
    op.create_index("ix_indicator_anchors_anchor_id", "indicator_anchors", ["anchor_id"])
    op.create_table(
        "indicator_rollup",
        sa.Column("structure", sa.SmallInteger(), nullable=False),
        sa.Column("node", sa.BigInteger(), nullable=False),
        sa.Column("quarter", sa.Integer(), nullable=False),
        *_measure_columns(),
        sa.CheckConstraint("structure IN (0, 1)", name=op.f("ck_indicator_rollup_structure")),
        sa.PrimaryKeyConstraint("structure", "node", "quarter", name=op.f("pk_indicator_rollup")),
    )
    op.create_table(
        "indicator_dirty",
        sa.Column("txid", sa.Text(), server_default=sa.text("pg_current_xact_id()::text"), nullable=False),
        sa.Column("organization_id", sa.UUID(), nullable=False),
        sa.PrimaryKeyConstraint("txid", "organization_id", name=op.f("pk_indicator_dirty")),
    )
    op.create_table(
        "indicator_clock",
        sa.Column("day", sa.Date(), nullable=False),
        sa.PrimaryKeyConstraint("day", name=op.f("pk_indicator_clock")),
    )
    op.create_table(
        "indicator_targets",
        sa.Column("id", sa.UUID(), server_default=sa.text("gen_random_uuid()"), nullable=False),
        sa.Column("indicator", sa.Text(), nullable=False),
        sa.Column("organization_id", sa.UUID(), nullable=False),
        sa.Column("year_from", sa.Integer(), nullable=False),
        sa.Column("year_to", sa.Integer(), nullable=True),
        sa.Column("comparator", sa.Text(), nullable=False),
        sa.Column("value", sa.Numeric(), nullable=False),
        sa.Column("value_high", sa.Numeric(), nullable=True),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.CheckConstraint(
            "comparator IN ('gte', 'gt', 'lte', 'lt', 'between')", name=op.f("ck_indicator_targets_comparator")
        ),
        sa.CheckConstraint(
            "(comparator = 'between') = (value_high IS NOT NULL)", name=op.f("ck_indicator_targets_between")
        ),
        sa.CheckConstraint("year_to IS NULL OR year_to >= year_from", name=op.f("ck_indicator_targets_years")),
        sa.ForeignKeyConstraint(
            ["organization_id"], ["organizations.id"], name=op.f("fk_indicator_targets_organization_id_organizations")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_indicator_targets")),
        sa.UniqueConstraint("indicator", "organization_id", "year_from", name=op.f("uq_indicator_targets_indicator")),
    )
    # A unit's member ratings (its indicator facts are recomputed from them at every write touching the unit).
    op.create_index(
        "ix_ratings_member_organization",
        "ratings",
        ["organization_id", "period"],
        postgresql_where=sa.text("member_id IS NOT NULL"),
    )
    op.execute(PATH_NODES)
    op.execute(ANCHOR)
    op.execute(OWN_FACTS)
    op.execute(REFRESH)
    op.execute(REBUILD)
    op.execute(MARK)
    op.execute(FLUSH)
    op.execute(ADVANCE)
    op.execute("INSERT INTO indicator_clock (day) VALUES (CURRENT_DATE)")
    for table, columns, anchored in WATCHED:
        op.execute(_mark_function(table, columns, anchored))
        # The WHEN spares bulk loads (coso.indicators = 'off') a function call per row.
        op.execute(f"""CREATE TRIGGER indicators_mark AFTER INSERT OR UPDATE OR DELETE ON {table}
                       FOR EACH ROW WHEN (current_setting('coso.indicators', true) IS DISTINCT FROM 'off')
                       EXECUTE FUNCTION coso_indicator_mark_{table}()""")
    op.execute("""CREATE CONSTRAINT TRIGGER indicators_flush AFTER INSERT ON indicator_dirty
                  DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION coso_indicators_flush()""")


def downgrade() -> None:
    op.execute("DROP TRIGGER indicators_flush ON indicator_dirty")
    for table, _, _ in WATCHED:
        op.execute(f"DROP TRIGGER indicators_mark ON {table}")
        op.execute(f"DROP FUNCTION coso_indicator_mark_{table}()")
    for function in (
        "coso_indicators_advance()",
        "coso_indicators_flush()",
        "coso_indicator_mark(uuid, boolean)",
        "coso_indicators_rebuild()",
        "coso_indicators_refresh(uuid[])",
        "coso_indicator_own_facts(uuid[])",
        "coso_indicator_anchor(uuid)",
        "coso_path_nodes(text)",
    ):
        op.execute(f"DROP FUNCTION {function}")
    for table in (
        "indicator_targets",
        "indicator_clock",
        "indicator_anchors",
        "indicator_dirty",
        "indicator_rollup",
        "indicator_own",
        "indicator_quarters",
    ):
        op.drop_table(table)
    op.drop_index("ix_ratings_member_organization", table_name="ratings")
