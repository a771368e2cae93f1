"""The records organisations keep: working regulations, inspections, committee terms."""

import uuid
from typing import Annotated, Any

from fastapi import Path, status

from app.api.auth import EditorDep, Reader, ReaderDep, api_router
from app.api.exports import FileAsked, FileDep, file_responses
from app.api.records.models import (
    InspectionCreate,
    InspectionPage,
    InspectionRead,
    RegulationCreate,
    RegulationPage,
    RegulationRead,
    TermCreate,
    TermPage,
    TermRead,
)
from app.api.responses import problems
from app.domain.exports import records as exports
from app.domain.exports.files import Wanted
from app.domain.exports.records import RecordKind
from app.domain.records import service

router = api_router("/api/v1/organizations", "records")

OrgId = Annotated[uuid.UUID, Path(description="The organisation's id")]


@router.post(
    "/{organization_id}/regulations",
    status_code=status.HTTP_201_CREATED,
    response_model=RegulationRead,
    responses=problems(404),
)
async def add_regulation(organization_id: OrgId, body: RegulationCreate, writer: EditorDep) -> dict[str, Any]:
    """Record working regulations the organisation issued."""
    return await service.add_regulation(
        writer.tx,
        actor=writer.actor,
        scope=writer.scope,
        organization_id=organization_id,
        issued_on=body.issued_on,
        reference=body.reference,
        title=body.title,
    )


@router.get(
    "/{organization_id}/regulations",
    response_model=RegulationPage,
    responses={**file_responses("regulations"), **problems(404)},
)
async def list_regulations(organization_id: OrgId, reader: ReaderDep, file: FileDep) -> Any:
    """The working regulations the organisation issued, oldest first; with `format=`, as a file."""
    if file.wanted is not None:
        return await _file(file, file.wanted, reader, organization_id, "regulations")
    items = await service.organization_records(
        reader.pool, scope=reader.scope, organization_id=organization_id, kind="regulations"
    )
    return {"items": items, "next_cursor": None}


@router.post(
    "/{organization_id}/inspections",
    status_code=status.HTTP_201_CREATED,
    response_model=InspectionRead,
    responses=problems(404),
)
async def add_inspection(organization_id: OrgId, body: InspectionCreate, writer: EditorDep) -> dict[str, Any]:
    """Record an inspection of the organisation: by which body, for which year, and its conclusion."""
    return await service.add_inspection(
        writer.tx,
        actor=writer.actor,
        scope=writer.scope,
        organization_id=organization_id,
        inspecting_body=body.inspecting_body,
        year=body.year,
        inspected_on=body.inspected_on,
        conclusion=body.conclusion,
        reference=body.reference,
    )


@router.get(
    "/{organization_id}/inspections",
    response_model=InspectionPage,
    responses={**file_responses("inspections"), **problems(404)},
)
async def list_inspections(organization_id: OrgId, reader: ReaderDep, file: FileDep) -> Any:
    """Inspections of the organisation, oldest first; with `format=`, as a file."""
    if file.wanted is not None:
        return await _file(file, file.wanted, reader, organization_id, "inspections")
    items = await service.organization_records(
        reader.pool, scope=reader.scope, organization_id=organization_id, kind="inspections"
    )
    return {"items": items, "next_cursor": None}


@router.post(
    "/{organization_id}/terms",
    status_code=status.HTTP_201_CREATED,
    response_model=TermRead,
    responses=problems(404, 409),
)
async def add_term(organization_id: OrgId, body: TermCreate, writer: EditorDep) -> dict[str, Any]:
    """Record a term of the organisation's committee ("2025-2030"); terms do not overlap (409)."""
    return await service.add_term(
        writer.tx,
        actor=writer.actor,
        scope=writer.scope,
        organization_id=organization_id,
        label=body.label,
        starts_on=body.starts_on,
        ends_on=body.ends_on,
    )


@router.get("/{organization_id}/terms", response_model=TermPage, responses={**file_responses("terms"), **problems(404)})
async def list_terms(organization_id: OrgId, reader: ReaderDep, file: FileDep) -> Any:
    """The organisation's committee terms, oldest first; with `format=`, as a file."""
    if file.wanted is not None:
        return await _file(file, file.wanted, reader, organization_id, "terms")
    items = await service.organization_records(
        reader.pool, scope=reader.scope, organization_id=organization_id, kind="terms"
    )
    return {"items": items, "next_cursor": None}


async def _file(file: FileAsked, wanted: Wanted, reader: Reader, organization_id: uuid.UUID, kind: RecordKind) -> Any:
    return await file.send(
        await exports.export_records(
            reader.pool, scope=reader.scope, organization_id=organization_id, kind=kind, wanted=wanted
        )
    )
