"""Rating bands, periods and the conditions attached to each band beyond the score.

QĐ 366-QĐ/TW (2025) rates on a 100-point scale per term, year or quarter ("theo nhiệm kỳ, hằng năm, hằng quý"); a
band also has conditions the score does not express. Those implemented, thresholds configured (`RatingRules`):

* a member disciplined in the period is not rated above `disciplined_max_band` (HD 21-HD/BTCTW, II.B.2: "Đảng viên
  bị thi hành kỷ luật trong năm" is rated "Không hoàn thành nhiệm vụ"); the discipline is read from the member's
  history (events of `DISCIPLINE_EVENTS` dated in the period);
* a member on sick leave `sick_leave_months` or more in the period is not rated above `sick_leave_max_band` (HD 21,
  II.6: "Đảng viên nghỉ ốm tổng thời gian trong năm từ 03 tháng trở lên thì không xếp loại đạt mức 'Hoàn thành tốt
  nhiệm vụ' trở lên"); the months are recorded with the rating (`sick_leave_months`).

A band may be recorded without a score (some cells record only the band); with both, the band may be lower than the
score's (a condition lowered it), never higher."""

import re
from dataclasses import dataclass
from datetime import date, timedelta
from enum import StrEnum

from app.domain.errors import Conflict, RuleViolation
from app.domain.plans.status import add_months


class Band(StrEnum):
    excellent = "excellent"
    good = "good"
    fulfilled = "fulfilled"
    not_fulfilled = "not_fulfilled"


BAND_LABELS: dict[Band, str] = {
    Band.excellent: "Hoàn thành xuất sắc nhiệm vụ",
    Band.good: "Hoàn thành tốt nhiệm vụ",
    Band.fulfilled: "Hoàn thành nhiệm vụ",
    Band.not_fulfilled: "Không hoàn thành nhiệm vụ",
}
# Lowest first: a band "above" another has a higher rank.
RANK: dict[Band, int] = {Band.not_fulfilled: 0, Band.fulfilled: 1, Band.good: 2, Band.excellent: 3}


class NotRatedReason(StrEnum):
    exempt = "exempt"
    suspended = "suspended"
    admitted_less_than_6_months = "admitted_less_than_6_months"
    organization_less_than_6_months_old = "organization_less_than_6_months_old"
    long_sick_leave = "long_sick_leave"
    maternity_leave = "maternity_leave"


REASON_LABELS: dict[NotRatedReason, str] = {
    NotRatedReason.exempt: "Miễn sinh hoạt",
    NotRatedReason.suspended: "Đình chỉ sinh hoạt",
    NotRatedReason.admitted_less_than_6_months: "Kết nạp chưa đủ 6 tháng",
    NotRatedReason.organization_less_than_6_months_old: "Tổ chức thành lập chưa đủ 6 tháng",
    NotRatedReason.long_sick_leave: "Nghỉ ốm dài ngày",
    NotRatedReason.maternity_leave: "Nghỉ thai sản",
}

# Reasons the records can check (a member's state at the end of the period) and reasons only the cell knows
# (leave is not recorded elsewhere): those are accepted as declared.
MEMBER_REASONS = frozenset(
    {
        NotRatedReason.exempt,
        NotRatedReason.suspended,
        NotRatedReason.admitted_less_than_6_months,
        NotRatedReason.long_sick_leave,
        NotRatedReason.maternity_leave,
    }
)
DECLARED_REASONS = frozenset({NotRatedReason.long_sick_leave, NotRatedReason.maternity_leave})
ORGANIZATION_REASONS = frozenset({NotRatedReason.organization_less_than_6_months_old})
# Events of a member's history that are discipline for the band conditions (kinds the history may not know yet
# are harmless: they match nothing).
DISCIPLINE_EVENTS = ("reprimand", "warning", "dismissal", "suspend", "expel")

PERIOD = re.compile(r"^(\d{4})(?:Q([1-4])|-(\d{4}))?$")


@dataclass(frozen=True)
class RatingRules:
    excellent_min: int = 90
    good_min: int = 70
    fulfilled_min: int = 50
    excellent_quota_percent: float = 20.0
    min_months: int = 6
    disciplined_max_band: Band = Band.not_fulfilled
    sick_leave_months: int = 3
    sick_leave_max_band: Band = Band.fulfilled
    max_term_years: int = 5


@dataclass(frozen=True)
class Assessment:
    """What is being recorded: a score and/or a band, or the reason for not rating; and the rest of the record."""

    score: int | None
    not_rated_reason: NotRatedReason | None
    comment: str | None
    rated_on: date | None
    band: Band | None = None
    sick_leave_months: int | None = None


def period_bounds(period: str, *, max_term_years: int = 5) -> tuple[date, date]:
    """First and last day of "2024", "2024Q2" or the term "2020-2025" (1 January of its first year to 31 December
    of its last)."""
    match = PERIOD.match(period)
    if match is None:
        raise RuleViolation(
            f"A period is a year (2024), a quarter (2024Q2) or a term (2020-2025), not {period!r}.", code="bad_period"
        )
    year = int(match[1])
    if match[3] is not None:
        last = int(match[3])
        if not 1 <= last - year <= max_term_years:
            raise RuleViolation(
                f"A term runs from one year to a later one, at most {max_term_years} years on; not {period!r}.",
                code="bad_period",
            )
        return date(year, 1, 1), date(last, 12, 31)
    if match[2] is None:
        return date(year, 1, 1), date(year, 12, 31)
    start = date(year, 3 * int(match[2]) - 2, 1)
    return start, add_months(start, 3) - timedelta(days=1)


def band(score: int, rules: RatingRules) -> Band:
    if score >= rules.excellent_min:
        return Band.excellent
    if score >= rules.good_min:
        return Band.good
    if score >= rules.fulfilled_min:
        return Band.fulfilled
    return Band.not_fulfilled


def check_band(
    assessment: Assessment, rules: RatingRules, *, subject: str, discipline: list[str] | None = None
) -> Band:
    """The band recorded: the one given, or the score's; refused above the score's band or above a ceiling."""
    scored = band(assessment.score, rules) if assessment.score is not None else None
    chosen = assessment.band or scored
    assert chosen is not None
    if scored is not None and RANK[chosen] > RANK[scored]:
        raise RuleViolation(
            f"A score of {assessment.score} gives {scored.value}; the band cannot be higher ({chosen.value}).",
            code="band_above_score",
        )
    if discipline and RANK[chosen] > RANK[rules.disciplined_max_band]:
        raise Conflict(
            f"{subject} was disciplined in the period ({', '.join(discipline)}): not rated above "
            f"{rules.disciplined_max_band.value} (HD 21-HD/BTCTW II.B.2; COSO_RATING_DISCIPLINED_MAX_BAND).",
            code="disciplined_member_band_ceiling",
            ceiling=rules.disciplined_max_band.value,
        )
    months = assessment.sick_leave_months
    if months is not None and months >= rules.sick_leave_months and RANK[chosen] > RANK[rules.sick_leave_max_band]:
        raise RuleViolation(
            f"{subject} was on sick leave {months} months in the period: from {rules.sick_leave_months} months on, "
            f"not rated above {rules.sick_leave_max_band.value} (HD 21-HD/BTCTW II.6; COSO_RATING_SICK_LEAVE_*).",
            code="sick_leave_band_ceiling",
            ceiling=rules.sick_leave_max_band.value,
        )
    return chosen
