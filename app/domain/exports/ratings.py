"""The exports of the rating lists: a unit's member ratings of a period (GET /organizations/{id}/member_ratings),
a member's ratings and an organisation's own (GET …/ratings). The rows are the JSON list's, from the same query
in the same order; a member's score, comment and sick leave are personal (app/domain/audit/service.py
RATING_PERSONAL): without pii those columns are left out, and a person's export of them is a sensitive read."""

import uuid
from collections.abc import AsyncIterator, Mapping
from datetime import datetime
from typing import Any

import asyncpg

from app.db.ratings import queries as db
from app.db.scope import Scope
from app.domain.access.callers import Caller
from app.domain.audit.service import RATING_PERSONAL
from app.domain.exports.columns import Column, fields
from app.domain.exports.files import Export, SensitiveRead, Wanted, export, file_name, place_name
from app.domain.exports.writers import Row
from app.domain.organizations import tree
from app.domain.ratings import service
from app.domain.ratings.bands import BAND_LABELS, REASON_LABELS

_HEADERS = {
    "id": "Mã bản ghi",
    "member_id": "Mã đảng viên",
    "full_name": "Họ và tên",
    "organization_id": "Mã tổ chức",
    "organization_code": "Mã số tổ chức",
    "organization_name": "Tên tổ chức",
    "period": "Kỳ đánh giá",
    "period_end": "Ngày cuối kỳ",
    "score": "Điểm",
    "rating": "Xếp loại",
    "not_rated_reason": "Lý do không xếp loại",
    "comment": "Nhận xét",
    "rated_on": "Ngày đánh giá",
    "sick_leave_months": "Số tháng nghỉ ốm",
    "created_at": "Tạo lúc",
    "updated_at": "Cập nhật lúc",
    "version": "Phiên bản",
}
_LABELS: dict[str, Mapping[Any, str]] = {"rating": BAND_LABELS, "not_rated_reason": REASON_LABELS}


def rating_columns(*, personal: bool) -> list[Column]:
    """A rating's columns; `personal`: a member's ratings, whose RATING_PERSONAL columns need pii."""
    return [
        Column(key, vi, labels=_LABELS.get(key), sensitive=personal and key in RATING_PERSONAL)
        for key, vi in _HEADERS.items()
    ]


async def export_unit_member_ratings(
    pool: asyncpg.Pool,
    *,
    caller: Caller,
    scope: Scope,
    organization_id: uuid.UUID,
    period: str,
    wanted: Wanted,
    updated_since: datetime | None = None,
) -> Export:
    path, end = await service.period_unit(pool, scope=scope, organization_id=organization_id, period=period)
    place = await place_name(pool, scope=scope, unit=organization_id)
    name = file_name(f"member-ratings-{period}", place, wanted.today, wanted.fmt)

    async def rows(conn: asyncpg.Connection) -> AsyncIterator[Row]:
        async for row in db.stream_member_ratings(
            conn, path=path, period=period, period_end=end, updated_since=updated_since
        ):
            yield service.listed_rating(row, pii=caller.pii)

    async def count(conn: asyncpg.Connection) -> int:
        return await db.count_member_ratings(
            conn, path=path, period=period, period_end=end, updated_since=updated_since
        )

    return export(
        pool,
        name=name,
        wanted=wanted,
        fields=fields(rating_columns(personal=True), pii=caller.pii, headers=wanted.header_words),
        title="Đánh giá đảng viên",
        rows=rows,
        sensitive=SensitiveRead(caller, "rating", count),
    )


async def export_ratings_of(
    pool: asyncpg.Pool,
    *,
    caller: Caller,
    scope: Scope,
    member_id: uuid.UUID | None = None,
    organization_id: uuid.UUID | None = None,
    wanted: Wanted,
    updated_since: datetime | None = None,
) -> Export:
    """A member's ratings (`member_id`) or an organisation's own (`organization_id`), oldest period first."""
    if member_id is not None:
        await service.check_member(pool, scope=scope, member_id=member_id)
        name = file_name("ratings", f"member-{member_id}", wanted.today, wanted.fmt)
    else:
        assert organization_id is not None
        await tree.placed(pool, organization_id, scope=scope, as_of=None)
        name = file_name("ratings", await place_name(pool, scope=scope, unit=organization_id), wanted.today, wanted.fmt)
    personal = member_id is not None
    pii = caller.pii or not personal

    async def rows(conn: asyncpg.Connection) -> AsyncIterator[Row]:
        async for row in db.stream_ratings_of(
            conn, member_id=member_id, org_id=organization_id, updated_since=updated_since
        ):
            yield service.rating_view(row, pii=pii)

    async def count(conn: asyncpg.Connection) -> int:
        return await db.count_ratings_of(conn, member_id=member_id, org_id=organization_id, updated_since=updated_since)

    return export(
        pool,
        name=name,
        wanted=wanted,
        fields=fields(rating_columns(personal=personal), pii=pii, headers=wanted.header_words),
        title="Đánh giá",
        rows=rows,
        sensitive=SensitiveRead(caller, "rating", count) if personal else None,
    )
