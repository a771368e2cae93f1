"""A member's life, step by step: each event writes the new state, a new period from its date, the event and its
audit entry, or nothing (the rules are lifecycle.py's)."""

import uuid
from datetime import date
from enum import StrEnum
from typing import Any

from app.db.members import writes as db
from app.db.scope import Scope
from app.domain.access.callers import Actor
from app.domain.audit import service as audit
from app.domain.errors import Conflict
from app.domain.members.lifecycle import EventKind, MemberState, apply
from app.domain.members.records import as_served, full_record, home, living
from app.domain.members.registration import age_on
from app.domain.plans.status import add_months
from app.domain.results import Document
from app.domain.tx import Tx
from app.domain.versions import check_expected


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
    probation_months: int,
    sponsor_min_months: int,
    expected_version: int | None = None,
) -> Document:
    member = await living(tx, scope, member_id)
    check_expected("The record", member.version, expected_version)
    if kind == EventKind.admit and member.status == "candidate":
        await db.yield_defaulted_start(tx.conn, member.id, on)
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
        admission_ceremony_date=member.admission_ceremony_date,
    )
    new = apply(
        state,
        kind,
        on=on,
        to_organization_id=str(to_organization_id) if to_organization_id else None,
        leaves_tree=kind == EventKind.transfer and destination is not None and to_organization_id is None,
        probation_months=probation_months,
        ceremony_date=ceremony_date,
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
        await _check_admission_file(tx, member.id, on, sponsor_min_months)
        values = {"admission_decision_date": on, "admission_ceremony_date": ceremony_date}
        details = {"age": age, "age_exception": age_exception}
    if kind == EventKind.recognize:
        values = {"official_date": new.official_date}
    if kind in (EventKind.transfer, EventKind.temporary_transfer) and to_organization_id is not None:
        target_path = await home(tx, scope, to_organization_id, on=on)
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


class Introducer(StrEnum):
    """Who introduced a candidate by resolution: the Fatherland Front or a mass organisation (seed 004, 2.2.9.b)."""

    fatherland_front = "fatherland_front"
    youth_union = "youth_union"
    trade_union = "trade_union"
    womens_union = "womens_union"
    farmers_association = "farmers_association"
    veterans_association = "veterans_association"


# The introductions that stand for one of the two sponsors (Charter art. 4.2).
INTRODUCERS: dict[str, str] = {Introducer.youth_union: "the Youth Union", Introducer.trade_union: "the trade union"}


async def _check_admission_file(tx: Tx, member_id: uuid.UUID, on: date, sponsor_min_months: int) -> None:
    """A candidate is admitted after the training course, introduced by two official members who have worked,
    studied or lived with them for `sponsor_min_months`; an introduction by the grassroots committee of the Youth
    Union or of the trade union stands for one of them (Charter art. 4.2; QĐ 294-QĐ/TW on art. 4)."""
    file = await db.admission_file(tx.conn, member_id)
    standing_in = file.introduced_by if file.introduced_by in INTRODUCERS else None
    needed = 1 if standing_in else 2
    sponsors = set(file.sponsor_ids)
    alongside = f" beside the introduction by {INTRODUCERS[standing_in]}" if standing_in else ""
    if len(sponsors) < needed:
        raise Conflict(
            f"Admission needs {needed} sponsor{'s' if needed > 1 else ''} (official members){alongside}: set "
            "`sponsor_ids` on the record first (or `introduced_by`, when the Youth Union or the trade union "
            "introduced the candidate).",
            code="sponsors_required",
        )
    official = await db.official_on(tx.conn, list(sponsors), on)
    if len(official) < needed:
        raise Conflict(
            f"The sponsors must be official members on {on}; "
            f"{', '.join(sorted(str(s) for s in sponsors - official))} are not.",
            code="sponsors_not_official",
        )
    acquainted = {
        s for s in official if s in file.sponsor_since and add_months(file.sponsor_since[s], sponsor_min_months) <= on
    }
    if len(acquainted) < needed:
        short = ", ".join(
            f"{s} ({'since ' + str(file.sponsor_since[s]) if s in file.sponsor_since else 'since unknown'})"
            for s in sorted(official - acquainted, key=str)
        )
        raise Conflict(
            f"A sponsor must have worked, studied or lived with the candidate for at least {sponsor_min_months} "
            f"months on {on} (record it in `sponsor_since`): {short}.",
            code="sponsor_acquaintance_too_short",
        )
    certificate = file.training_certificate_date
    if certificate is None or certificate > on:
        raise Conflict(
            "Admission needs the certificate of the course on the Party (training_certificate_date), "
            "dated on or before the admission.",
            code="training_required",
        )
