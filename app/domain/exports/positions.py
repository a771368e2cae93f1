"""The exports of a unit's leadership seats held on a day (GET /organizations/{id}/positions: the JSON list's rows
from its query, secretary first) and of a member's seats and public posts (GET /members/{id}/positions); positions
and posts as their Vietnamese titles under `headers=vi`."""

import uuid
from collections.abc import AsyncIterator
from datetime import date

import asyncpg

from app.db.positions import queries as db
from app.db.scope import Scope
from app.domain.exports.columns import Column, fields
from app.domain.exports.files import Export, Wanted, export, file_name, place_name
from app.domain.exports.writers import Field, Row
from app.domain.organizations import tree
from app.domain.positions.service import POSITION_LABELS, POST_LABELS, visible_member

COLUMNS = [
    Column("kind", "Loại", labels={"position": "Chức vụ đảng", "post": "Chức danh kiêm nhiệm"}),
    Column("id", "Mã chức vụ"),
    Column("member_id", "Mã đảng viên"),
    Column("full_name", "Họ và tên"),
    Column("organization_id", "Mã tổ chức"),
    Column("organization_code", "Mã số tổ chức"),
    Column("organization_name", "Tên tổ chức"),
    Column("position", "Chức vụ", labels=POSITION_LABELS),
    Column("post", "Chức danh chính quyền, đoàn thể", labels=POST_LABELS),
    Column("place", "Nơi đảm nhiệm"),
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

    return export(pool, name=name, wanted=wanted, fields=_fields(wanted, posts=False), title="Chức vụ", rows=rows)


def _fields(wanted: Wanted, *, posts: bool) -> list[Field]:
    """A unit's seats have no kind, post or place; a member's list has both kinds of row."""
    chosen = COLUMNS if posts else [c for c in COLUMNS if c.key not in ("kind", "post", "place")]
    return fields(chosen, pii=True, headers=wanted.header_words)


async def export_member_positions(pool: asyncpg.Pool, *, scope: Scope, member_id: uuid.UUID, wanted: Wanted) -> Export:
    """GET /members/{id}/positions as one table: the member's seats (`kind` position), then public posts (`post`),
    each oldest first; a column one kind has not is blank in the other's rows."""
    await visible_member(pool, scope, member_id)
    name = file_name("positions", f"member-{member_id}", wanted.today, wanted.fmt)

    async def rows(conn: asyncpg.Connection) -> AsyncIterator[Row]:
        async for record in db.stream_member_seats_and_posts(conn, member_id):
            row = dict(record.items())
            yield {c.key: None for c in COLUMNS} | row | {"kind": "position" if "position" in row else "post"}

    return export(pool, name=name, wanted=wanted, fields=_fields(wanted, posts=True), title="Chức vụ", rows=rows)
