"""How many seats of each kind a unit's leadership may hold at once, and who may hold one.

QĐ 294-QĐ/TW (26 May 2025, in force 1 July 2025; point 24 of QĐ 29-QĐ/TW 2016 before it): "Chi bộ có 9 đảng viên
chính thức trở lên bầu chi ủy; chi bộ đông đảng viên bầu không quá 7 chi ủy viên. Chi bộ trực tiếp bầu chi ủy trước,
sau đó bầu bí thư, bầu một phó bí thư trong số chi ủy viên." Charter art. 24.1: "tổ đảng bầu tổ trưởng, nếu cần thì
bầu tổ phó". The figures are configured (`SeatRules`); the compliance check reports existing seats that break them."""

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from enum import StrEnum
from typing import Any

from app.db.positions import queries as db
from app.db.sql import Querier
from app.domain.errors import Conflict, RuleViolation
from app.domain.organizations.rules import Kind


class Position(StrEnum):
    secretary = "secretary"
    deputy_secretary = "deputy_secretary"
    standing_committee_member = "standing_committee_member"
    committee_member = "committee_member"
    group_leader = "group_leader"
    group_deputy_leader = "group_deputy_leader"


POSITION_LABELS: dict[Position, str] = {
    Position.secretary: "Bí thư",
    Position.deputy_secretary: "Phó Bí thư",
    Position.standing_committee_member: "Ủy viên Ban Thường vụ",
    Position.committee_member: "Cấp ủy viên (chi ủy viên)",
    Position.group_leader: "Tổ trưởng tổ đảng",
    Position.group_deputy_leader: "Tổ phó tổ đảng",
}
# A party group elects a leader and, if needed, a deputy (Charter art. 24.1); no secretary, no committee.
GROUP_POSITIONS: frozenset[Position] = frozenset({Position.group_leader, Position.group_deputy_leader})
# The one head of a unit at a time: its secretary, or a party group's leader.
HEAD_POSITIONS: frozenset[Position] = frozenset({Position.secretary, Position.group_leader})


CELL_KINDS: frozenset[Kind] = frozenset({Kind.grassroots_cell, Kind.subordinate_cell})


@dataclass(frozen=True)
class SeatRules:
    cell_committee_max_members: int = 7
    cell_max_deputy_secretaries: int = 1
    group_max_deputy_leaders: int = 1


def most_at_once(rows: Sequence[Any], valid_from: date, valid_to: date | None) -> int:
    """The largest number of `rows` (valid_from, valid_to half-open) held on one day of [valid_from, valid_to)."""
    days = {valid_from} | {r["valid_from"] for r in rows if r["valid_from"] > valid_from}
    days = {d for d in days if valid_to is None or d < valid_to}
    return max(
        (sum(1 for r in rows if r["valid_from"] <= d and (r["valid_to"] is None or r["valid_to"] > d)) for d in days),
        default=0,
    )


def check_kind_of_seat(kind: Kind, position: Position, code: str) -> None:
    if kind == Kind.party_group and position not in GROUP_POSITIONS:
        raise RuleViolation(
            f"{code} is a party group: it elects a group leader and, if needed, a deputy (tổ trưởng, tổ phó; Charter "
            f"art. 24), not a {position.value}.",
            code="party_group_has_leader_not_secretary",
        )
    if kind != Kind.party_group and position in GROUP_POSITIONS:
        raise RuleViolation(
            f"{code} is a {kind.value}: {position.value} is a seat of a party group only.",
            code="group_seat_outside_party_group",
        )


async def check_composition(
    conn: Querier,
    *,
    kind: Kind,
    code: str,
    organization_id: uuid.UUID,
    position: Position,
    valid_from: date,
    valid_to: date | None,
    rules: SeatRules,
) -> None:
    """A cell committee of at most `cell_committee_max_members` seats with at most `cell_max_deputy_secretaries`
    deputies; a party group with at most `group_max_deputy_leaders` deputies; on every day of the new seat."""
    limits: list[tuple[frozenset[Position], int, str, str]] = []
    if kind in CELL_KINDS:
        limits.append(
            (frozenset(Position), rules.cell_committee_max_members, "cell_committee_too_large", "cell committee seats")
        )
        limits.append(
            (
                frozenset({Position.deputy_secretary}),
                rules.cell_max_deputy_secretaries,
                "too_many_deputy_secretaries",
                "deputy secretaries",
            )
        )
    if kind == Kind.party_group:
        limits.append(
            (
                frozenset({Position.group_deputy_leader}),
                rules.group_max_deputy_leaders,
                "too_many_group_deputy_leaders",
                "group deputy leaders",
            )
        )
    limits = [limit for limit in limits if position in limit[0]]
    if not limits:
        return
    held = await db.seats_overlapping(conn, organization_id, valid_from=valid_from, valid_to=valid_to)
    for positions, most, rule, what in limits:
        rows = [r for r in held if r["position"] in positions]
        already = most_at_once(rows, valid_from, valid_to)
        if already + 1 > most:
            raise Conflict(
                f"{code} would hold {already + 1} {what} at once from {valid_from}; at most {most} "
                "(QĐ 294-QĐ/TW: a cell elects at most 7 committee members and one deputy secretary; configured). "
                "End a seat first.",
                code=rule,
                value=already + 1,
                threshold=most,
            )
