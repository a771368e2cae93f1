"""Ratings of members and organisations, and the records organisations keep (working regulations, inspections,
committee terms): writes on the request's session, reads on asyncpg.

A rating is counted in the unit of `ratings.organization_id` (the organisation rated, or the member's organisation
at the end of the period), in the tree as it stood at the end of the period."""

import uuid
from datetime import date
from typing import Any

import asyncpg
from sqlalchemy import insert, text, update
from sqlalchemy.ext.asyncio import AsyncSession

from app.db.positions import IN_MEMBERSHIP, valid_on
from app.db.sql import Querier
from app.db.tables import CommitteeTerm, Inspection, Rating, WorkingRegulation

RATINGS = Rating.__table__  # type: ignore[attr-defined]
REGULATIONS = WorkingRegulation.__table__  # type: ignore[attr-defined]
INSPECTIONS = Inspection.__table__  # type: ignore[attr-defined]
TERMS = CommitteeTerm.__table__  # type: ignore[attr-defined]

_RATING = """SELECT r.id, r.member_id, m.full_name, r.organization_id, o.code AS organization_code,
    o.name AS organization_name, r.period, r.period_end, r.score, r.rating, r.not_rated_reason, r.comment, r.rated_on,
    r.created_at, r.updated_at, r.version
    FROM ratings r JOIN organizations o ON o.id = r.organization_id LEFT JOIN members m ON m.id = r.member_id"""


# --- ratings -------------------------------------------------------------------------------------------------------

async def insert_rating(session: AsyncSession, **values: Any) -> uuid.UUID:
    rating_id: uuid.UUID = (await session.execute(
        insert(RATINGS).values(**values).returning(RATINGS.c.id))).scalar_one()
    return rating_id


async def replace_rating(session: AsyncSession, rating_id: uuid.UUID, values: dict[str, Any]) -> None:
    await session.execute(update(RATINGS).where(RATINGS.c.id == rating_id).values(
        **values, version=RATINGS.c.version + 1, updated_at=text("now()")))


async def get_rating(conn: Querier, rating_id: uuid.UUID) -> asyncpg.Record | None:
    row: asyncpg.Record | None = await conn.fetchrow(f"{_RATING} WHERE r.id = $1", rating_id)
    return row


async def find_member_rating(conn: Querier, member_id: uuid.UUID, period: str) -> asyncpg.Record | None:
    row: asyncpg.Record | None = await conn.fetchrow(
        f"{_RATING} WHERE r.member_id = $1 AND r.period = $2", member_id, period)
    return row


async def find_organization_rating(conn: Querier, org_id: uuid.UUID, period: str) -> asyncpg.Record | None:
    row: asyncpg.Record | None = await conn.fetchrow(
        f"{_RATING} WHERE r.member_id IS NULL AND r.organization_id = $1 AND r.period = $2", org_id, period)
    return row


async def ratings_of_member(conn: Querier, member_id: uuid.UUID) -> list[asyncpg.Record]:
    rows: list[asyncpg.Record] = await conn.fetch(
        f"{_RATING} WHERE r.member_id = $1 ORDER BY r.period_end, r.period", member_id)
    return rows


async def ratings_of_organization(conn: Querier, org_id: uuid.UUID) -> list[asyncpg.Record]:
    rows: list[asyncpg.Record] = await conn.fetch(
        f"{_RATING} WHERE r.member_id IS NULL AND r.organization_id = $1 ORDER BY r.period_end, r.period", org_id)
    return rows


def _subtree(path_param: str, day_param: str) -> str:
    """Organisations of the subtree at `path_param`, in the tree as it stood on `day_param`."""
    return (f"SELECT p.organization_id FROM organization_placements p WHERE p.path >= {path_param} "
            f"AND p.path < left({path_param}, -1) || '0' AND {valid_on('p', day_param)}")


async def member_ratings_page(conn: Querier, *, path: str, period: str, period_end: date,
                              after: tuple[str, str, uuid.UUID] | None, limit: int) -> list[asyncpg.Record]:
    """Member ratings of a period recorded in the subtree, unit by unit in tree order, by name within a unit:
    keyset (unit_path, sort_key, member_id), so a page reads only the units it shows."""
    keyset = "AND (p.path, m.sort_key, m.id) > ($4, $5, $6)" if after else ""
    args: list[object] = [path, period_end, period, *(after or ()), limit]
    rows: list[asyncpg.Record] = await conn.fetch(f"""
        SELECT p.path AS unit_path, m.sort_key, r.id, r.member_id, m.full_name, r.organization_id,
               o.code AS organization_code, o.name AS organization_name, r.period, r.period_end, r.score, r.rating,
               r.not_rated_reason, r.comment, r.rated_on, r.created_at, r.updated_at, r.version
        FROM organization_placements p
        JOIN ratings r ON r.organization_id = p.organization_id AND r.period = $3 AND r.member_id IS NOT NULL
        JOIN members m ON m.id = r.member_id
        JOIN organizations o ON o.id = r.organization_id
        WHERE p.path >= $1 AND p.path < left($1, -1) || '0' AND {valid_on('p', '$2')} {keyset}
        ORDER BY p.path, m.sort_key, m.id LIMIT ${len(args)}""", *args)
    return rows


async def rating_counts(conn: Querier, *, path: str, period: str, period_end: date) -> list[asyncpg.Record]:
    """(organization_id, code, name, path, of_member, rating, not_rated_reason, n) over the subtree."""
    rows: list[asyncpg.Record] = await conn.fetch(f"""
        WITH counted AS (
            SELECT r.organization_id, r.member_id IS NOT NULL AS of_member, r.rating, r.not_rated_reason,
                   count(*) AS n
            FROM ratings r WHERE r.period = $3 AND r.organization_id IN ({_subtree('$1', '$2')})
            GROUP BY 1, 2, 3, 4)
        SELECT c.*, o.code, o.name, p.path
        FROM counted c JOIN organizations o ON o.id = c.organization_id
        JOIN organization_placements p ON p.organization_id = c.organization_id AND {valid_on('p', '$2')}""",
        path, period_end, period)
    return rows


async def membership_without_rating(conn: Querier, *, path: str, period: str,
                                    period_end: date) -> asyncpg.Record:
    """(members, unrecorded): members of the subtree at the end of the period, and those without a rating."""
    row: asyncpg.Record = await conn.fetchrow(f"""
        SELECT count(*) AS members, count(*) FILTER (WHERE r.id IS NULL) AS unrecorded
        FROM member_periods mp
        LEFT JOIN ratings r ON r.member_id = mp.member_id AND r.period = $3
        WHERE mp.organization_id IN ({_subtree('$1', '$2')}) AND {valid_on('mp', '$2')}
          AND mp.status = ANY($4::text[])""", path, period_end, period, list(IN_MEMBERSHIP))
    return row


# --- organisation records ------------------------------------------------------------------------------------------

async def insert_regulation(session: AsyncSession, **values: Any) -> uuid.UUID:
    found: uuid.UUID = (await session.execute(
        insert(REGULATIONS).values(**values).returning(REGULATIONS.c.id))).scalar_one()
    return found


async def insert_inspection(session: AsyncSession, **values: Any) -> uuid.UUID:
    found: uuid.UUID = (await session.execute(
        insert(INSPECTIONS).values(**values).returning(INSPECTIONS.c.id))).scalar_one()
    return found


async def insert_term(session: AsyncSession, **values: Any) -> uuid.UUID:
    found: uuid.UUID = (await session.execute(insert(TERMS).values(**values).returning(TERMS.c.id))).scalar_one()
    return found


async def regulations(conn: Querier, org_id: uuid.UUID, *, record_id: uuid.UUID | None = None) -> list[asyncpg.Record]:
    rows: list[asyncpg.Record] = await conn.fetch(
        "SELECT id, organization_id, issued_on, reference, title, created_at FROM working_regulations "
        "WHERE organization_id = $1 AND ($2::uuid IS NULL OR id = $2) ORDER BY issued_on, created_at, id",
        org_id, record_id)
    return rows


async def inspections(conn: Querier, org_id: uuid.UUID, *, record_id: uuid.UUID | None = None) -> list[asyncpg.Record]:
    rows: list[asyncpg.Record] = await conn.fetch(
        "SELECT id, organization_id, inspecting_body, year, inspected_on, conclusion, reference, created_at "
        "FROM inspections WHERE organization_id = $1 AND ($2::uuid IS NULL OR id = $2) "
        "ORDER BY year, inspected_on NULLS LAST, created_at, id", org_id, record_id)
    return rows


async def terms(conn: Querier, org_id: uuid.UUID, *, record_id: uuid.UUID | None = None) -> list[asyncpg.Record]:
    rows: list[asyncpg.Record] = await conn.fetch(
        "SELECT id, organization_id, label, starts_on, ends_on, created_at FROM committee_terms "
        "WHERE organization_id = $1 AND ($2::uuid IS NULL OR id = $2) ORDER BY starts_on, id", org_id, record_id)
    return rows


async def clashing_terms(conn: Querier, org_id: uuid.UUID, *, label: str, starts_on: date,
                         ends_on: date | None) -> list[asyncpg.Record]:
    rows: list[asyncpg.Record] = await conn.fetch(
        "SELECT id, label, starts_on, ends_on FROM committee_terms WHERE organization_id = $1 "
        "AND (label = $2 OR daterange(starts_on, ends_on) && daterange($3, $4)) ORDER BY starts_on",
        org_id, label, starts_on, ends_on)
    return rows
