"""The rules of a member's registration as pure functions: the values and the facts looked up for them (where the
home cell stands, who already holds the citizen ID, the name and birth date, the external ids) → the rows to write,
or the first rule the values break. `records.create_member` looks the facts up for one record, the import's
set-based path (app/domain/imports/batch.py) for a batch of rows in a few queries: one source of the rules."""

import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any

import orjson

from app.db.members.writes import Home
from app.domain.errors import Conflict, NotFound, RuleViolation
from app.domain.members.lifecycle import MEMBERS, check_ceremony, probation_anchor
from app.domain.members.names import sort_key, valid_citizen_id
from app.domain.plans.status import add_months

# Where members are registered: cells (and the groups cells are split into).
MEMBER_HOMES = frozenset({"grassroots_cell", "subordinate_cell", "party_group"})
INVALID_CITIZEN_ID = "A citizen ID (CCCD) has 12 digits and starts with a province code 001–096."


def age_on(birth: date, day: date) -> int:
    return day.year - birth.year - ((day.month, day.day) < (birth.month, birth.day))


def check_home(organization_id: uuid.UUID, found: Home | None, *, in_scope: bool, on: date | None = None) -> str:
    """The path of a cell members can belong to (in scope, a cell, not dissolved, founded by `on` if given)."""
    if not in_scope:
        raise NotFound(f"No organisation with id {organization_id} exists.", code="organization_not_found")
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


# (id, full name, why: 'citizen_id' or 'name_and_birth_date'), as app.db.members.writes.find_duplicates finds them.
Duplicate = tuple[uuid.UUID, str, str]


def check_duplicates(found: Sequence[Duplicate], *, visible: set[uuid.UUID], pii: bool, allow_same_name: bool) -> None:
    """The same citizen ID among living records, or the same name and birth date, is refused. Who holds it is said
    only to a caller who may see that record (and, for a citizen ID, holds pii): to anyone else only that the value
    is taken."""
    for other_id, other_name, why in found:
        shown = other_id in visible
        if why == "citizen_id":
            if shown and pii:
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


def check_external_ids(external_ids: Sequence[str], taken: dict[str, uuid.UUID], *, visible: set[uuid.UUID]) -> None:
    """`taken`: those of the ids that belong to another member (id → owner)."""
    if len(set(external_ids)) != len(external_ids):
        raise RuleViolation("An external identifier is listed twice.", code="duplicate_external_id")
    if taken:
        listing = ", ".join(f"{e} (member {o})" if o in visible else e for e, o in sorted(taken.items()))
        raise Conflict(
            f"External identifiers already belong to other members: {listing}.", code="duplicate_external_id"
        )


def check_sponsors(
    sponsor_ids: Sequence[uuid.UUID] | None, member_id: uuid.UUID | None, *, visible: set[uuid.UUID]
) -> None:
    """Sponsors are members the caller can see, two different people, not the candidate."""
    if not sponsor_ids:
        return
    if len(set(sponsor_ids)) != len(sponsor_ids) or (member_id is not None and member_id in sponsor_ids):
        raise RuleViolation(
            "The sponsors are two different members, neither of them the candidate.", code="invalid_sponsors"
        )
    unknown = sorted(set(sponsor_ids) - visible, key=str)
    if unknown:
        raise RuleViolation(f"No member with id {unknown[0]} exists to sponsor this person.", code="sponsor_not_found")


def sponsor_since(values: dict[str, Any], sponsor_ids: Sequence[uuid.UUID]) -> None:
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


@dataclass(frozen=True)
class Facts:
    """What the rules of a registration need to know of the database, looked up beforehand."""

    home: Home | None  # the home cell (None: it does not exist)
    home_in_scope: bool
    duplicates: list[Duplicate] = field(default_factory=list)
    external_owners: dict[str, uuid.UUID] = field(default_factory=dict)  # of the ids given, those already taken
    visible: set[uuid.UUID] = field(default_factory=set)  # of the members above and the sponsors, those in scope


@dataclass(frozen=True)
class Registration:
    """The rows a registration writes: the record's columns, its periods (start, status; each ends where the next
    begins), its first event."""

    values: dict[str, Any]
    periods: list[tuple[date, str]]
    event_kind: str
    event_date: date
    since: str  # 'given' or 'defaulted' (the event's details)


def plan_registration(
    values: dict[str, Any],
    facts: Facts,
    *,
    pii: bool,
    external_ids: Sequence[str],
    allow_same_name: bool,
    since: date | None,
    today: date,
    min_age: int,
    probation_months: int,
) -> Registration:
    """A candidate (status candidate, in the cell proposing them, from `since` or today), or a member registered
    with their history (probationary or official, with the admission date), placed in their cell from `since`
    (default: the admission, or the cell's founding if later): probationary until the official date, official
    from then on. The rules in the order the API has always applied them (the first broken one is the answer)."""
    values = dict(values)
    status = values["status"]
    if values.get("citizen_id") and not valid_citizen_id(values["citizen_id"]):
        raise RuleViolation(INVALID_CITIZEN_ID, code="invalid_citizen_id")
    organization_id = values["organization_id"]
    path = check_home(organization_id, facts.home, in_scope=facts.home_in_scope)
    assert facts.home is not None
    check_sponsors(values.get("sponsor_ids"), None, visible=facts.visible)
    sponsor_since(values, values.get("sponsor_ids") or [])
    check_duplicates(facts.duplicates, visible=facts.visible, pii=pii, allow_same_name=allow_same_name)
    check_external_ids(external_ids, facts.external_owners, visible=facts.visible)
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
        start = since if since is not None else max(admitted, facts.home.valid_from)
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
    check_home(organization_id, facts.home, in_scope=True, on=start)
    return Registration(
        values={**values, "org_path": path, "sort_key": sort_key(values["full_name"])},
        periods=periods,
        event_kind="registered" if status in MEMBERS else "proposed",
        event_date=start,
        since="given" if since is not None else "defaulted",
    )
