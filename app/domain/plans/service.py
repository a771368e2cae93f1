"""Plans and their tasks: import from a document (preview, then commit in one transaction), field-by-field edits,
events that resolve waiting deadlines, progress reports, and where everything stands on a date."""

import dataclasses
import uuid
from collections import Counter
from collections.abc import Sequence
from datetime import date
from typing import Any

import asyncpg
import orjson
from sqlalchemy.ext.asyncio import AsyncSession

from app.db import plans as db
from app.db.organization_writes import driver_connection
from app.db.scope import Scope
from app.db.sql import Querier
from app.domain import audit
from app.domain.access import Actor
from app.domain.errors import Conflict, NotFound, RuleViolation
from app.domain.organizations.changes import guard
from app.domain.plans.bodies import normalise_body_name
from app.domain.plans.deadlines import parse_deadline
from app.domain.plans.document import ParsedDeadline, ParsedPlan, Role
from app.domain.plans.status import Obligation, Report, State, obligations

COLLECTIVE = "collective"


def _deadline_json(deadline: ParsedDeadline | None, events: dict[str, uuid.UUID]) -> dict[str, Any] | None:
    if deadline is None:
        return None
    data: dict[str, Any] = orjson.loads(orjson.dumps(dataclasses.asdict(deadline)))

    def attach(part: dict[str, Any]) -> None:
        if part.get("kind") == "on_event" and part.get("event"):
            part["event_id"] = str(events[event_key(part["event"])])
        for sub in part.get("parts") or []:
            attach(sub)

    attach(data)
    return data


def event_key(description: str) -> str:
    return normalise_body_name(description)


def _events_of(deadline: ParsedDeadline | None) -> list[str]:
    if deadline is None:
        return []
    found = [deadline.event] if deadline.kind == "on_event" and deadline.event else []
    for part in deadline.parts:
        found += _events_of(part)
    return found


# --- bodies -------------------------------------------------------------------------------------------------------

async def match_bodies(session: AsyncSession, organization_id: uuid.UUID,
                       names: Sequence[tuple[str, bool]]) -> list[dict[str, Any]]:
    """For each (name, collective): the known body it matches, or a proposal to create it with similar known ones
    to check against (never merged silently)."""
    keys = [normalise_body_name(n) for n, _ in names]
    known = await db.bodies_by_key(session, organization_id, keys)
    conn = await driver_connection(session)
    result = []
    for (name, collective), key in zip(names, keys, strict=True):
        body = known.get(key)
        if body is not None:
            result.append({"name": name, "key": key, "match": "known", "body_id": body.id, "body": body.name})
        else:
            similar = await db.similar_bodies(conn, organization_id, key)
            result.append({"name": name, "key": key, "match": "new", "body_id": None,
                           "kind": COLLECTIVE if collective else "agency",
                           "similar": [{"body_id": s.id, "body": s.name} for s in similar]})
    return result


async def _ensure_bodies(session: AsyncSession, organization_id: uuid.UUID,
                         names: Sequence[tuple[str, bool]]) -> dict[str, uuid.UUID]:
    """Body ids by match key, creating the bodies not known yet in this organisation's namespace."""
    wanted = {normalise_body_name(n): (n, c) for n, c in names}
    known = await db.bodies_by_key(session, organization_id, list(wanted))
    ids = {k: b.id for k, b in known.items()}
    for key, (name, collective) in wanted.items():
        if key not in ids:
            ids[key] = await db.insert_body(session, organization_id=organization_id, name=name, name_key=key,
                                            kind=COLLECTIVE if collective else "agency")
    return ids


async def create_body(session: AsyncSession, *, actor: Actor, scope: Scope, organization_id: uuid.UUID, name: str,
                      kind: str, aliases: Sequence[str]) -> uuid.UUID:
    await guard(session, scope, organization_id)
    key = normalise_body_name(name)
    keys = [key, *(normalise_body_name(a) for a in aliases)]
    clash = await db.bodies_by_key(session, organization_id, keys)
    if clash:
        taken = next(iter(clash.values()))
        raise Conflict(f"{name!r} (or an alias) matches the existing body {taken.name!r} ({taken.id}) in this "
                       "organisation; add an alias to it instead of a second body.", code="duplicate_body",
                       existing_id=str(taken.id))
    body_id = await db.insert_body(session, organization_id=organization_id, name=name, name_key=key, kind=kind)
    body = await db.get_body(session, body_id)
    assert body is not None
    for alias in aliases:
        await db.insert_alias(session, body=body, alias=alias, alias_key=normalise_body_name(alias))
    await audit.record(session, actor, action="create", entity="body", entity_id=body_id,
                       organization_id=organization_id, before=None,
                       after={"id": body_id, "name": name, "kind": kind, "aliases": list(aliases)})
    return body_id


async def add_alias(session: AsyncSession, *, actor: Actor, scope: Scope, body_id: uuid.UUID, alias: str) -> None:
    body = await db.get_body(session, body_id)
    if body is None:
        raise NotFound(f"No body with id {body_id} exists.", code="body_not_found")
    await guard(session, scope, body.organization_id,
                missing=NotFound(f"No body with id {body_id} exists.", code="body_not_found"))
    key = normalise_body_name(alias)
    clash = await db.bodies_by_key(session, body.organization_id, [key])
    if clash and clash[key].id != body.id:
        raise Conflict(f"{alias!r} already names the body {clash[key].name!r} ({clash[key].id}).",
                       code="duplicate_body", existing_id=str(clash[key].id))
    if not clash:
        await db.insert_alias(session, body=body, alias=alias, alias_key=key)
    await audit.record(session, actor, action="add_alias", entity="body", entity_id=body.id,
                       organization_id=body.organization_id, before=None, after={"alias": alias}, diff=False)


# --- import -------------------------------------------------------------------------------------------------------

def _deadline_view(deadline: ParsedDeadline | None) -> dict[str, Any] | None:
    if deadline is None:
        return None
    loaded: dict[str, Any] = orjson.loads(orjson.dumps(dataclasses.asdict(deadline)))
    return loaded


async def preview_import(session: AsyncSession, *, scope: Scope, organization_id: uuid.UUID,
                         parsed: ParsedPlan) -> dict[str, Any]:
    """What a commit would create: tasks with codes, bodies per role (each matched or proposed as new), parsed
    deadlines, and every line that was not understood. Writes nothing (unless a commit follows)."""
    audit.read_only(session)
    await guard(session, scope, organization_id)
    names = list(dict.fromkeys((a.body, a.collective) for t in parsed.tasks for a in t.assignments))
    matches = {m["key"]: m for m in await match_bodies(session, organization_id, names)}
    tasks = []
    for task in parsed.tasks:
        tasks.append({
            "code": task.code, "parent_code": task.parent_code, "title": task.title, "line": task.line,
            "deadline": _deadline_view(task.deadline),
            "assignments": [{**matches[normalise_body_name(a.body)], "roles": list(a.roles)}
                            for a in task.assignments],
        })
    return {
        "plan": {"code": parsed.code, "title": parsed.title, "issuer": parsed.issuer, "issued_on": parsed.issued_on,
                 "implements": list(parsed.implements)},
        "tasks": tasks,
        "tasks_with_deadline": sum(1 for t in parsed.tasks if t.deadline is not None),
        "new_bodies": sorted({m["name"] for m in matches.values() if m["match"] == "new"}),
        "unparsed": [dataclasses.asdict(u) for u in parsed.unparsed],
        "plan_id": None,
    }


async def commit_import(session: AsyncSession, *, actor: Actor, scope: Scope, organization_id: uuid.UUID,
                        parsed: ParsedPlan, code: str | None, status: str) -> uuid.UUID:
    """Create the plan, its bodies, events, tasks and assignments in the request's one transaction."""
    session.info.pop(audit.READ_ONLY, None)
    await guard(session, scope, organization_id)
    if not parsed.tasks:
        raise RuleViolation("The document holds no numbered task, so no plan was created. Preview it (without "
                            "`commit`) to see what was read; `unparsed` lists every line that was not understood.",
                            code="empty_document")
    if not parsed.title.strip():
        raise RuleViolation("The document has no title (the line after the header naming the plan, e.g. "
                            "'KẾ HOẠCH …'); add one or create the plan field by field.", code="empty_document")
    plan_code = code or parsed.code
    if plan_code:
        await _check_plan_code(session, scope, plan_code)
    names = [(a.body, a.collective) for t in parsed.tasks for a in t.assignments]
    if parsed.issuer:
        names.append((parsed.issuer, False))
    body_ids = await _ensure_bodies(session, organization_id, names)
    plan_id = await db.insert_plan(
        session, code=plan_code, title=parsed.title, organization_id=organization_id, status=status,
        issuer_body_id=body_ids[normalise_body_name(parsed.issuer)] if parsed.issuer else None,
        issued_on=parsed.issued_on, implements=list(parsed.implements))
    events: dict[str, uuid.UUID] = {}
    for task in parsed.tasks:
        for description in _events_of(task.deadline):
            key = event_key(description)
            if key not in events:
                events[key] = await db.upsert_event(session, plan_id=plan_id, description=description, key=key)
    task_ids: dict[str, uuid.UUID] = {}
    for position, task in enumerate(parsed.tasks):
        task_ids[task.code] = await db.insert_task(
            session, plan_id=plan_id, parent_id=task_ids.get(task.parent_code or ""), code=task.code,
            position=position, title=task.title, deadline_kind=task.deadline.kind.value if task.deadline else None,
            deadline_text=task.deadline.text if task.deadline else None,
            deadline=_deadline_json(task.deadline, events))
        await db.replace_assignments(session, task_ids[task.code], [
            (body_ids[normalise_body_name(a.body)], role.value) for a in task.assignments for role in a.roles])
    await audit.record(session, actor, action="import", entity="plan", entity_id=plan_id,
                       organization_id=organization_id, before=None, diff=False,
                       after={"id": plan_id, "code": plan_code, "title": parsed.title, "tasks": len(parsed.tasks),
                              "bodies": len(body_ids), "events": len(events)})
    return plan_id


async def _check_plan_code(session: AsyncSession, scope: Scope, code: str, *,
                           for_id: uuid.UUID | None = None) -> None:
    """Plan codes are unique; which plan holds one is said only to a caller who may see that plan."""
    taken = await db.plan_code_taken(session, code)
    if taken is None or taken == for_id:
        return
    if await db.read_plan(await driver_connection(session), taken, scope=scope) is not None:
        raise Conflict(f"A plan with code {code!r} already exists ({taken}).", code="duplicate_plan_code",
                       existing_id=str(taken))
    raise Conflict(f"The plan code {code!r} is already taken.", code="duplicate_plan_code")


# --- field-by-field edits -----------------------------------------------------------------------------------------

async def create_plan(session: AsyncSession, *, actor: Actor, scope: Scope, organization_id: uuid.UUID,
                      values: dict[str, Any], issuer: str | None) -> uuid.UUID:
    await guard(session, scope, organization_id)
    if values.get("code"):
        await _check_plan_code(session, scope, values["code"])
    issuer_id = (await _ensure_bodies(session, organization_id, [(issuer, False)]))[normalise_body_name(issuer)] \
        if issuer else None
    plan_id = await db.insert_plan(session, organization_id=organization_id, issuer_body_id=issuer_id, **values)
    await audit.record(session, actor, action="create", entity="plan", entity_id=plan_id,
                       organization_id=organization_id, before=None, after={"id": plan_id, **values})
    return plan_id


async def _plan(session: AsyncSession, scope: Scope, plan_id: uuid.UUID) -> asyncpg.Record:
    row = await db.read_plan(await driver_connection(session), plan_id, scope=scope)
    if row is None:
        raise NotFound(f"No plan with id {plan_id} exists.", code="plan_not_found")
    await guard(session, scope, row["organization_id"],
                missing=NotFound(f"No plan with id {plan_id} exists.", code="plan_not_found"))
    return row


async def update_plan(session: AsyncSession, *, actor: Actor, scope: Scope, plan_id: uuid.UUID,
                      values: dict[str, Any]) -> None:
    row = await _plan(session, scope, plan_id)
    if values.get("code"):
        await _check_plan_code(session, scope, values["code"], for_id=plan_id)
    await db.update_plan(session, plan_id, values)
    before = {k: row[k] for k in values}
    await audit.record(session, actor, action="update", entity="plan", entity_id=plan_id,
                       organization_id=row["organization_id"], before=before, after=values)


async def add_task(session: AsyncSession, *, actor: Actor, scope: Scope, plan_id: uuid.UUID, code: str,
                   parent_code: str | None, title: str, deadline_text: str | None,
                   assignments: Sequence[tuple[str, bool, Sequence[Role]]]) -> uuid.UUID:
    plan = await _plan(session, scope, plan_id)
    conn = await driver_connection(session)
    existing = {r["code"]: r for r in await db.list_tasks(conn, db.TaskQuery(plan_id=plan_id), scope=scope)}
    if code in existing:
        raise Conflict(f"The plan already has a task {code!r}.", code="duplicate_task_code")
    if parent_code is not None and parent_code not in existing:
        raise RuleViolation(f"The plan has no task {parent_code!r} to put {code!r} under.", code="unknown_parent_task")
    deadline = parse_deadline(deadline_text, issued_on=plan["issued_on"]) if deadline_text else None
    if deadline is not None and deadline.kind.value == "unknown":
        raise RuleViolation(f"The deadline {deadline_text!r} could not be understood; write it as a date "
                            "(31/12/2024), a month (tháng 6/2024), a quarter (Quý II/2024), 'Hết năm 2024', "
                            "'Hằng năm', 'Thường xuyên' or 'Sau N tháng kể từ khi …'.", code="unknown_deadline")
    events = {event_key(e): await db.upsert_event(session, plan_id=plan_id, description=e, key=event_key(e))
              for e in _events_of(deadline)}
    body_ids = await _ensure_bodies(session, plan["organization_id"], [(n, c) for n, c, _ in assignments])
    task_id = await db.insert_task(
        session, plan_id=plan_id, parent_id=existing[parent_code]["id"] if parent_code else None, code=code,
        position=max((r["position"] for r in existing.values()), default=-1) + 1, title=title,
        deadline_kind=deadline.kind.value if deadline else None, deadline_text=deadline_text,
        deadline=_deadline_json(deadline, events))
    await db.replace_assignments(session, task_id, [
        (body_ids[normalise_body_name(n)], r.value) for n, _, roles in assignments for r in roles])
    await audit.record(session, actor, action="create", entity="task", entity_id=task_id,
                       organization_id=plan["organization_id"], before=None,
                       after={"id": task_id, "plan_id": plan_id, "code": code, "title": title,
                              "deadline": deadline_text,
                              "assignments": [[n, [r.value for r in roles]] for n, _, roles in assignments]})
    return task_id


async def _task(session: AsyncSession, scope: Scope, task_id: uuid.UUID) -> asyncpg.Record:
    rows = await db.list_tasks(await driver_connection(session), db.TaskQuery(task_id=task_id), scope=scope)
    if not rows:
        raise NotFound(f"No task with id {task_id} exists.", code="task_not_found")
    return rows[0]


async def record_event(session: AsyncSession, *, actor: Actor, scope: Scope, plan_id: uuid.UUID,
                       event_id: uuid.UUID, happened_on: date | None, reference: str | None) -> None:
    """Record the day an awaited event happened (or clear it): every deadline waiting on it is resolved."""
    plan = await _plan(session, scope, plan_id)
    events = await db.plan_events(await driver_connection(session), [plan_id])
    event = next((e for e in events if e["id"] == event_id), None)
    if event is None:
        raise NotFound(f"The plan has no awaited event {event_id}.", code="event_not_found")
    await db.set_event(session, event_id, happened_on=happened_on, reference=reference)
    await audit.record(session, actor, action="record_event", entity="plan_event", entity_id=event_id,
                       organization_id=plan["organization_id"],
                       before={"happened_on": event["happened_on"], "reference": event["reference"]},
                       after={"happened_on": happened_on, "reference": reference})


async def add_report(session: AsyncSession, *, actor: Actor, scope: Scope, task_id: uuid.UUID,
                     body_id: uuid.UUID, reported_on: date, period_year: int | None, status: str,
                     text: str | None, evidence_ref: str | None) -> uuid.UUID:
    task = await _task(session, scope, task_id)
    assigned = {a["body_id"] for a in decoded(task["assignments"])}
    if str(body_id) not in assigned:
        raise RuleViolation(f"Body {body_id} is not assigned to task {task['code']}; only its bodies report on it.",
                            code="not_assigned")
    kind = task["deadline_kind"]
    yearly = kind == "yearly" or (task["deadline"] and "yearly" in str(task["deadline"]))
    if yearly and period_year is None:
        period_year = reported_on.year
    if not yearly and period_year is not None:
        raise RuleViolation("`period_year` is only for recurring (yearly) tasks.", code="period_not_recurring")
    report_id = await db.insert_report(session, task_id=task_id, body_id=body_id, reported_on=reported_on,
                                       period_year=period_year, status=status, text=text, evidence_ref=evidence_ref)
    plan_org = (await _plan(session, scope, task["plan_id"]))["organization_id"]
    await audit.record(session, actor, action="report", entity="task", entity_id=task_id, organization_id=plan_org,
                       before=None, diff=False,
                       after={"report_id": report_id, "body_id": body_id, "reported_on": reported_on,
                              "period_year": period_year, "status": status})
    return report_id


# --- where things stand -------------------------------------------------------------------------------------------

def decoded(value: Any) -> Any:
    """JSON columns arrive as text from the pool, already decoded through the session's connection."""
    return orjson.loads(value) if isinstance(value, str | bytes) else value


def _first_year(row: asyncpg.Record) -> int:
    issued: date | None = row["plan_issued_on"]
    return issued.year if issued else 2022


def task_view(row: asyncpg.Record, events: dict[str, tuple[str, date | None]], *, as_of: date,
              due_soon_days: int) -> dict[str, Any]:
    raw_reports = decoded(row["reports"])
    reports = [Report(reported_on=date.fromisoformat(r["reported_on"]), status=r["status"],
                      period_year=r["period_year"]) for r in raw_reports]
    deadline = decoded(row["deadline"]) if row["deadline"] else None
    owed = obligations(deadline, events={k: v[1] for k, v in events.items()}, reports=reports, as_of=as_of,
                       first_year=_first_year(row), due_soon_days=due_soon_days,
                       event_names={k: v[0] for k, v in events.items()})
    return {
        "id": row["id"], "plan_id": row["plan_id"], "plan_code": row["plan_code"], "parent_id": row["parent_id"],
        "code": row["code"], "title": row["title"],
        "deadline": {"kind": row["deadline_kind"], "text": row["deadline_text"], "parsed": deadline}
        if row["deadline_kind"] else None,
        "assignments": decoded(row["assignments"]),
        "obligations": [_obligation(o) for o in owed],
        "state": _overall(owed).value,
        "reports": raw_reports,
        "version": row["version"],
    }


def _obligation(o: Obligation) -> dict[str, Any]:
    return {"year": o.year, "due": o.due, "state": o.state.value, "done_on": o.done_on, "waiting_for": o.waiting_for}


_PRIORITY = [State.overdue, State.due_soon, State.waiting_on_event, State.not_yet_due, State.ongoing,
             State.done_late, State.done_on_time, State.no_deadline]


def _overall(owed: Sequence[Obligation]) -> State:
    """A task's headline state: the most pressing of its obligations."""
    return min((o.state for o in owed), key=_PRIORITY.index)


async def plan_tasks(conn: Querier, *, scope: Scope, plan_id: uuid.UUID, as_of: date,
                     due_soon_days: int) -> list[dict[str, Any]]:
    rows = await db.list_tasks(conn, db.TaskQuery(plan_id=plan_id), scope=scope)
    events = await db.events_of(conn, [plan_id])
    return [task_view(r, events, as_of=as_of, due_soon_days=due_soon_days) for r in rows]


async def read_plan(conn: Querier, *, scope: Scope, plan_id: uuid.UUID) -> asyncpg.Record:
    row = await db.read_plan(conn, plan_id, scope=scope)
    if row is None:
        raise NotFound(f"No plan with id {plan_id} exists.", code="plan_not_found")
    return row


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
        "by_body": [{"body_id": b, "body": names[b], "by_state": dict(sorted(c.items()))}
                    for b, c in sorted(by_body.items(), key=lambda kv: names[kv[0]])],
        "by_role": {r: dict(sorted(c.items())) for r, c in sorted(by_role.items())},
    }


async def body_tasks(conn: Querier, *, scope: Scope, body_id: uuid.UUID, roles: Sequence[str],
                     states: Sequence[str], as_of: date, due_within_days: int | None,
                     due_soon_days: int) -> list[dict[str, Any]]:
    """"My tasks": a body's tasks by role and state; with `due_within_days`, the obligations falling due in the
    next N days (for reminders)."""
    if await db.read_body(conn, body_id, scope=scope) is None:
        raise NotFound(f"No body with id {body_id} exists.", code="body_not_found")
    rows = await db.list_tasks(conn, db.TaskQuery(body_id=body_id, roles=roles), scope=scope)
    events = await db.events_of(conn, list({r["plan_id"] for r in rows}))
    views = [task_view(r, events, as_of=as_of, due_soon_days=due_soon_days) for r in rows]
    result = []
    for view in views:
        owed = view["obligations"]
        if states:
            owed = [o for o in owed if o["state"] in states]
        if due_within_days is not None:
            owed = [o for o in owed if o["due"] is not None and o["state"] not in ("done_on_time", "done_late")
                    and 0 <= (o["due"] - as_of).days <= due_within_days]
        if owed or (not states and due_within_days is None):
            result.append({**view, "obligations": owed})
    return result
