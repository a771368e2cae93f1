"""Compliance checks: the units of a subtree that break a rule of the organisation on a date."""

import uuid
from typing import Annotated

import orjson
from fastapi import Query
from starlette.responses import Response

from app.api.auth import ReaderDep, api_router
from app.api.deps import PagingDep, SettingsDep, Today
from app.api.organization_refs import required_organization
from app.api.organizations.models import CompliancePage
from app.api.responses import problems
from app.api.types import Day, json_response
from app.domain.organizations import compliance as service
from app.settings import Settings

router = api_router("/api/v1/compliance", "compliance")


def unit_rules(settings: Settings) -> service.UnitRules:
    return service.UnitRules(
        min_official_members=settings.min_official_members,
        cell_committee_threshold=settings.cell_committee_threshold,
        cell_committee_min_positions=settings.cell_committee_min_positions,
        cell_committee_max_members=settings.cell_committee_max_members,
        cell_max_deputy_secretaries=settings.cell_max_deputy_secretaries,
        cell_max_members=settings.cell_max_members,
        subordinate_cell_max_members=settings.subordinate_cell_max_members,
        probation_months=settings.probation_months,
        recognition_working_days=settings.recognition_working_days,
        holidays=frozenset(settings.public_holidays),
    )


@router.get("", response_model=CompliancePage, responses=problems(400, 404))
async def list_compliance_issues(
    reader: ReaderDep,
    settings: SettingsDep,
    today: Today,
    paging: PagingDep,
    within: Annotated[uuid.UUID, required_organization("within", "The unit whose subtree is checked")],
    as_of: Annotated[
        Day | None, Query(description="The day checked, in the tree as it stood then (default: today)")
    ] = None,
) -> Response:
    """Units of the subtree that break a rule, or are given advice, on `as_of`, in tree order, each with the rule,
    its `severity` (`violation`: a rule is broken; `advice`: a recommendation, not a breach), the numbers and the
    threshold (all configured, `COSO_…`):

    * `too_few_official_members` (violation) — a grassroots organisation or a subordinate cell (Charter art. 24)
      with fewer than COSO_MIN_OFFICIAL_MEMBERS official members;
    * `cell_without_committee` (violation) — a cell with COSO_CELL_COMMITTEE_THRESHOLD or more official members but
      no cell committee (COSO_CELL_COMMITTEE_MIN_POSITIONS seats filled, the secretary's included);
    * `cell_committee_too_large` (violation) — a cell holding more than COSO_CELL_COMMITTEE_MAX_MEMBERS seats;
    * `too_many_deputy_secretaries` (violation) — a cell with more than COSO_CELL_MAX_DEPUTY_SECRETARIES deputies;
    * `grassroots_cell_too_large` (violation) — a grassroots cell with COSO_CELL_MAX_MEMBERS members or more;
    * `subordinate_cell_too_large` (advice) — a subordinate cell with more than COSO_SUBORDINATE_CELL_MAX_MEMBERS
      members, not divided into party groups (a cell divided into groups meets it);
    * `probationary_past_recognition_window` (violation) — probationary members still not recognised
      COSO_PROBATION_MONTHS + COSO_RECOGNITION_WORKING_DAYS working days (Mon–Fri, minus COSO_PUBLIC_HOLIDAYS)
      after admission, listed.

    Membership counts probationary and official members on the day (exempt ones included), in their home
    organisation only (never in the host of a temporary transfer); a unit counts the members of the units under it
    too (a grassroots committee's members are its cells'). A page examines at most COSO_COMPLIANCE_SCAN_UNITS
    units; follow `next_cursor` until it is null (a page may be short, even empty, and still have a next one)."""
    found = await service.check(
        reader.pool,
        scope=reader.scope,
        within=within,
        as_of=as_of or today,
        rules=unit_rules(settings),
        paging=paging,
        scan_budget=settings.compliance_scan_units,
    )
    return json_response(orjson.dumps(found, default=str))
