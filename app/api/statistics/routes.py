"""Counts for the statistical reports: members and organisations of a subtree on a day, by dimension."""

from datetime import date
from typing import Annotated, Any

from fastapi import Query
from starlette.responses import Response

from app.api.auth import Reader, ReaderDep, api_router
from app.api.deps import Today
from app.api.exports import FileAsked, FileDep, file_responses
from app.api.responses import problems
from app.api.statistics.models import MemberStatistics, OrganizationStatistics
from app.api.types import Day, dump, json_response
from app.domain.exports import figures as exports
from app.domain.exports.files import Wanted
from app.domain.statistics import service as service
from app.domain.statistics.service import AGE_BANDS, PARTY_AGE_BANDS, MemberDimension, OrganizationDimension

router = api_router("/api/v1/statistics", "statistics")


def _bands(bands: tuple[service.Band, ...]) -> str:
    return ", ".join(f"`{b.key}` {b.low}–{b.high}" if b.high is not None else f"`{b.key}` ≥ {b.low}" for b in bands)


Organization = Annotated[
    str | None,
    Query(
        min_length=1,
        max_length=200,
        description="The unit (id or code) whose subtree, as it stood on `as_of`, is "
        "counted. Default: everything the caller's scope covers.",
    ),
]
AsOf = Annotated[Day | None, Query(description="The day counted, in the tree of that day (default: today)")]


MEMBERS_DESCRIPTION = f"""How many Party members the unit's subtree had on `as_of`, row by row: every row of the
dimension is listed, a zero count included, so that a report has fixed rows.

Counted: probationary and official members whose membership period covers the day, in their home organisation (a
temporary transfer still counts at home), exempt and suspended ones included. `candidates` and `exempt` come with
every answer (with `by=status` the rows are `probationary` and `official`).

Dimensions:

* `status`, `gender`;
* `age_band`: completed years on the day ({_bands(AGE_BANDS)});
* `party_age_band`: completed years since the admission decision ({_bands(PARTY_AGE_BANDS)}; `unknown` without an
  admission date);
* `political_theory_level`, `ethnicity`: the catalogue codes of GET /reference/members, plus `unlisted` (a value
  outside the catalogue) and `unknown` (none recorded). A breakdown by `ethnicity` needs the pii permission
  (403 `pii_required`).

A unit outside the caller's scope, or not in the tree that day, is a 404."""


async def _file(
    file: FileAsked, wanted: Wanted, reader: Reader, of: str, organization: str | None, as_of: date, by: list[Any]
) -> Response:
    """The counts as a file (format=csv|xlsx|ndjson)."""
    export = await exports.export_statistics(
        reader.pool,
        caller=reader.caller,
        scope=reader.scope,
        of=of,
        organization=organization,
        as_of=as_of,
        by=by,
        wanted=wanted,
    )
    return await file.send(export)


@router.get(
    "/members",
    response_model=MemberStatistics,
    responses={**file_responses("counts"), **problems(403, 404)},
    description=MEMBERS_DESCRIPTION,
)
async def member_statistics(
    reader: ReaderDep,
    today: Today,
    file: FileDep,
    organization_id: Organization = None,
    as_of: AsOf = None,
    by: Annotated[
        list[MemberDimension],
        Query(
            description="The dimension counted; give it twice for a cross-tab (each row then holds the rows of the "
            "second)"
        ),
    ] = [MemberDimension.status],  # noqa: B006 (FastAPI copies defaults)
) -> Response:
    """Members of a subtree on a day, by status, gender, age, party age, theory level or ethnicity."""
    if file.wanted is not None:
        return await _file(file, file.wanted, reader, "members", organization_id, as_of or today, list(by))
    counts = await service.member_statistics(
        reader.pool, caller=reader.caller, scope=reader.scope, organization=organization_id, as_of=as_of or today, by=by
    )
    return json_response(dump(counts))


@router.get(
    "/organizations", response_model=OrganizationStatistics, responses={**file_responses("counts"), **problems(404)}
)
async def organization_statistics(
    reader: ReaderDep,
    today: Today,
    file: FileDep,
    organization_id: Organization = None,
    as_of: AsOf = None,
    by: Annotated[
        list[OrganizationDimension], Query(description="The dimension counted; give it twice for a cross-tab")
    ] = [OrganizationDimension.kind],  # noqa: B006
) -> Response:
    """How many units the subtree (the unit itself included) had on `as_of`, by `kind` or by `category`
    (loại hình; `unknown` when none is recorded), every row listed. A unit outside the caller's scope, or not in
    the tree that day, is a 404. With `format=`, the counts as a file, one row each."""
    if file.wanted is not None:
        return await _file(file, file.wanted, reader, "organizations", organization_id, as_of or today, list(by))
    counts = await service.organization_statistics(
        reader.pool, scope=reader.scope, organization=organization_id, as_of=as_of or today, by=by
    )
    return json_response(dump(counts))
