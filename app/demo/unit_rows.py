"""The rows the demo's records generator (units.py) produces, and the periods it reads."""

import uuid
from dataclasses import dataclass, field
from datetime import date


@dataclass(frozen=True)
class Stay:
    """One member period as stored (the unit as a code), with the member's admission date."""

    member_id: uuid.UUID
    valid_from: date
    valid_to: date | None
    unit: str
    status: str
    exempt: bool
    suspended: bool
    admitted: date | None


@dataclass(frozen=True)
class Seat:
    member_id: uuid.UUID
    unit: str
    position: str
    valid_from: date
    valid_to: date | None
    decision_ref: str


@dataclass(frozen=True)
class PostHeld:
    member_id: uuid.UUID
    post: str
    place: str
    unit: str
    valid_from: date
    valid_to: date | None
    decision_ref: str


@dataclass(frozen=True)
class RatingRow:
    member_id: uuid.UUID | None
    unit: str
    period: str
    period_end: date
    score: int | None
    rating: str | None
    not_rated_reason: str | None
    rated_on: date | None


@dataclass(frozen=True)
class Regulation:
    unit: str
    issued_on: date
    reference: str
    title: str


@dataclass(frozen=True)
class InspectionRow:
    unit: str
    year: int
    inspected_on: date
    conclusion: str
    reference: str
    body: str  # the inspecting body


@dataclass(frozen=True)
class Term:
    unit: str
    label: str
    starts_on: date
    ends_on: date | None


@dataclass
class DemoRecords:
    seats: list[Seat] = field(default_factory=list)
    posts: list[PostHeld] = field(default_factory=list)
    ratings: list[RatingRow] = field(default_factory=list)
    regulations: list[Regulation] = field(default_factory=list)
    inspections: list[InspectionRow] = field(default_factory=list)
    terms: list[Term] = field(default_factory=list)
    no_secretary: list[str] = field(default_factory=list)  # cell codes, for tests
    without_committee: list[str] = field(default_factory=list)
    over_quota: str | None = None


@dataclass(frozen=True)
class _Stretch:
    """A time a member was eligible for a seat in a unit, [start, end)."""

    member_id: uuid.UUID
    start: date
    end: date | None


def _covers(start: date, end: date | None, day: date) -> bool:
    return start <= day and (end is None or end > day)


def _overlaps(a: tuple[date, date | None], b: tuple[date, date | None]) -> bool:
    return (b[1] is None or a[0] < b[1]) and (a[1] is None or b[0] < a[1])


START = date(2020, 1, 1)


RATED_YEARS = range(2021, 2026)


INSPECTED_YEARS = range(2020, 2026)


INSPECTING_BODY = "Ủy ban Kiểm tra Đảng ủy Khối"
# From the bloc's end (2025): the inspection commissions of the two new committees, by where the unit went.
INSPECTING_BODIES_2025 = {
    "DCQD": "Ủy ban Kiểm tra Đảng ủy các cơ quan Đảng tỉnh",
    "DUBND": "Ủy ban Kiểm tra Đảng ủy Ủy ban nhân dân tỉnh",
}


WITHOUT_COMMITTEE = 3


REGULATION_GAPS = 8


POSTS = 6


OVER_QUOTA_PERIOD = "2024"


COMMITTEE_KINDS = ("grassroots_committee", "partial_committee")


CELL_KINDS = ("grassroots_cell", "subordinate_cell")


GRASSROOTS_KINDS = ("grassroots_committee", "grassroots_cell")


RATED_UNIT_KINDS = ("grassroots_committee", "grassroots_cell", "subordinate_cell")


CONCLUSIONS = (
    "Thực hiện tốt nguyên tắc tập trung dân chủ và quy chế làm việc; công tác quản lý đảng viên chặt chẽ.",
    "Cơ bản thực hiện tốt; cần kịp thời công nhận đảng viên chính thức đúng thời hạn.",
    "Cơ bản thực hiện tốt; sinh hoạt chi bộ cần nâng cao chất lượng, nội dung chuyên đề.",
    "Có thiếu sót trong việc thu, nộp đảng phí; yêu cầu rút kinh nghiệm và khắc phục.",
)
