"""Members: records, search, lifecycle events, history, `as_of`."""

import uuid
from typing import Annotated, Literal

from fastapi import Path, Query, Request, status
from pydantic import StringConstraints
from starlette.responses import Response

from app.api.auth import EditorDep, ReaderDep, api_router
from app.api.deps import PagingDep, SettingsDep, Today, UpdatedSince
from app.api.exports import FileDep, FormatParam, file_format, file_response, file_responses
from app.api.members.models import (
    MemberCreate,
    MemberEventCreate,
    MemberEventPage,
    MemberPage,
    MemberRead,
    MemberUpdate,
)
from app.api.organization_refs import optional_organization
from app.api.request_context import current_request_id
from app.api.responses import problems
from app.api.types import Day, ExpectedVersion, SearchText, document_response, items_response, page_response
from app.domain.exports import events as events_export
from app.domain.exports import members as exports
from app.domain.members import events, reads, records

router = api_router("/api/v1/members", "members")

MemberId = Annotated[uuid.UUID, Path(description="The member's id")]
AsOf = Annotated[
    Day | None,
    Query(
        description="The record as it stood that day: where, in what status; the dates of steps still to come "
        "(training certificate, admission decision, ceremony, official date before the recognition) are null"
    ),
]
# Codes of GET /reference/members (several may be given).
Codes = list[Annotated[str, StringConstraints(max_length=100)]] | None


def _location(member_id: uuid.UUID) -> str:
    return f"/api/v1/members/{member_id}"


@router.get("", response_model=MemberPage, responses={**file_responses("members"), **problems(400, 403, 404)})
async def list_members(
    request: Request,
    reader: ReaderDep,
    paging: PagingDep,
    today: Today,
    within: Annotated[uuid.UUID | None, optional_organization("within", "Members of this unit and all under it")],
    organization_id: Annotated[uuid.UUID | None, optional_organization("organization_id", "Members of this cell")],
    as_of: AsOf = None,
    updated_since: UpdatedSince = None,
    member_status: Annotated[Codes, Query(alias="status", max_length=20)] = None,
    gender: Annotated[str | None, Query(pattern="^(male|female)$")] = None,
    min_age: Annotated[int | None, Query(ge=0, le=130)] = None,
    max_age: Annotated[int | None, Query(ge=0, le=130)] = None,
    min_party_age: Annotated[int | None, Query(ge=0, le=100, description="Years since admission")] = None,
    max_party_age: Annotated[int | None, Query(ge=0, le=100)] = None,
    admitted_from: Day | None = None,
    admitted_to: Day | None = None,
    political_theory_level: Annotated[Codes, Query(max_length=20)] = None,
    ethnicity: Annotated[Codes, Query(max_length=60, description="Needs pii")] = None,
    religion: Annotated[Codes, Query(max_length=20, description="Needs pii")] = None,
    q: Annotated[SearchText | None, Query(description="Name, with or without accents")] = None,
    citizen_id: Annotated[str | None, Query(pattern="^[0-9]{12}$", description="Exact; needs pii")] = None,
    card_number: Annotated[str | None, Query(max_length=40, description="Exact party card number")] = None,
    include_ended: Annotated[
        bool,
        Query(
            description="Also the closed records (transferred out, expelled, struck off, resigned, deceased; on "
            "`as_of`: closed by that day), left out by default like a register; a `status` filter lists what it names"
        ),
    ] = False,
    hosted: Annotated[
        bool,
        Query(
            description="With `organization_id`: also the members temporarily attached to that cell (sinh hoạt tạm "
            "thời; their `host_organization_id`). They stay counted in their home cell only"
        ),
    ] = False,
    fmt: FormatParam = None,
    headers: Annotated[
        Literal["vi", "en"],
        Query(
            description="Of a CSV or XLSX file: `vi`, the Vietnamese headers and labels an office reads (those of "
            "the import template), or `en`, the API's field names and codes. The import reads both back"
        ),
    ] = "vi",
) -> Response:
    """Members in Vietnamese name order (within a subtree: unit by unit), filtered, keyset-paged; or, with
    `format=csv|xlsx|ndjson`, all of them as a file in the columns of the member import (sensitive ones with pii
    only), read in one snapshot and streamed."""
    filters = reads.MemberFilters(
        as_of=as_of,
        within=within,
        organization_id=organization_id,
        statuses=member_status or (),
        gender=gender,
        min_age=min_age,
        max_age=max_age,
        min_party_age=min_party_age,
        max_party_age=max_party_age,
        admitted_from=admitted_from,
        admitted_to=admitted_to,
        political_theory_levels=political_theory_level or (),
        ethnicities=ethnicity or (),
        religions=religion or (),
        q=q,
        citizen_id=citizen_id,
        card_number=card_number,
        include_ended=include_ended,
        hosted=hosted,
        updated_since=updated_since,
    )
    chosen = file_format(request, fmt)
    if chosen is not None:
        return await file_response(
            request,
            await exports.export_members(
                reader.pool,
                caller=reader.caller,
                scope=reader.scope,
                filters=filters,
                fmt=chosen,
                headers=headers,
                today=today,
                request_id=current_request_id(),
            ),
        )
    return page_response(
        await reads.list_members(
            reader.pool,
            caller=reader.caller,
            scope=reader.scope,
            filters=filters,
            paging=paging,
            today=today,
            request_id=current_request_id(),
        )
    )


@router.post("", status_code=status.HTTP_201_CREATED, response_model=MemberRead, responses=problems(404, 409))
async def create_member(
    body: MemberCreate,
    writer: EditorDep,
    settings: SettingsDep,
    today: Today,
    allow_same_name: Annotated[
        bool, Query(description="Create even though a record has the same name and birth date")
    ] = False,
) -> Response:
    """Register a candidate (status `candidate`, in the cell proposing them) or an existing member."""
    values = body.model_dump(exclude={"external_ids", "since", "decision_ref"}, exclude_none=True)
    doc = await records.create_member(
        writer.tx,
        actor=writer.actor,
        scope=writer.scope,
        values=values,
        external_ids=body.external_ids or [],
        allow_same_name=allow_same_name,
        since=body.since,
        today=today,
        min_age=settings.admission_min_age,
        probation_months=settings.probation_months,
        decision_ref=body.decision_ref,
    )
    return document_response(doc, status_code=201, location=_location(doc.id))


@router.get("/{member_id}", response_model=MemberRead, responses=problems(404))
async def get_member(member_id: MemberId, reader: ReaderDep, as_of: AsOf = None) -> Response:
    """One member (as they stood on `as_of`, if given)."""
    return document_response(
        await reads.read_member(
            reader.pool,
            caller=reader.caller,
            scope=reader.scope,
            member_id=member_id,
            as_of=as_of,
            request_id=current_request_id(),
        )
    )


@router.patch("/{member_id}", response_model=MemberRead, responses=problems(404, 409, 412))
async def update_member(
    member_id: MemberId,
    body: MemberUpdate,
    writer: EditorDep,
    settings: SettingsDep,
    expected_version: ExpectedVersion,
    allow_same_name: bool = False,
) -> Response:
    """Correct a record. Status and organisation change through events (POST …/events)."""
    return document_response(
        await records.update_member(
            writer.tx,
            actor=writer.actor,
            scope=writer.scope,
            member_id=member_id,
            changes=body.model_dump(exclude_unset=True),
            expected_version=expected_version,
            allow_same_name=allow_same_name,
            probation_months=settings.probation_months,
        )
    )


@router.post(
    "/{member_id}/events", status_code=status.HTTP_201_CREATED, response_model=MemberRead, responses=problems(404, 409)
)
async def record_member_event(
    member_id: MemberId,
    body: MemberEventCreate,
    writer: EditorDep,
    settings: SettingsDep,
    expected_version: ExpectedVersion,
) -> Response:
    """Record a step of the member's life: admit, recognize, fail_probation, transfer (to a cell of the tree, or
    out with `destination`), temporary_transfer, return_from_temporary, exempt, end_exemption, suspend,
    end_suspension, expel, strike_off, resign, die. A step the rules forbid is a 409 naming the rule."""
    doc = await events.record_event(
        writer.tx,
        actor=writer.actor,
        scope=writer.scope,
        member_id=member_id,
        kind=body.kind,
        on=body.date,
        decision_ref=body.decision_ref,
        note=body.note,
        to_organization_id=body.to_organization_id,
        destination=body.destination,
        age_exception=body.age_exception,
        ceremony_date=body.ceremony_date,
        min_age=settings.admission_min_age,
        max_age=settings.admission_max_age,
        probation_months=settings.probation_months,
        sponsor_min_months=settings.sponsor_min_months,
        expected_version=expected_version,
    )
    return document_response(doc, status_code=201)


@router.get(
    "/{member_id}/history", response_model=MemberEventPage, responses={**file_responses("events"), **problems(404)}
)
async def get_member_history(member_id: MemberId, reader: ReaderDep, file: FileDep) -> Response:
    """Every recorded step, oldest first (a disciplinary event's decision and note only with pii); with `format=`,
    as a file."""
    if file.wanted is not None:
        return await file.send(
            await events_export.export_history(
                reader.pool, caller=reader.caller, scope=reader.scope, member_id=member_id, wanted=file.wanted
            )
        )
    return items_response(
        await reads.member_history(reader.pool, caller=reader.caller, scope=reader.scope, member_id=member_id)
    )
