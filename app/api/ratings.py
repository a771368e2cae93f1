"""Ratings of members and organisations, the per-unit summary with its excellent quota, and the records
organisations keep (working regulations, inspections, committee terms)."""

import uuid
from typing import Annotated, Any

from fastapi import Path, Query, status
from starlette.responses import Response

from app.api.auth import EditorDep, ReaderDep, api_router
from app.api.deps import PagingDep, SettingsDep
from app.api.responses import problems
from app.api.types import Period, dump, json_response
from app.api.unit_models import (
    InspectionCreate,
    InspectionPage,
    InspectionRead,
    RatingBody,
    RatingCreate,
    RatingPage,
    RatingRead,
    RatingSummary,
    RegulationCreate,
    RegulationPage,
    RegulationRead,
    TermCreate,
    TermPage,
    TermRead,
)
from app.db import ratings as db
from app.db.organization_writes import driver_connection
from app.domain import ratings as service
from app.settings import Settings

router = api_router("/api/v1", "ratings")
records = api_router("/api/v1/organizations", "records")

OrgId = Annotated[uuid.UUID, Path(description="The organisation's id")]
MemberId = Annotated[uuid.UUID, Path(description="The member's id")]
PeriodPath = Annotated[Period, Path(description="A year (2024) or a quarter (2024-Q2)")]
PeriodQuery = Annotated[Period, Query(description="A year (2024) or a quarter (2024-Q2)")]



def rating_rules(settings: Settings) -> service.RatingRules:
    return service.RatingRules(excellent_min=settings.rating_excellent_min, good_min=settings.rating_good_min,
                               fulfilled_min=settings.rating_fulfilled_min,
                               excellent_quota_percent=settings.excellent_quota_percent,
                               min_months=settings.rating_min_months)


def _assessment(body: RatingBody) -> service.Assessment:
    return service.Assessment(score=body.score, not_rated_reason=body.not_rated_reason, comment=body.comment,
                              rated_on=body.rated_on)


async def _written(session: Any, rating_id: uuid.UUID, *, pii: bool, status_code: int = 200) -> Response:
    row = await db.get_rating(await driver_connection(session), rating_id)
    return json_response(dump(service.rating_view(row, pii=pii)), status_code=status_code)


# --- members' ratings ----------------------------------------------------------------------------------------------

@router.post("/members/{member_id}/ratings", status_code=status.HTTP_201_CREATED, response_model=RatingRead,
             responses=problems(404, 409))
async def rate_member(member_id: MemberId, body: RatingCreate, writer: EditorDep, settings: SettingsDep) -> Response:
    """Rate a member for a period: a score (the band follows from COSO_RATING_*_MIN) or the reason for not rating,
    which must match the records (exempt or suspended at the end of the period, admitted less than
    COSO_RATING_MIN_MONTHS before it). Recorded in the member's organisation at the end of the period. One rating
    per member and period (409 `duplicate_rating`; PUT replaces it)."""
    rating_id = await service.rate_member(writer.session, actor=writer.actor, scope=writer.scope,
                                          member_id=member_id, period=body.period, assessment=_assessment(body),
                                          rules=rating_rules(settings))
    return await _written(writer.session, rating_id, pii=writer.actor.caller.pii, status_code=201)


@router.put("/members/{member_id}/ratings/{period}", response_model=RatingRead, responses=problems(404))
async def replace_member_rating(member_id: MemberId, period: PeriodPath, body: RatingBody, writer: EditorDep,
                                settings: SettingsDep) -> Response:
    """Replace a member's rating for a period (the audit log keeps the one replaced)."""
    rating_id = await service.rate_member(writer.session, actor=writer.actor, scope=writer.scope,
                                          member_id=member_id, period=period, assessment=_assessment(body),
                                          rules=rating_rules(settings), replace=True)
    return await _written(writer.session, rating_id, pii=writer.actor.caller.pii)


@router.get("/members/{member_id}/ratings", response_model=RatingPage, responses=problems(404))
async def list_member_ratings(member_id: MemberId, reader: ReaderDep) -> Response:
    """The member's ratings, oldest period first (score and comment only with `pii`)."""
    items = await service.member_ratings(reader.pool, scope=reader.scope, member_id=member_id,
                                         pii=reader.caller.pii)
    return json_response(dump({"items": items, "next_cursor": None}))


# --- organisations' ratings ----------------------------------------------------------------------------------------

@router.post("/organizations/{organization_id}/ratings", status_code=status.HTTP_201_CREATED,
             response_model=RatingRead, responses=problems(404, 409))
async def rate_organization(organization_id: OrgId, body: RatingCreate, writer: EditorDep,
                            settings: SettingsDep) -> Response:
    """Rate the organisation itself for a period, or record why it is not rated (founded less than
    COSO_RATING_MIN_MONTHS before the period ends). One rating per organisation and period."""
    rating_id = await service.rate_organization(writer.session, actor=writer.actor, scope=writer.scope,
                                                organization_id=organization_id, period=body.period,
                                                assessment=_assessment(body), rules=rating_rules(settings))
    return await _written(writer.session, rating_id, pii=True, status_code=201)


@router.put("/organizations/{organization_id}/ratings/{period}", response_model=RatingRead, responses=problems(404))
async def replace_organization_rating(organization_id: OrgId, period: PeriodPath, body: RatingBody,
                                      writer: EditorDep, settings: SettingsDep) -> Response:
    """Replace the organisation's rating for a period (the audit log keeps the one replaced)."""
    rating_id = await service.rate_organization(writer.session, actor=writer.actor, scope=writer.scope,
                                                organization_id=organization_id, period=period,
                                                assessment=_assessment(body), rules=rating_rules(settings),
                                                replace=True)
    return await _written(writer.session, rating_id, pii=True)


@router.get("/organizations/{organization_id}/ratings", response_model=RatingPage, responses=problems(404))
async def list_organization_ratings(organization_id: OrgId, reader: ReaderDep) -> Response:
    """The organisation's own ratings, oldest period first."""
    items = await service.organization_ratings(reader.pool, scope=reader.scope, organization_id=organization_id)
    return json_response(dump({"items": items, "next_cursor": None}))


@router.get("/organizations/{organization_id}/ratings/summary", response_model=RatingSummary,
            responses=problems(404))
async def get_ratings_summary(organization_id: OrgId, period: PeriodQuery, reader: ReaderDep,
                              settings: SettingsDep) -> Response:
    """Ratings of a period under the unit (the tree as it stood at the end of the period): counts by band and by
    reason for not rating, for members and for organisations, members without a rating, and the excellent quota
    (COSO_EXCELLENT_QUOTA_PERCENT of good-or-better) with whether it is exceeded — overall and per unit. The quota
    is reported here, never enforced when ratings are recorded."""
    found = await service.summary(reader.pool, scope=reader.scope, organization_id=organization_id, period=period,
                                  rules=rating_rules(settings))
    return json_response(dump(found))


@router.get("/organizations/{organization_id}/member_ratings", response_model=RatingPage,
            responses=problems(400, 404))
async def list_unit_member_ratings(organization_id: OrgId, period: PeriodQuery, reader: ReaderDep,
                                   paging: PagingDep) -> Response:
    """Member ratings of a period in the unit and the units under it (the tree as it stood at the end of the
    period), unit by unit in tree order and by name within a unit, keyset-paged (score and comment only with
    `pii`)."""
    kind = f"member_ratings:{organization_id}:{period}"
    position = paging.after(kind)
    after = (str(position["p"]), str(position["s"]), uuid.UUID(position["i"])) if position else None
    rows = await service.unit_member_ratings(reader.pool, scope=reader.scope, organization_id=organization_id,
                                             period=period, after=after, limit=paging.fetch)
    page = paging.page(rows, kind=kind, position=lambda r: {"p": r["unit_path"], "s": r["sort_key"],
                                                            "i": str(r["member_id"])})
    items = [service.rating_view({k: v for k, v in r.items() if k not in ("unit_path", "sort_key")},
                                 pii=reader.caller.pii) for r in page.items]
    return json_response(dump({"items": items, "next_cursor": page.next_cursor}))


# --- organisation records ------------------------------------------------------------------------------------------

@records.post("/{organization_id}/regulations", status_code=status.HTTP_201_CREATED, response_model=RegulationRead,
              responses=problems(404))
async def add_regulation(organization_id: OrgId, body: RegulationCreate, writer: EditorDep) -> Response:
    """Record working regulations the organisation issued."""
    found = await service.add_regulation(writer.session, actor=writer.actor, scope=writer.scope,
                                         organization_id=organization_id, issued_on=body.issued_on,
                                         reference=body.reference, title=body.title)
    return json_response(dump(found), status_code=201)


@records.get("/{organization_id}/regulations", response_model=RegulationPage, responses=problems(404))
async def list_regulations(organization_id: OrgId, reader: ReaderDep) -> Response:
    """The working regulations the organisation issued, oldest first."""
    items = await service.organization_records(reader.pool, scope=reader.scope, organization_id=organization_id,
                                               kind="regulations")
    return json_response(dump({"items": items, "next_cursor": None}))


@records.post("/{organization_id}/inspections", status_code=status.HTTP_201_CREATED, response_model=InspectionRead,
              responses=problems(404))
async def add_inspection(organization_id: OrgId, body: InspectionCreate, writer: EditorDep) -> Response:
    """Record an inspection of the organisation: by which body, for which year, and its conclusion."""
    found = await service.add_inspection(writer.session, actor=writer.actor, scope=writer.scope,
                                         organization_id=organization_id, inspecting_body=body.inspecting_body,
                                         year=body.year, inspected_on=body.inspected_on, conclusion=body.conclusion,
                                         reference=body.reference)
    return json_response(dump(found), status_code=201)


@records.get("/{organization_id}/inspections", response_model=InspectionPage, responses=problems(404))
async def list_inspections(organization_id: OrgId, reader: ReaderDep) -> Response:
    """Inspections of the organisation, oldest first."""
    items = await service.organization_records(reader.pool, scope=reader.scope, organization_id=organization_id,
                                               kind="inspections")
    return json_response(dump({"items": items, "next_cursor": None}))


@records.post("/{organization_id}/terms", status_code=status.HTTP_201_CREATED, response_model=TermRead,
              responses=problems(404, 409))
async def add_term(organization_id: OrgId, body: TermCreate, writer: EditorDep) -> Response:
    """Record a term of the organisation's committee ("2025-2030"); terms do not overlap (409)."""
    found = await service.add_term(writer.session, actor=writer.actor, scope=writer.scope,
                                   organization_id=organization_id, label=body.label, starts_on=body.starts_on,
                                   ends_on=body.ends_on)
    return json_response(dump(found), status_code=201)


@records.get("/{organization_id}/terms", response_model=TermPage, responses=problems(404))
async def list_terms(organization_id: OrgId, reader: ReaderDep) -> Response:
    """The organisation's committee terms, oldest first."""
    items = await service.organization_records(reader.pool, scope=reader.scope, organization_id=organization_id,
                                               kind="terms")
    return json_response(dump({"items": items, "next_cursor": None}))
