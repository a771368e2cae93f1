"""Bodies of the position and post endpoints, and of a unit's leadership."""

import uuid
from datetime import date

from pydantic import BaseModel, ConfigDict, Field

from app.api.types import Day, DecisionRef, Name
from app.domain.positions.service import Position, Post


class LabelledCode(BaseModel):
    value: str
    label_vi: str


class PositionReference(BaseModel):
    positions: list[LabelledCode]
    posts: list[LabelledCode]
    community_head_posts: list[str] = Field(
        description="Posts that make a cell's secretary the head of the "
        "village or residential group the cell stands for"
    )
    rating_bands: list[LabelledCode]
    not_rated_reasons: list[str]


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
        default=None,
        description="The party organisation of the place (e.g. the village's cell): the post then "
        "counts for its indicators, one holder at a time",
    )
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
    has_cell_committee: bool | None = Field(
        description="For cells: at least cell_committee_min_positions seats "
        "filled, the secretary's included; null for other kinds"
    )
    secretary_is_village_head: bool | None = Field(
        description="The secretary holds a village or residential-group head post linked to this unit; null "
        "without a secretary"
    )
    secretary_posts: list[PostRead]
