"""Reads of the organisation tree, each row rendered to JSON by PostgreSQL.

Every read takes a structure date `as_of`: the placement valid on that date gives parent, path and depth.
Without one, each unit is shown at its latest placement (the open one, or the last one of a dissolved unit)."""

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime

from app.db.organizations.paths import nodes_of, subtree_bounds
from app.db.scope import Scope, path_in_scope, scope_ranges, with_ctes
from app.db.sql import Querier, Record, Sql, estimated_rows, fetch, fetchrow, fetchval

# The JSON of one unit, as the API serves it (OrganizationRead): tests/api/test_contract.py checks it against
# openapi.yaml.
ORG_DOC = Sql("""json_build_object(
    'id', o.id, 'code', o.code, 'name', o.name, 'kind', o.kind, 'category', o.category,
    'parent_id', p.parent_id, 'depth', p.depth, 'valid_from', o.valid_from, 'valid_to', o.valid_to,
    'placed_from', p.valid_from, 'placed_to', p.valid_to,
    'external_ids', coalesce((SELECT array_agg(e.external_id ORDER BY e.external_id)
                              FROM organization_external_ids e WHERE e.organization_id = o.id), '{{}}'),
    'created_at', o.created_at, 'updated_at', o.updated_at, 'version', o.version)::text""")

PLACED = Sql("organization_placements p JOIN organizations o ON o.id = p.organization_id")


def placement(as_of: date | None) -> Sql:
    """The placement of the structure date, or the latest one."""
    if as_of is None:
        return Sql("p.latest")
    return Sql("(p.valid_from <= {day} AND (p.valid_to IS NULL OR p.valid_to > {day}))", day=as_of)


@dataclass(frozen=True)
class Placed:
    """A unit's identity and where it sat on the structure date asked for."""

    id: uuid.UUID
    node: int
    kind: str
    path: str
    depth: int
    parent_id: uuid.UUID | None


async def get_organization(
    conn: Querier,
    *,
    scope: Scope,
    as_of: date | None,
    org_id: uuid.UUID | None = None,
    code: str | None = None,
    external_id: str | None = None,
) -> Record | None:
    """(doc, version) of one unit, or None."""
    if org_id is not None:
        key = Sql("o.id = {id}", id=org_id)
    elif code is not None:
        key = Sql("o.code = {code}", code=code)
    else:
        key = Sql(
            "o.id = (SELECT organization_id FROM organization_external_ids WHERE external_id = {ext})", ext=external_id
        )
    return await fetchrow(
        conn,
        Sql(
            "{with_} SELECT {doc} AS doc, o.version FROM {placed} WHERE {key} AND {when} AND {inside}",
            with_=with_ctes(scope_ranges(scope, as_of)),
            doc=ORG_DOC,
            placed=PLACED,
            key=key,
            when=placement(as_of),
            inside=path_in_scope(scope, "p.path"),
        ),
    )


async def get_placed(conn: Querier, org_id: uuid.UUID, *, scope: Scope, as_of: date | None) -> Placed | None:
    row = await fetchrow(
        conn,
        Sql(
            "{with_} SELECT o.id, o.node, o.kind, p.path, p.depth, p.parent_id FROM {placed} "
            "WHERE o.id = {id} AND {when} AND {inside}",
            with_=with_ctes(scope_ranges(scope, as_of)),
            placed=PLACED,
            id=org_id,
            when=placement(as_of),
            inside=path_in_scope(scope, "p.path"),
        ),
    )
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
    updated_since: datetime | None = None  # only units changed at or after this instant
    after_path: str | None = None
    after_rank: int | None = None
    limit: int = 50


BROAD_SEARCH_ROWS = 20_000


def escape_like(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def name_or_code_like(pattern: str) -> Sql:
    return Sql("(o.name_folded LIKE coso_fold({pattern}) OR o.code_folded LIKE coso_fold({pattern}))", pattern=pattern)


async def _broad(conn: Querier, pattern: str) -> bool:
    """Whether the planner expects a search term to match many units: then the page is best read in tree order
    from the path index; otherwise the few matches are found through the trigram index and sorted."""
    estimate = await estimated_rows(
        conn, Sql("SELECT 1 FROM organizations o WHERE {matches}", matches=name_or_code_like(pattern))
    )
    return estimate > BROAD_SEARCH_ROWS


def list_filters(query: ListQuery, scope: Scope) -> list[Sql]:
    where = [placement(query.as_of), path_in_scope(scope, "p.path")]
    if query.active_on is not None:
        where.append(Sql("(o.valid_from <= {day} AND (o.valid_to IS NULL OR o.valid_to > {day}))", day=query.active_on))
    if query.within_path is not None:
        low, high = subtree_bounds(query.within_path)
        where.append(Sql("p.path >= {low} AND p.path < {high}", low=low, high=high))
    if query.parent_id is not None:
        where.append(Sql("p.parent_id = {parent}", parent=query.parent_id))
    if query.kinds:
        where.append(Sql("o.kind = ANY({kinds}::text[])", kinds=list(query.kinds)))
    if query.categories:
        where.append(Sql("o.category = ANY({categories}::text[])", categories=list(query.categories)))
    if query.max_depth is not None:
        where.append(Sql("p.depth <= {depth}", depth=query.max_depth))
    if query.updated_since is not None:
        where.append(Sql("o.updated_at >= {since}", since=query.updated_since))
    return where


async def list_organizations(conn: Querier, query: ListQuery, *, scope: Scope) -> list[Record]:
    """A page of units as (doc, path, rank) rows, in (rank, path) order: rank is 0 without `q`."""
    ranges = scope_ranges(scope, query.as_of)
    where = list_filters(query, scope)
    if not query.q:
        if query.after_path is not None:
            where.append(Sql("p.path > {after}", after=query.after_path))
        return await fetch(
            conn,
            Sql(
                "{with_} SELECT {doc} AS doc, p.path, 0 AS rank FROM {placed} WHERE {where} ORDER BY p.path "
                "LIMIT {limit}",
                with_=with_ctes(ranges),
                doc=ORG_DOC,
                placed=PLACED,
                where=Sql.all(where),
                limit=query.limit,
            ),
        )
    # Search: exact matches first (the code, or the name as written, then without accents), then every other
    # match in tree order. Two branches, so that the second can stream from the path index and stop after a page
    # (a broad term matches most of the country) or come from the trigram index (a rare one): each uses what fits.
    exact = Sql("(o.code_folded = coso_fold({q}) OR o.name_folded = coso_fold({q}))", q=query.q)
    rank = Sql("(CASE WHEN o.code = {q} OR lower(o.name) = lower({q}) THEN 0 ELSE 1 END)", q=query.q)
    pattern = "%" + escape_like(query.q) + "%"
    first = [*where, exact]
    rest = [*where, Sql("NOT {exact}", exact=exact)]
    after_rank = query.after_rank if query.after_path is not None else None
    if after_rank is not None and after_rank < 2:
        first.append(
            Sql("({rank}, p.path) > ({after_rank}, {after})", rank=rank, after_rank=after_rank, after=query.after_path)
        )
    if after_rank == 2:
        first.append(Sql("FALSE"))
        rest.append(Sql("p.path > {after}", after=query.after_path))
    hits = None
    if await _broad(conn, pattern):
        # Most units match: stream the path index and stop after a page.
        others = Sql(
            "SELECT {doc} AS doc, p.path, 2 AS rank FROM {placed} WHERE {where}",
            doc=ORG_DOC,
            placed=PLACED,
            where=Sql.all([*rest, name_or_code_like(pattern)]),
        )
    else:
        # Few match (they may all sit at the far end of the tree): find them by trigram first, then sort them.
        hits = Sql(
            "hits AS MATERIALIZED (SELECT o.id FROM organizations o WHERE {matches})",
            matches=name_or_code_like(pattern),
        )
        others = Sql(
            "SELECT {doc} AS doc, p.path, 2 AS rank FROM hits JOIN organizations o ON o.id = hits.id "
            "JOIN organization_placements p ON p.organization_id = o.id WHERE {where}",
            doc=ORG_DOC,
            where=Sql.all(rest),
        )
    return await fetch(
        conn,
        Sql(
            "{with_} SELECT * FROM ((SELECT {doc} AS doc, p.path, {rank} AS rank FROM {placed} WHERE {first} "
            "ORDER BY rank, p.path LIMIT {limit}) UNION ALL ({others} ORDER BY p.path LIMIT {limit})) found "
            "ORDER BY rank, path LIMIT {limit}",
            with_=with_ctes(ranges, hits),
            doc=ORG_DOC,
            rank=rank,
            placed=PLACED,
            first=Sql.all(first),
            others=others,
            limit=query.limit,
        ),
    )


async def ancestors(conn: Querier, path: str, *, scope: Scope, as_of: date | None) -> list[str]:
    """The units on `path`, root first, each as it stood on the structure date (the unit itself excluded; units
    above the caller's scope too)."""
    nodes = nodes_of(path)[:-1]
    if not nodes:
        return []
    rows = await fetch(
        conn,
        Sql(
            "{with_} SELECT {doc} FROM {placed} WHERE o.node = ANY({nodes}::bigint[]) AND {when} AND {inside} "
            "ORDER BY p.depth",
            with_=with_ctes(scope_ranges(scope, as_of)),
            doc=ORG_DOC,
            placed=PLACED,
            nodes=nodes,
            when=placement(as_of),
            inside=path_in_scope(scope, "p.path"),
        ),
    )
    return [r[0] for r in rows]


async def lineage(conn: Querier, org_id: uuid.UUID) -> list[str]:
    rows = await fetch(
        conn,
        Sql(
            """
        SELECT json_build_object(
            'id', ev.id, 'action', ev.action, 'effective_date', ev.effective_date,
            'decision_ref', ev.decision_ref, 'note', ev.note, 'recorded_at', ev.recorded_at,
            'sources', coalesce((SELECT array_agg(l.organization_id ORDER BY l.organization_id)
                                 FROM lineage_links l WHERE l.event_id = ev.id AND l.role = 'source'), '{{}}'),
            'targets', coalesce((SELECT array_agg(l.organization_id ORDER BY l.organization_id)
                                 FROM lineage_links l WHERE l.event_id = ev.id AND l.role = 'target'), '{{}}')
        )::text
        FROM lineage_events ev
        WHERE ev.id IN (SELECT event_id FROM lineage_links WHERE organization_id = {id})
        ORDER BY ev.effective_date, ev.recorded_at""",
            id=org_id,
        ),
    )
    return [r[0] for r in rows]


@dataclass(frozen=True)
class UnitOnDate:
    """An organisation, and where it stood on one day (`path` None: not placed in the tree that day)."""

    id: uuid.UUID
    code: str
    name: str
    kind: str
    valid_from: date
    valid_to: date | None
    path: str | None

    def alive_on(self, day: date) -> bool:
        return self.valid_from <= day and (self.valid_to is None or self.valid_to > day)


async def unit_on(conn: Querier, org_id: uuid.UUID, day: date) -> UnitOnDate | None:
    row = await fetchrow(
        conn,
        Sql(
            """
        SELECT o.id, o.code, o.name, o.kind, o.valid_from, o.valid_to,
               (SELECT p.path FROM organization_placements p WHERE p.organization_id = o.id
                AND p.valid_from <= {day} AND (p.valid_to IS NULL OR p.valid_to > {day})) AS path
        FROM organizations o WHERE o.id = {id}""",
            id=org_id,
            day=day,
        ),
    )
    return UnitOnDate(**dict(row)) if row is not None else None


async def find_id(conn: Querier, ref: str) -> uuid.UUID | None:
    """The id of a unit named by its id or its code."""
    found: uuid.UUID | None = await fetchval(
        conn, Sql("SELECT id FROM organizations WHERE id::text = {ref} OR code = {ref}", ref=ref)
    )
    return found
