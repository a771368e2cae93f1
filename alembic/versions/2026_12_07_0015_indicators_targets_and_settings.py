"""Indicators, issue 12: the thresholds come from the service's settings, new measures the seeds name, targets
that say which period types they apply to and may come from a plan.

* `indicator_settings` holds the thresholds the figures use (today the cell-committee seat count,
  COSO_CELL_COMMITTEE_MIN_POSITIONS); the service writes its setting there at start
  (`coso_indicators_configure`), which recomputes the figures it changes. The functions of migrations 0009 and
  0011 are redefined to read it instead of a constant.
* New measures (seed 004): military and police cells with a committee (2.1.1.d); commune-level committees whose
  secretary chairs the People's Council or the People's Committee, village cells whose secretary heads the village
  Front committee (2.1.3); party organisations and members in private enterprises (2.1.1.c); admissions of
  candidates introduced by a mass organisation (2.2.9.b; `members.introduced_by`).
* Targets: `period_types` (a yearly target is not a quarterly one), `plan_id` (the plan that set it), `origin`
  (a request, or the plan's text read at its import). Existing
  targets keep applying to quarters too, except those of flows (admission, exit and inspection rates), which
  were never meant for a quarter.
* Every figure is recomputed (`coso_indicators_rebuild`).

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-07
"""

import importlib.util
import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from alembic import op

revision: str = "0015"
down_revision: str | None = "0014"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Frozen here (a migration never changes); app/db/indicators/tables.py holds the same list.
OLD_MEASURES = (
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
NEW_MEASURES = (
    "village_cells_secretary_front_head",
    "military_police_cells",
    "military_police_cells_committee",
    "commune_committees",
    "commune_secretary_council_chair",
    "commune_secretary_committee_chair",
    "private_enterprise_units",
    "private_enterprise_members",
    "admissions_introduced",
    "tasks_due",
    "tasks_done_on_time",
)
MEASURES = OLD_MEASURES + NEW_MEASURES
INTRODUCERS = (
    "fatherland_front",
    "youth_union",
    "trade_union",
    "womens_union",
    "farmers_association",
    "veterans_association",
)
FLOW_INDICATORS = ("admission_rate", "exit_rate", "grassroots_inspected", "grassroots_rated_good", "members_rated_good")

_COLUMNS = ", ".join(MEASURES)
_ZERO = {m: "0" for m in MEASURES}


def _source(org: str, quarter: str, values: dict[str, str], body: str) -> str:
    """One branch of the UNION ALL: (org, quarter, the measures) with `values` set, zeros elsewhere."""
    cells = ", ".join(f"{values.get(m, '0')} AS {m}" for m in MEASURES)
    return f"SELECT {org} AS organization_id, {quarter} AS quarter, {cells} {body}"


_IN_MEMBERSHIP = "('probationary', 'official')"
_VALID_ON_END = "{a}.valid_from <= q.ends AND ({a}.valid_to IS NULL OR {a}.valid_to > q.ends)"
_GOOD = "('excellent', 'good')"
_GRASSROOTS = "('grassroots_committee', 'grassroots_cell')"
_CELLS = "('grassroots_cell', 'subordinate_cell')"
_HEADS = "('village_head', 'residential_group_head')"
_COMMUNE_KINDS = "('upper_level_committee', 'grassroots_committee', 'grassroots_cell')"
_COMMUNE_CATEGORIES = "('commune', 'ward', 'special_zone')"
_COUNCIL_CHAIRS = "('commune_council_chair')"
_COMMITTEE_CHAIRS = "('commune_chair', 'commune_party_secretary_and_chair')"
_FRONT_HEADS = "('front_committee_head')"
# The threshold is the service's setting, kept in indicator_settings (coso_indicators_configure), not a constant.
_MIN_POSITIONS = "(SELECT s.value FROM indicator_settings s WHERE s.name = 'cell_committee_min_positions')"


def _committee() -> str:
    """The unit `o` has a cell committee on the quarter's end: enough seats, the secretary's among them."""
    return f"""EXISTS (
            SELECT 1 FROM party_positions pp WHERE pp.organization_id = o.id AND {_VALID_ON_END.format(a="pp")}
            HAVING count(*) >= {_MIN_POSITIONS} AND bool_or(pp.position = 'secretary'))"""  # noqa: S608 - DDL from constants frozen in this migration


def _secretary_holds(posts: str) -> str:
    """The secretary of `o` on the quarter's end holds one of `posts` linked to `o` on that day."""
    return f"""EXISTS (
            SELECT 1 FROM party_positions pp JOIN public_posts pu ON pu.member_id = pp.member_id
            WHERE pp.organization_id = o.id AND pp.position = 'secretary' AND {_VALID_ON_END.format(a="pp")}
              AND pu.organization_id = o.id AND pu.post IN {posts} AND {_VALID_ON_END.format(a="pu")})"""  # noqa: S608 - DDL from constants frozen in this migration


# The own facts of the units in `ids` (uuid[]), one row per unit and quarter of the window with a fact.
_SOURCES = [
    _source(
        "mp.organization_id",
        "q.quarter",
        {"members": "1", "private_enterprise_members": "(o.category IS NOT DISTINCT FROM 'private_enterprise')::int"},
        f"""
        FROM member_periods mp JOIN indicator_quarters q ON {_VALID_ON_END.format(a="mp")}
        JOIN organizations o ON o.id = mp.organization_id
        WHERE mp.organization_id = ANY(@IDS@) AND mp.status IN {_IN_MEMBERSHIP}""",
    ),
    _source(
        "mp.organization_id",
        "q.quarter",
        {"admissions": "1", "admissions_introduced": "(m.introduced_by IS NOT NULL)::int"},
        """
        FROM member_periods mp JOIN indicator_quarters q ON mp.valid_from BETWEEN q.starts AND q.ends
        JOIN members m ON m.id = mp.member_id
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
            "village_cells_committee": f"(v.village AND {_committee()})::int",
            "village_cells_head_member": f"""(v.village AND EXISTS (
            SELECT 1 FROM public_posts pu WHERE pu.organization_id = o.id AND pu.post IN {_HEADS}
              AND {_VALID_ON_END.format(a="pu")}))::int""",  # noqa: S608 - DDL from constants frozen in this migration
            "village_cells_secretary_head": f"(v.village AND {_secretary_holds(_HEADS)})::int",
            "village_cells_secretary_front_head": f"(v.village AND {_secretary_holds(_FRONT_HEADS)})::int",
            "military_police_cells": "v.military_police::int",
            "military_police_cells_committee": f"(v.military_police AND {_committee()})::int",
            "commune_committees": "v.commune::int",
            "commune_secretary_council_chair": f"(v.commune AND {_secretary_holds(_COUNCIL_CHAIRS)})::int",
            "commune_secretary_committee_chair": f"(v.commune AND {_secretary_holds(_COMMITTEE_CHAIRS)})::int",
            "private_enterprise_units": "(o.category IS NOT DISTINCT FROM 'private_enterprise' AND o.kind <> 'party_group')::int",
        },
        f"""
        FROM organizations o JOIN indicator_quarters q ON {_VALID_ON_END.format(a="o")}
        CROSS JOIN LATERAL (
            SELECT o.kind IN {_CELLS} AND coalesce(o.category IN ('village', 'residential_group'), false) AS village,
                   o.kind IN {_CELLS} AND coalesce(o.category IN ('military', 'police'), false) AS military_police,
                   o.kind IN {_COMMUNE_KINDS} AND coalesce(o.category IN {_COMMUNE_CATEGORIES}, false) AS commune) v
        WHERE o.id = ANY(@IDS@) AND (o.kind IN {_GRASSROOTS} OR o.kind = 'subordinate_cell' OR v.village
                                     OR v.military_police OR v.commune OR o.category = 'private_enterprise')""",
    ),
]


# Plan obligations (a task's dated deadline, or one year of a yearly task) of the plans of the units in `ids`,
# due by today, each counted in the quarter it falls due; done on time when a `done` report came by its due date
# (app/domain/plans/status.py says the same in Python, for the task views).
_SOURCES.append(
    _source(
        "ob.organization_id",
        "q.quarter",
        {"tasks_due": "1", "tasks_done_on_time": "coalesce(ob.done_on <= ob.due, false)::int"},
        """
        FROM coso_plan_obligations(@IDS@) ob JOIN indicator_quarters q ON ob.due BETWEEN q.starts AND q.ends
        WHERE ob.due <= CURRENT_DATE""",
    )
)

OBLIGATIONS = """
CREATE FUNCTION coso_plan_obligations(ids uuid[]) RETURNS TABLE (organization_id uuid, due date, done_on date)
LANGUAGE sql STABLE AS $$
    WITH t AS (
        SELECT pl.organization_id, t.id, coalesce(date_part('year', pl.issued_on)::int, 2022) AS first_year,
               CASE WHEN t.deadline->>'kind' = 'compound' THEN t.deadline->'parts'
                    ELSE jsonb_build_array(t.deadline) END AS parts
        FROM plans pl JOIN tasks t ON t.plan_id = pl.id
        WHERE (ids IS NULL OR pl.organization_id = ANY(ids)) AND t.deadline IS NOT NULL
          AND jsonb_typeof(t.deadline) = 'object'
    ), k AS (
        SELECT t.*, EXISTS (SELECT 1 FROM jsonb_array_elements(t.parts) p WHERE p->>'kind' = 'done') AS done,
               EXISTS (SELECT 1 FROM jsonb_array_elements(t.parts) p WHERE p->>'kind' = 'yearly') AS yearly
        FROM t
    )
    SELECT k.organization_id, make_date(y, 12, 31),
           (SELECT min(r.reported_on) FROM progress_reports r WHERE r.task_id = k.id AND r.status = 'done'
              AND r.reported_on <= CURRENT_DATE AND r.period_year = y)
    FROM k, generate_series(k.first_year, greatest(date_part('year', CURRENT_DATE)::int, k.first_year)) y
    WHERE NOT k.done AND k.yearly
    UNION ALL
    SELECT k.organization_id, d.due,
           (SELECT min(r.reported_on) FROM progress_reports r WHERE r.task_id = k.id AND r.status = 'done'
              AND r.reported_on <= CURRENT_DATE)
    FROM k CROSS JOIN LATERAL (
        SELECT min(CASE WHEN p->>'kind' IN ('date', 'month', 'quarter', 'year_end') THEN (p->>'on')::date
                        WHEN p->>'kind' = 'on_event' THEN
                            ((SELECT e.happened_on FROM plan_events e WHERE e.id::text = p->>'event_id')
                             + make_interval(months => coalesce((p->>'offset_months')::int, 0)))::date
                            + coalesce((p->>'offset_days')::int, 0)
                   END) AS due
        FROM jsonb_array_elements(k.parts) p) d
    WHERE NOT k.done AND NOT k.yearly AND d.due IS NOT NULL
$$
"""

# Watched for the obligations: each change marks the organisation of the plan concerned.
_PLAN_OF = {
    "plans": "SELECT {row}.organization_id",
    "tasks": "SELECT pl.organization_id FROM plans pl WHERE pl.id = {row}.plan_id",
    "plan_events": "SELECT pl.organization_id FROM plans pl WHERE pl.id = {row}.plan_id",
    "progress_reports": (
        "SELECT pl.organization_id FROM tasks t JOIN plans pl ON pl.id = t.plan_id WHERE t.id = {row}.task_id"
    ),
}


def _mark_plans(table: str) -> str:
    old, new = (_PLAN_OF[table].format(row=row) for row in ("OLD", "NEW"))
    return f"""
CREATE FUNCTION coso_indicator_mark_{table}() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP <> 'INSERT' THEN PERFORM coso_indicator_mark(u, false) FROM ({old}) AS o(u); END IF;
    IF TG_OP <> 'DELETE' THEN PERFORM coso_indicator_mark(u, false) FROM ({new}) AS n(u); END IF;
    RETURN NULL;
END
$$
"""


# Today's tree changes without a write when a change recorded ahead of its date takes effect, and plan
# obligations fall due as days pass: the service calls this (at start and every few minutes); it refreshes the
# units whose structure changed since the last call, and those with plans.
ADVANCE = """
CREATE OR REPLACE FUNCTION coso_indicators_advance() RETURNS integer
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
    PERFORM coso_indicator_mark(p.organization_id, false) FROM (SELECT DISTINCT organization_id FROM plans) p;
    PERFORM coso_indicators_refresh(ARRAY(
        SELECT organization_id FROM indicator_dirty WHERE txid = pg_current_xact_id()::text));
    DELETE FROM indicator_dirty WHERE txid = pg_current_xact_id()::text;
    UPDATE indicator_clock SET day = CURRENT_DATE;
    RETURN cardinality(touched);
END
$$
"""


def _quarter_of(day: str) -> str:
    return f"(date_part('year', {day})::int * 4 + (date_part('month', {day})::int - 1) / 3)"


# The member stock of every unit at once (the rebuild): +1 in the quarter a period starts, -1 in the quarter it
# ends, summed along the quarters — instead of matching every period with every quarter end it spans.
_MEMBERS_BY_DELTAS = _source(
    "g.organization_id",
    "g.quarter",
    {
        "members": "g.members",
        "private_enterprise_members": "g.members * (o.category IS NOT DISTINCT FROM 'private_enterprise')::int",
    },
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
    ) g JOIN organizations o ON o.id = g.organization_id""",  # noqa: S608 - DDL from constants frozen in this migration
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
    sources = sources.replace("@IDS@", ids or "NULL::uuid[]")
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


def _signed(sign: str) -> str:
    return ", ".join(f"{sign}{m} AS {m}" for m in MEASURES)


# The difference between the stored own facts of `ids` and their facts now, added to the sums above them.
REFRESH = f"""
CREATE OR REPLACE FUNCTION coso_indicators_refresh(ids uuid[]) RETURNS void
LANGUAGE plpgsql
-- A write touches a unit or two: one plan for any of them, not one planned afresh at each of its first writes.
SET plan_cache_mode = force_generic_plan AS $$
BEGIN
    IF to_regclass('pg_temp.coso_indicator_fresh_v2') IS NULL THEN
        CREATE TEMP TABLE coso_indicator_fresh_v2 (LIKE indicator_own, PRIMARY KEY (organization_id, quarter));
    END IF;
    DELETE FROM coso_indicator_fresh_v2;
    INSERT INTO coso_indicator_fresh_v2 SELECT * FROM coso_indicator_own_facts(ids);
    IF cardinality(ids) >= 64 THEN
        ANALYZE coso_indicator_fresh_v2;
        PERFORM set_config('plan_cache_mode', 'force_custom_plan', true);
    END IF;
    WITH gone AS (
        SELECT o.* FROM indicator_own o WHERE o.organization_id = ANY(ids)
        AND NOT EXISTS (SELECT 1 FROM coso_indicator_fresh_v2 f WHERE f.organization_id = o.organization_id
                        AND f.quarter = o.quarter AND (f.*)::text = (o.*)::text)
    ), came AS (
        SELECT f.* FROM coso_indicator_fresh_v2 f
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
        AND NOT EXISTS (SELECT 1 FROM coso_indicator_fresh_v2 f WHERE f.organization_id = o.organization_id
                        AND f.quarter = o.quarter AND (f.*)::text = (o.*)::text);
    INSERT INTO indicator_own SELECT f.* FROM coso_indicator_fresh_v2 f
        WHERE NOT EXISTS (SELECT 1 FROM indicator_own o WHERE o.organization_id = ANY(ids)
                          AND o.organization_id = f.organization_id AND o.quarter = f.quarter);
    DELETE FROM coso_indicator_fresh_v2;
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
CREATE OR REPLACE FUNCTION coso_indicators_rebuild() RETURNS void
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


_FIGURE_CELLS = "('village', 'residential_group', 'military', 'police')"

# The service writes its setting here at start; a change recomputes the cells whose committee it decides.
CONFIGURE = f"""
CREATE FUNCTION coso_indicators_configure(setting text, wanted integer) RETURNS boolean
LANGUAGE plpgsql AS $$
DECLARE
    stored integer;
BEGIN
    SELECT value INTO stored FROM indicator_settings WHERE name = setting FOR UPDATE;
    IF stored IS NOT DISTINCT FROM wanted THEN
        RETURN false;
    END IF;
    INSERT INTO indicator_settings (name, value) VALUES (setting, wanted)
    ON CONFLICT (name) DO UPDATE SET value = excluded.value;
    PERFORM coso_indicators_refresh(ARRAY(
        SELECT id FROM organizations WHERE kind IN {_CELLS} AND category IN {_FIGURE_CELLS}));
    RETURN true;
END
$$
"""  # noqa: S608 - DDL from constants frozen in this migration

# Who introduced a candidate (members.introduced_by) counts where the member was admitted.
MARK_MEMBERS = """
CREATE FUNCTION coso_indicator_mark_members() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    PERFORM coso_indicator_mark(mp.organization_id, false) FROM member_periods mp
    WHERE mp.member_id = NEW.id AND mp.status = 'probationary';
    RETURN NULL;
END
$$
"""


def upgrade() -> None:
    op.create_table(
        "indicator_settings",
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("value", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("name", name=op.f("pk_indicator_settings")),
    )
    # The environment's value when migrating; the service writes its own at start (coso_indicators_configure).
    min_positions = int(os.environ.get("COSO_CELL_COMMITTEE_MIN_POSITIONS", "3"))
    op.execute(
        sa.text("INSERT INTO indicator_settings (name, value) VALUES ('cell_committee_min_positions', :v)").bindparams(
            v=min_positions
        )
    )
    # 0012 recorded the introductions that stand for a sponsor (Youth Union, trade union); the indicator counts
    # those of the Front and every mass organisation.
    op.drop_constraint("ck_members_introduced_by", "members", type_="check")
    op.create_check_constraint("ck_members_introduced_by", "members", f"introduced_by IN {INTRODUCERS}")
    for table in ("indicator_own", "indicator_rollup"):
        for m in NEW_MEASURES:
            op.add_column(table, sa.Column(m, sa.Integer(), server_default=sa.text("0"), nullable=False))
    op.add_column(
        "indicator_targets",
        sa.Column("period_types", sa.ARRAY(sa.Text()), server_default=sa.text("'{year,quarter}'"), nullable=False),
    )
    op.execute(
        sa.text("UPDATE indicator_targets SET period_types = '{year}' WHERE indicator = ANY(:flows)").bindparams(
            flows=list(FLOW_INDICATORS)
        )
    )
    op.alter_column("indicator_targets", "period_types", server_default=sa.text("'{year}'"))
    op.create_check_constraint(
        op.f("ck_indicator_targets_period_types"),
        "indicator_targets",
        "cardinality(period_types) > 0 AND period_types <@ '{year,quarter}'::text[]",
    )
    op.add_column("indicator_targets", sa.Column("plan_id", sa.UUID(), nullable=True))
    op.create_foreign_key(
        op.f("fk_indicator_targets_plan_id_plans"),
        "indicator_targets",
        "plans",
        ["plan_id"],
        ["id"],
        ondelete="CASCADE",
    )
    op.create_index("ix_indicator_targets_plan_id", "indicator_targets", ["plan_id"])
    # where it came from: a request (PUT, POST) or the text of its plan, read at the plan's import
    op.add_column(
        "indicator_targets", sa.Column("origin", sa.Text(), server_default=sa.text("'request'"), nullable=False)
    )
    op.create_check_constraint(
        op.f("ck_indicator_targets_origin"),
        "indicator_targets",
        "origin IN ('request', 'plan_text') AND (origin = 'request' OR plan_id IS NOT NULL)",
    )
    # Several sources (the unit's own, each plan's) may set a target for the same years; the service checks
    # overlaps per source.
    op.drop_constraint("uq_indicator_targets_indicator", "indicator_targets", type_="unique")
    op.execute("DROP FUNCTION coso_indicator_own_facts(uuid[])")
    op.execute(OBLIGATIONS)
    op.execute(OWN_FACTS)
    op.execute(REFRESH)
    op.execute(REBUILD)
    op.execute(CONFIGURE)
    op.execute(MARK_MEMBERS)
    op.execute("""CREATE TRIGGER indicators_mark AFTER UPDATE OF introduced_by ON members
                  FOR EACH ROW WHEN (OLD.introduced_by IS DISTINCT FROM NEW.introduced_by
                                     AND current_setting('coso.indicators', true) IS DISTINCT FROM 'off')
                  EXECUTE FUNCTION coso_indicator_mark_members()""")
    for table in _PLAN_OF:
        op.execute(_mark_plans(table))
        op.execute(f"""CREATE TRIGGER indicators_mark AFTER INSERT OR UPDATE OR DELETE ON {table}
                       FOR EACH ROW WHEN (current_setting('coso.indicators', true) IS DISTINCT FROM 'off')
                       EXECUTE FUNCTION coso_indicator_mark_{table}()""")
    op.execute(ADVANCE)
    op.execute("SELECT coso_indicators_rebuild()")


def _migration(name: str) -> Any:
    """A module of an earlier migration (the functions it made, to make them again on the way down)."""
    path = next(Path(__file__).parent.glob(f"*_{name}_*.py"))
    spec = importlib.util.spec_from_file_location(f"coso_migration_{name}", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def downgrade() -> None:
    for table in _PLAN_OF:
        op.execute(f"DROP TRIGGER indicators_mark ON {table}")
        op.execute(f"DROP FUNCTION coso_indicator_mark_{table}()")
    op.execute("DROP TRIGGER indicators_mark ON members")
    op.execute("DROP FUNCTION coso_indicator_mark_members()")
    op.execute("DROP FUNCTION coso_indicators_configure(text, integer)")
    op.execute("DROP FUNCTION coso_indicators_rebuild()")
    op.execute("DROP FUNCTION coso_indicators_refresh(uuid[])")
    op.execute("DROP FUNCTION coso_indicator_own_facts(uuid[])")
    op.execute("DROP FUNCTION coso_plan_obligations(uuid[])")
    op.execute("DELETE FROM indicator_targets WHERE plan_id IS NOT NULL")
    op.create_unique_constraint(
        "uq_indicator_targets_indicator", "indicator_targets", ["indicator", "organization_id", "year_from"]
    )
    op.drop_index("ix_indicator_targets_plan_id", table_name="indicator_targets")
    op.drop_constraint(op.f("ck_indicator_targets_origin"), "indicator_targets", type_="check")
    op.drop_column("indicator_targets", "origin")
    op.drop_column("indicator_targets", "plan_id")
    op.drop_column("indicator_targets", "period_types")
    for table in ("indicator_own", "indicator_rollup"):
        for m in NEW_MEASURES:
            op.drop_column(table, m)
    op.execute("UPDATE members SET introduced_by = NULL WHERE introduced_by NOT IN ('youth_union', 'trade_union')")
    op.drop_constraint("ck_members_introduced_by", "members", type_="check")
    op.create_check_constraint(
        "ck_members_introduced_by",
        "members",
        "introduced_by IS NULL OR introduced_by IN ('youth_union', 'trade_union')",
    )
    op.drop_table("indicator_settings")
    first = _migration("0009")
    op.execute(first.OWN_FACTS)
    op.execute(first.REBUILD)
    op.execute(first.ADVANCE.replace("CREATE FUNCTION", "CREATE OR REPLACE FUNCTION"))
    large = _migration("0011")
    op.execute(first.REFRESH.replace(large.FILL, large.FILL + large.LARGE))
    op.execute("SELECT coso_indicators_rebuild()")
