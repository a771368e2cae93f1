"""The export of the audit log: the entries GET /audit lists (same filters, same scope, newest first), shown to
the caller exactly as its JSON shows them (app/domain/audit/service.py `shown_entries`: sensitive values and a
member rating's score and comment hidden without pii, units outside the scope nulled, `redacted` saying what),
batch by batch as they come from the cursor. `before` and `after` are JSON text in a CSV or XLSX cell."""

from collections.abc import AsyncIterator

import asyncpg

from app.db.audit import queries as db
from app.db.scope import Scope
from app.domain.access.callers import Caller
from app.domain.audit.service import AuditFilters, shown_entries
from app.domain.exports.columns import Column, fields
from app.domain.exports.files import Export, SensitiveRead, Wanted, export, file_name, place_name
from app.domain.exports.writers import BATCH_ROWS, Row

COLUMNS = [
    Column("id", "Số thứ tự"),
    Column("at", "Thời điểm"),
    Column("actor_kind", "Loại người thực hiện", labels={"key": "Khóa API", "jwt": "Người dùng", "system": "Hệ thống"}),
    Column("actor_id", "Người thực hiện"),
    Column("actor_name", "Tên người thực hiện"),
    Column("request_id", "Mã yêu cầu"),
    Column("action", "Thao tác"),
    Column("entity", "Đối tượng"),
    Column("entity_id", "Mã đối tượng"),
    Column("organization_id", "Tổ chức"),
    Column("related_organization_id", "Tổ chức liên quan"),
    Column("before", "Trước"),
    Column("after", "Sau"),
    Column("redacted", "Đã ẩn"),
]


async def export_audit(
    pool: asyncpg.Pool,
    *,
    caller: Caller,
    scope: Scope,
    wanted: Wanted,
    query: AuditFilters,
) -> Export:
    name = file_name("audit", await place_name(pool, scope=scope, unit=None), wanted.today, wanted.fmt)

    async def rows(conn: asyncpg.Connection) -> AsyncIterator[Row]:
        batch: list[str] = []
        async for record in db.stream_entries(conn, query, scope=scope):
            batch.append(record["doc"])
            if len(batch) >= BATCH_ROWS:
                for entry in (await shown_entries(conn, batch, caller=caller, scope=scope))[0]:
                    yield entry
                batch = []
        for entry in (await shown_entries(conn, batch, caller=caller, scope=scope))[0]:
            yield entry

    async def count(conn: asyncpg.Connection) -> int:
        return await db.count_entries(conn, query, scope=scope)

    return export(
        pool,
        name=name,
        wanted=wanted,
        fields=fields(COLUMNS, pii=caller.pii, headers=wanted.header_words),
        title="Nhật ký",
        rows=rows,
        sensitive=SensitiveRead(caller, "member", count),
    )
