"""The audit log, for auditors and administrators."""

import uuid
from typing import Annotated

from fastapi import Query
from starlette.responses import Response

from app.api.audit.models import AuditPage
from app.api.auth import AuditorDep, api_router
from app.api.deps import PagingDep
from app.api.exports import FileDep, file_responses
from app.api.request_context import current_request_id
from app.api.responses import problems
from app.api.types import Moment, page_response
from app.domain.audit import service as audit
from app.domain.exports import audit as exports

router = api_router("/api/v1/audit", "audit")


@router.get("", response_model=AuditPage, responses={**file_responses("audit entries"), **problems(400, 401, 403)})
async def list_audit_entries(
    auditor: AuditorDep,
    paging: PagingDep,
    file: FileDep,
    entity: Annotated[str | None, Query(max_length=100, description="e.g. organization, member, api_key")] = None,
    entity_id: uuid.UUID | None = None,
    actor_id: Annotated[str | None, Query(max_length=200, description="A key's key_id or a token's subject")] = None,
    since: Annotated[Moment | None, Query(description="From this time (inclusive), ISO 8601")] = None,
    until: Annotated[Moment | None, Query(description="Until this time (exclusive), ISO 8601")] = None,
) -> Response:
    """Who changed what and when, newest first, limited to the caller's scope. Sensitive personal values are
    never stored (a keyed digest stands in their place, shown only with `pii`); a member's rating score and
    comment need `pii`; units outside the caller's scope are null. `redacted` lists what was hidden. With
    `format=`, every entry as a file, hidden alike."""
    query = audit.AuditFilters(entity=entity, entity_id=entity_id, actor_id=actor_id, since=since, until=until)
    if file.wanted is not None:
        return await file.send(
            await exports.export_audit(
                auditor.pool, caller=auditor.caller, scope=auditor.scope, wanted=file.wanted, query=query
            )
        )
    return page_response(
        await audit.read_entries(
            auditor.pool,
            caller=auditor.caller,
            scope=auditor.scope,
            request_id=current_request_id(),
            query=query,
            paging=paging,
        )
    )
