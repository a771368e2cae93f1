"""Member search by name, in three ranked branches, each already in name order and cut at a page: the name exactly
as sorted (rank 0), the name without accents and case (1), then every other match (2). The third reads the
name-ordered index when the term is common and stops after a page, or finds the few matches by trigram."""

from collections.abc import Sequence
from typing import Any

from app.db.members.reads import MemberQuery, member_doc, selection
from app.db.organizations.reads import escape_like
from app.db.scope import Scope, scope_ranges, with_ctes
from app.db.sql import Querier, Record, Sql, estimated_rows, fetch

BROAD_SEARCH_ROWS = 20_000


def _branch(
    rank: int, source: Sql, conditions: Sequence[Sql], after: Sequence[Any] | None, doc: Sql, limit: int
) -> Sql:
    if after is not None:
        if rank < int(after[0]):
            conditions = [*conditions, Sql("FALSE")]  # a rank already served
        elif rank == int(after[0]):
            conditions = [*conditions, Sql("(m.sort_key, m.id) > ({key}::text, {id}::uuid)", key=after[1], id=after[2])]
    return Sql(
        "(SELECT {doc} AS doc, {rank} AS k0, m.sort_key AS k1, m.id AS k2 FROM {source} WHERE {where} "
        "ORDER BY m.sort_key, m.id LIMIT {limit})",
        doc=doc,
        rank=Sql(str(int(rank))),
        source=source,
        where=Sql.all(conditions),
        limit=limit,
    )


async def _broad(conn: Querier, pattern: str) -> bool:
    """Whether the planner expects the term to match many members (then name order is read from the index)."""
    estimate = await estimated_rows(
        conn, Sql("SELECT 1 FROM members WHERE name_folded LIKE coso_fold({pattern})", pattern=pattern)
    )
    return estimate > BROAD_SEARCH_ROWS


async def search_members(conn: Querier, query: MemberQuery, *, scope: Scope) -> list[Record]:
    """A page of (doc, k0, k1, k2) rows: rank, sort key, id."""
    assert query.q is not None
    doc = member_doc(pii=query.pii, state="st" if query.as_of else "m", day=query.as_of)
    ranges = scope_ranges(scope, query.as_of)
    after = list(query.after) if query.after is not None else None
    exact = Sql("m.sort_key = {key}::text", key=query.q_sort_key or "")
    folded = Sql("m.name_folded = coso_fold({q}::text)", q=query.q)
    chosen = selection(query, scope)
    rows = await fetch(
        conn,
        Sql(
            "{with_} SELECT * FROM ({first} UNION ALL {second}) found ORDER BY k0, k1, k2 LIMIT {limit}",
            with_=with_ctes(ranges),
            limit=query.limit,
            first=_branch(0, chosen.source, [*chosen.where, exact], after, doc, query.limit),
            second=_branch(
                1, chosen.source, [*chosen.where, folded, Sql("NOT {exact}", exact=exact)], after, doc, query.limit
            ),
        ),
    )
    if len(rows) >= query.limit or (after is not None and int(after[0]) > 2):
        return rows
    # The exact matches did not fill the page: the other matches follow (reading them is the costly part, so it
    # is done only when a page reaches them).
    pattern = "%" + escape_like(query.q) + "%"
    like = Sql("m.name_folded LIKE coso_fold({pattern})", pattern=pattern)
    others = [Sql("NOT {folded}", folded=folded)]
    hits = None
    if await _broad(conn, pattern):
        narrowed = chosen
        others.append(like)
    else:
        hits = Sql("hits AS MATERIALIZED (SELECT m.id FROM members m WHERE {like})", like=like)
        narrowed = selection(query, scope, members=Sql("hits JOIN members m ON m.id = hits.id"))
    more = await fetch(
        conn,
        Sql(
            "{with_} {rest}",
            with_=with_ctes(ranges, hits),
            rest=_branch(2, narrowed.source, [*narrowed.where, *others], after, doc, query.limit - len(rows)),
        ),
    )
    return [*rows, *more]
