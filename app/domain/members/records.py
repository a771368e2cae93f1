"""Member records: create (candidates, or members registered from older systems) and correct, with the rules
that guard them (a home cell in scope, no duplicate person, sponsors the caller can see)."""

import uuid
from collections.abc import Sequence
from datetime import date
from typing import Any

import orjson

from app.db.members import reads
from app.db.members import writes as db
from app.db.scope import WHOLE_TREE, Scope
from app.domain.access.callers import Actor, Caller
from app.domain.audit import service as audit
from app.domain.errors import Conflict, NotFound, RuleViolation, stale_version
from app.domain.members.lifecycle import MEMBERS, check_ceremony, probation_anchor
from app.domain.members.names import sort_key, valid_citizen_id
from app.domain.organizations.changes import guard
from app.domain.plans.status import add_months
from app.domain.results import Document, document
from app.domain.tx import Tx

# Where members are registered: cells (and the groups cells are split into).
MEMBER_HOMES = frozenset({"grassroots_cell", "subordinate_cell", "party_group"})
_INVALID_CITIZEN_ID = "A citizen ID (CCCD) has 12 digits and starts with a province code 001–096."


def age_on(birth: date, day: date) -> int:
    return day.year - birth.year - ((day.month, day.day) < (birth.month, birth.day))


async def home(tx: Tx, scope: Scope, organization_id: uuid.UUID, *, on: date | None = None) -> str:
    """The path of a cell members can belong to (in scope, a cell, not dissolved, founded by `on` if given)."""
    await guard(tx, scope, organization_id)
    found = await db.org_path(tx.conn, organization_id)
    if found is None:
        raise RuleViolation(f"The organisation {organization_id} does not exist.", code="organization_not_found")
    if found.kind not in MEMBER_HOMES:
        raise RuleViolation(
            f"Members belong to cells (grassroots or subordinate cells, or party groups); "
            f"{organization_id} is a {found.kind}.",
            code="not_a_cell",
        )
    if found.valid_to is not None:
        raise Conflict(
            f"The organisation {organization_id} is dissolved (from {found.valid_to}).", code="organization_dissolved"
        )
    if on is not None and on < found.valid_from:
        raise Conflict(
            f"The organisation {organization_id} was founded on {found.valid_from}: nobody can belong to it on {on}.",
            code="before_organization_founded",
        )
    return found.path


async def founded(tx: Tx, organization_id: uuid.UUID) -> date:
    found = await db.org_path(tx.conn, organization_id)
    assert found is not None
    return found.valid_from


async def _visible(tx: Tx, scope: Scope, member_ids: Sequence[uuid.UUID]) -> set[uuid.UUID]:
    return await reads.members_in_scope(tx.conn, scope, member_ids)


async def _no_duplicates(
    tx: Tx,
    *,
    caller: Caller,
    scope: Scope,
    citizen_id: str | None,
    full_name: str,
    birth_date: date,
    exclude: uuid.UUID | None,
    allow_same_name: bool,
) -> None:
    """The same citizen ID among living records, or the same name and birth date, is refused. Who holds it is said
    only to a caller who may see that record (and, for a citizen ID, holds pii): to anyone else only that the value
    is taken. Creators of the same name and birth date are serialised, so two at once cannot both pass."""
    await db.lock_name_and_birth_date(tx.conn, full_name, birth_date)
    found = await db.find_duplicates(
        tx.conn, citizen_id=citizen_id, name_folded_of=full_name, birth_date=birth_date, exclude=exclude
    )
    visible = await _visible(tx, scope, [other_id for other_id, _, _ in found])
    for other_id, other_name, why in found:
        shown = other_id in visible
        if why == "citizen_id":
            if shown and caller.pii:
                raise Conflict(
                    f"A living record with this citizen ID already exists: {other_name} ({other_id}).",
                    code="duplicate_citizen_id",
                    existing_id=str(other_id),
                )
            raise Conflict(
                "This citizen ID is already recorded for another living member; a citizen ID belongs to one record.",
                code="duplicate_citizen_id",
            )
        if not allow_same_name:
            if shown:
                raise Conflict(
                    f"{other_name} ({other_id}) has the same name and birth date. If this is another "
                    "person, send again with `allow_same_name=true`; if it is the same, update that "
                    "record.",
                    code="possible_duplicate",
                    existing_id=str(other_id),
                )
            raise Conflict(
                "A member with the same name and birth date is already recorded (outside what you can "
                "see). If this is another person, send again with `allow_same_name=true`; if it is the "
                "same, ask the committee that holds the record to transfer it.",
                code="possible_duplicate",
            )


async def _check_external_ids(tx: Tx, scope: Scope, external_ids: Sequence[str], for_id: uuid.UUID | None) -> None:
    if len(set(external_ids)) != len(external_ids):
        raise RuleViolation("An external identifier is listed twice.", code="duplicate_external_id")
    taken = {e: o for e, o in (await db.external_id_owners(tx.conn, external_ids)).items() if o != for_id}
    if taken:
        visible = await _visible(tx, scope, list(taken.values()))
        listing = ", ".join(f"{e} (member {o})" if o in visible else e for e, o in sorted(taken.items()))
        raise Conflict(
            f"External identifiers already belong to other members: {listing}.", code="duplicate_external_id"
        )


async def _check_sponsors(
    tx: Tx, scope: Scope, sponsor_ids: Sequence[uuid.UUID] | None, member_id: uuid.UUID | None
) -> None:
    """Sponsors are members the caller can see, two different people, not the candidate."""
    if not sponsor_ids:
        return
    if len(set(sponsor_ids)) != len(sponsor_ids) or (member_id is not None and member_id in sponsor_ids):
        raise RuleViolation(
            "The sponsors are two different members, neither of them the candidate.", code="invalid_sponsors"
        )
    unknown = sorted(set(sponsor_ids) - await _visible(tx, scope, sponsor_ids), key=str)
    if unknown:
        raise RuleViolation(f"No member with id {unknown[0]} exists to sponsor this person.", code="sponsor_not_found")


def _sponsor_since(values: dict[str, Any], sponsor_ids: Sequence[uuid.UUID]) -> None:
    """`sponsor_since` names sponsors of the record only; it is stored as JSON text ({id: date})."""
    since = values.get("sponsor_since") or {}
    strangers = sorted(set(since) - set(sponsor_ids), key=str)
    if strangers:
        raise RuleViolation(
            f"`sponsor_since` names {strangers[0]}, who is not one of the sponsors (`sponsor_ids`).",
            code="invalid_sponsors",
        )
    if "sponsor_since" in values:
        values["sponsor_since"] = orjson.dumps({str(k): v.isoformat() for k, v in since.items()}).decode()


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
    """A candidate (status candidate, in the cell proposing them, from `since` or today), or a member registered
    with their history (probationary or official, with the admission date), placed in their cell from `since`
    (default: the admission, or the cell's founding if later): probationary until the official date, official
    from then on."""
    status = values["status"]
    if values.get("citizen_id") and not valid_citizen_id(values["citizen_id"]):
        raise RuleViolation(_INVALID_CITIZEN_ID, code="invalid_citizen_id")
    path = await home(tx, scope, values["organization_id"])
    await _check_sponsors(tx, scope, values.get("sponsor_ids"), None)
    _sponsor_since(values, values.get("sponsor_ids") or [])
    await _no_duplicates(
        tx,
        caller=actor.caller,
        scope=scope,
        citizen_id=values.get("citizen_id"),
        full_name=values["full_name"],
        birth_date=values["birth_date"],
        exclude=None,
        allow_same_name=allow_same_name,
    )
    await _check_external_ids(tx, scope, external_ids, None)
    check_ceremony(values.get("admission_decision_date"), values.get("admission_ceremony_date"))
    periods: list[tuple[date, str]]
    if status in MEMBERS:
        admitted = values.get("admission_decision_date")
        if admitted is None:
            raise RuleViolation(
                "A member is registered with the date of the admission decision.", code="admission_date_required"
            )
        official = values.get("official_date")
        if status == "official" and official is None:
            official = values["official_date"] = add_months(
                probation_anchor(admitted, values.get("admission_ceremony_date")), probation_months
            )
        start = since if since is not None else max(admitted, await founded(tx, values["organization_id"]))
        if start < admitted:
            raise RuleViolation(
                f"A member is placed in their cell from `since` ({start}), which cannot precede the admission "
                f"({admitted}).",
                code="since_before_admission",
            )
        periods = [(start, status)]
        if status == "official" and official is not None and start < official:
            periods = [(start, "probationary"), (official, "official")]
    else:
        start = since if since is not None else today
        if age_on(values["birth_date"], start) < min_age - 2:
            raise RuleViolation(
                f"A candidate is prepared for admission at {min_age}; this person is "
                f"{age_on(values['birth_date'], start)}.",
                code="candidate_too_young",
            )
        periods = [(start, status)]
    await home(tx, scope, values["organization_id"], on=start)
    member_id = await db.insert_member(tx.conn, {**values, "org_path": path, "sort_key": sort_key(values["full_name"])})
    await db.set_external_ids(tx.conn, member_id, external_ids)
    for day, period_status in periods:
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
        kind="registered" if status in MEMBERS else "proposed",
        event_date=start,
        decision_ref=decision_ref,
        note=None,
        to_organization_id=values["organization_id"],
        recorded_by=actor.caller.id,
        details={"since": "given" if since is not None else "defaulted"},
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


async def living(tx: Tx, scope: Scope, member_id: uuid.UUID) -> db.MemberRow:
    """The record, locked for the change, if the caller may write it (missing otherwise)."""
    member = await db.get_member(tx.conn, member_id, for_update=True)
    missing = NotFound(f"No member with id {member_id} exists.", code="member_not_found")
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
        raise RuleViolation(_INVALID_CITIZEN_ID, code="invalid_citizen_id")
    if "admission_ceremony_date" in changes:
        check_ceremony(member.admission_decision_date, changes["admission_ceremony_date"])
        if member.official_date is not None and member.admission_decision_date is not None:
            anchor = probation_anchor(member.admission_decision_date, changes["admission_ceremony_date"])
            changes["official_date"] = add_months(anchor, probation_months)
    if "sponsor_ids" in changes:
        await _check_sponsors(tx, scope, changes["sponsor_ids"], member.id)
    if {"sponsor_ids", "sponsor_since"} & changes.keys():
        file = await db.admission_file(tx.conn, member.id)
        sponsor_ids = changes["sponsor_ids"] if "sponsor_ids" in changes else file.sponsor_ids
        if "sponsor_since" not in changes:  # sponsors replaced: keep what is known of those who stay
            changes["sponsor_since"] = {k: v for k, v in file.sponsor_since.items() if k in (sponsor_ids or [])}
        _sponsor_since(changes, sponsor_ids or [])
    if {"citizen_id", "full_name", "birth_date"} & changes.keys():
        await _no_duplicates(
            tx,
            caller=actor.caller,
            scope=scope,
            citizen_id=changes.get("citizen_id", member.citizen_id),
            full_name=changes.get("full_name", member.full_name),
            birth_date=changes.get("birth_date", member.birth_date),
            exclude=member.id,
            allow_same_name=allow_same_name,
        )
    before = await full_record(tx, member.id)
    if "external_ids" in changes:
        external_ids = changes.pop("external_ids")
        await _check_external_ids(tx, scope, external_ids, member.id)
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
