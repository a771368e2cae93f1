"""The import of members' quality ratings (xếp loại chất lượng đảng viên, per year, quarter or term): each row →
the same domain function as POST /members/{id}/ratings (no rating for the period yet) or PUT
/members/{id}/ratings/{period} (one to correct), with every rule of the band. An empty cell keeps what the stored
rating holds; a row identical to it is `unchanged`. Score, comment and sick-leave months are personal data (the
API shows them only with pii): a file with those columns needs pii."""

from dataclasses import dataclass
from typing import Any

from app.db.ratings import queries as db
from app.db.scope import Scope
from app.domain.access.callers import Actor
from app.domain.imports import people
from app.domain.imports.report import Mode, Report
from app.domain.imports.rows import Outcome, RowChecker, RowFailed, each_row, finish, mark_duplicates_in_file
from app.domain.imports.sheet import Column, ImportRow, Layout
from app.domain.ratings import service
from app.domain.ratings.bands import BAND_LABELS, REASON_LABELS, Assessment, Band, NotRatedReason, RatingRules
from app.domain.tx import Tx

__all__ = ["LAYOUT", "Options", "finish", "in_resolve_order", "new_report", "run_rows"]

LAYOUT = Layout(
    kind="ratings",
    noun="rating",
    template="/api/v1/members/ratings/import/template",
    sheet="Xếp loại đảng viên",
    columns=(
        *people.MEMBER_KEY_COLUMNS,
        Column("period", ("Kỳ xếp loại", "Năm", "Năm đánh giá", "Kỳ đánh giá"), kind="period", example="2025"),
        Column(
            "rating",
            ("Xếp loại", "Mức xếp loại", "Xếp loại chất lượng", "Kết quả xếp loại", "Kết quả đánh giá, xếp loại"),
            kind="code",
            example="Hoàn thành tốt nhiệm vụ",
        ),
        Column("score", ("Điểm", "Tổng điểm", "Điểm đánh giá"), kind="number", sensitive=True),
        Column("not_rated_reason", ("Lý do không xếp loại", "Không xếp loại"), kind="code"),
        Column("sick_leave_months", ("Số tháng nghỉ ốm",), kind="number", sensitive=True),
        Column("comment", ("Nhận xét", "Nhận xét, đánh giá"), sensitive=True),
        Column("rated_on", ("Ngày xếp loại", "Ngày đánh giá"), kind="date", example="15/12/2025"),
    ),
    labels={
        "rating": {b.value: label for b, label in BAND_LABELS.items()},
        "not_rated_reason": {r.value: label for r, label in REASON_LABELS.items()},
    },
    read_past=("full_name",),
)
RULE_FIELDS = {
    **people.RULE_FIELDS,
    "bad_period": "period",
    "not_a_member_on_date": "period",
    "not_ratable": "not_rated_reason",
    "not_rated_reason_not_supported": "not_rated_reason",
    "band_above_score": "rating",
    "disciplined_member_band_ceiling": "rating",
    "sick_leave_band_ceiling": "rating",
}
ASSESSMENT = ("score", "rating", "not_rated_reason", "comment", "rated_on", "sick_leave_months")


@dataclass(frozen=True)
class Options:
    mode: Mode
    atomic: bool
    rules: RatingRules


def new_report(options: Options, media: str) -> Report:
    return Report(kind="ratings", format=media, mode=options.mode, atomic=options.atomic)


def _keys(row: ImportRow) -> list[tuple[str, str]]:
    period = str(row.values.get("period", ""))
    return [(k, f"{row.values[k]}@{period}") for k in people.MEMBER_KEYS if k in row.values]


def in_resolve_order(rows: list[ImportRow]) -> list[ImportRow]:
    """A member is rated once a period: a second row for the same key and period is an error."""
    mark_duplicates_in_file(rows, _keys)
    return rows


def _plain(value: Any) -> str | None:
    return None if value is None else str(value.value if isinstance(value, Band | NotRatedReason) else value)


def _merged(stored: dict[str, Any], given: dict[str, Any]) -> dict[str, Any]:
    """The stored assessment with the row's cells over it. A band or score replaces a reason and the reverse; a
    new score without a band drops the stored band (it follows from the score)."""
    merged = dict(stored)
    if "score" in given or "rating" in given:
        merged["not_rated_reason"] = None
    if "score" in given and "rating" not in given:
        merged["rating"] = None
    if "not_rated_reason" in given:
        merged |= {"score": None, "rating": None}
    return merged | given


async def _write(tx: Tx, *, actor: Actor, scope: Scope, row: ImportRow, check: RowChecker, options: Options) -> Outcome:
    checked = check({k: v for k, v in row.values.items() if k not in (*people.MEMBER_KEYS, "full_name")})
    if checked.errors or checked.missing:
        raise RowFailed(checked.errors + checked.missing)
    given = checked.values
    member_id = await people.member_named(tx, scope, row.values)
    period = str(given["period"])
    existing = await db.find_member_rating(tx.conn, member_id, period)
    stored = {k: existing[k] for k in ASSESSMENT} if existing is not None else dict.fromkeys(ASSESSMENT)
    merged = _merged(stored, {k: v for k, v in given.items() if k in ASSESSMENT})
    if existing is not None and all(_plain(merged[k]) == _plain(stored[k]) for k in ASSESSMENT):
        return "unchanged"
    if (merged["score"] is None and merged["rating"] is None) == (merged["not_rated_reason"] is None):
        column = "not_rated_reason" if merged["not_rated_reason"] is not None else "rating"
        raise RowFailed(
            [(column, "score_or_reason", "give a score or a band (rating), or a reason for not rating; not both.")]
        )
    await service.rate_member(
        tx,
        actor=actor,
        scope=scope,
        member_id=member_id,
        period=period,
        assessment=Assessment(
            score=merged["score"],
            not_rated_reason=NotRatedReason(merged["not_rated_reason"]) if merged["not_rated_reason"] else None,
            comment=merged["comment"],
            rated_on=merged["rated_on"],
            band=Band(merged["rating"]) if merged["rating"] else None,
            sick_leave_months=merged["sick_leave_months"],
        ),
        rules=options.rules,
        replace=existing is not None,
    )
    return "updated" if existing is not None else "created"


# Each row through `_write` in its savepoint (rows.run_each).
run_rows = each_row(_write, rule_fields=RULE_FIELDS, sensitive=LAYOUT.sensitive)
