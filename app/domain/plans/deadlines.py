"""Reading a task's deadline line ("Thời gian hoàn thành: Quý IV/2022") into a typed deadline.

Whole wordings are tried first, so "Sau khi Ban Thường vụ Tỉnh ủy chỉ đạo, hướng dẫn" stays one event and
"Theo kế hoạch đào tạo, bồi dưỡng hằng năm" stays one plan reference; only a wording that reads as nothing whole is
split at ",", ";", "và", "hoặc" into a compound, and then only if every part reads on its own."""

import calendar
import re
import unicodedata
from datetime import date

from app.domain.plans.document import DeadlineKind, ParsedDeadline

MAX_DEADLINE_CHARS = 400  # the longest in real plans is about 100; beyond this it is a paragraph, not a deadline
_ROMAN = {"i": 1, "ii": 2, "iii": 3, "iv": 4}
_F = re.IGNORECASE

# Lead-in words before a date-like deadline. "trước" only before a day ("trước ngày 31/12/2023" = by that day);
# "trước tháng 6" or "trước quý III" would mean the period before, which is not what a due date of that period says.
_DO = r"(?:(?:hoàn thành|thực hiện|triển khai|xong)\s+)?"
_BY = _DO + r"(?:(?:chậm nhất|muộn nhất|đến|tới|trong|vào)\s+){0,2}"
_BY_DAY = _DO + r"(?:(?:chậm nhất|muộn nhất|trước|đến|tới|trong|vào)\s+){0,2}"
_SEP = r"(?:\s*[/.-]\s*|\s+năm\s+)"
_UNIT = r"(tháng|ngày|tuần|năm)"

_DAY = re.compile(_BY_DAY + r"(?:ngày\s+)?(\d{1,2})\s*[/.-]\s*(\d{1,2})(?:\s*[/.-]\s*(\d{4}))?", _F)
_DAY_WORDS = re.compile(_BY_DAY + r"ngày\s+(\d{1,2})\s+tháng\s+(\d{1,2})(?:\s+năm\s+(\d{4}))?", _F)
_MONTH = re.compile(_BY + r"(?:(?:hết|cuối)\s+)?tháng\s+(\d{1,2})(?:" + _SEP + r"(\d{4}))?", _F)
_QUARTER = re.compile(
    _BY + r"(?:(?P<part>đầu|giữa|cuối|hết)\s+)?quý\s+(iv|iii|ii|i|[1-4])(?:(?:" + _SEP + r"|\s+)(\d{4}))?", _F
)
_QUARTER_EARLY = {"đầu": 2, "giữa": 1}  # months before the quarter's last that a part of it ends
_MONTHS_OF_YEAR = re.compile(_BY + r"(\d{1,2})\s+tháng\s+(đầu|cuối)\s+năm(?:\s+(\d{4}))?", _F)
_YEAR = re.compile(_BY + r"(?:(?:hết|cuối)\s+)?năm(?:\s+(\d{4}))?|" + _BY + r"(\d{4})", _F)

_DONE = re.compile(r"đã\s+(?:hoàn thành|xong|thực hiện xong|thực hiện|triển khai)", _F)
_ONGOING = re.compile(r"thường xuyên(?:,?\s+liên tục)?|liên tục|hằng ngày|hàng ngày", _F)
_YEARLY = re.compile(r"(?:định kỳ\s+)?(?:hằng|hàng|mỗi)\s+năm", _F)
_PER_TERM = re.compile(r"(?:(?:theo|mỗi|hằng|hàng|trong|cả)\s+)?nhiệm kỳ", _F)
_BY_PLAN = re.compile(r"theo\s+(?:kế hoạch|chương trình|lộ trình|tiến độ)\b.*", _F)

# "Sau 03 tháng kể từ khi có Quy chế mẫu …", "Sau 01 tháng khi có sự chỉ đạo …", "Chậm nhất 30 ngày sau khi …"
_AFTER_N = re.compile(
    r"(?:sau|trong vòng|trong|chậm nhất|không quá)\s+(\d{1,3})\s+"
    + _UNIT
    + r"\s+(?:kể từ khi|kể từ ngày|tính từ khi|tính từ ngày|từ khi|từ ngày|sau khi|kể từ|sau|khi)\s+(?P<event>\D.*)",
    _F,
)
# "Sau khi có Quy định mới của Ban Thường vụ Thị ủy 03 tháng"
_AFTER_EVENT_N = re.compile(r"(?:sau khi|khi)\s+(?P<event>.+?)\s+(\d{1,3})\s+" + _UNIT, _F)
# "Khi có chỉ đạo của tỉnh", "Sau khi Ban Thường vụ Tỉnh ủy chỉ đạo, hướng dẫn", "Sau Đại hội"
_AFTER = re.compile(r"(?:ngay\s+)?(?:sau khi|khi nào|khi|sau)\s+(?P<event>\D.*)", _F)

_SPLIT = re.compile(r"\s*[,;]\s*|\s+(?:và|hoặc)\s+", _F)


def clean_text(text: str) -> str:
    """NFC, emphasis markers gone, one space between words."""
    text = unicodedata.normalize("NFC", text).replace("*", "")
    return " ".join(text.split())


def parse_deadline(text: str, *, issued_on: date | None = None) -> ParsedDeadline:
    """The deadline a wording states; kind `unknown` when it states none this reader knows. `issued_on` supplies
    the year a wording leaves out ("Quý IV" in a plan issued in 2022)."""
    return read_deadline(text, issued_on=issued_on)[0]


def read_deadline(text: str, *, issued_on: date | None = None) -> tuple[ParsedDeadline, str | None]:
    """Like `parse_deadline`, with why the wording was not understood when it was not."""
    wording = clean_text(text)
    if len(wording) > MAX_DEADLINE_CHARS:
        return ParsedDeadline(kind=DeadlineKind.unknown, text=wording), "too long to be a deadline"
    core = wording.rstrip(" .;,:")
    found = _whole(core, wording, issued_on)
    if isinstance(found, ParsedDeadline):
        return found, None
    compound = _compound(core, wording, issued_on)
    if compound is not None:
        return compound, None
    reason = found or (f"deadline not understood: “{wording}”" if wording else "deadline is empty")
    return ParsedDeadline(kind=DeadlineKind.unknown, text=wording), reason


def _whole(core: str, text: str, issued_on: date | None) -> ParsedDeadline | str | None:
    """One reading of the whole wording; a reason string when it is date-like but cannot be dated; else None."""
    for pattern, kind in (
        (_DONE, DeadlineKind.done),
        (_ONGOING, DeadlineKind.ongoing),
        (_YEARLY, DeadlineKind.yearly),
        (_PER_TERM, DeadlineKind.per_term),
        (_BY_PLAN, DeadlineKind.by_plan),
    ):
        if pattern.fullmatch(core):
            return ParsedDeadline(kind=kind, text=text)
    for read in (_read_day, _read_month, _read_quarter, _read_months_of_year, _read_year):
        found = read(core, text, issued_on)
        if found is not None:
            return found
    return _read_event(core, text)


def _compound(core: str, text: str, issued_on: date | None) -> ParsedDeadline | None:
    for separator in _SPLIT.finditer(core):
        left, right = core[: separator.start()], core[separator.end() :]
        first = _whole(left, left, issued_on)
        if not isinstance(first, ParsedDeadline):
            continue
        rest = _whole(right, right, issued_on)
        if not isinstance(rest, ParsedDeadline):
            rest = _compound(right, right, issued_on)
        if isinstance(rest, ParsedDeadline):
            parts = (first, *(rest.parts if rest.kind is DeadlineKind.compound else (rest,)))
            return ParsedDeadline(kind=DeadlineKind.compound, text=text, parts=parts)
    return None


class _LastDay:
    """The last day of a period in a given year (a callable, so years can be resolved against the issue date)."""

    def __init__(self, month: int, day: int | None = None) -> None:
        self.month, self.day = month, day

    def __call__(self, year: int) -> date:
        return date(year, self.month, self.day or calendar.monthrange(year, self.month)[1])


def _resolve_year(year: str | None, issued_on: date | None, last_day: _LastDay) -> int | str:
    """The year as written, or the first year after the plan's issue whose period has not ended by then."""
    if year is not None:
        value = int(year)
        return value if 1900 <= value <= 2200 else f"year {value} is out of range"
    if issued_on is None:
        return "the wording gives no year and the plan's issue date is unknown"
    candidate = issued_on.year
    if last_day(candidate) < issued_on:
        candidate += 1
    return candidate


def _read_day(core: str, text: str, issued_on: date | None) -> ParsedDeadline | str | None:
    match = _DAY.fullmatch(core) or _DAY_WORDS.fullmatch(core)
    if match is None:
        return None
    day, month = int(match[1]), int(match[2])
    if not 1 <= month <= 12 or not 1 <= day <= calendar.monthrange(2000, month)[1]:
        return f"not a valid day: “{text}”"
    year = _resolve_year(match[3], issued_on, _LastDay(month, min(day, 28)))
    if isinstance(year, str):
        return year
    try:
        on = date(year, month, day)
    except ValueError:
        return f"not a valid day: “{text}”"
    return ParsedDeadline(kind=DeadlineKind.date, text=text, on=on, year=year, month=month)


def _read_month(core: str, text: str, issued_on: date | None) -> ParsedDeadline | str | None:
    match = _MONTH.fullmatch(core)
    if match is None:
        return None
    month = int(match[1])
    if not 1 <= month <= 12:
        return f"not a valid month: “{text}”"
    year = _resolve_year(match[2], issued_on, _LastDay(month))
    if isinstance(year, str):
        return year
    return ParsedDeadline(kind=DeadlineKind.month, text=text, on=_LastDay(month)(year), year=year, month=month)


def _read_quarter(core: str, text: str, issued_on: date | None) -> ParsedDeadline | str | None:
    match = _QUARTER.fullmatch(core)
    if match is None:
        return None
    number = match[2].casefold()
    quarter = _ROMAN[number] if number in _ROMAN else int(number)
    # "Đầu quý II" is early in the quarter, due when its first month ends; "giữa quý" when its second does.
    last = _LastDay(quarter * 3 - _QUARTER_EARLY.get((match["part"] or "").casefold(), 0))
    year = _resolve_year(match[3], issued_on, last)
    if isinstance(year, str):
        return year
    return ParsedDeadline(kind=DeadlineKind.quarter, text=text, on=last(year), year=year, quarter=quarter)


def _read_months_of_year(core: str, text: str, issued_on: date | None) -> ParsedDeadline | str | None:
    """ "6 tháng đầu năm 2024" is due when those months end (2024-06-30); "6 tháng cuối năm" at the year's end."""
    match = _MONTHS_OF_YEAR.fullmatch(core)
    if match is None:
        return None
    months = int(match[1])
    if not 1 <= months <= 12:
        return f"not a valid number of months: “{text}”"
    last = _LastDay(months if match[2].casefold() == "đầu" else 12)
    year = _resolve_year(match[3], issued_on, last)
    if isinstance(year, str):
        return year
    return ParsedDeadline(kind=DeadlineKind.date, text=text, on=last(year), year=year)


def _read_year(core: str, text: str, issued_on: date | None) -> ParsedDeadline | str | None:
    match = _YEAR.fullmatch(core)
    if match is None:
        return None
    last = _LastDay(12)
    year = _resolve_year(match[1] or match[2], issued_on, last)
    if isinstance(year, str):
        return year
    return ParsedDeadline(kind=DeadlineKind.year_end, text=text, on=last(year), year=year)


def _read_event(core: str, text: str) -> ParsedDeadline | None:
    offset_months = offset_days = 0
    match = _AFTER_N.fullmatch(core)
    if match is not None:
        amount, unit = int(match[1]), match[2].casefold()
    else:
        match = _AFTER_EVENT_N.fullmatch(core)
        if match is not None:
            amount, unit = int(match[2]), match[3].casefold()
        else:
            match = _AFTER.fullmatch(core)
            if match is None:
                return None
            amount, unit = 0, "ngày"
    if unit == "tháng":
        offset_months = amount
    elif unit == "năm":
        offset_months = 12 * amount
    elif unit == "tuần":
        offset_days = 7 * amount
    else:
        offset_days = amount
    event = match["event"].strip(" .;,:")
    return ParsedDeadline(
        kind=DeadlineKind.on_event, text=text, event=event, offset_months=offset_months, offset_days=offset_days
    )
