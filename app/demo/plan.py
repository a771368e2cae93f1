"""The demo's plan: seed 004 (a town committee's plan for Resolution 21-NQ/TW, 39 numbered tasks with deadlines, and
B.I, C.1–C.3) imported under the bloc committee, with a plausible history of progress reports and one awaited event
that has happened."""

import uuid
from datetime import date
from importlib import resources

import asyncpg

from app.db.plans import queries as db
from app.db.urls import asyncpg_dsn
from app.domain.access.callers import SYSTEM, WHOLE_TREE, Actor
from app.domain.plans import plans, tasks
from app.domain.plans.parsing import parse_plan_text
from app.domain.tx import Tx, transaction

PLAN_CODE = "211-KH/TU"
DEMO = Actor(caller=SYSTEM, request_id="demo-data")

# (task code, reporting role, reported on, status, year for recurring tasks, text)
REPORTS = [
    ("3.a", "advisory", date(2022, 12, 20), "done", None, "Đã phát động phong trào thi đua, 100% chi bộ đăng ký."),
    ("3.c", "advisory", date(2022, 12, 28), "done", None, "Đã ban hành Quy định số 05-QĐ/TU."),
    ("3.d", "advisory", date(2023, 2, 10), "done", None, "Kế hoạch ban hành chậm do chờ hướng dẫn."),
    ("3.e", "advisory", date(2023, 5, 30), "in_progress", None, "Đang lấy ý kiến các chi bộ."),
    ("2.1.2.a", "advisory", date(2023, 6, 5), "done", None, "100% chi bộ trực thuộc đã ban hành quy chế làm việc."),
    ("2.2.6", "advisory", date(2022, 12, 15), "done", 2022, "Kết nạp 142 đảng viên (3,1%)."),
    ("2.2.6", "advisory", date(2023, 12, 18), "done", 2023, "Kết nạp 157 đảng viên (3,4%)."),
    ("2.2.10", "advisory", date(2023, 12, 22), "done", 2023, "Đã kiểm tra 6 tổ chức cơ sở đảng."),
    ("2.1.4", "advisory", date(2023, 1, 15), "in_progress", None, "Đánh giá, xếp loại năm 2022 hoàn thành."),
]
MODEL_REGULATIONS = ("Quy chế mẫu", date(2023, 3, 15), "Hướng dẫn số 12-HD/BTCTU")


def plan_text() -> str:
    return resources.files("app.domain.plans").joinpath("samples/ke-hoach-nghi-quyet-21.txt").read_text("utf-8")


async def load_demo_plan(database_url: str, organization_id: uuid.UUID) -> bool:
    """Import the plan once (idempotent); True when it was created now."""
    pool = await asyncpg.create_pool(asyncpg_dsn(database_url), min_size=1, max_size=1)
    try:
        async with transaction(pool) as tx:
            if await db.plan_code_taken(tx.conn, PLAN_CODE, organization_id) is not None:
                tx.unchanged = True
                return False
            plan_id = await plans.commit_import(
                tx,
                actor=DEMO,
                scope=WHOLE_TREE,
                organization_id=organization_id,
                parsed=parse_plan_text(plan_text()),
                code=PLAN_CODE,
                status="issued",
            )
            await db.update_plan(tx.conn, plan_id, {"issued_on": date(2022, 9, 20)})
            await _history(tx, plan_id)
        return True
    finally:
        await pool.close()


async def _history(tx: Tx, plan_id: uuid.UUID) -> None:
    rows = {r["code"]: r for r in await db.list_tasks(tx.conn, db.TaskQuery(plan_id=plan_id), scope=WHOLE_TREE)}
    for event in await db.plan_events(tx.conn, [plan_id]):
        if MODEL_REGULATIONS[0] in event["description"]:
            await plans.record_event(
                tx,
                actor=DEMO,
                scope=WHOLE_TREE,
                plan_id=plan_id,
                event_id=event["id"],
                happened_on=MODEL_REGULATIONS[1],
                reference=MODEL_REGULATIONS[2],
            )
    for code, role, day, status, year, text in REPORTS:
        task = rows[code]
        assignments = tasks.decoded(task["assignments"])
        body = next((a for a in assignments if a["role"] == role), assignments[0])
        await tasks.add_report(
            tx,
            actor=DEMO,
            scope=WHOLE_TREE,
            task_id=task["id"],
            body_id=uuid.UUID(str(body["body_id"])),
            reported_on=day,
            period_year=year,
            status=status,
            text=text,
            evidence_ref=None,
            today=day,
            due_soon_days=14,
        )
