"""The exports of plans (GET /plans: the plans a caller may see, in the list's order) and of a plan's tasks (GET
/plans/{id}/tasks: in document order, each with its obligations and their state on `as_of`). A task's nested parts
(deadline, assignments, obligations, collectives, reports) are JSON in a CSV or XLSX cell, as in the JSON list."""

import uuid
from collections.abc import AsyncIterator, Sequence
from datetime import date, datetime

import asyncpg

from app.db.plans import queries as db
from app.db.scope import Scope
from app.domain.exports.columns import Column, fields
from app.domain.exports.files import Export, Wanted, export, export_figures, file_name, place_name, safe_name
from app.domain.exports.writers import Row
from app.domain.plans.plans import plan_events, read_plan
from app.domain.plans.tasks import check_body, owed_by, task_view

STATES = {
    "not_yet_due": "Chưa đến hạn",
    "due_soon": "Sắp đến hạn",
    "overdue": "Quá hạn",
    "done_on_time": "Hoàn thành đúng hạn",
    "done_late": "Hoàn thành trễ hạn",
    "waiting_on_event": "Chờ sự kiện",
    "ongoing": "Thường xuyên",
    "no_deadline": "Không có thời hạn",
}

PLAN_COLUMNS = [
    Column("id", "Mã kế hoạch"),
    Column("code", "Số hiệu"),
    Column("title", "Tên kế hoạch"),
    Column("organization_id", "Tổ chức"),
    Column("issuer_body_id", "Mã cơ quan ban hành"),
    Column("issuer", "Cơ quan ban hành"),
    Column("issued_on", "Ngày ban hành"),
    Column("implements", "Thực hiện văn bản"),
    Column("status", "Trạng thái"),
    Column("period_from", "Từ ngày"),
    Column("period_to", "Đến ngày"),
    Column("created_at", "Tạo lúc"),
    Column("updated_at", "Cập nhật lúc"),
    Column("version", "Phiên bản"),
]

TASK_COLUMNS = [
    Column("id", "Mã nhiệm vụ"),
    Column("plan_id", "Mã kế hoạch"),
    Column("plan_code", "Số hiệu kế hoạch"),
    Column("parent_id", "Nhiệm vụ cha"),
    Column("code", "Số thứ tự"),
    Column("title", "Nội dung"),
    Column("deadline", "Thời hạn"),
    Column("assignments", "Phân công"),
    Column("obligations", "Nghĩa vụ"),
    Column("state", "Tình trạng", labels=STATES),
    Column("collectives", "Tập thể"),
    Column("reports", "Báo cáo"),
    Column("version", "Phiên bản"),
]


async def export_plans(
    pool: asyncpg.Pool,
    *,
    scope: Scope,
    organization_id: uuid.UUID | None,
    wanted: Wanted,
    updated_since: datetime | None = None,
) -> Export:
    """Plans as GET /plans lists them (`organization_id` is checked by the route, as for the list)."""
    name = file_name("plans", await place_name(pool, scope=scope, unit=organization_id), wanted.today, wanted.fmt)

    async def rows(conn: asyncpg.Connection) -> AsyncIterator[Row]:
        async for record in db.stream_plans(
            conn, scope=scope, organization_id=organization_id, updated_since=updated_since
        ):
            yield dict(record.items())

    fields_ = fields(PLAN_COLUMNS, pii=True, headers=wanted.header_words)
    return export(pool, name=name, wanted=wanted, fields=fields_, title="Kế hoạch", rows=rows)


async def export_plan_tasks(
    pool: asyncpg.Pool, *, scope: Scope, plan_id: uuid.UUID, as_of: date, due_soon_days: int, wanted: Wanted
) -> Export:
    plan = await read_plan(pool, scope=scope, plan_id=plan_id)
    what = f"tasks-{safe_name(plan['code'] or '') or plan_id}"  # the plan's number ("86-KH/TU" → 86-KH-TU)
    name = file_name(what, await place_name(pool, scope=scope, unit=plan["organization_id"]), as_of, wanted.fmt)

    async def rows(conn: asyncpg.Connection) -> AsyncIterator[Row]:
        events = await db.events_of(conn, [plan_id])
        async for record in db.stream_tasks(conn, db.TaskQuery(plan_id=plan_id), scope=scope):
            yield task_view(record, events, as_of=as_of, due_soon_days=due_soon_days)

    fields_ = fields(TASK_COLUMNS, pii=True, headers=wanted.header_words)
    return export(pool, name=name, wanted=wanted, fields=fields_, title="Nhiệm vụ", rows=rows)


async def export_body_tasks(
    pool: asyncpg.Pool,
    *,
    scope: Scope,
    body_id: uuid.UUID,
    roles: Sequence[str],
    states: Sequence[str],
    as_of: date,
    due_within_days: int | None,
    due_soon_days: int,
    wanted: Wanted,
) -> Export:
    """A body's tasks across plans ("my tasks", GET /tasks) with the same filters, in the same order."""
    await check_body(pool, scope=scope, body_id=body_id)
    name = file_name("tasks", f"body-{body_id}", as_of, wanted.fmt)

    async def rows(conn: asyncpg.Connection) -> AsyncIterator[Row]:
        events: dict[str, tuple[str, date | None]] = {}
        seen: set[uuid.UUID] = set()
        async for record in db.stream_tasks(conn, db.TaskQuery(body_id=body_id, roles=roles), scope=scope):
            if record["plan_id"] not in seen:  # the events a plan's deadlines wait for, read once a plan
                seen.add(record["plan_id"])
                events |= await db.events_of(conn, [record["plan_id"]])
            view = task_view(record, events, as_of=as_of, due_soon_days=due_soon_days)
            if (shown := owed_by(view, states, as_of, due_within_days)) is not None:
                yield shown

    fields_ = fields(TASK_COLUMNS, pii=True, headers=wanted.header_words)
    return export(pool, name=name, wanted=wanted, fields=fields_, title="Nhiệm vụ", rows=rows)


EVENT_COLUMNS = [
    Column("id", "Mã sự kiện"),
    Column("plan_id", "Mã kế hoạch"),
    Column("description", "Sự kiện"),
    Column("happened_on", "Ngày diễn ra"),
    Column("reference", "Văn bản"),
    Column("waiting_tasks", "Nhiệm vụ chờ"),
]


async def export_plan_events(pool: asyncpg.Pool, *, scope: Scope, plan_id: uuid.UUID, wanted: Wanted) -> Export:
    """What a plan's deadlines wait for (GET /plans/{id}/events: a handful): the list's own function, in a
    snapshot."""
    plan = await read_plan(pool, scope=scope, plan_id=plan_id)

    async def compute(conn: asyncpg.Connection) -> list[Row]:
        return await plan_events(conn, scope=scope, plan_id=plan_id)

    what = f"events-{safe_name(plan['code'] or '') or plan_id}"
    name = file_name(what, await place_name(pool, scope=scope, unit=plan["organization_id"]), wanted.today, wanted.fmt)
    fields_ = fields(EVENT_COLUMNS, pii=True, headers=wanted.header_words)
    return await export_figures(pool, name=name, wanted=wanted, fields=fields_, title="Sự kiện", compute=compute)
