"""The audit log: one row per write, in the writer's transaction; read back keyset-paged and scoped."""

import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import asyncpg
import orjson
from sqlalchemy import insert, null
from sqlalchemy.ext.asyncio import AsyncSession

from app.db.organizations import Querier
from app.db.scope import Scope, scope_sql
from app.db.sql import Params
from app.db.tables import AuditEntry

AUDIT = AuditEntry.__table__  # type: ignore[attr-defined]


async def insert_entry(session: AsyncSession, **values: Any) -> None:
    for column in ("before", "after"):  # SQL NULL, not the JSON value null
        if values.get(column) is None:
            values[column] = null()
    await session.execute(insert(AUDIT).values(**values))


@dataclass(frozen=True)
class AuditQuery:
    entity: str | None = None
    entity_id: uuid.UUID | None = None
    actor_id: str | None = None
    since: datetime | None = None
    until: datetime | None = None
    before_id: int | None = None
    limit: int = 50


async def list_entries(conn: Querier, query: AuditQuery, *, scope: Scope) -> list[asyncpg.Record]:
    """Newest first. Entries of units outside the scope (at their latest place) are not shown; entries about no
    unit (e.g. API keys) only to callers covering the whole tree."""
    param = Params()

    where = []
    for column, value in (("a.entity", query.entity), ("a.entity_id", query.entity_id),
                          ("a.actor_id", query.actor_id)):
        if value is not None:
            where.append(f"{column} = {param(value)}")
    if query.since is not None:
        where.append(f"a.at >= {param(query.since)}")
    if query.until is not None:
        where.append(f"a.at < {param(query.until)}")
    if query.before_id is not None:
        where.append(f"a.id < {param(query.before_id)}")
    cte, in_scope = scope_sql(param, scope, None)
    if not scope.whole_tree:
        where.append(f"""EXISTS (SELECT 1 FROM organization_placements p
                                 WHERE p.organization_id = a.organization_id AND p.latest AND {in_scope})""")
    sql = (f"{'WITH ' + cte if cte else ''} SELECT a.id, json_build_object("
           "'id', a.id, 'at', a.at, 'actor_kind', a.actor_kind, 'actor_id', a.actor_id, 'actor_name', a.actor_name, "
           "'request_id', a.request_id, 'action', a.action, 'entity', a.entity, 'entity_id', a.entity_id, "
           "'organization_id', a.organization_id, 'before', a.before, 'after', a.after)::text AS doc "
           f"FROM audit_log a WHERE {' AND '.join(where) or 'TRUE'} ORDER BY a.id DESC LIMIT {param(query.limit)}")
    rows: list[asyncpg.Record] = await conn.fetch(sql, *param.values)
    return rows


async def insert_read(conn: Querier, *, actor_kind: str, actor_id: str, actor_name: str | None,
                      request_id: str | None, entity: str, entity_ids: list[uuid.UUID]) -> None:
    """A person read sensitive fields of these records: one row (reads are not in a write transaction)."""
    await conn.execute(
        "INSERT INTO audit_log (actor_kind, actor_id, actor_name, request_id, action, entity, entity_id, after) "
        "VALUES ($1, $2, $3, $4, 'read_sensitive', $5, $6, $7::jsonb)",
        actor_kind, actor_id, actor_name, request_id, entity, entity_ids[0] if len(entity_ids) == 1 else None,
        orjson.dumps({"ids": [str(i) for i in entity_ids]}).decode())
