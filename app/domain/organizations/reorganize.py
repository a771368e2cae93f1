"""Reorganisations, as the 2025 mergers did them: move, merge, split, dissolve.

Each is one atomic operation from an effective date on, recorded as a lineage event (what became what, when, by
which decision). Placements before that date are kept, so `as_of` still answers with the old tree. Changes to a
subtree must be recorded in date order: one dated before a change already recorded there is refused."""

import uuid
from collections.abc import Sequence
from datetime import date

from app.db.members import transfers as members_db
from app.db.organizations import writes as db
from app.db.scope import Scope
from app.domain.access.callers import Actor, Forbidden
from app.domain.audit import service as audit
from app.domain.errors import Conflict, RuleViolation
from app.domain.members.registration import MEMBER_HOMES
from app.domain.organizations.changes import (
    create_unit,
    guard,
    load_parent,
    org_doc,
    served,
)
from app.domain.organizations.placing import NewUnit, end_unit, living, move_unit, placement_on_day
from app.domain.organizations.rules import Kind
from app.domain.results import Document
from app.domain.tx import Tx
from app.domain.versions import check_version


async def move_organization(
    tx: Tx,
    *,
    actor: Actor,
    scope: Scope,
    org_id: uuid.UUID,
    parent_id: uuid.UUID,
    day: date,
    decision_ref: str | None,
    note: str | None,
    expected_version: int | None = None,
) -> Document:
    """Move a unit, with its whole subtree, under a new parent from `day` on. Returns the unit as moved.
    The caller needs rights on both ends: the unit and its new parent."""
    await db.lock_structure(tx.conn, exclusive=True)
    await guard(tx, scope, org_id)
    await check_version(tx, "organizations", org_id, expected_version, "The organisation")
    await guard(
        tx,
        scope,
        parent_id,
        missing=RuleViolation(f"The parent organisation {parent_id} does not exist.", code="parent_not_found"),
    )
    before = await org_doc(tx, org_id)
    org = await living(tx, org_id, day, role="the unit to move")
    parent = await load_parent(tx, parent_id)
    current = await placement_on_day(tx, org, day)
    if current.parent_id == parent.id:
        raise RuleViolation(f"{org.code} already sits under {parent.code} on {day}.", code="already_there")
    moved = await move_unit(tx, org, parent, day)
    await db.update_org(tx.conn, org.id, {})
    await db.record_lineage(
        tx.conn,
        action="move",
        effective_date=day,
        decision_ref=decision_ref,
        note=note or f"moved under {parent.code}",
        sources=[org.id],
        targets=[org.id],
    )
    await audit.record(
        tx,
        actor,
        action="move",
        entity="organization",
        entity_id=org.id,
        organization_id=org.id,
        related_organization_id=current.parent_id,
        before=before,
        after={**await org_doc(tx, org.id), "effective_date": day, "units_moved": moved},
    )
    return await served(tx, org.id)


async def dissolve_organization(
    tx: Tx,
    *,
    actor: Actor,
    scope: Scope,
    org_id: uuid.UUID,
    day: date,
    decision_ref: str | None,
    note: str | None,
    expected_version: int | None = None,
) -> Document:
    await db.lock_structure(tx.conn, exclusive=True)
    await guard(tx, scope, org_id)
    await check_version(tx, "organizations", org_id, expected_version, "The organisation")
    before = await org_doc(tx, org_id)
    org = await living(tx, org_id, day, role="the unit to dissolve")
    children = await db.get_orgs(tx.conn, await db.children_on(tx.conn, org.id, day))
    if children:
        codes = ", ".join(sorted(c.code for c in children.values())[:10])
        raise Conflict(
            f"{org.code} still has {len(children)} unit(s) under it on {day} ({codes}); move or dissolve "
            "them first, or merge the unit into another.",
            code="has_children",
        )
    await end_unit(tx, org, day)
    await db.record_lineage(
        tx.conn,
        action="dissolve",
        effective_date=day,
        decision_ref=decision_ref,
        note=note,
        sources=[org.id],
        targets=[],
    )
    await audit.record(
        tx,
        actor,
        action="dissolve",
        entity="organization",
        entity_id=org.id,
        organization_id=org.id,
        before=before,
        after=await org_doc(tx, org.id),
    )
    return await served(tx, org.id)


async def merge_organizations(
    tx: Tx,
    *,
    actor: Actor,
    scope: Scope,
    source_ids: Sequence[uuid.UUID],
    into_id: uuid.UUID | None,
    into: NewUnit | None,
    day: date,
    decision_ref: str | None,
    note: str | None,
) -> Document:
    """Merge units into one (a new unit, or an existing one that absorbs them): their children move under it and
    the sources end on `day`. Returns the merged unit."""
    if (into_id is None) == (into is None):
        raise RuleViolation(
            "Give either `into_id` (an existing unit absorbs the others) or `into` (a new unit).", code="merge_target"
        )
    if len(set(source_ids)) != len(source_ids) or len(source_ids) < (2 if into else 1):
        raise RuleViolation(
            "A merge needs distinct sources: at least two into a new unit, one into an existing unit.",
            code="merge_sources",
        )
    await db.lock_structure(tx.conn, exclusive=True)
    await guard(tx, scope, *source_ids, into_id, into.parent_id if into else None)
    sources = [await living(tx, s, day, role="a merge source") for s in source_ids]
    placements = [await placement_on_day(tx, s, day) for s in sources]
    before = {"sources": [await org_doc(tx, s.id) for s in sources]}
    if into is not None:
        parents = {p.parent_id for p in placements}
        parent_id = into.parent_id or (parents.pop() if len(parents) == 1 else None)
        if parent_id is None and len(parents) != 1:
            raise RuleViolation(
                "The sources sit under different parents; say where the merged unit goes (`into.parent_id`).",
                code="merge_parent",
            )
        if parent_id is None and not scope.whole_tree:
            raise Forbidden("Only a caller covering the whole tree may create a root organisation.")
        # The merged unit lands there: rights on that end too.
        await guard(
            tx,
            scope,
            parent_id,
            missing=Forbidden(
                "The merged unit would sit under a unit outside your scope: give `into.parent_id` within it, or ask an "
                "administrator covering both."
            ),
        )
        kinds = {s.kind for s in sources}
        kind = into.kind or (Kind(kinds.pop()) if len(kinds) == 1 else None)
        if kind is None:
            raise RuleViolation("The sources are of different kinds; give `into.kind`.", code="merge_kind")
        target_id = await create_unit(
            tx,
            scope=scope,
            code=into.code,
            name=into.name,
            kind=kind,
            category=into.category or sources[0].category,
            parent_id=parent_id,
            valid_from=day,
            external_ids=into.external_ids,
            decision_ref=decision_ref,
            note=f"created by merging {', '.join(s.code for s in sources)}",
        )
        target = await db.get_org(tx.conn, target_id, for_update=True)
        assert target is not None
    else:
        assert into_id is not None
        if into_id in source_ids:
            raise RuleViolation("The unit that absorbs the others cannot also be a source.", code="merge_target")
        target = await living(tx, into_id, day, role="the merge target")
        target_placement = await placement_on_day(tx, target, day)
        inside = next(
            (s for s, p in zip(sources, placements, strict=True) if target_placement.path.startswith(p.path)), None
        )
        if inside is not None:
            raise RuleViolation(f"{target.code} lies inside {inside.code}, one of the sources.", code="cycle")
    if await members_db.count_members_in(tx.conn, source_ids):
        if Kind(target.kind).value not in MEMBER_HOMES:
            raise RuleViolation(
                f"The sources have members, and {target.code} is a {target.kind}: members belong to cells.",
                code="not_a_cell",
            )
        if await members_db.members_with_later_changes(tx.conn, source_ids, day):
            raise Conflict(
                f"Some members of the sources have changes dated after {day}; record reorganisations in date order.",
                code="later_change_recorded",
            )
        landing = await db.last_placement(tx.conn, target.id)
        assert landing is not None
        await members_db.transfer_all(
            tx.conn,
            from_ids=source_ids,
            to_id=target.id,
            to_path=landing.path,
            day=day,
            recorded_by=actor.caller.id,
            decision_ref=decision_ref,
            note=f"merged into {target.code}",
        )
    for source in sources:
        # A source under another source ends where it is, not under the target for no day: the tree the merge
        # leaves does not depend on the order the sources are given in.
        children = set(await db.children_on(tx.conn, source.id, day)) - set(source_ids)
        for child in (await db.get_orgs(tx.conn, children, for_update=True)).values():
            await move_unit(tx, child, target, day)
        await end_unit(tx, source, day)
    await db.record_lineage(
        tx.conn,
        action="merge",
        effective_date=day,
        decision_ref=decision_ref,
        note=note,
        sources=[s.id for s in sources],
        targets=[target.id],
    )
    await audit.record(
        tx,
        actor,
        action="merge",
        entity="organization",
        entity_id=target.id,
        organization_id=target.id,
        before=before,
        diff=False,
        after={
            "target": await org_doc(tx, target.id),
            "effective_date": day,
            "sources": [await org_doc(tx, s.id) for s in sources],
        },
    )
    return await served(tx, target.id)


async def split_organization(
    tx: Tx,
    *,
    actor: Actor,
    scope: Scope,
    org_id: uuid.UUID,
    parts: Sequence[NewUnit],
    day: date,
    decision_ref: str | None,
    note: str | None,
    expected_version: int | None = None,
) -> list[Document]:
    """Split a unit into new ones (under the same parent unless a part says otherwise); each of its children goes
    to the part that lists it, and the unit ends on `day`. Returns the parts."""
    if len(parts) < 2:
        raise RuleViolation("A split needs at least two parts.", code="split_parts")
    await db.lock_structure(tx.conn, exclusive=True)
    await guard(tx, scope, org_id)
    await check_version(tx, "organizations", org_id, expected_version, "The organisation")
    org = await living(tx, org_id, day, role="the unit to split")
    before = await org_doc(tx, org_id)
    placement = await placement_on_day(tx, org, day)
    landing = {p.parent_id or placement.parent_id for p in parts}
    if None in landing and not scope.whole_tree:
        raise Forbidden("Only a caller covering the whole tree may create a root organisation.")
    # The parts land there: rights on that end too.
    await guard(
        tx,
        scope,
        *landing,
        missing=Forbidden(
            "The parts would sit under a unit outside your scope: give each part a `parent_id` within it, or ask an "
            "administrator covering both."
        ),
    )
    children = set(await db.children_on(tx.conn, org.id, day))
    listed = [c for part in parts for c in part.children]
    twice = {c for c in listed if listed.count(c) > 1}
    unknown = set(listed) - children
    missing = children - set(listed)
    if twice or unknown or missing:
        problems = []
        if missing:
            problems.append(f"not assigned to any part: {', '.join(sorted(map(str, missing)))}")
        if unknown:
            problems.append(f"not children of {org.code} on {day}: {', '.join(sorted(map(str, unknown)))}")
        if twice:
            problems.append(f"assigned twice: {', '.join(sorted(map(str, twice)))}")
        raise RuleViolation(
            "Every child of the unit must go to exactly one part; " + "; ".join(problems) + ".", code="split_children"
        )
    part_ids = []
    for part in parts:
        part_id = await create_unit(
            tx,
            scope=scope,
            code=part.code,
            name=part.name,
            kind=part.kind or Kind(org.kind),
            category=part.category or org.category,
            parent_id=part.parent_id or placement.parent_id,
            valid_from=day,
            external_ids=part.external_ids,
            decision_ref=decision_ref,
            note=f"created by splitting {org.code}",
        )
        new_unit = await db.get_org(tx.conn, part_id, for_update=True)
        assert new_unit is not None
        for child in (await db.get_orgs(tx.conn, part.children, for_update=True)).values():
            await move_unit(tx, child, new_unit, day)
        part_ids.append(part_id)
    await end_unit(tx, org, day)
    await db.record_lineage(
        tx.conn,
        action="split",
        effective_date=day,
        decision_ref=decision_ref,
        note=note,
        sources=[org.id],
        targets=part_ids,
    )
    await audit.record(
        tx,
        actor,
        action="split",
        entity="organization",
        entity_id=org.id,
        organization_id=org.id,
        before=before,
        diff=False,
        after={
            "source": await org_doc(tx, org.id),
            "effective_date": day,
            "parts": [await org_doc(tx, p) for p in part_ids],
        },
    )
    return [await served(tx, p) for p in part_ids]
