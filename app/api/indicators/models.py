"""What the indicator endpoints take and answer: the catalogue, analytics cells and targets."""

import uuid
from datetime import datetime
from decimal import Decimal
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from app.api.types import DecisionRef, Int
from app.domain.indicators.catalogue import Comparator


class TargetRead(BaseModel):
    comparator: Comparator
    value: float
    value_high: float | None
    year_from: int
    year_to: int | None
    source: str | None = None
    organization_id: uuid.UUID | None = None


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
    met: bool | None


class Analytics(BaseModel):
    structure: Literal["period", "current"]
    items: list[Cell]
    next_cursor: str | None


class TargetCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    organization_id: uuid.UUID
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
    comparator: Comparator
    value: float
    value_high: float | None
    note: str | None
    created_at: datetime


class TargetPage(BaseModel):
    items: list[TargetStored]
    next_cursor: str | None
