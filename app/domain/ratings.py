"""Ratings (đánh giá, xếp loại) of members and organisations per year or quarter, their summary with the quota of
excellent ratings per unit, and the records organisations keep: working regulations, inspections, committee terms.

A score gives the band by configured thresholds; a subject that may not be rated gets a reason instead, and both
are checked against the data: a member exempt at the end of the period cannot get a score, nor can a member
claimed exempt who was not. The quota (excellent ≤ a share of good-or-better) is reported, never enforced."""

import re
import uuid
from collections import Counter, defaultdict
from dataclasses import dataclass
from datetime import date, timedelta
from enum import StrEnum
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from app.db import positions as members_db
from app.db import ratings as db
from app.db.organization_writes import driver_connection
from app.db.scope import Scope
from app.db.sql import Querier
from app.domain import audit
from app.domain.access import Actor, Forbidden
from app.domain.errors import Conflict, NotFound, RuleViolation
from app.domain.organizations import tree
from app.domain.organizations.changes import guard
from app.domain.plans.status import add_months


class Band(StrEnum):
    excellent = "excellent"
    good = "good"
    fulfilled = "fulfilled"
    not_fulfilled = "not_fulfilled"


BAND_LABELS: dict[Band, str] = {
    Band.excellent: "Hoàn thành xuất sắc nhiệm vụ",
    Band.good: "Hoàn thành tốt nhiệm vụ",
    Band.fulfilled: "Hoàn thành nhiệm vụ",
    Band.not_fulfilled: "Không hoàn thành nhiệm vụ",
}


class NotRatedReason(StrEnum):
    exempt = "exempt"
    suspended = "suspended"
    admitted_less_than_6_months = "admitted_less_than_6_months"
    organization_less_than_6_months_old = "organization_less_than_6_months_old"


MEMBER_REASONS = frozenset({NotRatedReason.exempt, NotRatedReason.suspended,
                            NotRatedReason.admitted_less_than_6_months})
ORGANIZATION_REASONS = frozenset({NotRatedReason.organization_less_than_6_months_old})

PERIOD = re.compile(r"^(\d{4})(?:-Q([1-4]))?$")


@dataclass(frozen=True)
class RatingRules:
    excellent_min: int = 90
    good_min: int = 70
    fulfilled_min: int = 50
    excellent_quota_percent: float = 20.0
    min_months: int = 6


@dataclass(frozen=True)
class Assessment:
    """What is being recorded: a score, or the reason for not rating; and the rest of the record."""

    score: int | None
    not_rated_reason: NotRatedReason | None
    comment: str | None
    rated_on: date | None


def period_bounds(period: str) -> tuple[date, date]:
    """First and last day of "2024" or "2024-Q2"."""
    match = PERIOD.match(period)
    if match is None:
        raise RuleViolation(f"A period is a year (2024) or a quarter (2024-Q2), not {period!r}.", code="bad_period")
    year = int(match[1])
    if match[2] is None:
        return date(year, 1, 1), date(year, 12, 31)
    start = date(year, 3 * int(match[2]) - 2, 1)
    return start, add_months(start, 3) - timedelta(days=1)


def band(score: int, rules: RatingRules) -> Band:
    if score >= rules.excellent_min:
        return Band.excellent
    if score >= rules.good_min:
        return Band.good
    if score >= rules.fulfilled_min:
        return Band.fulfilled
    return Band.not_fulfilled


def quota(counts: Counter[str], percent: float) -> dict[str, Any]:
    """Excellent ratings may be at most `percent` % of the good-or-better ones (reported, not enforced)."""
    excellent = counts[Band.excellent]
    good_or_better = excellent + counts[Band.good]
    return {"excellent": excellent, "good_or_better": good_or_better, "percent": percent,
            "max_excellent": int(good_or_better * percent // 100),
            "excellent_share_percent": round(100 * excellent / good_or_better, 1) if good_or_better else None,
            "exceeded": excellent * 100 > percent * good_or_better}


def rating_view(row: Any, *, pii: bool) -> dict[str, Any]:
    """A rating as the API shows it. A member's score and comment are personal: only for callers with `pii`."""
    doc = dict(row)
    hidden = doc["member_id"] is not None and not pii
    if hidden:
        doc["score"] = None
        doc["comment"] = None
    doc["details_hidden"] = hidden
    return doc


def _refuse_reason(reason: NotRatedReason, holds: set[NotRatedReason], subject: str, end: date) -> None:
    if reason not in holds:
        raise RuleViolation(f"{subject} cannot be left unrated as {reason.value}: the records do not show that "
                            f"at the end of the period ({end}).", code="not_rated_reason_not_supported")


def _refuse_score(holds: set[NotRatedReason], subject: str, end: date) -> None:
    if holds:
        reasons = ", ".join(sorted(r.value for r in holds))
        raise RuleViolation(f"{subject} is not rated for a period ending {end} ({reasons}); record "
                            f"`not_rated_reason` instead of a score.", code="not_ratable",
                            reasons=sorted(r.value for r in holds))


async def _save(session: AsyncSession, actor: Actor, *, existing: Any, replace: bool, subject: str,
                values: dict[str, Any], assessment: Assessment, rules: RatingRules) -> uuid.UUID:
    score = assessment.score
    values |= {"score": score, "rating": band(score, rules).value if score is not None else None,
               "not_rated_reason": assessment.not_rated_reason.value if assessment.not_rated_reason else None,
               "comment": assessment.comment, "rated_on": assessment.rated_on}
    if existing is not None and not replace:
        raise Conflict(f"{subject} already has a rating for {values['period']} ({existing['id']}); one rating per "
                       "period: PUT replaces it.", code="duplicate_rating", existing_id=str(existing["id"]))
    if existing is None and replace:
        raise NotFound(f"{subject} has no rating for {values['period']} to replace; POST creates it.",
                       code="rating_not_found")
    fields = ("organization_id", "score", "rating", "not_rated_reason", "comment", "rated_on")
    if existing is None:
        rating_id = await db.insert_rating(session, **values)
        before = None
    else:
        rating_id = existing["id"]
        await db.replace_rating(session, rating_id, {k: values[k] for k in fields})
        before = {"id": rating_id, **{k: existing[k] for k in fields}}
    await audit.record(session, actor, action="replace" if existing is not None else "create", entity="rating",
                       entity_id=rating_id, organization_id=values["organization_id"], before=before,
                       after={"id": rating_id, **values})
    return rating_id


async def rate_member(session: AsyncSession, *, actor: Actor, scope: Scope, member_id: uuid.UUID, period: str,
                      assessment: Assessment, rules: RatingRules, replace: bool = False) -> uuid.UUID:
    """Record (or, with `replace`, replace) a member's rating for a period, in the organisation the member
    belonged to at its end."""
    conn = await driver_connection(session)
    if await members_db.scoped_member(conn, member_id, scope=scope) is None:
        raise NotFound(f"No member with id {member_id} exists.", code="member_not_found")
    _, end = period_bounds(period)
    state = await members_db.member_on(conn, member_id, end)
    assert state is not None
    if state.status not in members_db.IN_MEMBERSHIP or state.home_id is None:
        raise RuleViolation(f"{state.full_name} was not a probationary or official member at the end of {period} "
                            f"({end}); only members are rated.", code="not_a_member_on_date")
    await guard(session, scope, state.home_id, missing=Forbidden(
        f"At the end of {period} the member belonged to a unit outside your scope; the rating is recorded there, "
        "by someone covering it."))
    holds = set()
    if state.exempt:
        holds.add(NotRatedReason.exempt)
    if state.suspended:
        holds.add(NotRatedReason.suspended)
    admitted = state.admission_decision_date
    if admitted is not None and add_months(admitted, rules.min_months) > end + timedelta(days=1):
        holds.add(NotRatedReason.admitted_less_than_6_months)
    subject = f"Member {state.full_name}"
    reason = assessment.not_rated_reason
    if reason is not None:
        if reason not in MEMBER_REASONS:
            raise RuleViolation(f"{reason.value} is a reason for organisations, not members.",
                                code="not_rated_reason_not_supported")
        _refuse_reason(reason, holds, subject, end)
    else:
        _refuse_score(holds, subject, end)
    existing = await db.find_member_rating(conn, member_id, period)
    return await _save(session, actor, existing=existing, replace=replace, subject=subject, assessment=assessment,
                       rules=rules, values={"member_id": member_id, "organization_id": state.home_id,
                                            "period": period, "period_end": end})


async def rate_organization(session: AsyncSession, *, actor: Actor, scope: Scope, organization_id: uuid.UUID,
                            period: str, assessment: Assessment, rules: RatingRules,
                            replace: bool = False) -> uuid.UUID:
    await guard(session, scope, organization_id)
    conn = await driver_connection(session)
    _, end = period_bounds(period)
    unit = await members_db.unit_on(conn, organization_id, end)
    assert unit is not None
    if not unit.alive_on(end):
        raise RuleViolation(f"Organisation {unit.code} did not exist at the end of {period} ({end}).",
                            code="organization_not_active")
    holds = set()
    if add_months(unit.valid_from, rules.min_months) > end + timedelta(days=1):
        holds.add(NotRatedReason.organization_less_than_6_months_old)
    subject = f"Organisation {unit.code}"
    reason = assessment.not_rated_reason
    if reason is not None:
        if reason not in ORGANIZATION_REASONS:
            raise RuleViolation(f"{reason.value} is a reason for members, not organisations.",
                                code="not_rated_reason_not_supported")
        _refuse_reason(reason, holds, subject, end)
    else:
        _refuse_score(holds, subject, end)
    existing = await db.find_organization_rating(conn, organization_id, period)
    return await _save(session, actor, existing=existing, replace=replace, subject=subject, assessment=assessment,
                       rules=rules, values={"member_id": None, "organization_id": organization_id, "period": period,
                                            "period_end": end})


async def member_ratings(conn: Querier, *, scope: Scope, member_id: uuid.UUID, pii: bool) -> list[dict[str, Any]]:
    if await members_db.scoped_member(conn, member_id, scope=scope) is None:
        raise NotFound(f"No member with id {member_id} exists.", code="member_not_found")
    return [rating_view(r, pii=pii) for r in await db.ratings_of_member(conn, member_id)]


async def organization_ratings(conn: Querier, *, scope: Scope, organization_id: uuid.UUID) -> list[dict[str, Any]]:
    await tree.placed(conn, organization_id, scope=scope, as_of=None)
    return [rating_view(r, pii=True) for r in await db.ratings_of_organization(conn, organization_id)]


async def unit_member_ratings(conn: Querier, *, scope: Scope, organization_id: uuid.UUID, period: str,
                              after: tuple[str, str, uuid.UUID] | None, limit: int) -> list[Any]:
    """Member ratings of a period in the unit's subtree (as it stood at the end of the period), unit by unit, by
    name within a unit."""
    _, end = period_bounds(period)
    unit = await tree.placed(conn, organization_id, scope=scope, as_of=end)
    return await db.member_ratings_page(conn, path=unit.path, period=period, period_end=end, after=after, limit=limit)


UNITS_LISTED = 100


async def summary(conn: Querier, *, scope: Scope, organization_id: uuid.UUID, period: str,
                  rules: RatingRules) -> dict[str, Any]:
    """Counts by band and reason for the members and the organisations under the unit (the tree as it stood at
    the end of the period), the excellent quota of each, and the units whose own members exceed it."""
    _, end = period_bounds(period)
    unit = await tree.placed(conn, organization_id, scope=scope, as_of=end)
    rows = await db.rating_counts(conn, path=unit.path, period=period, period_end=end)
    members: Counter[str] = Counter()
    organizations: Counter[str] = Counter()
    per_unit: dict[uuid.UUID, Counter[str]] = defaultdict(Counter)
    names: dict[uuid.UUID, Any] = {}
    for row in rows:
        key = row["rating"] or f"not_rated:{row['not_rated_reason']}"
        if row["of_member"]:
            members[key] += row["n"]
            per_unit[row["organization_id"]][key] += row["n"]
            names[row["organization_id"]] = row
        elif row["organization_id"] != organization_id:
            organizations[key] += row["n"]
    membership = await db.membership_without_rating(conn, path=unit.path, period=period, period_end=end)
    over = []
    for org_id, counts in per_unit.items():
        checked = quota(counts, rules.excellent_quota_percent)
        if checked["exceeded"]:
            row = names[org_id]
            over.append({"organization_id": org_id, "code": row["code"], "name": row["name"], "path": row["path"],
                         **checked})
    over.sort(key=lambda u: u.pop("path"))
    return {
        "organization_id": organization_id, "period": period, "period_end": end,
        "members": {**_counts(members), "in_membership": membership["members"],
                    "without_rating": membership["unrecorded"],
                    "quota": quota(members, rules.excellent_quota_percent)},
        "organizations": {**_counts(organizations), "quota": quota(organizations, rules.excellent_quota_percent)},
        "units_over_quota": over[:UNITS_LISTED],
        "units_over_quota_count": len(over),
    }


def _counts(counts: Counter[str]) -> dict[str, Any]:
    by_band = {b.value: counts[b.value] for b in Band}
    not_rated = {r.value: counts[f"not_rated:{r.value}"] for r in NotRatedReason}
    return {"rated": sum(by_band.values()), "by_rating": by_band, "not_rated": not_rated}


# --- organisation records ------------------------------------------------------------------------------------------

async def add_regulation(session: AsyncSession, *, actor: Actor, scope: Scope, organization_id: uuid.UUID,
                         issued_on: date, reference: str, title: str | None) -> dict[str, Any]:
    await guard(session, scope, organization_id)
    conn = await driver_connection(session)
    await _alive(conn, organization_id, issued_on, "issue regulations")
    values = {"organization_id": organization_id, "issued_on": issued_on, "reference": reference, "title": title}
    record_id = await db.insert_regulation(session, **values)
    await audit.record(session, actor, action="create", entity="working_regulation", entity_id=record_id,
                       organization_id=organization_id, before=None, after={"id": record_id, **values})
    return dict((await db.regulations(conn, organization_id, record_id=record_id))[0])


async def add_inspection(session: AsyncSession, *, actor: Actor, scope: Scope, organization_id: uuid.UUID,
                         inspecting_body: str, year: int, inspected_on: date | None, conclusion: str | None,
                         reference: str | None) -> dict[str, Any]:
    await guard(session, scope, organization_id)
    if inspected_on is not None and inspected_on.year != year:
        raise RuleViolation(f"The inspection is for {year} but dated {inspected_on}.", code="inspection_year")
    conn = await driver_connection(session)
    values = {"organization_id": organization_id, "inspecting_body": inspecting_body, "year": year,
              "inspected_on": inspected_on, "conclusion": conclusion, "reference": reference}
    record_id = await db.insert_inspection(session, **values)
    await audit.record(session, actor, action="create", entity="inspection", entity_id=record_id,
                       organization_id=organization_id, before=None, after={"id": record_id, **values})
    return dict((await db.inspections(conn, organization_id, record_id=record_id))[0])


async def add_term(session: AsyncSession, *, actor: Actor, scope: Scope, organization_id: uuid.UUID, label: str,
                   starts_on: date, ends_on: date | None) -> dict[str, Any]:
    await guard(session, scope, organization_id)
    first, last = (int(y) for y in label.split("-"))
    if last <= first or starts_on.year != first:
        raise RuleViolation(f"A term {label!r} runs from {first} to a later year and starts in {first} (not "
                            f"{starts_on}).", code="term_label")
    if ends_on is not None and ends_on <= starts_on:
        raise RuleViolation(f"A term must end after it starts ({starts_on} → {ends_on}).", code="invalid_period")
    conn = await driver_connection(session)
    await _alive(conn, organization_id, starts_on, "start a committee term")
    for clash in await db.clashing_terms(conn, organization_id, label=label, starts_on=starts_on, ends_on=ends_on):
        code = "duplicate_term" if clash["label"] == label else "term_overlaps"
        raise Conflict(f"The organisation already has the term {clash['label']} ({clash['starts_on']} → "
                       f"{clash['ends_on'] or 'open'}); terms do not overlap.", code=code,
                       existing_id=str(clash["id"]))
    values = {"organization_id": organization_id, "label": label, "starts_on": starts_on, "ends_on": ends_on}
    record_id = await db.insert_term(session, **values)
    await audit.record(session, actor, action="create", entity="committee_term", entity_id=record_id,
                       organization_id=organization_id, before=None, after={"id": record_id, **values})
    return dict((await db.terms(conn, organization_id, record_id=record_id))[0])


async def _alive(conn: Querier, organization_id: uuid.UUID, day: date, what: str) -> None:
    unit = await members_db.unit_on(conn, organization_id, day)
    assert unit is not None
    if not unit.alive_on(day):
        raise RuleViolation(f"Organisation {unit.code} did not exist on {day} to {what}.",
                            code="organization_not_active")


async def organization_records(conn: Querier, *, scope: Scope, organization_id: uuid.UUID,
                               kind: str) -> list[dict[str, Any]]:
    """An organisation's working regulations, inspections or committee terms (a handful each), oldest first."""
    await tree.placed(conn, organization_id, scope=scope, as_of=None)
    read = {"regulations": db.regulations, "inspections": db.inspections, "terms": db.terms}[kind]
    return [dict(r) for r in await read(conn, organization_id)]
