"""Creating and editing organisations: every rule is checked before anything is written."""

import uuid
from collections.abc import Sequence
from datetime import date
from typing import Any

import orjson

from app.db.organizations import reads as reads
from app.db.organizations import writes as db
from app.db.scope import WHOLE_TREE, Scope, outside_scope
from app.domain.access.callers import Actor, Forbidden
from app.domain.audit import service as audit
from app.domain.errors import Conflict, DomainError, NotFound, RuleViolation, stale_version
from app.domain.organizations.rules import Kind, describe_allowed_parents, kind_may_sit_under
from app.domain.results import Document, document
from app.domain.tx import Tx


async def _visible(tx: Tx, scope: Scope, org_ids: Sequence[uuid.UUID]) -> set[uuid.UUID]:
    return set(org_ids) - await outside_scope(tx.conn, scope, org_ids)


async def check_code_free(tx: Tx, scope: Scope, code: str, *, for_id: uuid.UUID | None = None) -> None:
    """Codes are unique across the tree. Which unit holds one is said only to a caller who may see that unit."""
    owner = await db.find_by_code(tx.conn, code)
    if owner is None or owner.id == for_id:
        return
    if owner.id in await _visible(tx, scope, [owner.id]):
        raise Conflict(
            f"The code {code!r} is already used by organisation {owner.id} ({owner.name}); codes are "
            "unique, also among dissolved units.",
            code="duplicate_code",
            existing_id=str(owner.id),
        )
    raise Conflict(
        f"The code {code!r} is already taken; codes are unique across the whole tree, also among dissolved units.",
        code="duplicate_code",
    )


async def check_external_ids_free(
    tx: Tx, scope: Scope, external_ids: Sequence[str], *, for_id: uuid.UUID | None = None
) -> None:
    if len(set(external_ids)) != len(external_ids):
        raise RuleViolation("An external identifier is listed twice.", code="duplicate_external_id")
    taken = {e: o for e, o in (await db.external_id_owners(tx.conn, external_ids)).items() if o != for_id}
    if taken:
        visible = await _visible(tx, scope, list(taken.values()))
        listing = ", ".join(f"{e} (organisation {o})" if o in visible else e for e, o in sorted(taken.items()))
        raise Conflict(
            f"External identifiers already belong to other organisations: {listing}.", code="duplicate_external_id"
        )


def check_kind_under(kind: Kind, parent: db.OrgRow | None) -> None:
    parent_kind = Kind(parent.kind) if parent else None
    if not kind_may_sit_under(kind, parent_kind):
        where = f"under {parent.code} ({parent.kind})" if parent else "at the root of the tree"
        raise RuleViolation(
            f"A {kind.value} cannot sit {where}: it may sit {describe_allowed_parents(kind)}.",
            code="parent_kind_not_allowed",
        )


async def parent_placement_on(tx: Tx, parent: db.OrgRow, day: date) -> db.PlacementRow:
    """The parent's placement from `day` on, checking that it is alive then and not re-placed later."""
    if parent.valid_to is not None:
        raise Conflict(
            f"Organisation {parent.code} is dissolved (from {parent.valid_to}); nothing can be placed "
            "under a dissolved unit.",
            code="parent_dissolved",
        )
    if parent.valid_from > day:
        raise RuleViolation(
            f"Organisation {parent.code} was only founded on {parent.valid_from}; nothing can sit under it on {day}.",
            code="parent_not_yet_founded",
        )
    latest = await db.last_placement(tx.conn, parent.id)
    assert latest is not None, "every organisation has a placement"
    if latest.valid_from > day:
        raise Conflict(
            f"Organisation {parent.code} was re-placed on {latest.valid_from}, after {day}; record "
            "changes in date order (use a date on or after that one).",
            code="later_change_recorded",
        )
    return latest


async def load_parent(tx: Tx, parent_id: uuid.UUID) -> db.OrgRow:
    parent = await db.get_org(tx.conn, parent_id, for_update=True)
    if parent is None:
        raise RuleViolation(f"The parent organisation {parent_id} does not exist.", code="parent_not_found")
    return parent


async def served(tx: Tx, org_id: uuid.UUID) -> Document:
    """The unit as written, read inside the transaction (the pool cannot see it before commit)."""
    row = await reads.get_organization(tx.conn, scope=WHOLE_TREE, as_of=None, org_id=org_id)
    assert row is not None
    return document(org_id, row)


async def org_doc(tx: Tx, org_id: uuid.UUID) -> dict[str, Any]:
    """The unit as the API shows it, inside the transaction (for the audit log's before and after)."""
    row = await reads.get_organization(tx.conn, scope=WHOLE_TREE, as_of=None, org_id=org_id)
    assert row is not None
    doc: dict[str, Any] = orjson.loads(row["doc"])
    return doc


async def guard(tx: Tx, scope: Scope, *org_ids: uuid.UUID | None, missing: DomainError | None = None) -> None:
    """Writes touch only units that exist inside the caller's scope; outside is the same as missing. `missing` is
    the error to raise when the units were reached through another object (a member, a plan, a post): that
    object is then what is missing, so that the answer names nothing the caller did not send."""
    given = [o for o in org_ids if o]
    outside = await outside_scope(tx.conn, scope, given)
    if outside:
        first = next(o for o in given if o in outside)  # in the order the caller gave them
        raise missing or NotFound(f"No organisation with id {first} exists.", code="organization_not_found")


async def create_organization(
    tx: Tx,
    *,
    actor: Actor,
    scope: Scope,
    code: str,
    name: str,
    kind: Kind,
    category: str | None,
    parent_id: uuid.UUID | None,
    valid_from: date,
    external_ids: Sequence[str],
    decision_ref: str | None,
    note: str | None,
) -> Document:
    if parent_id is None and not scope.whole_tree:
        raise Forbidden("Only a caller covering the whole tree may create a root organisation.")
    if parent_id is not None and await outside_scope(tx.conn, scope, [parent_id]):
        raise RuleViolation(f"The parent organisation {parent_id} does not exist.", code="parent_not_found")
    org_id = await create_unit(
        tx,
        scope=scope,
        code=code,
        name=name,
        kind=kind,
        category=category,
        parent_id=parent_id,
        valid_from=valid_from,
        external_ids=external_ids,
        decision_ref=decision_ref,
        note=note,
    )
    await audit.record(
        tx,
        actor,
        action="create",
        entity="organization",
        entity_id=org_id,
        organization_id=org_id,
        before=None,
        after=await org_doc(tx, org_id),
    )
    return await served(tx, org_id)


async def create_unit(
    tx: Tx,
    *,
    scope: Scope,
    code: str,
    name: str,
    kind: Kind,
    category: str | None,
    parent_id: uuid.UUID | None,
    valid_from: date,
    external_ids: Sequence[str],
    decision_ref: str | None,
    note: str | None,
) -> uuid.UUID:
    """Create a unit (rules checked, lineage recorded); the caller has checked scope and writes the audit row."""
    await db.lock_structure(tx.conn, exclusive=False)
    parent = await load_parent(tx, parent_id) if parent_id is not None else None
    check_kind_under(kind, parent)
    parent_placement = await parent_placement_on(tx, parent, valid_from) if parent else None
    await check_code_free(tx, scope, code)
    await check_external_ids_free(tx, scope, external_ids)
    org_id, node = await db.insert_org(
        tx.conn, code=code, name=name, kind=kind.value, category=category, valid_from=valid_from
    )
    await db.insert_placement(tx.conn, org_id=org_id, node=node, parent=parent_placement, valid_from=valid_from)
    await db.set_external_ids(tx.conn, org_id, external_ids)
    await db.record_lineage(
        tx.conn,
        action="create",
        effective_date=valid_from,
        decision_ref=decision_ref,
        note=note,
        sources=[],
        targets=[org_id],
    )
    return org_id


async def update_organization(
    tx: Tx, *, actor: Actor, scope: Scope, org_id: uuid.UUID, changes: dict[str, Any], expected_version: int | None
) -> Document:
    """Correct a unit's attributes (code, name, kind, category, external_ids). Where it sits changes only by
    a reorganisation (move, merge, split, dissolve), which keeps the history."""
    await guard(tx, scope, org_id)
    org = await db.get_org(tx.conn, org_id, for_update=True)
    if org is None:
        raise NotFound(f"No organisation with id {org_id} exists.", code="organization_not_found")
    if expected_version is not None and expected_version != org.version:
        raise stale_version(f"Organisation {org.code}", org.version, expected_version)
    if "code" in changes and changes["code"] != org.code:
        await check_code_free(tx, scope, changes["code"], for_id=org.id)
    if "kind" in changes and changes["kind"] != org.kind:
        await _check_kind_change(tx, org, Kind(changes["kind"]))
    before = await org_doc(tx, org.id)
    if "external_ids" in changes:
        external_ids = changes.pop("external_ids")
        await check_external_ids_free(tx, scope, external_ids, for_id=org.id)
        await db.set_external_ids(tx.conn, org.id, external_ids)
    values = {k: (v.value if isinstance(v, Kind) else v) for k, v in changes.items()}
    await db.update_org(tx.conn, org.id, values)
    await audit.record(
        tx,
        actor,
        action="update",
        entity="organization",
        entity_id=org.id,
        organization_id=org.id,
        before=before,
        after=await org_doc(tx, org.id),
    )
    return await served(tx, org.id)


async def _check_kind_change(tx: Tx, org: db.OrgRow, kind: Kind) -> None:
    placement = await db.last_placement(tx.conn, org.id)
    assert placement is not None
    parent = await db.get_org(tx.conn, placement.parent_id) if placement.parent_id else None
    check_kind_under(kind, parent)
    children = await db.get_orgs(tx.conn, await db.open_children(tx.conn, org.id))
    for child in children.values():
        if not kind_may_sit_under(Kind(child.kind), kind):
            raise RuleViolation(
                f"{org.code} cannot become a {kind.value}: its child {child.code} is a {child.kind}, "
                f"which may sit {describe_allowed_parents(Kind(child.kind))}.",
                code="parent_kind_not_allowed",
            )
