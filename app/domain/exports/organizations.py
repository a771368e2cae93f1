"""The export of an organisation listing: the same filters, scope and structure date as GET /organizations, every
unit in tree order, with its parent's code beside its parent's id (a file an office can read without lookups)."""

from collections.abc import AsyncGenerator
from datetime import date

import asyncpg

from app.db.organizations import exports as db
from app.db.scope import Scope
from app.db.sql import snapshot
from app.domain.exports.files import Export, file_name, place_name
from app.domain.exports.writers import MEDIA, Field, Format, Row, write
from app.domain.organizations.tree import OrganizationFilters, list_query


def _text(value: object) -> str:
    if isinstance(value, list):
        return "; ".join(str(v) for v in value)
    if isinstance(value, date):
        return value.isoformat()
    return str(value)


FIELDS = [
    Field(key, key, _text)
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

    async def rows() -> AsyncGenerator[Row]:
        async with snapshot(pool) as conn:
            async for row in db.export_organizations(conn, query, scope=scope):
                yield dict(row.items())

    return Export(filename=name, media_type=MEDIA[fmt], body=write(fmt, FIELDS, rows(), title="Tổ chức đảng"))
