"""Ratings (đánh giá, xếp loại) of members and organisations per year or quarter, and their summary with the quota
of excellent ratings per unit.

A score gives the band by configured thresholds; a subject that may not be rated gets a reason instead, and both
are checked against the data: a member exempt at the end of the period cannot get a score, nor can a member
claimed exempt who was not. The quota (excellent ≤ a share of good-or-better) is reported, never enforced."""

import re
import uuid
from collections import Counter
from dataclasses import dataclass
from datetime import date, timedelta
from enum import StrEnum
from typing import Any

from app.db.members import reads as member_reads
from app.db.organizations import reads as org_reads
from app.db.ratings import queries as db
from app.db.scope import Scope
from app.db.sql import Querier
from app.domain.access.callers import Actor, Caller, Forbidden
from app.domain.audit import service as audit
from app.domain.errors import Conflict, NotFound, RuleViolation
from app.domain.organizations import tree
from app.domain.organizations.changes import guard
from app.domain.pagination import Page, Paging
from app.domain.plans.status import add_months
from app.domain.tx import Tx


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


MEMBER_REASONS = frozenset(
    {NotRatedReason.exempt, NotRatedReason.suspended, NotRatedReason.admitted_less_than_6_months}
)
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
    return {
        "excellent": excellent,
        "good_or_better": good_or_better,
        "percent": percent,
        "max_excellent": int(good_or_better * percent // 100),
        "excellent_share_percent": round(100 * excellent / good_or_better, 1) if good_or_better else None,
        "exceeded": excellent * 100 > percent * good_or_better,
    }


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
        raise RuleViolation(
            f"{subject} cannot be left unrated as {reason.value}: the records do not show that "
            f"at the end of the period ({end}).",
            code="not_rated_reason_not_supported",
        )


def _refuse_score(holds: set[NotRatedReason], subject: str, end: date) -> None:
    if holds:
        reasons = ", ".join(sorted(r.value for r in holds))
        raise RuleViolation(
            f"{subject} is not rated for a period ending {end} ({reasons}); record "
            f"`not_rated_reason` instead of a score.",
            code="not_ratable",
            reasons=sorted(r.value for r in holds),
        )


async def _save(
    tx: Tx,
    actor: Actor,
    *,
    existing: Any,
    replace: bool,
    subject: str,
    values: dict[str, Any],
    assessment: Assessment,
    rules: RatingRules,
) -> dict[str, Any]:
    score = assessment.score
    values |= {
        "score": score,
        "rating": band(score, rules).value if score is not None else None,
        "not_rated_reason": assessment.not_rated_reason.value if assessment.not_rated_reason else None,
        "comment": assessment.comment,
        "rated_on": assessment.rated_on,
    }
    if existing is not None and not replace:
        raise Conflict(
            f"{subject} already has a rating for {values['period']} ({existing['id']}); one rating per "
            "period: PUT replaces it.",
            code="duplicate_rating",
            existing_id=str(existing["id"]),
        )
    if existing is None and replace:
        raise NotFound(
            f"{subject} has no rating for {values['period']} to replace; POST creates it.", code="rating_not_found"
        )
    fields = ("organization_id", "score", "rating", "not_rated_reason", "comment", "rated_on")
    if existing is None:
        rating_id = await db.insert_rating(
            tx.conn,
            member_id=values["member_id"],
            period=values["period"],
            period_end=values["period_end"],
            values=values,
        )
        before = None
    else:
        rating_id = existing["id"]
        await db.replace_rating(tx.conn, rating_id, {k: values[k] for k in fields})
        before = {"id": rating_id, **{k: existing[k] for k in fields}}
    await audit.record(
        tx,
        actor,
        action="replace" if existing is not None else "create",
        entity="rating",
        entity_id=rating_id,
        organization_id=values["organization_id"],
        before=before,
        after={"id": rating_id, **values},
    )
    row = await db.get_rating(tx.conn, rating_id)
    return rating_view(row, pii=actor.caller.pii)


async def rate_member(
    tx: Tx,
    *,
    actor: Actor,
    scope: Scope,
    member_id: uuid.UUID,
    period: str,
    assessment: Assessment,
    rules: RatingRules,
    replace: bool = False,
) -> dict[str, Any]:
    """Record (or, with `replace`, replace) a member's rating for a period, in the organisation the member
    belonged to at its end."""
    conn = tx.conn
    if await member_reads.scoped_member(conn, member_id, scope=scope) is None:
        raise NotFound(f"No member with id {member_id} exists.", code="member_not_found")
    _, end = period_bounds(period)
    state = await member_reads.member_on(conn, member_id, end)
    assert state is not None
    if state.status not in member_reads.IN_MEMBERSHIP or state.home_id is None:
        raise RuleViolation(
            f"{state.full_name} was not a probationary or official member at the end of {period} "
            f"({end}); only members are rated.",
            code="not_a_member_on_date",
        )
    await guard(
        tx,
        scope,
        state.home_id,
        missing=Forbidden(
            f"At the end of {period} the member belonged to a unit outside your scope; the rating is recorded there, "
            "by someone covering it."
        ),
    )
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
            raise RuleViolation(
                f"{reason.value} is a reason for organisations, not members.", code="not_rated_reason_not_supported"
            )
        _refuse_reason(reason, holds, subject, end)
    else:
        _refuse_score(holds, subject, end)
    existing = await db.find_member_rating(conn, member_id, period)
    return await _save(
        tx,
        actor,
        existing=existing,
        replace=replace,
        subject=subject,
        assessment=assessment,
        rules=rules,
        values={"member_id": member_id, "organization_id": state.home_id, "period": period, "period_end": end},
    )


async def rate_organization(
    tx: Tx,
    *,
    actor: Actor,
    scope: Scope,
    organization_id: uuid.UUID,
    period: str,
    assessment: Assessment,
    rules: RatingRules,
    replace: bool = False,
) -> dict[str, Any]:
    await guard(tx, scope, organization_id)
    conn = tx.conn
    _, end = period_bounds(period)
    unit = await org_reads.unit_on(conn, organization_id, end)
    assert unit is not None
    if not unit.alive_on(end):
        raise RuleViolation(
            f"Organisation {unit.code} did not exist at the end of {period} ({end}).", code="organization_not_active"
        )
    holds = set()
    if add_months(unit.valid_from, rules.min_months) > end + timedelta(days=1):
        holds.add(NotRatedReason.organization_less_than_6_months_old)
    subject = f"Organisation {unit.code}"
    reason = assessment.not_rated_reason
    if reason is not None:
        if reason not in ORGANIZATION_REASONS:
            raise RuleViolation(
                f"{reason.value} is a reason for members, not organisations.", code="not_rated_reason_not_supported"
            )
        _refuse_reason(reason, holds, subject, end)
    else:
        _refuse_score(holds, subject, end)
    existing = await db.find_organization_rating(conn, organization_id, period)
    return await _save(
        tx,
        actor,
        existing=existing,
        replace=replace,
        subject=subject,
        assessment=assessment,
        rules=rules,
        values={"member_id": None, "organization_id": organization_id, "period": period, "period_end": end},
    )


async def member_ratings(conn: Querier, *, scope: Scope, member_id: uuid.UUID, pii: bool) -> list[dict[str, Any]]:
    if await member_reads.scoped_member(conn, member_id, scope=scope) is None:
        raise NotFound(f"No member with id {member_id} exists.", code="member_not_found")
    return [rating_view(r, pii=pii) for r in await db.ratings_of_member(conn, member_id)]


async def organization_ratings(conn: Querier, *, scope: Scope, organization_id: uuid.UUID) -> list[dict[str, Any]]:
    await tree.placed(conn, organization_id, scope=scope, as_of=None)
    return [rating_view(r, pii=True) for r in await db.ratings_of_organization(conn, organization_id)]


async def unit_member_ratings(
    conn: Querier, *, caller: Caller, scope: Scope, organization_id: uuid.UUID, period: str, paging: Paging
) -> Page[dict[str, Any]]:
    """Member ratings of a period in the unit's subtree (as it stood at the end of the period), unit by unit, by
    name within a unit (score and comment only with pii)."""
    _, end = period_bounds(period)
    unit = await tree.placed(conn, organization_id, scope=scope, as_of=end)
    kind = f"member_ratings:{organization_id}:{period}"
    position = paging.after(kind)
    after = (str(position["p"]), str(position["s"]), uuid.UUID(position["i"])) if position else None
    rows = await db.member_ratings_page(
        conn, path=unit.path, period=period, period_end=end, after=after, limit=paging.fetch
    )
    page = paging.page(
        rows, kind=kind, position=lambda r: {"p": r["unit_path"], "s": r["sort_key"], "i": str(r["member_id"])}
    )
    return Page(
        items=[
            rating_view({k: v for k, v in r.items() if k not in ("unit_path", "sort_key")}, pii=caller.pii)
            for r in page.items
        ],
        next_cursor=page.next_cursor,
    )
