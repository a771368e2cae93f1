"""Periods of an indicator query: years ("2024"), quarters ("2024Q3") and DHIS2's relative ones, each made of
quarters numbered year × 4 + (quarter − 1), as the database keeps them."""

import re
from dataclasses import dataclass
from datetime import date, timedelta

from app.domain.errors import RuleViolation
from app.domain.indicators.catalogue import PeriodType

_YEAR = re.compile(r"^(\d{4})$")
_QUARTER = re.compile(r"^(\d{4})Q([1-4])$")
RELATIVE = ("THIS_YEAR", "LAST_YEAR", "LAST_5_YEARS", "THIS_QUARTER", "LAST_QUARTER", "LAST_4_QUARTERS")


@dataclass(frozen=True)
class Period:
    id: str
    type: PeriodType
    year: int
    quarters: tuple[int, ...]

    @property
    def first(self) -> int:
        return self.quarters[0]

    @property
    def last(self) -> int:
        return self.quarters[-1]

    @property
    def start(self) -> date:
        return quarter_start(self.first)

    @property
    def end(self) -> date:
        return quarter_end(self.last)


def quarter_start(quarter: int) -> date:
    return date(quarter // 4, quarter % 4 * 3 + 1, 1)


def quarter_end(quarter: int) -> date:
    return quarter_start(quarter + 1) - timedelta(days=1)


def year(y: int) -> Period:
    return Period(str(y), PeriodType.year, y, tuple(y * 4 + q for q in range(4)))


def quarter(q: int) -> Period:
    return Period(f"{q // 4}Q{q % 4 + 1}", PeriodType.quarter, q // 4, (q,))


def _relative(name: str, today: date) -> list[Period]:
    this_quarter = today.year * 4 + (today.month - 1) // 3
    return {
        "THIS_YEAR": [year(today.year)],
        "LAST_YEAR": [year(today.year - 1)],
        "LAST_5_YEARS": [year(today.year - k) for k in range(5, 0, -1)],
        "THIS_QUARTER": [quarter(this_quarter)],
        "LAST_QUARTER": [quarter(this_quarter - 1)],
        "LAST_4_QUARTERS": [quarter(this_quarter - k) for k in range(4, 0, -1)],
    }[name]


def parse(values: list[str], *, today: date, window: tuple[int, int]) -> list[Period]:
    """The periods asked for, in the order asked, each once. Unknown forms and periods outside the quarters the
    database keeps are 422 problems saying what is accepted."""
    periods: list[Period] = []
    for raw in values:
        value = raw.strip().upper()
        if (m := _YEAR.match(value)) is not None:
            found = [year(int(m.group(1)))]
        elif (m := _QUARTER.match(value)) is not None:
            found = [quarter(int(m.group(1)) * 4 + int(m.group(2)) - 1)]
        elif value in RELATIVE:
            found = _relative(value, today)
        else:
            raise RuleViolation(
                f"Period {raw!r} is not understood; use a year (2024), a quarter (2024Q3) or one of "
                f"{', '.join(RELATIVE)}.",
                code="invalid_period",
            )
        periods.extend(p for p in found if p not in periods)
    low, high = window
    for p in periods:
        # The end of the period before is read for rates: it must be kept too, except for the window's first one.
        if p.first < low or p.last > high:
            raise RuleViolation(
                f"Period {p.id} is outside the quarters kept for indicators ({quarter(low).id}–{quarter(high).id}).",
                code="period_outside_window",
            )
    if not periods:
        raise RuleViolation("Name at least one period.", code="invalid_period")
    return periods
