"""Plans, the events their deadlines wait for, tasks with their assignments and progress reports."""

import uuid
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

import asyncpg
import orjson

from app.db.plans.bodies import members_of
from app.db.plans.visibility import visibility
from app.db.scope import Scope, with_ctes
from app.db.sql import Querier, Record, Sql, execute, fetch, fetchrow, fetchval, stream

# The columns a plan is created and corrected with.
PLAN_COLUMNS = (
    "code",
    "title",
    "organization_id",
    "issuer_body_id",
    "issued_on",
    "implements",
    "status",
    "period_from",
    "period_to",
)


def _checked(values: dict[str, Any]) -> list[str]:
    unknown = set(values) - set(PLAN_COLUMNS)
    if unknown:
        raise ValueError(f"not plan columns: {sorted(unknown)}")
    return [c for c in PLAN_COLUMNS if c in values]


async def insert_plan(conn: asyncpg.Connection, **values: Any) -> uuid.UUID:
    columns = _checked(values)
    plan_id: uuid.UUID = await fetchval(
        conn,
        Sql(
            "INSERT INTO plans ({columns}) VALUES ({values}) RETURNING id",
            columns=Sql(", ".join(columns)),
            values=Sql.join(", ", [Sql("{v}", v=values[c]) for c in columns]),
        ),
    )
    return plan_id


async def update_plan(conn: asyncpg.Connection, plan_id: uuid.UUID, values: dict[str, Any]) -> None:
    sets = [Sql("{column} = {value}", column=Sql(c), value=values[c]) for c in _checked(values)]
    await execute(
        conn,
        Sql(
            "UPDATE plans SET {sets} WHERE id = {id}",
            id=plan_id,
            sets=Sql.join(", ", [*sets, Sql("version = version + 1"), Sql("updated_at = now()")]),
        ),
    )


async def plan_code_taken(conn: Querier, code: str, organization_id: uuid.UUID) -> uuid.UUID | None:
    """The plan of this issuing organisation holding the code (each organisation numbers its own plans)."""
    found: uuid.UUID | None = await fetchval(
        conn,
        Sql("SELECT id FROM plans WHERE code = {code} AND organization_id = {org}", code=code, org=organization_id),
    )
    return found


async def update_task(
    conn: asyncpg.Connection,
    task_id: uuid.UUID,
    *,
    title: str,
    deadline_kind: str | None,
    deadline_text: str | None,
    deadline: dict[str, Any] | None,
) -> None:
    await execute(
        conn,
        Sql(
            "UPDATE tasks SET title = {title}, deadline_kind = {kind}, deadline_text = {text}, "
            "deadline = {deadline}::jsonb, version = version + 1, updated_at = now() WHERE id = {id}",
            id=task_id,
            title=title,
            kind=deadline_kind,
            text=deadline_text,
            deadline=orjson.dumps(deadline).decode() if deadline is not None else None,
        ),
    )


async def upsert_event(conn: asyncpg.Connection, *, plan_id: uuid.UUID, description: str, key: str) -> uuid.UUID:
    event_id: uuid.UUID = await fetchval(
        conn,
        Sql(
            """
        INSERT INTO plan_events (plan_id, description, description_key) VALUES ({plan}, {description}, {key})
        ON CONFLICT (plan_id, description_key) DO UPDATE SET description = plan_events.description
        RETURNING id""",
            plan=plan_id,
            description=description,
            key=key,
        ),
    )
    return event_id


async def set_event(
    conn: asyncpg.Connection, event_id: uuid.UUID, *, happened_on: date | None, reference: str | None
) -> None:
    await execute(
        conn,
        Sql(
            "UPDATE plan_events SET happened_on = {day}, reference = {reference} WHERE id = {id}",
            day=happened_on,
            reference=reference,
            id=event_id,
        ),
    )


async def insert_task(
    conn: asyncpg.Connection,
    *,
    plan_id: uuid.UUID,
    parent_id: uuid.UUID | None,
    code: str,
    position: int,
    title: str,
    deadline_kind: str | None,
    deadline_text: str | None,
    deadline: dict[str, Any] | None,
) -> uuid.UUID:
    task_id: uuid.UUID = await fetchval(
        conn,
        Sql(
            "INSERT INTO tasks (plan_id, parent_id, code, position, title, deadline_kind, deadline_text, deadline) "
            "VALUES ({plan}, {parent}, {code}, {position}, {title}, {kind}, {text}, {deadline}::jsonb) RETURNING id",
            plan=plan_id,
            parent=parent_id,
            code=code,
            position=position,
            title=title,
            kind=deadline_kind,
            text=deadline_text,
            deadline=orjson.dumps(deadline).decode() if deadline is not None else None,
        ),
    )
    return task_id


async def replace_assignments(
    conn: asyncpg.Connection, task_id: uuid.UUID, assignments: Sequence[tuple[uuid.UUID, str]]
) -> None:
    await execute(conn, Sql("DELETE FROM task_assignments WHERE task_id = {id}", id=task_id))
    pairs = list(dict.fromkeys(assignments))
    if pairs:
        await execute(
            conn,
            Sql(
                "INSERT INTO task_assignments (task_id, body_id, role) "
                "SELECT {id}::uuid, unnest({bodies}::uuid[]), unnest({roles}::text[])",
                id=task_id,
                bodies=[b for b, _ in pairs],
                roles=[r for _, r in pairs],
            ),
        )


async def insert_report(
    conn: asyncpg.Connection,
    *,
    task_id: uuid.UUID,
    body_id: uuid.UUID,
    organization_id: uuid.UUID | None,
    reported_on: date,
    period_year: int | None,
    status: str,
    text: str | None,
    evidence_ref: str | None,
) -> uuid.UUID:
    report_id: uuid.UUID = await fetchval(
        conn,
        Sql(
            "INSERT INTO progress_reports (task_id, body_id, organization_id, reported_on, period_year, status, text, "
            "evidence_ref) VALUES ({task}, {body}, {org}, {day}, {year}, {status}, {text}, {evidence}) RETURNING id",
            task=task_id,
            body=body_id,
            org=organization_id,
            day=reported_on,
            year=period_year,
            status=status,
            text=text,
            evidence=evidence_ref,
        ),
    )
    return report_id


_PLAN = Sql("SELECT pl.*, (SELECT name FROM bodies WHERE id = pl.issuer_body_id) AS issuer FROM plans pl")


async def read_plan(conn: Querier, plan_id: uuid.UUID, *, scope: Scope) -> Record | None:
    seen = visibility(scope)
    return await fetchrow(
        conn,
        Sql(
            "{with_} {plan} WHERE pl.id = {id} AND {visible}",
            with_=with_ctes(seen.ranges),
            plan=_PLAN,
            id=plan_id,
            visible=seen.plan,
        ),
    )


def plans_query(
    *,
    scope: Scope,
    organization_id: uuid.UUID | None,
    after: uuid.UUID | None = None,
    updated_since: datetime | None = None,
) -> Sql:
    """The plans a caller may see, in id order (the list's pages and its export)."""
    seen = visibility(scope)
    where = [seen.plan]
    if organization_id is not None:
        where.append(Sql("pl.organization_id = {org}", org=organization_id))
    if updated_since is not None:
        where.append(Sql("pl.updated_at >= {since}", since=updated_since))
    if after is not None:
        where.append(Sql("pl.id > {after}", after=after))
    return Sql(
        "{with_} {plan} WHERE {where} ORDER BY pl.id", with_=with_ctes(seen.ranges), plan=_PLAN, where=Sql.all(where)
    )


async def list_plans(
    conn: Querier,
    *,
    scope: Scope,
    organization_id: uuid.UUID | None,
    after: uuid.UUID | None,
    limit: int,
    updated_since: datetime | None = None,
) -> list[Record]:
    query = plans_query(scope=scope, organization_id=organization_id, after=after, updated_since=updated_since)
    return await fetch(conn, Sql("{query} LIMIT {limit}", query=query, limit=limit))


def stream_plans(
    conn: asyncpg.Connection,
    *,
    scope: Scope,
    organization_id: uuid.UUID | None,
    updated_since: datetime | None = None,
) -> AsyncIterator[Record]:
    return stream(conn, plans_query(scope=scope, organization_id=organization_id, updated_since=updated_since))


async def plan_events(conn: Querier, plan_ids: Sequence[uuid.UUID]) -> list[Record]:
    return await fetch(
        conn,
        Sql(
            "SELECT id, plan_id, description, happened_on, reference, "
            "(SELECT array_agg(t.code ORDER BY t.position) FROM tasks t WHERE t.plan_id = e.plan_id "
            " AND t.deadline::text LIKE '%' || e.id::text || '%') AS waiting_tasks "
            "FROM plan_events e WHERE plan_id = ANY({plans}::uuid[]) ORDER BY description",
            plans=list(plan_ids),
        ),
    )


_TASK = Sql(
    """SELECT t.id, t.plan_id, t.parent_id, t.code, t.position, t.title, t.deadline_kind, t.deadline_text,
    t.deadline, t.version, pl.code AS plan_code, pl.issued_on AS plan_issued_on, pl.title AS plan_title,
    coalesce((SELECT json_agg(json_build_object('body_id', b.id, 'body', b.name, 'kind', b.kind, 'role', ta.role,
                                                'members', {members})
                              ORDER BY ta.role, b.name)
              FROM task_assignments ta JOIN bodies b ON b.id = ta.body_id WHERE ta.task_id = t.id),
             '[]') AS assignments,
    coalesce((SELECT json_agg(json_build_object('id', r.id, 'body_id', r.body_id,
                                                'organization_id', r.organization_id,
                                                'reported_on', r.reported_on,
                                                'period_year', r.period_year, 'status', r.status, 'text', r.text,
                                                'evidence_ref', r.evidence_ref) ORDER BY r.reported_on, r.created_at)
              FROM progress_reports r WHERE r.task_id = t.id), '[]') AS reports
    FROM tasks t JOIN plans pl ON pl.id = t.plan_id""",
    members=members_of(Sql("b.id")),
)


@dataclass(frozen=True)
class TaskQuery:
    plan_id: uuid.UUID | None = None
    task_id: uuid.UUID | None = None
    body_id: uuid.UUID | None = None
    roles: Sequence[str] = ()


def tasks_query(query: TaskQuery, *, scope: Scope) -> Sql:
    """All matching tasks, in plan order (the lists and their exports)."""
    seen = visibility(scope)
    where = [seen.task]
    if query.plan_id is not None:
        where.append(Sql("t.plan_id = {plan}", plan=query.plan_id))
    if query.task_id is not None:
        where.append(Sql("t.id = {task}", task=query.task_id))
    if query.body_id is not None:
        roles = Sql("AND ta.role = ANY({roles}::text[])", roles=list(query.roles)) if query.roles else Sql("")
        where.append(
            Sql(
                "EXISTS (SELECT 1 FROM task_assignments ta WHERE ta.task_id = t.id AND ta.body_id = {body} {roles})",
                body=query.body_id,
                roles=roles,
            )
        )
    return Sql(
        "{with_} {task} WHERE {where} ORDER BY pl.issued_on NULLS LAST, pl.id, t.position",
        with_=with_ctes(seen.ranges),
        task=_TASK,
        where=Sql.all(where),
    )


async def list_tasks(conn: Querier, query: TaskQuery, *, scope: Scope) -> list[Record]:
    """All matching tasks (plans hold tens of tasks; a body's own list a few hundred), in plan order."""
    return await fetch(conn, tasks_query(query, scope=scope))


def stream_tasks(conn: asyncpg.Connection, query: TaskQuery, *, scope: Scope) -> AsyncIterator[Record]:
    return stream(conn, tasks_query(query, scope=scope))


async def events_of(conn: Querier, plan_ids: Sequence[uuid.UUID]) -> dict[str, tuple[str, date | None]]:
    rows = await fetch(
        conn,
        Sql(
            "SELECT id::text, description, happened_on FROM plan_events WHERE plan_id = ANY({plans}::uuid[])",
            plans=list(plan_ids),
        ),
    )
    return {r["id"]: (r["description"], r["happened_on"]) for r in rows}


async def tasks_named(
    conn: Querier, *, scope: Scope, plan_code: str, task_code: str, organization: str | None
) -> list[uuid.UUID]:
    """The tasks the scope sees with this code in a plan with this code (of the unit named by id or code, when
    given): one, none, or several when plans of different units share a number."""
    seen = visibility(scope)
    where = [seen.task, Sql("pl.code = {plan} AND t.code = {task}", plan=plan_code, task=task_code)]
    if organization is not None:
        where.append(
            Sql(
                "pl.organization_id IN (SELECT id FROM organizations WHERE id::text = {org} OR code = {org})",
                org=organization,
            )
        )
    rows = await fetch(
        conn,
        Sql(
            "{with_} SELECT t.id FROM tasks t JOIN plans pl ON pl.id = t.plan_id WHERE {where}",
            with_=with_ctes(seen.ranges),
            where=Sql.all(where),
        ),
    )
    return [r["id"] for r in rows]
