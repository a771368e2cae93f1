"""The audit log, for auditors and administrators."""

import uuid
from datetime import datetime
from typing import Annotated

from fastapi import Query
from starlette.responses import Response

from app.api.access_models import AuditPage
from app.api.auth import AuditorDep, api_router
from app.api.deps import Cursor, Limit
from app.api.responses import problems
from app.api.types import page_response
from app.db.audit import AuditQuery, list_entries
from app.domain.pagination import Page, decode_cursor, encode_cursor

router = api_router("/api/v1/audit", "audit")


@router.get("", response_model=AuditPage, responses=problems(400, 401, 403))
async def list_audit_entries(
    auditor: AuditorDep,
    entity: Annotated[str | None, Query(description="e.g. organization, api_key")] = None,
    entity_id: uuid.UUID | None = None,
    actor_id: Annotated[str | None, Query(description="A key's key_id or a token's subject")] = None,
    since: Annotated[datetime | None, Query(description="From this time (inclusive)")] = None,
    until: Annotated[datetime | None, Query(description="Until this time (exclusive)")] = None,
    limit: Limit = 50, cursor: Cursor = None,
) -> Response:
    """Who changed what and when, newest first, limited to the caller's scope."""
    before_id = int(decode_cursor(cursor, kind="audit")["b"]) if cursor else None
    query = AuditQuery(entity=entity, entity_id=entity_id, actor_id=actor_id, since=since, until=until,
                       before_id=before_id, limit=limit + 1)
    rows = await list_entries(auditor.pool, query, scope=auditor.scope)
    more = len(rows) > limit
    rows = rows[:limit]
    next_cursor = encode_cursor({"k": "audit", "b": rows[-1]["id"]}) if more else None
    return page_response(Page(items=[r["doc"] for r in rows], next_cursor=next_cursor))
