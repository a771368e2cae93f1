"""The one place where a caller's scope becomes SQL. Every read of the tree (and of what hangs off it) goes
through these pieces; the read functions take the scope as a required argument, so none can forget it.

A scope is a set of subtree roots. On a structure date, each root stands at one path, and its subtree is the
half-open path range [path, path with its last '/' bumped to '0'). The roots' predecessors (units merged or split
into them) are part of the scope too, so a new commune's key still sees the old communes' history."""

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

from app.db.sql import Querier, Sql, fetch


@dataclass(frozen=True)
class Scope:
    """Subtree roots (already widened to their predecessors); `None` = the whole tree."""

    roots: tuple[uuid.UUID, ...] | None

    @property
    def whole_tree(self) -> bool:
        return self.roots is None


WHOLE_TREE = Scope(roots=None)


def scope_ranges(scope: Scope, as_of: date | None) -> Sql | None:
    """The CTE `scope_ranges` (the path range of each root on the structure date), or None for the whole tree.
    The bounds are InitPlans an index range scan can use."""
    if scope.roots is None:
        return None
    placed = (
        Sql("sp.valid_from <= {day} AND (sp.valid_to IS NULL OR sp.valid_to > {day})", day=as_of)
        if as_of is not None
        else Sql("sp.latest")
    )
    return Sql(
        "scope_ranges AS MATERIALIZED (SELECT sp.path AS lo, left(sp.path, -1) || '0' AS hi "
        "FROM organization_placements sp WHERE sp.organization_id = ANY({roots}::uuid[]) AND {placed})",
        roots=list(scope.roots),
        placed=placed,
    )


def with_ctes(*ctes: Sql | None) -> Sql:
    """`WITH a, b` of the CTEs given (None ones left out), or nothing."""
    present = [c for c in ctes if c is not None]
    return Sql("WITH {ctes}", ctes=Sql.join(", ", present)) if present else Sql("")


def path_in_scope(scope: Scope, path: str) -> Sql:
    """The condition that a path column lies in the scope (`scope_ranges` in the WITH clause); TRUE for the whole
    tree. `path` is a column reference written in code, such as "p.path"."""
    if scope.roots is None:
        return Sql("TRUE")
    return Sql(
        "({path} >= (SELECT min(lo) FROM scope_ranges) AND {path} < (SELECT max(hi) FROM scope_ranges) "
        "AND EXISTS (SELECT 1 FROM scope_ranges s WHERE {path} >= s.lo AND {path} < s.hi))",
        path=Sql(path),
    )


def org_in_scope(scope: Scope, org_id: str) -> Sql:
    """The condition that an organisation (a column holding its id) lies in the scope, at its latest place."""
    return Sql(
        "EXISTS (SELECT 1 FROM organization_placements op WHERE op.organization_id = {org} AND op.latest AND {inside})",
        org=Sql(org_id),
        inside=path_in_scope(scope, "op.path"),
    )


def org_covers_scope(org_id: str) -> Sql:
    """The condition that an organisation's subtree holds one of the scope's roots (a collective body standing for
    every unit of that subtree concerns the caller)."""
    return Sql(
        "EXISTS (SELECT 1 FROM organization_placements op WHERE op.organization_id = {org} AND op.latest "
        "AND EXISTS (SELECT 1 FROM scope_ranges s WHERE s.lo >= op.path AND s.lo < left(op.path, -1) || '0'))",
        org=Sql(org_id),
    )


async def widen_with_predecessors(conn: Querier, roots: Sequence[uuid.UUID]) -> tuple[uuid.UUID, ...]:
    """The roots and, transitively, every unit merged or split into them."""
    rows = await fetch(
        conn,
        Sql(
            """
        WITH RECURSIVE lineage(id) AS (
            SELECT unnest({roots}::uuid[])
            UNION
            SELECT src.organization_id
            FROM lineage
            JOIN lineage_links tgt ON tgt.organization_id = lineage.id AND tgt.role = 'target'
            JOIN lineage_events ev ON ev.id = tgt.event_id AND ev.action IN ('merge', 'split')
            JOIN lineage_links src ON src.event_id = ev.id AND src.role = 'source'
        )
        SELECT id FROM lineage""",
            roots=list(roots),
        ),
    )
    return tuple(sorted(r["id"] for r in rows))


async def outside_scope(conn: Querier, scope: Scope, org_ids: Sequence[uuid.UUID]) -> set[uuid.UUID]:
    """Those of `org_ids` that do not exist, or lie outside the scope (at their latest place): to a caller the two
    are the same."""
    if not org_ids:
        return set()
    rows = await fetch(
        conn,
        Sql(
            "{with_} SELECT p.organization_id FROM organization_placements p "
            "WHERE p.organization_id = ANY({ids}::uuid[]) AND p.latest AND {inside}",
            with_=with_ctes(scope_ranges(scope, None)),
            ids=list(org_ids),
            inside=path_in_scope(scope, "p.path"),
        ),
    )
    return set(org_ids) - {r[0] for r in rows}
