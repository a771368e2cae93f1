"""Party positions and concurrent public posts, and what follows from them on any date: who leads a unit, whether a
cell has a cell committee, whether its secretary is also the village head.

The lists below are data (served by GET /api/v1/reference/positions); a change of regulation is a change here."""

import uuid
from datetime import date
from enum import StrEnum
from typing import Any

from app.db.members import reads as member_reads
from app.db.organizations import reads as org_reads
from app.db.positions import queries as db
from app.db.scope import Scope
from app.db.sql import Querier
from app.domain.access.callers import Actor
from app.domain.audit import service as audit
from app.domain.errors import Conflict, NotFound, RuleViolation
from app.domain.organizations import tree
from app.domain.organizations.changes import guard
from app.domain.organizations.rules import Kind
from app.domain.positions.composition import (
    CELL_KINDS,
    GROUP_POSITIONS,
    HEAD_POSITIONS,
    POSITION_LABELS,
    Position,
    SeatRules,
    check_composition,
    check_kind_of_seat,
)

__all__ = ["CELL_KINDS", "GROUP_POSITIONS", "HEAD_POSITIONS", "POSITION_LABELS", "Position", "SeatRules"]
from app.domain.tx import Tx
from app.domain.versions import check_version


class Post(StrEnum):
    village_head = "village_head"
    residential_group_head = "residential_group_head"
    front_committee_head = "front_committee_head"
    commune_party_secretary_and_chair = "commune_party_secretary_and_chair"
    commune_chair = "commune_chair"
    commune_vice_chair = "commune_vice_chair"
    commune_council_chair = "commune_council_chair"
    front_chair = "front_chair"
    farmers_association_head = "farmers_association_head"
    womens_union_head = "womens_union_head"
    veterans_association_head = "veterans_association_head"
    youth_union_secretary = "youth_union_secretary"
    trade_union_chair = "trade_union_chair"
    agency_head = "agency_head"
    enterprise_head = "enterprise_head"
    school_principal = "school_principal"
    other = "other"


POST_LABELS: dict[Post, str] = {
    Post.village_head: "Trưởng thôn (bản, ấp, buôn, làng)",
    Post.residential_group_head: "Tổ trưởng tổ dân phố",
    Post.front_committee_head: "Trưởng ban công tác Mặt trận thôn, tổ dân phố",
    Post.commune_party_secretary_and_chair: "Bí thư đồng thời là Chủ tịch UBND xã, phường",
    Post.commune_chair: "Chủ tịch UBND xã, phường",
    Post.commune_vice_chair: "Phó Chủ tịch UBND xã, phường",
    Post.commune_council_chair: "Chủ tịch HĐND xã, phường",
    Post.front_chair: "Chủ tịch Ủy ban MTTQ Việt Nam xã, phường",
    Post.farmers_association_head: "Chủ tịch, chi hội trưởng Hội Nông dân",
    Post.womens_union_head: "Chủ tịch, chi hội trưởng Hội Liên hiệp Phụ nữ",
    Post.veterans_association_head: "Chủ tịch, chi hội trưởng Hội Cựu chiến binh",
    Post.youth_union_secretary: "Bí thư Đoàn TNCS Hồ Chí Minh",
    Post.trade_union_chair: "Chủ tịch Công đoàn cơ sở",
    Post.agency_head: "Thủ trưởng cơ quan, đơn vị",
    Post.enterprise_head: "Giám đốc, người đứng đầu doanh nghiệp",
    Post.school_principal: "Hiệu trưởng",
    Post.other: "Khác",
}

# The head of the community a cell stands for (seed 004, 2.1.3: "bí thư chi bộ đồng thời là trưởng thôn").
COMMUNITY_HEAD_POSTS: frozenset[Post] = frozenset({Post.village_head, Post.residential_group_head})
# A standing committee is elected by committees only, never by a cell or a party group.
STANDING_COMMITTEE_KINDS: frozenset[Kind] = frozenset(
    {Kind.provincial_committee, Kind.upper_level_committee, Kind.grassroots_committee, Kind.partial_committee}
)


def has_cell_committee(*, seats: int, has_secretary: bool, min_positions: int) -> bool:
    """A cell has a cell committee when `min_positions` committee seats are filled, the secretary's among them."""
    return has_secretary and seats >= min_positions


def span(valid_from: date, valid_to: date | None) -> str:
    return f"from {valid_from}" + (f" until {valid_to}" if valid_to else "")


async def visible_member(conn: Querier, scope: Scope, member_id: uuid.UUID) -> Any:
    found = await member_reads.scoped_member(conn, member_id, scope=scope)
    if found is None:
        raise NotFound(f"No member with id {member_id} exists.", code="member_not_found")
    return found


async def member_in_membership(conn: Querier, member_id: uuid.UUID, day: date) -> member_reads.MemberOnDate:
    state = await member_reads.member_on(conn, member_id, day)
    assert state is not None
    if state.status not in member_reads.IN_MEMBERSHIP:
        raise RuleViolation(
            f"{state.full_name} was not a probationary or official member on {day} "
            f"({state.status or 'no record'} then).",
            code="not_a_member_on_date",
        )
    return state


# --- positions -----------------------------------------------------------------------------------------------------


async def add_position(
    tx: Tx,
    *,
    actor: Actor,
    scope: Scope,
    organization_id: uuid.UUID,
    member_id: uuid.UUID,
    position: Position,
    valid_from: date,
    valid_to: date | None,
    decision_ref: str | None,
    rules: SeatRules,
) -> dict[str, Any]:
    """Seat a member in an organisation's leadership. The member must belong to the organisation (or to a unit
    under it) on `valid_from` and be an official member (a probationary member cannot be elected, Charter art. 5);
    one secretary (or group leader) at a time; one seat per member and organisation at a time; a cell committee
    within its configured size and number of deputies; a party group has a leader and a deputy, no secretary."""
    await guard(tx, scope, organization_id)
    conn = tx.conn
    await visible_member(conn, scope, member_id)
    if valid_to is not None and valid_to <= valid_from:
        raise RuleViolation(f"A seat must end after it starts ({valid_from} → {valid_to}).", code="invalid_period")
    unit = await org_reads.unit_on(conn, organization_id, valid_from)
    assert unit is not None
    if not unit.alive_on(valid_from) or unit.path is None:
        raise tree.not_alive(unit, valid_from)
    if position == Position.standing_committee_member and Kind(unit.kind) not in STANDING_COMMITTEE_KINDS:
        raise RuleViolation(
            f"A {unit.kind} elects no standing committee; seat the member as committee_member.",
            code="no_standing_committee",
        )
    check_kind_of_seat(Kind(unit.kind), position, unit.code)
    state = await member_in_membership(conn, member_id, valid_from)
    if state.home_path is None or not state.home_path.startswith(unit.path):
        raise RuleViolation(
            f"{state.full_name} did not belong to {unit.code} (or a unit under it) on {valid_from}; "
            "only its own members can hold a seat in its leadership.",
            code="not_a_member_of_organization",
        )
    if state.status != "official":
        raise Conflict(
            f"{state.full_name} was a probationary member on {valid_from}: a probationary member cannot stand for "
            "election or hold a seat (Charter art. 5) until recognised as official.",
            code="probationary_member_cannot_hold_seat",
        )
    await check_composition(
        conn,
        kind=Kind(unit.kind),
        code=unit.code,
        organization_id=organization_id,
        position=position,
        valid_from=valid_from,
        valid_to=valid_to,
        rules=rules,
    )
    for clash in await db.clashing_positions(
        conn,
        organization_id=organization_id,
        member_id=member_id,
        position=position.value,
        valid_from=valid_from,
        valid_to=valid_to,
    ):
        if clash["member_id"] == member_id:
            raise Conflict(
                f"{clash['full_name']} already holds a seat in {unit.code} ({clash['position']}, "
                f"{span(clash['valid_from'], clash['valid_to'])}); end it first.",
                code="one_seat_per_member",
                existing_id=str(clash["id"]),
            )
        raise Conflict(
            f"{unit.code} has a {clash['position'].replace('_', ' ')} then ({clash['full_name']}, "
            f"{span(clash['valid_from'], clash['valid_to'])}): one secretary (or group leader) at a time. End that "
            "position first.",
            code="one_secretary_at_a_time",
            existing_id=str(clash["id"]),
        )
    values: dict[str, Any] = {
        "member_id": member_id,
        "organization_id": organization_id,
        "position": position.value,
        "valid_from": valid_from,
        "valid_to": valid_to,
        "decision_ref": decision_ref,
    }
    position_id = await db.insert_position(
        tx.conn,
        member_id=member_id,
        organization_id=organization_id,
        position=position.value,
        valid_from=valid_from,
        valid_to=valid_to,
        decision_ref=decision_ref,
    )
    await audit.record(
        tx,
        actor,
        action="create",
        entity="party_position",
        entity_id=position_id,
        organization_id=organization_id,
        before=None,
        after={"id": position_id, **values},
    )
    return await _position(tx.conn, position_id)


async def _position(conn: Querier, position_id: uuid.UUID) -> dict[str, Any]:
    row = await db.get_position(conn, position_id)
    assert row is not None
    return dict(row)


async def end_position(
    tx: Tx,
    *,
    actor: Actor,
    scope: Scope,
    organization_id: uuid.UUID,
    position_id: uuid.UUID,
    valid_to: date,
    end_decision_ref: str | None,
    expected_version: int | None = None,
) -> dict[str, Any]:
    """End a seat: from `valid_to` on, the member no longer holds it."""
    await guard(tx, scope, organization_id)
    conn = tx.conn
    row = await db.get_position(conn, position_id)
    if row is None or row["organization_id"] != organization_id:
        raise NotFound(f"Organisation {organization_id} has no position {position_id}.", code="position_not_found")
    await check_version(tx, "party_positions", position_id, expected_version, "The position")
    row = await db.get_position(conn, position_id)  # as locked: a concurrent end has committed or waits
    assert row is not None
    if row["valid_to"] is not None:
        raise Conflict(f"This position already ended on {row['valid_to']}.", code="position_already_ended")
    if valid_to <= row["valid_from"]:
        raise RuleViolation(
            f"The position started on {row['valid_from']}; it can only end after that.", code="invalid_period"
        )
    await db.end_position(tx.conn, position_id, valid_to=valid_to, end_decision_ref=end_decision_ref)
    await audit.record(
        tx,
        actor,
        action="end",
        entity="party_position",
        entity_id=position_id,
        organization_id=organization_id,
        before={"id": position_id, "valid_to": None},
        after={"id": position_id, "valid_to": valid_to, "end_decision_ref": end_decision_ref},
    )
    return await _position(tx.conn, position_id)


async def organization_positions(
    conn: Querier, *, scope: Scope, organization_id: uuid.UUID, on: date
) -> list[dict[str, Any]]:
    await tree.placed(conn, organization_id, scope=scope, as_of=on)
    return [dict(r) for r in await db.positions_of_organization(conn, organization_id, on=on)]


async def member_positions(conn: Querier, *, scope: Scope, member_id: uuid.UUID) -> dict[str, Any]:
    """Every seat and public post the member held or holds, oldest first."""
    member = await visible_member(conn, scope, member_id)
    return {
        "member_id": member_id,
        "full_name": member["full_name"],
        "positions": [dict(r) for r in await db.positions_of_member(conn, member_id)],
        "posts": [dict(r) for r in await db.posts_of_member(conn, member_id)],
    }


# --- public posts --------------------------------------------------------------------------------------------------


# --- leadership ----------------------------------------------------------------------------------------------------


def _holder(row: Any) -> dict[str, Any]:
    return {
        "position_id": row["id"],
        "member_id": row["member_id"],
        "full_name": row["full_name"],
        "position": row["position"],
        "valid_from": row["valid_from"],
        "valid_to": row["valid_to"],
    }


async def leadership(
    conn: Querier, *, scope: Scope, organization_id: uuid.UUID, on: date, cell_committee_min_positions: int
) -> dict[str, Any]:
    """Who leads the unit on the day; for a cell, whether it has a cell committee and whether its secretary is
    also the head of the village (or residential group) the cell stands for (a post linked to the cell)."""
    unit = await tree.placed(conn, organization_id, scope=scope, as_of=on)
    seats = await db.positions_of_organization(conn, organization_id, on=on)
    secretary = next((s for s in seats if s["position"] == Position.secretary), None)
    is_cell = Kind(unit.kind) in CELL_KINDS
    secretary_posts: list[dict[str, Any]] = []
    if secretary is not None:
        secretary_posts = [dict(p) for p in await db.posts_held(conn, [secretary["member_id"]], on=on)]
    heads_here = [
        p for p in secretary_posts if p["post"] in COMMUNITY_HEAD_POSTS and p["organization_id"] == organization_id
    ]
    return {
        "organization_id": organization_id,
        "kind": unit.kind,
        "as_of": on,
        "secretary": _holder(secretary) if secretary else None,
        "deputies": [_holder(s) for s in seats if s["position"] == Position.deputy_secretary],
        "committee": [_holder(s) for s in seats],
        "committee_seats": len(seats),
        "is_cell": is_cell,
        "cell_committee_min_positions": cell_committee_min_positions,
        "has_cell_committee": has_cell_committee(
            seats=len(seats), has_secretary=secretary is not None, min_positions=cell_committee_min_positions
        )
        if is_cell
        else None,
        "secretary_is_village_head": bool(heads_here) if secretary is not None else None,
        "secretary_posts": secretary_posts,
    }
