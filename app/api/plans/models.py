"""Bodies of the plan, task and body endpoints."""

import uuid
from datetime import date, datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from app.api.types import Bool, Day, DecisionRef, Int, Name, PatchBody
from app.domain.plans.document import TaskRole


class BodyCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: Name = Field(examples=["Cơ quan Tổ chức - Nội vụ thị xã"])
    organization_id: uuid.UUID = Field(
        description="The organisation whose body it is (for a collective: the root of the subtree it stands for)"
    )
    kind: Literal["agency", "organization", "collective"] = "agency"
    aliases: list[Name] = Field(default_factory=list, max_length=20, examples=[["Cơ quan TC-NV thị xã"]])


class AliasCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    alias: Name


class BodyMemberRead(BaseModel):
    """A unit that is a member of a collective body."""

    id: uuid.UUID
    code: str
    name: str


class BodyRead(BaseModel):
    id: uuid.UUID
    name: str
    name_key: str = Field(description="The forgiving match key (accents, case, spacing, abbreviations folded)")
    kind: str
    organization_id: uuid.UUID
    aliases: list[str]
    members: list[BodyMemberRead] = Field(
        description="The party organisations it stands for: the one it is, or each of a collective's"
    )
    created_at: datetime
    version: int


class BodyPage(BaseModel):
    items: list[BodyRead]
    next_cursor: str | None


class PlanCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    organization_id: uuid.UUID = Field(description="The organisation whose plan it is (scopes who sees it)")
    code: DecisionRef | None = Field(default=None, examples=["211-KH/TU"])
    title: Name
    issuer: Name | None = Field(
        default=None, description="The issuing body, matched or created by name", examples=["Ban Thường vụ Thị ủy"]
    )
    issued_on: Day | None = None
    implements: list[DecisionRef] = Field(default_factory=list, examples=[["Nghị quyết số 21-NQ/TW"]])
    status: Literal["draft", "issued"] = "draft"
    period_from: Day | None = None
    period_to: Day | None = None


class PlanUpdate(PatchBody):
    not_null = frozenset({"title", "status", "implements"})

    code: DecisionRef | None = None
    title: Name | None = None
    issued_on: Day | None = None
    implements: list[DecisionRef] | None = None
    status: Literal["draft", "issued"] | None = None
    period_from: Day | None = None
    period_to: Day | None = None


class PlanRead(BaseModel):
    id: uuid.UUID
    code: str | None
    title: str
    organization_id: uuid.UUID
    issuer_body_id: uuid.UUID | None
    issuer: str | None
    issued_on: date | None
    implements: list[str]
    status: str
    period_from: date | None
    period_to: date | None
    created_at: datetime
    updated_at: datetime
    version: int


class PlanPage(BaseModel):
    items: list[PlanRead]
    next_cursor: str | None


class AssignmentSpec(BaseModel):
    model_config = ConfigDict(extra="forbid")

    body: Name = Field(description="The body's name; matched forgivingly, created when unknown")
    roles: list[TaskRole] = Field(min_length=1)
    collective: Bool = Field(default=False, description="Stands for every organisation of the plan's subtree")


class TaskCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    code: str = Field(min_length=1, max_length=40, examples=["2.1.2.a"])
    parent_code: str | None = Field(default=None, examples=["2.1.2"])
    title: Name
    deadline: str | None = Field(
        default=None,
        max_length=500,
        description="As written in the plan",
        examples=["Sau 03 tháng kể từ khi có Quy chế mẫu", "Quý IV/2022", "Hằng năm"],
    )
    assignments: list[AssignmentSpec] = Field(default_factory=list, max_length=50)


class Obligation(BaseModel):
    year: int | None = Field(description="For recurring tasks: the year this obligation is for")
    due: date | None
    state: str = Field(
        description="not_yet_due, due_soon, overdue, done_on_time, done_late, waiting_on_event, ongoing or no_deadline"
    )
    done_on: date | None
    waiting_for: str | None


class MemberProgress(BodyMemberRead):
    state: str = Field(description="The state of this organisation's own part, from its own reports")
    reported: bool = Field(description="Whether it has reported at all")


class CollectiveProgress(BaseModel):
    body_id: uuid.UUID
    body: str
    organizations: int = Field(description="How many organisations the collective stands for")
    done: int = Field(description="Done on time")
    late: int = Field(description="Done late or overdue")
    silent: int = Field(description="Not reported at all")
    by_organization: list[MemberProgress]


class TaskUpdate(PatchBody):
    not_null = frozenset({"title"})

    title: Name | None = None
    deadline: str | None = Field(
        default=None, max_length=500, description="As written in the plan (parsed again); null: no deadline"
    )


class TaskRead(BaseModel):
    id: uuid.UUID
    plan_id: uuid.UUID
    plan_code: str | None
    parent_id: uuid.UUID | None
    code: str
    title: str
    deadline: dict[str, Any] | None = Field(description="kind, the original text, and what was understood")
    assignments: list[dict[str, Any]] = Field(description="body_id, body, kind, role")
    obligations: list[Obligation]
    state: str = Field(description="The most pressing state of its obligations")
    collectives: list[CollectiveProgress] = Field(
        description="Per collective body assigned: each of its organisations' own part, and how many are done, "
        "late or silent"
    )
    reports: list[dict[str, Any]]
    version: int


class TaskPage(BaseModel):
    items: list[TaskRead]
    next_cursor: None = None


class ReportCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    body_id: uuid.UUID = Field(description="The reporting body (one of the task's)")
    organization_id: uuid.UUID | None = Field(
        default=None,
        description="For a collective body: the organisation of it reporting its own part (one of its `members`)",
    )
    reported_on: Day
    period_year: Int | None = Field(
        default=None, ge=2000, le=2100, description="For recurring tasks: the year reported on (default: the report's)"
    )
    status: Literal["not_started", "in_progress", "done", "blocked"]
    text: str | None = Field(default=None, max_length=10_000)
    evidence_ref: str | None = Field(default=None, max_length=500, examples=["Báo cáo số 45-BC/TU"])


class EventRead(BaseModel):
    id: uuid.UUID
    plan_id: uuid.UUID
    description: str
    happened_on: date | None
    reference: str | None
    waiting_tasks: list[str] | None


class EventPage(BaseModel):
    items: list[EventRead]
    next_cursor: None = None


class EventRecord(BaseModel):
    model_config = ConfigDict(extra="forbid")

    happened_on: Day | None = Field(description="The day it happened (null: not yet, after all)")
    reference: DecisionRef | None = Field(default=None, examples=["Hướng dẫn số 12-HD/TU"])


class PlanSummary(BaseModel):
    plan_id: uuid.UUID
    as_of: date
    tasks: int
    by_state: dict[str, int]
    by_body: list[dict[str, Any]]
    by_role: dict[str, dict[str, int]]


class StatedGoal(BaseModel):
    """A quantified goal as the plan's text states it."""

    task_code: str | None = Field(description="The task whose text states it; null before the tasks (part A)")
    line: int = Field(description="The line of the task, or of the paragraph")
    text: str = Field(description="The sentence (or clause) that states it")
    comparator: Literal["gte", "gt", "lte", "lt", "between"]
    value: float
    value_high: float | None
    year_from: int
    year_to: int | None


class StatedTarget(StatedGoal):
    """A target the plan carries once committed (GET /plans/{id}/targets, source `plan_text`)."""

    indicator: str
    period_types: list[Literal["year", "quarter"]]


class UnmappedGoal(StatedGoal):
    """A quantified goal stored as no target, and why (no indicator counts what it names, …)."""

    reason: str


class ImportPreview(BaseModel):
    plan: dict[str, Any]
    tasks: list[dict[str, Any]]
    tasks_with_deadline: int
    new_bodies: list[str]
    unparsed: list[dict[str, Any]]
    targets: list[StatedTarget] = Field(
        description="Indicator targets the text states (docs/plans.md): stored with the plan when committed"
    )
    unmapped_targets: list[UnmappedGoal] = Field(
        description="Quantified goals of the text that give no target (no indicator of the catalogue counts them)"
    )
    plan_id: uuid.UUID | None = Field(default=None, description="Set when committed")
