"""The audit log: one row per write, in the writer's transaction; read back keyset-paged and scoped."""

import uuid
from collections.abc import AsyncIterator, Collection, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import asyncpg
import orjson

from app.db.scope import Scope, path_in_scope, scope_ranges, with_ctes
from app.db.sql import Querier, Record, Sql, count_rows, execute, fetch, stream


def _json(value: dict[str, Any] | None) -> str | None:
    return orjson.dumps(value).decode() if value is not None else None


async def insert_entry(
    conn: Querier,
    *,
    actor_kind: str,
    actor_id: str,
    actor_name: str | None,
    request_id: str | None,
    action: str,
    entity: str,
    entity_id: uuid.UUID | None,
    organization_id: uuid.UUID | None,
    related_organization_id: uuid.UUID | None,
    before: dict[str, Any] | None,
    after: dict[str, Any] | None,
    redact: Sequence[str],
) -> None:
    """One entry; the values of the `redact` fields in before/after are replaced by their keyed digests
    (coso_audit_redact, migration 0010) before they are stored."""
    await execute(
        conn,
        Sql(
            "INSERT INTO audit_log (actor_kind, actor_id, actor_name, request_id, action, entity, entity_id, "
            "organization_id, related_organization_id, before, after) VALUES ({kind}, {actor}, {name}, {request}, "
            "{action}, {entity}, {entity_id}, {org}, {related}, coso_audit_redact({before}::jsonb, {redact}::text[]), "
            "coso_audit_redact({after}::jsonb, {redact}::text[]))",
            kind=actor_kind,
            actor=actor_id,
            name=actor_name,
            request=request_id,
            action=action,
            entity=entity,
            entity_id=entity_id,
            org=organization_id,
            related=related_organization_id,
            before=_json(before),
            after=_json(after),
            redact=list(redact),
        ),
    )


@dataclass(frozen=True)
class AuditQuery:
    entity: str | None = None
    entity_id: uuid.UUID | None = None
    actor_id: str | None = None
    since: datetime | None = None
    until: datetime | None = None


def entries_query(query: AuditQuery, *, scope: Scope, before_id: int | None = None) -> Sql:
    """Newest first. An entry is shown when the unit it was recorded against, or the other end of the change, lies
    in the scope (at its latest place); entries about no unit (e.g. API keys) only to callers covering the whole
    tree. The log's pages and its export share it."""
    where = []
    if query.entity is not None:
        where.append(Sql("a.entity = {entity}", entity=query.entity))
    if query.entity_id is not None:
        where.append(Sql("a.entity_id = {id}", id=query.entity_id))
    if query.actor_id is not None:
        where.append(Sql("a.actor_id = {actor}", actor=query.actor_id))
    if query.since is not None:
        where.append(Sql("a.at >= {since}", since=query.since))
    if query.until is not None:
        where.append(Sql("a.at < {until}", until=query.until))
    if before_id is not None:
        where.append(Sql("a.id < {before}", before=before_id))
    if not scope.whole_tree:
        where.append(
            Sql(
                """EXISTS (SELECT 1 FROM organization_placements p
                                    WHERE p.organization_id IN (a.organization_id, a.related_organization_id)
                                      AND p.latest AND {inside})""",
                inside=path_in_scope(scope, "p.path"),
            )
        )
    return Sql(
        "{with_} SELECT a.id, json_build_object('id', a.id, 'at', a.at, 'actor_kind', a.actor_kind, "
        "'actor_id', a.actor_id, 'actor_name', a.actor_name, 'request_id', a.request_id, 'action', a.action, "
        "'entity', a.entity, 'entity_id', a.entity_id, 'organization_id', a.organization_id, "
        "'related_organization_id', a.related_organization_id, 'before', a.before, 'after', a.after)::text AS doc "
        "FROM audit_log a WHERE {where} ORDER BY a.id DESC",
        with_=with_ctes(scope_ranges(scope, None)),
        where=Sql.all(where),
    )


async def list_entries(
    conn: Querier, query: AuditQuery, *, scope: Scope, before_id: int | None, limit: int
) -> list[Record]:
    """A page of `entries_query`."""
    entries = entries_query(query, scope=scope, before_id=before_id)
    return await fetch(conn, Sql("{entries} LIMIT {limit}", entries=entries, limit=limit))


def stream_entries(conn: asyncpg.Connection, query: AuditQuery, *, scope: Scope) -> AsyncIterator[Record]:
    """Every entry of `entries_query`, from a server-side cursor."""
    return stream(conn, entries_query(query, scope=scope))


async def count_entries(conn: Querier, query: AuditQuery, *, scope: Scope) -> int:
    return await count_rows(conn, entries_query(query, scope=scope))


async def units_outside_scope(conn: Querier, scope: Scope, ids: Collection[uuid.UUID]) -> set[uuid.UUID]:
    """Those of `ids` that are organisations lying outside the scope (ids of anything else are not returned)."""
    if scope.whole_tree or not ids:
        return set()
    rows = await fetch(
        conn,
        Sql(
            "{with_} SELECT p.organization_id FROM organization_placements p "
            "WHERE p.organization_id = ANY({ids}::uuid[]) AND p.latest AND NOT {inside}",
            with_=with_ctes(scope_ranges(scope, None)),
            ids=list(ids),
            inside=path_in_scope(scope, "p.path"),
        ),
    )
    return {r[0] for r in rows}


async def insert_read(
    conn: Querier,
    *,
    actor_kind: str,
    actor_id: str,
    actor_name: str | None,
    request_id: str | None,
    entity: str,
    entity_ids: list[uuid.UUID],
    details: dict[str, object] | None = None,
) -> None:
    """A person read sensitive fields of these records: one row (reads are not in a write transaction). An export
    names no ids but what it was (`details`: format, filters, how many rows)."""
    await execute(
        conn,
        Sql(
            "INSERT INTO audit_log (actor_kind, actor_id, actor_name, request_id, action, entity, entity_id, after) "
            "VALUES ({kind}, {actor}, {name}, {request}, 'read_sensitive', {entity}, {entity_id}, {after}::jsonb)",
            kind=actor_kind,
            actor=actor_id,
            name=actor_name,
            request=request_id,
            entity=entity,
            entity_id=entity_ids[0] if len(entity_ids) == 1 else None,
            after=orjson.dumps({"ids": [str(i) for i in entity_ids], **(details or {})}).decode(),
        ),
    )
