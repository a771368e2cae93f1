"""Ratings of members and organisations, and the per-unit summary with its excellent quota."""

import uuid
from datetime import datetime
from typing import Annotated, Any

from fastapi import Path, Query, Response, status

from app.api.auth import EditorDep, Reader, ReaderDep, api_router
from app.api.deps import PagingDep, SettingsDep, UpdatedSince
from app.api.exports import FileAsked, FileDep, file_responses
from app.api.ratings.models import RatingBody, RatingCreate, RatingPage, RatingRead, RatingSummary
from app.api.responses import problems
from app.api.types import ExpectedVersion, Period, tagged
from app.domain.exports import ratings as exports
from app.domain.exports.files import Wanted
from app.domain.ratings import service, summary
from app.settings import Settings

router = api_router("/api/v1", "ratings")

OrgId = Annotated[uuid.UUID, Path(description="The organisation's id")]
MemberId = Annotated[uuid.UUID, Path(description="The member's id")]
PeriodPath = Annotated[Period, Path(description="A year (2024), a quarter (2024Q2) or a term (2020-2025)")]
PeriodQuery = Annotated[Period, Query(description="A year (2024), a quarter (2024Q2) or a term (2020-2025)")]


def rating_rules(settings: Settings) -> service.RatingRules:
    return service.RatingRules(
        excellent_min=settings.rating_excellent_min,
        good_min=settings.rating_good_min,
        fulfilled_min=settings.rating_fulfilled_min,
        excellent_quota_percent=settings.excellent_quota_percent,
        min_months=settings.rating_min_months,
        disciplined_max_band=service.Band(settings.rating_disciplined_max_band),
        sick_leave_months=settings.rating_sick_leave_months,
        sick_leave_max_band=service.Band(settings.rating_sick_leave_max_band),
        max_term_years=settings.rating_max_term_years,
    )


def _assessment(body: RatingBody) -> service.Assessment:
    return service.Assessment(
        score=body.score,
        not_rated_reason=body.not_rated_reason,
        comment=body.comment,
        rated_on=body.rated_on,
        band=body.rating,
        sick_leave_months=body.sick_leave_months,
    )


@router.post(
    "/members/{member_id}/ratings",
    status_code=status.HTTP_201_CREATED,
    response_model=RatingRead,
    responses=problems(404, 409),
)
async def rate_member(
    member_id: MemberId, body: RatingCreate, writer: EditorDep, settings: SettingsDep, response: Response
) -> dict[str, Any]:
    """Rate a member for a period (a year `2024`, a quarter `2024Q2` or a term `2020-2025`): a score (the band
    follows from COSO_RATING_*_MIN), a band (`rating`) alone, or the reason for not rating, which must match the
    records (exempt or suspended at the end of the period, admitted less than COSO_RATING_MIN_MONTHS before it;
    `long_sick_leave` and `maternity_leave` are taken as declared). Recorded in the member's organisation at the end
    of the period. One rating per member and period (409 `duplicate_rating`; PUT replaces it). The band's
    conditions (QĐ 366-QĐ/TW; HD 21-HD/BTCTW):

    * 409 `disciplined_member_band_ceiling` — the member's history holds discipline dated in the period: at most
      COSO_RATING_DISCIPLINED_MAX_BAND;
    * 422 `sick_leave_band_ceiling` — `sick_leave_months` ≥ COSO_RATING_SICK_LEAVE_MONTHS: at most
      COSO_RATING_SICK_LEAVE_MAX_BAND;
    * 422 `band_above_score` — a band higher than the score's."""
    return tagged(
        response,
        await service.rate_member(
            writer.tx,
            actor=writer.actor,
            scope=writer.scope,
            member_id=member_id,
            period=body.period,
            assessment=_assessment(body),
            rules=rating_rules(settings),
        ),
    )


@router.put("/members/{member_id}/ratings/{period}", response_model=RatingRead, responses=problems(404, 409, 412))
async def replace_member_rating(
    member_id: MemberId,
    period: PeriodPath,
    body: RatingBody,
    writer: EditorDep,
    settings: SettingsDep,
    expected_version: ExpectedVersion,
    response: Response,
) -> dict[str, Any]:
    """Replace a member's rating for a period (the audit log keeps the one replaced)."""
    return tagged(
        response,
        await service.rate_member(
            writer.tx,
            actor=writer.actor,
            scope=writer.scope,
            member_id=member_id,
            period=period,
            assessment=_assessment(body),
            rules=rating_rules(settings),
            replace=True,
            expected_version=expected_version,
        ),
    )


@router.get(
    "/members/{member_id}/ratings", response_model=RatingPage, responses={**file_responses("ratings"), **problems(404)}
)
async def list_member_ratings(
    member_id: MemberId, reader: ReaderDep, file: FileDep, updated_since: UpdatedSince = None
) -> Any:
    """The member's ratings, oldest period first (score and comment only with `pii`); with `format=`, as a file."""
    if file.wanted is not None:
        return await _ratings_file(file, file.wanted, reader, member_id=member_id, updated_since=updated_since)
    items = await service.member_ratings(
        reader.pool, scope=reader.scope, member_id=member_id, pii=reader.caller.pii, updated_since=updated_since
    )
    return {"items": items, "next_cursor": None}


@router.post(
    "/organizations/{organization_id}/ratings",
    status_code=status.HTTP_201_CREATED,
    response_model=RatingRead,
    responses=problems(404, 409),
)
async def rate_organization(
    organization_id: OrgId, body: RatingCreate, writer: EditorDep, settings: SettingsDep, response: Response
) -> dict[str, Any]:
    """Rate the organisation itself for a period, or record why it is not rated (founded less than
    COSO_RATING_MIN_MONTHS before the period ends). One rating per organisation and period."""
    return tagged(
        response,
        await service.rate_organization(
            writer.tx,
            actor=writer.actor,
            scope=writer.scope,
            organization_id=organization_id,
            period=body.period,
            assessment=_assessment(body),
            rules=rating_rules(settings),
        ),
    )


@router.put(
    "/organizations/{organization_id}/ratings/{period}", response_model=RatingRead, responses=problems(404, 412)
)
async def replace_organization_rating(
    organization_id: OrgId,
    period: PeriodPath,
    body: RatingBody,
    writer: EditorDep,
    settings: SettingsDep,
    expected_version: ExpectedVersion,
    response: Response,
) -> dict[str, Any]:
    """Replace the organisation's rating for a period (the audit log keeps the one replaced)."""
    return tagged(
        response,
        await service.rate_organization(
            writer.tx,
            actor=writer.actor,
            scope=writer.scope,
            organization_id=organization_id,
            period=period,
            assessment=_assessment(body),
            rules=rating_rules(settings),
            replace=True,
            expected_version=expected_version,
        ),
    )


@router.get(
    "/organizations/{organization_id}/ratings",
    response_model=RatingPage,
    responses={**file_responses("ratings"), **problems(404)},
)
async def list_organization_ratings(
    organization_id: OrgId, reader: ReaderDep, file: FileDep, updated_since: UpdatedSince = None
) -> Any:
    """The organisation's own ratings, oldest period first; with `format=`, as a file."""
    if file.wanted is not None:
        return await _ratings_file(
            file, file.wanted, reader, organization_id=organization_id, updated_since=updated_since
        )
    items = await service.organization_ratings(
        reader.pool, scope=reader.scope, organization_id=organization_id, updated_since=updated_since
    )
    return {"items": items, "next_cursor": None}


@router.get("/organizations/{organization_id}/ratings/summary", response_model=RatingSummary, responses=problems(404))
async def get_ratings_summary(
    organization_id: OrgId, period: PeriodQuery, reader: ReaderDep, settings: SettingsDep
) -> dict[str, Any]:
    """Ratings of a period under the unit (the tree as it stood at the end of the period): counts by band and by
    reason for not rating, for members and for organisations, members without a rating, and the excellent quota
    (COSO_EXCELLENT_QUOTA_PERCENT of good-or-better) with whether it is exceeded — overall and per unit. The quota
    is reported here, never enforced when ratings are recorded."""
    return await summary.summary(
        reader.pool, scope=reader.scope, organization_id=organization_id, period=period, rules=rating_rules(settings)
    )


@router.get(
    "/organizations/{organization_id}/member_ratings",
    response_model=RatingPage,
    responses={**file_responses("member ratings"), **problems(400, 404)},
)
async def list_unit_member_ratings(
    organization_id: OrgId,
    period: PeriodQuery,
    reader: ReaderDep,
    paging: PagingDep,
    file: FileDep,
    updated_since: UpdatedSince = None,
) -> Any:
    """Member ratings of a period in the unit and the units under it (the tree as it stood at the end of the
    period), unit by unit in tree order and by name within a unit, keyset-paged (score and comment only with
    `pii`); with `format=`, all of them as a file."""
    if file.wanted is not None:
        return await file.send(
            await exports.export_unit_member_ratings(
                reader.pool,
                caller=reader.caller,
                scope=reader.scope,
                organization_id=organization_id,
                period=period,
                wanted=file.wanted,
                updated_since=updated_since,
            )
        )
    page = await service.unit_member_ratings(
        reader.pool,
        caller=reader.caller,
        scope=reader.scope,
        organization_id=organization_id,
        period=period,
        paging=paging,
        updated_since=updated_since,
    )
    return {"items": page.items, "next_cursor": page.next_cursor}


async def _ratings_file(
    file: FileAsked,
    wanted: Wanted,
    reader: Reader,
    *,
    member_id: uuid.UUID | None = None,
    organization_id: uuid.UUID | None = None,
    updated_since: datetime | None = None,
) -> Any:
    """A member's ratings or an organisation's own as a file."""
    export = await exports.export_ratings_of(
        reader.pool,
        caller=reader.caller,
        scope=reader.scope,
        member_id=member_id,
        organization_id=organization_id,
        wanted=wanted,
        updated_since=updated_since,
    )
    return await file.send(export)
