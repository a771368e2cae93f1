"""Compliance checks: the units of a subtree that break a rule of the organisation on a date, each with the rule,
the numbers and the threshold. Every threshold comes from configuration (`UnitRules`).

Membership on the date comes from the member periods: probationary and official members, exempt ones included,
counted in their home organisation only (a temporary transfer does not count in the host)."""

import functools
import hashlib
import uuid
from collections.abc import Collection
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

import orjson

from app.db.organizations import compliance as db
from app.db.scope import Scope
from app.db.sql import Querier
from app.domain.organizations import tree
from app.domain.organizations.rules import GRASSROOTS_KINDS, Kind
from app.domain.pagination import Paging
from app.domain.plans.status import add_months
from app.domain.positions.service import CELL_KINDS, has_cell_committee

CHUNK = 500
# Units whose membership the rules look at (a grassroots committee's members are those of its cells).
COUNTED_KINDS: frozenset[Kind] = GRASSROOTS_KINDS | CELL_KINDS


@dataclass(frozen=True)
class UnitRules:
    min_official_members: int = 3
    cell_committee_threshold: int = 9
    cell_committee_min_positions: int = 3
    cell_committee_max_members: int = 7
    cell_max_deputy_secretaries: int = 1
    cell_max_members: int = 30
    subordinate_cell_max_members: int = 30
    probation_months: int = 12
    recognition_working_days: int = 30
    holidays: frozenset[date] = frozenset()


def recognition_due(
    admitted: date, *, probation_months: int, working_days: int, holidays: Collection[date] = ()
) -> date:
    """The last day on which recognition as official may be decided: probation ends `probation_months` after the
    admission ceremony (the official date), and the cell then has `working_days` working days (Monday to Friday,
    configured holidays excluded), counted from the day after."""
    day = add_months(admitted, probation_months)
    counted = 0
    while counted < working_days:
        day += timedelta(days=1)
        if day.weekday() < 5 and day not in holidays:
            counted += 1
    return day


def latest_overdue_admission(as_of: date, rules: UnitRules) -> date:
    """The last admission date whose recognition window closed before `as_of` (the due date never decreases as
    the admission date grows, so every earlier admission is past its window too)."""

    def overdue(admitted: date) -> bool:
        return (
            recognition_due(
                admitted,
                probation_months=rules.probation_months,
                working_days=rules.recognition_working_days,
                holidays=rules.holidays,
            )
            < as_of
        )

    low = add_months(as_of, -rules.probation_months) - timedelta(days=rules.recognition_working_days * 3 + 60)
    high = as_of
    while not overdue(low):  # only with absurd holiday lists
        low -= timedelta(days=365)
    while (high - low).days > 1:  # overdue(low) and not overdue(high)
        middle = low + timedelta(days=(high - low).days // 2)
        if overdue(middle):
            low = middle
        else:
            high = middle
    return low


# A violation breaks a rule; an advice is a recommendation (a large subordinate cell is advised to split).
VIOLATION = "violation"
ADVICE = "advice"
# Units that need `min_official_members`: grassroots organisations (Charter art. 21) and subordinate cells (art. 24:
# "mỗi chi bộ ít nhất có 3 đảng viên chính thức").
MIN_OFFICIAL_KINDS: frozenset[Kind] = GRASSROOTS_KINDS | {Kind.subordinate_cell}


def violations(row: Any, rules: UnitRules) -> list[dict[str, Any]]:
    """The rules a unit breaks (severity `violation`) and the advice it is given (severity `advice`), given its
    numbers on the date."""
    kind = Kind(row["kind"])
    official, members = row["official"], row["members"]
    found: list[dict[str, Any]] = []
    if kind not in COUNTED_KINDS:
        return found
    if kind in MIN_OFFICIAL_KINDS and official < rules.min_official_members:
        what = "a subordinate cell (Charter art. 24)" if kind == Kind.subordinate_cell else "a grassroots organisation"
        found.append(
            {
                "rule": "too_few_official_members",
                "severity": VIOLATION,
                "value": official,
                "threshold": rules.min_official_members,
                "detail": f"{official} official members; {what} needs at least {rules.min_official_members}.",
            }
        )
    if (
        kind in CELL_KINDS
        and official >= rules.cell_committee_threshold
        and not has_cell_committee(
            seats=row["seats"], has_secretary=row["has_secretary"], min_positions=rules.cell_committee_min_positions
        )
    ):
        found.append(
            {
                "rule": "cell_without_committee",
                "severity": VIOLATION,
                "value": official,
                "threshold": rules.cell_committee_threshold,
                "committee_seats": row["seats"],
                "has_secretary": row["has_secretary"],
                "detail": f"{official} official members (a cell with {rules.cell_committee_threshold} or more "
                f"elects a cell committee) but {row['seats']} committee seats filled"
                f"{'' if row['has_secretary'] else ', no secretary'}; a cell committee needs "
                f"{rules.cell_committee_min_positions}, the secretary's included.",
            }
        )
    if kind in CELL_KINDS and row["seats"] > rules.cell_committee_max_members:
        found.append(
            {
                "rule": "cell_committee_too_large",
                "severity": VIOLATION,
                "value": row["seats"],
                "threshold": rules.cell_committee_max_members,
                "detail": f"{row['seats']} cell committee seats held; a cell elects at most "
                f"{rules.cell_committee_max_members} (QĐ 294-QĐ/TW).",
            }
        )
    if kind in CELL_KINDS and row["deputies"] > rules.cell_max_deputy_secretaries:
        found.append(
            {
                "rule": "too_many_deputy_secretaries",
                "severity": VIOLATION,
                "value": row["deputies"],
                "threshold": rules.cell_max_deputy_secretaries,
                "detail": f"{row['deputies']} deputy secretaries; a cell elects at most "
                f"{rules.cell_max_deputy_secretaries} (QĐ 294-QĐ/TW).",
            }
        )
    if kind == Kind.grassroots_cell and members >= rules.cell_max_members:
        found.append(
            {
                "rule": "grassroots_cell_too_large",
                "severity": VIOLATION,
                "value": members,
                "threshold": rules.cell_max_members,
                "detail": f"{members} members; a grassroots cell with {rules.cell_max_members} or more "
                "should become a grassroots committee.",
            }
        )
    if kind == Kind.subordinate_cell and members > rules.subordinate_cell_max_members and not row["party_groups"]:
        found.append(
            {
                "rule": "subordinate_cell_too_large",
                "severity": ADVICE,
                "value": members,
                "threshold": rules.subordinate_cell_max_members,
                "detail": f"{members} members; a subordinate cell of more than "
                f"{rules.subordinate_cell_max_members} is advised to split into cells or party groups (advice, "
                "not a breach).",
            }
        )
    return found


@functools.lru_cache(maxsize=4096)
def _due(admitted: date, rules: UnitRules) -> date:
    # Members admitted the same day share a due date: a unit's list is computed once per admission date.
    return recognition_due(
        admitted,
        probation_months=rules.probation_months,
        working_days=rules.recognition_working_days,
        holidays=rules.holidays,
    )


def _overdue_members(row: Any, as_of: date, rules: UnitRules) -> list[dict[str, Any]]:
    found = []
    for member in orjson.loads(row["overdue"]):
        # Probation is counted from the ceremony (Charter art. 5.1), from the decision when none is recorded.
        admitted = date.fromisoformat(member["admission_ceremony_date"] or member["admission_decision_date"])
        due = _due(admitted, rules)
        if due < as_of:
            found.append(
                {
                    **member,
                    "official_date": add_months(admitted, rules.probation_months),
                    "recognition_due": due,
                    "days_late": (as_of - due).days,
                }
            )
    return found


def _fingerprint(within: uuid.UUID, as_of: date) -> str:
    key = repr((within, as_of))
    return "compliance:" + hashlib.blake2s(key.encode(), digest_size=6).hexdigest()


async def check(
    conn: Querier, *, scope: Scope, within: uuid.UUID, as_of: date, rules: UnitRules, paging: Paging, scan_budget: int
) -> dict[str, Any]:
    """A page of the units of `within`'s subtree (as it stood on `as_of`) that break a rule, in tree order.

    One page examines at most `scan_budget` units: when it stops there, `next_cursor` continues the scan, so a
    page may hold fewer than `limit` items (even none) and still have a next one."""
    kind = _fingerprint(within, as_of)
    position = paging.after(kind)
    after = str(position["p"]) if position else None
    limit = paging.limit
    within_path = await tree.resolve_within(conn, within, scope=scope, as_of=as_of)
    cutoff = latest_overdue_admission(as_of, rules)
    items: list[dict[str, Any]] = []
    examined = 0
    more = True
    chunk = max(2 * limit, 20)  # most units break no rule: start small, then read more at a time
    while more and len(items) < limit and examined < scan_budget:
        chunk = min(chunk, CHUNK, scan_budget - examined)
        rows = await db.unit_numbers(
            conn,
            scope=scope,
            within_path=within_path,
            day=as_of,
            after_path=after,
            limit=chunk,
            counted_kinds=sorted(COUNTED_KINDS),
            overdue_admitted_by=cutoff,
        )
        more = len(rows) == chunk
        chunk *= 4
        for row in rows:
            examined += 1
            after = row["path"]
            broken = violations(row, rules)
            overdue = _overdue_members(row, as_of, rules)
            if overdue:
                broken.append(
                    {
                        "rule": "probationary_past_recognition_window",
                        "severity": VIOLATION,
                        "value": len(overdue),
                        "threshold": rules.recognition_working_days,
                        "detail": f"{len(overdue)} probationary members not recognised within "
                        f"{rules.recognition_working_days} working days after their "
                        f"{rules.probation_months} months of probation.",
                    }
                )
            if broken:
                items.append(_item(row, broken, overdue, rules))
                if len(items) == limit:
                    more = more or row is not rows[-1]
                    break
    return {
        "within": within,
        "as_of": as_of,
        "units_examined": examined,
        "items": items,
        "next_cursor": paging.cursors.encode(kind, {"p": after}) if more else None,
    }


def _item(row: Any, broken: list[dict[str, Any]], overdue: list[dict[str, Any]], rules: UnitRules) -> dict[str, Any]:
    is_cell = Kind(row["kind"]) in CELL_KINDS
    counted = Kind(row["kind"]) in COUNTED_KINDS
    return {
        "organization": {
            "id": row["id"],
            "code": row["code"],
            "name": row["name"],
            "kind": row["kind"],
            "parent_id": row["parent_id"],
        },
        "official_members": row["official"] if counted else None,
        "members": row["members"] if counted else None,
        "exempt_members": row["exempt"] if counted else None,
        "committee_seats": row["seats"],
        "has_cell_committee": has_cell_committee(
            seats=row["seats"], has_secretary=row["has_secretary"], min_positions=rules.cell_committee_min_positions
        )
        if is_cell
        else None,
        "violations": broken,
        "overdue_probationary": overdue,
    }
