"""The demo's plan: seed 004 (a town committee's plan for Resolution 21-NQ/TW, 39 tasks) imported under the bloc
committee, with a plausible history of progress reports and one awaited event that has happened."""

import uuid
from datetime import date
from importlib import resources

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker, create_async_engine

from app.db import plans as db
from app.db.organization_writes import driver_connection
from app.db.scope import WHOLE_TREE
from app.db.urls import sqlalchemy_url
from app.domain.access import SYSTEM, Actor
from app.domain.plans import service
from app.domain.plans.parsing import parse_plan_text

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
    engine = create_async_engine(sqlalchemy_url(database_url))
    try:
        async with async_sessionmaker(engine)() as session, session.begin():
            if await db.plan_code_taken(session, PLAN_CODE) is not None:
                return False
            plan_id = await service.commit_import(
                session, actor=DEMO, scope=WHOLE_TREE, organization_id=organization_id,
                parsed=parse_plan_text(plan_text()), code=PLAN_CODE, status="issued")
            await db.update_plan(session, plan_id, {"issued_on": date(2022, 9, 20)})
            await _history(session, plan_id)
        return True
    finally:
        await engine.dispose()


async def _history(session: AsyncSession, plan_id: uuid.UUID) -> None:
    conn = await driver_connection(session)
    tasks = {r["code"]: r for r in await db.list_tasks(conn, db.TaskQuery(plan_id=plan_id), scope=WHOLE_TREE)}
    for event in await db.plan_events(conn, [plan_id]):
        if MODEL_REGULATIONS[0] in event["description"]:
            await service.record_event(session, actor=DEMO, scope=WHOLE_TREE, plan_id=plan_id, event_id=event["id"],
                                       happened_on=MODEL_REGULATIONS[1], reference=MODEL_REGULATIONS[2])
    for code, role, day, status, year, text in REPORTS:
        task = tasks[code]
        assignments = service.decoded(task["assignments"])
        body = next((a for a in assignments if a["role"] == role), assignments[0])
        await service.add_report(session, actor=DEMO, scope=WHOLE_TREE, task_id=task["id"],
                                 body_id=uuid.UUID(str(body["body_id"])), reported_on=day, period_year=year,
                                 status=status, text=text, evidence_ref=None)
