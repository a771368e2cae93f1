"""Tasks of plans: added, reported on by their bodies (a new version), their obligations' states; summaries."""

import uuid
from collections import Counter
from collections.abc import Sequence
from datetime import date
from typing import Any

import orjson

from app.db.plans import bodies as bodies_db
from app.db.plans import queries as db
from app.db.scope import WHOLE_TREE, Scope
from app.db.sql import Querier, Record
from app.domain.access.callers import Actor
from app.domain.audit import service as audit
from app.domain.errors import Conflict, NotFound, RuleViolation
from app.domain.plans.bodies import normalise_body_name
from app.domain.plans.deadlines import parse_deadline
from app.domain.plans.document import ParsedDeadline, TaskRole
from app.domain.plans.goals import first_year
from app.domain.plans.plans import _deadline_json, _events_of, _plan, event_key, read_plan
from app.domain.plans.progress import collective_progress
from app.domain.plans.registry import ensure_bodies
from app.domain.plans.status import Obligation, Report, State, obligations
from app.domain.tx import Tx
from app.domain.versions import check_version, count_change


async def add_task(
    tx: Tx,
    *,
    actor: Actor,
    scope: Scope,
    plan_id: uuid.UUID,
    code: str,
    parent_code: str | None,
    title: str,
    deadline_text: str | None,
    assignments: Sequence[tuple[str, bool, Sequence[TaskRole]]],
    today: date,
    due_soon_days: int,
) -> dict[str, Any]:
    plan = await _plan(tx, scope, plan_id)
    conn = tx.conn
    existing = {r["code"]: r for r in await db.list_tasks(conn, db.TaskQuery(plan_id=plan_id), scope=scope)}
    if code in existing:
        raise Conflict(f"The plan already has a task {code!r}.", code="duplicate_task_code")
    if parent_code is not None and parent_code not in existing:
        raise RuleViolation(f"The plan has no task {parent_code!r} to put {code!r} under.", code="unknown_parent_task")
    deadline = _read_deadline(deadline_text, plan["issued_on"]) if deadline_text else None
    events = {
        event_key(e): await db.upsert_event(tx.conn, plan_id=plan_id, description=e, key=event_key(e))
        for e in _events_of(deadline)
    }
    body_ids = await ensure_bodies(tx, plan["organization_id"], [(n, c) for n, c, _ in assignments])
    task_id = await db.insert_task(
        tx.conn,
        plan_id=plan_id,
        parent_id=existing[parent_code]["id"] if parent_code else None,
        code=code,
        position=max((r["position"] for r in existing.values()), default=-1) + 1,
        title=title,
        deadline_kind=deadline.kind.value if deadline else None,
        deadline_text=deadline_text,
        deadline=_deadline_json(deadline, events),
    )
    await db.replace_assignments(
        tx.conn, task_id, [(body_ids[normalise_body_name(n)], r.value) for n, _, roles in assignments for r in roles]
    )
    await audit.record(
        tx,
        actor,
        action="create",
        entity="task",
        entity_id=task_id,
        organization_id=plan["organization_id"],
        before=None,
        after={
            "id": task_id,
            "plan_id": plan_id,
            "code": code,
            "title": title,
            "deadline": deadline_text,
            "assignments": [[n, [r.value for r in roles]] for n, _, roles in assignments],
        },
    )
    return await _view(tx.conn, task_id, as_of=today, due_soon_days=due_soon_days)


def _read_deadline(deadline_text: str, issued_on: date | None) -> ParsedDeadline:
    deadline = parse_deadline(deadline_text, issued_on=issued_on)
    if deadline.kind.value == "unknown":
        raise RuleViolation(
            f"The deadline {deadline_text!r} could not be understood; write it as a date "
            "(31/12/2024), a month (tháng 6/2024), a quarter (Quý II/2024), 'Hết năm 2024', "
            "'Hằng năm', 'Thường xuyên' or 'Sau N tháng kể từ khi …'.",
            code="unknown_deadline",
        )
    return deadline


async def update_task(
    tx: Tx,
    *,
    actor: Actor,
    scope: Scope,
    task_id: uuid.UUID,
    changes: dict[str, Any],
    expected_version: int | None,
    today: date,
    due_soon_days: int,
) -> dict[str, Any]:
    """Correct a task's title or deadline (as written; it is parsed again), made to the version read."""
    task = await _task(tx, scope, task_id)
    await check_version(tx, "tasks", task_id, expected_version, f"Task {task['code']}")
    title = changes.get("title", task["title"])
    deadline_text = changes.get("deadline", task["deadline_text"]) if "deadline" in changes else task["deadline_text"]
    deadline = _read_deadline(deadline_text, task["plan_issued_on"]) if deadline_text else None
    events = {
        event_key(e): await db.upsert_event(tx.conn, plan_id=task["plan_id"], description=e, key=event_key(e))
        for e in _events_of(deadline)
    }
    await db.update_task(
        tx.conn,
        task_id,
        title=title,
        deadline_kind=deadline.kind.value if deadline else None,
        deadline_text=deadline_text,
        deadline=_deadline_json(deadline, events),
    )
    plan = await _plan(tx, scope, task["plan_id"])
    await audit.record(
        tx,
        actor,
        action="update",
        entity="task",
        entity_id=task_id,
        organization_id=plan["organization_id"],
        before={"title": task["title"], "deadline": task["deadline_text"]},
        after={"title": title, "deadline": deadline_text},
    )
    return await _view(tx.conn, task_id, as_of=today, due_soon_days=due_soon_days)


async def _task(tx: Tx, scope: Scope, task_id: uuid.UUID) -> Record:
    rows = await db.list_tasks(tx.conn, db.TaskQuery(task_id=task_id), scope=scope)
    if not rows:
        raise NotFound(f"No task with id {task_id} exists.", code="task_not_found")
    return rows[0]


async def add_report(
    tx: Tx,
    *,
    actor: Actor,
    scope: Scope,
    task_id: uuid.UUID,
    body_id: uuid.UUID,
    reported_on: date,
    period_year: int | None,
    status: str,
    text: str | None,
    evidence_ref: str | None,
    today: date,
    due_soon_days: int,
    organization_id: uuid.UUID | None = None,
    expected_version: int | None = None,
) -> dict[str, Any]:
    task = await _task(tx, scope, task_id)
    await check_version(tx, "tasks", task_id, expected_version, f"Task {task['code']}")
    assigned = {a["body_id"]: a for a in decoded(task["assignments"])}
    if str(body_id) not in assigned:
        raise RuleViolation(
            f"Body {body_id} is not assigned to task {task['code']}; only its bodies report on it.", code="not_assigned"
        )
    members = {str(m["id"]) for m in assigned[str(body_id)].get("members") or []}
    if organization_id is not None and str(organization_id) not in members:
        raise RuleViolation(
            f"Organisation {organization_id} is not one of those {assigned[str(body_id)]['body']!r} stands for; a "
            "collective's part is reported by one of its organisations.",
            code="not_a_member_of_the_collective",
        )
    kind = task["deadline_kind"]
    yearly = kind == "yearly" or (task["deadline"] and "yearly" in str(task["deadline"]))
    if yearly and period_year is None:
        period_year = reported_on.year
    if not yearly and period_year is not None:
        raise RuleViolation("`period_year` is only for recurring (yearly) tasks.", code="period_not_recurring")
    report_id = await db.insert_report(
        tx.conn,
        task_id=task_id,
        body_id=body_id,
        organization_id=organization_id,
        reported_on=reported_on,
        period_year=period_year,
        status=status,
        text=text,
        evidence_ref=evidence_ref,
    )
    await count_change(tx, "tasks", task_id)
    plan_org = (await _plan(tx, scope, task["plan_id"]))["organization_id"]
    await audit.record(
        tx,
        actor,
        action="report",
        entity="task",
        entity_id=task_id,
        organization_id=plan_org,
        before=None,
        diff=False,
        after={
            "report_id": report_id,
            "body_id": body_id,
            "organization_id": organization_id,
            "reported_on": reported_on,
            "period_year": period_year,
            "status": status,
        },
    )
    return await _view(tx.conn, task_id, as_of=max(today, reported_on), due_soon_days=due_soon_days)


def decoded(value: Any) -> Any:
    """JSON columns arrive as text from the pool, already decoded through the tx's connection."""
    return orjson.loads(value) if isinstance(value, str | bytes) else value


def _first_year(row: Record) -> int:
    return first_year(row["plan_issued_on"])


def task_view(
    row: Record, events: dict[str, tuple[str, date | None]], *, as_of: date, due_soon_days: int
) -> dict[str, Any]:
    raw_reports = decoded(row["reports"])
    reports = [
        Report(reported_on=date.fromisoformat(r["reported_on"]), status=r["status"], period_year=r["period_year"])
        for r in raw_reports
    ]
    deadline = decoded(row["deadline"]) if row["deadline"] else None

    def owed_by(given: list[Report]) -> list[Obligation]:
        return obligations(
            deadline,
            events={k: v[1] for k, v in events.items()},
            reports=given,
            as_of=as_of,
            first_year=_first_year(row),
            due_soon_days=due_soon_days,
            event_names={k: v[0] for k, v in events.items()},
        )

    owed = owed_by(reports)
    assignments = decoded(row["assignments"])
    return {
        "id": row["id"],
        "plan_id": row["plan_id"],
        "plan_code": row["plan_code"],
        "parent_id": row["parent_id"],
        "code": row["code"],
        "title": row["title"],
        "deadline": {"kind": row["deadline_kind"], "text": row["deadline_text"], "parsed": deadline}
        if row["deadline_kind"]
        else None,
        "assignments": assignments,
        "obligations": [_obligation(o) for o in owed],
        "state": _overall(owed).value,
        "collectives": collective_progress(assignments, raw_reports, owed_by, _overall),
        "reports": raw_reports,
        "version": row["version"],
    }


def _obligation(o: Obligation) -> dict[str, Any]:
    return {"year": o.year, "due": o.due, "state": o.state.value, "done_on": o.done_on, "waiting_for": o.waiting_for}


_PRIORITY = [
    State.overdue,
    State.due_soon,
    State.waiting_on_event,
    State.not_yet_due,
    State.ongoing,
    State.done_late,
    State.done_on_time,
    State.no_deadline,
]


def _overall(owed: Sequence[Obligation]) -> State:
    """A task's headline state: the most pressing of its obligations."""
    return min((o.state for o in owed), key=_PRIORITY.index)


async def plan_tasks(
    conn: Querier, *, scope: Scope, plan_id: uuid.UUID, as_of: date, due_soon_days: int
) -> list[dict[str, Any]]:
    """The plan's tasks in document order, each with its obligations and their state on `as_of`."""
    await read_plan(conn, scope=scope, plan_id=plan_id)
    rows = await db.list_tasks(conn, db.TaskQuery(plan_id=plan_id), scope=scope)
    events = await db.events_of(conn, [plan_id])
    return [task_view(r, events, as_of=as_of, due_soon_days=due_soon_days) for r in rows]


def summarise(tasks: Sequence[dict[str, Any]]) -> dict[str, Any]:
    """Counts of obligations by state, and by body and role (a task with several obligations counts each)."""
    by_state: Counter[str] = Counter()
    by_body: dict[str, Counter[str]] = {}
    by_role: dict[str, Counter[str]] = {}
    names: dict[str, str] = {}
    for task in tasks:
        if task["deadline"] is None:
            continue
        for owed in task["obligations"]:
            by_state[owed["state"]] += 1
            for a in task["assignments"]:
                names[a["body_id"]] = a["body"]
                by_body.setdefault(a["body_id"], Counter())[owed["state"]] += 1
                by_role.setdefault(a["role"], Counter())[owed["state"]] += 1
    return {
        "tasks": sum(1 for t in tasks if t["deadline"] is not None),
        "by_state": dict(sorted(by_state.items())),
        "by_body": [
            {"body_id": b, "body": names[b], "by_state": dict(sorted(c.items()))}
            for b, c in sorted(by_body.items(), key=lambda kv: names[kv[0]])
        ],
        "by_role": {r: dict(sorted(c.items())) for r, c in sorted(by_role.items())},
    }


async def body_tasks(
    conn: Querier,
    *,
    scope: Scope,
    body_id: uuid.UUID,
    roles: Sequence[str],
    states: Sequence[str],
    as_of: date,
    due_within_days: int | None,
    due_soon_days: int,
) -> list[dict[str, Any]]:
    """ "My tasks": a body's tasks by role and state; with `due_within_days`, the obligations falling due in the
    next N days (for reminders)."""
    await check_body(conn, scope=scope, body_id=body_id)
    rows = await db.list_tasks(conn, db.TaskQuery(body_id=body_id, roles=roles), scope=scope)
    events = await db.events_of(conn, list({r["plan_id"] for r in rows}))
    views = [task_view(r, events, as_of=as_of, due_soon_days=due_soon_days) for r in rows]
    return [shown for view in views if (shown := owed_by(view, states, as_of, due_within_days)) is not None]


async def check_body(conn: Querier, *, scope: Scope, body_id: uuid.UUID) -> None:
    if await bodies_db.read_body(conn, body_id, scope=scope) is None:
        raise NotFound(f"No body with id {body_id} exists.", code="body_not_found")


def owed_by(
    view: dict[str, Any], states: Sequence[str], as_of: date, due_within_days: int | None
) -> dict[str, Any] | None:
    """A task of a body's list with the obligations asked for (`states`, falling due within `due_within_days`),
    or None when a filter leaves none (the list and its export alike)."""
    owed = view["obligations"]
    if states:
        owed = [o for o in owed if o["state"] in states]
    if due_within_days is not None:
        owed = [
            o
            for o in owed
            if o["due"] is not None
            and o["state"] not in ("done_on_time", "done_late")
            and 0 <= (o["due"] - as_of).days <= due_within_days
        ]
    if owed or (not states and due_within_days is None):
        return {**view, "obligations": owed}
    return None


async def _view(conn: Querier, task_id: uuid.UUID, *, as_of: date, due_soon_days: int) -> dict[str, Any]:
    rows = await db.list_tasks(conn, db.TaskQuery(task_id=task_id), scope=WHOLE_TREE)
    events = await db.events_of(conn, [rows[0]["plan_id"]])
    return task_view(rows[0], events, as_of=as_of, due_soon_days=due_soon_days)


async def get_task(
    conn: Querier, *, scope: Scope, task_id: uuid.UUID, as_of: date, due_soon_days: int
) -> dict[str, Any]:
    """One task, with its obligations and their state on `as_of`."""
    rows = await db.list_tasks(conn, db.TaskQuery(task_id=task_id), scope=scope)
    if not rows:
        raise NotFound(f"No task with id {task_id} exists.", code="task_not_found")
    events = await db.events_of(conn, [rows[0]["plan_id"]])
    return task_view(rows[0], events, as_of=as_of, due_soon_days=due_soon_days)


async def plan_summary(
    conn: Querier, *, scope: Scope, plan_id: uuid.UUID, as_of: date, due_soon_days: int
) -> dict[str, Any]:
    """Counts of obligations by state, by body and by role, on `as_of`."""
    tasks = await plan_tasks(conn, scope=scope, plan_id=plan_id, as_of=as_of, due_soon_days=due_soon_days)
    return {"plan_id": plan_id, "as_of": as_of, **summarise(tasks)}
