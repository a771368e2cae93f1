"""Bulk loading of a prepared organisation tree (the demo data): set-based SQL on one asyncpg connection.

The API creates one unit per request; a sample of hundreds of units goes in with one INSERT … SELECT for the
identities, and COPY for the placements and the lineage, so it loads in a fraction of a second."""

import uuid
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import date

import asyncpg

from app.db.organizations.paths import child_path
from app.db.organizations.writes import STRUCTURE_LOCK
from app.db.urls import asyncpg_dsn


@dataclass(frozen=True)
class UnitRow:
    """One unit to create; `parent_code` names a unit earlier in the batch, or one already in the database."""

    code: str
    name: str
    kind: str
    category: str | None
    parent_code: str | None


@dataclass(frozen=True)
class _Slot:
    id: uuid.UUID
    path: str
    depth: int


@asynccontextmanager
async def structure_transaction(database_url: str) -> AsyncIterator[asyncpg.Connection]:
    """One connection, one transaction, holding the structure lock alone (as a reorganisation does): a bulk load
    then never interleaves with creations or moves, and two loads cannot both decide the data is missing."""
    conn: asyncpg.Connection = await asyncpg.connect(asyncpg_dsn(database_url))
    try:
        async with conn.transaction():
            await conn.execute("SELECT pg_advisory_xact_lock($1)", STRUCTURE_LOCK)
            yield conn
    finally:
        await conn.close()


async def ids_by_code(conn: asyncpg.Connection, codes: Sequence[str]) -> dict[str, uuid.UUID]:
    """The ids of those of `codes` that exist (dissolved units included: codes are never reused)."""
    rows = await conn.fetch("SELECT code, id FROM organizations WHERE code = ANY($1::text[])", list(codes))
    return {r["code"]: r["id"] for r in rows}


async def _open_slots(conn: asyncpg.Connection, codes: Sequence[str]) -> dict[str, _Slot]:
    rows = await conn.fetch(
        """SELECT o.code, o.id, p.path, p.depth
           FROM organizations o JOIN organization_placements p ON p.organization_id = o.id AND p.valid_to IS NULL
           WHERE o.code = ANY($1::text[]) AND o.valid_to IS NULL""",
        list(codes),
    )
    return {r["code"]: _Slot(r["id"], r["path"], r["depth"]) for r in rows}


async def insert_tree(
    conn: asyncpg.Connection, units: Sequence[UnitRow], *, valid_from: date, decision_ref: str | None, note: str | None
) -> dict[str, uuid.UUID]:
    """Create `units` (parents listed before their children) from `valid_from` on, each placed under its parent
    and recorded by its own lineage 'create' event, as the API would. Returns the new ids by code.

    Call inside a transaction holding the structure lock; the caller has checked the kinds and that the codes
    are free (the unique index refuses a duplicate anyway)."""
    batch = {u.code for u in units}
    outside = sorted({u.parent_code for u in units if u.parent_code is not None} - batch)
    slots = await _open_slots(conn, outside)
    if missing := [c for c in outside if c not in slots]:
        raise ValueError(f"parents neither in the batch nor open in the database: {', '.join(missing)}")

    rows = await conn.fetch(
        """INSERT INTO organizations (code, name, kind, category, valid_from)
           SELECT code, name, kind, category, $5
           FROM unnest($1::text[], $2::text[], $3::text[], $4::text[]) WITH ORDINALITY
                AS u(code, name, kind, category, ord)
           ORDER BY ord
           RETURNING code, id, node""",
        [u.code for u in units],
        [u.name for u in units],
        [u.kind for u in units],
        [u.category for u in units],
        valid_from,
    )
    created = {r["code"]: (r["id"], r["node"]) for r in rows}

    # Paths from the nodes PostgreSQL just assigned: a parent's slot is known before any of its children's.
    placements = []
    for unit in units:
        org_id, node = created[unit.code]
        parent = slots.get(unit.parent_code) if unit.parent_code is not None else None
        if unit.parent_code is not None and parent is None:
            raise ValueError(f"{unit.code} is listed before its parent {unit.parent_code}")
        slot = _Slot(org_id, child_path(parent.path if parent else None, node), parent.depth + 1 if parent else 0)
        slots[unit.code] = slot
        placements.append((org_id, valid_from, parent.id if parent else None, slot.path, slot.depth))
    await conn.copy_records_to_table(
        "organization_placements",
        records=placements,
        columns=["organization_id", "valid_from", "parent_id", "path", "depth"],
    )

    # One 'create' event per unit, so each unit's lineage reads as if it had been created on its own.
    events = [(uuid.uuid4(), created[u.code][0]) for u in units]
    await conn.copy_records_to_table(
        "lineage_events",
        records=[(e, "create", valid_from, decision_ref, note) for e, _ in events],
        columns=["id", "action", "effective_date", "decision_ref", "note"],
    )
    await conn.copy_records_to_table(
        "lineage_links",
        records=[(e, org_id, "target") for e, org_id in events],
        columns=["event_id", "organization_id", "role"],
    )
    return {code: org_id for code, (org_id, _) in created.items()}


async def count_subtree_by_kind(conn: asyncpg.Connection, code: str) -> dict[str, int]:
    """How many units of each kind sit, today, in the subtree of the unit with this code (itself included)."""
    rows = await conn.fetch(
        """SELECT o.kind, count(*) AS n
           FROM organization_placements root
           JOIN organizations r ON r.id = root.organization_id AND r.code = $1
           JOIN organization_placements p ON p.path >= root.path AND p.path < left(root.path, -1) || '0'
                AND p.valid_to IS NULL
           JOIN organizations o ON o.id = p.organization_id
           WHERE root.valid_to IS NULL
           GROUP BY o.kind""",
        code,
    )
    return {r["kind"]: r["n"] for r in rows}


@dataclass(frozen=True)
class MoveRow:
    """A unit to move, with its whole subtree, under another unit (both open in the database)."""

    code: str
    parent_code: str


async def move_subtrees(
    conn: asyncpg.Connection, moves: Sequence[MoveRow], *, day: date, decision_ref: str | None, note: str | None
) -> int:
    """Re-place each unit of `moves` with its subtree under its new parent from `day` on, as the API's move does
    (app/db/organizations/writes.reparent_subtree), set-based: the open placements close on `day` and continue
    under the new paths, members follow their units' paths, and each moved unit gets its own lineage 'move' event.
    Returns the number of placements continued. The caller has checked the kinds; nothing in the subtrees may have
    changed on or after `day` (the demo moves a tree it has just created)."""
    wanted = {m.code for m in moves} | {m.parent_code for m in moves}
    slots = await _open_slots(conn, sorted(wanted))
    if missing := sorted(wanted - set(slots)):
        raise ValueError(f"units to move or move under that are not open: {', '.join(missing)}")
    roots = [slots[m.code] for m in moves]
    parents = [slots[m.parent_code] for m in moves]
    news = [p.path + r.path.rstrip("/").rsplit("/", 1)[1] + "/" for r, p in zip(roots, parents, strict=True)]
    values = (
        [r.path for r in roots],
        news,
        [p.depth + 1 - r.depth for r, p in zip(roots, parents, strict=True)],
        [r.id for r in roots],
        [p.id for p in parents],
    )
    moved = await conn.fetch(
        """WITH m AS (SELECT * FROM unnest($1::text[], $2::text[], $3::int[], $4::uuid[], $5::uuid[])
                      AS m(old, new, shift, root, parent)),
           closed AS (
               UPDATE organization_placements p SET valid_to = $6, latest = false
               FROM m WHERE p.path >= m.old AND p.path < left(m.old, -1) || '0' AND p.valid_to IS NULL
                 AND p.valid_from < $6
               RETURNING p.organization_id, p.parent_id, p.path, p.depth, m.old, m.new, m.shift, m.root, m.parent)
           INSERT INTO organization_placements (organization_id, valid_from, valid_to, path, depth, parent_id)
           SELECT organization_id, $6::date, NULL, new || substr(path, length(old) + 1), depth + shift,
                  CASE WHEN organization_id = root THEN parent ELSE parent_id END
           FROM closed
           RETURNING organization_id""",
        *values,
        day,
    )
    await conn.execute(
        """UPDATE members mb SET org_path = m.new || substr(mb.org_path, length(m.old) + 1)
           FROM unnest($1::text[], $2::text[]) AS m(old, new)
           WHERE mb.org_path >= m.old AND mb.org_path < left(m.old, -1) || '0'""",
        values[0],
        values[1],
    )
    await conn.execute(
        "UPDATE organizations SET version = version + 1, updated_at = now() WHERE id = ANY($1::uuid[])", values[3]
    )
    await _lineage(conn, "move", [(r.id, r.id) for r in roots], day=day, decision_ref=decision_ref, note=note)
    return len(moved)


async def dissolve(
    conn: asyncpg.Connection, codes: Sequence[str], *, day: date, decision_ref: str | None, note: str | None
) -> None:
    """End these units on `day`, as the API's dissolution does: the open placement closes (and stays the latest:
    where the unit was last), the unit's valid_to is set, a lineage 'dissolve' event names it as the source. The
    caller has emptied them (no unit under them that day, no members)."""
    slots = await _open_slots(conn, codes)
    if missing := sorted(set(codes) - set(slots)):
        raise ValueError(f"units to dissolve that are not open: {', '.join(missing)}")
    ids = [slots[c].id for c in codes]
    await conn.execute(
        "UPDATE organization_placements SET valid_to = $2 WHERE organization_id = ANY($1::uuid[]) AND valid_to IS NULL",
        ids,
        day,
    )
    await conn.execute(
        "UPDATE organizations SET valid_to = $2, version = version + 1, updated_at = now() WHERE id = ANY($1::uuid[])",
        ids,
        day,
    )
    await _lineage(conn, "dissolve", [(i, None) for i in ids], day=day, decision_ref=decision_ref, note=note)


async def _lineage(
    conn: asyncpg.Connection,
    action: str,
    links: Sequence[tuple[uuid.UUID, uuid.UUID | None]],
    *,
    day: date,
    decision_ref: str | None,
    note: str | None,
) -> None:
    """One event per (source, target) pair, each unit's own (as the API records a move or a dissolution)."""
    events = [(uuid.uuid4(), source, target) for source, target in links]
    await conn.copy_records_to_table(
        "lineage_events",
        records=[(e, action, day, decision_ref, note) for e, _, _ in events],
        columns=["id", "action", "effective_date", "decision_ref", "note"],
    )
    await conn.copy_records_to_table(
        "lineage_links",
        records=[(e, s, "source") for e, s, _ in events] + [(e, t, "target") for e, _, t in events if t is not None],
        columns=["event_id", "organization_id", "role"],
    )
