"""The one place where a caller's scope becomes SQL. Every read of the tree (and of what hangs off it) goes
through `scope_sql`; the read functions take the scope as a required argument, so none can forget it.

A scope is a set of subtree roots. On a structure date, each root stands at one path, and its subtree is the
half-open path range [path, path with its last '/' bumped to '0'). The roots' predecessors (units merged or split
into them) are part of the scope too, so a new commune's key still sees the old communes' history."""

import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date

from app.db.sql import Params, Querier


@dataclass(frozen=True)
class Scope:
    """Subtree roots (already widened to their predecessors); `None` = the whole tree."""

    roots: tuple[uuid.UUID, ...] | None

    @property
    def whole_tree(self) -> bool:
        return self.roots is None


WHOLE_TREE = Scope(roots=None)


def scope_sql(param: Callable[[object], str], scope: Scope, as_of: date | None,
              path: str = "p.path") -> tuple[str, str]:
    """(CTE to put in a WITH clause, condition on `path`). The bounds are InitPlans an index range scan can use;
    the EXISTS keeps only paths inside one of the roots' ranges."""
    if scope.roots is None:
        return "", "TRUE"
    if as_of is not None:
        day = param(as_of)
        placed = f"sp.valid_from <= {day} AND (sp.valid_to IS NULL OR sp.valid_to > {day})"
    else:
        placed = "sp.latest"
    cte = (f"scope_ranges AS MATERIALIZED (SELECT sp.path AS lo, left(sp.path, -1) || '0' AS hi "
           f"FROM organization_placements sp "
           f"WHERE sp.organization_id = ANY({param(list(scope.roots))}::uuid[]) AND {placed})")
    return cte, path_in_scope(path)


def path_in_scope(path: str) -> str:
    """The condition on a path column, once `scope_ranges` is in the query's WITH clause."""
    return (f"({path} >= (SELECT min(lo) FROM scope_ranges) AND {path} < (SELECT max(hi) FROM scope_ranges) "
            f"AND EXISTS (SELECT 1 FROM scope_ranges s WHERE {path} >= s.lo AND {path} < s.hi))")


def org_in_scope(org_id: str) -> str:
    """The condition that an organisation (a column holding its id) lies in the scope, at its latest place."""
    return (f"EXISTS (SELECT 1 FROM organization_placements op "
            f"WHERE op.organization_id = {org_id} AND op.latest AND {path_in_scope('op.path')})")


def org_covers_scope(org_id: str) -> str:
    """The condition that an organisation's subtree holds one of the scope's roots (a collective body standing for
    every unit of that subtree concerns the caller)."""
    return (f"EXISTS (SELECT 1 FROM organization_placements op "
            f"WHERE op.organization_id = {org_id} AND op.latest "
            f"AND EXISTS (SELECT 1 FROM scope_ranges s WHERE s.lo >= op.path AND s.lo < left(op.path, -1) || '0'))")


async def widen_with_predecessors(conn: Querier,
                                  roots: Sequence[uuid.UUID]) -> tuple[uuid.UUID, ...]:
    """The roots and, transitively, every unit merged or split into them."""
    rows = await conn.fetch("""
        WITH RECURSIVE lineage(id) AS (
            SELECT unnest($1::uuid[])
            UNION
            SELECT src.organization_id
            FROM lineage
            JOIN lineage_links tgt ON tgt.organization_id = lineage.id AND tgt.role = 'target'
            JOIN lineage_events ev ON ev.id = tgt.event_id AND ev.action IN ('merge', 'split')
            JOIN lineage_links src ON src.event_id = ev.id AND src.role = 'source'
        )
        SELECT id FROM lineage""", list(roots))
    return tuple(sorted(r["id"] for r in rows))


async def outside_scope(conn: Querier, scope: Scope, org_ids: Sequence[uuid.UUID]) -> set[uuid.UUID]:
    """Those of `org_ids` that do not exist, or lie outside the scope (at their latest place): to a caller the two
    are the same."""
    if not org_ids:
        return set()
    param = Params()
    if scope.roots is None:
        rows = await conn.fetch(f"SELECT id FROM organizations WHERE id = ANY({param(list(org_ids))}::uuid[])",
                                *param.values)
        return set(org_ids) - {r[0] for r in rows}
    cte, condition = scope_sql(param, scope, None)
    rows = await conn.fetch(
        f"WITH {cte} SELECT p.organization_id FROM organization_placements p "
        f"WHERE p.organization_id = ANY({param(list(org_ids))}::uuid[]) AND p.latest AND {condition}", *param.values)
    return set(org_ids) - {r[0] for r in rows}
