"""The import of progress reports on plan tasks (báo cáo tiến độ thực hiện nhiệm vụ): each row → the same domain
function as POST /tasks/{id}/reports, with its rules (only a body of the task reports; a collective's part by one
of its organisations; a year only for recurring tasks). A row names its task by `task_id`, or by `plan_code` and
`task_code` (with `plan_organization` where two units' plans share a number), and its body by id or by name (as
the task lists it, or an alias). A report is an event, appended: one already recorded by the same body (and
organisation) on the same task, date and year is `unchanged`, so a file imported again adds nothing; one recorded
there with another status, text or evidence is a row error (an import does not rewrite a report). Rows by date."""

import uuid
from dataclasses import dataclass
from datetime import date
from typing import Any

from app.db.plans import bodies as bodies_db
from app.db.plans import queries as db
from app.db.scope import Scope
from app.db.sql import Record
from app.domain.access.callers import Actor
from app.domain.imports import people
from app.domain.imports.report import Mode, Report
from app.domain.imports.rows import Outcome, RowChecker, RowFailed, each_row, finish, mark_duplicates_in_file
from app.domain.imports.sheet import Column, ImportRow, Layout
from app.domain.plans import tasks
from app.domain.plans.bodies import normalise_body_name
from app.domain.tx import Tx

__all__ = ["LAYOUT", "Options", "finish", "in_resolve_order", "new_report", "run_rows"]

STATUS_LABELS = {
    "not_started": "Chưa thực hiện",
    "in_progress": "Đang thực hiện",
    "done": "Đã hoàn thành",
    "blocked": "Vướng mắc",
}
LAYOUT = Layout(
    kind="task_reports",
    noun="task report",
    template="/api/v1/tasks/reports/import/template",
    sheet="Báo cáo tiến độ",
    columns=(
        Column("task_id", ("Mã nhiệm vụ", "task"), kind="id"),
        Column("plan_organization", ("Đơn vị ban hành", "Mã đơn vị ban hành"), example="TX"),
        Column("plan_code", ("Số hiệu kế hoạch", "Kế hoạch", "Số kế hoạch"), example="211-KH/TU"),
        Column("task_code", ("Số thứ tự", "Số thứ tự nhiệm vụ", "Mục"), example="2.1.1.a"),
        Column("title", ("Nội dung", "Nội dung nhiệm vụ", "Tên nhiệm vụ")),
        Column(
            "body",
            ("body_id", "Cơ quan báo cáo", "Cơ quan, đơn vị", "Cơ quan thực hiện"),
            example="Ban Thường vụ Thị ủy",
        ),
        Column(
            "organization",
            ("organization_id", "organization_code", "Tổ chức báo cáo", "Mã tổ chức"),
            kind="organization",
        ),
        Column("period_year", ("Năm", "Năm báo cáo"), kind="number"),
        Column("reported_on", ("Ngày báo cáo",), kind="date", example="15/12/2025"),
        Column("status", ("Tình trạng", "Tiến độ", "Kết quả"), kind="code", example="Đã hoàn thành"),
        Column("text", ("Nội dung báo cáo", "Kết quả thực hiện", "Ghi chú")),
        Column("evidence_ref", ("Số báo cáo", "Văn bản", "Căn cứ"), example="Báo cáo số 45-BC/TU"),
    ),
    labels={"status": STATUS_LABELS},
    read_past=("title",),
)
TASK_KEYS = ("task_id", "plan_organization", "plan_code", "task_code")
RULE_FIELDS = {
    "task_not_found": "task_id",
    "not_assigned": "body",
    "not_a_member_of_the_collective": "organization",
    "organization_not_found": "organization",
    "period_not_recurring": "period_year",
}
COMPARED = ("status", "text", "evidence_ref")


@dataclass(frozen=True)
class Options:
    mode: Mode
    atomic: bool
    today: date
    due_soon_days: int


def new_report(options: Options, media: str) -> Report:
    return Report(kind="task_reports", format=media, mode=options.mode, atomic=options.atomic)


def _keys(row: ImportRow) -> list[tuple[str, str]]:
    v = row.values
    task = str(v.get("task_id") or [v.get(k) for k in TASK_KEYS[1:]])
    body = normalise_body_name(str(v["body"])) if v.get("body") else None
    key = [task, body, v.get("organization"), v.get("reported_on"), v.get("period_year")]
    return [("reported_on", "|".join(str(k) for k in key))] if v.get("reported_on") else []


def in_resolve_order(rows: list[ImportRow]) -> list[ImportRow]:
    """A report is in a file once (same task, body, organisation, date and year); the rest by date."""
    mark_duplicates_in_file(rows, _keys)
    return sorted(rows, key=lambda r: str(r.values.get("reported_on", "")))


def _no_task(column: str) -> RowFailed:
    what = "id" if column == "task_id" else "plan and task number"
    return RowFailed(
        [(column, "task_not_found", f"no task you may report on has this {what}; check it (or the plan's unit).")]
    )


async def _task_named(tx: Tx, scope: Scope, values: dict[str, Any]) -> Record:
    """The one task the row names (by id, else by plan and task number), among those the caller sees."""
    if values.get("task_id") is not None:
        found = await db.list_tasks(tx.conn, db.TaskQuery(task_id=values["task_id"]), scope=scope)
        if not found:
            raise _no_task("task_id")
        task = found[0]
        codes = (values.get("plan_code"), values.get("task_code"))
        if any(codes) and codes != (task["plan_code"], task["code"]):
            message = "the task's id and its plan and task number name different tasks: keep one, or correct it."
            raise RowFailed([("task_code", "ambiguous_match", message)])
        return task
    if not (values.get("plan_code") and values.get("task_code")):
        message = "name the task: its id (task_id), or the plan's number and the task's (plan_code and task_code)."
        raise RowFailed([("task_id", "required", message)])
    ids = await db.tasks_named(
        tx.conn,
        scope=scope,
        plan_code=values["plan_code"],
        task_code=values["task_code"],
        organization=values.get("plan_organization"),
    )
    if len(ids) > 1:
        message = "plans of several units have this number: name the plan's unit (id or code) in plan_organization."
        raise RowFailed([("plan_organization", "ambiguous_match", message)])
    found = await db.list_tasks(tx.conn, db.TaskQuery(task_id=ids[0]), scope=scope) if ids else []
    if not found:
        raise _no_task("task_code")
    return found[0]


async def _body_named(tx: Tx, scope: Scope, task: Record, reference: str | None) -> uuid.UUID:
    """The body by id (the single endpoint's rules then judge it), else the task's body of that name or alias."""
    if reference is None:
        raise RowFailed([("body", "required", "name the reporting body: its id, or its name as the task lists it.")])
    try:
        return uuid.UUID(reference)
    except ValueError:
        pass
    key = normalise_body_name(reference)
    assigned = {a["body_id"]: a["body"] for a in tasks.decoded(task["assignments"])}
    for body_id, name in assigned.items():
        if normalise_body_name(name) == key:
            return uuid.UUID(body_id)
    plan = await db.read_plan(tx.conn, task["plan_id"], scope=scope)
    if plan is not None:
        known = await bodies_db.bodies_by_key(tx.conn, plan["organization_id"], [key])
        if key in known and str(known[key].id) in assigned:
            return known[key].id
    listed = "; ".join(sorted(set(assigned.values()))[:8])
    raise RowFailed(
        [("body", "not_assigned", f"no body of task {task['code']} has this name; its bodies are: {listed}.")]
    )


def _recorded(task: Record, body_id: uuid.UUID, given: dict[str, Any]) -> dict[str, Any] | None:
    """The report already recorded by this body (and organisation) on this date and year, if any."""
    day: date = given["reported_on"]
    organization = given.get("organization_id")
    year = given.get("period_year")
    for report in tasks.decoded(task["reports"]):
        if (
            report["body_id"] == str(body_id)
            and report["organization_id"] == (str(organization) if organization else None)
            and report["reported_on"] == day.isoformat()
            and (report["period_year"] == year or (year is None and report["period_year"] in (None, day.year)))
        ):
            return dict(report)
    return None


async def _write(tx: Tx, *, actor: Actor, scope: Scope, row: ImportRow, check: RowChecker, options: Options) -> Outcome:
    values = {k: v for k, v in row.values.items() if k not in (*TASK_KEYS, "title", "body")}
    await people.unit_named(tx, scope, values, "organization", "organization_id")
    checked = check(values)
    if checked.errors or checked.missing:
        raise RowFailed(checked.errors + checked.missing)
    given = checked.values
    task = await _task_named(tx, scope, row.values)
    body_id = await _body_named(tx, scope, task, row.values.get("body"))
    recorded = _recorded(task, body_id, given)
    if recorded is not None:
        differs = [k for k in COMPARED if given.get(k) is not None and given[k] != recorded[k]]
        if not differs:
            return "unchanged"
        message = (
            f"{differs[0]}: this body's report on the task for this date is recorded with another value; an "
            "import does not rewrite a report (report again with the new date)."
        )
        raise RowFailed([(differs[0], "report_recorded_otherwise", message)])
    await tasks.add_report(
        tx,
        actor=actor,
        scope=scope,
        task_id=task["id"],
        body_id=body_id,
        organization_id=given.get("organization_id"),
        reported_on=given["reported_on"],
        period_year=given.get("period_year"),
        status=given["status"],
        text=given.get("text"),
        evidence_ref=given.get("evidence_ref"),
        today=options.today,
        due_soon_days=options.due_soon_days,
    )
    return "created"


# Each row through `_write` in its savepoint (rows.run_each).
run_rows = each_row(_write, rule_fields=RULE_FIELDS, sensitive=LAYOUT.sensitive)
