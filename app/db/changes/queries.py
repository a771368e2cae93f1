"""Reading the change feed: a page of changes after a position, as one caller sees them, and the current documents of
the records they name. The feed's rows are written by triggers (migration 0021), never here."""

import uuid
from collections.abc import Sequence
from datetime import datetime

from app.db.members.reads import member_doc
from app.db.organizations.reads import ORG_DOC, PLACED
from app.db.scope import Scope, path_in_scope, scope_ranges, with_ctes
from app.db.sql import Querier, Record, Sql, fetch, fetchval


def _in_scope(scope: Scope, alive: str, path: str) -> Sql:
    return Sql(
        "({alive} AND {path} IS NOT NULL AND {inside})",
        alive=Sql(alive),
        path=Sql(path),
        inside=path_in_scope(scope, path),
    )


async def read_changes(
    conn: Querier,
    *,
    after: tuple[int, int],
    below: int,
    entities: Sequence[str],
    scope: Scope,
    limit: int,
    until: tuple[int, int] | None = None,
) -> list[Record]:
    """The changes after position `after` = (xkey, position) and below the horizon `below` (`horizon()`), in the
    feed's order, of the given kinds, that the scope sees: those whose record was alive inside it before or after
    the change (`seen_before`, `seen_after` say which). `until`: none after this position (a batch read again)."""
    before = _in_scope(scope, "c.alive_before", "c.path_before")
    now = _in_scope(scope, "c.alive", "c.path_after")
    return await fetch(
        conn,
        Sql(
            """{with_} SELECT c.xkey, c.position, c.entity, c.entity_id, c.change, c.version, c.changed_at,
                   {before} AS seen_before, {now} AS seen_after
            FROM changes c
            WHERE (c.xkey, c.position) > ({xkey}::bigint, {position}::bigint)
              AND c.xkey < {below}::bigint
              AND {until}
              AND c.entity = ANY({entities}::text[])
              AND ({before} OR {now})
            ORDER BY c.xkey, c.position
            LIMIT {limit}""",
            with_=with_ctes(scope_ranges(scope, None)),
            before=before,
            now=now,
            xkey=after[0],
            position=after[1],
            below=below,
            entities=list(entities),
            limit=limit,
            until=Sql("TRUE")
            if until is None
            else Sql("(c.xkey, c.position) <= ({ux}::bigint, {up}::bigint)", ux=until[0], up=until[1]),
        ),
    )


async def horizon(conn: Querier) -> int:
    """The feed's horizon now: the oldest transaction of this database still running (the snapshot's next id when
    none is). Every transaction that has not committed has an id at or above it, and a change's xkey is at least
    its transaction's id: the changes below the horizon are final, and none can later appear among them.

    Only this database's transactions count (`pg_stat_activity`, whose `backend_xid` the service's own role can
    read): `pg_snapshot_xmin` alone would let a long transaction in any other database of the server hold the feed
    back. xid8 values are matched with the 32-bit xids of the view by their low 32 bits."""
    rows = await fetch(
        conn,
        Sql(
            """SELECT coalesce(
                (SELECT min(x::text::bigint) FROM pg_snapshot_xip(s) x
                 WHERE x::text::bigint % 4294967296 IN (
                     SELECT backend_xid::text::bigint FROM pg_stat_activity
                     WHERE datname = current_database() AND backend_xid IS NOT NULL)),
                pg_snapshot_xmax(s)::text::bigint) AS h
            FROM pg_current_snapshot() s"""
        ),
    )
    return int(rows[0]["h"])


async def member_documents(conn: Querier, ids: Sequence[uuid.UUID], *, pii: bool) -> dict[uuid.UUID, str]:
    """The members' documents as GET /members/{id} serves them today (the caller has seen them in the feed)."""
    if not ids:
        return {}
    rows = await fetch(
        conn,
        Sql(
            "SELECT m.id, {doc} AS doc FROM members m WHERE m.id = ANY({ids}::uuid[])",
            doc=member_doc(pii=pii, state="m"),
            ids=list(ids),
        ),
    )
    return {r["id"]: r["doc"] for r in rows}


async def organization_documents(conn: Querier, ids: Sequence[uuid.UUID]) -> dict[uuid.UUID, str]:
    """The units' documents at their latest place, as GET /organizations/{id} serves them."""
    if not ids:
        return {}
    rows = await fetch(
        conn,
        Sql(
            "SELECT o.id, {doc} AS doc FROM {placed} WHERE p.latest AND o.id = ANY({ids}::uuid[])",
            doc=ORG_DOC,
            placed=PLACED,
            ids=list(ids),
        ),
    )
    return {r["id"]: r["doc"] for r in rows}


async def compact(conn: Querier, *, before: datetime) -> int:
    """Each record's changes older than `before` collapsed into the last of them, which takes the state before the
    first (so a caller still sees the net change: entered, left, or changed inside its scope); the others are
    deleted. Changes after `before` are untouched, and so is every record's last change (the one the commit trigger
    compares with). Returns how many were deleted."""
    deleted: int = await fetchval(
        conn,
        Sql(
            """WITH old AS MATERIALIZED (
                SELECT position, entity, entity_id,
                       first_value(path_before) OVER runs AS first_path,
                       first_value(alive_before) OVER runs AS first_alive,
                       row_number() OVER (PARTITION BY entity, entity_id ORDER BY xkey DESC, position DESC)
                           AS from_last,
                       count(*) OVER (PARTITION BY entity, entity_id) AS olds
                FROM changes WHERE changed_at < {before}
                WINDOW runs AS (PARTITION BY entity, entity_id ORDER BY xkey, position)
            ), kept AS (
                UPDATE changes c SET path_before = o.first_path, alive_before = o.first_alive
                FROM old o WHERE c.position = o.position AND o.from_last = 1 AND o.olds > 1
                RETURNING 1
            ), dropped AS (
                DELETE FROM changes c USING old o WHERE c.position = o.position AND o.from_last > 1
                RETURNING 1
            )
            SELECT count(*) FROM dropped""",
            before=before,
        ),
    )
    return deleted
