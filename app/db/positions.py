"""Party positions and public posts (writes on the request's session, reads on asyncpg), and what membership and
leadership were on a date: the numbers leadership, ratings and compliance checks are computed from.

Membership on a date comes from `member_periods` (the period valid that day), counted in the member's home
organisation (`organization_id`, never the host of a temporary transfer)."""

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

import asyncpg
from sqlalchemy import insert, text, update
from sqlalchemy.ext.asyncio import AsyncSession

from app.db.scope import Scope, org_in_scope, scope_sql
from app.db.sql import Querier
from app.db.tables import PARTY_POSITIONS, PartyPosition, PublicPost

POSITIONS = PartyPosition.__table__  # type: ignore[attr-defined]
POSTS = PublicPost.__table__  # type: ignore[attr-defined]

IN_MEMBERSHIP = ("probationary", "official")


class Params:
    """Numbered parameters for asyncpg, added as the query grows."""

    def __init__(self) -> None:
        self.values: list[object] = []

    def __call__(self, value: object) -> str:
        self.values.append(value)
        return f"${len(self.values)}"


def valid_on(alias: str, day: str) -> str:
    """The row of `alias` (valid_from, valid_to half-open) holds on the day `day` (a parameter)."""
    return f"({alias}.valid_from <= {day} AND ({alias}.valid_to IS NULL OR {alias}.valid_to > {day}))"


# --- members and units on a date -----------------------------------------------------------------------------------

@dataclass(frozen=True)
class MemberOnDate:
    """A member as the record stands now, and their state on one day (None fields: no period covers it)."""

    id: uuid.UUID
    full_name: str
    organization_id: uuid.UUID
    admission_decision_date: date | None
    status: str | None
    home_id: uuid.UUID | None
    host_id: uuid.UUID | None
    exempt: bool
    suspended: bool
    home_path: str | None


async def member_on(conn: Querier, member_id: uuid.UUID, day: date) -> MemberOnDate | None:
    row = await conn.fetchrow(f"""
        SELECT m.id, m.full_name, m.organization_id, m.admission_decision_date, mp.status,
               mp.organization_id AS home_id, mp.host_organization_id AS host_id,
               coalesce(mp.exempt, false) AS exempt, coalesce(mp.suspended, false) AS suspended,
               (SELECT p.path FROM organization_placements p
                WHERE p.organization_id = mp.organization_id AND {valid_on('p', '$2')}) AS home_path
        FROM members m LEFT JOIN member_periods mp ON mp.member_id = m.id AND {valid_on('mp', '$2')}
        WHERE m.id = $1""", member_id, day)
    return MemberOnDate(**dict(row)) if row is not None else None


async def scoped_member(conn: Querier, member_id: uuid.UUID, *, scope: Scope) -> asyncpg.Record | None:
    """(id, full_name, organization_id) of a member whose organisation lies in the scope, or None."""
    params = Params()
    cte, _ = scope_sql(params, scope, None)
    condition = org_in_scope("m.organization_id") if cte else "TRUE"
    row: asyncpg.Record | None = await conn.fetchrow(
        f"{'WITH ' + cte if cte else ''} SELECT m.id, m.full_name, m.organization_id FROM members m "
        f"WHERE m.id = {params(member_id)} AND {condition}", *params.values)
    return row


@dataclass(frozen=True)
class UnitOnDate:
    """An organisation, and where it stood on one day (`path` None: not placed in the tree that day)."""

    id: uuid.UUID
    code: str
    name: str
    kind: str
    valid_from: date
    valid_to: date | None
    path: str | None

    def alive_on(self, day: date) -> bool:
        return self.valid_from <= day and (self.valid_to is None or self.valid_to > day)


async def unit_on(conn: Querier, org_id: uuid.UUID, day: date) -> UnitOnDate | None:
    row = await conn.fetchrow(f"""
        SELECT o.id, o.code, o.name, o.kind, o.valid_from, o.valid_to,
               (SELECT p.path FROM organization_placements p WHERE p.organization_id = o.id
                AND {valid_on('p', '$2')}) AS path
        FROM organizations o WHERE o.id = $1""", org_id, day)
    return UnitOnDate(**dict(row)) if row is not None else None


# --- positions -----------------------------------------------------------------------------------------------------

_RANK = f"array_position(ARRAY{list(PARTY_POSITIONS)}::text[], pp.position)"

_POSITION = """SELECT pp.id, pp.member_id, m.full_name, pp.organization_id, o.code AS organization_code,
    o.name AS organization_name, pp.position, pp.valid_from, pp.valid_to, pp.decision_ref, pp.end_decision_ref,
    pp.version
    FROM party_positions pp JOIN members m ON m.id = pp.member_id JOIN organizations o ON o.id = pp.organization_id"""


async def insert_position(session: AsyncSession, **values: Any) -> uuid.UUID:
    position_id: uuid.UUID = (await session.execute(
        insert(POSITIONS).values(**values).returning(POSITIONS.c.id))).scalar_one()
    return position_id


async def end_position(session: AsyncSession, position_id: uuid.UUID, *, valid_to: date,
                       end_decision_ref: str | None) -> None:
    await session.execute(update(POSITIONS).where(POSITIONS.c.id == position_id).values(
        valid_to=valid_to, end_decision_ref=end_decision_ref, version=POSITIONS.c.version + 1,
        updated_at=text("now()")))


async def get_position(conn: Querier, position_id: uuid.UUID) -> asyncpg.Record | None:
    row: asyncpg.Record | None = await conn.fetchrow(f"{_POSITION} WHERE pp.id = $1", position_id)
    return row


async def clashing_positions(conn: Querier, *, organization_id: uuid.UUID, member_id: uuid.UUID, position: str,
                             valid_from: date, valid_to: date | None) -> list[asyncpg.Record]:
    """Seats in the organisation overlapping [valid_from, valid_to) that the new one cannot coexist with: the
    member's own, and the secretary's when the new seat is the secretary's."""
    rows: list[asyncpg.Record] = await conn.fetch(
        f"{_POSITION} WHERE pp.organization_id = $1 AND daterange(pp.valid_from, pp.valid_to) && daterange($2, $3) "
        "AND (pp.member_id = $4 OR (pp.position = 'secretary' AND $5 = 'secretary')) ORDER BY pp.valid_from",
        organization_id, valid_from, valid_to, member_id, position)
    return rows


async def positions_of_organization(conn: Querier, org_id: uuid.UUID, *, on: date) -> list[asyncpg.Record]:
    """Seats held on the day, secretary first."""
    rows: list[asyncpg.Record] = await conn.fetch(
        f"{_POSITION} WHERE pp.organization_id = $1 AND {valid_on('pp', '$2')} "
        f"ORDER BY {_RANK}, pp.valid_from, m.sort_key, pp.id", org_id, on)
    return rows


async def positions_of_member(conn: Querier, member_id: uuid.UUID) -> list[asyncpg.Record]:
    rows: list[asyncpg.Record] = await conn.fetch(
        f"{_POSITION} WHERE pp.member_id = $1 ORDER BY pp.valid_from, {_RANK}, pp.id", member_id)
    return rows


# --- public posts --------------------------------------------------------------------------------------------------

_POST = """SELECT ps.id, ps.member_id, m.full_name, ps.post, ps.place, ps.organization_id,
    o.code AS organization_code, o.name AS organization_name, ps.valid_from, ps.valid_to, ps.decision_ref, ps.version
    FROM public_posts ps JOIN members m ON m.id = ps.member_id LEFT JOIN organizations o ON o.id = ps.organization_id"""


async def insert_post(session: AsyncSession, **values: Any) -> uuid.UUID:
    post_id: uuid.UUID = (await session.execute(insert(POSTS).values(**values).returning(POSTS.c.id))).scalar_one()
    return post_id


async def end_post(session: AsyncSession, post_id: uuid.UUID, *, valid_to: date) -> None:
    await session.execute(update(POSTS).where(POSTS.c.id == post_id).values(
        valid_to=valid_to, version=POSTS.c.version + 1, updated_at=text("now()")))


async def get_post(conn: Querier, post_id: uuid.UUID) -> asyncpg.Record | None:
    row: asyncpg.Record | None = await conn.fetchrow(f"{_POST} WHERE ps.id = $1", post_id)
    return row


async def clashing_posts(conn: Querier, *, member_id: uuid.UUID, post: str, organization_id: uuid.UUID | None,
                         valid_from: date, valid_to: date | None) -> list[asyncpg.Record]:
    """The same post, overlapping in time, held by the member, or by anyone at the same organisation's place."""
    rows: list[asyncpg.Record] = await conn.fetch(
        f"{_POST} WHERE ps.post = $1 AND daterange(ps.valid_from, ps.valid_to) && daterange($2, $3) "
        "AND (ps.member_id = $4 OR ps.organization_id = $5) ORDER BY ps.valid_from",
        post, valid_from, valid_to, member_id, organization_id)
    return rows


async def posts_of_member(conn: Querier, member_id: uuid.UUID) -> list[asyncpg.Record]:
    rows: list[asyncpg.Record] = await conn.fetch(
        f"{_POST} WHERE ps.member_id = $1 ORDER BY ps.valid_from, ps.id", member_id)
    return rows


async def posts_held(conn: Querier, member_ids: Sequence[uuid.UUID], *, on: date) -> list[asyncpg.Record]:
    rows: list[asyncpg.Record] = await conn.fetch(
        f"{_POST} WHERE ps.member_id = ANY($1::uuid[]) AND {valid_on('ps', '$2')} ORDER BY ps.valid_from, ps.id",
        list(member_ids), on)
    return rows


# --- membership and leadership of the units of a subtree on a date -------------------------------------------------

async def unit_numbers(conn: Querier, *, scope: Scope, within_path: str, day: date, after_path: str | None,
                       limit: int, counted_kinds: Sequence[str], overdue_admitted_by: date) -> list[asyncpg.Record]:
    """The next `limit` units of the subtree alive on the day, in tree order, each with: its membership on the day
    (official, all, exempt: members of the unit and of the units under it; only for `counted_kinds`, 0 for the
    others, whose subtree is never scanned), its committee seats (and whether the secretary's is filled), and its
    own probationary members admitted on or before `overdue_admitted_by` (JSON text)."""
    params = Params()
    day_p = params(day)
    cte, in_scope = scope_sql(params, scope, day)
    where = [f"p.path >= {params(within_path)}", f"p.path < {params(within_path[:-1] + '0')}",
             valid_on("p", day_p), valid_on("o", day_p), in_scope]
    if after_path is not None:
        where.append(f"p.path > {params(after_path)}")
    sql = f"""
        WITH {cte + ',' if cte else ''}
        units AS MATERIALIZED (
            SELECT o.id, o.code, o.name, o.kind, p.parent_id, p.path
            FROM organization_placements p JOIN organizations o ON o.id = p.organization_id
            WHERE {' AND '.join(where)} ORDER BY p.path LIMIT {params(limit)})
        SELECT u.*, c.official, c.members, c.exempt, s.seats, s.has_secretary, od.overdue
        FROM units u
        CROSS JOIN LATERAL (
            SELECT count(*) FILTER (WHERE mp.status = 'official') AS official, count(*) AS members,
                   count(*) FILTER (WHERE mp.exempt) AS exempt
            FROM organization_placements sp
            JOIN member_periods mp ON mp.organization_id = sp.organization_id AND {valid_on('mp', day_p)}
                 AND mp.status = ANY({params(list(IN_MEMBERSHIP))}::text[])
            WHERE u.kind = ANY({params(list(counted_kinds))}::text[])
              AND sp.path >= u.path AND sp.path < left(u.path, -1) || '0' AND {valid_on('sp', day_p)}) c
        CROSS JOIN LATERAL (
            SELECT count(*) AS seats, coalesce(bool_or(pp.position = 'secretary'), false) AS has_secretary
            FROM party_positions pp WHERE pp.organization_id = u.id AND {valid_on('pp', day_p)}) s
        CROSS JOIN LATERAL (
            SELECT coalesce(json_agg(json_build_object(
                       'member_id', m.id, 'full_name', m.full_name,
                       'admission_decision_date', m.admission_decision_date)
                   ORDER BY m.admission_decision_date, m.sort_key, m.id), '[]')::text AS overdue
            FROM member_periods mp JOIN members m ON m.id = mp.member_id
            WHERE mp.organization_id = u.id AND {valid_on('mp', day_p)} AND mp.status = 'probationary'
              AND m.admission_decision_date <= {params(overdue_admitted_by)}) od
        ORDER BY u.path"""
    return await _fetch_without_jit(conn, sql, *params.values)


async def _fetch_without_jit(conn: Querier, sql: str, *args: object) -> list[asyncpg.Record]:
    """The planner prices the per-unit subqueries high enough to JIT-compile them, which costs hundreds of
    milliseconds, several times the work itself (a few index lookups per unit)."""
    if isinstance(conn, asyncpg.Pool):
        async with conn.acquire() as connection:
            return await _fetch_without_jit(connection, sql, *args)
    async with conn.transaction():
        await conn.execute("SET LOCAL jit = off")
        rows: list[asyncpg.Record] = await conn.fetch(sql, *args)
    return rows
