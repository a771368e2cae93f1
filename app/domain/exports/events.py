"""The export of a member's history (GET /members/{id}/history): every recorded step, oldest first, from the same
query as the JSON list; a disciplinary event's file (decision, note, details) only with pii, blank otherwise as
in the JSON (`details_hidden` says so). Event kinds as their Vietnamese labels under `headers=vi`."""

import uuid
from collections.abc import AsyncIterator

import asyncpg
import orjson

from app.db.members import reads as db
from app.db.scope import Scope
from app.domain.access.callers import Caller
from app.domain.exports.columns import Column, fields
from app.domain.exports.files import Export, Wanted, export, file_name
from app.domain.exports.writers import Row
from app.domain.members import reads
from app.domain.members.lifecycle import LABELS_VI

COLUMNS = [
    Column("id", "Mã sự kiện"),
    Column("kind", "Sự kiện", labels=LABELS_VI),
    Column("event_date", "Ngày"),
    Column("decision_ref", "Số quyết định"),
    Column("note", "Ghi chú"),
    Column("from_organization_id", "Từ tổ chức"),
    Column("to_organization_id", "Đến tổ chức"),
    Column("details", "Chi tiết"),
    Column("details_hidden", "Đã ẩn chi tiết"),
    Column("recorded_by", "Người ghi"),
    Column("recorded_at", "Ghi lúc"),
]


async def export_history(
    pool: asyncpg.Pool, *, caller: Caller, scope: Scope, member_id: uuid.UUID, wanted: Wanted
) -> Export:
    await reads.check_member(pool, scope=scope, member_id=member_id)
    name = file_name("history", f"member-{member_id}", wanted.today, wanted.fmt)

    async def rows(conn: asyncpg.Connection) -> AsyncIterator[Row]:
        async for record in db.stream_history(conn, member_id, pii=caller.pii, discipline=reads.HISTORY_DISCIPLINE):
            yield orjson.loads(record[0])

    return export(
        pool,
        name=name,
        wanted=wanted,
        fields=fields(COLUMNS, pii=caller.pii, headers=wanted.header_words),
        title="Lịch sử đảng viên",
        rows=rows,
    )
