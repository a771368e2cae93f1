"""Ratings of members and organisations, and their counts over a subtree."""

import uuid
from collections.abc import AsyncIterator
from datetime import date, datetime
from typing import Any

import asyncpg

from app.db.members.reads import IN_MEMBERSHIP
from app.db.positions.queries import valid_on
from app.db.sql import Querier, Record, Sql, count_rows, execute, fetch, fetchrow, fetchval, stream

_RATING = Sql("""SELECT r.id, r.member_id, m.full_name, r.organization_id, o.code AS organization_code,
    o.name AS organization_name, r.period, r.period_end, r.score, r.rating, r.not_rated_reason, r.comment, r.rated_on,
    r.sick_leave_months, r.created_at, r.updated_at, r.version
    FROM ratings r JOIN organizations o ON o.id = r.organization_id LEFT JOIN members m ON m.id = r.member_id""")

# What a rating holds besides whom and when (written on creation and replaced by PUT).
ASSESSMENT = ("organization_id", "score", "rating", "not_rated_reason", "comment", "rated_on", "sick_leave_months")


async def insert_rating(
    conn: asyncpg.Connection, *, member_id: uuid.UUID | None, period: str, period_end: date, values: dict[str, Any]
) -> uuid.UUID:
    rating_id: uuid.UUID = await fetchval(
        conn,
        Sql(
            "INSERT INTO ratings (member_id, period, period_end, organization_id, score, rating, not_rated_reason, "
            "comment, rated_on, sick_leave_months) VALUES ({member}, {period}, {end}, {organization_id}, {score}, "
            "{rating}, {not_rated_reason}, {comment}, {rated_on}, {sick_leave_months}) RETURNING id",
            member=member_id,
            period=period,
            end=period_end,
            **{k: values[k] for k in ASSESSMENT},
        ),
    )
    return rating_id


async def replace_rating(conn: asyncpg.Connection, rating_id: uuid.UUID, values: dict[str, Any]) -> None:
    await execute(
        conn,
        Sql(
            "UPDATE ratings SET organization_id = {organization_id}, score = {score}, rating = {rating}, "
            "not_rated_reason = {not_rated_reason}, comment = {comment}, rated_on = {rated_on}, "
            "sick_leave_months = {sick_leave_months}, version = version + 1, "
            "updated_at = now() WHERE id = {id}",
            id=rating_id,
            **{k: values[k] for k in ASSESSMENT},
        ),
    )


async def get_rating(conn: Querier, rating_id: uuid.UUID) -> Record | None:
    return await fetchrow(conn, Sql("{rating} WHERE r.id = {id}", rating=_RATING, id=rating_id))


async def find_member_rating(conn: Querier, member_id: uuid.UUID, period: str) -> Record | None:
    return await fetchrow(
        conn,
        Sql(
            "{rating} WHERE r.member_id = {member} AND r.period = {period}",
            rating=_RATING,
            member=member_id,
            period=period,
        ),
    )


async def find_organization_rating(conn: Querier, org_id: uuid.UUID, period: str) -> Record | None:
    return await fetchrow(
        conn,
        Sql(
            "{rating} WHERE r.member_id IS NULL AND r.organization_id = {org} AND r.period = {period}",
            rating=_RATING,
            org=org_id,
            period=period,
        ),
    )


async def discipline_between(
    conn: Querier, member_id: uuid.UUID, *, start: date, end: date, kinds: list[str]
) -> list[Record]:
    """The member's disciplinary events (of `kinds`) dated within [start, end], oldest first."""
    return await fetch(
        conn,
        Sql(
            "SELECT e.kind, e.event_date FROM member_events e WHERE e.member_id = {member} "
            "AND e.kind = ANY({kinds}::text[]) AND e.event_date BETWEEN {start} AND {end} ORDER BY e.event_date",
            member=member_id,
            kinds=kinds,
            start=start,
            end=end,
        ),
    )


async def ratings_of_member(
    conn: Querier, member_id: uuid.UUID, *, updated_since: datetime | None = None
) -> list[Record]:
    return await fetch(conn, ratings_of_member_query(member_id, updated_since))


async def ratings_of_organization(
    conn: Querier, org_id: uuid.UUID, *, updated_since: datetime | None = None
) -> list[Record]:
    return await fetch(conn, ratings_of_organization_query(org_id, updated_since))


def _changed_since(updated_since: datetime | None) -> Sql:
    """`updated_since` of a list: the ratings changed at or after it (all without it)."""
    return Sql("r.updated_at >= {since}", since=updated_since) if updated_since is not None else Sql("TRUE")


def _subtree(path: str, day: date) -> Sql:
    """Organisations of the subtree at `path`, in the tree as it stood on `day`."""
    return Sql(
        "SELECT p.organization_id FROM organization_placements p WHERE p.path >= {path} "
        "AND p.path < left({path}, -1) || '0' AND {placed}",
        path=path,
        placed=valid_on("p", day),
    )


def member_ratings_query(
    *, path: str, period: str, period_end: date, keyset: Sql | None = None, updated_since: datetime | None = None
) -> Sql:
    """Member ratings of a period recorded in the subtree, unit by unit in tree order, by name within a unit:
    keyset (unit_path, sort_key, member_id), so a page reads only the units it shows. The list's pages and its
    export share it."""
    return Sql(
        """
        SELECT p.path AS unit_path, m.sort_key, r.id, r.member_id, m.full_name, r.organization_id,
               o.code AS organization_code, o.name AS organization_name, r.period, r.period_end, r.score, r.rating,
               r.not_rated_reason, r.comment, r.rated_on, r.sick_leave_months, r.created_at, r.updated_at, r.version
        FROM organization_placements p
        JOIN ratings r ON r.organization_id = p.organization_id AND r.period = {period} AND r.member_id IS NOT NULL
        JOIN members m ON m.id = r.member_id
        JOIN organizations o ON o.id = r.organization_id
        WHERE p.path >= {path} AND p.path < left({path}, -1) || '0' AND {placed} AND {keyset} AND {since}
        ORDER BY p.path, m.sort_key, m.id""",
        period=period,
        path=path,
        placed=valid_on("p", period_end),
        keyset=keyset or Sql("TRUE"),
        since=_changed_since(updated_since),
    )


async def member_ratings_page(
    conn: Querier,
    *,
    path: str,
    period: str,
    period_end: date,
    after: tuple[str, str, uuid.UUID] | None,
    limit: int,
    updated_since: datetime | None = None,
) -> list[Record]:
    keyset = (
        Sql("(p.path, m.sort_key, m.id) > ({path}, {key}, {id})", path=after[0], key=after[1], id=after[2])
        if after
        else None
    )
    query = member_ratings_query(
        path=path, period=period, period_end=period_end, keyset=keyset, updated_since=updated_since
    )
    return await fetch(conn, Sql("{query} LIMIT {limit}", query=query, limit=limit))


def stream_member_ratings(
    conn: asyncpg.Connection, *, path: str, period: str, period_end: date, updated_since: datetime | None = None
) -> AsyncIterator[Record]:
    """Every row of the list `member_ratings_page` pages through, in its order, from a server-side cursor."""
    return stream(
        conn, member_ratings_query(path=path, period=period, period_end=period_end, updated_since=updated_since)
    )


def _ratings_of(member_id: uuid.UUID | None, org_id: uuid.UUID | None, updated_since: datetime | None) -> Sql:
    if member_id:
        return ratings_of_member_query(member_id, updated_since)
    return ratings_of_organization_query(org_id, updated_since)


def stream_ratings_of(
    conn: asyncpg.Connection,
    *,
    member_id: uuid.UUID | None = None,
    org_id: uuid.UUID | None = None,
    updated_since: datetime | None = None,
) -> AsyncIterator[Record]:
    """A member's ratings (`member_id`), or else an organisation's own, as `ratings_of_member`/`_organization`."""
    return stream(conn, _ratings_of(member_id, org_id, updated_since))


async def count_member_ratings(
    conn: asyncpg.Connection, *, path: str, period: str, period_end: date, updated_since: datetime | None = None
) -> int:
    return await count_rows(
        conn, member_ratings_query(path=path, period=period, period_end=period_end, updated_since=updated_since)
    )


async def count_ratings_of(
    conn: asyncpg.Connection,
    *,
    member_id: uuid.UUID | None = None,
    org_id: uuid.UUID | None = None,
    updated_since: datetime | None = None,
) -> int:
    return await count_rows(conn, _ratings_of(member_id, org_id, updated_since))


def ratings_of_member_query(member_id: uuid.UUID, updated_since: datetime | None = None) -> Sql:
    return Sql(
        "{rating} WHERE r.member_id = {member} AND {since} ORDER BY r.period_end, r.period",
        rating=_RATING,
        member=member_id,
        since=_changed_since(updated_since),
    )


def ratings_of_organization_query(org_id: uuid.UUID | None, updated_since: datetime | None = None) -> Sql:
    return Sql(
        "{rating} WHERE r.member_id IS NULL AND r.organization_id = {org} AND {since} ORDER BY r.period_end, r.period",
        rating=_RATING,
        org=org_id,
        since=_changed_since(updated_since),
    )


async def rating_counts(conn: Querier, *, path: str, period: str, period_end: date) -> list[Record]:
    """(organization_id, code, name, path, of_member, rating, not_rated_reason, n) over the subtree."""
    return await fetch(
        conn,
        Sql(
            """
        WITH counted AS (
            SELECT r.organization_id, r.member_id IS NOT NULL AS of_member, r.rating, r.not_rated_reason,
                   count(*) AS n
            FROM ratings r WHERE r.period = {period} AND r.organization_id IN ({subtree})
            GROUP BY 1, 2, 3, 4)
        SELECT c.*, o.code, o.name, p.path
        FROM counted c JOIN organizations o ON o.id = c.organization_id
        JOIN organization_placements p ON p.organization_id = c.organization_id AND {placed}""",
            period=period,
            subtree=_subtree(path, period_end),
            placed=valid_on("p", period_end),
        ),
    )


async def membership_without_rating(conn: Querier, *, path: str, period: str, period_end: date) -> Record:
    """(members, unrecorded): members of the subtree at the end of the period, and those without a rating."""
    row = await fetchrow(
        conn,
        Sql(
            """
        SELECT count(*) AS members, count(*) FILTER (WHERE r.id IS NULL) AS unrecorded
        FROM member_periods mp
        LEFT JOIN ratings r ON r.member_id = mp.member_id AND r.period = {period}
        WHERE mp.organization_id IN ({subtree}) AND {held} AND mp.status = ANY({statuses}::text[])""",
            period=period,
            subtree=_subtree(path, period_end),
            held=valid_on("mp", period_end),
            statuses=list(IN_MEMBERSHIP),
        ),
    )
    assert row is not None
    return row
