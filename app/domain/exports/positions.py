"""The export of a unit's leadership seats held on a day (GET /organizations/{id}/positions): the JSON list's rows
from its query, secretary first; positions as their Vietnamese titles under `headers=vi`."""

import uuid
from collections.abc import AsyncIterator
from datetime import date

import asyncpg

from app.db.positions import queries as db
from app.db.scope import Scope
from app.domain.exports.columns import Column, fields
from app.domain.exports.files import Export, Wanted, export, file_name, place_name
from app.domain.exports.writers import Row
from app.domain.organizations import tree
from app.domain.positions.service import POSITION_LABELS

COLUMNS = [
    Column("id", "Mã chức vụ"),
    Column("member_id", "Mã đảng viên"),
    Column("full_name", "Họ và tên"),
    Column("organization_id", "Mã tổ chức"),
    Column("organization_code", "Mã số tổ chức"),
    Column("organization_name", "Tên tổ chức"),
    Column("position", "Chức vụ", labels=POSITION_LABELS),
    Column("valid_from", "Từ ngày"),
    Column("valid_to", "Đến ngày"),
    Column("decision_ref", "Quyết định"),
    Column("end_decision_ref", "Quyết định thôi giữ"),
    Column("version", "Phiên bản"),
]


async def export_positions(
    pool: asyncpg.Pool, *, scope: Scope, organization_id: uuid.UUID, on: date | None, wanted: Wanted
) -> Export:
    day = on or wanted.today
    await tree.placed(pool, organization_id, scope=scope, as_of=day)
    name = file_name("positions", await place_name(pool, scope=scope, unit=organization_id), day, wanted.fmt)

    async def rows(conn: asyncpg.Connection) -> AsyncIterator[Row]:
        async for record in db.stream_positions_of_organization(conn, organization_id, on=day):
            yield dict(record.items())

    return export(
        pool,
        name=name,
        wanted=wanted,
        fields=fields(COLUMNS, pii=True, headers=wanted.header_words),
        title="Chức vụ",
        rows=rows,
    )
