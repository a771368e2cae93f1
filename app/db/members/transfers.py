"""Member rows moved wholesale by a reorganisation (a merge or split carries its members along)."""

import uuid
from collections.abc import Sequence
from datetime import date

import asyncpg

from app.db.members.writes import LIVING
from app.db.sql import Sql, execute, fetch, fetchval


async def count_members_in(conn: asyncpg.Connection, organization_ids: Sequence[uuid.UUID]) -> int:
    found: int = await fetchval(
        conn,
        Sql(
            "SELECT count(*) FROM members "
            "WHERE organization_id = ANY({ids}::uuid[]) AND status = ANY({living}::text[])",
            ids=list(organization_ids),
            living=LIVING,
        ),
    )
    return found


async def members_with_later_changes(conn: asyncpg.Connection, organization_ids: Sequence[uuid.UUID], day: date) -> int:
    found: int = await fetchval(
        conn,
        Sql(
            "SELECT count(*) FROM members m JOIN member_periods p ON p.member_id = m.id "
            "WHERE m.organization_id = ANY({ids}::uuid[]) AND m.status = ANY({living}::text[]) "
            "AND p.valid_from > {day}",
            ids=list(organization_ids),
            living=LIVING,
            day=day,
        ),
    )
    return found


async def transfer_all(
    conn: asyncpg.Connection,
    *,
    from_ids: Sequence[uuid.UUID],
    to_id: uuid.UUID,
    to_path: str,
    day: date,
    recorded_by: str,
    decision_ref: str | None,
    note: str,
) -> int:
    """Every living member of `from_ids` belongs to `to_id` from `day` on (a merge of their cells): new periods,
    one transfer event each. Returns how many moved."""
    moved = [
        r[0]
        for r in await fetch(
            conn,
            Sql(
                "UPDATE members SET organization_id = {to}, org_path = {path}, version = version + 1, "
                "updated_at = now() "
                "WHERE organization_id = ANY({sources}::uuid[]) AND status = ANY({living}::text[]) RETURNING id",
                to=to_id,
                path=to_path,
                sources=list(from_ids),
                living=LIVING,
            ),
        )
    ]
    if not moved:
        return 0
    await execute(
        conn,
        Sql(
            "DELETE FROM member_periods WHERE member_id = ANY({ids}::uuid[]) AND valid_to IS NULL "
            "AND valid_from = {day}",
            ids=moved,
            day=day,
        ),
    )
    await execute(
        conn,
        Sql(
            """
        WITH closed AS (
            UPDATE member_periods SET valid_to = {day}
            WHERE member_id = ANY({ids}::uuid[]) AND valid_to IS NULL AND valid_from < {day}
            RETURNING member_id, status, host_organization_id, temporarily_away, exempt, suspended)
        INSERT INTO member_periods (member_id, valid_from, organization_id, status, host_organization_id,
                                    temporarily_away, exempt, suspended)
        SELECT member_id, {day}::date, {to}::uuid, status, host_organization_id, temporarily_away, exempt, suspended
        FROM closed""",
            day=day,
            ids=moved,
            to=to_id,
        ),
    )
    await execute(
        conn,
        Sql(
            """
        INSERT INTO member_events (member_id, kind, event_date, decision_ref, note, from_organization_id,
                                   to_organization_id, recorded_by)
        SELECT p.member_id, 'transfer', {day}::date, {ref}::text, {note}::text, prev.organization_id, {to}::uuid,
               {by}::text
        FROM member_periods p
        JOIN member_periods prev ON prev.member_id = p.member_id AND prev.valid_to = {day}
        WHERE p.member_id = ANY({ids}::uuid[]) AND p.valid_from = {day}""",
            day=day,
            ref=decision_ref,
            note=note,
            to=to_id,
            by=recorded_by,
            ids=moved,
        ),
    )
    return len(moved)
