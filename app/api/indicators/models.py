"""What the indicator endpoints take and answer: the catalogue, analytics cells and targets."""

import uuid
from datetime import datetime
from decimal import Decimal
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from app.api.types import DecisionRef, Int
from app.domain.indicators.catalogue import Comparator

PeriodTypeName = Literal["year", "quarter"]
SetBy = Literal["organization", "plan", "default"]


class TargetRead(BaseModel):
    comparator: Comparator
    value: float
    value_high: float | None
    year_from: int
    year_to: int | None
    period_types: list[PeriodTypeName] = Field(
        description="The period types it applies to (a yearly target is no quarter's)"
    )
    source: str | None = None
    organization_id: uuid.UUID | None = None
    set_by: SetBy | None = Field(
        default=None, description="Where it came from: set on a unit, carried by a plan, or the catalogue's default"
    )
    plan_id: uuid.UUID | None = None
    plan_code: str | None = None


class IndicatorRead(BaseModel):
    code: str
    name: str
    name_vi: str
    numerator: str
    numerator_vi: str
    denominator: str | None
    denominator_vi: str | None
    unit: Literal["percent", "count"]
    period_types: list[Literal["year", "quarter"]]
    direction: Literal["higher_is_better", "lower_is_better"]
    default_target: TargetRead | None
    plan_default_target: TargetRead | None = Field(
        description="What a plan implementing Resolution 21 carries when it names the indicator without figures "
        "(seed 004's targets)"
    )


class IndicatorPage(BaseModel):
    items: list[IndicatorRead]
    next_cursor: str | None


class Cell(BaseModel):
    indicator: str
    period: str
    organization_id: uuid.UUID | None = Field(description="null: the total over the caller's scope")
    organization_code: str | None
    organization_name: str
    parent_id: uuid.UUID | None
    depth: int | None
    numerator: int
    denominator: int | None
    value: float | None = Field(
        description="100 × numerator / denominator (2 decimals), or the count; null when the denominator is 0"
    )
    unit: Literal["percent", "count"]
    target: TargetRead | None
    met: bool | None = Field(description="true when met or above a range; null without a target or a value")
    status: Literal["met", "above_range", "not_met"] | None = Field(
        description="A range (5–10 %) is met from its low end; above its high end is `above_range`, not a failure"
    )


class Analytics(BaseModel):
    structure: Literal["period", "current"]
    items: list[Cell]
    next_cursor: str | None


PERIOD_TYPES_DOC = "The period types it applies to (default: year only; quarters are left without a target)"


class TargetCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    organization_id: uuid.UUID
    period_types: list[PeriodTypeName] | None = Field(
        default=None, min_length=1, max_length=2, description=PERIOD_TYPES_DOC
    )
    year_from: Int = Field(ge=1930, le=2100, examples=[2025])
    year_to: Int | None = Field(
        default=None, ge=1930, le=2100, examples=[2030], description="Last year it applies to (null: open-ended)"
    )
    comparator: Comparator
    value: Decimal = Field(
        ge=0,
        le=10**9,
        max_digits=14,
        decimal_places=4,
        examples=[3],
        description="A percentage (3 = 3 %) or a count, as the indicator's unit says",
    )
    value_high: Decimal | None = Field(
        default=None,
        ge=0,
        le=10**9,
        max_digits=14,
        decimal_places=4,
        examples=[4],
        description="Upper bound, with `between` only",
    )
    note: DecisionRef | None = Field(default=None, examples=["Kế hoạch 01-KH/TU, mục 3.d"])


class TargetStored(BaseModel):
    id: uuid.UUID
    indicator: str
    organization_id: uuid.UUID
    organization_code: str
    year_from: int
    year_to: int | None
    period_types: list[PeriodTypeName]
    comparator: Comparator
    value: float
    value_high: float | None
    set_by: Literal["organization", "plan"]
    source: Literal["request", "plan_text"] = Field(
        description="request: set through the API; plan_text: read from the plan's text when it was imported "
        "(`note` names the task and quotes the sentence)"
    )
    plan_id: uuid.UUID | None = Field(description="The plan that set it (set_by = plan)")
    plan_code: str | None
    note: str | None
    created_at: datetime
    version: int = Field(description="The target's ETag (targets are not edited: it changes only by deletion)")


class PlanTarget(BaseModel):
    """A target a plan carries. Name only the indicator to carry the catalogue's plan default (seed 004: 100 % of
    village cells with a committee by 2025, admissions 3–4 % a year, …)."""

    model_config = ConfigDict(extra="forbid")

    indicator: Annotated[str, StringConstraints(min_length=1, max_length=80)] = Field(examples=["admission_rate"])
    comparator: Comparator | None = None
    value: Decimal | None = Field(default=None, ge=0, le=10**9, max_digits=14, decimal_places=4)
    value_high: Decimal | None = Field(default=None, ge=0, le=10**9, max_digits=14, decimal_places=4)
    year_from: Int | None = Field(default=None, ge=1930, le=2100)
    year_to: Int | None = Field(default=None, ge=1930, le=2100)
    period_types: list[PeriodTypeName] | None = Field(
        default=None, min_length=1, max_length=2, description=PERIOD_TYPES_DOC
    )
    note: DecisionRef | None = None


class PlanTargetsSet(BaseModel):
    model_config = ConfigDict(extra="forbid")

    targets: list[PlanTarget] = Field(max_length=100)


class TargetPage(BaseModel):
    items: list[TargetStored]
    next_cursor: str | None
