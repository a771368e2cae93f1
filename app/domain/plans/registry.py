"""The bodies plans assign tasks to, per organisation: matched forgivingly by name and alias (never merged
silently), created when a plan names one not known yet."""

import uuid
from collections.abc import Sequence
from datetime import datetime
from typing import Any

import orjson

from app.db.plans import bodies as bodies_db
from app.db.scope import WHOLE_TREE, Scope
from app.db.sql import Querier, Record
from app.domain.access.callers import Actor
from app.domain.audit import service as audit
from app.domain.errors import Conflict, NotFound
from app.domain.organizations.changes import guard
from app.domain.pagination import Page, Paging
from app.domain.plans.bodies import normalise_body_name
from app.domain.plans.collectives import Unit, body_kind, members
from app.domain.tx import Tx
from app.domain.versions import check_version, count_change

COLLECTIVE = "collective"


async def match_bodies(tx: Tx, organization_id: uuid.UUID, names: Sequence[tuple[str, bool]]) -> list[dict[str, Any]]:
    """For each (name, collective): the known body it matches, or a proposal to create it with similar known ones
    to check against (never merged silently)."""
    keys = [normalise_body_name(n) for n, _ in names]
    known = await bodies_db.bodies_by_key(tx.conn, organization_id, keys)
    conn = tx.conn
    result = []
    for (name, collective), key in zip(names, keys, strict=True):
        body = known.get(key)
        if body is not None:
            result.append({"name": name, "key": key, "match": "known", "body_id": body.id, "body": body.name})
        else:
            similar = await bodies_db.similar_bodies(conn, organization_id, key)
            result.append(
                {
                    "name": name,
                    "key": key,
                    "match": "new",
                    "body_id": None,
                    "kind": COLLECTIVE if collective else "agency",
                    "similar": [{"body_id": s.id, "body": s.name} for s in similar],
                }
            )
    return result


async def ensure_bodies(tx: Tx, organization_id: uuid.UUID, names: Sequence[tuple[str, bool]]) -> dict[str, uuid.UUID]:
    """Body ids by match key, creating the bodies not known yet in this organisation's namespace, each linked to
    the party organisations it stands for (app/domain/plans/collectives.py)."""
    wanted = {normalise_body_name(n): (n, c) for n, c in names}
    known = await bodies_db.bodies_by_key(tx.conn, organization_id, list(wanted))
    ids = {k: b.id for k, b in known.items()}
    units: list[Unit] | None = None
    for key, (name, collective) in wanted.items():
        if key not in ids:
            if units is None:
                units = await _units(tx, organization_id)
            ids[key] = await _insert(tx, organization_id, name, key, COLLECTIVE if collective else "agency", units)
    return ids


async def _units(tx: Tx, organization_id: uuid.UUID) -> list[Unit]:
    rows = await bodies_db.subtree_units(tx.conn, organization_id)
    return [Unit(r["id"], r["name"], r["kind"], r["category"], r["parent_id"]) for r in rows]


async def _insert(tx: Tx, organization_id: uuid.UUID, name: str, key: str, kind: str, units: list[Unit]) -> uuid.UUID:
    """A new body with the organisations it stands for; named like one organisation, it is that organisation."""
    found = members(name, units)
    kind = body_kind(name, kind, found)
    body_id = await bodies_db.insert_body(tx.conn, organization_id=organization_id, name=name, name_key=key, kind=kind)
    await bodies_db.set_members(tx.conn, body_id, found)
    return body_id


async def create_body(
    tx: Tx, *, actor: Actor, scope: Scope, organization_id: uuid.UUID, name: str, kind: str, aliases: Sequence[str]
) -> dict[str, Any]:
    await guard(tx, scope, organization_id)
    key = normalise_body_name(name)
    keys = [key, *(normalise_body_name(a) for a in aliases)]
    clash = await bodies_db.bodies_by_key(tx.conn, organization_id, keys)
    if clash:
        taken = next(iter(clash.values()))
        raise Conflict(
            f"{name!r} (or an alias) matches the existing body {taken.name!r} ({taken.id}) in this "
            "organisation; add an alias to it instead of a second body.",
            code="duplicate_body",
            existing_id=str(taken.id),
        )
    body_id = await _insert(tx, organization_id, name, key, kind, await _units(tx, organization_id))
    body = await bodies_db.get_body(tx.conn, body_id)
    assert body is not None
    for alias in aliases:
        await bodies_db.insert_alias(tx.conn, body=body, alias=alias, alias_key=normalise_body_name(alias))
    await audit.record(
        tx,
        actor,
        action="create",
        entity="body",
        entity_id=body_id,
        organization_id=organization_id,
        before=None,
        after={"id": body_id, "name": name, "kind": kind, "aliases": list(aliases)},
    )
    return await _served(tx, body_id)


async def add_alias(
    tx: Tx, *, actor: Actor, scope: Scope, body_id: uuid.UUID, alias: str, expected_version: int | None
) -> dict[str, Any]:
    body = await bodies_db.get_body(tx.conn, body_id)
    if body is None:
        raise NotFound(f"No body with id {body_id} exists.", code="body_not_found")
    await guard(
        tx, scope, body.organization_id, missing=NotFound(f"No body with id {body_id} exists.", code="body_not_found")
    )
    await check_version(tx, "bodies", body.id, expected_version, f"Body {body.name!r}")
    key = normalise_body_name(alias)
    clash = await bodies_db.bodies_by_key(tx.conn, body.organization_id, [key])
    if clash and clash[key].id != body.id:
        raise Conflict(
            f"{alias!r} already names the body {clash[key].name!r} ({clash[key].id}).",
            code="duplicate_body",
            existing_id=str(clash[key].id),
        )
    if not clash:
        await bodies_db.insert_alias(tx.conn, body=body, alias=alias, alias_key=key)
        await count_change(tx, "bodies", body.id)
    await audit.record(
        tx,
        actor,
        action="add_alias",
        entity="body",
        entity_id=body.id,
        organization_id=body.organization_id,
        before=None,
        after={"alias": alias},
        diff=False,
    )
    return await _served(tx, body.id)


async def _served(tx: Tx, body_id: uuid.UUID) -> dict[str, Any]:
    row = await bodies_db.read_body(tx.conn, body_id, scope=WHOLE_TREE)
    assert row is not None
    return _body(row)


def _body(row: Record) -> dict[str, Any]:
    members = row["members"]
    return {**dict(row), "members": orjson.loads(members) if isinstance(members, str | bytes) else members}


async def read_body(conn: Querier, *, scope: Scope, body_id: uuid.UUID) -> dict[str, Any]:
    row = await bodies_db.read_body(conn, body_id, scope=scope)
    if row is None:
        raise NotFound(f"No body with id {body_id} exists.", code="body_not_found")
    return _body(row)


async def list_bodies(
    conn: Querier,
    *,
    scope: Scope,
    organization_id: uuid.UUID | None,
    q: str | None,
    paging: Paging,
    updated_since: datetime | None = None,
) -> Page[dict[str, Any]]:
    """Bodies the caller may see, by name (`q`: forgiving, accents, case and abbreviations aside)."""
    position = paging.after("bodies")
    rows = await bodies_db.list_bodies(
        conn,
        scope=scope,
        organization_id=organization_id,
        q_key=normalise_body_name(q) if q else None,
        after=(str(position["n"]), uuid.UUID(position["i"])) if position else None,
        limit=paging.fetch,
        updated_since=updated_since,
    )
    page = paging.page(rows, kind="bodies", position=lambda r: {"n": r["name_key"], "i": str(r["id"])})
    return Page(items=[_body(r) for r in page.items], next_cursor=page.next_cursor)
