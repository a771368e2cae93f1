"""What organisations keep: working regulations, inspections, committee terms."""

import uuid
from collections.abc import AsyncIterator
from datetime import date

import asyncpg

from app.db.sql import Querier, Record, Sql, fetch, fetchval, stream


async def insert_regulation(
    conn: asyncpg.Connection, *, organization_id: uuid.UUID, issued_on: date, reference: str, title: str | None
) -> uuid.UUID:
    found: uuid.UUID = await fetchval(
        conn,
        Sql(
            "INSERT INTO working_regulations (organization_id, issued_on, reference, title) "
            "VALUES ({org}, {issued_on}, {reference}, {title}) RETURNING id",
            org=organization_id,
            issued_on=issued_on,
            reference=reference,
            title=title,
        ),
    )
    return found


async def insert_inspection(
    conn: asyncpg.Connection,
    *,
    organization_id: uuid.UUID,
    inspecting_body: str,
    year: int,
    inspected_on: date | None,
    conclusion: str | None,
    reference: str | None,
) -> uuid.UUID:
    found: uuid.UUID = await fetchval(
        conn,
        Sql(
            "INSERT INTO inspections (organization_id, inspecting_body, year, inspected_on, conclusion, reference) "
            "VALUES ({org}, {body}, {year}, {inspected_on}, {conclusion}, {reference}) RETURNING id",
            org=organization_id,
            body=inspecting_body,
            year=year,
            inspected_on=inspected_on,
            conclusion=conclusion,
            reference=reference,
        ),
    )
    return found


async def insert_term(
    conn: asyncpg.Connection, *, organization_id: uuid.UUID, label: str, starts_on: date, ends_on: date | None
) -> uuid.UUID:
    found: uuid.UUID = await fetchval(
        conn,
        Sql(
            "INSERT INTO committee_terms (organization_id, label, starts_on, ends_on) "
            "VALUES ({org}, {label}, {starts_on}, {ends_on}) RETURNING id",
            org=organization_id,
            label=label,
            starts_on=starts_on,
            ends_on=ends_on,
        ),
    )
    return found


_RECORDS = {
    "regulations": "SELECT id, organization_id, issued_on, reference, title, created_at FROM working_regulations "
    "WHERE organization_id = {org} AND ({id}::uuid IS NULL OR id = {id}) ORDER BY issued_on, created_at, id",
    "inspections": "SELECT id, organization_id, inspecting_body, year, inspected_on, conclusion, reference, created_at "
    "FROM inspections WHERE organization_id = {org} AND ({id}::uuid IS NULL OR id = {id}) "
    "ORDER BY year, inspected_on NULLS LAST, created_at, id",
    "terms": "SELECT id, organization_id, label, starts_on, ends_on, created_at FROM committee_terms "
    "WHERE organization_id = {org} AND ({id}::uuid IS NULL OR id = {id}) ORDER BY starts_on, id",
}


def records_query(kind: str, org_id: uuid.UUID, *, record_id: uuid.UUID | None = None) -> Sql:
    """An organisation's regulations, inspections or terms, oldest first (the lists and their exports)."""
    return Sql(_RECORDS[kind], org=org_id, id=record_id)


async def regulations(conn: Querier, org_id: uuid.UUID, *, record_id: uuid.UUID | None = None) -> list[Record]:
    return await fetch(conn, records_query("regulations", org_id, record_id=record_id))


async def inspections(conn: Querier, org_id: uuid.UUID, *, record_id: uuid.UUID | None = None) -> list[Record]:
    return await fetch(conn, records_query("inspections", org_id, record_id=record_id))


async def terms(conn: Querier, org_id: uuid.UUID, *, record_id: uuid.UUID | None = None) -> list[Record]:
    return await fetch(conn, records_query("terms", org_id, record_id=record_id))


def stream_records(conn: asyncpg.Connection, kind: str, org_id: uuid.UUID) -> AsyncIterator[Record]:
    return stream(conn, records_query(kind, org_id))


async def clashing_terms(
    conn: Querier, org_id: uuid.UUID, *, label: str, starts_on: date, ends_on: date | None
) -> list[Record]:
    return await fetch(
        conn,
        Sql(
            "SELECT id, label, starts_on, ends_on FROM committee_terms WHERE organization_id = {org} "
            "AND (label = {label} OR daterange(starts_on, ends_on) && daterange({starts_on}, {ends_on})) "
            "ORDER BY starts_on",
            org=org_id,
            label=label,
            starts_on=starts_on,
            ends_on=ends_on,
        ),
    )
