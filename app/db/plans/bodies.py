"""The bodies plans assign tasks to (agencies, organisations, collectives) and the other names they go by."""

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

import asyncpg

from app.db.organizations.paths import subtree_bounds
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


async def subtree_units(conn: Querier, root_id: uuid.UUID) -> list[Record]:
    """The units alive in the subtree of `root_id` at their latest place, the root first, in tree order."""
    path = await fetchval(
        conn, Sql("SELECT path FROM organization_placements WHERE organization_id = {id} AND latest", id=root_id)
    )
    if path is None:
        return []
    low, high = subtree_bounds(path)
    return await fetch(
        conn,
        Sql(
            "SELECT o.id, o.name, o.kind, o.category, p.parent_id FROM organization_placements p "
            "JOIN organizations o ON o.id = p.organization_id "
            "WHERE p.latest AND p.path >= {low} AND p.path < {high} AND o.valid_to IS NULL ORDER BY p.path",
            low=low,
            high=high,
        ),
    )


async def set_members(conn: asyncpg.Connection, body_id: uuid.UUID, organization_ids: Sequence[uuid.UUID]) -> None:
    await execute(conn, Sql("DELETE FROM body_members WHERE body_id = {id}", id=body_id))
    if organization_ids:
        await execute(
            conn,
            Sql(
                "INSERT INTO body_members (body_id, organization_id) SELECT {id}::uuid, unnest({orgs}::uuid[])",
                id=body_id,
                orgs=list(dict.fromkeys(organization_ids)),
            ),
        )


async def member_ids(conn: Querier, body_id: uuid.UUID) -> list[uuid.UUID]:
    rows = await fetch(conn, Sql("SELECT organization_id FROM body_members WHERE body_id = {id}", id=body_id))
    return [r["organization_id"] for r in rows]


def members_of(body: Sql) -> Sql:
    """The organisations a body stands for, as JSON (id, code, name), in tree order."""
    return Sql(
        "coalesce((SELECT json_agg(json_build_object('id', o.id, 'code', o.code, 'name', o.name) ORDER BY p.path) "
        "FROM body_members bm JOIN organizations o ON o.id = bm.organization_id "
        "LEFT JOIN organization_placements p ON p.organization_id = o.id AND p.latest "
        "WHERE bm.body_id = {body}), '[]')",
        body=body,
    )


_BODY = Sql(
    "SELECT b.id, b.name, b.name_key, b.kind, b.organization_id, b.created_at, b.version, "
    "coalesce((SELECT array_agg(a.alias ORDER BY a.alias) FROM body_aliases a WHERE a.body_id = b.id), "
    "'{{}}') AS aliases, {members} AS members FROM bodies b",
    members=members_of(Sql("b.id")),
)


async def list_bodies(
    conn: Querier,
    *,
    scope: Scope,
    organization_id: uuid.UUID | None,
    q_key: str | None,
    after: tuple[str, uuid.UUID] | None,
    limit: int,
    updated_since: datetime | None = None,
) -> list[Record]:
    where = [body_visible(scope)]
    if organization_id is not None:
        where.append(Sql("b.organization_id = {org}", org=organization_id))
    if updated_since is not None:
        where.append(Sql("b.updated_at >= {since}", since=updated_since))
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
