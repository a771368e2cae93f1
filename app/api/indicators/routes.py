"""Indicators: the catalogue, targets, and figures over units and periods (DHIS2's analytics, docs/indicators.md)."""

import uuid
from typing import Annotated, Literal

from fastapi import Path, Query, status
from starlette.responses import Response

from app.api.auth import EditorDep, ReaderDep, api_router
from app.api.deps import Today
from app.api.exports import FileDep, file_responses
from app.api.indicators.models import (
    Analytics,
    IndicatorPage,
    IndicatorRead,
    PlanTargetsSet,
    TargetCreate,
    TargetPage,
    TargetStored,
)
from app.api.organization_refs import optional_organization
from app.api.responses import problems
from app.api.types import ExpectedVersion, dump, json_response, versioned_response
from app.domain.errors import NotFound
from app.domain.exports import figures as exports
from app.domain.indicators import service, targets
from app.domain.indicators.catalogue import BY_CODE, INDICATORS, PeriodType
from app.domain.indicators.standing import catalogue_entry

router = api_router("/api/v1/indicators", "indicators")
# The targets a plan carries live beside the plan (the plans domain knows nothing of indicators; the import, which
# stores the targets a plan's text states, goes through app/domain/indicators/plan_text.py).
plan_router = api_router("/api/v1/plans", "indicators")

Code = Annotated[str, Path(description="The indicator's code (GET /api/v1/indicators)")]


@router.get("", response_model=IndicatorPage)
async def list_indicators(reader: ReaderDep) -> Response:
    """Every indicator: code, Vietnamese and English names, numerator and denominator in words, unit, the period
    types it is reported by, and the default target (Resolution 21-NQ/TW) that applies where no organisation
    set its own. docs/indicators.md says exactly what each counts."""
    return json_response(dump({"items": [catalogue_entry(i) for i in INDICATORS], "next_cursor": None}))


@router.get(
    "/analytics",
    response_model=Analytics,
    responses={**file_responses("indicator figures"), **problems(404)},
)
async def indicator_analytics(
    reader: ReaderDep,
    today: Today,
    file: FileDep,
    indicator: Annotated[list[str], Query(description="Indicator codes, comma-separated or repeated")],
    period: Annotated[
        list[str],
        Query(
            description="2024, 2024Q3, THIS_YEAR, LAST_YEAR, LAST_5_YEARS, "
            "THIS_QUARTER, LAST_QUARTER, LAST_4_QUARTERS; comma-separated "
            "or repeated"
        ),
    ],
    organization_id: Annotated[
        str | None, Query(description="A unit, by id or code (default: the total over the caller's scope)")
    ] = None,
    breakdown: Annotated[
        Literal["self", "children", "level"],
        Query(
            description="self: the unit; children: the units directly below it; level: every unit `level` steps "
            "below it (in the tree of each period, or today's with structure=current)"
        ),
    ] = "self",
    level: Annotated[int, Query(ge=1, le=10, description="With breakdown=level: steps below")] = 1,
    include_self: Annotated[bool, Query(description="With a breakdown: the unit (or the scope's total) too")] = True,
    structure: Annotated[
        Literal["period", "current"],
        Query(
            description="period: each period in the tree as it was then (a merged commune's old figures stay its "
            "own); current: history regrouped under today's tree"
        ),
    ] = "period",
) -> Response:
    """Indicators × periods × units in one call, each item with numerator, denominator, value, target and
    whether it is met. Figures are sums kept up to date in the transaction of every write (a rating, an
    admission, a transfer, a move of a unit is in the very next read); numerators and denominators are summed up
    the tree, a percentage is never averaged. Stocks are counted on the period's last day, flows over its days;
    quarters are the grain (docs/indicators.md). A unit that did not exist in a period has no items for it. With
    `format=csv|xlsx|ndjson` (or `Accept:`), the same cells as a file, the target in three columns."""
    query = service.Query(
        indicators=service.indicators_named(indicator),
        periods=[p for v in period for p in v.split(",") if p],
        unit_id=await service.resolve_unit(reader.pool, organization_id, scope=reader.scope),
        breakdown=breakdown,
        level=level,
        include_self=include_self,
        structure=structure,
    )
    if file.wanted is not None:
        return await file.send(
            await exports.export_analytics(reader.pool, scope=reader.scope, query=query, wanted=file.wanted)
        )
    items = await service.analytics(reader.pool, scope=reader.scope, query=query, today=today)
    return json_response(dump({"structure": structure, "items": items, "next_cursor": None}))


def _known(code: str) -> str:
    if code not in BY_CODE:
        raise NotFound(f"No indicator {code!r}; GET /api/v1/indicators lists them.", code="indicator_not_found")
    return code


@router.get("/{code}", response_model=IndicatorRead, responses=problems(404))
async def get_indicator(code: Code, reader: ReaderDep) -> Response:
    """One indicator of the catalogue."""
    return json_response(dump(catalogue_entry(BY_CODE[_known(code)])))


@router.get("/{code}/targets", response_model=TargetPage, responses=problems(404))
async def list_indicator_targets(
    code: Code,
    reader: ReaderDep,
    organization_id: Annotated[
        uuid.UUID | None, optional_organization("organization_id", "Only the targets set on this unit")
    ],
) -> Response:
    """Targets set on organisations of the caller's scope, in tree order. A unit without its own target for a
    year inherits the nearest one above it, else the catalogue's default."""
    items = await targets.list_targets(reader.pool, scope=reader.scope, indicator=code, organization_id=organization_id)
    return json_response(dump({"items": items, "next_cursor": None}))


@router.post(
    "/{code}/targets", status_code=status.HTTP_201_CREATED, response_model=TargetStored, responses=problems(404, 409)
)
async def create_indicator_target(code: Code, body: TargetCreate, writer: EditorDep) -> Response:
    """Set a target on an organisation for a range of years and period types (`gte`, `gt`, `lte`, `lt`, or
    `between` value and value_high — e.g. 3–4 % admissions a year). A target applies to years unless
    `period_types` says quarters too. Overlapping years and period types for the same unit are a 409."""
    doc = await targets.set_target(
        writer.tx,
        actor=writer.actor,
        scope=writer.scope,
        organization_id=body.organization_id,
        spec=targets.TargetSpec(
            indicator=code,
            comparator=body.comparator,
            value=body.value,
            value_high=body.value_high,
            year_from=body.year_from,
            year_to=body.year_to,
            period_types=tuple(PeriodType(p) for p in body.period_types) if body.period_types else None,
            note=body.note,
        ),
    )
    return versioned_response(doc, status_code=201)


@router.delete("/{code}/targets/{target_id}", status_code=status.HTTP_204_NO_CONTENT, responses=problems(404))
async def delete_indicator_target(
    code: Code, target_id: uuid.UUID, writer: EditorDep, expected_version: ExpectedVersion
) -> Response:
    """Remove a target (audited); the unit inherits again from above."""
    await targets.delete_target(
        writer.tx,
        actor=writer.actor,
        scope=writer.scope,
        indicator=code,
        target_id=target_id,
        expected_version=expected_version,
    )
    return Response(status_code=204)


PlanId = Annotated[uuid.UUID, Path(description="The plan's id")]


@plan_router.get("/{plan_id}/targets", response_model=TargetPage, responses=problems(404))
async def list_plan_targets(plan_id: PlanId, reader: ReaderDep) -> Response:
    """The indicator targets a plan carries: set on the plan's organisation, they apply to it and to every unit
    below it without a target of its own (a unit's own target comes first, then its plans', latest first)."""
    items = await targets.plan_targets(reader.pool, scope=reader.scope, plan_id=plan_id)
    return json_response(dump({"items": items, "next_cursor": None}))


@plan_router.put("/{plan_id}/targets", response_model=TargetPage, responses=problems(404, 409))
async def set_plan_targets(
    plan_id: PlanId, body: PlanTargetsSet, writer: EditorDep, expected_version: ExpectedVersion
) -> Response:
    """Replace the indicator targets a plan carries. An item naming only the indicator carries the catalogue's
    plan default (`plan_default_target`, seed 004: 100 % of village cells with a committee by 2025, admissions
    3–4 % a year, …); an empty list removes them."""
    items = await targets.set_plan_targets(
        writer.tx,
        actor=writer.actor,
        scope=writer.scope,
        plan_id=plan_id,
        specs=[
            targets.TargetSpec(
                indicator=t.indicator,
                comparator=t.comparator,
                value=t.value,
                value_high=t.value_high,
                year_from=t.year_from,
                year_to=t.year_to,
                period_types=tuple(PeriodType(p) for p in t.period_types) if t.period_types else None,
                note=t.note,
            )
            for t in body.targets
        ],
        expected_version=expected_version,
    )
    return json_response(dump({"items": items, "next_cursor": None}))
