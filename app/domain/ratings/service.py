"""Ratings (đánh giá, xếp loại) of members and organisations per year or quarter, and their summary with the quota
of excellent ratings per unit.

A score gives the band by configured thresholds; a subject that may not be rated gets a reason instead, and both
are checked against the data: a member exempt at the end of the period cannot get a score, nor can a member
claimed exempt who was not. The quota (excellent ≤ a share of good-or-better) is reported, never enforced."""

import uuid
from collections import Counter
from datetime import date, datetime, timedelta
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
from app.domain.ratings.bands import (
    BAND_LABELS,
    DECLARED_REASONS,
    DISCIPLINE_EVENTS,
    MEMBER_REASONS,
    ORGANIZATION_REASONS,
    Assessment,
    Band,
    NotRatedReason,
    RatingRules,
    band,
    check_band,
    period_bounds,
)
from app.domain.tx import Tx
from app.domain.versions import check_version

__all__ = ["BAND_LABELS", "Assessment", "Band", "NotRatedReason", "RatingRules", "band", "period_bounds"]


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
        doc["sick_leave_months"] = None
    doc["details_hidden"] = hidden
    return doc


def listed_rating(row: Any, *, pii: bool) -> dict[str, Any]:
    """A row of the unit's member ratings (its keyset columns aside) as the API shows it."""
    return rating_view({k: v for k, v in row.items() if k not in ("unit_path", "sort_key")}, pii=pii)


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
    chosen: Band | None,
    expected_version: int | None,
) -> dict[str, Any]:
    values |= {
        "score": assessment.score,
        "rating": chosen.value if chosen is not None else None,
        "not_rated_reason": assessment.not_rated_reason.value if assessment.not_rated_reason else None,
        "comment": assessment.comment,
        "rated_on": assessment.rated_on,
        "sick_leave_months": assessment.sick_leave_months,
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
    if existing is not None:
        await check_version(tx, "ratings", existing["id"], expected_version, f"The rating of {subject}")
    fields = db.ASSESSMENT
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
    expected_version: int | None = None,
) -> dict[str, Any]:
    """Record (or, with `replace`, replace) a member's rating for a period, in the organisation the member
    belonged to at its end."""
    conn = tx.conn
    if await member_reads.scoped_member(conn, member_id, scope=scope) is None:
        raise NotFound(f"No member with id {member_id} exists.", code="member_not_found")
    start, end = period_bounds(period, max_term_years=rules.max_term_years)
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
        if reason not in DECLARED_REASONS:
            _refuse_reason(reason, holds, subject, end)
        chosen = None
    else:
        _refuse_score(holds, subject, end)
        disciplined = await db.discipline_between(conn, member_id, start=start, end=end, kinds=list(DISCIPLINE_EVENTS))
        chosen = check_band(
            assessment,
            rules,
            subject=subject,
            discipline=[f"{r['kind']} on {r['event_date']}" for r in disciplined],
        )
    existing = await db.find_member_rating(conn, member_id, period)
    return await _save(
        tx,
        actor,
        existing=existing,
        replace=replace,
        subject=subject,
        assessment=assessment,
        chosen=chosen,
        values={"member_id": member_id, "organization_id": state.home_id, "period": period, "period_end": end},
        expected_version=expected_version,
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
    expected_version: int | None = None,
) -> dict[str, Any]:
    await guard(tx, scope, organization_id)
    conn = tx.conn
    _, end = period_bounds(period, max_term_years=rules.max_term_years)
    unit = await org_reads.unit_on(conn, organization_id, end)
    assert unit is not None
    if not unit.alive_on(end):
        raise tree.not_alive(unit, end, to=f", the end of {period}")
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
        chosen = None
    else:
        _refuse_score(holds, subject, end)
        chosen = check_band(assessment, rules, subject=subject)
    existing = await db.find_organization_rating(conn, organization_id, period)
    return await _save(
        tx,
        actor,
        existing=existing,
        replace=replace,
        subject=subject,
        assessment=assessment,
        chosen=chosen,
        values={"member_id": None, "organization_id": organization_id, "period": period, "period_end": end},
        expected_version=expected_version,
    )


async def check_member(conn: Querier, *, scope: Scope, member_id: uuid.UUID) -> None:
    """The member whose ratings are read lies in the scope (else: no such member)."""
    if await member_reads.scoped_member(conn, member_id, scope=scope) is None:
        raise NotFound(f"No member with id {member_id} exists.", code="member_not_found")


async def member_ratings(
    conn: Querier, *, scope: Scope, member_id: uuid.UUID, pii: bool, updated_since: datetime | None = None
) -> list[dict[str, Any]]:
    await check_member(conn, scope=scope, member_id=member_id)
    return [rating_view(r, pii=pii) for r in await db.ratings_of_member(conn, member_id, updated_since=updated_since)]


async def organization_ratings(
    conn: Querier, *, scope: Scope, organization_id: uuid.UUID, updated_since: datetime | None = None
) -> list[dict[str, Any]]:
    await tree.placed(conn, organization_id, scope=scope, as_of=None)
    rows = await db.ratings_of_organization(conn, organization_id, updated_since=updated_since)
    return [rating_view(r, pii=True) for r in rows]


async def period_unit(conn: Querier, *, scope: Scope, organization_id: uuid.UUID, period: str) -> tuple[str, date]:
    """The unit's path in the tree as it stood at the end of the period (in the scope, else not found), and that
    end: where the member ratings of the period are listed."""
    _, end = period_bounds(period)
    unit = await tree.placed(conn, organization_id, scope=scope, as_of=end)
    return unit.path, end


async def unit_member_ratings(
    conn: Querier,
    *,
    caller: Caller,
    scope: Scope,
    organization_id: uuid.UUID,
    period: str,
    paging: Paging,
    updated_since: datetime | None = None,
) -> Page[dict[str, Any]]:
    """Member ratings of a period in the unit's subtree (as it stood at the end of the period), unit by unit, by
    name within a unit (score and comment only with pii)."""
    unit, end = await period_unit(conn, scope=scope, organization_id=organization_id, period=period)
    kind = f"member_ratings:{organization_id}:{period}"
    position = paging.after(kind)
    after = (str(position["p"]), str(position["s"]), uuid.UUID(position["i"])) if position else None
    rows = await db.member_ratings_page(
        conn, path=unit, period=period, period_end=end, after=after, limit=paging.fetch, updated_since=updated_since
    )
    page = paging.page(
        rows, kind=kind, position=lambda r: {"p": r["unit_path"], "s": r["sort_key"], "i": str(r["member_id"])}
    )
    return Page(
        items=[listed_rating(r, pii=caller.pii) for r in page.items],
        next_cursor=page.next_cursor,
    )
