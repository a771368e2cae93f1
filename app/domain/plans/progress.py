"""A task assigned to a collective is done per organisation: each organisation the collective stands for reports
its own part, and the task shows how many of them are done, late or silent (what the issuing committee follows up).

Pure: over the task's stored deadline, its reports and the members of each collective it is assigned to."""

from collections.abc import Callable, Mapping, Sequence
from datetime import date
from typing import Any

from app.domain.plans.status import Obligation, Report, State

DONE = (State.done_on_time,)
LATE = (State.done_late, State.overdue)


def collective_progress(
    assignments: Sequence[Mapping[str, Any]],
    reports: Sequence[Mapping[str, Any]],
    owed: Callable[[list[Report]], list[Obligation]],
    headline: Callable[[Sequence[Obligation]], State],
) -> list[dict[str, Any]]:
    """Per collective body of the task: its organisations, each with the state of its own part (from its own
    reports), and the counts done (all on time), late (done late or overdue) and silent (no report at all)."""
    result = []
    seen: set[str] = set()
    for assignment in assignments:
        body_id = str(assignment["body_id"])
        if assignment["kind"] != "collective" or not assignment.get("members") or body_id in seen:
            continue
        seen.add(body_id)
        rows = []
        for member in assignment["members"]:
            own = [
                Report(reported_on=_day(r["reported_on"]), status=r["status"], period_year=r["period_year"])
                for r in reports
                if str(r["body_id"]) == body_id and str(r.get("organization_id")) == str(member["id"])
            ]
            state = headline(owed(own))
            rows.append({**member, "state": state.value, "reported": bool(own)})
        result.append(
            {
                "body_id": assignment["body_id"],
                "body": assignment["body"],
                "organizations": len(rows),
                "done": sum(1 for row in rows if row["state"] in DONE),
                "late": sum(1 for row in rows if row["state"] in LATE),
                "silent": sum(1 for row in rows if not row["reported"]),
                "by_organization": rows,
            }
        )
    return result


def _day(value: Any) -> date:
    return date.fromisoformat(value) if isinstance(value, str) else value
