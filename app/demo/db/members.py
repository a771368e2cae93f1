"""Bulk loading of prepared member records (the demo data): COPY on one asyncpg connection, in the caller's
transaction. Thousands of members with their periods and events go in with four COPYs, in well under a second;
the database computes what it always computes (name_folded), and checks every constraint (no overlapping periods,
one living record per citizen ID)."""

import uuid
from collections.abc import Sequence

import asyncpg

from app.db.organizations.paths import subtree_bounds

MEMBER_COLUMNS = (
    "id",
    "full_name",
    "sort_key",
    "gender",
    "birth_date",
    "birth_place",
    "hometown",
    "residence",
    "ethnicity",
    "religion",
    "citizen_id",
    "phone",
    "education",
    "professional_level",
    "political_theory_level",
    "admission_decision_date",
    "admission_ceremony_date",
    "official_date",
    "party_card_number",
    "record_number",
    "status",
    "organization_id",
    "org_path",
    "host_organization_id",
    "temporarily_away",
    "exempt",
    "suspended",
    "sponsor_ids",
    "training_certificate_date",
    "sponsor_since",
)
PERIOD_COLUMNS = (
    "member_id",
    "valid_from",
    "valid_to",
    "organization_id",
    "status",
    "host_organization_id",
    "temporarily_away",
    "exempt",
    "suspended",
)
EVENT_COLUMNS = (
    "member_id",
    "kind",
    "event_date",
    "decision_ref",
    "note",
    "from_organization_id",
    "to_organization_id",
    "details",
    "recorded_by",
)  # details: JSON text
EXTERNAL_ID_COLUMNS = ("external_id", "member_id")

Rows = Sequence[Sequence[object]]


async def latest_paths(conn: asyncpg.Connection, organization_ids: Sequence[uuid.UUID]) -> dict[uuid.UUID, str]:
    """Each organisation's latest path (what `members.org_path` holds)."""
    rows = await conn.fetch(
        "SELECT organization_id, path FROM organization_placements WHERE latest AND organization_id = ANY($1::uuid[])",
        list(organization_ids),
    )
    return {r["organization_id"]: r["path"] for r in rows}


async def has_members_under(conn: asyncpg.Connection, organization_id: uuid.UUID) -> bool:
    """Whether any member record (of any status) belongs to the subtree of this organisation."""
    path: str | None = await conn.fetchval(
        "SELECT path FROM organization_placements WHERE latest AND organization_id = $1", organization_id
    )
    if path is None:
        return False
    low, high = subtree_bounds(path)
    found: bool = await conn.fetchval(
        "SELECT EXISTS (SELECT 1 FROM members WHERE org_path >= $1 AND org_path < $2)", low, high
    )
    return found


async def copy_members(
    conn: asyncpg.Connection, *, members: Rows, periods: Rows, events: Rows, external_ids: Rows
) -> None:
    """Write member records, their periods, events and external identifiers (rows in the column orders above)."""
    await conn.copy_records_to_table("members", records=members, columns=MEMBER_COLUMNS)
    await conn.copy_records_to_table("member_periods", records=periods, columns=PERIOD_COLUMNS)
    await conn.copy_records_to_table("member_events", records=events, columns=EVENT_COLUMNS)
    await conn.copy_records_to_table("member_external_ids", records=external_ids, columns=EXTERNAL_ID_COLUMNS)


async def count_members_under(conn: asyncpg.Connection, organization_id: uuid.UUID) -> dict[str, int]:
    """Member records of the subtree of this organisation, by status (as the records stand now)."""
    path: str | None = await conn.fetchval(
        "SELECT path FROM organization_placements WHERE latest AND organization_id = $1", organization_id
    )
    if path is None:
        return {}
    low, high = subtree_bounds(path)
    rows = await conn.fetch(
        "SELECT status, count(*) AS n FROM members WHERE org_path >= $1 AND org_path < $2 GROUP BY status", low, high
    )
    return {r["status"]: r["n"] for r in rows}
