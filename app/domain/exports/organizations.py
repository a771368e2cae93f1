"""The export of an organisation listing: the same filters, scope and structure date as GET /organizations, every
unit in tree order, with its parent's code beside its parent's id (a file an office can read without lookups)."""

from collections.abc import AsyncIterator
from datetime import date

import asyncpg

from app.db.organizations import exports as db
from app.db.scope import Scope
from app.domain.exports.columns import cell_text
from app.domain.exports.files import Export, Wanted, export, file_name, place_name
from app.domain.exports.writers import Field, Format, Row
from app.domain.organizations.tree import OrganizationFilters, list_query

FIELDS = [
    Field(key, key, cell_text)
    for key in (
        "id",
        "code",
        "name",
        "kind",
        "category",
        "parent_id",
        "parent_code",
        "depth",
        "valid_from",
        "valid_to",
        "external_ids",
    )
]


async def export_organizations(
    pool: asyncpg.Pool, *, scope: Scope, filters: OrganizationFilters, fmt: Format, today: date
) -> Export:
    """Checks the filters now; the rows are read when the body is iterated, in one snapshot."""
    query = await list_query(pool, scope=scope, filters=filters)
    place = await place_name(pool, scope=scope, unit=filters.within or filters.parent_id)
    name = file_name("organizations", place, filters.as_of or today, fmt)

    async def rows(conn: asyncpg.Connection) -> AsyncIterator[Row]:
        async for row in db.export_organizations(conn, query, scope=scope):
            yield dict(row.items())

    wanted = Wanted(fmt, "en", today, None)
    return export(pool, name=name, wanted=wanted, fields=FIELDS, title="Tổ chức đảng", rows=rows)
