"""A member's life, step by step: each event writes the new state, a new period from its date, the event and its
audit entry, or nothing (the rules are lifecycle.py's)."""

import uuid
from datetime import date
from typing import Any

from app.db.members import writes as db
from app.db.scope import Scope
from app.domain.access.callers import Actor
from app.domain.audit import service as audit
from app.domain.errors import Conflict
from app.domain.members.lifecycle import EventKind, MemberState, apply
from app.domain.members.records import age_on, as_served, full_record, home, living
from app.domain.results import Document
from app.domain.tx import Tx


async def record_event(
    tx: Tx,
    *,
    actor: Actor,
    scope: Scope,
    member_id: uuid.UUID,
    kind: EventKind,
    on: date,
    decision_ref: str | None,
    note: str | None,
    to_organization_id: uuid.UUID | None,
    destination: str | None,
    age_exception: str | None,
    ceremony_date: date | None,
    min_age: int,
    max_age: int,
) -> Document:
    member = await living(tx, scope, member_id)
    last = await db.last_event_date(tx.conn, member.id)
    if last is not None and on < last:
        raise Conflict(
            f"The member's last recorded event is dated {last}; events are recorded in date order ({on} is earlier).",
            code="out_of_order",
        )
    state = MemberState(
        status=member.status,
        organization_id=str(member.organization_id),
        host_organization_id=str(member.host_organization_id) if member.host_organization_id else None,
        temporarily_away=member.temporarily_away,
        exempt=member.exempt,
        suspended=member.suspended,
        admission_decision_date=member.admission_decision_date,
        official_date=member.official_date,
    )
    new = apply(
        state,
        kind,
        on=on,
        to_organization_id=str(to_organization_id) if to_organization_id else None,
        leaves_tree=kind == EventKind.transfer and destination is not None and to_organization_id is None,
    )
    details: dict[str, Any] = {}
    values: dict[str, Any] = {}
    if kind == EventKind.admit:
        age = age_on(member.birth_date, on)
        if not min_age <= age <= max_age and not age_exception:
            raise Conflict(
                f"At admission a person must be {min_age}–{max_age} years old; this one is {age}. "
                "Record the exception (`age_exception`) if the rules allow it.",
                code="admission_age",
            )
        await _check_admission_file(tx, member.id, on)
        values = {"admission_decision_date": on, "admission_ceremony_date": ceremony_date}
        details = {"age": age, "age_exception": age_exception}
    if kind == EventKind.recognize:
        values = {"official_date": new.official_date}
    if kind in (EventKind.transfer, EventKind.temporary_transfer) and to_organization_id is not None:
        target_path = await home(tx, scope, to_organization_id)
        if kind == EventKind.transfer:
            values["org_path"] = target_path
    if destination:
        details["destination"] = destination
    values |= {
        "status": new.status,
        "organization_id": uuid.UUID(new.organization_id),
        "host_organization_id": uuid.UUID(new.host_organization_id) if new.host_organization_id else None,
        "temporarily_away": new.temporarily_away,
        "exempt": new.exempt,
        "suspended": new.suspended,
    }
    before = await full_record(tx, member.id)
    await db.update_member(tx.conn, member.id, values)
    await db.start_period(tx.conn, member_id=member.id, day=on, state={k: values[k] for k in db.STATE})
    await db.insert_event(
        tx.conn,
        member_id=member.id,
        kind=kind.value,
        event_date=on,
        decision_ref=decision_ref,
        note=note,
        from_organization_id=member.organization_id,
        to_organization_id=to_organization_id,
        details=details or None,
        recorded_by=actor.caller.id,
    )
    await audit.record(
        tx,
        actor,
        action=kind.value,
        entity="member",
        entity_id=member.id,
        organization_id=member.organization_id,
        related_organization_id=to_organization_id,
        before=before,
        after=await full_record(tx, member.id),
    )
    return await as_served(tx, caller=actor.caller, scope=scope, member_id=member.id)


async def _check_admission_file(tx: Tx, member_id: uuid.UUID, on: date) -> None:
    """A candidate is admitted with two sponsors who are official members, after the training course."""
    sponsors, certificate = await db.admission_file(tx.conn, member_id)
    if len(set(sponsors)) < 2:
        raise Conflict(
            "Admission needs two sponsors (official members): set `sponsor_ids` on the record first.",
            code="sponsors_required",
        )
    official = await db.official_on(tx.conn, sponsors, on)
    if len(official) < 2:
        raise Conflict(
            f"The sponsors must be official members on {on}; "
            f"{', '.join(sorted(str(s) for s in set(sponsors) - official))} are not.",
            code="sponsors_not_official",
        )
    if certificate is None or certificate > on:
        raise Conflict(
            "Admission needs the certificate of the course on the Party (training_certificate_date), "
            "dated on or before the admission.",
            code="training_required",
        )
