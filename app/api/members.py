"""Members: records, search, lifecycle events, history, `as_of`."""

import hashlib
import uuid
from datetime import date
from typing import Annotated, Any

import orjson
from fastapi import Header, Path, Query, status
from starlette.responses import Response

from app.api.auth import EditorDep, ReaderDep, api_router
from app.api.deps import PagingDep, SettingsDep, Today
from app.api.member_models import (
    Labelled,
    MemberCreate,
    MemberEventCreate,
    MemberEventPage,
    MemberPage,
    MemberRead,
    MemberReference,
    MemberUpdate,
)
from app.api.request_context import current_request_id
from app.api.responses import problems
from app.api.types import Day, SearchText, items_response, json_response, nfc, page_response
from app.db import members as db
from app.db.organization_writes import driver_connection
from app.domain import audit
from app.domain.members import service
from app.domain.members.catalogues import CATALOGUES
from app.domain.members.lifecycle import DISCIPLINE, LABELS_VI
from app.domain.members.names import sort_key
from app.domain.organizations import tree
from app.domain.pagination import Page

router = api_router("/api/v1/members", "members")

MemberId = Annotated[uuid.UUID, Path(description="The member's id")]
AsOf = Annotated[Day | None, Query(description="Where this member was, in what status, on that day")]


def _shift_years(day: date, years: int) -> date:
    try:
        return day.replace(year=day.year - years)
    except ValueError:  # 29 February
        return day.replace(year=day.year - years, day=28)


@router.get("", response_model=MemberPage, responses=problems(400, 403))
async def list_members(
    reader: ReaderDep, paging: PagingDep, today: Today, as_of: AsOf = None,
    within: Annotated[uuid.UUID | None, Query(description="Members of this unit and everything under it")] = None,
    organization_id: Annotated[uuid.UUID | None, Query(description="Members of this cell")] = None,
    member_status: Annotated[list[str] | None, Query(alias="status")] = None,
    gender: Annotated[str | None, Query(pattern="^(male|female)$")] = None,
    min_age: Annotated[int | None, Query(ge=0, le=130)] = None,
    max_age: Annotated[int | None, Query(ge=0, le=130)] = None,
    min_party_age: Annotated[int | None, Query(ge=0, le=100, description="Years since admission")] = None,
    max_party_age: Annotated[int | None, Query(ge=0, le=100)] = None,
    admitted_from: Day | None = None, admitted_to: Day | None = None,
    political_theory_level: Annotated[list[str] | None, Query()] = None,
    ethnicity: Annotated[list[str] | None, Query(description="Needs pii")] = None,
    religion: Annotated[list[str] | None, Query(description="Needs pii")] = None,
    q: Annotated[SearchText | None, Query(description="Name, with or without accents")] = None,
    citizen_id: Annotated[str | None, Query(pattern="^[0-9]{12}$", description="Exact; needs pii")] = None,
    card_number: Annotated[str | None, Query(max_length=40, description="Exact party card number")] = None,
) -> Response:
    """Members in Vietnamese name order (within a subtree: unit by unit), filtered, keyset-paged."""
    service.require_pii_for(reader.caller, ethnicity=ethnicity, religion=religion, citizen_id=citizen_id)
    day = as_of or today
    within_path = await tree.resolve_within(reader.pool, within, scope=reader.scope, as_of=as_of) if within else None
    query = db.MemberQuery(
        as_of=as_of, within_path=within_path, organization_id=organization_id, statuses=member_status or (),
        gender=gender, born_from=_shift_years(day, max_age + 1) if max_age is not None else None,
        born_to=_shift_years(day, min_age) if min_age is not None else None,
        admitted_from=max(filter(None, [admitted_from, _shift_years(day, max_party_age + 1)
                                        if max_party_age is not None else None]), default=None),
        admitted_to=min(filter(None, [admitted_to, _shift_years(day, min_party_age)
                                      if min_party_age is not None else None]), default=None),
        political_theory_levels=political_theory_level or (), ethnicities=ethnicity or (), religions=religion or (),
        q=nfc(q) if q else None, q_sort_key=sort_key(nfc(q)) if q else None, citizen_id=citizen_id,
        card_number=card_number, pii=reader.caller.pii)
    fingerprint = repr(sorted((k, str(v)) for k, v in query.__dict__.items()))
    kind = "members:" + hashlib.blake2s(fingerprint.encode(), digest_size=6).hexdigest()
    position = paging.after(kind)
    rows = await db.list_members(reader.pool, db.MemberQuery(**{**query.__dict__,
                                                                 "after": position["a"] if position else None,
                                                                 "limit": paging.fetch}), scope=reader.scope)

    def key(row: Any) -> dict[str, Any]:
        values = [row[k] for k in row.keys() if k.startswith("k")]
        return {"a": [v if isinstance(v, int | str) else str(v) for v in values]}

    page = paging.page(rows, kind=kind, position=key)
    docs = [r["doc"] for r in page.items]
    await audit.record_sensitive_read(reader.pool, reader.caller, request_id=current_request_id(), entity="member",
                                      ids=[uuid.UUID(orjson.loads(d)["id"]) for d in docs] if reader.caller.pii
                                      and reader.caller.kind == "jwt" else [])
    return page_response(Page(items=docs, next_cursor=page.next_cursor))


@router.post("", status_code=status.HTTP_201_CREATED, response_model=MemberRead, responses=problems(404, 409))
async def create_member(
    body: MemberCreate, writer: EditorDep, settings: SettingsDep, today: Today,
    allow_same_name: Annotated[bool, Query(description="Create even though a record has the same name and "
                                                       "birth date")] = False,
) -> Response:
    """Register a candidate (status `candidate`, in the cell proposing them) or an existing member."""
    values = body.model_dump(exclude={"external_ids", "since", "decision_ref"}, exclude_none=True)
    member_id = await service.create_member(
        writer.session, actor=writer.actor, scope=writer.scope, values=values,
        external_ids=body.external_ids or [], allow_same_name=allow_same_name, since=body.since or today,
        min_age=settings.admission_min_age, decision_ref=body.decision_ref)
    row = await service.read_member(await driver_connection(writer.session), caller=writer.actor.caller,
                                    scope=writer.scope, member_id=member_id, as_of=None)
    return json_response(row["doc"].encode(), status_code=201,
                         headers={"Location": f"/api/v1/members/{member_id}", "ETag": f'"{row["version"]}"'})


@router.get("/{member_id}", response_model=MemberRead, responses=problems(404))
async def get_member(member_id: MemberId, reader: ReaderDep, as_of: AsOf = None) -> Response:
    """One member (as they stood on `as_of`, if given)."""
    row = await service.read_member(reader.pool, caller=reader.caller, scope=reader.scope, member_id=member_id,
                                    as_of=as_of)
    await audit.record_sensitive_read(reader.pool, reader.caller, request_id=current_request_id(), entity="member",
                                      ids=[member_id])
    return json_response(row["doc"].encode(), headers={"ETag": f'"{row["version"]}"'})


@router.patch("/{member_id}", response_model=MemberRead, responses=problems(404, 409, 412))
async def update_member(
    member_id: MemberId, body: MemberUpdate, writer: EditorDep,
    if_match: Annotated[str | None, Header(description='The version you read, e.g. "3"')] = None,
    allow_same_name: bool = False,
) -> Response:
    """Correct a record. Status and organisation change through events (POST …/events)."""
    expected = int(if_match.strip('W/"')) if if_match and if_match.strip('W/"').isdigit() else None
    await service.update_member(writer.session, actor=writer.actor, scope=writer.scope, member_id=member_id,
                                changes=body.model_dump(exclude_unset=True), expected_version=expected,
                                allow_same_name=allow_same_name)
    row = await service.read_member(await driver_connection(writer.session), caller=writer.actor.caller,
                                    scope=writer.scope, member_id=member_id, as_of=None)
    return json_response(row["doc"].encode(), headers={"ETag": f'"{row["version"]}"'})


@router.post("/{member_id}/events", status_code=status.HTTP_201_CREATED, response_model=MemberRead,
             responses=problems(404, 409))
async def record_member_event(member_id: MemberId, body: MemberEventCreate, writer: EditorDep,
                              settings: SettingsDep) -> Response:
    """Record a step of the member's life: admit, recognize, fail_probation, transfer (to a cell of the tree, or
    out with `destination`), temporary_transfer, return_from_temporary, exempt, end_exemption, suspend,
    end_suspension, expel, strike_off, resign, die. A step the rules forbid is a 409 naming the rule."""
    await service.record_event(
        writer.session, actor=writer.actor, scope=writer.scope, member_id=member_id, kind=body.kind, on=body.date,
        decision_ref=body.decision_ref, note=body.note, to_organization_id=body.to_organization_id,
        destination=body.destination, age_exception=body.age_exception, ceremony_date=body.ceremony_date,
        min_age=settings.admission_min_age, max_age=settings.admission_max_age)
    row = await service.read_member(await driver_connection(writer.session), caller=writer.actor.caller,
                                    scope=writer.scope, member_id=member_id, as_of=None)
    return json_response(row["doc"].encode(), status_code=201, headers={"ETag": f'"{row["version"]}"'})


@router.get("/{member_id}/history", response_model=MemberEventPage, responses=problems(404))
async def get_member_history(member_id: MemberId, reader: ReaderDep) -> Response:
    """Every recorded step, oldest first."""
    await service.read_member(reader.pool, caller=reader.caller, scope=reader.scope, member_id=member_id,
                              as_of=None)
    return items_response(await db.history(reader.pool, member_id, pii=reader.caller.pii,
                                           discipline=[k.value for k in DISCIPLINE]))


reference = api_router("/api/v1/reference", "reference")


@reference.get("/members", response_model=MemberReference)
async def get_member_reference() -> Response:
    """Catalogues of member records (ethnicities, religions, levels, statuses) and event kinds, with labels."""
    body = {name: [Labelled(value=k, label_vi=v).model_dump() for k, v in values.items()]
            for name, values in CATALOGUES.items()}
    body["event_kind"] = [{"value": k.value, "label_vi": v} for k, v in LABELS_VI.items()]
    return json_response(orjson.dumps(body))
