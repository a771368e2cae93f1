"""Party positions of an organisation, public posts of a member, and who leads a unit on a date."""

import uuid
from typing import Annotated

from fastapi import Path, Query, status
from starlette.responses import Response

from app.api.auth import EditorDep, ReaderDep, api_router
from app.api.deps import SettingsDep, Today
from app.api.responses import problems
from app.api.types import Day, dump, json_response
from app.api.unit_models import (
    LabelledCode,
    Leadership,
    MemberPositions,
    PositionCreate,
    PositionEnd,
    PositionPage,
    PositionRead,
    PositionReference,
    PostCreate,
    PostEnd,
    PostRead,
)
from app.db import positions as db
from app.db.organization_writes import driver_connection
from app.domain import positions as service
from app.domain.ratings import BAND_LABELS, NotRatedReason

router = api_router("/api/v1", "positions")
reference = api_router("/api/v1/reference", "reference")

OrgId = Annotated[uuid.UUID, Path(description="The organisation's id")]
MemberId = Annotated[uuid.UUID, Path(description="The member's id")]
AsOfDay = Annotated[Day | None, Query(description="The day asked about (default: today)")]



@reference.get("/positions", response_model=PositionReference)
async def get_position_reference() -> PositionReference:
    """Party positions, public posts, rating bands and reasons for not rating, with Vietnamese labels."""
    return PositionReference(
        positions=[LabelledCode(value=p.value, label_vi=label) for p, label in service.POSITION_LABELS.items()],
        posts=[LabelledCode(value=p.value, label_vi=label) for p, label in service.POST_LABELS.items()],
        community_head_posts=sorted(p.value for p in service.COMMUNITY_HEAD_POSTS),
        rating_bands=[LabelledCode(value=b.value, label_vi=label) for b, label in BAND_LABELS.items()],
        not_rated_reasons=[r.value for r in NotRatedReason],
    )


@router.post("/organizations/{organization_id}/positions", status_code=status.HTTP_201_CREATED,
             response_model=PositionRead, responses=problems(404, 409))
async def add_position(organization_id: OrgId, body: PositionCreate, writer: EditorDep) -> Response:
    """Seat a member in the organisation's leadership. The member must belong to the organisation (or a unit
    under it) on `valid_from`; one secretary at a time (409 `one_secretary_at_a_time`); one seat per member."""
    position_id = await service.add_position(
        writer.session, actor=writer.actor, scope=writer.scope, organization_id=organization_id,
        member_id=body.member_id, position=body.position, valid_from=body.valid_from, valid_to=body.valid_to,
        decision_ref=body.decision_ref)
    row = await db.get_position(await driver_connection(writer.session), position_id)
    return json_response(dump(dict(row or {})), status_code=201)


@router.get("/organizations/{organization_id}/positions", response_model=PositionPage, responses=problems(404))
async def list_organization_positions(organization_id: OrgId, reader: ReaderDep, today: Today,
                                      as_of: AsOfDay = None) -> Response:
    """The seats of the organisation's leadership held on `as_of` (default: today), secretary first."""
    rows = await service.organization_positions(reader.pool, scope=reader.scope, organization_id=organization_id,
                                                on=as_of or today)
    return json_response(dump({"items": rows, "next_cursor": None}))


@router.post("/organizations/{organization_id}/positions/{position_id}/end", response_model=PositionRead,
             responses=problems(404, 409))
async def end_position(organization_id: OrgId, position_id: uuid.UUID, body: PositionEnd,
                       writer: EditorDep) -> Response:
    """End a seat: from `valid_to` on, it is no longer held."""
    await service.end_position(writer.session, actor=writer.actor, scope=writer.scope,
                               organization_id=organization_id, position_id=position_id, valid_to=body.valid_to,
                               end_decision_ref=body.decision_ref)
    row = await db.get_position(await driver_connection(writer.session), position_id)
    return json_response(dump(dict(row or {})))


@router.get("/organizations/{organization_id}/leadership", response_model=Leadership, responses=problems(404))
async def get_leadership(organization_id: OrgId, reader: ReaderDep, settings: SettingsDep, today: Today,
                         as_of: AsOfDay = None) -> Response:
    """Who leads the unit on `as_of` (default: today): secretary, deputies, every seat; for a cell, whether it has
    a cell committee (COSO_CELL_COMMITTEE_MIN_POSITIONS seats filled, the secretary's included) and whether its
    secretary is also the head of the village or residential group it stands for."""
    found = await service.leadership(reader.pool, scope=reader.scope, organization_id=organization_id,
                                     on=as_of or today,
                                     cell_committee_min_positions=settings.cell_committee_min_positions)
    return json_response(dump(found))


@router.get("/members/{member_id}/positions", response_model=MemberPositions, responses=problems(404))
async def list_member_positions(member_id: MemberId, reader: ReaderDep) -> Response:
    """Every party position and public post the member held or holds, oldest first."""
    return json_response(dump(await service.member_positions(reader.pool, scope=reader.scope, member_id=member_id)))


@router.post("/members/{member_id}/posts", status_code=status.HTTP_201_CREATED, response_model=PostRead,
             responses=problems(404, 409))
async def record_post_held(member_id: MemberId, body: PostCreate, writer: EditorDep) -> Response:
    """Record a public post the member holds concurrently (village head, commune chair, …). Linked to a unit
    (`organization_id`), it counts for that unit's indicators, one holder at a time (409 `post_taken`)."""
    post_id = await service.add_post(
        writer.session, actor=writer.actor, scope=writer.scope, member_id=member_id, post=body.post,
        place=body.place, organization_id=body.organization_id, valid_from=body.valid_from, valid_to=body.valid_to,
        decision_ref=body.decision_ref)
    row = await db.get_post(await driver_connection(writer.session), post_id)
    return json_response(dump(dict(row or {})), status_code=201)


@router.post("/members/{member_id}/posts/{post_id}/end", response_model=PostRead, responses=problems(404, 409))
async def end_post_held(member_id: MemberId, post_id: uuid.UUID, body: PostEnd, writer: EditorDep) -> Response:
    """End a public post: from `valid_to` on, the member no longer holds it."""
    await service.end_post(writer.session, actor=writer.actor, scope=writer.scope, member_id=member_id,
                           post_id=post_id, valid_to=body.valid_to)
    row = await db.get_post(await driver_connection(writer.session), post_id)
    return json_response(dump(dict(row or {})))
