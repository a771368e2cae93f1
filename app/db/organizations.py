"""Reads of the organisation tree: hand-written SQL on asyncpg, each row rendered to JSON by PostgreSQL.

Every read takes a structure date `as_of`: the placement valid on that date gives parent, path and depth.
Without one, each unit is shown at its latest placement (the open one, or the last one of a dissolved unit)."""

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

import asyncpg

from app.db.paths import nodes_of, subtree_bounds
from app.db.scope import Scope, scope_sql
from app.db.sql import Params, Querier, planner_rows

ORG_DOC = """json_build_object(
    'id', o.id, 'code', o.code, 'name', o.name, 'kind', o.kind, 'category', o.category,
    'parent_id', p.parent_id, 'depth', p.depth, 'valid_from', o.valid_from, 'valid_to', o.valid_to,
    'placed_from', p.valid_from, 'placed_to', p.valid_to,
    'external_ids', coalesce((SELECT array_agg(e.external_id ORDER BY e.external_id)
                              FROM organization_external_ids e WHERE e.organization_id = o.id), '{}'),
    'created_at', o.created_at, 'updated_at', o.updated_at, 'version', o.version)::text"""

FROM = "organization_placements p JOIN organizations o ON o.id = p.organization_id"


def _placement_on(param: str) -> str:
    return f"(p.valid_from <= {param} AND (p.valid_to IS NULL OR p.valid_to > {param}))"


LATEST = "p.latest"


def _active_on(param: str) -> str:
    return f"(o.valid_from <= {param} AND (o.valid_to IS NULL OR o.valid_to > {param}))"


@dataclass(frozen=True)
class Placed:
    """A unit's identity and where it sat on the structure date asked for."""

    id: uuid.UUID
    node: int
    kind: str
    path: str
    depth: int
    parent_id: uuid.UUID | None




def _with(cte: str) -> str:
    return f"WITH {cte}" if cte else ""


def _structure(params: Params, as_of: date | None) -> str:
    return _placement_on(params(as_of)) if as_of is not None else LATEST


async def get_organization(conn: Querier, *, scope: Scope, as_of: date | None, org_id: uuid.UUID | None = None,
                           code: str | None = None, external_id: str | None = None) -> asyncpg.Record | None:
    """(doc, version) of one unit, or None."""
    params = Params()
    if org_id is not None:
        key = f"o.id = {params(org_id)}"
    elif code is not None:
        key = f"o.code = {params(code)}"
    else:
        key = (f"o.id = (SELECT organization_id FROM organization_external_ids "
               f"WHERE external_id = {params(external_id)})")
    cte, in_scope = scope_sql(params, scope, as_of)
    sql = (f"{_with(cte)} SELECT {ORG_DOC} AS doc, o.version FROM {FROM} "
           f"WHERE {key} AND {_structure(params, as_of)} AND {in_scope}")
    return await conn.fetchrow(sql, *params.values)


async def get_placed(conn: Querier, org_id: uuid.UUID, *, scope: Scope, as_of: date | None) -> Placed | None:
    params = Params()
    cte, in_scope = scope_sql(params, scope, as_of)
    sql = (f"{_with(cte)} SELECT o.id, o.node, o.kind, p.path, p.depth, p.parent_id FROM {FROM} "
           f"WHERE o.id = {params(org_id)} AND {_structure(params, as_of)} AND {in_scope}")
    row = await conn.fetchrow(sql, *params.values)
    return Placed(**dict(row)) if row is not None else None


@dataclass(frozen=True)
class ListQuery:
    as_of: date | None = None
    active_on: date | None = None
    within_path: str | None = None
    parent_id: uuid.UUID | None = None
    kinds: Sequence[str] = ()
    categories: Sequence[str] = ()
    q: str | None = None
    max_depth: int | None = None
    after_path: str | None = None
    after_rank: int | None = None
    limit: int = 50


BROAD_SEARCH_ROWS = 20_000


async def _broad(conn: Querier, pattern: str) -> bool:
    """Whether the planner expects a search term to match many units: then the page is best read in tree order
    from the path index; otherwise the few matches are found through the trigram index and sorted."""
    rows = await planner_rows(conn, "SELECT 1 FROM organizations o WHERE o.name_folded LIKE coso_fold($1) "
                                    "OR o.code_folded LIKE coso_fold($1)", pattern)
    return rows > BROAD_SEARCH_ROWS


def escape_like(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


async def list_organizations(conn: Querier, query: ListQuery, *, scope: Scope) -> list[asyncpg.Record]:
    """A page of units as (doc, path, rank) rows, in (rank, path) order: rank is 0 without `q`."""
    params = Params()
    cte, in_scope = scope_sql(params, scope, query.as_of)
    where = [_structure(params, query.as_of), in_scope]
    if query.active_on is not None:
        where.append(_active_on(params(query.active_on)))
    if query.within_path is not None:
        low, high = subtree_bounds(query.within_path)
        where.append(f"p.path >= {params(low)} AND p.path < {params(high)}")
    if query.parent_id is not None:
        where.append(f"p.parent_id = {params(query.parent_id)}")
    if query.kinds:
        where.append(f"o.kind = ANY({params(list(query.kinds))}::text[])")
    if query.categories:
        where.append(f"o.category = ANY({params(list(query.categories))}::text[])")
    if query.max_depth is not None:
        where.append(f"p.depth <= {params(query.max_depth)}")
    if not query.q:
        if query.after_path is not None:
            where.append(f"p.path > {params(query.after_path)}")
        sql = (f"{_with(cte)} SELECT {ORG_DOC} AS doc, p.path, 0 AS rank FROM {FROM} WHERE {' AND '.join(where)} "
               f"ORDER BY p.path LIMIT {params(query.limit)}")
        rows: list[asyncpg.Record] = await conn.fetch(sql, *params.values)
        return rows
    # Search: exact matches first (the code, or the name as written, then without accents), then every other
    # match in tree order. Two branches, so that the second can stream from the path index and stop after a page
    # (a broad term matches most of the country) or come from the trigram index (a rare one): each uses what fits.
    limit = params(query.limit)
    raw = params(query.q)
    folded = f"coso_fold({raw})"
    pattern = params("%" + escape_like(query.q) + "%")
    exact = f"(o.code_folded = {folded} OR o.name_folded = {folded})"
    rank = f"(CASE WHEN o.code = {raw} OR lower(o.name) = lower({raw}) THEN 0 ELSE 1 END)"
    after_rank = query.after_rank if query.after_path is not None else None
    first = [*where, exact]
    matches = f"(o.name_folded LIKE coso_fold({pattern}) OR o.code_folded LIKE coso_fold({pattern}))"
    rest = [*where, f"NOT {exact}"]
    if after_rank is not None and after_rank < 2:
        first.append(f"({rank}, p.path) > ({params(after_rank)}, {params(query.after_path)})")
    if after_rank == 2:
        first.append("FALSE")
        rest.append(f"p.path > {params(query.after_path)}")
    if await _broad(conn, "%" + escape_like(query.q) + "%"):
        # Most units match: stream the path index and stop after a page.
        rest_sql = f"SELECT {ORG_DOC} AS doc, p.path, 2 AS rank FROM {FROM} WHERE {' AND '.join([*rest, matches])}"
    else:
        # Few match (they may all sit at the far end of the tree): find them by trigram first, then sort them.
        hits = (f"hits AS MATERIALIZED (SELECT o.id FROM organizations o WHERE {matches})")
        cte = f"{cte}, {hits}" if cte else hits
        rest_sql = (f"SELECT {ORG_DOC} AS doc, p.path, 2 AS rank FROM hits JOIN organizations o ON o.id = hits.id "
                    f"JOIN organization_placements p ON p.organization_id = o.id WHERE {' AND '.join(rest)}")
    sql = (f"{_with(cte)} SELECT * FROM ("
           f"(SELECT {ORG_DOC} AS doc, p.path, {rank} AS rank FROM {FROM} WHERE {' AND '.join(first)} "
           f"ORDER BY rank, p.path LIMIT {limit}) UNION ALL "
           f"({rest_sql} ORDER BY p.path LIMIT {limit})) found ORDER BY rank, path LIMIT {limit}")
    found: list[asyncpg.Record] = await conn.fetch(sql, *params.values)
    return found


async def ancestors(conn: Querier, path: str, *, scope: Scope, as_of: date | None) -> list[str]:
    """The units on `path`, root first, each as it stood on the structure date (the unit itself excluded; units
    above the caller's scope too)."""
    nodes = nodes_of(path)[:-1]
    if not nodes:
        return []
    params = Params()
    cte, in_scope = scope_sql(params, scope, as_of)
    sql = (f"{_with(cte)} SELECT {ORG_DOC} FROM {FROM} WHERE o.node = ANY({params(nodes)}::bigint[]) "
           f"AND {_structure(params, as_of)} AND {in_scope} ORDER BY p.depth")
    return [r[0] for r in await conn.fetch(sql, *params.values)]


async def lineage(conn: Querier, org_id: uuid.UUID) -> list[str]:
    sql = """
        SELECT json_build_object(
            'id', ev.id, 'action', ev.action, 'effective_date', ev.effective_date,
            'decision_ref', ev.decision_ref, 'note', ev.note, 'recorded_at', ev.recorded_at,
            'sources', coalesce((SELECT array_agg(l.organization_id ORDER BY l.organization_id)
                                 FROM lineage_links l WHERE l.event_id = ev.id AND l.role = 'source'), '{}'),
            'targets', coalesce((SELECT array_agg(l.organization_id ORDER BY l.organization_id)
                                 FROM lineage_links l WHERE l.event_id = ev.id AND l.role = 'target'), '{}')
        )::text
        FROM lineage_events ev
        WHERE ev.id IN (SELECT event_id FROM lineage_links WHERE organization_id = $1)
        ORDER BY ev.effective_date, ev.recorded_at"""
    return [r[0] for r in await conn.fetch(sql, org_id)]


async def existing(conn: Querier, org_ids: Sequence[uuid.UUID]) -> set[uuid.UUID]:
    rows = await conn.fetch("SELECT id FROM organizations WHERE id = ANY($1::uuid[])", list(org_ids))
    return {r[0] for r in rows}
