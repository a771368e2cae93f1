"""The records organisations keep: working regulations, inspections, committee terms."""

import uuid
from datetime import date
from typing import Any

from app.db.organizations import reads as org_reads
from app.db.records import queries as db
from app.db.scope import Scope
from app.db.sql import Querier
from app.domain.access.callers import Actor
from app.domain.audit import service as audit
from app.domain.errors import Conflict, RuleViolation
from app.domain.organizations import tree
from app.domain.organizations.changes import guard
from app.domain.tx import Tx


async def add_regulation(
    tx: Tx,
    *,
    actor: Actor,
    scope: Scope,
    organization_id: uuid.UUID,
    issued_on: date,
    reference: str,
    title: str | None,
) -> dict[str, Any]:
    await guard(tx, scope, organization_id)
    conn = tx.conn
    await _alive(conn, organization_id, issued_on, "issue regulations")
    values: dict[str, Any] = {
        "organization_id": organization_id,
        "issued_on": issued_on,
        "reference": reference,
        "title": title,
    }
    record_id = await db.insert_regulation(
        tx.conn, organization_id=organization_id, issued_on=issued_on, reference=reference, title=title
    )
    await audit.record(
        tx,
        actor,
        action="create",
        entity="working_regulation",
        entity_id=record_id,
        organization_id=organization_id,
        before=None,
        after={"id": record_id, **values},
    )
    return dict((await db.regulations(conn, organization_id, record_id=record_id))[0])


async def add_inspection(
    tx: Tx,
    *,
    actor: Actor,
    scope: Scope,
    organization_id: uuid.UUID,
    inspecting_body: str,
    year: int,
    inspected_on: date | None,
    conclusion: str | None,
    reference: str | None,
) -> dict[str, Any]:
    await guard(tx, scope, organization_id)
    if inspected_on is not None and inspected_on.year != year:
        raise RuleViolation(f"The inspection is for {year} but dated {inspected_on}.", code="inspection_year")
    conn = tx.conn
    values = {
        "organization_id": organization_id,
        "inspecting_body": inspecting_body,
        "year": year,
        "inspected_on": inspected_on,
        "conclusion": conclusion,
        "reference": reference,
    }
    record_id = await db.insert_inspection(
        tx.conn,
        organization_id=organization_id,
        inspecting_body=inspecting_body,
        year=year,
        inspected_on=inspected_on,
        conclusion=conclusion,
        reference=reference,
    )
    await audit.record(
        tx,
        actor,
        action="create",
        entity="inspection",
        entity_id=record_id,
        organization_id=organization_id,
        before=None,
        after={"id": record_id, **values},
    )
    return dict((await db.inspections(conn, organization_id, record_id=record_id))[0])


async def add_term(
    tx: Tx, *, actor: Actor, scope: Scope, organization_id: uuid.UUID, label: str, starts_on: date, ends_on: date | None
) -> dict[str, Any]:
    await guard(tx, scope, organization_id)
    first, last = (int(y) for y in label.split("-"))
    if last <= first or starts_on.year != first:
        raise RuleViolation(
            f"A term {label!r} runs from {first} to a later year and starts in {first} (not {starts_on}).",
            code="term_label",
        )
    if ends_on is not None and ends_on <= starts_on:
        raise RuleViolation(f"A term must end after it starts ({starts_on} → {ends_on}).", code="invalid_period")
    conn = tx.conn
    await _alive(conn, organization_id, starts_on, "start a committee term")
    for clash in await db.clashing_terms(conn, organization_id, label=label, starts_on=starts_on, ends_on=ends_on):
        code = "duplicate_term" if clash["label"] == label else "term_overlaps"
        raise Conflict(
            f"The organisation already has the term {clash['label']} ({clash['starts_on']} → "
            f"{clash['ends_on'] or 'open'}); terms do not overlap.",
            code=code,
            existing_id=str(clash["id"]),
        )
    values = {"organization_id": organization_id, "label": label, "starts_on": starts_on, "ends_on": ends_on}
    record_id = await db.insert_term(
        tx.conn, organization_id=organization_id, label=label, starts_on=starts_on, ends_on=ends_on
    )
    await audit.record(
        tx,
        actor,
        action="create",
        entity="committee_term",
        entity_id=record_id,
        organization_id=organization_id,
        before=None,
        after={"id": record_id, **values},
    )
    return dict((await db.terms(conn, organization_id, record_id=record_id))[0])


async def _alive(conn: Querier, organization_id: uuid.UUID, day: date, what: str) -> None:
    unit = await org_reads.unit_on(conn, organization_id, day)
    assert unit is not None
    if not unit.alive_on(day):
        raise tree.not_alive(unit, day, to=f" to {what}")


async def organization_records(
    conn: Querier, *, scope: Scope, organization_id: uuid.UUID, kind: str
) -> list[dict[str, Any]]:
    """An organisation's working regulations, inspections or committee terms (a handful each), oldest first."""
    await tree.placed(conn, organization_id, scope=scope, as_of=None)
    read = {"regulations": db.regulations, "inspections": db.inspections, "terms": db.terms}[kind]
    return [dict(r) for r in await read(conn, organization_id)]
