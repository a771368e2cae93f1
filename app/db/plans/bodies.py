"""The bodies plans assign tasks to (agencies, organisations, collectives) and the other names they go by."""

import uuid
from collections.abc import Sequence
from dataclasses import dataclass

import asyncpg

from app.db.plans.visibility import body_visible
from app.db.scope import Scope, scope_ranges, with_ctes
from app.db.sql import Querier, Record, Sql, execute, fetch, fetchrow, fetchval


@dataclass(frozen=True)
class BodyRow:
    id: uuid.UUID
    name: str
    name_key: str
    kind: str
    organization_id: uuid.UUID


async def bodies_by_key(conn: Querier, organization_id: uuid.UUID, keys: Sequence[str]) -> dict[str, BodyRow]:
    """Known bodies of a namespace by match key, through their own key or an alias."""
    rows = await fetch(
        conn,
        Sql(
            """
        SELECT b.name_key AS matched, b.id, b.name, b.name_key, b.kind, b.organization_id FROM bodies b
        WHERE b.organization_id = {org} AND b.name_key = ANY({keys}::text[])
        UNION ALL
        SELECT a.alias_key, b.id, b.name, b.name_key, b.kind, b.organization_id FROM body_aliases a
        JOIN bodies b ON b.id = a.body_id WHERE a.organization_id = {org} AND a.alias_key = ANY({keys}::text[])""",
            org=organization_id,
            keys=list(keys),
        ),
    )
    return {r["matched"]: BodyRow(r["id"], r["name"], r["name_key"], r["kind"], r["organization_id"]) for r in rows}


async def similar_bodies(conn: Querier, organization_id: uuid.UUID, key: str, *, limit: int = 3) -> list[BodyRow]:
    rows = await fetch(
        conn,
        Sql(
            """
        SELECT id, name, name_key, kind, organization_id FROM bodies
        WHERE organization_id = {org} AND similarity(name_key, {key}) > 0.45
        ORDER BY similarity(name_key, {key}) DESC LIMIT {limit}""",
            org=organization_id,
            key=key,
            limit=limit,
        ),
    )
    return [BodyRow(**dict(r)) for r in rows]


async def insert_body(
    conn: asyncpg.Connection, *, organization_id: uuid.UUID, name: str, name_key: str, kind: str
) -> uuid.UUID:
    body_id: uuid.UUID = await fetchval(
        conn,
        Sql(
            "INSERT INTO bodies (organization_id, name, name_key, kind) VALUES ({org}, {name}, {key}, {kind}) "
            "RETURNING id",
            org=organization_id,
            name=name,
            key=name_key,
            kind=kind,
        ),
    )
    return body_id


async def insert_alias(conn: asyncpg.Connection, *, body: BodyRow, alias: str, alias_key: str) -> None:
    await execute(
        conn,
        Sql(
            "INSERT INTO body_aliases (organization_id, alias_key, alias, body_id) "
            "VALUES ({org}, {key}, {alias}, {body})",
            org=body.organization_id,
            key=alias_key,
            alias=alias,
            body=body.id,
        ),
    )


async def get_body(conn: Querier, body_id: uuid.UUID) -> BodyRow | None:
    row = await fetchrow(
        conn, Sql("SELECT id, name, name_key, kind, organization_id FROM bodies WHERE id = {id}", id=body_id)
    )
    return BodyRow(**dict(row)) if row is not None else None


_BODY = Sql(
    "SELECT b.id, b.name, b.name_key, b.kind, b.organization_id, b.created_at, b.version, "
    "coalesce((SELECT array_agg(a.alias ORDER BY a.alias) FROM body_aliases a WHERE a.body_id = b.id), "
    "'{{}}') AS aliases FROM bodies b"
)


async def list_bodies(
    conn: Querier,
    *,
    scope: Scope,
    organization_id: uuid.UUID | None,
    q_key: str | None,
    after: tuple[str, uuid.UUID] | None,
    limit: int,
) -> list[Record]:
    where = [body_visible(scope)]
    if organization_id is not None:
        where.append(Sql("b.organization_id = {org}", org=organization_id))
    if q_key:
        where.append(
            Sql(
                "(b.name_key LIKE {pattern} OR EXISTS (SELECT 1 FROM body_aliases a WHERE a.body_id = b.id "
                "AND a.alias_key LIKE {pattern}))",
                pattern="%" + q_key + "%",
            )
        )
    if after is not None:
        where.append(Sql("(b.name_key, b.id) > ({key}, {id})", key=after[0], id=after[1]))
    return await fetch(
        conn,
        Sql(
            "{with_} {body} WHERE {where} ORDER BY b.name_key, b.id LIMIT {limit}",
            with_=with_ctes(scope_ranges(scope, None)),
            body=_BODY,
            where=Sql.all(where),
            limit=limit,
        ),
    )


async def read_body(conn: Querier, body_id: uuid.UUID, *, scope: Scope) -> Record | None:
    return await fetchrow(
        conn,
        Sql(
            "{with_} {body} WHERE b.id = {id} AND {visible}",
            with_=with_ctes(scope_ranges(scope, None)),
            body=_BODY,
            id=body_id,
            visible=body_visible(scope),
        ),
    )
