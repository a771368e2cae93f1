"""The audit log: one row per write, in the writer's transaction; read back keyset-paged and scoped."""

import uuid
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import asyncpg
import orjson
from sqlalchemy import ARRAY, Text, cast, func, insert, null
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.ext.asyncio import AsyncSession

from app.db.scope import Scope, path_in_scope, scope_sql
from app.db.sql import Params, Querier
from app.db.tables import AuditEntry

AUDIT = AuditEntry.__table__  # type: ignore[attr-defined]


async def insert_entry(session: AsyncSession, *, redact: Sequence[str], **values: Any) -> None:
    """One entry; the values of the `redact` fields in before/after are replaced by their keyed digests
    (coso_audit_redact, migration 0010) before they are stored."""
    for column in ("before", "after"):
        if values.get(column) is None:
            values[column] = null()  # SQL NULL, not the JSON value null
        elif redact:
            values[column] = func.coso_audit_redact(cast(values[column], JSONB), cast(list(redact), ARRAY(Text)))
    await session.execute(insert(AUDIT).values(**values))


@dataclass(frozen=True)
class AuditQuery:
    entity: str | None = None
    entity_id: uuid.UUID | None = None
    actor_id: str | None = None
    since: datetime | None = None
    until: datetime | None = None


async def list_entries(conn: Querier, query: AuditQuery, *, scope: Scope, before_id: int | None,
                       limit: int) -> list[asyncpg.Record]:
    """Newest first. An entry is shown when the unit it was recorded against, or the other end of the change, lies
    in the scope (at its latest place); entries about no unit (e.g. API keys) only to callers covering the whole
    tree."""
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
    if before_id is not None:
        where.append(f"a.id < {param(before_id)}")
    cte, in_scope = scope_sql(param, scope, None)
    if not scope.whole_tree:
        where.append(f"""EXISTS (SELECT 1 FROM organization_placements p
                                 WHERE p.organization_id IN (a.organization_id, a.related_organization_id)
                                   AND p.latest AND {in_scope})""")
    sql = (f"{'WITH ' + cte if cte else ''} SELECT a.id, json_build_object("
           "'id', a.id, 'at', a.at, 'actor_kind', a.actor_kind, 'actor_id', a.actor_id, 'actor_name', a.actor_name, "
           "'request_id', a.request_id, 'action', a.action, 'entity', a.entity, 'entity_id', a.entity_id, "
           "'organization_id', a.organization_id, 'related_organization_id', a.related_organization_id, "
           "'before', a.before, 'after', a.after)::text AS doc "
           f"FROM audit_log a WHERE {' AND '.join(where) or 'TRUE'} ORDER BY a.id DESC LIMIT {param(limit)}")
    rows: list[asyncpg.Record] = await conn.fetch(sql, *param.values)
    return rows


async def units_outside_scope(conn: Querier, scope: Scope, ids: Collection[uuid.UUID]) -> set[uuid.UUID]:
    """Those of `ids` that are organisations lying outside the scope (ids of anything else are not returned)."""
    if scope.whole_tree or not ids:
        return set()
    param = Params()
    cte, _ = scope_sql(param, scope, None)
    rows = await conn.fetch(
        f"WITH {cte} SELECT p.organization_id FROM organization_placements p "
        f"WHERE p.organization_id = ANY({param(list(ids))}::uuid[]) AND p.latest AND NOT {path_in_scope('p.path')}",
        *param.values)
    return {r[0] for r in rows}


async def insert_read(conn: Querier, *, actor_kind: str, actor_id: str, actor_name: str | None,
                      request_id: str | None, entity: str, entity_ids: list[uuid.UUID]) -> None:
    """A person read sensitive fields of these records: one row (reads are not in a write transaction)."""
    await conn.execute(
        "INSERT INTO audit_log (actor_kind, actor_id, actor_name, request_id, action, entity, entity_id, after) "
        "VALUES ($1, $2, $3, $4, 'read_sensitive', $5, $6, $7::jsonb)",
        actor_kind, actor_id, actor_name, request_id, entity, entity_ids[0] if len(entity_ids) == 1 else None,
        orjson.dumps({"ids": [str(i) for i in entity_ids]}).decode())
