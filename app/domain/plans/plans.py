"""Plans: created field by field or imported from a document (preview, then commit in one transaction), corrected,
and the events their deadlines wait for."""

import dataclasses
import uuid
from datetime import date, datetime
from typing import Any

import orjson

from app.db.plans import queries as db
from app.db.scope import WHOLE_TREE, Scope
from app.db.sql import Querier, Record
from app.domain.access.callers import Actor
from app.domain.audit import service as audit
from app.domain.errors import Conflict, NotFound, RuleViolation
from app.domain.organizations.changes import guard
from app.domain.pagination import Page, Paging
from app.domain.plans.bodies import normalise_body_name
from app.domain.plans.document import ParsedDeadline, ParsedPlan
from app.domain.plans.docx import parse_plan_docx
from app.domain.plans.parsing import parse_plan_text
from app.domain.plans.registry import ensure_bodies, match_bodies
from app.domain.tx import Tx
from app.domain.versions import check_version, count_change


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


def _deadline_view(deadline: ParsedDeadline | None) -> dict[str, Any] | None:
    if deadline is None:
        return None
    loaded: dict[str, Any] = orjson.loads(orjson.dumps(dataclasses.asdict(deadline)))
    return loaded


async def preview_import(tx: Tx, *, scope: Scope, organization_id: uuid.UUID, parsed: ParsedPlan) -> dict[str, Any]:
    """What a commit would create: tasks with codes, bodies per role (each matched or proposed as new), parsed
    deadlines, and every line that was not understood. Writes nothing (unless a commit follows)."""
    audit.unchanged(tx)
    await guard(tx, scope, organization_id)
    names = list(dict.fromkeys((a.body, a.collective) for t in parsed.tasks for a in t.assignments))
    matches = {m["key"]: m for m in await match_bodies(tx, organization_id, names)}
    tasks = []
    for task in parsed.tasks:
        tasks.append(
            {
                "code": task.code,
                "parent_code": task.parent_code,
                "title": task.title,
                "line": task.line,
                "deadline": _deadline_view(task.deadline),
                "assignments": [
                    {**matches[normalise_body_name(a.body)], "roles": list(a.roles)} for a in task.assignments
                ],
            }
        )
    return {
        "plan": {
            "code": parsed.code,
            "title": parsed.title,
            "issuer": parsed.issuer,
            "issued_on": parsed.issued_on,
            "implements": list(parsed.implements),
        },
        "tasks": tasks,
        "tasks_with_deadline": sum(1 for t in parsed.tasks if t.deadline is not None),
        "new_bodies": sorted({m["name"] for m in matches.values() if m["match"] == "new"}),
        "unparsed": [dataclasses.asdict(u) for u in parsed.unparsed],
        "plan_id": None,
    }


async def commit_import(
    tx: Tx, *, actor: Actor, scope: Scope, organization_id: uuid.UUID, parsed: ParsedPlan, code: str | None, status: str
) -> uuid.UUID:
    """Create the plan, its bodies, events, tasks and assignments in the request's one transaction."""
    tx.unchanged = False
    await guard(tx, scope, organization_id)
    if not parsed.tasks:
        raise RuleViolation(
            "The document holds no numbered task, so no plan was created. Preview it (without "
            "`commit`) to see what was read; `unparsed` lists every line that was not understood.",
            code="empty_document",
        )
    if not parsed.title.strip():
        raise RuleViolation(
            "The document has no title (the line after the header naming the plan, e.g. "
            "'KẾ HOẠCH …'); add one or create the plan field by field.",
            code="empty_document",
        )
    plan_code = code or parsed.code
    if plan_code:
        await _check_plan_code(tx, scope, plan_code, organization_id)
    names = [(a.body, a.collective) for t in parsed.tasks for a in t.assignments]
    if parsed.issuer:
        names.append((parsed.issuer, False))
    body_ids = await ensure_bodies(tx, organization_id, names)
    plan_id = await db.insert_plan(
        tx.conn,
        code=plan_code,
        title=parsed.title,
        organization_id=organization_id,
        status=status,
        issuer_body_id=body_ids[normalise_body_name(parsed.issuer)] if parsed.issuer else None,
        issued_on=parsed.issued_on,
        implements=list(parsed.implements),
    )
    events: dict[str, uuid.UUID] = {}
    for task in parsed.tasks:
        for description in _events_of(task.deadline):
            key = event_key(description)
            if key not in events:
                events[key] = await db.upsert_event(tx.conn, plan_id=plan_id, description=description, key=key)
    task_ids: dict[str, uuid.UUID] = {}
    for position, task in enumerate(parsed.tasks):
        task_ids[task.code] = await db.insert_task(
            tx.conn,
            plan_id=plan_id,
            parent_id=task_ids.get(task.parent_code or ""),
            code=task.code,
            position=position,
            title=task.title,
            deadline_kind=task.deadline.kind.value if task.deadline else None,
            deadline_text=task.deadline.text if task.deadline else None,
            deadline=_deadline_json(task.deadline, events),
        )
        await db.replace_assignments(
            tx.conn,
            task_ids[task.code],
            [(body_ids[normalise_body_name(a.body)], role.value) for a in task.assignments for role in a.roles],
        )
    await audit.record(
        tx,
        actor,
        action="import",
        entity="plan",
        entity_id=plan_id,
        organization_id=organization_id,
        before=None,
        diff=False,
        after={
            "id": plan_id,
            "code": plan_code,
            "title": parsed.title,
            "tasks": len(parsed.tasks),
            "bodies": len(body_ids),
            "events": len(events),
        },
    )
    return plan_id


async def _check_plan_code(
    tx: Tx, scope: Scope, code: str, organization_id: uuid.UUID, *, for_id: uuid.UUID | None = None
) -> None:
    """Plan codes are unique per issuing organisation (each town numbers its own "…-KH/TU"); which plan holds one is
    said only to a caller who may see that plan."""
    taken = await db.plan_code_taken(tx.conn, code, organization_id)
    if taken is None or taken == for_id:
        return
    if await db.read_plan(tx.conn, taken, scope=scope) is not None:
        raise Conflict(
            f"The organisation already has a plan with code {code!r} ({taken}).",
            code="duplicate_plan_code",
            existing_id=str(taken),
        )
    raise Conflict(f"The plan code {code!r} is already taken in this organisation.", code="duplicate_plan_code")


async def create_plan(
    tx: Tx, *, actor: Actor, scope: Scope, organization_id: uuid.UUID, values: dict[str, Any], issuer: str | None
) -> dict[str, Any]:
    await guard(tx, scope, organization_id)
    if values.get("code"):
        await _check_plan_code(tx, scope, values["code"], organization_id)
    issuer_id = (
        (await ensure_bodies(tx, organization_id, [(issuer, False)]))[normalise_body_name(issuer)] if issuer else None
    )
    plan_id = await db.insert_plan(tx.conn, organization_id=organization_id, issuer_body_id=issuer_id, **values)
    await audit.record(
        tx,
        actor,
        action="create",
        entity="plan",
        entity_id=plan_id,
        organization_id=organization_id,
        before=None,
        after={"id": plan_id, **values},
    )
    return await _served(tx, plan_id)


async def _plan(tx: Tx, scope: Scope, plan_id: uuid.UUID) -> Record:
    row = await db.read_plan(tx.conn, plan_id, scope=scope)
    if row is None:
        raise NotFound(f"No plan with id {plan_id} exists.", code="plan_not_found")
    await guard(
        tx, scope, row["organization_id"], missing=NotFound(f"No plan with id {plan_id} exists.", code="plan_not_found")
    )
    return row


async def update_plan(
    tx: Tx, *, actor: Actor, scope: Scope, plan_id: uuid.UUID, values: dict[str, Any], expected_version: int | None
) -> dict[str, Any]:
    row = await _plan(tx, scope, plan_id)
    await check_version(tx, "plans", plan_id, expected_version, f"Plan {row['code'] or plan_id}")
    if values.get("code"):
        await _check_plan_code(tx, scope, values["code"], row["organization_id"], for_id=plan_id)
    await db.update_plan(tx.conn, plan_id, values)
    before = {k: row[k] for k in values}
    await audit.record(
        tx,
        actor,
        action="update",
        entity="plan",
        entity_id=plan_id,
        organization_id=row["organization_id"],
        before=before,
        after=values,
    )
    return await _served(tx, plan_id)


async def read_plan(conn: Querier, *, scope: Scope, plan_id: uuid.UUID) -> Record:
    row = await db.read_plan(conn, plan_id, scope=scope)
    if row is None:
        raise NotFound(f"No plan with id {plan_id} exists.", code="plan_not_found")
    return row


async def record_event(
    tx: Tx,
    *,
    actor: Actor,
    scope: Scope,
    plan_id: uuid.UUID,
    event_id: uuid.UUID,
    happened_on: date | None,
    reference: str | None,
    expected_version: int | None = None,
) -> list[dict[str, Any]]:
    """Record the day an awaited event happened (or clear it): every deadline waiting on it is resolved. The plan
    counts a new version (its deadlines changed), so If-Match names the plan's version."""
    plan = await _plan(tx, scope, plan_id)
    await check_version(tx, "plans", plan_id, expected_version, f"Plan {plan['code'] or plan_id}")
    events = await db.plan_events(tx.conn, [plan_id])
    event = next((e for e in events if e["id"] == event_id), None)
    if event is None:
        raise NotFound(f"The plan has no awaited event {event_id}.", code="event_not_found")
    await db.set_event(tx.conn, event_id, happened_on=happened_on, reference=reference)
    await count_change(tx, "plans", plan_id)
    await audit.record(
        tx,
        actor,
        action="record_event",
        entity="plan_event",
        entity_id=event_id,
        organization_id=plan["organization_id"],
        before={"happened_on": event["happened_on"], "reference": event["reference"]},
        after={"happened_on": happened_on, "reference": reference},
    )
    return [dict(r) for r in await db.plan_events(tx.conn, [plan_id])]


async def _served(tx: Tx, plan_id: uuid.UUID) -> dict[str, Any]:
    row = await db.read_plan(tx.conn, plan_id, scope=WHOLE_TREE)
    assert row is not None
    return dict(row)


async def list_plans(
    conn: Querier,
    *,
    scope: Scope,
    organization_id: uuid.UUID | None,
    paging: Paging,
    updated_since: datetime | None = None,
) -> Page[dict[str, Any]]:
    """Plans the caller may see (of its organisations, or naming one of its bodies), those changed since
    `updated_since` if given."""
    position = paging.after("plans")
    rows = await db.list_plans(
        conn,
        scope=scope,
        organization_id=organization_id,
        after=uuid.UUID(position["a"]) if position else None,
        limit=paging.fetch,
        updated_since=updated_since,
    )
    page = paging.page(rows, kind="plans", position=lambda r: {"a": str(r["id"])})
    return Page(items=[dict(r) for r in page.items], next_cursor=page.next_cursor)


async def plan_events(conn: Querier, *, scope: Scope, plan_id: uuid.UUID) -> list[dict[str, Any]]:
    """What the plan's deadlines wait for, whether it has happened, and which tasks wait on it."""
    await read_plan(conn, scope=scope, plan_id=plan_id)
    return [dict(r) for r in await db.plan_events(conn, [plan_id])]


def parse_document(data: bytes, *, docx: bool) -> ParsedPlan:
    """A plan document read: the Word file, or its plain text (UTF-8)."""
    if docx:
        return parse_plan_docx(data)
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise RuleViolation("The document must be UTF-8 text (or a .docx file).", code="bad_document") from exc
    if "\x00" in text:
        raise RuleViolation(
            "The document holds a NUL character, which no text can store; send the text as "
            "it reads (or the .docx file).",
            code="bad_document",
        )
    return parse_plan_text(text)


async def import_plan(
    tx: Tx,
    *,
    actor: Actor,
    scope: Scope,
    organization_id: uuid.UUID,
    parsed: ParsedPlan,
    commit: bool,
    code: str | None,
    status: str,
) -> dict[str, Any]:
    """What the document holds (nothing written), and with `commit` the plan created from it."""
    preview = await preview_import(tx, scope=scope, organization_id=organization_id, parsed=parsed)
    if commit:
        preview["plan_id"] = await commit_import(
            tx, actor=actor, scope=scope, organization_id=organization_id, parsed=parsed, code=code, status=status
        )
    return preview
