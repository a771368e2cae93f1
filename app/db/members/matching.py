"""Which existing records a row of an import names: by citizen ID (among living records, as the uniqueness rule
counts them) or by an external id."""

import uuid
from collections.abc import Sequence
from datetime import date

import asyncpg

from app.db.sql import Sql, fetch, fetchval


async def members_with_keys(
    conn: asyncpg.Connection, *, citizen_id: str | None, external_ids: Sequence[str]
) -> list[tuple[uuid.UUID, str]]:
    """(member id, the key that named it: `citizen_id` or `external_ids`), unscoped: the caller filters."""
    rows = await fetch(
        conn,
        Sql(
            """
        SELECT id, 'citizen_id' AS key FROM members
        WHERE {cid}::text IS NOT NULL AND citizen_id = {cid} AND status <> 'deceased'
        UNION ALL
        SELECT member_id, 'external_ids' FROM member_external_ids WHERE external_id = ANY({ids}::text[])""",
            cid=citizen_id,
            ids=list(external_ids),
        ),
    )
    return [(r["id"], r["key"]) for r in rows]


async def event_recorded(conn: asyncpg.Connection, member_id: uuid.UUID, kind: str, day: date) -> bool:
    """Whether the member's history already holds an event of this kind on this day (an import's row repeated)."""
    found: bool = await fetchval(
        conn,
        Sql(
            """SELECT EXISTS (
            SELECT 1 FROM member_events WHERE member_id = {id} AND kind = {kind} AND event_date = {day})""",
            id=member_id,
            kind=kind,
            day=day,
        ),
    )
    return found
