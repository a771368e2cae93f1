"""Bodies: the agencies and collectives plans assign tasks to."""

import uuid
from typing import Annotated

from fastapi import Path, Query, status
from starlette.responses import Response

from app.api.auth import EditorDep, ReaderDep, api_router
from app.api.deps import PagingDep
from app.api.plan_models import AliasCreate, BodyCreate, BodyPage, BodyRead
from app.api.responses import problems
from app.api.types import SearchText, dump, json_response
from app.db import plans as db
from app.db.organization_writes import driver_connection
from app.domain.errors import NotFound
from app.domain.plans import service
from app.domain.plans.bodies import normalise_body_name

router = api_router("/api/v1/bodies", "bodies")

BodyId = Annotated[uuid.UUID, Path(description="The body's id")]



@router.get("", response_model=BodyPage, responses=problems(400))
async def list_bodies(reader: ReaderDep, paging: PagingDep, organization_id: uuid.UUID | None = None,
                      q: Annotated[SearchText | None, Query(description="Forgiving name search "
                                                                        "(accents, case, abbreviations)")]
                      = None) -> Response:
    """Bodies the caller may see, by name."""
    position = paging.after("bodies")
    rows = await db.list_bodies(reader.pool, scope=reader.scope, organization_id=organization_id,
                                q_key=normalise_body_name(q) if q else None,
                                after=(str(position["n"]), uuid.UUID(position["i"])) if position else None,
                                limit=paging.fetch)
    page = paging.page(rows, kind="bodies", position=lambda r: {"n": r["name_key"], "i": str(r["id"])})
    return json_response(dump({"items": [dict(r) for r in page.items], "next_cursor": page.next_cursor}))


@router.post("", status_code=status.HTTP_201_CREATED, response_model=BodyRead, responses=problems(404, 409))
async def create_body(body: BodyCreate, writer: EditorDep) -> Response:
    """Register a body (refused when its name or an alias matches a known body of the same organisation)."""
    body_id = await service.create_body(writer.session, actor=writer.actor, scope=writer.scope,
                                        organization_id=body.organization_id, name=body.name, kind=body.kind,
                                        aliases=body.aliases)
    row = await db.read_body(await driver_connection(writer.session), body_id, scope=writer.scope)
    return json_response(dump(dict(row or {})), status_code=201, headers={"Location": f"/api/v1/bodies/{body_id}"})


@router.get("/{body_id}", response_model=BodyRead, responses=problems(404))
async def get_body(body_id: BodyId, reader: ReaderDep) -> Response:
    """One body, with its aliases."""
    row = await db.read_body(reader.pool, body_id, scope=reader.scope)
    if row is None:
        raise NotFound(f"No body with id {body_id} exists.", code="body_not_found")
    return json_response(dump(dict(row)))


@router.post("/{body_id}/aliases", response_model=BodyRead, responses=problems(404, 409))
async def add_body_alias(body_id: BodyId, body: AliasCreate, writer: EditorDep) -> Response:
    """Say that another spelling names this body (so imports match it)."""
    await service.add_alias(writer.session, actor=writer.actor, scope=writer.scope, body_id=body_id,
                            alias=body.alias)
    row = await db.read_body(await driver_connection(writer.session), body_id, scope=writer.scope)
    return json_response(dump(dict(row or {})))
