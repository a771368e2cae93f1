"""Party positions (seats of a unit's leadership) and concurrent public posts."""

import uuid
from collections.abc import AsyncIterator, Sequence
from datetime import date

import asyncpg

from app.db.positions.tables import HEAD_POSITIONS, PARTY_POSITIONS
from app.db.sql import Querier, Record, Sql, execute, fetch, fetchrow, fetchval, stream


def valid_on(alias: str, day: date) -> Sql:
    """The row of `alias` (valid_from, valid_to half-open) holds on `day`."""
    return Sql("({a}.valid_from <= {day} AND ({a}.valid_to IS NULL OR {a}.valid_to > {day}))", a=Sql(alias), day=day)


_RANK = Sql("array_position({order}::text[], pp.position)", order=list(PARTY_POSITIONS))

_POSITION = Sql("""SELECT pp.id, pp.member_id, m.full_name, pp.organization_id, o.code AS organization_code,
    o.name AS organization_name, pp.position, pp.valid_from, pp.valid_to, pp.decision_ref, pp.end_decision_ref,
    pp.version
    FROM party_positions pp JOIN members m ON m.id = pp.member_id JOIN organizations o ON o.id = pp.organization_id""")


async def insert_position(
    conn: asyncpg.Connection,
    *,
    member_id: uuid.UUID,
    organization_id: uuid.UUID,
    position: str,
    valid_from: date,
    valid_to: date | None,
    decision_ref: str | None,
) -> uuid.UUID:
    position_id: uuid.UUID = await fetchval(
        conn,
        Sql(
            "INSERT INTO party_positions (member_id, organization_id, position, valid_from, valid_to, decision_ref) "
            "VALUES ({member}, {org}, {position}, {valid_from}, {valid_to}, {ref}) RETURNING id",
            member=member_id,
            org=organization_id,
            position=position,
            valid_from=valid_from,
            valid_to=valid_to,
            ref=decision_ref,
        ),
    )
    return position_id


async def end_position(
    conn: asyncpg.Connection, position_id: uuid.UUID, *, valid_to: date, end_decision_ref: str | None
) -> None:
    await execute(
        conn,
        Sql(
            "UPDATE party_positions SET valid_to = {valid_to}, end_decision_ref = {ref}, "
            "version = version + 1, updated_at = now() WHERE id = {id}",
            valid_to=valid_to,
            ref=end_decision_ref,
            id=position_id,
        ),
    )


async def get_position(conn: Querier, position_id: uuid.UUID) -> Record | None:
    return await fetchrow(conn, Sql("{position} WHERE pp.id = {id}", position=_POSITION, id=position_id))


async def clashing_positions(
    conn: Querier,
    *,
    organization_id: uuid.UUID,
    member_id: uuid.UUID,
    position: str,
    valid_from: date,
    valid_to: date | None,
) -> list[Record]:
    """Seats in the organisation overlapping [valid_from, valid_to) that the new one cannot coexist with: the
    member's own, and the head's (secretary, or party group leader) when the new seat is the head's."""
    return await fetch(
        conn,
        Sql(
            "{position} WHERE pp.organization_id = {org} AND daterange(pp.valid_from, pp.valid_to) && "
            "daterange({valid_from}, {valid_to}) AND (pp.member_id = {member} OR (pp.position = ANY({heads}::text[]) "
            "AND {new}::text = ANY({heads}::text[]))) ORDER BY pp.valid_from",
            heads=list(HEAD_POSITIONS),
            position=_POSITION,
            org=organization_id,
            valid_from=valid_from,
            valid_to=valid_to,
            member=member_id,
            new=position,
        ),
    )


async def seats_overlapping(
    conn: Querier, organization_id: uuid.UUID, *, valid_from: date, valid_to: date | None
) -> list[Record]:
    """The organisation's seats held on some day of [valid_from, valid_to)."""
    return await fetch(
        conn,
        Sql(
            "SELECT pp.position, pp.valid_from, pp.valid_to FROM party_positions pp WHERE pp.organization_id = {org} "
            "AND daterange(pp.valid_from, pp.valid_to) && daterange({valid_from}, {valid_to})",
            org=organization_id,
            valid_from=valid_from,
            valid_to=valid_to,
        ),
    )


def positions_of_organization_query(org_id: uuid.UUID, *, on: date) -> Sql:
    """Seats held on the day, secretary first (the list and its export)."""
    return Sql(
        "{position} WHERE pp.organization_id = {org} AND {held} ORDER BY {rank}, pp.valid_from, m.sort_key, pp.id",
        position=_POSITION,
        org=org_id,
        held=valid_on("pp", on),
        rank=_RANK,
    )


async def positions_of_organization(conn: Querier, org_id: uuid.UUID, *, on: date) -> list[Record]:
    return await fetch(conn, positions_of_organization_query(org_id, on=on))


def stream_positions_of_organization(conn: asyncpg.Connection, org_id: uuid.UUID, *, on: date) -> AsyncIterator[Record]:
    return stream(conn, positions_of_organization_query(org_id, on=on))


def positions_of_member_query(member_id: uuid.UUID) -> Sql:
    return Sql(
        "{position} WHERE pp.member_id = {member} ORDER BY pp.valid_from, {rank}, pp.id",
        position=_POSITION,
        member=member_id,
        rank=_RANK,
    )


async def positions_of_member(conn: Querier, member_id: uuid.UUID) -> list[Record]:
    return await fetch(conn, positions_of_member_query(member_id))


_POST = Sql("""SELECT ps.id, ps.member_id, m.full_name, ps.post, ps.place, ps.organization_id,
    o.code AS organization_code, o.name AS organization_name, ps.valid_from, ps.valid_to, ps.decision_ref, ps.version
    FROM public_posts ps JOIN members m ON m.id = ps.member_id
    LEFT JOIN organizations o ON o.id = ps.organization_id""")


async def insert_post(
    conn: asyncpg.Connection,
    *,
    member_id: uuid.UUID,
    post: str,
    place: str | None,
    organization_id: uuid.UUID | None,
    valid_from: date,
    valid_to: date | None,
    decision_ref: str | None,
) -> uuid.UUID:
    post_id: uuid.UUID = await fetchval(
        conn,
        Sql(
            "INSERT INTO public_posts (member_id, post, place, organization_id, valid_from, valid_to, decision_ref) "
            "VALUES ({member}, {post}, {place}, {org}, {valid_from}, {valid_to}, {ref}) RETURNING id",
            member=member_id,
            post=post,
            place=place,
            org=organization_id,
            valid_from=valid_from,
            valid_to=valid_to,
            ref=decision_ref,
        ),
    )
    return post_id


async def end_post(conn: asyncpg.Connection, post_id: uuid.UUID, *, valid_to: date) -> None:
    await execute(
        conn,
        Sql(
            "UPDATE public_posts SET valid_to = {valid_to}, version = version + 1, updated_at = now() WHERE id = {id}",
            valid_to=valid_to,
            id=post_id,
        ),
    )


async def get_post(conn: Querier, post_id: uuid.UUID) -> Record | None:
    return await fetchrow(conn, Sql("{post} WHERE ps.id = {id}", post=_POST, id=post_id))


async def clashing_posts(
    conn: Querier,
    *,
    member_id: uuid.UUID,
    post: str,
    organization_id: uuid.UUID | None,
    valid_from: date,
    valid_to: date | None,
) -> list[Record]:
    """The same post, overlapping in time, held by the member, or by anyone at the same organisation's place."""
    return await fetch(
        conn,
        Sql(
            "{posts} WHERE ps.post = {post} AND daterange(ps.valid_from, ps.valid_to) && daterange({valid_from}, "
            "{valid_to}) AND (ps.member_id = {member} OR ps.organization_id = {org}) ORDER BY ps.valid_from",
            posts=_POST,
            post=post,
            valid_from=valid_from,
            valid_to=valid_to,
            member=member_id,
            org=organization_id,
        ),
    )


def posts_of_member_query(member_id: uuid.UUID) -> Sql:
    return Sql("{posts} WHERE ps.member_id = {member} ORDER BY ps.valid_from, ps.id", posts=_POST, member=member_id)


async def posts_of_member(conn: Querier, member_id: uuid.UUID) -> list[Record]:
    return await fetch(conn, posts_of_member_query(member_id))


async def stream_member_seats_and_posts(conn: asyncpg.Connection, member_id: uuid.UUID) -> AsyncIterator[Record]:
    """The member's seats (`positions_of_member`), then their public posts (`posts_of_member`), each in its order."""
    async for row in stream(conn, positions_of_member_query(member_id)):
        yield row
    async for row in stream(conn, posts_of_member_query(member_id)):
        yield row


async def posts_held(conn: Querier, member_ids: Sequence[uuid.UUID], *, on: date) -> list[Record]:
    return await fetch(
        conn,
        Sql(
            "{posts} WHERE ps.member_id = ANY({members}::uuid[]) AND {held} ORDER BY ps.valid_from, ps.id",
            posts=_POST,
            members=list(member_ids),
            held=valid_on("ps", on),
        ),
    )


async def find_seat(
    conn: Querier, *, member_id: uuid.UUID, organization_id: uuid.UUID, position: str, valid_from: date
) -> Record | None:
    """The seat recorded with these four (an import's row repeated): its id and end."""
    return await fetchrow(
        conn,
        Sql(
            "SELECT id, valid_to FROM party_positions WHERE member_id = {member} AND organization_id = {org} "
            "AND position = {position} AND valid_from = {valid_from}",
            member=member_id,
            org=organization_id,
            position=position,
            valid_from=valid_from,
        ),
    )


async def find_post(conn: Querier, *, member_id: uuid.UUID, post: str, valid_from: date) -> Record | None:
    """The public post recorded with these three (an import's row repeated): its id, unit and end."""
    return await fetchrow(
        conn,
        Sql(
            "SELECT id, organization_id, place, valid_to FROM public_posts "
            "WHERE member_id = {member} AND post = {post} AND valid_from = {valid_from}",
            member=member_id,
            post=post,
            valid_from=valid_from,
        ),
    )
