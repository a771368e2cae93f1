"""API keys: created, listed and revoked by administrators."""

import uuid
from typing import Annotated

from fastapi import Path, status
from starlette.responses import Response

from app.api.access.models import KeyCreate, KeyCreated, KeyPage, KeyRead
from app.api.auth import AccessCacheDep, KeyAdminDep, KeyReaderDep, api_router
from app.api.deps import PagingDep
from app.api.responses import problems
from app.api.types import ExpectedVersion, dump, json_response, versioned_response
from app.domain.access import keys

router = api_router("/api/v1/keys", "keys")

KeyId = Annotated[uuid.UUID, Path(description="The key's id (not its key_id)")]


@router.post("", status_code=status.HTTP_201_CREATED, response_model=KeyCreated, responses=problems(401, 403))
async def create_key(body: KeyCreate, admin: KeyAdminDep) -> Response:
    """Create a key. The answer holds the secret key once; keep it, it cannot be shown again."""
    created = await keys.issue_key(
        admin.tx,
        actor=admin.actor,
        scope=admin.scope,
        name=body.name,
        role=body.role,
        scopes=body.scopes,
        pii=body.pii,
        expires_at=body.expires_at,
    )
    return versioned_response(
        created, status_code=201, headers={"Location": f"/api/v1/keys/{created['id']}", "Cache-Control": "no-store"}
    )


@router.get("", response_model=KeyPage, responses=problems(400, 401, 403))
async def list_keys(admin: KeyReaderDep, paging: PagingDep) -> Response:
    """Keys the caller administers (all of them for a whole-tree admin; for a scoped admin, the keys whose every
    scope lies inside its own), in id order. Secrets never appear."""
    page = await keys.key_page(admin.pool, scope=admin.scope, paging=paging)
    return json_response(dump({"items": page.items, "next_cursor": page.next_cursor}))


@router.get("/{key_id}", response_model=KeyRead, responses=problems(401, 403, 404))
async def get_key(key_id: KeyId, admin: KeyReaderDep) -> Response:
    """One key (without its secret)."""
    return versioned_response(await keys.read_key(admin.pool, scope=admin.scope, key_uuid=key_id))


@router.post("/{key_id}/revoke", response_model=KeyRead, responses=problems(401, 403, 404))
async def revoke_key(
    key_id: KeyId, admin: KeyAdminDep, cache: AccessCacheDep, expected_version: ExpectedVersion
) -> Response:
    """Revoke a key: from now on it gets 401 (in every process of the service within a few seconds). Revoking a
    revoked key changes nothing and answers as the first time did."""
    revoked = await keys.revoke(
        admin.tx, actor=admin.actor, scope=admin.scope, key_uuid=key_id, cache=cache, expected_version=expected_version
    )
    return versioned_response(revoked)
