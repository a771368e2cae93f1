"""Plans: create and edit, import from a document (preview, then commit), tasks with their states on a date,
summaries, and the events deadlines wait for."""

import asyncio
import uuid
from typing import Annotated, Any

from fastapi import Path, Query, Request, status
from starlette.responses import Response

from app.api.auth import EditorDep, ReaderDep, api_router
from app.api.deps import PagingDep, SettingsDep, Today
from app.api.hygiene import UnsupportedMediaType
from app.api.plan_models import (
    EventPage,
    EventRecord,
    ImportPreview,
    PlanCreate,
    PlanPage,
    PlanRead,
    PlanSummary,
    PlanUpdate,
    TaskCreate,
    TaskPage,
    TaskRead,
)
from app.api.responses import problems
from app.api.types import Day, dump, json_response
from app.db import plans as db
from app.db.organization_writes import driver_connection
from app.domain.errors import RuleViolation
from app.domain.plans import service
from app.domain.plans.docx import parse_plan_docx
from app.domain.plans.parsing import parse_plan_text

router = api_router("/api/v1/plans", "plans")

PlanId = Annotated[uuid.UUID, Path(description="The plan's id")]
AsOfDay = Annotated[Day | None, Query(description="Where things stand on this day (default: today)")]
DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"



def _plan_doc(row: Any) -> dict[str, Any]:
    return dict(row)


@router.get("", response_model=PlanPage, responses=problems(400))
async def list_plans(reader: ReaderDep, paging: PagingDep, organization_id: uuid.UUID | None = None) -> Response:
    """Plans the caller may see (of its organisations, or naming one of its bodies)."""
    position = paging.after("plans")
    rows = await db.list_plans(reader.pool, scope=reader.scope, organization_id=organization_id,
                               after=uuid.UUID(position["a"]) if position else None, limit=paging.fetch)
    page = paging.page(rows, kind="plans", position=lambda r: {"a": str(r["id"])})
    return json_response(dump({"items": [_plan_doc(r) for r in page.items], "next_cursor": page.next_cursor}))


@router.post("", status_code=status.HTTP_201_CREATED, response_model=PlanRead, responses=problems(404, 409))
async def create_plan(body: PlanCreate, writer: EditorDep) -> Response:
    """Create a plan field by field (tasks are added with POST /plans/{id}/tasks)."""
    values = body.model_dump(exclude={"organization_id", "issuer"})
    plan_id = await service.create_plan(writer.session, actor=writer.actor, scope=writer.scope,
                                        organization_id=body.organization_id, values=values, issuer=body.issuer)
    row = await service.read_plan(await driver_connection(writer.session), scope=writer.scope, plan_id=plan_id)
    return json_response(dump(_plan_doc(row)), status_code=201, headers={"Location": f"/api/v1/plans/{plan_id}"})


@router.post("/import", response_model=ImportPreview, responses={
    **problems(404, 409), 201: {"model": ImportPreview, "description": "With `commit=true`: the plan was created "
                                                                        "(`plan_id`)"}},
             openapi_extra={"requestBody": {"required": True, "content": {
                 "text/plain": {"schema": {"type": "string"}},
                 DOCX: {"schema": {"type": "string", "format": "binary"}}}}})
async def import_plan(
    request: Request, writer: EditorDep,
    organization_id: Annotated[uuid.UUID, Query(description="The organisation whose plan it is")],
    commit: Annotated[bool, Query(description="false: preview only (nothing written); true: create the plan")] = False,
    code: Annotated[str | None, Query(max_length=100, description="The plan's code, when the document's is blank")]
    = None,
    plan_status: Annotated[str, Query(alias="status", pattern="^(draft|issued)$")] = "draft",
) -> Response:
    """Read a plan document — its plain text (text/plain) or the Word file (.docx) — and answer what it holds:
    tasks with codes, bodies per role (each matched to a known body or proposed as new), parsed deadlines, and
    every line that was not understood. With `commit=true` the plan is created, in one transaction."""
    raw = await request.body()
    content_type = request.headers.get("content-type", "text/plain").split(";")[0].strip()
    if content_type == DOCX:
        parsed = await asyncio.to_thread(parse_plan_docx, raw)
    elif content_type.startswith("text/"):
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise RuleViolation("The document must be UTF-8 text (or a .docx file).", code="bad_document") from exc
        if "\x00" in text:
            raise RuleViolation("The document holds a NUL character, which no text can store; send the text as "
                                "it reads (or the .docx file).", code="bad_document")
        parsed = await asyncio.to_thread(parse_plan_text, text)
    else:
        raise UnsupportedMediaType(f"Send the plan as text/plain (UTF-8) or as a Word file ({DOCX}), not "
                                   f"{content_type or 'a body without Content-Type'}.")
    preview = await service.preview_import(writer.session, scope=writer.scope, organization_id=organization_id,
                                           parsed=parsed)
    if commit:
        preview["plan_id"] = await service.commit_import(
            writer.session, actor=writer.actor, scope=writer.scope, organization_id=organization_id, parsed=parsed,
            code=code, status=plan_status)
    return json_response(dump(preview), status_code=201 if commit else 200)


@router.get("/{plan_id}", response_model=PlanRead, responses=problems(404))
async def get_plan(plan_id: PlanId, reader: ReaderDep) -> Response:
    """One plan."""
    return json_response(dump(_plan_doc(await service.read_plan(reader.pool, scope=reader.scope, plan_id=plan_id))))


@router.patch("/{plan_id}", response_model=PlanRead, responses=problems(404, 409))
async def update_plan(plan_id: PlanId, body: PlanUpdate, writer: EditorDep) -> Response:
    """Change a plan's fields (status draft → issued, its code once numbered, …)."""
    await service.update_plan(writer.session, actor=writer.actor, scope=writer.scope, plan_id=plan_id,
                              values=body.model_dump(exclude_unset=True))
    row = await service.read_plan(await driver_connection(writer.session), scope=writer.scope, plan_id=plan_id)
    return json_response(dump(_plan_doc(row)))


@router.get("/{plan_id}/tasks", response_model=TaskPage, responses=problems(404))
async def list_plan_tasks(plan_id: PlanId, reader: ReaderDep, settings: SettingsDep, today: Today,
                          as_of: AsOfDay = None) -> Response:
    """The plan's tasks in document order, each with its obligations and their state on `as_of`."""
    await service.read_plan(reader.pool, scope=reader.scope, plan_id=plan_id)
    tasks = await service.plan_tasks(reader.pool, scope=reader.scope, plan_id=plan_id, as_of=as_of or today,
                                     due_soon_days=settings.due_soon_days)
    return json_response(dump({"items": tasks, "next_cursor": None}))


@router.post("/{plan_id}/tasks", status_code=status.HTTP_201_CREATED, response_model=TaskRead,
             responses=problems(404, 409))
async def add_task(plan_id: PlanId, body: TaskCreate, writer: EditorDep, settings: SettingsDep,
                   today: Today) -> Response:
    """Add a task to a plan, with its deadline as written (it is parsed) and its bodies per role."""
    task_id = await service.add_task(
        writer.session, actor=writer.actor, scope=writer.scope, plan_id=plan_id, code=body.code,
        parent_code=body.parent_code, title=body.title, deadline_text=body.deadline,
        assignments=[(a.body, a.collective, a.roles) for a in body.assignments])
    conn = await driver_connection(writer.session)
    rows = await db.list_tasks(conn, db.TaskQuery(task_id=task_id), scope=writer.scope)
    events = await db.events_of(conn, [plan_id])
    view = service.task_view(rows[0], events, as_of=today, due_soon_days=settings.due_soon_days)
    return json_response(dump(view), status_code=201, headers={"Location": f"/api/v1/tasks/{task_id}"})


@router.get("/{plan_id}/summary", response_model=PlanSummary, responses=problems(404))
async def get_plan_summary(plan_id: PlanId, reader: ReaderDep, settings: SettingsDep, today: Today,
                           as_of: AsOfDay = None) -> Response:
    """Counts of obligations by state, by body and by role, on `as_of`."""
    await service.read_plan(reader.pool, scope=reader.scope, plan_id=plan_id)
    day = as_of or today
    tasks = await service.plan_tasks(reader.pool, scope=reader.scope, plan_id=plan_id, as_of=day,
                                     due_soon_days=settings.due_soon_days)
    return json_response(dump({"plan_id": plan_id, "as_of": day, **service.summarise(tasks)}))


@router.get("/{plan_id}/events", response_model=EventPage, responses=problems(404))
async def list_plan_events(plan_id: PlanId, reader: ReaderDep) -> Response:
    """What the plan's deadlines wait for, whether it has happened, and which tasks wait on it."""
    await service.read_plan(reader.pool, scope=reader.scope, plan_id=plan_id)
    rows = await db.plan_events(reader.pool, [plan_id])
    return json_response(dump({"items": [dict(r) for r in rows], "next_cursor": None}))


@router.put("/{plan_id}/events/{event_id}", response_model=EventPage, responses=problems(404))
async def record_plan_event(plan_id: PlanId, event_id: uuid.UUID, body: EventRecord, writer: EditorDep) -> Response:
    """Record the day an awaited event happened: every deadline waiting on it gets its date."""
    await service.record_event(writer.session, actor=writer.actor, scope=writer.scope, plan_id=plan_id,
                               event_id=event_id, happened_on=body.happened_on, reference=body.reference)
    rows = await db.plan_events(await driver_connection(writer.session), [plan_id])
    return json_response(dump({"items": [dict(r) for r in rows], "next_cursor": None}))
