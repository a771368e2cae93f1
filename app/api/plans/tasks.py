"""Tasks: one task with its state, progress reports, and "my tasks" (a body's tasks by role and state)."""

import uuid
from typing import Annotated

from fastapi import Path, Query, status
from starlette.responses import Response

from app.api.auth import EditorDep, ReaderDep, api_router
from app.api.deps import SettingsDep, Today
from app.api.exports import FileDep, file_responses
from app.api.plans.models import ReportCreate, TaskPage, TaskRead, TaskUpdate
from app.api.responses import problems
from app.api.types import Day, ExpectedVersion, dump, json_response, versioned_response
from app.domain.exports import plans as exports
from app.domain.plans import tasks
from app.domain.plans.document import TaskRole
from app.domain.plans.status import State

router = api_router("/api/v1/tasks", "tasks")

TaskId = Annotated[uuid.UUID, Path(description="The task's id")]


@router.get("", response_model=TaskPage, responses={**file_responses("tasks"), **problems(404)})
async def list_body_tasks(
    reader: ReaderDep,
    settings: SettingsDep,
    today: Today,
    file: FileDep,
    body_id: Annotated[uuid.UUID, Query(description="The body whose tasks to list")],
    role: Annotated[list[TaskRole] | None, Query(description="Only these roles")] = None,
    state: Annotated[list[State] | None, Query(description="Only obligations in these states")] = None,
    due_within_days: Annotated[
        int | None, Query(ge=0, le=366, description="Only obligations falling due in the next N days (for reminders)")
    ] = None,
    as_of: Annotated[Day | None, Query(description="Default: today")] = None,
) -> Response:
    """A body's tasks across plans ("my tasks"), with their obligations on `as_of`; with `format=`, as a file."""
    roles, states, day = [r.value for r in role or ()], [s.value for s in state or ()], as_of or today
    if file.wanted is not None:
        return await file.send(
            await exports.export_body_tasks(
                reader.pool,
                scope=reader.scope,
                body_id=body_id,
                roles=roles,
                states=states,
                as_of=day,
                due_within_days=due_within_days,
                due_soon_days=settings.due_soon_days,
                wanted=file.wanted,
            )
        )
    items = await tasks.body_tasks(
        reader.pool,
        scope=reader.scope,
        body_id=body_id,
        roles=roles,
        states=states,
        as_of=day,
        due_within_days=due_within_days,
        due_soon_days=settings.due_soon_days,
    )
    return json_response(dump({"items": items, "next_cursor": None}))


@router.get("/{task_id}", response_model=TaskRead, responses=problems(404))
async def get_task(
    task_id: TaskId,
    reader: ReaderDep,
    settings: SettingsDep,
    today: Today,
    as_of: Annotated[Day | None, Query(description="Default: today")] = None,
) -> Response:
    """One task, with its obligations and their state on `as_of`; its version is the ETag."""
    return versioned_response(
        await tasks.get_task(
            reader.pool, scope=reader.scope, task_id=task_id, as_of=as_of or today, due_soon_days=settings.due_soon_days
        ),
        day=as_of or today,
    )


@router.patch("/{task_id}", response_model=TaskRead, responses=problems(404, 412))
async def update_task(
    task_id: TaskId,
    body: TaskUpdate,
    writer: EditorDep,
    settings: SettingsDep,
    today: Today,
    expected_version: ExpectedVersion,
) -> Response:
    """Correct a task's title or deadline (as written: it is parsed again). Send `If-Match` to guard against lost
    updates."""
    return versioned_response(
        await tasks.update_task(
            writer.tx,
            actor=writer.actor,
            scope=writer.scope,
            task_id=task_id,
            changes=body.model_dump(exclude_unset=True),
            expected_version=expected_version,
            today=today,
            due_soon_days=settings.due_soon_days,
        ),
        day=today,
    )


@router.post(
    "/{task_id}/reports", status_code=status.HTTP_201_CREATED, response_model=TaskRead, responses=problems(404)
)
async def add_report(
    task_id: TaskId,
    body: ReportCreate,
    writer: EditorDep,
    settings: SettingsDep,
    today: Today,
    expected_version: ExpectedVersion,
) -> Response:
    """A body reports progress on a task (for a recurring task, on one year's obligation): the task counts a new
    version, answered with its ETag."""
    return versioned_response(
        await tasks.add_report(
            writer.tx,
            actor=writer.actor,
            scope=writer.scope,
            task_id=task_id,
            body_id=body.body_id,
            organization_id=body.organization_id,
            reported_on=body.reported_on,
            period_year=body.period_year,
            status=body.status,
            text=body.text,
            evidence_ref=body.evidence_ref,
            today=today,
            due_soon_days=settings.due_soon_days,
            expected_version=expected_version,
        ),
        status_code=201,
        day=today,
    )
