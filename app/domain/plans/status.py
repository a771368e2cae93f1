"""Where a task stands on a date: due dates from typed deadlines, one obligation per year for recurring tasks, and
the state of each obligation from the progress reports. Pure functions over the stored deadline (JSON of
`ParsedDeadline`, each waiting part carrying the `event_id` it waits on)."""

import calendar
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from enum import StrEnum
from typing import Any


class State(StrEnum):
    not_yet_due = "not_yet_due"
    due_soon = "due_soon"
    overdue = "overdue"
    done_on_time = "done_on_time"
    done_late = "done_late"
    waiting_on_event = "waiting_on_event"
    ongoing = "ongoing"
    no_deadline = "no_deadline"


@dataclass(frozen=True)
class Report:
    reported_on: date
    status: str
    period_year: int | None


@dataclass(frozen=True)
class Obligation:
    """One thing owed: the task's single deadline, or one year of a recurring task."""

    year: int | None
    due: date | None
    state: State
    done_on: date | None = None
    waiting_for: str | None = None


def add_months(day: date, months: int) -> date:
    month = day.month - 1 + months
    year = day.year + month // 12
    month = month % 12 + 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def due_date(deadline: Mapping[str, Any], events: Mapping[str, date | None]) -> date | None:
    """The date a (non-recurring) deadline falls due, once it can be known."""
    kind = deadline["kind"]
    if kind in ("date", "month", "quarter", "year_end"):
        return date.fromisoformat(deadline["on"]) if deadline.get("on") else None
    if kind == "on_event":
        happened = events.get(str(deadline.get("event_id")))
        if happened is None:
            return None
        return add_months(happened, int(deadline.get("offset_months") or 0)) + timedelta(
            days=int(deadline.get("offset_days") or 0)
        )
    if kind == "compound":
        dates = [d for d in (due_date(p, events) for p in deadline.get("parts", ())) if d is not None]
        return min(dates) if dates else None
    return None


def _done(reports: Sequence[Report], as_of: date, year: int | None) -> date | None:
    done = [
        r.reported_on
        for r in reports
        if r.status == "done" and r.reported_on <= as_of and (year is None or r.period_year == year)
    ]
    return min(done) if done else None


def _dated(due: date, done_on: date | None, as_of: date, due_soon_days: int) -> State:
    if done_on is not None:
        return State.done_on_time if done_on <= due else State.done_late
    if as_of > due:
        return State.overdue
    if (due - as_of).days <= due_soon_days:
        return State.due_soon
    return State.not_yet_due


def _parts(deadline: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    return list(deadline.get("parts") or []) if deadline["kind"] == "compound" else [deadline]


def obligations(
    deadline: Mapping[str, Any] | None,
    *,
    events: Mapping[str, date | None],
    reports: Sequence[Report],
    as_of: date,
    first_year: int,
    due_soon_days: int,
    event_names: Mapping[str, str] | None = None,
) -> list[Obligation]:
    """The task's obligations as of `as_of`. A yearly task owes one per year from `first_year` to `as_of`'s year,
    each due at the end of its year and done by a report for that year."""
    if deadline is None:
        return [Obligation(year=None, due=None, state=State.no_deadline)]
    parts = _parts(deadline)
    kinds = {p["kind"] for p in parts}
    if "done" in kinds:
        return [Obligation(year=None, due=None, state=State.done_on_time)]
    if "yearly" in kinds:
        result = []
        # Before its first year (a plan issued ahead, or a day before it) the task owes its first year, not yet due.
        for year in range(first_year, max(as_of.year, first_year) + 1):
            year_end = date(year, 12, 31)
            year_done = _done(reports, as_of, year)
            result.append(
                Obligation(
                    year=year, due=year_end, state=_dated(year_end, year_done, as_of, due_soon_days), done_on=year_done
                )
            )
        return result
    done_on = _done(reports, as_of, None)
    due = due_date(deadline, events)
    if due is not None:
        return [Obligation(year=None, due=due, state=_dated(due, done_on, as_of, due_soon_days), done_on=done_on)]
    if done_on is not None:
        return [Obligation(year=None, due=None, state=State.done_on_time, done_on=done_on)]
    waiting = [p for p in parts if p["kind"] == "on_event"]
    if kinds & {"ongoing", "per_term", "by_plan"}:
        return [Obligation(year=None, due=None, state=State.ongoing)]
    if waiting:
        names = event_names or {}
        what = names.get(str(waiting[0].get("event_id")), waiting[0].get("event") or "")
        return [Obligation(year=None, due=None, state=State.waiting_on_event, waiting_for=what)]
    return [Obligation(year=None, due=None, state=State.no_deadline)]
