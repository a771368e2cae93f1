"""Bodies of the endpoints about what a unit is made of and how it does: positions and public posts, leadership,
ratings, organisation records (regulations, inspections, committee terms) and compliance checks."""

import uuid
from datetime import date, datetime

from pydantic import BaseModel, ConfigDict, Field, model_validator

from app.api.types import Day, DecisionRef, Int, LongText, Name, Period
from app.domain.positions import Position, Post
from app.domain.ratings import Band, NotRatedReason


class LabelledCode(BaseModel):
    value: str
    label_vi: str


class PositionReference(BaseModel):
    positions: list[LabelledCode]
    posts: list[LabelledCode]
    community_head_posts: list[str] = Field(description="Posts that make a cell's secretary the head of the "
                                                        "village or residential group the cell stands for")
    rating_bands: list[LabelledCode]
    not_rated_reasons: list[str]


# --- positions and posts -------------------------------------------------------------------------------------------

class PositionCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    member_id: uuid.UUID = Field(description="A member of the organisation (or of a unit under it) on valid_from")
    position: Position
    valid_from: Day
    valid_to: Day | None = Field(default=None, description="Exclusive; null while held")
    decision_ref: DecisionRef | None = Field(default=None, examples=["15-QĐ/ĐU"])


class PositionEnd(BaseModel):
    model_config = ConfigDict(extra="forbid")

    valid_to: Day = Field(description="From this day on the seat is no longer held")
    decision_ref: DecisionRef | None = None


class PositionRead(BaseModel):
    id: uuid.UUID
    member_id: uuid.UUID
    full_name: str
    organization_id: uuid.UUID
    organization_code: str
    organization_name: str
    position: Position
    valid_from: date
    valid_to: date | None
    decision_ref: str | None
    end_decision_ref: str | None
    version: int


class PositionPage(BaseModel):
    items: list[PositionRead]
    next_cursor: None = None


class PostCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    post: Post
    place: Name | None = Field(default=None, description="Where, in words", examples=["Thôn Đông, xã An Bình"])
    organization_id: uuid.UUID | None = Field(
        default=None, description="The party organisation of the place (e.g. the village's cell): the post then "
                                  "counts for its indicators, one holder at a time")
    valid_from: Day
    valid_to: Day | None = None
    decision_ref: DecisionRef | None = None


class PostEnd(BaseModel):
    model_config = ConfigDict(extra="forbid")

    valid_to: Day


class PostRead(BaseModel):
    id: uuid.UUID
    member_id: uuid.UUID
    full_name: str
    post: Post
    place: str | None
    organization_id: uuid.UUID | None
    organization_code: str | None
    organization_name: str | None
    valid_from: date
    valid_to: date | None
    decision_ref: str | None
    version: int


class MemberPositions(BaseModel):
    member_id: uuid.UUID
    full_name: str
    positions: list[PositionRead]
    posts: list[PostRead]


class Holder(BaseModel):
    position_id: uuid.UUID
    member_id: uuid.UUID
    full_name: str
    position: Position
    valid_from: date
    valid_to: date | None


class Leadership(BaseModel):
    organization_id: uuid.UUID
    kind: str
    as_of: date
    secretary: Holder | None
    deputies: list[Holder]
    committee: list[Holder] = Field(description="Every seat held that day, secretary first")
    committee_seats: int
    is_cell: bool
    cell_committee_min_positions: int = Field(description="COSO_CELL_COMMITTEE_MIN_POSITIONS")
    has_cell_committee: bool | None = Field(description="For cells: at least cell_committee_min_positions seats "
                                                        "filled, the secretary's included; null for other kinds")
    secretary_is_village_head: bool | None = Field(
        description="The secretary holds a village or residential-group head post linked to this unit; null "
                    "without a secretary")
    secretary_posts: list[PostRead]


# --- ratings -------------------------------------------------------------------------------------------------------

class RatingBody(BaseModel):
    """A score (the band follows from the configured thresholds) or the reason the subject is not rated."""

    model_config = ConfigDict(extra="forbid")

    score: Int | None = Field(default=None, ge=0, le=100)
    not_rated_reason: NotRatedReason | None = None
    comment: LongText | None = None
    rated_on: Day | None = Field(default=None, description="The day the rating was decided")

    @model_validator(mode="after")
    def _score_or_reason(self) -> "RatingBody":
        if (self.score is None) == (self.not_rated_reason is None):
            raise ValueError("give either a score or a not_rated_reason")
        return self


class RatingCreate(RatingBody):
    period: Period = Field(description="A year or a quarter")


class RatingRead(BaseModel):
    """A rating. For a member's rating, `score` and `comment` are personal data: they are null unless the caller
    has the `pii` permission (`details_hidden` says so); the band (`rating`) is always shown."""

    id: uuid.UUID
    member_id: uuid.UUID | None = Field(description="null for an organisation's own rating")
    full_name: str | None
    organization_id: uuid.UUID = Field(description="The organisation rated, or the member's organisation at the "
                                                   "end of the period")
    organization_code: str
    organization_name: str
    period: str
    period_end: date
    score: int | None
    rating: Band | None
    not_rated_reason: NotRatedReason | None
    comment: str | None
    rated_on: date | None
    details_hidden: bool
    created_at: datetime
    updated_at: datetime
    version: int


class RatingPage(BaseModel):
    items: list[RatingRead]
    next_cursor: str | None


class Quota(BaseModel):
    excellent: int
    good_or_better: int
    percent: float = Field(description="COSO_EXCELLENT_QUOTA_PERCENT")
    max_excellent: int
    excellent_share_percent: float | None
    exceeded: bool = Field(description="More excellent ratings than the quota allows (reported, not enforced)")


class RatingCounts(BaseModel):
    rated: int
    by_rating: dict[str, int]
    not_rated: dict[str, int]
    quota: Quota


class MemberRatingCounts(RatingCounts):
    in_membership: int = Field(description="Probationary and official members at the end of the period")
    without_rating: int = Field(description="…of whom no rating (nor reason) is recorded")


class UnitOverQuota(Quota):
    organization_id: uuid.UUID
    code: str
    name: str


class RatingSummary(BaseModel):
    organization_id: uuid.UUID
    period: str
    period_end: date
    members: MemberRatingCounts = Field(description="Ratings of the members of the unit and the units under it")
    organizations: RatingCounts = Field(description="Ratings of the organisations under the unit")
    units_over_quota: list[UnitOverQuota] = Field(description="Units whose own members' excellent ratings exceed "
                                                              "the quota (the first 100, in tree order)")
    units_over_quota_count: int


# --- organisation records ------------------------------------------------------------------------------------------

class RegulationCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    issued_on: Day
    reference: DecisionRef = Field(min_length=1, examples=["01-QC/CB"])
    title: Name | None = Field(default=None, examples=["Quy chế làm việc của Chi bộ nhiệm kỳ 2025-2030"])


class RegulationRead(BaseModel):
    id: uuid.UUID
    organization_id: uuid.UUID
    issued_on: date
    reference: str
    title: str | None
    created_at: datetime


class InspectionCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    inspecting_body: Name = Field(examples=["Ủy ban Kiểm tra Đảng ủy xã"])
    year: Int = Field(ge=1930, le=2100)
    inspected_on: Day | None = None
    conclusion: LongText | None = None
    reference: DecisionRef | None = Field(default=None, examples=["Thông báo kết luận số 05-TB/UBKT"])


class InspectionRead(BaseModel):
    id: uuid.UUID
    organization_id: uuid.UUID
    inspecting_body: str
    year: int
    inspected_on: date | None
    conclusion: str | None
    reference: str | None
    created_at: datetime


class TermCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    label: str = Field(pattern=r"^[0-9]{4}-[0-9]{4}$", examples=["2025-2030"])
    starts_on: Day = Field(description="The congress that elected the committee")
    ends_on: Day | None = Field(default=None, description="Exclusive; null while the term runs")


class TermRead(BaseModel):
    id: uuid.UUID
    organization_id: uuid.UUID
    label: str
    starts_on: date
    ends_on: date | None
    created_at: datetime


class RegulationPage(BaseModel):
    items: list[RegulationRead]
    next_cursor: None = None


class InspectionPage(BaseModel):
    items: list[InspectionRead]
    next_cursor: None = None


class TermPage(BaseModel):
    items: list[TermRead]
    next_cursor: None = None


# --- compliance ----------------------------------------------------------------------------------------------------

class UnitRef(BaseModel):
    id: uuid.UUID
    code: str
    name: str
    kind: str
    parent_id: uuid.UUID | None


class Violation(BaseModel):
    model_config = ConfigDict(extra="allow")

    rule: str = Field(description="too_few_official_members, cell_without_committee, grassroots_cell_too_large, "
                                  "subordinate_cell_too_large or probationary_past_recognition_window")
    value: int = Field(description="The number the rule looks at (members, official members, overdue members)")
    threshold: int = Field(description="The configured threshold it is compared with")
    detail: str


class OverdueMember(BaseModel):
    member_id: uuid.UUID
    full_name: str
    admission_decision_date: date
    official_date: date = Field(description="Admission + the probation months: the date recognition takes effect")
    recognition_due: date = Field(description="The last working day of the recognition window")
    days_late: int


class ComplianceItem(BaseModel):
    organization: UnitRef
    official_members: int | None = Field(description="Official members of the unit and the units under it, for "
                                                     "grassroots organisations and cells (null for other kinds)")
    members: int | None = Field(description="Probationary and official members, exempt ones included; temporary "
                                            "members count in their home organisation only")
    exempt_members: int | None
    committee_seats: int
    has_cell_committee: bool | None
    violations: list[Violation]
    overdue_probationary: list[OverdueMember]


class CompliancePage(BaseModel):
    within: uuid.UUID
    as_of: date
    units_examined: int = Field(description="Units this page looked at (at most COSO_COMPLIANCE_SCAN_UNITS)")
    items: list[ComplianceItem]
    next_cursor: str | None = Field(description="Continue from here; a page may hold fewer items than `limit` "
                                                "when it reached the scan bound, and still have a next one")
