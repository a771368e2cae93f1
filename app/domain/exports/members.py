"""The export of a member listing: the same filters, scope and `as_of` as GET /members, every row, in the columns
the member import reads (app/domain/imports/columns.py), so that the file re-imported changes nothing.

Headers `vi` (the default: what an office opens in Excel, the template's headers, enumerated values as their
Vietnamese labels) or `en` (the API's snake_case names and codes, for another system); the import reads both.
Dates are ISO in CSV, date cells (shown DD/MM/YYYY) in XLSX. NDJSON always has the API's names and codes. The
registration-only columns (`since`, `decision_ref`) are left out: they describe a creation, not a record, and an
import ignores them on an update. Without `pii` the sensitive columns are left out, not blank."""

from collections.abc import AsyncIterator, Callable
from datetime import date
from typing import Any

import asyncpg

from app.db.members import exports as db
from app.db.scope import Scope
from app.domain.access.callers import Caller
from app.domain.exports.columns import Headers
from app.domain.exports.files import Export, SensitiveRead, Wanted, export, file_name, place_name
from app.domain.exports.writers import Field, Format, Row
from app.domain.imports.columns import MEMBER_COLUMNS, Column, vietnamese_header
from app.domain.imports.members import REGISTRATION_ONLY
from app.domain.members import reads
from app.domain.members.catalogues import CATALOGUES


def _text(column: Column, headers: Headers) -> Callable[[Any], str]:
    if column.kind == "date":
        return lambda value: value.isoformat() if isinstance(value, date) else str(value)
    if column.kind == "list":
        return lambda value: "; ".join(value)
    if column.kind == "code" and headers == "vi":
        labels = CATALOGUES.get(column.field, {})
        return lambda value: labels.get(value, value)
    return str


def member_fields(*, pii: bool, headers: Headers) -> list[Field]:
    """The columns of an export: the import's, in its order."""
    return [
        Field(column.field, vietnamese_header(column) if headers == "vi" else column.field, _text(column, headers))
        for column in MEMBER_COLUMNS
        if column.field not in REGISTRATION_ONLY and (pii or not column.sensitive)
    ]


async def export_members(
    pool: asyncpg.Pool,
    *,
    caller: Caller,
    scope: Scope,
    filters: reads.MemberFilters,
    fmt: Format,
    headers: Headers,
    today: date,
    request_id: str | None,
) -> Export:
    """Checks the filters now (an error is a problem, before any byte is sent); the rows are read when the body is
    iterated, in one snapshot."""
    query = await reads.member_query(pool, caller=caller, scope=scope, filters=filters, today=today)
    place = await place_name(pool, scope=scope, unit=filters.within or filters.organization_id)
    name = file_name("members", place, filters.as_of or today, fmt)

    async def rows(conn: asyncpg.Connection) -> AsyncIterator[Row]:
        async for row in db.export_members(conn, query, scope=scope):
            yield dict(row.items())

    async def count(conn: asyncpg.Connection) -> int:
        return await db.count_members(conn, query, scope=scope)

    return export(
        pool,
        name=name,
        wanted=Wanted(fmt, headers, today, request_id),
        fields=member_fields(pii=caller.pii, headers="en" if fmt == "ndjson" else headers),
        title="Đảng viên",
        rows=rows,
        sensitive=SensitiveRead(caller, "member", count),
    )
