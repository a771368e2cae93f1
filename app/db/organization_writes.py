"""Writes to the organisation tree, inside the request's transaction (SQLAlchemy Core on the session).

Structural changes serialise on one advisory lock: creations share it, reorganisations take it alone, so a move
never races a creation under the subtree it rewrites."""

import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

import asyncpg
from sqlalchemy import delete, func, insert, select, text, update
from sqlalchemy.ext.asyncio import AsyncSession

from app.db.paths import child_path, subtree_bounds
from app.db.tables import (
    LineageEvent,
    LineageLink,
    Organization,
    OrganizationExternalId,
    OrganizationPlacement,
)

STRUCTURE_LOCK = 0x636F736F  # "coso"

ORG = Organization.__table__  # type: ignore[attr-defined]
PLACEMENT = OrganizationPlacement.__table__  # type: ignore[attr-defined]
EXTERNAL_ID = OrganizationExternalId.__table__  # type: ignore[attr-defined]
EVENT = LineageEvent.__table__  # type: ignore[attr-defined]
LINK = LineageLink.__table__  # type: ignore[attr-defined]


async def driver_connection(session: AsyncSession) -> asyncpg.Connection:
    """The asyncpg connection under the session: reads that must see this transaction's own writes use it."""
    conn = await session.connection()
    raw = await conn.get_raw_connection()
    return raw.driver_connection


async def lock_structure(session: AsyncSession, *, exclusive: bool) -> None:
    fn = "pg_advisory_xact_lock" if exclusive else "pg_advisory_xact_lock_shared"
    await session.execute(text(f"SELECT {fn}(:key)"), {"key": STRUCTURE_LOCK})


@dataclass(frozen=True)
class OrgRow:
    id: uuid.UUID
    node: int
    code: str
    name: str
    kind: str
    category: str | None
    valid_from: date
    valid_to: date | None
    version: int


@dataclass(frozen=True)
class PlacementRow:
    organization_id: uuid.UUID
    valid_from: date
    valid_to: date | None
    parent_id: uuid.UUID | None
    path: str
    depth: int
    latest: bool = True


_ORG_COLUMNS = (ORG.c.id, ORG.c.node, ORG.c.code, ORG.c.name, ORG.c.kind, ORG.c.category, ORG.c.valid_from,
                ORG.c.valid_to, ORG.c.version)


async def get_org(session: AsyncSession, org_id: uuid.UUID, *, for_update: bool = False) -> OrgRow | None:
    stmt = select(*_ORG_COLUMNS).where(ORG.c.id == org_id)
    if for_update:
        stmt = stmt.with_for_update()
    row = (await session.execute(stmt)).first()
    return OrgRow(**row._mapping) if row is not None else None


async def get_orgs(session: AsyncSession, org_ids: Iterable[uuid.UUID], *, for_update: bool = False
                   ) -> dict[uuid.UUID, OrgRow]:
    stmt = select(*_ORG_COLUMNS).where(ORG.c.id.in_(list(org_ids))).order_by(ORG.c.id)
    if for_update:
        stmt = stmt.with_for_update()
    return {r.id: OrgRow(**r._mapping) for r in (await session.execute(stmt))}


async def find_by_code(session: AsyncSession, code: str) -> OrgRow | None:
    row = (await session.execute(select(*_ORG_COLUMNS).where(ORG.c.code == code))).first()
    return OrgRow(**row._mapping) if row is not None else None


async def external_id_owners(session: AsyncSession, external_ids: Sequence[str]) -> dict[str, uuid.UUID]:
    if not external_ids:
        return {}
    rows = await session.execute(select(EXTERNAL_ID.c.external_id, EXTERNAL_ID.c.organization_id)
                                 .where(EXTERNAL_ID.c.external_id.in_(list(external_ids))))
    return {r.external_id: r.organization_id for r in rows}


async def placement_on(session: AsyncSession, org_id: uuid.UUID, day: date) -> PlacementRow | None:
    stmt = select(PLACEMENT).where(
        PLACEMENT.c.organization_id == org_id, PLACEMENT.c.valid_from <= day,
        (PLACEMENT.c.valid_to.is_(None)) | (PLACEMENT.c.valid_to > day))
    row = (await session.execute(stmt)).first()
    return PlacementRow(**row._mapping) if row is not None else None


async def last_placement(session: AsyncSession, org_id: uuid.UUID) -> PlacementRow | None:
    stmt = (select(PLACEMENT).where(PLACEMENT.c.organization_id == org_id)
            .order_by(PLACEMENT.c.valid_from.desc()).limit(1))
    row = (await session.execute(stmt)).first()
    return PlacementRow(**row._mapping) if row is not None else None


async def insert_org(session: AsyncSession, *, code: str, name: str, kind: str, category: str | None,
                     valid_from: date) -> tuple[uuid.UUID, int]:
    row = (await session.execute(
        insert(ORG).values(code=code, name=name, kind=kind, category=category, valid_from=valid_from)
        .returning(ORG.c.id, ORG.c.node))).one()
    return row.id, row.node


async def insert_placement(session: AsyncSession, *, org_id: uuid.UUID, node: int, parent: PlacementRow | None,
                           valid_from: date, valid_to: date | None = None) -> None:
    path = child_path(parent.path if parent else None, node)
    await session.execute(insert(PLACEMENT).values(
        organization_id=org_id, valid_from=valid_from, valid_to=valid_to,
        parent_id=parent.organization_id if parent else None, path=path,
        depth=parent.depth + 1 if parent else 0))


async def set_external_ids(session: AsyncSession, org_id: uuid.UUID, external_ids: Sequence[str]) -> None:
    await session.execute(delete(EXTERNAL_ID).where(EXTERNAL_ID.c.organization_id == org_id))
    if external_ids:
        await session.execute(insert(EXTERNAL_ID), [
            {"external_id": e, "organization_id": org_id} for e in external_ids])


async def update_org(session: AsyncSession, org_id: uuid.UUID, values: dict[str, Any]) -> None:
    await session.execute(update(ORG).where(ORG.c.id == org_id).values(
        **values, version=ORG.c.version + 1, updated_at=func.now()))


async def record_lineage(session: AsyncSession, *, action: str, effective_date: date, decision_ref: str | None,
                         note: str | None, sources: Sequence[uuid.UUID], targets: Sequence[uuid.UUID]) -> uuid.UUID:
    event_id: uuid.UUID = (await session.execute(insert(EVENT).values(
        action=action, effective_date=effective_date, decision_ref=decision_ref, note=note)
        .returning(EVENT.c.id))).scalar_one()
    links = [{"event_id": event_id, "organization_id": o, "role": "source"} for o in dict.fromkeys(sources)]
    links += [{"event_id": event_id, "organization_id": o, "role": "target"} for o in dict.fromkeys(targets)]
    if links:
        await session.execute(insert(LINK), links)
    return event_id


async def subtree_placements(session: AsyncSession, path: str) -> list[PlacementRow]:
    """Every placement, of any date, whose path lies in the subtree rooted at `path` (root included)."""
    low, high = subtree_bounds(path)
    rows = await session.execute(select(PLACEMENT).where(PLACEMENT.c.path >= low, PLACEMENT.c.path < high))
    return [PlacementRow(**r._mapping) for r in rows]


async def reparent_subtree(session: AsyncSession, *, old_path: str, new_path: str, depth_shift: int,
                           root_id: uuid.UUID, new_parent_id: uuid.UUID | None, day: date) -> int:
    """Re-place a whole subtree from `day` on: open placements starting before `day` are closed and continued
    under the new path; ones starting on `day` are rewritten in place. Returns the number of units moved.
    The caller has checked that no placement of the subtree starts after `day` or ends at all."""
    params = {"old": old_path, "high": subtree_bounds(old_path)[1], "new": new_path, "shift": depth_shift,
              "day": day, "root": root_id, "parent": new_parent_id}
    in_subtree = "path >= :old AND path < :high AND valid_to IS NULL"
    new_values = """:new || substr(path, length(:old) + 1), depth + :shift,
                    CASE WHEN organization_id = :root THEN CAST(:parent AS uuid) ELSE parent_id END"""
    rewritten = await session.execute(text(f"""
        UPDATE organization_placements SET (path, depth, parent_id) = ({new_values})
        WHERE {in_subtree} AND valid_from = :day RETURNING organization_id"""), params)
    moved = await session.execute(text(f"""
        WITH closed AS (
            UPDATE organization_placements SET valid_to = :day, latest = false
            WHERE {in_subtree} AND valid_from < :day
            RETURNING organization_id, parent_id, path, depth
        )
        INSERT INTO organization_placements (organization_id, valid_from, valid_to, path, depth, parent_id)
        SELECT organization_id, :day, NULL, {new_values} FROM closed
        RETURNING organization_id"""), params)
    # Members carry their unit's current path (a subtree of members is a range scan): it follows the move.
    await session.execute(text("""
        UPDATE members SET org_path = :new || substr(org_path, length(:old) + 1)
        WHERE org_path >= :old AND org_path < :high"""), params)
    return len(rewritten.all()) + len(moved.all())


async def close_placements(session: AsyncSession, org_ids: Sequence[uuid.UUID], day: date) -> None:
    """End the open placements of these units on `day` (dissolution, merge, split). The last placement of each
    stays its `latest` one: where a dissolved unit was last."""
    await session.execute(delete(PLACEMENT).where(
        PLACEMENT.c.organization_id.in_(list(org_ids)), PLACEMENT.c.valid_to.is_(None),
        PLACEMENT.c.valid_from >= day))
    await session.execute(update(PLACEMENT).where(
        PLACEMENT.c.organization_id.in_(list(org_ids)), PLACEMENT.c.valid_to.is_(None),
        PLACEMENT.c.valid_from < day).values(valid_to=day))
    await session.execute(text("""
        UPDATE organization_placements p SET latest = (p.valid_from = last.valid_from)
        FROM (SELECT organization_id, max(valid_from) AS valid_from FROM organization_placements
              WHERE organization_id = ANY(:ids) GROUP BY organization_id) last
        WHERE p.organization_id = last.organization_id
          AND p.latest IS DISTINCT FROM (p.valid_from = last.valid_from)"""), {"ids": list(org_ids)})


async def children_on(session: AsyncSession, org_id: uuid.UUID, day: date) -> list[uuid.UUID]:
    rows = await session.execute(select(PLACEMENT.c.organization_id).where(
        PLACEMENT.c.parent_id == org_id, PLACEMENT.c.valid_from <= day,
        (PLACEMENT.c.valid_to.is_(None)) | (PLACEMENT.c.valid_to > day)))
    return [r[0] for r in rows]



async def open_children(session: AsyncSession, org_id: uuid.UUID) -> list[uuid.UUID]:
    rows = await session.execute(select(PLACEMENT.c.organization_id).where(
        PLACEMENT.c.parent_id == org_id, PLACEMENT.c.valid_to.is_(None)))
    return [r[0] for r in rows]
