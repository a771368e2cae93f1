"""Writes to the organisation tree, on the request's transaction.

Structural changes serialise on one advisory lock: creations share it, reorganisations take it alone, so a move
never races a creation under the subtree it rewrites."""

import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

import asyncpg

from app.db.organizations.paths import child_path, subtree_bounds
from app.db.sql import Sql, execute, fetch, fetchrow, fetchval

STRUCTURE_LOCK = 0x636F736F  # "coso"


async def lock_structure(conn: asyncpg.Connection, *, exclusive: bool) -> None:
    lock = Sql("pg_advisory_xact_lock") if exclusive else Sql("pg_advisory_xact_lock_shared")
    await execute(conn, Sql("SELECT {lock}({key})", lock=lock, key=STRUCTURE_LOCK))


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


_ORG = Sql("SELECT id, node, code, name, kind, category, valid_from, valid_to, version FROM organizations")
_PLACEMENT = Sql(
    "SELECT organization_id, valid_from, valid_to, parent_id, path, depth, latest FROM organization_placements"
)


def _for_update(locked: bool) -> Sql:
    return Sql("FOR UPDATE") if locked else Sql("")


async def get_org(conn: asyncpg.Connection, org_id: uuid.UUID, *, for_update: bool = False) -> OrgRow | None:
    row = await fetchrow(conn, Sql("{org} WHERE id = {id} {lock}", org=_ORG, id=org_id, lock=_for_update(for_update)))
    return OrgRow(**dict(row)) if row is not None else None


async def get_orgs(
    conn: asyncpg.Connection, org_ids: Iterable[uuid.UUID], *, for_update: bool = False
) -> dict[uuid.UUID, OrgRow]:
    rows = await fetch(
        conn,
        Sql(
            "{org} WHERE id = ANY({ids}::uuid[]) ORDER BY id {lock}",
            org=_ORG,
            ids=list(org_ids),
            lock=_for_update(for_update),
        ),
    )
    return {r["id"]: OrgRow(**dict(r)) for r in rows}


async def find_by_code(conn: asyncpg.Connection, code: str) -> OrgRow | None:
    row = await fetchrow(conn, Sql("{org} WHERE code = {code}", org=_ORG, code=code))
    return OrgRow(**dict(row)) if row is not None else None


async def external_id_owners(conn: asyncpg.Connection, external_ids: Sequence[str]) -> dict[str, uuid.UUID]:
    if not external_ids:
        return {}
    rows = await fetch(
        conn,
        Sql(
            "SELECT external_id, organization_id FROM organization_external_ids WHERE external_id = ANY({ids}::text[])",
            ids=list(external_ids),
        ),
    )
    return {r["external_id"]: r["organization_id"] for r in rows}


async def placement_on(conn: asyncpg.Connection, org_id: uuid.UUID, day: date) -> PlacementRow | None:
    row = await fetchrow(
        conn,
        Sql(
            "{placement} WHERE organization_id = {id} AND valid_from <= {day} "
            "AND (valid_to IS NULL OR valid_to > {day})",
            placement=_PLACEMENT,
            id=org_id,
            day=day,
        ),
    )
    return PlacementRow(**dict(row)) if row is not None else None


async def last_placement(conn: asyncpg.Connection, org_id: uuid.UUID) -> PlacementRow | None:
    row = await fetchrow(
        conn,
        Sql(
            "{placement} WHERE organization_id = {id} ORDER BY valid_from DESC LIMIT 1", placement=_PLACEMENT, id=org_id
        ),
    )
    return PlacementRow(**dict(row)) if row is not None else None


async def insert_org(
    conn: asyncpg.Connection, *, code: str, name: str, kind: str, category: str | None, valid_from: date
) -> tuple[uuid.UUID, int]:
    row = await fetchrow(
        conn,
        Sql(
            "INSERT INTO organizations (code, name, kind, category, valid_from) "
            "VALUES ({code}, {name}, {kind}, {category}, {valid_from}) RETURNING id, node",
            code=code,
            name=name,
            kind=kind,
            category=category,
            valid_from=valid_from,
        ),
    )
    assert row is not None
    return row["id"], row["node"]


async def insert_placement(
    conn: asyncpg.Connection,
    *,
    org_id: uuid.UUID,
    node: int,
    parent: PlacementRow | None,
    valid_from: date,
    valid_to: date | None = None,
) -> None:
    await execute(
        conn,
        Sql(
            "INSERT INTO organization_placements (organization_id, valid_from, valid_to, parent_id, path, depth) "
            "VALUES ({id}, {valid_from}, {valid_to}, {parent}, {path}, {depth})",
            id=org_id,
            valid_from=valid_from,
            valid_to=valid_to,
            parent=parent.organization_id if parent else None,
            path=child_path(parent.path if parent else None, node),
            depth=parent.depth + 1 if parent else 0,
        ),
    )


async def set_external_ids(conn: asyncpg.Connection, org_id: uuid.UUID, external_ids: Sequence[str]) -> None:
    await execute(conn, Sql("DELETE FROM organization_external_ids WHERE organization_id = {id}", id=org_id))
    if external_ids:
        await execute(
            conn,
            Sql(
                "INSERT INTO organization_external_ids (external_id, organization_id) "
                "SELECT unnest({ids}::text[]), {id}::uuid",
                ids=list(external_ids),
                id=org_id,
            ),
        )


# The columns a correction may change (PATCH), and the lifecycle's own.
UPDATABLE = ("code", "name", "kind", "category", "valid_to")


async def update_org(conn: asyncpg.Connection, org_id: uuid.UUID, values: dict[str, Any]) -> None:
    """Set the given columns (of UPDATABLE), and count a new version."""
    unknown = set(values) - set(UPDATABLE)
    if unknown:
        raise ValueError(f"not updatable: {sorted(unknown)}")
    sets = [Sql("{column} = {value}", column=Sql(column), value=value) for column, value in values.items()]
    await execute(
        conn,
        Sql(
            "UPDATE organizations SET {sets} WHERE id = {id}",
            sets=Sql.join(", ", [*sets, Sql("version = version + 1"), Sql("updated_at = now()")]),
            id=org_id,
        ),
    )


async def record_lineage(
    conn: asyncpg.Connection,
    *,
    action: str,
    effective_date: date,
    decision_ref: str | None,
    note: str | None,
    sources: Sequence[uuid.UUID],
    targets: Sequence[uuid.UUID],
) -> uuid.UUID:
    event_id: uuid.UUID = await fetchval(
        conn,
        Sql(
            "INSERT INTO lineage_events (action, effective_date, decision_ref, note) "
            "VALUES ({action}, {day}, {ref}, {note}) RETURNING id",
            action=action,
            day=effective_date,
            ref=decision_ref,
            note=note,
        ),
    )
    await execute(
        conn,
        Sql(
            "INSERT INTO lineage_links (event_id, organization_id, role) "
            "SELECT {event}::uuid, s, 'source' FROM unnest({sources}::uuid[]) s "
            "UNION ALL SELECT {event}::uuid, t, 'target' FROM unnest({targets}::uuid[]) t",
            event=event_id,
            sources=list(dict.fromkeys(sources)),
            targets=list(dict.fromkeys(targets)),
        ),
    )
    return event_id


async def subtree_placements(conn: asyncpg.Connection, path: str) -> list[PlacementRow]:
    """Every placement, of any date, whose path lies in the subtree rooted at `path` (root included)."""
    low, high = subtree_bounds(path)
    rows = await fetch(
        conn, Sql("{placement} WHERE path >= {low} AND path < {high}", placement=_PLACEMENT, low=low, high=high)
    )
    return [PlacementRow(**dict(r)) for r in rows]


async def reparent_subtree(
    conn: asyncpg.Connection,
    *,
    old_path: str,
    new_path: str,
    depth_shift: int,
    root_id: uuid.UUID,
    new_parent_id: uuid.UUID | None,
    day: date,
) -> int:
    """Re-place a whole subtree from `day` on: open placements starting before `day` are closed and continued
    under the new path; ones starting on `day` are rewritten in place, the empty [day, day) ones of units of the
    subtree ended that day too (placed there that day, they follow it). Returns the number of living units moved.
    The caller has checked that no placement of the subtree starts after `day` or ends after it."""
    values = {
        "old": old_path,
        "high": subtree_bounds(old_path)[1],
        "new": new_path,
        "shift": depth_shift,
        "day": day,
        "root": root_id,
        "parent": new_parent_id,
    }
    in_range = Sql("path >= {old} AND path < {high}", **values)
    in_subtree = Sql("{in_range} AND valid_to IS NULL", in_range=in_range)
    new_values = Sql(
        "{new} || substr(path, length({old}) + 1), depth + {shift}, "
        "CASE WHEN organization_id = {root} THEN {parent}::uuid ELSE parent_id END",
        **values,
    )
    rewritten = await fetch(
        conn,
        Sql(
            "UPDATE organization_placements SET (path, depth, parent_id) = ({new_values}) "
            "WHERE {in_range} AND valid_from = {day} AND (valid_to IS NULL OR valid_to = {day}) "
            "RETURNING organization_id, valid_to",
            new_values=new_values,
            in_range=in_range,
            day=day,
        ),
    )
    moved = await fetch(
        conn,
        Sql(
            """
        WITH closed AS (
            UPDATE organization_placements SET valid_to = {day}, latest = false
            WHERE {in_subtree} AND valid_from < {day}
            RETURNING organization_id, parent_id, path, depth
        )
        INSERT INTO organization_placements (organization_id, valid_from, valid_to, path, depth, parent_id)
        SELECT organization_id, {day}::date, NULL, {new_values} FROM closed
        RETURNING organization_id""",
            day=day,
            in_subtree=in_subtree,
            new_values=new_values,
        ),
    )
    # The units under the moved one have a new placement (depth, placed_from): a new version of each, so their
    # ETag and `updated_since` say so (the moved unit itself counts its version with the move).
    await execute(
        conn,
        Sql(
            "UPDATE organizations SET version = version + 1, updated_at = now() WHERE id = ANY({ids}) AND id <> {root}",
            ids=sorted({r["organization_id"] for r in [*rewritten, *moved]}),
            root=root_id,
        ),
    )
    # Members carry their unit's current path (a subtree of members is a range scan): it follows the move.
    await execute(
        conn,
        Sql(
            "UPDATE members SET org_path = {new} || substr(org_path, length({old}) + 1) "
            "WHERE org_path >= {old} AND org_path < {high}",
            **values,
        ),
    )
    return sum(r["valid_to"] is None for r in rewritten) + len(moved)


async def close_placements(conn: asyncpg.Connection, org_ids: Sequence[uuid.UUID], day: date) -> None:
    """End the open placements of these units on `day` (dissolution, merge, split). The last placement of each
    stays its `latest` one: where a dissolved unit was last. One that starts on `day` (the unit was moved that
    day) is kept as [day, day): it holds on no day, yet it is where the move put the unit, as the lineage says."""
    ids = list(org_ids)
    await execute(
        conn,
        Sql(
            "UPDATE organization_placements SET valid_to = {day} "
            "WHERE organization_id = ANY({ids}::uuid[]) AND valid_to IS NULL AND valid_from <= {day}",
            ids=ids,
            day=day,
        ),
    )
    await execute(
        conn,
        Sql(
            """
        UPDATE organization_placements p SET latest = (p.valid_from = last.valid_from)
        FROM (SELECT organization_id, max(valid_from) AS valid_from FROM organization_placements
              WHERE organization_id = ANY({ids}::uuid[]) GROUP BY organization_id) last
        WHERE p.organization_id = last.organization_id
          AND p.latest IS DISTINCT FROM (p.valid_from = last.valid_from)""",
            ids=ids,
        ),
    )


async def children_on(conn: asyncpg.Connection, org_id: uuid.UUID, day: date) -> list[uuid.UUID]:
    rows = await fetch(
        conn,
        Sql(
            "SELECT organization_id FROM organization_placements WHERE parent_id = {id} "
            "AND valid_from <= {day} AND (valid_to IS NULL OR valid_to > {day})",
            id=org_id,
            day=day,
        ),
    )
    return [r[0] for r in rows]


async def open_children(conn: asyncpg.Connection, org_id: uuid.UUID) -> list[uuid.UUID]:
    rows = await fetch(
        conn,
        Sql(
            "SELECT organization_id FROM organization_placements WHERE parent_id = {id} AND valid_to IS NULL", id=org_id
        ),
    )
    return [r[0] for r in rows]
