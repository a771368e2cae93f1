"""Quantified goals a plan's text states: "phấn đấu năm 2025 có 100% chi bộ … có cấp ủy", "tỷ lệ kết nạp đảng viên
mới hằng năm đạt từ 03% - 04% tổng số đảng viên", "có trên 90% tổ chức cơ sở đảng … hoàn thành tốt nhiệm vụ trở
lên", "kiểm tra từ 05 - 10% …". Every percentage in a task's text, or in a paragraph before the tasks (part A's aims),
is a goal, unless its clause says it is how things stand ("hiện nay có 98,3% …"). Which indicator it is a target
of is the indicators' business (app/domain/indicators/plan_text.py); docs/plans.md lists the wordings read.

Plain CPU work, part of parsing."""

import re
from collections.abc import Iterator, Sequence
from datetime import date
from decimal import Decimal

from app.domain.plans.deadlines import clean_text
from app.domain.plans.document import DeadlineKind, ParsedDeadline, ParsedGoal, ParsedTask

# The year a plan's yearly obligations and goals start from when its day of issue is blank (a draft "ngày / /2022"):
# the year of Resolution 21-NQ/TW, which the plans this service reads implement.
UNDATED_PLAN_YEAR = 2022

_F = re.IGNORECASE
_NUMBER = r"\d{1,3}(?:[.,]\d{1,2})?(?!\d)"
_FIGURE = re.compile(
    r"(?:(?<!\w)(?P<qualifier>không\s+(?:dưới|thấp hơn|ít hơn|quá|vượt quá|cao hơn|nhiều hơn)|ít nhất|tối thiểu"
    r"|tối đa|trên|hơn|dưới|từ)\s+)?"
    rf"(?<![\w.,])(?P<low>{_NUMBER})\s*(?P<low_percent>%)?"
    rf"(?:\s*(?:-|–|—|đến|tới)\s*(?P<high>{_NUMBER})\s*%)?"
    r"(?P<after>\s+trở\s+(?:lên|xuống)\b)?",
    _F,
)
_QUALIFIERS = {
    "trên": "gt",
    "hơn": "gt",
    "dưới": "lt",
    "tối đa": "lte",
    "không quá": "lte",
    "không vượt quá": "lte",
    "không cao hơn": "lte",
    "không nhiều hơn": "lte",
}  # anything else ("từ", "ít nhất", "tối thiểu", "không dưới", none): at least the figure
_STATEMENTS = re.compile(r"\s*;\s*|(?<=[.!?])\s+")
_CLAUSE_START = re.compile(r".*(?:[,;(]|\bvà\b)", re.DOTALL)
# How things stand, not where they should get to: "(hiện nay có 98,3% chi bộ …)". A goal word after it wins
# ("Hiện nay …, phấn đấu đến năm 2025 đạt 100% …").
_PRESENT = re.compile(r"\b(?:hiện nay|hiện có|hiện tại|hiện đạt|đến nay|tính đến|năm qua|vừa qua|đã có|đã đạt)\b", _F)
_AIM = re.compile(r"\b(?:phấn đấu|phân đầu|chỉ tiêu|mục tiêu|bảo đảm|đảm bảo|đến năm|tới năm|giai đoạn|hằng năm)\b", _F)
_YEARLY = re.compile(r"\b(?:hằng|hàng|mỗi)\s+năm\b", _F)
_YEAR_RANGE = re.compile(
    r"\b(?:(?:giai đoạn|từ năm|từ)\s+)?(\d{4})\s*(?:-|–|—|đến|tới)\s*(?:năm\s+)?(\d{4})\b(?!\s*%)", _F
)
_YEAR = re.compile(r"\b(?:năm|đến|tới|vào|trước|hết|cuối)\s+(?:năm\s+)?(\d{4})\b(?!\s*%)", _F)
_DATED = (DeadlineKind.date, DeadlineKind.month, DeadlineKind.quarter, DeadlineKind.year_end)


def first_year(issued_on: date | None) -> int:
    """The first year a plan's yearly obligations and goals apply to: its year of issue."""
    return issued_on.year if issued_on is not None else UNDATED_PLAN_YEAR


def read_goals(
    tasks: Sequence[ParsedTask], paragraphs: Sequence[str], first_line: int, issued_on: date | None
) -> tuple[ParsedGoal, ...]:
    """The goals of the paragraphs before the tasks (the first on line `first_line`), then of each task's text, in
    document order."""
    found = [
        goal
        for line, text in enumerate(paragraphs, start=first_line)
        for goal in _goals(clean_text(text), None, line, None, issued_on)
    ]
    for task in tasks:
        found += _goals(task.title, task.code, task.line, task.deadline, issued_on)
    return tuple(found)


def _goals(
    text: str, task_code: str | None, line: int, deadline: ParsedDeadline | None, issued_on: date | None
) -> Iterator[ParsedGoal]:
    for statement in _STATEMENTS.split(text):
        figures = [m for m in _FIGURE.finditer(statement) if m["low_percent"] or m["high"]]
        for index, figure in enumerate(figures):
            lead = statement[figures[index - 1].end() if index else 0 : figure.start()]
            if _present(lead):
                continue
            if index:  # after another figure, the words since the last comma or "và" are this one's
                lead = _CLAUSE_START.sub("", lead)
            tail = statement[figure.end() : figures[index + 1].start() if index + 1 < len(figures) else None]
            if index + 1 < len(figures) and (clause := _CLAUSE_START.match(tail)) is not None:
                tail = tail[: clause.end() - 1]  # the next figure's words are its own
            low, high = _decimal(figure["low"]), _decimal(figure["high"])
            comparator = "between" if high is not None else _comparator(figure)
            year_from, year_to = _years(statement, figure.start(), deadline, issued_on)
            yield ParsedGoal(
                text=statement.strip(" .;"),
                subject=" ".join(f"{lead} {tail}".split()).strip(" ,.;:"),
                comparator=comparator,
                value=low if low is not None else Decimal(0),
                value_high=high,
                year_from=year_from,
                year_to=year_to,
                yearly=_YEARLY.search(statement) is not None or _yearly(deadline),
                task_code=task_code,
                line=line,
            )


def _present(lead: str) -> bool:
    present = [m.end() for m in _PRESENT.finditer(lead)]
    aims = [m.end() for m in _AIM.finditer(lead)]
    return bool(present) and (not aims or aims[-1] < present[-1])


def _comparator(figure: re.Match[str]) -> str:
    after = (figure["after"] or "").split()
    if after[-1:] == ["xuống"]:
        return "lte"
    if after[-1:] == ["lên"]:
        return "gte"
    qualifier = " ".join((figure["qualifier"] or "").casefold().split())
    return _QUALIFIERS.get(qualifier, "gte")


def _decimal(number: str | None) -> Decimal | None:
    return None if number is None else Decimal(number.replace(",", "."))


def _years(statement: str, at: int, deadline: ParsedDeadline | None, issued_on: date | None) -> tuple[int, int | None]:
    """The years a figure is for: a range the statement names ("giai đoạn 2020 - 2030"), else a year ("năm 2025",
    "đến 2030": from then on), the nearest before the figure first; else the year of the task's dated deadline;
    else the plan's first year (from then on)."""
    spans = [(m.start(), m.end(), int(m[1]), int(m[2])) for m in _YEAR_RANGE.finditer(statement)]
    ranges = [(start, low, high) for start, _, low, high in spans if 1930 <= low <= high <= 2100]
    singles = [
        (m.start(), int(m[1]), None)
        for m in _YEAR.finditer(statement)
        if 1930 <= int(m[1]) <= 2100 and not any(start <= m.start(1) < end for start, end, _, _ in spans)
    ]
    named: list[tuple[int, int, int | None]] = sorted([*ranges, *singles])
    before = [found for found in named if found[0] < at]
    if named:
        _, low, high = before[-1] if before else named[0]
        return low, high
    dated = _dated_year(deadline)
    return (dated if dated is not None else first_year(issued_on)), None


def _dated_year(deadline: ParsedDeadline | None) -> int | None:
    if deadline is None:
        return None
    if deadline.kind in _DATED:
        return deadline.on.year if deadline.on is not None else deadline.year
    years = [year for part in deadline.parts if (year := _dated_year(part)) is not None]
    return min(years) if years else None


def _yearly(deadline: ParsedDeadline | None) -> bool:
    if deadline is None:
        return False
    return deadline.kind is DeadlineKind.yearly or any(_yearly(part) for part in deadline.parts)
