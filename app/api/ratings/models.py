"""Bodies of the rating endpoints (members' and organisations'), and of the summary with its quota."""

import uuid
from datetime import date, datetime

from pydantic import BaseModel, ConfigDict, Field, model_validator

from app.api.types import Day, Int, LongText, Period
from app.domain.ratings.service import Band, NotRatedReason


class RatingBody(BaseModel):
    """A score (the band follows from the configured thresholds), a band (`rating`, when the cell records only
    the band; with a score it may be lower than the score's, never higher), or the reason the subject is not
    rated."""

    model_config = ConfigDict(extra="forbid")

    score: Int | None = Field(default=None, ge=0, le=100)
    rating: Band | None = Field(
        default=None, description="The band, when given without a score or lowered by a condition"
    )
    not_rated_reason: NotRatedReason | None = Field(
        default=None,
        description="long_sick_leave and maternity_leave are accepted as declared (HD 21-HD/BTCTW II.6); the others "
        "must match the records",
    )
    sick_leave_months: Int | None = Field(
        default=None,
        ge=0,
        le=60,
        description="Months of sick leave in the period: from COSO_RATING_SICK_LEAVE_MONTHS on, the band is at most "
        "COSO_RATING_SICK_LEAVE_MAX_BAND",
    )
    comment: LongText | None = None
    rated_on: Day | None = Field(default=None, description="The day the rating was decided")

    @model_validator(mode="after")
    def _score_or_reason(self) -> "RatingBody":
        if (self.score is None and self.rating is None) == (self.not_rated_reason is None):
            raise ValueError("give a score or a rating (band), or a not_rated_reason")
        return self


class RatingCreate(RatingBody):
    period: Period = Field(description="A year (2024), a quarter (2024Q2) or a term (nhiệm kỳ, 2020-2025)")


class RatingRead(BaseModel):
    """A rating. For a member's rating, `score` and `comment` are personal data: they are null unless the caller
    has the `pii` permission (`details_hidden` says so); the band (`rating`) is always shown."""

    id: uuid.UUID
    member_id: uuid.UUID | None = Field(description="null for an organisation's own rating")
    full_name: str | None
    organization_id: uuid.UUID = Field(
        description="The organisation rated, or the member's organisation at the end of the period"
    )
    organization_code: str
    organization_name: str
    period: str
    period_end: date
    score: int | None
    rating: Band | None
    not_rated_reason: NotRatedReason | None
    comment: str | None
    rated_on: date | None
    sick_leave_months: int | None = Field(description="Personal: null unless the caller has pii")
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
    units_over_quota: list[UnitOverQuota] = Field(
        description="Units whose own members' excellent ratings exceed the quota (the first 100, in tree order)"
    )
    units_over_quota_count: int
