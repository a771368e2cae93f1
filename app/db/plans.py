"""Plans, tasks, bodies, events and reports: writes on the request's session, reads scoped by the caller.

A plan is visible to callers covering its organisation; a task also to callers covering one of its bodies (a
body's organisation inside the scope, or a collective standing for a subtree that holds the caller's units)."""

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

import asyncpg
from sqlalchemy import insert, select, text, update
from sqlalchemy.ext.asyncio import AsyncSession

from app.db.scope import Scope, org_covers_scope, org_in_scope, scope_sql
from app.db.sql import Params, Querier
from app.db.tables import Body, BodyAlias, Plan, PlanEvent, ProgressReport, Task, TaskAssignment

BODIES = Body.__table__  # type: ignore[attr-defined]
ALIASES = BodyAlias.__table__  # type: ignore[attr-defined]
PLANS = Plan.__table__  # type: ignore[attr-defined]
EVENTS = PlanEvent.__table__  # type: ignore[attr-defined]
TASKS = Task.__table__  # type: ignore[attr-defined]
ASSIGNMENTS = TaskAssignment.__table__  # type: ignore[attr-defined]
REPORTS = ProgressReport.__table__  # type: ignore[attr-defined]




def _visibility(params: Params, scope: Scope) -> tuple[str, str, str]:
    """(WITH clause, plan condition on `pl`, task condition on `t`/`pl`)."""
    if scope.whole_tree:
        return "", "TRUE", "TRUE"
    cte, _ = scope_sql(params, scope, None)
    via_body = (f"EXISTS (SELECT 1 FROM task_assignments ta JOIN bodies b ON b.id = ta.body_id "
                f"WHERE ta.task_id = t.id AND ({org_in_scope('b.organization_id')} "
                f"OR (b.kind = 'collective' AND {org_covers_scope('b.organization_id')})))")
    plan = (f"({org_in_scope('pl.organization_id')} OR EXISTS (SELECT 1 FROM tasks t WHERE t.plan_id = pl.id "
            f"AND {via_body}))")
    task = f"({org_in_scope('pl.organization_id')} OR {via_body})"
    return f"WITH {cte}", plan, task


# --- bodies -------------------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class BodyRow:
    id: uuid.UUID
    name: str
    name_key: str
    kind: str
    organization_id: uuid.UUID


async def bodies_by_key(session: AsyncSession, organization_id: uuid.UUID, keys: Sequence[str]) -> dict[str, BodyRow]:
    """Known bodies of a namespace by match key, through their own key or an alias."""
    rows = await session.execute(text("""
        SELECT b.name_key AS matched, b.id, b.name, b.name_key, b.kind, b.organization_id FROM bodies b
        WHERE b.organization_id = :org AND b.name_key = ANY(:keys)
        UNION ALL
        SELECT a.alias_key, b.id, b.name, b.name_key, b.kind, b.organization_id FROM body_aliases a
        JOIN bodies b ON b.id = a.body_id WHERE a.organization_id = :org AND a.alias_key = ANY(:keys)"""),
        {"org": organization_id, "keys": list(keys)})
    return {r.matched: BodyRow(r.id, r.name, r.name_key, r.kind, r.organization_id) for r in rows}


async def similar_bodies(conn: Querier, organization_id: uuid.UUID, key: str, *, limit: int = 3) -> list[BodyRow]:
    rows = await conn.fetch("""
        SELECT id, name, name_key, kind, organization_id FROM bodies
        WHERE organization_id = $1 AND similarity(name_key, $2) > 0.45
        ORDER BY similarity(name_key, $2) DESC LIMIT $3""", organization_id, key, limit)
    return [BodyRow(**dict(r)) for r in rows]


async def insert_body(session: AsyncSession, *, organization_id: uuid.UUID, name: str, name_key: str,
                      kind: str) -> uuid.UUID:
    body_id: uuid.UUID = (await session.execute(insert(BODIES).values(
        organization_id=organization_id, name=name, name_key=name_key, kind=kind).returning(BODIES.c.id))).scalar_one()
    return body_id


async def insert_alias(session: AsyncSession, *, body: BodyRow, alias: str, alias_key: str) -> None:
    await session.execute(insert(ALIASES).values(organization_id=body.organization_id, alias_key=alias_key,
                                                 alias=alias, body_id=body.id))


async def get_body(session: AsyncSession, body_id: uuid.UUID) -> BodyRow | None:
    row = (await session.execute(select(BODIES.c.id, BODIES.c.name, BODIES.c.name_key, BODIES.c.kind,
                                        BODIES.c.organization_id).where(BODIES.c.id == body_id))).first()
    return BodyRow(**row._mapping) if row is not None else None


async def list_bodies(conn: Querier, *, scope: Scope, organization_id: uuid.UUID | None, q_key: str | None,
                      after: tuple[str, uuid.UUID] | None, limit: int) -> list[asyncpg.Record]:
    params = Params()
    where = []
    cte = ""
    if not scope.whole_tree:
        cte, _ = scope_sql(params, scope, None)
        cte = f"WITH {cte}"
        where.append(f"({org_in_scope('b.organization_id')} OR (b.kind = 'collective' AND "
                     f"{org_covers_scope('b.organization_id')}))")
    if organization_id is not None:
        where.append(f"b.organization_id = {params(organization_id)}")
    if q_key:
        where.append(f"b.name_key LIKE {params('%' + q_key + '%')}")
    if after is not None:
        where.append(f"(b.name_key, b.id) > ({params(after[0])}, {params(after[1])})")
    sql = (f"{cte} SELECT b.id, b.name, b.name_key, b.kind, b.organization_id, b.created_at, b.version, "
           f"coalesce((SELECT array_agg(a.alias ORDER BY a.alias) FROM body_aliases a WHERE a.body_id = b.id), "
           f"'{{}}') AS aliases FROM bodies b WHERE {' AND '.join(where) or 'TRUE'} "
           f"ORDER BY b.name_key, b.id LIMIT {params(limit)}")
    rows: list[asyncpg.Record] = await conn.fetch(sql, *params.values)
    return rows


async def read_body(conn: Querier, body_id: uuid.UUID, *, scope: Scope) -> asyncpg.Record | None:
    params = Params()
    cte, condition = "", "TRUE"
    if not scope.whole_tree:
        cte, _ = scope_sql(params, scope, None)
        cte = f"WITH {cte}"
        condition = (f"({org_in_scope('b.organization_id')} OR (b.kind = 'collective' AND "
                     f"{org_covers_scope('b.organization_id')}))")
    row: asyncpg.Record | None = await conn.fetchrow(
        f"{cte} SELECT b.id, b.name, b.name_key, b.kind, b.organization_id, b.created_at, b.version, "
        f"coalesce((SELECT array_agg(a.alias ORDER BY a.alias) FROM body_aliases a WHERE a.body_id = b.id), '{{}}') "
        f"AS aliases FROM bodies b WHERE b.id = {params(body_id)} AND {condition}", *params.values)
    return row


# --- plans, events, tasks -----------------------------------------------------------------------------------------

async def insert_plan(session: AsyncSession, **values: Any) -> uuid.UUID:
    plan_id: uuid.UUID = (await session.execute(insert(PLANS).values(**values).returning(PLANS.c.id))).scalar_one()
    return plan_id


async def update_plan(session: AsyncSession, plan_id: uuid.UUID, values: dict[str, Any]) -> None:
    await session.execute(update(PLANS).where(PLANS.c.id == plan_id).values(
        **values, version=PLANS.c.version + 1, updated_at=text("now()")))


async def plan_code_taken(session: AsyncSession, code: str) -> uuid.UUID | None:
    found: uuid.UUID | None = (await session.execute(select(PLANS.c.id).where(PLANS.c.code == code))).scalar()
    return found


async def upsert_event(session: AsyncSession, *, plan_id: uuid.UUID, description: str, key: str) -> uuid.UUID:
    event_id: uuid.UUID = (await session.execute(text("""
        INSERT INTO plan_events (plan_id, description, description_key) VALUES (:plan, :description, :key)
        ON CONFLICT (plan_id, description_key) DO UPDATE SET description = plan_events.description
        RETURNING id"""), {"plan": plan_id, "description": description, "key": key})).scalar_one()
    return event_id


async def set_event(session: AsyncSession, event_id: uuid.UUID, *, happened_on: date | None,
                    reference: str | None) -> None:
    await session.execute(update(EVENTS).where(EVENTS.c.id == event_id).values(happened_on=happened_on,
                                                                                reference=reference))


async def insert_task(session: AsyncSession, **values: Any) -> uuid.UUID:
    task_id: uuid.UUID = (await session.execute(insert(TASKS).values(**values).returning(TASKS.c.id))).scalar_one()
    return task_id


async def update_task(session: AsyncSession, task_id: uuid.UUID, values: dict[str, Any]) -> None:
    await session.execute(update(TASKS).where(TASKS.c.id == task_id).values(
        **values, version=TASKS.c.version + 1, updated_at=text("now()")))


async def replace_assignments(session: AsyncSession, task_id: uuid.UUID,
                              assignments: Sequence[tuple[uuid.UUID, str]]) -> None:
    await session.execute(ASSIGNMENTS.delete().where(ASSIGNMENTS.c.task_id == task_id))
    rows = [{"task_id": task_id, "body_id": b, "role": r} for b, r in dict.fromkeys(assignments)]
    if rows:
        await session.execute(insert(ASSIGNMENTS), rows)


async def insert_report(session: AsyncSession, **values: Any) -> uuid.UUID:
    report_id: uuid.UUID = (await session.execute(insert(REPORTS).values(**values).returning(REPORTS.c.id))
                            ).scalar_one()
    return report_id


async def read_plan(conn: Querier, plan_id: uuid.UUID, *, scope: Scope) -> asyncpg.Record | None:
    params = Params()
    cte, plan_ok, _ = _visibility(params, scope)
    row: asyncpg.Record | None = await conn.fetchrow(
        f"{cte} SELECT pl.*, (SELECT name FROM bodies WHERE id = pl.issuer_body_id) AS issuer "
        f"FROM plans pl WHERE pl.id = {params(plan_id)} AND {plan_ok}", *params.values)
    return row


async def list_plans(conn: Querier, *, scope: Scope, organization_id: uuid.UUID | None,
                     after: uuid.UUID | None, limit: int) -> list[asyncpg.Record]:
    params = Params()
    cte, plan_ok, _ = _visibility(params, scope)
    where = [plan_ok]
    if organization_id is not None:
        where.append(f"pl.organization_id = {params(organization_id)}")
    if after is not None:
        where.append(f"pl.id > {params(after)}")
    rows: list[asyncpg.Record] = await conn.fetch(
        f"{cte} SELECT pl.*, (SELECT name FROM bodies WHERE id = pl.issuer_body_id) AS issuer FROM plans pl "
        f"WHERE {' AND '.join(where)} ORDER BY pl.id LIMIT {params(limit)}", *params.values)
    return rows


async def plan_events(conn: Querier, plan_ids: Sequence[uuid.UUID]) -> list[asyncpg.Record]:
    rows: list[asyncpg.Record] = await conn.fetch(
        "SELECT id, plan_id, description, happened_on, reference, "
        "(SELECT array_agg(t.code ORDER BY t.position) FROM tasks t WHERE t.plan_id = e.plan_id "
        " AND t.deadline::text LIKE '%' || e.id::text || '%') AS waiting_tasks "
        "FROM plan_events e WHERE plan_id = ANY($1::uuid[]) ORDER BY description", list(plan_ids))
    return rows


_TASK_COLUMNS = """t.id, t.plan_id, t.parent_id, t.code, t.position, t.title, t.deadline_kind, t.deadline_text,
    t.deadline, t.version, pl.code AS plan_code, pl.issued_on AS plan_issued_on, pl.title AS plan_title,
    coalesce((SELECT json_agg(json_build_object('body_id', b.id, 'body', b.name, 'kind', b.kind, 'role', ta.role)
                              ORDER BY ta.role, b.name)
              FROM task_assignments ta JOIN bodies b ON b.id = ta.body_id WHERE ta.task_id = t.id),
             '[]') AS assignments,
    coalesce((SELECT json_agg(json_build_object('id', r.id, 'body_id', r.body_id,
                                                'reported_on', r.reported_on,
                                                'period_year', r.period_year, 'status', r.status, 'text', r.text,
                                                'evidence_ref', r.evidence_ref) ORDER BY r.reported_on, r.created_at)
              FROM progress_reports r WHERE r.task_id = t.id), '[]') AS reports"""


@dataclass(frozen=True)
class TaskQuery:
    plan_id: uuid.UUID | None = None
    task_id: uuid.UUID | None = None
    body_id: uuid.UUID | None = None
    roles: Sequence[str] = ()


async def list_tasks(conn: Querier, query: TaskQuery, *, scope: Scope) -> list[asyncpg.Record]:
    """All matching tasks (plans hold tens of tasks; a body's own list a few hundred), in plan order."""
    params = Params()
    cte, _, task_ok = _visibility(params, scope)
    where = [task_ok]
    if query.plan_id is not None:
        where.append(f"t.plan_id = {params(query.plan_id)}")
    if query.task_id is not None:
        where.append(f"t.id = {params(query.task_id)}")
    if query.body_id is not None:
        roles = f" AND ta.role = ANY({params(list(query.roles))}::text[])" if query.roles else ""
        where.append(f"EXISTS (SELECT 1 FROM task_assignments ta WHERE ta.task_id = t.id "
                     f"AND ta.body_id = {params(query.body_id)}{roles})")
    rows: list[asyncpg.Record] = await conn.fetch(
        f"{cte} SELECT {_TASK_COLUMNS} FROM tasks t JOIN plans pl ON pl.id = t.plan_id "
        f"WHERE {' AND '.join(where)} ORDER BY pl.issued_on NULLS LAST, pl.id, t.position", *params.values)
    return rows


async def events_of(conn: Querier, plan_ids: Sequence[uuid.UUID]) -> dict[str, tuple[str, date | None]]:
    rows = await conn.fetch(
        "SELECT id::text, description, happened_on FROM plan_events WHERE plan_id = ANY($1::uuid[])", list(plan_ids))
    return {r["id"]: (r["description"], r["happened_on"]) for r in rows}
