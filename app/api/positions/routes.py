"""Party positions of an organisation, public posts of a member, and who leads a unit on a date."""

import uuid
from typing import Annotated, Any

from fastapi import Path, Query, Response, status

from app.api.auth import EditorDep, ReaderDep, api_router
from app.api.deps import SettingsDep, Today
from app.api.exports import FileDep, file_responses
from app.api.positions.models import (
    Leadership,
    MemberPositions,
    PositionCreate,
    PositionEnd,
    PositionPage,
    PositionRead,
    PostCreate,
    PostEnd,
    PostRead,
)
from app.api.responses import problems
from app.api.types import Day, ExpectedVersion, tagged
from app.domain.exports import positions as exports
from app.domain.positions import posts, service
from app.domain.positions.composition import SeatRules

router = api_router("/api/v1", "positions")

OrgId = Annotated[uuid.UUID, Path(description="The organisation's id")]
MemberId = Annotated[uuid.UUID, Path(description="The member's id")]
AsOfDay = Annotated[Day | None, Query(description="The day asked about (default: today)")]


@router.post(
    "/organizations/{organization_id}/positions",
    status_code=status.HTTP_201_CREATED,
    response_model=PositionRead,
    responses=problems(404, 409),
)
async def add_position(
    organization_id: OrgId, body: PositionCreate, writer: EditorDep, settings: SettingsDep, response: Response
) -> dict[str, Any]:
    """Seat a member in the organisation's leadership. The member must belong to the organisation (or a unit
    under it) on `valid_from`; one secretary (or group leader) at a time (409 `one_secretary_at_a_time`); one
    seat per member. Refused:

    * 409 `probationary_member_cannot_hold_seat` — the member is probationary on `valid_from` (Charter art. 5);
    * 409 `cell_committee_too_large` — a cell would hold more than COSO_CELL_COMMITTEE_MAX_MEMBERS seats at once;
    * 409 `too_many_deputy_secretaries` — a cell would have more than COSO_CELL_MAX_DEPUTY_SECRETARIES deputies;
    * 409 `too_many_group_deputy_leaders` — a party group more than COSO_GROUP_MAX_DEPUTY_LEADERS deputies;
    * 422 `party_group_has_leader_not_secretary` — a party group elects a `group_leader` and a
      `group_deputy_leader` (tổ trưởng, tổ phó), no other seat; 422 `group_seat_outside_party_group` — the
      other way round."""
    return tagged(
        response,
        await service.add_position(
            writer.tx,
            actor=writer.actor,
            scope=writer.scope,
            organization_id=organization_id,
            member_id=body.member_id,
            position=body.position,
            valid_from=body.valid_from,
            valid_to=body.valid_to,
            decision_ref=body.decision_ref,
            rules=SeatRules(
                cell_committee_max_members=settings.cell_committee_max_members,
                cell_max_deputy_secretaries=settings.cell_max_deputy_secretaries,
                group_max_deputy_leaders=settings.group_max_deputy_leaders,
            ),
        ),
    )


@router.get(
    "/organizations/{organization_id}/positions",
    response_model=PositionPage,
    responses={**file_responses("positions"), **problems(404)},
)
async def list_organization_positions(
    organization_id: OrgId, reader: ReaderDep, today: Today, file: FileDep, as_of: AsOfDay = None
) -> Any:
    """The seats of the organisation's leadership held on `as_of` (default: today), secretary first; with
    `format=`, as a file."""
    if file.wanted is not None:
        return await file.send(
            await exports.export_positions(
                reader.pool, scope=reader.scope, organization_id=organization_id, on=as_of, wanted=file.wanted
            )
        )
    items = await service.organization_positions(
        reader.pool, scope=reader.scope, organization_id=organization_id, on=as_of or today
    )
    return {"items": items, "next_cursor": None}


@router.post(
    "/organizations/{organization_id}/positions/{position_id}/end",
    response_model=PositionRead,
    responses=problems(404, 409),
)
async def end_position(
    organization_id: OrgId,
    position_id: uuid.UUID,
    body: PositionEnd,
    writer: EditorDep,
    expected_version: ExpectedVersion,
    response: Response,
) -> dict[str, Any]:
    """End a seat: from `valid_to` on, it is no longer held."""
    return tagged(
        response,
        await service.end_position(
            writer.tx,
            actor=writer.actor,
            scope=writer.scope,
            organization_id=organization_id,
            position_id=position_id,
            valid_to=body.valid_to,
            end_decision_ref=body.decision_ref,
            expected_version=expected_version,
        ),
    )


@router.get("/organizations/{organization_id}/leadership", response_model=Leadership, responses=problems(404))
async def get_leadership(
    organization_id: OrgId, reader: ReaderDep, settings: SettingsDep, today: Today, as_of: AsOfDay = None
) -> dict[str, Any]:
    """Who leads the unit on `as_of` (default: today): secretary, deputies, every seat; for a cell, whether it has
    a cell committee (COSO_CELL_COMMITTEE_MIN_POSITIONS seats filled, the secretary's included) and whether its
    secretary is also the head of the village or residential group it stands for."""
    return await service.leadership(
        reader.pool,
        scope=reader.scope,
        organization_id=organization_id,
        on=as_of or today,
        cell_committee_min_positions=settings.cell_committee_min_positions,
    )


@router.get(
    "/members/{member_id}/positions",
    response_model=MemberPositions,
    responses={**file_responses("positions and posts"), **problems(404)},
)
async def list_member_positions(member_id: MemberId, reader: ReaderDep, file: FileDep) -> Any:
    """Every party position and public post the member held or holds, oldest first; with `format=`, both in one
    file (`kind`: position or post)."""
    if file.wanted is not None:
        return await file.send(
            await exports.export_member_positions(
                reader.pool, scope=reader.scope, member_id=member_id, wanted=file.wanted
            )
        )
    return await service.member_positions(reader.pool, scope=reader.scope, member_id=member_id)


@router.post(
    "/members/{member_id}/posts",
    status_code=status.HTTP_201_CREATED,
    response_model=PostRead,
    responses=problems(404, 409),
)
async def record_post_held(
    member_id: MemberId, body: PostCreate, writer: EditorDep, response: Response
) -> dict[str, Any]:
    """Record a public post the member holds concurrently (village head, commune chair, …). Linked to a unit
    (`organization_id`), it counts for that unit's indicators, one holder at a time (409 `post_taken`)."""
    return tagged(
        response,
        await posts.add_post(
            writer.tx,
            actor=writer.actor,
            scope=writer.scope,
            member_id=member_id,
            post=body.post,
            place=body.place,
            organization_id=body.organization_id,
            valid_from=body.valid_from,
            valid_to=body.valid_to,
            decision_ref=body.decision_ref,
        ),
    )


@router.post("/members/{member_id}/posts/{post_id}/end", response_model=PostRead, responses=problems(404, 409))
async def end_post_held(
    member_id: MemberId,
    post_id: uuid.UUID,
    body: PostEnd,
    writer: EditorDep,
    expected_version: ExpectedVersion,
    response: Response,
) -> dict[str, Any]:
    """End a public post: from `valid_to` on, the member no longer holds it."""
    ended = await posts.end_post(
        writer.tx,
        actor=writer.actor,
        scope=writer.scope,
        member_id=member_id,
        post_id=post_id,
        valid_to=body.valid_to,
        expected_version=expected_version,
    )
    return tagged(response, ended)
