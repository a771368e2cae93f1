"""Bulk loading of the demo's positions, public posts, ratings and organisation records: one read of the member
periods, then one COPY per table on the caller's connection and transaction. The database checks what it always
checks (one secretary at a time, one seat per member and unit, one rating per subject and period, terms that do
not overlap)."""

import uuid
from collections.abc import Sequence

import asyncpg

from app.db.sql import Record

Rows = Sequence[Sequence[object]]

POSITION_COLUMNS = ("member_id", "organization_id", "position", "valid_from", "valid_to", "decision_ref")
POST_COLUMNS = ("member_id", "post", "place", "organization_id", "valid_from", "valid_to", "decision_ref")
RATING_COLUMNS = (
    "member_id",
    "organization_id",
    "period",
    "period_end",
    "score",
    "rating",
    "not_rated_reason",
    "rated_on",
)
REGULATION_COLUMNS = ("organization_id", "issued_on", "reference", "title")
INSPECTION_COLUMNS = ("organization_id", "inspecting_body", "year", "inspected_on", "conclusion", "reference")
TERM_COLUMNS = ("organization_id", "label", "starts_on", "ends_on")


async def has_positions(conn: asyncpg.Connection, organization_ids: Sequence[uuid.UUID]) -> bool:
    found: bool = await conn.fetchval(
        "SELECT EXISTS (SELECT 1 FROM party_positions WHERE organization_id = ANY($1::uuid[]))", list(organization_ids)
    )
    return found


async def member_periods(conn: asyncpg.Connection, organization_ids: Sequence[uuid.UUID]) -> list[Record]:
    """Every period of a member in these organisations, with the member's admission date, in a stable order."""
    rows: list[Record] = await conn.fetch(
        "SELECT mp.member_id, mp.valid_from, mp.valid_to, mp.organization_id, mp.status, mp.exempt, mp.suspended, "
        "m.admission_decision_date FROM member_periods mp JOIN members m ON m.id = mp.member_id "
        "WHERE mp.organization_id = ANY($1::uuid[]) ORDER BY mp.member_id, mp.valid_from",
        list(organization_ids),
    )
    return rows


async def copy_records(
    conn: asyncpg.Connection,
    *,
    positions: Rows,
    posts: Rows,
    ratings: Rows,
    regulations: Rows,
    inspections: Rows,
    terms: Rows,
) -> None:
    """Write the rows (in the column orders above)."""
    await conn.copy_records_to_table("party_positions", records=positions, columns=POSITION_COLUMNS)
    await conn.copy_records_to_table("public_posts", records=posts, columns=POST_COLUMNS)
    await conn.copy_records_to_table("ratings", records=ratings, columns=RATING_COLUMNS)
    await conn.copy_records_to_table("working_regulations", records=regulations, columns=REGULATION_COLUMNS)
    await conn.copy_records_to_table("inspections", records=inspections, columns=INSPECTION_COLUMNS)
    await conn.copy_records_to_table("committee_terms", records=terms, columns=TERM_COLUMNS)
