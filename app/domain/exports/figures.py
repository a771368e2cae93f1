"""The exports of figures: indicator analytics (GET /indicators/analytics: one row per indicator × period × unit,
its target spread over three columns) and member or unit statistics (GET /statistics/…: one row per count, a
cross-tab's second dimension beside the first). Computed in one snapshot by the very functions the JSON answers
call; indicator codes, units and statuses as Vietnamese words under `headers=vi`."""

from datetime import date
from typing import Any

import asyncpg

from app.db.scope import Scope
from app.domain.access.callers import Caller
from app.domain.exports.columns import Column, fields
from app.domain.exports.files import Export, Wanted, export_figures, file_name, place_name, safe_name
from app.domain.exports.writers import Row
from app.domain.indicators import service as indicators
from app.domain.indicators.catalogue import BY_CODE
from app.domain.statistics import service as statistics

ANALYTICS_COLUMNS = [
    Column("indicator", "Chỉ tiêu", labels={code: i.name_vi for code, i in BY_CODE.items()}),
    Column("period", "Kỳ"),
    Column("organization_id", "Mã tổ chức"),
    Column("organization_code", "Mã số tổ chức"),
    Column("organization_name", "Tên tổ chức"),
    Column("parent_id", "Tổ chức cấp trên"),
    Column("depth", "Cấp"),
    Column("numerator", "Tử số"),
    Column("denominator", "Mẫu số"),
    Column("value", "Giá trị"),
    Column("unit", "Đơn vị", labels={"percent": "%", "count": "Số lượng"}),
    Column("target_comparator", "So sánh với mục tiêu"),
    Column("target_value", "Mục tiêu"),
    Column("target_value_high", "Mục tiêu (cận trên)"),
    Column("met", "Đạt"),
    Column("status", "Kết quả", labels={"met": "Đạt", "above_range": "Vượt khoảng", "not_met": "Không đạt"}),
]

STATISTICS_COLUMNS = [
    Column("dimension", "Tiêu chí"),
    Column("key", "Giá trị"),
    Column("label", "Nhãn"),
    Column("dimension_2", "Tiêu chí 2"),
    Column("key_2", "Giá trị 2"),
    Column("label_2", "Nhãn 2"),
    Column("count", "Số lượng"),
]


async def export_analytics(pool: asyncpg.Pool, *, scope: Scope, query: indicators.Query, wanted: Wanted) -> Export:
    """The cells GET /indicators/analytics answers, in its order (`query` as the route builds it for the JSON)."""

    async def compute(conn: asyncpg.Connection) -> list[Row]:
        items = await indicators.analytics(conn, scope=scope, query=query, today=wanted.today)
        return [indicators.flat_cell(item) for item in items]

    place = await place_name(pool, scope=scope, unit=query.unit_id)
    what = "indicators-" + "-".join(safe_name(i.code) for i in query.indicators)[:80]
    return await export_figures(
        pool,
        name=file_name(what, place, wanted.today, wanted.fmt),
        wanted=wanted,
        fields=fields(ANALYTICS_COLUMNS, pii=True, headers=wanted.header_words),
        title="Chỉ tiêu",
        compute=compute,
    )


def _count_rows(doc: dict[str, Any]) -> list[Row]:
    """The counts of a statistics answer, one row each (with two `by`: one per cell of the cross-tab)."""
    by = [str(d) for d in doc["by"]]
    rows: list[Row] = []
    for item in doc["items"]:
        first = {"dimension": by[0], "key": item["key"], "label": item["label"]}
        if item.get("items") is None:
            rows.append({**first, "dimension_2": None, "key_2": None, "label_2": None, "count": item["count"]})
            continue
        for inner in item["items"]:
            rows.append(
                {
                    **first,
                    "dimension_2": by[1],
                    "key_2": inner["key"],
                    "label_2": inner["label"],
                    "count": inner["count"],
                }
            )
    return rows


async def export_statistics(
    pool: asyncpg.Pool,
    *,
    caller: Caller,
    scope: Scope,
    of: str,
    organization: str | None,
    as_of: date,
    by: list[Any],
    wanted: Wanted,
) -> Export:
    """GET /statistics/members (`of="members"`) or /statistics/organizations as rows of counts."""

    async def compute(conn: asyncpg.Connection) -> list[Row]:
        if of == "members":
            doc = await statistics.member_statistics(
                conn, caller=caller, scope=scope, organization=organization, as_of=as_of, by=by
            )
        else:
            doc = await statistics.organization_statistics(
                conn, scope=scope, organization=organization, as_of=as_of, by=by
            )
        return _count_rows(doc)

    place = safe_name(organization) if organization else await place_name(pool, scope=scope, unit=None)
    return await export_figures(
        pool,
        name=file_name(f"{of}-statistics", place, as_of, wanted.fmt),
        wanted=wanted,
        fields=fields(STATISTICS_COLUMNS, pii=True, headers=wanted.header_words),
        title="Thống kê",
        compute=compute,
    )
