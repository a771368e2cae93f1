"""Bodies of the organisation records: working regulations, inspections, committee terms."""

import uuid
from datetime import date, datetime

from pydantic import BaseModel, ConfigDict, Field

from app.api.types import Day, DecisionRef, Int, LongText, Name


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
