"""Member records: create (candidates, or members registered from older systems) and correct, with the rules
that guard them (a home cell in scope, no duplicate person, sponsors the caller can see)."""

import uuid
from collections.abc import Sequence
from datetime import date
from typing import Any

import orjson

from app.db.members import reads
from app.db.members import writes as db
from app.db.scope import WHOLE_TREE, Scope, outside_scope
from app.domain.access.callers import Actor, Caller
from app.domain.audit import service as audit
from app.domain.errors import NotFound, RuleViolation, stale_version
from app.domain.members import registration
from app.domain.members.lifecycle import check_ceremony, probation_anchor
from app.domain.members.names import sort_key, valid_citizen_id
from app.domain.members.registration import Duplicate, check_home
from app.domain.organizations.changes import guard
from app.domain.plans.status import add_months
from app.domain.results import Document, document
from app.domain.tx import Tx


async def home(tx: Tx, scope: Scope, organization_id: uuid.UUID, *, on: date | None = None) -> str:
    """The path of a cell members can belong to (in scope, a cell, not dissolved, founded by `on` if given)."""
    in_scope = not await outside_scope(tx.conn, scope, [organization_id])
    found = await db.org_path(tx.conn, organization_id) if in_scope else None
    return check_home(organization_id, found, in_scope=in_scope, on=on)


async def _visible(tx: Tx, scope: Scope, member_ids: Sequence[uuid.UUID]) -> set[uuid.UUID]:
    return await reads.members_in_scope(tx.conn, scope, member_ids)


async def _duplicates(
    tx: Tx, *, citizen_id: str | None, full_name: str, birth_date: date, exclude: uuid.UUID | None
) -> list[Duplicate]:
    """Creators of the same name and birth date are serialised (a lock until commit), so two at once cannot both
    pass the duplicate rule."""
    await db.lock_name_and_birth_date(tx.conn, full_name, birth_date)
    return await db.find_duplicates(
        tx.conn, citizen_id=citizen_id, name_folded_of=full_name, birth_date=birth_date, exclude=exclude
    )


async def _taken(tx: Tx, external_ids: Sequence[str], for_id: uuid.UUID | None) -> dict[str, uuid.UUID]:
    return {e: o for e, o in (await db.external_id_owners(tx.conn, external_ids)).items() if o != for_id}


async def full_record(tx: Tx, member_id: uuid.UUID) -> dict[str, Any]:
    """The record with every field (the audit log's before and after; sensitive ones are digested there)."""
    row = await reads.read_member(tx.conn, member_id, scope=WHOLE_TREE, as_of=None, pii=True)
    assert row is not None
    doc: dict[str, Any] = orjson.loads(row["doc"])
    return doc


async def as_served(tx: Tx, *, caller: Caller, scope: Scope, member_id: uuid.UUID) -> Document:
    """The record as this caller is served it, inside the transaction that wrote it."""
    row = await reads.read_member(tx.conn, member_id, scope=scope, as_of=None, pii=caller.pii)
    assert row is not None
    return document(member_id, row)


async def registration_facts(
    tx: Tx, scope: Scope, values: dict[str, Any], external_ids: Sequence[str]
) -> registration.Facts:
    """What the rules of one registration need of the database (the batch import looks them up for many)."""
    organization_id = values["organization_id"]
    in_scope = not await outside_scope(tx.conn, scope, [organization_id])
    duplicates = await _duplicates(
        tx,
        citizen_id=values.get("citizen_id"),
        full_name=values["full_name"],
        birth_date=values["birth_date"],
        exclude=None,
    )
    taken = await _taken(tx, external_ids, None)
    named = [*(values.get("sponsor_ids") or []), *(d[0] for d in duplicates), *taken.values()]
    return registration.Facts(
        home=await db.org_path(tx.conn, organization_id) if in_scope else None,
        home_in_scope=in_scope,
        duplicates=duplicates,
        external_owners=taken,
        visible=await _visible(tx, scope, named) if named else set(),
    )


async def create_member(
    tx: Tx,
    *,
    actor: Actor,
    scope: Scope,
    values: dict[str, Any],
    external_ids: Sequence[str],
    allow_same_name: bool,
    since: date | None,
    today: date,
    min_age: int,
    probation_months: int,
    decision_ref: str | None,
) -> Document:
    """A candidate or a member registered with their history (registration.plan_registration says how), written
    with its periods, its first event and its audit entry."""
    planned = registration.plan_registration(
        values,
        await registration_facts(tx, scope, values, external_ids),
        pii=actor.caller.pii,
        external_ids=external_ids,
        allow_same_name=allow_same_name,
        since=since,
        today=today,
        min_age=min_age,
        probation_months=probation_months,
    )
    member_id = await db.insert_member(tx.conn, planned.values)
    await db.set_external_ids(tx.conn, member_id, external_ids)
    for day, period_status in planned.periods:
        await db.start_period(
            tx.conn,
            member_id=member_id,
            day=day,
            state={
                "organization_id": values["organization_id"],
                "status": period_status,
                "host_organization_id": None,
                "temporarily_away": False,
                "exempt": False,
                "suspended": False,
            },
        )
    await db.insert_event(
        tx.conn,
        member_id=member_id,
        kind=planned.event_kind,
        event_date=planned.event_date,
        decision_ref=decision_ref,
        note=None,
        to_organization_id=values["organization_id"],
        recorded_by=actor.caller.id,
        details={"since": planned.since},
    )
    await audit.record(
        tx,
        actor,
        action="create",
        entity="member",
        entity_id=member_id,
        organization_id=values["organization_id"],
        before=None,
        after=await full_record(tx, member_id),
    )
    return await as_served(tx, caller=actor.caller, scope=scope, member_id=member_id)


def missing_member(member_id: uuid.UUID) -> NotFound:
    return NotFound(f"No member with id {member_id} exists.", code="member_not_found")


async def living(tx: Tx, scope: Scope, member_id: uuid.UUID) -> db.MemberRow:
    """The record, locked for the change, if the caller may write it (missing otherwise)."""
    member = await db.get_member(tx.conn, member_id, for_update=True)
    missing = missing_member(member_id)
    if member is None:
        raise missing
    await guard(tx, scope, member.organization_id, missing=missing)
    return member


async def update_member(
    tx: Tx,
    *,
    actor: Actor,
    scope: Scope,
    member_id: uuid.UUID,
    changes: dict[str, Any],
    expected_version: int | None,
    allow_same_name: bool,
    probation_months: int,
) -> Document:
    """Correct a record's fields. Where the member belongs and their status change only by events. A corrected
    ceremony moves the official date of a recognised member with it (probation counts from the ceremony)."""
    member = await living(tx, scope, member_id)
    if expected_version is not None and expected_version != member.version:
        raise stale_version("The record", member.version, expected_version)
    if changes.get("citizen_id") and not valid_citizen_id(changes["citizen_id"]):
        raise RuleViolation(registration.INVALID_CITIZEN_ID, code="invalid_citizen_id")
    if "admission_ceremony_date" in changes:
        check_ceremony(member.admission_decision_date, changes["admission_ceremony_date"])
        if member.official_date is not None and member.admission_decision_date is not None:
            anchor = probation_anchor(member.admission_decision_date, changes["admission_ceremony_date"])
            changes["official_date"] = add_months(anchor, probation_months)
    if "sponsor_ids" in changes:
        sponsors = changes["sponsor_ids"]
        visible = await _visible(tx, scope, sponsors) if sponsors else set()
        registration.check_sponsors(sponsors, member.id, visible=visible)
    if {"sponsor_ids", "sponsor_since"} & changes.keys():
        file = await db.admission_file(tx.conn, member.id)
        sponsor_ids = changes["sponsor_ids"] if "sponsor_ids" in changes else file.sponsor_ids
        if "sponsor_since" not in changes:  # sponsors replaced: keep what is known of those who stay
            changes["sponsor_since"] = {k: v for k, v in file.sponsor_since.items() if k in (sponsor_ids or [])}
        registration.sponsor_since(changes, sponsor_ids or [])
    if {"citizen_id", "full_name", "birth_date"} & changes.keys():
        found = await _duplicates(
            tx,
            citizen_id=changes.get("citizen_id", member.citizen_id),
            full_name=changes.get("full_name", member.full_name),
            birth_date=changes.get("birth_date", member.birth_date),
            exclude=member.id,
        )
        registration.check_duplicates(
            found,
            visible=await _visible(tx, scope, [d[0] for d in found]),
            pii=actor.caller.pii,
            allow_same_name=allow_same_name,
        )
    before = await full_record(tx, member.id)
    if "external_ids" in changes:
        external_ids = changes.pop("external_ids")
        taken = await _taken(tx, external_ids, member.id)
        registration.check_external_ids(
            external_ids, taken, visible=await _visible(tx, scope, list(taken.values())) if taken else set()
        )
        await db.set_external_ids(tx.conn, member.id, external_ids)
    if "full_name" in changes:
        changes["sort_key"] = sort_key(changes["full_name"])
    await db.update_member(tx.conn, member.id, changes)
    await audit.record(
        tx,
        actor,
        action="update",
        entity="member",
        entity_id=member.id,
        organization_id=member.organization_id,
        before=before,
        after=await full_record(tx, member.id),
    )
    return await as_served(tx, caller=actor.caller, scope=scope, member_id=member.id)
