"""What every reorganisation does to one unit: find it alive on the day, end its placement, place it anew."""

import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date

from app.db.members import transfers as members_db
from app.db.organizations import writes as db
from app.db.organizations.paths import child_path
from app.domain.errors import Conflict, NotFound, RuleViolation
from app.domain.organizations.changes import (
    check_kind_under,
    parent_placement_on,
)
from app.domain.organizations.rules import Kind
from app.domain.tx import Tx


@dataclass(frozen=True)
class NewUnit:
    code: str
    name: str
    kind: Kind | None = None
    category: str | None = None
    parent_id: uuid.UUID | None = None
    external_ids: Sequence[str] = ()
    children: Sequence[uuid.UUID] = field(default_factory=tuple)


async def living(tx: Tx, org_id: uuid.UUID, day: date, *, role: str) -> db.OrgRow:
    org = await db.get_org(tx.conn, org_id, for_update=True)
    if org is None:
        raise NotFound(f"No organisation with id {org_id} exists ({role}).", code="organization_not_found")
    if org.valid_to is not None:
        raise Conflict(
            f"Organisation {org.code} is already dissolved (from {org.valid_to}).", code="organization_dissolved"
        )
    if org.valid_from >= day:
        raise RuleViolation(
            f"Organisation {org.code} was founded on {org.valid_from}; a reorganisation of it must "
            "be dated after that.",
            code="before_founding",
        )
    return org


async def placement_on_day(tx: Tx, org: db.OrgRow, day: date) -> db.PlacementRow:
    placement = await db.placement_on(tx.conn, org.id, day)
    if placement is None:
        raise RuleViolation(f"Organisation {org.code} has no place in the tree on {day}.", code="not_placed")
    return placement


async def check_no_later_change(tx: Tx, org: db.OrgRow, placement: db.PlacementRow, day: date) -> None:
    for later in await db.subtree_placements(tx.conn, placement.path):
        if later.valid_from > day or (later.valid_to is not None and later.valid_to > day):
            raise Conflict(
                f"A change dated after {day} is already recorded in the subtree of {org.code}; record "
                "reorganisations in date order.",
                code="later_change_recorded",
            )


async def move_unit(tx: Tx, org: db.OrgRow, new_parent: db.OrgRow, day: date) -> int:
    check_kind_under(Kind(org.kind), new_parent)
    placement = await placement_on_day(tx, org, day)
    target = await parent_placement_on(tx, new_parent, day)
    if target.path.startswith(placement.path):
        raise RuleViolation(
            f"{org.code} cannot move under {new_parent.code}: {new_parent.code} is "
            f"{'the unit itself' if new_parent.id == org.id else 'inside its subtree'}, which "
            "would make a cycle.",
            code="cycle",
        )
    await check_no_later_change(tx, org, placement, day)
    return await db.reparent_subtree(
        tx.conn,
        old_path=placement.path,
        new_path=child_path(target.path, org.node),
        depth_shift=target.depth + 1 - placement.depth,
        root_id=org.id,
        new_parent_id=new_parent.id,
        day=day,
    )


async def end_unit(tx: Tx, org: db.OrgRow, day: date) -> None:
    if await members_db.count_members_in(tx.conn, [org.id]):
        raise Conflict(
            f"{org.code} still has members; transfer them first (a merge takes them along).", code="has_members"
        )
    placement = await placement_on_day(tx, org, day)
    await check_no_later_change(tx, org, placement, day)
    # A placement that starts on `day` (the unit was moved that day) ends empty, [day, day), and stays the unit's
    # latest: it ends where the move put it, as its lineage says (create, move, dissolve).
    await db.close_placements(tx.conn, [org.id], day)
    await db.update_org(tx.conn, org.id, {"valid_to": day})
