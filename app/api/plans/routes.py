"""Plans: create and edit, import from a document (preview, then commit), tasks with their states on a date,
summaries, and the events deadlines wait for."""

import uuid
from typing import Annotated

from fastapi import Path, Query, Request, status
from starlette.responses import Response

from app.api.auth import EditorDep, ReaderDep, api_router
from app.api.deps import PagingDep, SettingsDep, Today, UpdatedSince
from app.api.exports import FileDep, file_responses
from app.api.hygiene import UnsupportedMediaType
from app.api.organization_refs import optional_organization, required_organization
from app.api.plans.models import (
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
from app.api.types import Day, ExpectedVersion, dump, json_response, versioned_response
from app.domain.exports import plans as exports
from app.domain.indicators import plan_text
from app.domain.plans import plans, tasks

router = api_router("/api/v1/plans", "plans")

PlanId = Annotated[uuid.UUID, Path(description="The plan's id")]
AsOfDay = Annotated[Day | None, Query(description="Where things stand on this day (default: today)")]
DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"


@router.get("", response_model=PlanPage, responses={**file_responses("plans"), **problems(400, 404)})
async def list_plans(
    reader: ReaderDep,
    paging: PagingDep,
    file: FileDep,
    organization_id: Annotated[uuid.UUID | None, optional_organization("organization_id", "Plans of this unit")],
    updated_since: UpdatedSince = None,
) -> Response:
    """Plans the caller may see (of its organisations, or naming one of its bodies); with `format=`, as a file."""
    if file.wanted is not None:
        return await file.send(
            await exports.export_plans(
                reader.pool,
                scope=reader.scope,
                organization_id=organization_id,
                wanted=file.wanted,
                updated_since=updated_since,
            )
        )
    page = await plans.list_plans(
        reader.pool, scope=reader.scope, organization_id=organization_id, paging=paging, updated_since=updated_since
    )
    return json_response(dump({"items": page.items, "next_cursor": page.next_cursor}))


@router.post("", status_code=status.HTTP_201_CREATED, response_model=PlanRead, responses=problems(404, 409))
async def create_plan(body: PlanCreate, writer: EditorDep) -> Response:
    """Create a plan field by field (tasks are added with POST /plans/{id}/tasks)."""
    plan = await plans.create_plan(
        writer.tx,
        actor=writer.actor,
        scope=writer.scope,
        organization_id=body.organization_id,
        values=body.model_dump(exclude={"organization_id", "issuer"}),
        issuer=body.issuer,
    )
    return versioned_response(plan, status_code=201, headers={"Location": f"/api/v1/plans/{plan['id']}"})


@router.post(
    "/import",
    response_model=ImportPreview,
    responses={
        **problems(404, 409, 415),
        201: {"model": ImportPreview, "description": "With `commit=true`: the plan was created (`plan_id`)"},
    },
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {
                "text/plain": {"schema": {"type": "string"}},
                DOCX: {"schema": {"type": "string", "format": "binary"}},
                "application/octet-stream": {"schema": {"type": "string", "format": "binary"}},
            },
        }
    },
)
async def import_plan(
    request: Request,
    writer: EditorDep,
    organization_id: Annotated[
        uuid.UUID, required_organization("organization_id", "The organisation whose plan it is")
    ],
    commit: Annotated[bool, Query(description="false: preview only (nothing written); true: create the plan")] = False,
    code: Annotated[
        str | None, Query(max_length=100, description="The plan's code, when the document's is blank")
    ] = None,
    plan_status: Annotated[str, Query(alias="status", pattern="^(draft|issued)$")] = "draft",
) -> Response:
    """Read a plan document — its plain text (text/plain) or the Word file (.docx) — and answer what it holds:
    tasks with codes, bodies per role (each matched to a known body or proposed as new), parsed deadlines, and
    every line that was not understood, and the indicator targets its text states (`targets`; quantified goals
    that map to no indicator in `unmapped_targets`, docs/plans.md). With `commit=true` the plan is created with
    those targets, in one transaction."""
    content_type = request.headers.get("content-type", "text/plain").split(";")[0].strip()
    octets = content_type == "application/octet-stream"  # a generated client's, curl -T's: the bytes decide
    if content_type != DOCX and not content_type.startswith("text/") and not octets:
        raise UnsupportedMediaType(
            f"Send the plan as text/plain (UTF-8) or as a Word file ({DOCX}), not "
            f"{content_type or 'a body without Content-Type'}."
        )
    body = await request.body()
    parsed = plans.parse_document(body, docx=content_type == DOCX or (octets and body.startswith(b"PK\x03\x04")))
    preview = await plan_text.import_plan(
        writer.tx,
        actor=writer.actor,
        scope=writer.scope,
        organization_id=organization_id,
        parsed=parsed,
        commit=commit,
        code=code,
        status=plan_status,
    )
    return json_response(dump(preview), status_code=201 if commit else 200)


@router.get("/{plan_id}", response_model=PlanRead, responses=problems(404))
async def get_plan(plan_id: PlanId, reader: ReaderDep) -> Response:
    """One plan; its version is the ETag."""
    return versioned_response(dict(await plans.read_plan(reader.pool, scope=reader.scope, plan_id=plan_id)))


@router.patch("/{plan_id}", response_model=PlanRead, responses=problems(404, 409, 412))
async def update_plan(
    plan_id: PlanId, body: PlanUpdate, writer: EditorDep, expected_version: ExpectedVersion
) -> Response:
    """Change a plan's fields (status draft → issued, its code once numbered, …). Send `If-Match` to guard
    against lost updates."""
    return versioned_response(
        await plans.update_plan(
            writer.tx,
            actor=writer.actor,
            scope=writer.scope,
            plan_id=plan_id,
            values=body.model_dump(exclude_unset=True),
            expected_version=expected_version,
        )
    )


@router.get("/{plan_id}/tasks", response_model=TaskPage, responses={**file_responses("tasks"), **problems(404)})
async def list_plan_tasks(
    plan_id: PlanId, reader: ReaderDep, settings: SettingsDep, today: Today, file: FileDep, as_of: AsOfDay = None
) -> Response:
    """The plan's tasks in document order, each with its obligations and their state on `as_of`; with `format=`,
    as a file."""
    if file.wanted is not None:
        return await file.send(
            await exports.export_plan_tasks(
                reader.pool,
                scope=reader.scope,
                plan_id=plan_id,
                as_of=as_of or today,
                due_soon_days=settings.due_soon_days,
                wanted=file.wanted,
            )
        )
    items = await tasks.plan_tasks(
        reader.pool, scope=reader.scope, plan_id=plan_id, as_of=as_of or today, due_soon_days=settings.due_soon_days
    )
    return json_response(dump({"items": items, "next_cursor": None}))


@router.post(
    "/{plan_id}/tasks", status_code=status.HTTP_201_CREATED, response_model=TaskRead, responses=problems(404, 409)
)
async def add_task(
    plan_id: PlanId, body: TaskCreate, writer: EditorDep, settings: SettingsDep, today: Today
) -> Response:
    """Add a task to a plan, with its deadline as written (it is parsed) and its bodies per role."""
    view = await tasks.add_task(
        writer.tx,
        actor=writer.actor,
        scope=writer.scope,
        plan_id=plan_id,
        code=body.code,
        parent_code=body.parent_code,
        title=body.title,
        deadline_text=body.deadline,
        assignments=[(a.body, a.collective, a.roles) for a in body.assignments],
        today=today,
        due_soon_days=settings.due_soon_days,
    )
    return versioned_response(view, status_code=201, headers={"Location": f"/api/v1/tasks/{view['id']}"}, day=today)


@router.get("/{plan_id}/summary", response_model=PlanSummary, responses=problems(404))
async def get_plan_summary(
    plan_id: PlanId, reader: ReaderDep, settings: SettingsDep, today: Today, as_of: AsOfDay = None
) -> Response:
    """Counts of obligations by state, by body and by role, on `as_of`."""
    return json_response(
        dump(
            await tasks.plan_summary(
                reader.pool,
                scope=reader.scope,
                plan_id=plan_id,
                as_of=as_of or today,
                due_soon_days=settings.due_soon_days,
            )
        )
    )


@router.get("/{plan_id}/events", response_model=EventPage, responses={**file_responses("events"), **problems(404)})
async def list_plan_events(plan_id: PlanId, reader: ReaderDep, file: FileDep) -> Response:
    """What the plan's deadlines wait for, whether it has happened, and which tasks wait on it; with `format=`, as
    a file."""
    if file.wanted is not None:
        return await file.send(
            await exports.export_plan_events(reader.pool, scope=reader.scope, plan_id=plan_id, wanted=file.wanted)
        )
    items = await plans.plan_events(reader.pool, scope=reader.scope, plan_id=plan_id)
    return json_response(dump({"items": items, "next_cursor": None}))


@router.put("/{plan_id}/events/{event_id}", response_model=EventPage, responses=problems(404))
async def record_plan_event(
    plan_id: PlanId, event_id: uuid.UUID, body: EventRecord, writer: EditorDep, expected_version: ExpectedVersion
) -> Response:
    """Record the day an awaited event happened: every deadline waiting on it gets its date."""
    items = await plans.record_event(
        writer.tx,
        actor=writer.actor,
        scope=writer.scope,
        plan_id=plan_id,
        event_id=event_id,
        happened_on=body.happened_on,
        reference=body.reference,
        expected_version=expected_version,
    )
    return json_response(dump({"items": items, "next_cursor": None}))
