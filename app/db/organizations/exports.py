"""The rows of an organisation export (the listing's filters, scope and structure date; every row, in tree order,
from a server-side cursor), and the code a file name shows for a unit."""

import uuid
from collections.abc import AsyncIterator

import asyncpg

from app.db.organizations.reads import PLACED, ListQuery, escape_like, list_filters, name_or_code_like
from app.db.scope import Scope, scope_ranges, with_ctes
from app.db.sql import Querier, Record, Sql, fetchval, stream


async def code_of(conn: Querier, org_id: uuid.UUID) -> str | None:
    code: str | None = await fetchval(conn, Sql("SELECT code FROM organizations WHERE id = {id}", id=org_id))
    return code


def export_organizations(conn: asyncpg.Connection, query: ListQuery, *, scope: Scope) -> AsyncIterator[Record]:
    """Every unit of the listing in tree order (with `q`: every match, in tree order rather than by relevance)."""
    where = list_filters(query, scope)
    if query.q:
        where.append(name_or_code_like("%" + escape_like(query.q) + "%"))
    return stream(
        conn,
        Sql(
            "{with_} SELECT o.id, o.code, o.name, o.kind, o.category, p.parent_id, parent.code AS parent_code, "
            "p.depth, o.valid_from, o.valid_to, coalesce((SELECT array_agg(e.external_id ORDER BY e.external_id) "
            "FROM organization_external_ids e WHERE e.organization_id = o.id), '{{}}') AS external_ids "
            "FROM {placed} LEFT JOIN organizations parent ON parent.id = p.parent_id WHERE {where} ORDER BY p.path",
            with_=with_ctes(scope_ranges(scope, query.as_of)),
            placed=PLACED,
            where=Sql.all(where),
        ),
    )
