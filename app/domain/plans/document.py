"""What a plan document says, as read from its text: the plan's header, its task tree with each task's bodies per
role and its deadline, and every line that could not be understood. Pure values, no database: the import preview
shows them and the commit step turns them into rows."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from enum import StrEnum


class TaskRole(StrEnum):
    """What an assigned body does for a task; declared in the order a plan lists them."""

    directing = "directing"  # cơ quan chỉ đạo
    lead = "lead"  # chủ trì
    advisory = "advisory"  # tham mưu
    coordinating = "coordinating"  # phối hợp
    implementing = "implementing"  # tổ chức thực hiện


class DeadlineKind(StrEnum):
    date = "date"  # a day: "31/12/2023"
    month = "month"  # "Chậm nhất trong tháng 01/2023": due on the month's last day
    quarter = "quarter"  # "Quý IV/2022": due on the quarter's last day; "đầu quý II" on its first month's last day
    year_end = "year_end"  # "Hết năm 2023"
    yearly = "yearly"  # "Hằng năm": one obligation per year
    ongoing = "ongoing"  # "Thường xuyên": never due, always in progress
    per_term = "per_term"  # "theo nhiệm kỳ"
    by_plan = "by_plan"  # "Theo kế hoạch đào tạo, bồi dưỡng hằng năm": another plan sets the date
    on_event = "on_event"  # "Sau 03 tháng kể từ khi có Quy chế mẫu …": dated once the event is recorded
    compound = "compound"  # "Thường xuyên và khi có chủ trương của tỉnh": see `parts`
    done = "done"  # "Đã hoàn thành"
    unknown = "unknown"  # wording not understood (the line is also reported as unparsed)


ROLE_ORDER: tuple[TaskRole, ...] = tuple(TaskRole)


@dataclass(frozen=True)
class ParsedDeadline:
    kind: DeadlineKind
    text: str  # the original wording, always kept
    on: date | None = None  # kind=date; the resolved last day for month, quarter and year_end
    year: int | None = None
    month: int | None = None
    quarter: int | None = None
    event: str | None = None  # on_event: what it waits for, e.g. "có chỉ đạo của tỉnh"
    offset_months: int = 0  # "Sau 03 tháng kể từ khi …" → 3 months after the event
    offset_days: int = 0
    parts: tuple[ParsedDeadline, ...] = ()  # compound only


@dataclass(frozen=True)
class ParsedAssignment:
    body: str  # the body's name as written, cleaned (NFC, spacing, trailing punctuation, first letter capital)
    roles: tuple[TaskRole, ...]  # in ROLE_ORDER, no repeats
    collective: bool  # stands for every organisation of a subtree ("Các cấp ủy, tổ chức đảng trong Đảng bộ thị xã")


@dataclass(frozen=True)
class ParsedTask:
    code: str  # as written, joined: "1.2", "2.1.1.a", "3.đ"
    parent_code: str | None  # "2.1.1" for "2.1.1.a"; None for "1", "2", "3"
    title: str  # the item's text, formatting markers removed, lines broken by a page joined
    assignments: tuple[ParsedAssignment, ...]
    deadline: ParsedDeadline | None  # None for headings without a deadline of their own
    line: int  # 1-based line of the item in the input
    deadline_label: str | None = None  # "Thời gian hoàn thành kế hoạch": what the deadline is for, as written


@dataclass(frozen=True)
class UnparsedLine:
    line: int  # 1-based; 0 for something missing from the whole document (no title)
    text: str
    reason: str


@dataclass(frozen=True)
class ParsedGoal:
    """A quantified goal the text states ("phấn đấu năm 2025 có 100% chi bộ thôn, tổ dân phố có cấp ủy"): the
    figure, the years it is for, and the words around it that say what is counted (app/domain/plans/goals.py)."""

    text: str  # the statement (a sentence, or a clause between semicolons), cleaned
    subject: str  # the words of the clause before the figure and of the statement after it, up to the next figure
    comparator: str  # gte, gt, lte, lt, between
    value: Decimal
    value_high: Decimal | None
    year_from: int
    year_to: int | None
    yearly: bool  # "hằng năm": a figure for every year
    task_code: str | None  # the task whose text states it; None outside the tasks (part A's aims)
    line: int  # 1-based line of the task, or of the paragraph


@dataclass(frozen=True)
class ParsedPlan:
    code: str | None  # "211-KH/TU"; None while the number is blank ("Số -KH/TU" in a draft)
    title: str
    issuer: str | None  # "Ban Thường vụ Thị ủy", from "… ban hành Kế hoạch …"
    issued_on: date | None
    implements: tuple[str, ...]  # "Nghị quyết số 21-NQ/TW", "Kế hoạch số 121-KH/TU", …
    tasks: tuple[ParsedTask, ...]
    unparsed: tuple[UnparsedLine, ...]
    draft: bool = False  # the document is marked "Dự thảo"
    goals: tuple[ParsedGoal, ...] = ()  # quantified goals its text states, in document order
