"""Reading the organisation tree: single units, filtered lists, children, ancestors, subtrees, lineage."""

import hashlib
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime

import orjson

from app.db.organizations import reads as db
from app.db.scope import Scope
from app.db.sql import Querier
from app.domain.errors import DomainError, NotFound, RuleViolation
from app.domain.pagination import Page, Paging
from app.domain.results import Document


def _on(as_of: date | None) -> str:
    return f" on {as_of.isoformat()}" if as_of else ""


async def read_organization(
    conn: Querier,
    *,
    scope: Scope,
    as_of: date | None,
    org_id: uuid.UUID | None = None,
    code: str | None = None,
    external_id: str | None = None,
) -> Document:
    """One unit, by id, code or external id. Outside the scope is the same as missing."""
    row = await db.get_organization(conn, scope=scope, as_of=as_of, org_id=org_id, code=code, external_id=external_id)
    if row is None:
        if org_id is not None and as_of is not None:
            await explain_absence(conn, org_id, scope=scope, day=as_of)
        what = (
            f"id {org_id}"
            if org_id
            else f"code {code!r}"
            if code is not None
            else f"external identifier {external_id!r}"
        )
        raise NotFound(
            f"No organisation with {what}{' existed' + _on(as_of) if as_of else ' exists'}.",
            code="organization_not_found",
        )
    return Document(
        id=uuid.UUID(orjson.loads(row["doc"])["id"]) if org_id is None else org_id,
        json=row["doc"],
        version=row["version"],
    )


async def find_placed(conn: Querier, org_id: uuid.UUID, *, scope: Scope, as_of: date | None) -> db.Placed | None:
    return await db.get_placed(conn, org_id, scope=scope, as_of=as_of)


async def id_of(conn: Querier, ref: str, *, scope: Scope) -> uuid.UUID:
    """The id of the unit a query parameter names by its id or its code. An id is passed on as given (each
    operation answers for it as it always has); a code must name a unit the scope covers (outside = missing, and
    the answer names only what was sent)."""
    try:
        return uuid.UUID(ref)
    except ValueError:
        pass
    found = await db.find_id(conn, ref)
    if found is None or await db.get_placed(conn, found, scope=scope, as_of=None) is None:
        raise unknown_code(ref)
    return found


def unknown_code(ref: str) -> NotFound:
    """A code that names no unit the scope covers (outside = missing)."""
    return NotFound(f"No organisation with code {ref!r} exists.", code="organization_not_found")


async def placed(conn: Querier, org_id: uuid.UUID, *, scope: Scope, as_of: date | None) -> db.Placed:
    found = await db.get_placed(conn, org_id, scope=scope, as_of=as_of)
    if found is None:
        if as_of is not None:
            await explain_absence(conn, org_id, scope=scope, day=as_of)
        raise NotFound(
            f"No organisation with id {org_id}{' existed' + _on(as_of) if as_of else ' exists'}.",
            code="organization_not_found",
        )
    return found


def not_alive(unit: db.UnitOnDate, day: date, *, to: str = "") -> DomainError:
    """Why a unit the caller may see was not in the tree on `day`: founded later, or dissolved by then."""
    if day < unit.valid_from:
        return RuleViolation(
            f"Organisation {unit.code} was founded later, on {unit.valid_from}: it did not exist yet on {day}{to}.",
            code="organization_not_yet_founded",
            founded_on=unit.valid_from.isoformat(),
        )
    return RuleViolation(
        f"Organisation {unit.code} was dissolved (or merged) on {unit.valid_to}: it no longer existed on {day}{to}.",
        code="organization_not_active",
    )


async def explain_absence(
    conn: Querier, org_id: uuid.UUID, *, scope: Scope, day: date, dissolved_too: bool = True
) -> None:
    """A unit the caller may see, asked about on a day it was not in the tree: say why (404), whether it was
    founded later or (unless not `dissolved_too`) dissolved by then. Outside the scope: says nothing."""
    if await db.get_placed(conn, org_id, scope=scope, as_of=None) is None:
        return
    unit = await db.unit_on(conn, org_id, day)
    if unit is None or unit.alive_on(day) or (not dissolved_too and day >= unit.valid_from):
        return
    reason = not_alive(unit, day)
    code = reason.code if day < unit.valid_from else "organization_not_found"
    raise NotFound(reason.detail, code=code, **reason.extra)


def _query_fingerprint(query: db.ListQuery) -> str:
    """Ties a cursor to the filters it was issued for, so it cannot silently page another query."""
    key = repr(
        (
            query.as_of,
            query.active_on,
            query.within_path,
            query.parent_id,
            query.kinds,
            query.categories,
            query.q,
            query.max_depth,
            query.updated_since,
        )
    )
    return hashlib.blake2s(key.encode(), digest_size=6).hexdigest()


async def page_organizations(conn: Querier, query: db.ListQuery, paging: Paging, *, scope: Scope) -> Page[str]:
    kind = "org:" + _query_fingerprint(query)
    position = paging.after(kind)
    if position is not None:
        query = db.ListQuery(
            **{**query.__dict__, "after_path": str(position["p"]), "after_rank": int(position.get("r", 0))}
        )
    rows = await db.list_organizations(conn, db.ListQuery(**{**query.__dict__, "limit": paging.fetch}), scope=scope)
    page = paging.page(rows, kind=kind, position=lambda r: {"p": r["path"], "r": r["rank"]})
    return Page(items=[r["doc"] for r in page.items], next_cursor=page.next_cursor)


@dataclass(frozen=True)
class OrganizationFilters:
    as_of: date | None = None
    active_on: date | None = None
    kinds: Sequence[str] = ()
    categories: Sequence[str] = ()
    parent_id: uuid.UUID | None = None
    within: uuid.UUID | None = None
    q: str | None = None
    updated_since: datetime | None = None


async def list_query(conn: Querier, *, scope: Scope, filters: OrganizationFilters) -> db.ListQuery:
    """The listing's query, its `within` unit checked against the scope (the JSON list and its export alike)."""
    within_path = (
        await resolve_within(conn, filters.within, scope=scope, as_of=filters.as_of) if filters.within else None
    )
    return db.ListQuery(
        as_of=filters.as_of,
        active_on=filters.active_on,
        within_path=within_path,
        parent_id=filters.parent_id,
        kinds=tuple(filters.kinds),
        categories=tuple(filters.categories),
        q=filters.q,
        updated_since=filters.updated_since,
    )


async def list_organizations(conn: Querier, *, scope: Scope, filters: OrganizationFilters, paging: Paging) -> Page[str]:
    """Units in tree order (or by relevance with `q`), filtered, keyset-paged."""
    query = await list_query(conn, scope=scope, filters=filters)
    return await page_organizations(conn, query, paging, scope=scope)


async def children(
    conn: Querier,
    org_id: uuid.UUID,
    *,
    scope: Scope,
    as_of: date | None,
    active_on: date | None,
    paging: Paging,
    updated_since: datetime | None = None,
) -> Page[str]:
    """The units directly under this one."""
    await placed(conn, org_id, scope=scope, as_of=as_of)
    query = db.ListQuery(as_of=as_of, active_on=active_on, parent_id=org_id, updated_since=updated_since)
    return await page_organizations(conn, query, paging, scope=scope)


async def subtree(
    conn: Querier,
    org_id: uuid.UUID,
    *,
    scope: Scope,
    as_of: date | None,
    active_on: date | None,
    max_depth: int | None,
    paging: Paging,
    updated_since: datetime | None = None,
) -> Page[str]:
    """This unit and everything under it (to `max_depth` levels below it), depth-first in tree order."""
    root = await placed(conn, org_id, scope=scope, as_of=as_of)
    query = db.ListQuery(
        as_of=as_of,
        active_on=active_on,
        within_path=root.path,
        max_depth=root.depth + max_depth if max_depth is not None else None,
        updated_since=updated_since,
    )
    return await page_organizations(conn, query, paging, scope=scope)


async def resolve_within(conn: Querier, within: uuid.UUID, *, scope: Scope, as_of: date | None) -> str:
    found = await db.get_placed(conn, within, scope=scope, as_of=as_of)
    if found is None:
        raise RuleViolation(
            f"The organisation given as `within` ({within}) does not exist{_on(as_of)}.", code="within_not_found"
        )
    return found.path


async def ancestors(conn: Querier, org_id: uuid.UUID, *, scope: Scope, as_of: date | None) -> list[str]:
    unit = await placed(conn, org_id, scope=scope, as_of=as_of)
    return await db.ancestors(conn, unit.path, scope=scope, as_of=as_of)


async def lineage(conn: Querier, org_id: uuid.UUID, *, scope: Scope) -> list[str]:
    await placed(conn, org_id, scope=scope, as_of=None)
    return await db.lineage(conn, org_id)
