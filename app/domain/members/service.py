"""Member records and their lifecycle: create (candidates, or members registered from older systems), correct,
and record events — each event writes the new state, a new period from its date, and its audit row, or nothing."""

import uuid
from collections.abc import Sequence
from datetime import date
from typing import Any

import asyncpg
import orjson
from sqlalchemy.ext.asyncio import AsyncSession

from app.db import members as db
from app.db.organization_writes import driver_connection
from app.db.scope import WHOLE_TREE, Scope
from app.db.sql import Querier
from app.domain import audit
from app.domain.access import Actor, Caller, Forbidden
from app.domain.errors import Conflict, NotFound, PreconditionFailed, RuleViolation
from app.domain.members.lifecycle import MEMBERS, EventKind, MemberState, apply
from app.domain.members.names import sort_key, valid_citizen_id
from app.domain.organizations.changes import guard
from app.domain.plans.status import add_months

# Where members are registered: cells (and the groups cells are split into).
MEMBER_HOMES = frozenset({"grassroots_cell", "subordinate_cell", "party_group"})


def _age_on(birth: date, day: date) -> int:
    return day.year - birth.year - ((day.month, day.day) < (birth.month, birth.day))


async def _home(session: AsyncSession, scope: Scope, organization_id: uuid.UUID) -> str:
    await guard(session, scope, organization_id)
    found = await db.org_path(session, organization_id)
    if found is None:
        raise RuleViolation(f"The organisation {organization_id} does not exist.", code="organization_not_found")
    path, kind, valid_to = found
    if kind not in MEMBER_HOMES:
        raise RuleViolation(f"Members belong to cells (grassroots or subordinate cells, or party groups); "
                            f"{organization_id} is a {kind}.", code="not_a_cell")
    if valid_to is not None:
        raise Conflict(f"The organisation {organization_id} is dissolved (from {valid_to}).",
                       code="organization_dissolved")
    return path


async def _visible(session: AsyncSession, scope: Scope, member_ids: Sequence[uuid.UUID]) -> set[uuid.UUID]:
    return await db.members_in_scope(await driver_connection(session), scope, member_ids)


async def _no_duplicates(session: AsyncSession, *, caller: Caller, scope: Scope, citizen_id: str | None,
                         full_name: str, birth_date: date, exclude: uuid.UUID | None, allow_same_name: bool) -> None:
    """The same citizen ID among living records, or the same name and birth date, is refused. Who holds it is said
    only to a caller who may see that record (and, for a citizen ID, holds pii): to anyone else only that the value
    is taken. Creators of the same name and birth date are serialised, so two at once cannot both pass."""
    await db.lock_name_and_birth_date(session, full_name, birth_date)
    found = await db.find_duplicates(session, citizen_id=citizen_id, name_folded_of=full_name,
                                     birth_date=birth_date, exclude=exclude)
    visible = await _visible(session, scope, [other_id for other_id, _, _ in found])
    for other_id, other_name, why in found:
        shown = other_id in visible
        if why == "citizen_id":
            if shown and caller.pii:
                raise Conflict(f"A living record with this citizen ID already exists: {other_name} ({other_id}).",
                               code="duplicate_citizen_id", existing_id=str(other_id))
            raise Conflict("This citizen ID is already recorded for another living member; a citizen ID belongs to "
                           "one record.", code="duplicate_citizen_id")
        if not allow_same_name:
            if shown:
                raise Conflict(f"{other_name} ({other_id}) has the same name and birth date. If this is another "
                               "person, send again with `allow_same_name=true`; if it is the same, update that "
                               "record.", code="possible_duplicate", existing_id=str(other_id))
            raise Conflict("A member with the same name and birth date is already recorded (outside what you can "
                           "see). If this is another person, send again with `allow_same_name=true`; if it is the "
                           "same, ask the committee that holds the record to transfer it.", code="possible_duplicate")


async def _check_external_ids(session: AsyncSession, scope: Scope, external_ids: Sequence[str],
                              for_id: uuid.UUID | None) -> None:
    if len(set(external_ids)) != len(external_ids):
        raise RuleViolation("An external identifier is listed twice.", code="duplicate_external_id")
    taken = {e: o for e, o in (await db.external_id_owners(session, external_ids)).items() if o != for_id}
    if taken:
        visible = await _visible(session, scope, list(taken.values()))
        listing = ", ".join(f"{e} (member {o})" if o in visible else e for e, o in sorted(taken.items()))
        raise Conflict(f"External identifiers already belong to other members: {listing}.",
                       code="duplicate_external_id")


async def _check_sponsors(session: AsyncSession, scope: Scope, sponsor_ids: Sequence[uuid.UUID] | None,
                          member_id: uuid.UUID | None) -> None:
    """Sponsors are members the caller can see, two different people, not the candidate."""
    if not sponsor_ids:
        return
    if len(set(sponsor_ids)) != len(sponsor_ids) or (member_id is not None and member_id in sponsor_ids):
        raise RuleViolation("The sponsors are two different members, neither of them the candidate.",
                            code="invalid_sponsors")
    unknown = sorted(set(sponsor_ids) - await _visible(session, scope, sponsor_ids), key=str)
    if unknown:
        raise RuleViolation(f"No member with id {unknown[0]} exists to sponsor this person.",
                            code="sponsor_not_found")


async def member_doc(session: AsyncSession, member_id: uuid.UUID) -> dict[str, Any]:
    row = await db.read_member(await driver_connection(session), member_id, scope=WHOLE_TREE, as_of=None, pii=True)
    assert row is not None
    doc: dict[str, Any] = orjson.loads(row["doc"])
    return doc


async def create_member(session: AsyncSession, *, actor: Actor, scope: Scope, values: dict[str, Any],
                        external_ids: Sequence[str], allow_same_name: bool, since: date, min_age: int,
                        decision_ref: str | None) -> uuid.UUID:
    """A candidate (status candidate, in the cell proposing them), or a member registered with their history
    (probationary or official, with the admission date; their first period starts then)."""
    status = values["status"]
    if values.get("citizen_id") and not valid_citizen_id(values["citizen_id"]):
        raise RuleViolation("A citizen ID (CCCD) has 12 digits and starts with a province code 001–096.",
                            code="invalid_citizen_id")
    path = await _home(session, scope, values["organization_id"])
    await _check_sponsors(session, scope, values.get("sponsor_ids"), None)
    await _no_duplicates(session, caller=actor.caller, scope=scope, citizen_id=values.get("citizen_id"),
                         full_name=values["full_name"], birth_date=values["birth_date"], exclude=None,
                         allow_same_name=allow_same_name)
    await _check_external_ids(session, scope, external_ids, None)
    start = since
    if status in MEMBERS:
        admitted = values.get("admission_decision_date")
        if admitted is None:
            raise RuleViolation("A member is registered with the date of the admission decision.",
                                code="admission_date_required")
        if status == "official" and values.get("official_date") is None:
            values["official_date"] = add_months(admitted, 12)
        start = admitted
    elif _age_on(values["birth_date"], since) < min_age - 2:
        raise RuleViolation(f"A candidate is prepared for admission at {min_age}; this person is "
                            f"{_age_on(values['birth_date'], since)}.", code="candidate_too_young")
    member_id = await db.insert_member(session, {**values, "org_path": path,
                                                 "sort_key": sort_key(values["full_name"])})
    await db.set_external_ids(session, member_id, external_ids)
    await db.start_period(session, member_id=member_id, day=start, state={
        "organization_id": values["organization_id"], "status": status, "host_organization_id": None,
        "temporarily_away": False, "exempt": False, "suspended": False})
    await db.insert_event(session, member_id=member_id, kind="registered" if status in MEMBERS else "proposed",
                          event_date=start, decision_ref=decision_ref, note=None,
                          to_organization_id=values["organization_id"], recorded_by=actor.caller.id)
    await audit.record(session, actor, action="create", entity="member", entity_id=member_id,
                       organization_id=values["organization_id"], before=None,
                       after=await member_doc(session, member_id))
    return member_id


async def _living(session: AsyncSession, scope: Scope, member_id: uuid.UUID) -> db.MemberRow:
    member = await db.get_member(session, member_id, for_update=True)
    if member is None:
        raise NotFound(f"No member with id {member_id} exists.", code="member_not_found")
    await guard(session, scope, member.organization_id,
                missing=NotFound(f"No member with id {member_id} exists.", code="member_not_found"))
    return member


async def update_member(session: AsyncSession, *, actor: Actor, scope: Scope, member_id: uuid.UUID,
                        changes: dict[str, Any], expected_version: int | None, allow_same_name: bool) -> None:
    """Correct a record's fields. Where the member belongs and their status change only by events."""
    member = await _living(session, scope, member_id)
    if expected_version is not None and expected_version != member.version:
        raise PreconditionFailed(f"The record is at version {member.version}, not {expected_version}: read it "
                                 "again and reapply your change.", current_version=member.version)
    if changes.get("citizen_id") and not valid_citizen_id(changes["citizen_id"]):
        raise RuleViolation("A citizen ID (CCCD) has 12 digits and starts with a province code 001–096.",
                            code="invalid_citizen_id")
    if "sponsor_ids" in changes:
        await _check_sponsors(session, scope, changes["sponsor_ids"], member.id)
    if {"citizen_id", "full_name", "birth_date"} & changes.keys():
        await _no_duplicates(session, caller=actor.caller, scope=scope,
                             citizen_id=changes.get("citizen_id", member.citizen_id),
                             full_name=changes.get("full_name", member.full_name),
                             birth_date=changes.get("birth_date", member.birth_date), exclude=member.id,
                             allow_same_name=allow_same_name)
    before = await member_doc(session, member.id)
    if "external_ids" in changes:
        external_ids = changes.pop("external_ids")
        await _check_external_ids(session, scope, external_ids, member.id)
        await db.set_external_ids(session, member.id, external_ids)
    if "full_name" in changes:
        changes["sort_key"] = sort_key(changes["full_name"])
    await db.update_member(session, member.id, changes)
    await audit.record(session, actor, action="update", entity="member", entity_id=member.id,
                       organization_id=member.organization_id, before=before,
                       after=await member_doc(session, member.id))


async def record_event(session: AsyncSession, *, actor: Actor, scope: Scope, member_id: uuid.UUID,
                       kind: EventKind, on: date, decision_ref: str | None, note: str | None,
                       to_organization_id: uuid.UUID | None, destination: str | None, age_exception: str | None,
                       ceremony_date: date | None, min_age: int, max_age: int) -> None:
    member = await _living(session, scope, member_id)
    last = await db.last_event_date(session, member.id)
    if last is not None and on < last:
        raise Conflict(f"The member's last recorded event is dated {last}; events are recorded in date order "
                       f"({on} is earlier).", code="out_of_order")
    state = MemberState(status=member.status, organization_id=str(member.organization_id),
                        host_organization_id=str(member.host_organization_id) if member.host_organization_id
                        else None, temporarily_away=member.temporarily_away, exempt=member.exempt,
                        suspended=member.suspended, admission_decision_date=member.admission_decision_date,
                        official_date=member.official_date)
    new = apply(state, kind, on=on, to_organization_id=str(to_organization_id) if to_organization_id else None,
                leaves_tree=kind == EventKind.transfer and destination is not None and to_organization_id is None)
    details: dict[str, Any] = {}
    values: dict[str, Any] = {}
    if kind == EventKind.admit:
        age = _age_on(member.birth_date, on)
        if not min_age <= age <= max_age and not age_exception:
            raise Conflict(f"At admission a person must be {min_age}–{max_age} years old; this one is {age}. "
                           "Record the exception (`age_exception`) if the rules allow it.", code="admission_age")
        await _check_admission_file(session, member.id, on)
        values = {"admission_decision_date": on, "admission_ceremony_date": ceremony_date}
        details = {"age": age, "age_exception": age_exception}
    if kind == EventKind.recognize:
        values = {"official_date": new.official_date}
    if kind in (EventKind.transfer, EventKind.temporary_transfer) and to_organization_id is not None:
        target_path = await _home(session, scope, to_organization_id)
        if kind == EventKind.transfer:
            values["org_path"] = target_path
    if destination:
        details["destination"] = destination
    values |= {"status": new.status, "organization_id": uuid.UUID(new.organization_id),
               "host_organization_id": uuid.UUID(new.host_organization_id) if new.host_organization_id else None,
               "temporarily_away": new.temporarily_away, "exempt": new.exempt, "suspended": new.suspended}
    before = await member_doc(session, member.id)
    await db.update_member(session, member.id, values)
    await db.start_period(session, member_id=member.id, day=on, state={
        k: values[k] for k in ("organization_id", "status", "host_organization_id", "temporarily_away", "exempt",
                               "suspended")})
    await db.insert_event(session, member_id=member.id, kind=kind.value, event_date=on, decision_ref=decision_ref,
                          note=note, from_organization_id=member.organization_id,
                          to_organization_id=to_organization_id, details=details or None,
                          recorded_by=actor.caller.id)
    await audit.record(session, actor, action=kind.value, entity="member", entity_id=member.id,
                       organization_id=member.organization_id, related_organization_id=to_organization_id,
                       before=before,
                       after=await member_doc(session, member.id))


async def _check_admission_file(session: AsyncSession, member_id: uuid.UUID, on: date) -> None:
    """A candidate is admitted with two sponsors who are official members, after the training course."""
    sponsors, certificate = await db.admission_file(session, member_id)
    if len(set(sponsors)) < 2:
        raise Conflict("Admission needs two sponsors (official members): set `sponsor_ids` on the record first.",
                       code="sponsors_required")
    official = await db.official_on(session, sponsors, on)
    if len(official) < 2:
        raise Conflict(f"The sponsors must be official members on {on}; "
                       f"{', '.join(sorted(str(s) for s in set(sponsors) - official))} are not.",
                       code="sponsors_not_official")
    if certificate is None or certificate > on:
        raise Conflict("Admission needs the certificate of the course on the Party (training_certificate_date), "
                       "dated on or before the admission.", code="training_required")


# --- reads --------------------------------------------------------------------------------------------------------

async def read_member(conn: Querier, *, caller: Caller, scope: Scope, member_id: uuid.UUID,
                      as_of: date | None) -> asyncpg.Record:
    row = await db.read_member(conn, member_id, scope=scope, as_of=as_of, pii=caller.pii)
    if row is None:
        raise NotFound(f"No member with id {member_id} {'was a member then' if as_of else 'exists'}.",
                       code="member_not_found")
    return row


def require_pii_for(caller: Caller, **filters: object) -> None:
    """Filtering by sensitive data reveals it: only callers with `pii` may."""
    used = [name for name, value in filters.items() if value]
    if used and not caller.pii:
        raise Forbidden(f"Filtering by {', '.join(used)} needs the pii permission.", code="pii_required")
