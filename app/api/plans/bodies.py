"""Bodies: the agencies and collectives plans assign tasks to."""

import uuid
from typing import Annotated

from fastapi import Path, Query, status
from starlette.responses import Response

from app.api.auth import EditorDep, ReaderDep, api_router
from app.api.deps import PagingDep, UpdatedSince
from app.api.organization_refs import optional_organization
from app.api.plans.models import AliasCreate, BodyCreate, BodyPage, BodyRead
from app.api.responses import problems
from app.api.types import ExpectedVersion, SearchText, dump, json_response, versioned_response
from app.domain.plans import registry

router = api_router("/api/v1/bodies", "bodies")

BodyId = Annotated[uuid.UUID, Path(description="The body's id")]


@router.get("", response_model=BodyPage, responses=problems(400, 404))
async def list_bodies(
    reader: ReaderDep,
    paging: PagingDep,
    organization_id: Annotated[uuid.UUID | None, optional_organization("organization_id", "Bodies of this unit")],
    q: Annotated[SearchText | None, Query(description="Forgiving name search (accents, case, abbreviations)")] = None,
    updated_since: UpdatedSince = None,
) -> Response:
    """Bodies the caller may see, by name."""
    page = await registry.list_bodies(
        reader.pool,
        scope=reader.scope,
        organization_id=organization_id,
        q=q,
        paging=paging,
        updated_since=updated_since,
    )
    return json_response(dump({"items": page.items, "next_cursor": page.next_cursor}))


@router.post("", status_code=status.HTTP_201_CREATED, response_model=BodyRead, responses=problems(404, 409))
async def create_body(body: BodyCreate, writer: EditorDep) -> Response:
    """Register a body (refused when its name or an alias matches a known body of the same organisation)."""
    created = await registry.create_body(
        writer.tx,
        actor=writer.actor,
        scope=writer.scope,
        organization_id=body.organization_id,
        name=body.name,
        kind=body.kind,
        aliases=body.aliases,
    )
    return versioned_response(created, status_code=201, headers={"Location": f"/api/v1/bodies/{created['id']}"})


@router.get("/{body_id}", response_model=BodyRead, responses=problems(404))
async def get_body(body_id: BodyId, reader: ReaderDep) -> Response:
    """One body, with its aliases; its version is the ETag."""
    return versioned_response(await registry.read_body(reader.pool, scope=reader.scope, body_id=body_id))


@router.post("/{body_id}/aliases", response_model=BodyRead, responses=problems(404, 409, 412))
async def add_body_alias(
    body_id: BodyId,
    body: AliasCreate,
    writer: EditorDep,
    expected_version: ExpectedVersion,
) -> Response:
    """Say that another spelling names this body (so imports match it). Send `If-Match` to guard against lost
    updates."""
    return versioned_response(
        await registry.add_alias(
            writer.tx,
            actor=writer.actor,
            scope=writer.scope,
            body_id=body_id,
            alias=body.alias,
            expected_version=expected_version,
        )
    )
