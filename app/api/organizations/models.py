"""Request and response bodies of the organisation endpoints (documentation of what PostgreSQL renders)."""

import uuid
from datetime import date, datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from app.api.types import Code, Day, DecisionRef, ExternalId, Name, Note, PatchBody
from app.domain.organizations.rules import Category, Kind


class OrganizationRead(BaseModel):
    id: uuid.UUID
    code: str = Field(examples=["DU-TRUONG-THPT-01"])
    name: str = Field(examples=["Chi bộ Trường THPT Nguyễn Trãi"])
    kind: Kind
    category: Category | None
    parent_id: uuid.UUID | None = Field(description="The parent on the structure date (as_of), if any")
    depth: int = Field(description="0 for a root; parent's depth + 1")
    valid_from: date = Field(description="Founded on")
    valid_to: date | None = Field(description="Dissolved, merged or split on (exclusive); null while it exists")
    placed_from: date = Field(description="Sits where it is (parent, depth) since this date")
    placed_to: date | None = Field(
        description="…until this date (exclusive), or null; equal to placed_from for a unit that ended on the day "
        "it was moved there (where it went, though it sat there on no day)"
    )
    external_ids: list[str] = Field(description='Identifiers in other systems, "system:id"')
    created_at: datetime
    updated_at: datetime
    version: int = Field(description="Increases with each change; send it back as If-Match")


class OrganizationPage(BaseModel):
    items: list[OrganizationRead]
    next_cursor: str | None = Field(description="Pass as `cursor` for the next page; null on the last page")


class OrganizationCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    code: Code = Field(description="Unique human code, kept by dissolved units too")
    name: Name
    kind: Kind
    category: Category | None = None
    parent_id: uuid.UUID | None = Field(default=None, description="Omit for a root (provincial committee)")
    valid_from: Day | None = Field(default=None, description="Founded on (default: today)")
    external_ids: list[ExternalId] = Field(default_factory=list, max_length=50)
    decision_ref: DecisionRef | None = Field(default=None, description="Founding decision, e.g. 123-QĐ/TU")
    note: Note | None = Field(default=None)


class OrganizationUpdate(PatchBody):
    """Corrections of a unit's attributes. Fields left out are kept; where it sits changes by reorganisation."""

    not_null = frozenset({"code", "name", "kind", "external_ids"})

    code: Code | None = None
    name: Name | None = None
    kind: Kind | None = None
    category: Category | None = None
    external_ids: list[ExternalId] | None = Field(default=None, max_length=50, description="Replaces the whole list")


class ReorganizationBase(BaseModel):
    model_config = ConfigDict(extra="forbid")

    effective_date: Day | None = Field(default=None, description="From this date on (default: today)")
    decision_ref: DecisionRef | None = Field(default=None, examples=["1234-QĐ/TU"])
    note: Note | None = Field(default=None)


class MoveRequest(ReorganizationBase):
    parent_id: uuid.UUID = Field(description="The new parent; the unit's whole subtree moves with it")


class DissolveRequest(ReorganizationBase):
    pass


class NewUnitSpec(BaseModel):
    model_config = ConfigDict(extra="forbid")

    code: Code
    name: Name
    kind: Kind | None = Field(default=None, description="Default: the kind of the source(s)")
    category: Category | None = Field(default=None, description="Default: the category of the (first) source")
    parent_id: uuid.UUID | None = Field(default=None, description="Default: the parent of the source(s)")
    external_ids: list[ExternalId] = Field(default_factory=list, max_length=50)


class SplitPart(NewUnitSpec):
    children: list[uuid.UUID] = Field(default_factory=list, description="Children of the split unit that go here")


class MergeRequest(ReorganizationBase):
    source_ids: list[uuid.UUID] = Field(min_length=1, max_length=100)
    into_id: uuid.UUID | None = Field(default=None, description="An existing unit that absorbs the sources")
    into: NewUnitSpec | None = Field(default=None, description="A new unit the sources become")


class SplitRequest(ReorganizationBase):
    parts: list[SplitPart] = Field(min_length=2, max_length=100)


class LineageEventRead(BaseModel):
    id: uuid.UUID
    action: str = Field(description="create, move, merge, split or dissolve")
    effective_date: date
    decision_ref: str | None
    note: str | None
    recorded_at: datetime
    sources: list[uuid.UUID] = Field(description="What it was")
    targets: list[uuid.UUID] = Field(description="What it became")


class LineagePage(BaseModel):
    items: list[LineageEventRead]
    next_cursor: str | None


class SplitResult(BaseModel):
    items: list[OrganizationRead]
    next_cursor: None = None


class LabelledValue(BaseModel):
    value: str
    label_vi: str
    label_en: str | None = None


class KindInfo(LabelledValue):
    allowed_parents: list[str | None] = Field(description="Kinds it may sit under; null = may be a root")


class OrganizationReference(BaseModel):
    kinds: list[KindInfo]
    categories: list[LabelledValue]


# --- compliance checks ----------------------------------------------------------------------------------------


class UnitRef(BaseModel):
    id: uuid.UUID
    code: str
    name: str
    kind: str
    parent_id: uuid.UUID | None


class Violation(BaseModel):
    model_config = ConfigDict(extra="allow")

    rule: str = Field(
        description="too_few_official_members, cell_without_committee, cell_committee_too_large, "
        "too_many_deputy_secretaries, grassroots_cell_too_large, subordinate_cell_too_large or "
        "probationary_past_recognition_window"
    )
    severity: Literal["violation", "advice"] = Field(
        description="violation: a rule is broken; advice: a recommendation, not a breach (a large subordinate cell "
        "is advised to split into cells or party groups)"
    )
    value: int = Field(description="The number the rule looks at (members, official members, overdue members)")
    threshold: int = Field(description="The configured threshold it is compared with")
    detail: str


class OverdueMember(BaseModel):
    member_id: uuid.UUID
    full_name: str
    admission_decision_date: date
    admission_ceremony_date: date | None = Field(description="Probation is counted from it (the decision if null)")
    official_date: date = Field(
        description="Admission ceremony + the probation months: the date recognition takes effect"
    )
    recognition_due: date = Field(description="The last working day of the recognition window")
    days_late: int


class ComplianceItem(BaseModel):
    organization: UnitRef
    official_members: int | None = Field(
        description="Official members of the unit and the units under it, for "
        "grassroots organisations and cells (null for other kinds)"
    )
    members: int | None = Field(
        description="Probationary and official members, exempt ones included; temporary "
        "members count in their home organisation only"
    )
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
    next_cursor: str | None = Field(
        description="Continue from here; a page may hold fewer items than `limit` "
        "when it reached the scan bound, and still have a next one"
    )
