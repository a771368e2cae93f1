"""Reading the organisation tree: single units, filtered lists, children, ancestors, subtrees, lineage."""

import hashlib
import uuid
from datetime import date

import asyncpg

from app.db import organizations as db
from app.db.scope import Scope
from app.db.sql import Querier
from app.domain.errors import NotFound, RuleViolation
from app.domain.pagination import Page, Paging


def _on(as_of: date | None) -> str:
    return f" on {as_of.isoformat()}" if as_of else ""


async def read_organization(conn: Querier, *, scope: Scope, as_of: date | None, org_id: uuid.UUID | None = None,
                            code: str | None = None, external_id: str | None = None) -> asyncpg.Record:
    """(doc, version) of one unit. Outside the scope is the same as missing."""
    doc = await db.get_organization(conn, scope=scope, as_of=as_of, org_id=org_id, code=code,
                                    external_id=external_id)
    if doc is None:
        what = (f"id {org_id}" if org_id else f"code {code!r}" if code is not None
                else f"external identifier {external_id!r}")
        raise NotFound(f"No organisation with {what}{' existed' + _on(as_of) if as_of else ' exists'}.",
                       code="organization_not_found")
    return doc


async def find_placed(conn: Querier, org_id: uuid.UUID, *, scope: Scope, as_of: date | None) -> db.Placed | None:
    return await db.get_placed(conn, org_id, scope=scope, as_of=as_of)


async def placed(conn: Querier, org_id: uuid.UUID, *, scope: Scope, as_of: date | None) -> db.Placed:
    found = await db.get_placed(conn, org_id, scope=scope, as_of=as_of)
    if found is None:
        raise NotFound(f"No organisation with id {org_id}{' existed' + _on(as_of) if as_of else ' exists'}.",
                       code="organization_not_found")
    return found


def _query_fingerprint(query: db.ListQuery) -> str:
    """Ties a cursor to the filters it was issued for, so it cannot silently page another query."""
    key = repr((query.as_of, query.active_on, query.within_path, query.parent_id, query.kinds, query.categories,
                query.q, query.max_depth))
    return hashlib.blake2s(key.encode(), digest_size=6).hexdigest()


async def page_organizations(conn: Querier, query: db.ListQuery, paging: Paging, *, scope: Scope) -> Page[str]:
    kind = "org:" + _query_fingerprint(query)
    position = paging.after(kind)
    if position is not None:
        query = db.ListQuery(**{**query.__dict__, "after_path": str(position["p"]),
                                "after_rank": int(position.get("r", 0))})
    rows = await db.list_organizations(conn, db.ListQuery(**{**query.__dict__, "limit": paging.fetch}), scope=scope)
    page = paging.page(rows, kind=kind, position=lambda r: {"p": r["path"], "r": r["rank"]})
    return Page(items=[r["doc"] for r in page.items], next_cursor=page.next_cursor)


async def resolve_within(conn: Querier, within: uuid.UUID, *, scope: Scope, as_of: date | None) -> str:
    found = await db.get_placed(conn, within, scope=scope, as_of=as_of)
    if found is None:
        raise RuleViolation(f"The organisation given as `within` ({within}) does not exist{_on(as_of)}.",
                            code="within_not_found")
    return found.path


async def ancestors(conn: Querier, org_id: uuid.UUID, *, scope: Scope, as_of: date | None) -> list[str]:
    unit = await placed(conn, org_id, scope=scope, as_of=as_of)
    return await db.ancestors(conn, unit.path, scope=scope, as_of=as_of)


async def lineage(conn: Querier, org_id: uuid.UUID, *, scope: Scope) -> list[str]:
    await placed(conn, org_id, scope=scope, as_of=None)
    return await db.lineage(conn, org_id)
