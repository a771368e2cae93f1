"""Organisation endpoints: HTTP in, one domain call, JSON out."""

import uuid
from typing import Annotated

from fastapi import Path, Query, Request, status
from starlette.responses import Response

from app.api.auth import EditorDep, ReaderDep, ReorganizerDep, api_router
from app.api.deps import ActiveOn, AsOf, PagingDep, Today, UpdatedSince
from app.api.exports import FormatParam, file_format, file_response, file_responses
from app.api.organization_refs import optional_organization
from app.api.organizations.models import (
    DissolveRequest,
    LineagePage,
    MergeRequest,
    MoveRequest,
    OrganizationCreate,
    OrganizationPage,
    OrganizationRead,
    OrganizationUpdate,
    SplitRequest,
    SplitResult,
)
from app.api.responses import problems
from app.api.types import (
    ExpectedVersion,
    NfcStr,
    SearchText,
    document_response,
    items_response,
    json_response,
    page_response,
)
from app.domain.exports import organizations as exports
from app.domain.organizations import changes, placing, reorganize, tree
from app.domain.organizations.rules import Category, Kind

router = api_router("/api/v1/organizations", "organizations")

OrgId = Annotated[uuid.UUID, Path(description="The organisation's id")]
CodePath = Annotated[NfcStr, Path(max_length=64, description="The organisation's code")]


def _location(org_id: uuid.UUID) -> str:
    return f"/api/v1/organizations/{org_id}"


@router.get("", response_model=OrganizationPage, responses={**file_responses("organisations"), **problems(400, 404)})
async def list_organizations(
    request: Request,
    reader: ReaderDep,
    today: Today,
    paging: PagingDep,
    parent_id: Annotated[uuid.UUID | None, optional_organization("parent_id", "Direct children of this unit")],
    within: Annotated[uuid.UUID | None, optional_organization("within", "This unit and everything under it")],
    as_of: AsOf = None,
    active_on: ActiveOn = None,
    updated_since: UpdatedSince = None,
    kind: Annotated[list[Kind] | None, Query(description="One or more kinds")] = None,
    category: Annotated[list[Category] | None, Query(description="One or more categories")] = None,
    q: Annotated[
        SearchText | None, Query(description="Search names and codes, with or without accents; exact matches first")
    ] = None,
    fmt: FormatParam = None,
) -> Response:
    """List organisations in tree order (or by relevance with `q`), filtered, keyset-paged; or, with
    `format=csv|xlsx|ndjson`, all of them (in tree order) as a file, read in one snapshot and streamed."""
    filters = tree.OrganizationFilters(
        as_of=as_of,
        active_on=active_on,
        kinds=[k.value for k in kind or ()],
        categories=[c.value for c in category or ()],
        parent_id=parent_id,
        within=within,
        q=q,
        updated_since=updated_since,
    )
    chosen = file_format(request, fmt)
    if chosen is not None:
        return await file_response(
            request,
            await exports.export_organizations(
                reader.pool, scope=reader.scope, filters=filters, fmt=chosen, today=today
            ),
        )
    return page_response(await tree.list_organizations(reader.pool, scope=reader.scope, filters=filters, paging=paging))


@router.post("", status_code=status.HTTP_201_CREATED, response_model=OrganizationRead, responses=problems(409))
async def create_organization(body: OrganizationCreate, writer: EditorDep, today: Today) -> Response:
    """Create an organisation under a parent (kind rules checked), or a root."""
    doc = await changes.create_organization(
        writer.tx,
        actor=writer.actor,
        scope=writer.scope,
        code=body.code,
        name=body.name,
        kind=body.kind,
        category=body.category,
        parent_id=body.parent_id,
        valid_from=body.valid_from or today,
        external_ids=body.external_ids,
        decision_ref=body.decision_ref,
        note=body.note,
    )
    return document_response(doc, status_code=201, location=_location(doc.id))


@router.get("/by_code/{code}", response_model=OrganizationRead, responses=problems(404))
async def get_organization_by_code(code: CodePath, reader: ReaderDep, as_of: AsOf = None) -> Response:
    """Read one organisation by its code."""
    return document_response(await tree.read_organization(reader.pool, scope=reader.scope, as_of=as_of, code=code))


@router.get("/by_external_id/{external_id}", response_model=OrganizationRead, responses=problems(404))
async def get_organization_by_external_id(
    external_id: Annotated[str, Path(max_length=200)], reader: ReaderDep, as_of: AsOf = None
) -> Response:
    """Read one organisation by an identifier another system gave it ("system:id")."""
    return document_response(
        await tree.read_organization(reader.pool, scope=reader.scope, as_of=as_of, external_id=external_id)
    )


@router.post(
    "/merge", status_code=status.HTTP_201_CREATED, response_model=OrganizationRead, responses=problems(404, 409)
)
async def merge_organizations(body: MergeRequest, writer: ReorganizerDep, today: Today) -> Response:
    """Merge units into a new one (`into`) or into an existing one (`into_id`) from `effective_date`: their
    children move under it and the sources end. Answers the merged unit."""
    into = placing.NewUnit(**body.into.model_dump()) if body.into else None
    doc = await reorganize.merge_organizations(
        writer.tx,
        actor=writer.actor,
        scope=writer.scope,
        source_ids=body.source_ids,
        into_id=body.into_id,
        into=into,
        day=body.effective_date or today,
        decision_ref=body.decision_ref,
        note=body.note,
    )
    return document_response(doc, status_code=201, location=_location(doc.id))


@router.get("/{organization_id}", response_model=OrganizationRead, responses=problems(404))
async def get_organization(organization_id: OrgId, reader: ReaderDep, as_of: AsOf = None) -> Response:
    """Read one organisation (as it stood on `as_of`, if given)."""
    return document_response(
        await tree.read_organization(reader.pool, scope=reader.scope, as_of=as_of, org_id=organization_id)
    )


@router.patch("/{organization_id}", response_model=OrganizationRead, responses=problems(404, 409, 412))
async def update_organization(
    organization_id: OrgId, body: OrganizationUpdate, writer: EditorDep, expected_version: ExpectedVersion
) -> Response:
    """Correct code, name, kind, category or external identifiers. Send `If-Match` to guard against lost
    updates. Moving the unit is a reorganisation (`/move`)."""
    return document_response(
        await changes.update_organization(
            writer.tx,
            actor=writer.actor,
            scope=writer.scope,
            org_id=organization_id,
            changes=body.model_dump(exclude_unset=True),
            expected_version=expected_version,
        )
    )


@router.get("/{organization_id}/children", response_model=OrganizationPage, responses=problems(400, 404))
async def list_children(
    organization_id: OrgId,
    reader: ReaderDep,
    paging: PagingDep,
    as_of: AsOf = None,
    active_on: ActiveOn = None,
    updated_since: UpdatedSince = None,
) -> Response:
    """The units directly under this one."""
    return page_response(
        await tree.children(
            reader.pool,
            organization_id,
            scope=reader.scope,
            as_of=as_of,
            active_on=active_on,
            paging=paging,
            updated_since=updated_since,
        )
    )


@router.get("/{organization_id}/ancestors", response_model=OrganizationPage, responses=problems(404))
async def list_ancestors(organization_id: OrgId, reader: ReaderDep, as_of: AsOf = None) -> Response:
    """The path from the root (or the top of the caller's scope) down to this unit's parent, root first (one
    page, never more than the depth)."""
    return items_response(await tree.ancestors(reader.pool, organization_id, scope=reader.scope, as_of=as_of))


@router.get("/{organization_id}/subtree", response_model=OrganizationPage, responses=problems(400, 404))
async def list_subtree(
    organization_id: OrgId,
    reader: ReaderDep,
    paging: PagingDep,
    as_of: AsOf = None,
    active_on: ActiveOn = None,
    updated_since: UpdatedSince = None,
    max_depth: Annotated[
        int | None, Query(ge=0, le=20, description="Levels below the unit (0 = the unit alone)")
    ] = None,
) -> Response:
    """This unit and everything under it, depth-first in tree order, keyset-paged."""
    return page_response(
        await tree.subtree(
            reader.pool,
            organization_id,
            scope=reader.scope,
            as_of=as_of,
            active_on=active_on,
            max_depth=max_depth,
            paging=paging,
            updated_since=updated_since,
        )
    )


@router.get("/{organization_id}/lineage", response_model=LineagePage, responses=problems(404))
async def list_lineage(organization_id: OrgId, reader: ReaderDep) -> Response:
    """Every structural event this unit took part in (created, moved, merged, split, dissolved), oldest first."""
    return items_response(await tree.lineage(reader.pool, organization_id, scope=reader.scope))


@router.post("/{organization_id}/move", response_model=OrganizationRead, responses=problems(404, 409))
async def move_organization(
    organization_id: OrgId,
    body: MoveRequest,
    writer: ReorganizerDep,
    today: Today,
    expected_version: ExpectedVersion,
) -> Response:
    """Move the unit with its whole subtree under a new parent from `effective_date` (the old place stays in
    the history)."""
    return document_response(
        await reorganize.move_organization(
            writer.tx,
            actor=writer.actor,
            scope=writer.scope,
            org_id=organization_id,
            parent_id=body.parent_id,
            day=body.effective_date or today,
            decision_ref=body.decision_ref,
            note=body.note,
            expected_version=expected_version,
        )
    )


@router.post("/{organization_id}/dissolve", response_model=OrganizationRead, responses=problems(404, 409))
async def dissolve_organization(
    organization_id: OrgId,
    body: DissolveRequest,
    writer: ReorganizerDep,
    today: Today,
    expected_version: ExpectedVersion,
) -> Response:
    """End the unit on `effective_date`. It must have no units left under it then. A unit moved that same day
    ends at its new place (`placed_from` = `placed_to` = that day), as its lineage says; a merge or a split dated
    the day of a move does the same."""
    return document_response(
        await reorganize.dissolve_organization(
            writer.tx,
            actor=writer.actor,
            scope=writer.scope,
            org_id=organization_id,
            day=body.effective_date or today,
            decision_ref=body.decision_ref,
            note=body.note,
            expected_version=expected_version,
        )
    )


@router.post(
    "/{organization_id}/split",
    status_code=status.HTTP_201_CREATED,
    response_model=SplitResult,
    responses=problems(404, 409),
)
async def split_organization(
    organization_id: OrgId, body: SplitRequest, writer: ReorganizerDep, today: Today, expected_version: ExpectedVersion
) -> Response:
    """Split the unit into new ones from `effective_date`; each child goes to the part that lists it."""
    parts = [placing.NewUnit(**p.model_dump()) for p in body.parts]
    docs = await reorganize.split_organization(
        writer.tx,
        actor=writer.actor,
        scope=writer.scope,
        org_id=organization_id,
        parts=parts,
        day=body.effective_date or today,
        decision_ref=body.decision_ref,
        note=body.note,
        expected_version=expected_version,
    )
    return json_response(
        b'{"items":[' + ",".join(d.json for d in docs).encode() + b'],"next_cursor":null}', status_code=201
    )
