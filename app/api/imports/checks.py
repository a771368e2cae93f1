"""A row of an import, checked by the very models that check a body of the API (POST /members and PATCH
/members/{id}, POST and PATCH /organizations, POST /members/{id}/events, the ratings' bodies): the same patterns,
lengths, date range and NFC normalisation, whichever way a record arrives."""

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from app.api.members.models import MemberCreate, MemberEventCreate, MemberFields
from app.api.organizations.models import OrganizationCreate, OrganizationUpdate
from app.api.plans.models import ReportCreate
from app.api.positions.models import PositionCreate, PostCreate
from app.api.types import Day, DecisionRef, ExternalId, Int, LongText, Note, Period
from app.domain.imports.rows import Checked, Problem
from app.domain.ratings.bands import Band, NotRatedReason


class ImportedMember(MemberFields):
    """Any subset of a member's fields (an update names only what it corrects); a creation is then checked
    against MemberCreate for what it requires."""

    status: Literal["candidate", "probationary", "official"] | None = None
    organization_id: Any = None  # resolved from an id or a code before the check
    admission_decision_date: Day | None = None
    official_date: Day | None = None
    since: Day | None = None
    decision_ref: DecisionRef | None = None


_NEW_MEMBER = "a new member needs this value (the row matches no record to update)."


def _problems(error: ValidationError, *, creating: bool, required: str = _NEW_MEMBER) -> list[Problem]:
    found: list[Problem] = []
    for e in error.errors(include_input=False):
        name = str(e["loc"][0]) if e["loc"] else ""
        if e["type"] == "missing" and creating:
            found.append((name, "required", required))
        else:
            found.append((name, "validation_error", e["msg"]))
    return found


def check_member_row(values: dict[str, Any]) -> Checked:
    try:
        given = ImportedMember.model_validate(values).model_dump(exclude_unset=True)
    except ValidationError as error:
        return Checked(values={}, errors=_problems(error, creating=False))
    try:
        MemberCreate.model_validate(given)
    except ValidationError as error:
        return Checked(values=given, missing=_problems(error, creating=True))
    return Checked(values=given)


def _checked(lenient: type[BaseModel], strict: type[BaseModel] | None, values: dict[str, Any]) -> Checked:
    """`lenient` reads the row (what every row needs is required there: a missing value is `required`);
    `strict`, what a creation requires besides (its absence matters only if the row names no record)."""
    try:
        given = lenient.model_validate(values).model_dump(exclude_unset=True)
    except ValidationError as error:
        return Checked(values={}, errors=_problems(error, creating=True, required="every row needs this value."))
    if strict is None:
        return Checked(values=given)
    try:
        strict.model_validate(given)
    except ValidationError as error:
        required = "a new unit needs this value (the row names no recorded unit)."
        return Checked(values=given, missing=_problems(error, creating=True, required=required))
    return Checked(values=given)


class ImportedOrganization(OrganizationUpdate):
    """A row of an organisation import: a correction's fields, and what a creation takes besides."""

    external_ids: list[ExternalId] | None = Field(default=None, max_length=50)
    valid_from: Day | None = None
    valid_to: Day | None = None
    decision_ref: DecisionRef | None = None
    note: Note | None = None


class _CreatedOrganization(OrganizationCreate):
    model_config = ConfigDict(extra="ignore")


def check_organization_row(values: dict[str, Any]) -> Checked:
    return _checked(ImportedOrganization, _CreatedOrganization, values)


class ImportedEvent(MemberEventCreate):
    """A row of a member's history: the body of POST /members/{id}/events."""


def check_event_row(values: dict[str, Any]) -> Checked:
    return _checked(ImportedEvent, None, values)


class ImportedRating(BaseModel):
    """A row of a rating import: the fields of RatingCreate, each optional (an empty cell keeps the stored
    value); whether a score, band or reason is given is decided with the stored rating."""

    model_config = ConfigDict(extra="forbid")

    period: Period
    score: Int | None = Field(default=None, ge=0, le=100)
    rating: Band | None = None
    not_rated_reason: NotRatedReason | None = None
    sick_leave_months: Int | None = Field(default=None, ge=0, le=60)
    comment: LongText | None = None
    rated_on: Day | None = None


def check_rating_row(values: dict[str, Any]) -> Checked:
    return _checked(ImportedRating, None, values)


class ImportedPosition(PositionCreate):
    """A row of a seat import: the body of POST /organizations/{id}/positions and the unit it is posted to (the
    member is named by the row's keys)."""

    member_id: Any = None
    organization_id: Any


def check_position_row(values: dict[str, Any]) -> Checked:
    return _checked(ImportedPosition, None, values)


class ImportedPost(PostCreate):
    """A row of a post import: the body of POST /members/{id}/posts (the member is named by the row's keys)."""


def check_post_row(values: dict[str, Any]) -> Checked:
    return _checked(ImportedPost, None, values)


class ImportedReport(ReportCreate):
    """A row of a report import: the body of POST /tasks/{id}/reports (the task and the reporting body are named
    by the row's keys, the body resolved after the check)."""

    body_id: Any = None


def check_report_row(values: dict[str, Any]) -> Checked:
    return _checked(ImportedReport, None, values)
