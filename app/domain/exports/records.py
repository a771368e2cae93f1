"""The exports of what an organisation keeps (GET /organizations/{id}/regulations, …/inspections, …/terms): the
JSON list's rows from its query, oldest first."""

import uuid
from collections.abc import AsyncIterator
from typing import Literal

import asyncpg

from app.db.records import queries as db
from app.db.scope import Scope
from app.domain.exports.columns import Column, fields
from app.domain.exports.files import Export, Wanted, export, file_name, place_name
from app.domain.exports.writers import Row
from app.domain.organizations import tree

RecordKind = Literal["regulations", "inspections", "terms"]

COLUMNS: dict[RecordKind, list[Column]] = {
    "regulations": [
        Column("id", "Mã"),
        Column("organization_id", "Tổ chức"),
        Column("issued_on", "Ngày ban hành"),
        Column("reference", "Số hiệu"),
        Column("title", "Tên quy chế"),
        Column("created_at", "Ghi lúc"),
    ],
    "inspections": [
        Column("id", "Mã"),
        Column("organization_id", "Tổ chức"),
        Column("inspecting_body", "Cơ quan kiểm tra"),
        Column("year", "Năm"),
        Column("inspected_on", "Ngày kiểm tra"),
        Column("conclusion", "Kết luận"),
        Column("reference", "Số hiệu"),
        Column("created_at", "Ghi lúc"),
    ],
    "terms": [
        Column("id", "Mã"),
        Column("organization_id", "Tổ chức"),
        Column("label", "Nhiệm kỳ"),
        Column("starts_on", "Từ ngày"),
        Column("ends_on", "Đến ngày"),
        Column("created_at", "Ghi lúc"),
    ],
}
TITLES: dict[RecordKind, str] = {"regulations": "Quy chế", "inspections": "Kiểm tra", "terms": "Nhiệm kỳ"}


async def export_records(
    pool: asyncpg.Pool, *, scope: Scope, organization_id: uuid.UUID, kind: RecordKind, wanted: Wanted
) -> Export:
    await tree.placed(pool, organization_id, scope=scope, as_of=None)
    name = file_name(kind, await place_name(pool, scope=scope, unit=organization_id), wanted.today, wanted.fmt)

    async def rows(conn: asyncpg.Connection) -> AsyncIterator[Row]:
        async for record in db.stream_records(conn, kind, organization_id):
            yield dict(record.items())

    fields_ = fields(COLUMNS[kind], pii=True, headers=wanted.header_words)
    return export(pool, name=name, wanted=wanted, fields=fields_, title=TITLES[kind], rows=rows)
