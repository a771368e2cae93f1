"""Bodies of the member endpoints. Sensitive fields (residence, ethnicity, religion, citizen_id, phone) are
null in answers to callers without the `pii` permission, and `pii_hidden` is then true."""

import uuid
from datetime import date, datetime
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from app.api.types import Day, DecisionRef, ExternalId, Name, NfcStr, PatchBody
from app.domain.members.events import Introducer
from app.domain.members.lifecycle import EventKind

CitizenId = Annotated[str, StringConstraints(pattern=r"^[0-9]{12}$")]
Phone = Annotated[str, StringConstraints(pattern=r"^\+?[0-9 .-]{8,20}$")]
Text = Annotated[NfcStr, StringConstraints(max_length=500)]
# A code of GET /reference/members, or a value another system registered (counted as `unlisted`).
CatalogueCode = Annotated[NfcStr, StringConstraints(min_length=1, max_length=100)]


class MemberFields(BaseModel):
    model_config = ConfigDict(extra="forbid")

    full_name: Name | None = Field(default=None, examples=["Nguyễn Thị Hồng Đào"])
    gender: Literal["male", "female"] | None = None
    birth_date: Day | None = None
    birth_place: Text | None = None
    hometown: Text | None = None
    residence: Text | None = Field(default=None, description="Sensitive (pii)")
    ethnicity: CatalogueCode | None = Field(
        default=None, description="Catalogue code (GET /reference/members); sensitive"
    )
    religion: CatalogueCode | None = Field(default=None, description="Catalogue code; sensitive")
    citizen_id: CitizenId | None = Field(default=None, description="CCCD, 12 digits; sensitive")
    phone: Phone | None = Field(default=None, description="Sensitive (pii)")
    education: CatalogueCode | None = None
    professional_level: CatalogueCode | None = None
    political_theory_level: CatalogueCode | None = None
    admission_ceremony_date: Day | None = None
    party_card_number: Annotated[str, StringConstraints(max_length=40)] | None = None
    record_number: Annotated[str, StringConstraints(max_length=40)] | None = None
    training_certificate_date: Day | None = None
    sponsor_ids: list[uuid.UUID] | None = Field(
        default=None,
        max_length=2,
        description="The official members who sponsor a candidate: two, or one beside `introduced_by`",
    )
    sponsor_since: dict[uuid.UUID, Day] | None = Field(
        default=None,
        max_length=2,
        description="Since when each sponsor (by id, one of `sponsor_ids`) has worked, studied or lived with the "
        "candidate; at admission each counted sponsor needs COSO_SPONSOR_MIN_MONTHS of it (Charter art. 4.2)",
    )
    introduced_by: Introducer | None = Field(
        default=None,
        description="The Front or mass organisation whose grassroots committee introduced the candidate by "
        "resolution (indicator admissions_introduced). The Youth Union's (Đoàn TNCS Hồ Chí Minh) or the trade "
        "union's (Công đoàn) introduction stands for one of the two sponsors (Charter art. 4)",
    )
    external_ids: list[ExternalId] | None = Field(default=None, max_length=50)


class MemberCreate(MemberFields):
    full_name: Name
    gender: Literal["male", "female"]
    birth_date: Day
    status: Literal["candidate", "probationary", "official"] = Field(
        description="candidate: in the admission pipeline; probationary/official: a member registered from "
        "another system, with `admission_decision_date`"
    )
    organization_id: uuid.UUID = Field(description="The cell: where a candidate is proposed, or the member's home")
    admission_decision_date: Day | None = None
    official_date: Day | None = Field(
        default=None,
        description="Default: the admission ceremony (or, unknown, the decision) + COSO_PROBATION_MONTHS",
    )
    since: Day | None = Field(
        default=None,
        description="The day from which the person is recorded in `organization_id`; never before that cell was "
        "founded (409 `before_organization_founded`). A candidate: the pipeline start (default: today; an admission "
        "recorded later but dated earlier moves it back). A member registered from another system: placed in the "
        "cell from this day, probationary until `official_date` and official from then on (default: the "
        "admission decision, or the cell's founding if later; never before the admission: "
        "422 `since_before_admission`)",
    )
    decision_ref: DecisionRef | None = None


class MemberUpdate(MemberFields, PatchBody):
    """Corrections. Status, organisation and dates of the lifecycle change only through events. A field left out
    is kept; null clears an optional field."""

    not_null = frozenset({"full_name", "gender", "birth_date", "external_ids"})


class MemberRead(BaseModel):
    id: uuid.UUID
    full_name: str
    gender: str
    birth_date: date
    birth_place: str | None
    hometown: str | None
    residence: str | None = Field(description="null without pii")
    ethnicity: str | None = Field(description="null without pii")
    religion: str | None = Field(description="null without pii")
    citizen_id: str | None = Field(description="null without pii")
    phone: str | None = Field(description="null without pii")
    education: str | None
    professional_level: str | None
    political_theory_level: str | None
    admission_decision_date: date | None
    admission_ceremony_date: date | None
    official_date: date | None
    party_card_number: str | None
    record_number: str | None
    status: str
    organization_id: uuid.UUID
    host_organization_id: uuid.UUID | None
    temporarily_away: bool
    exempt: bool
    suspended: bool
    sponsor_ids: list[uuid.UUID]
    sponsor_since: dict[str, date]
    introduced_by: str | None
    training_certificate_date: date | None
    external_ids: list[str]
    pii_hidden: bool = Field(description="true: the sensitive fields were withheld (no pii permission)")
    created_at: datetime
    updated_at: datetime
    version: int


class MemberPage(BaseModel):
    items: list[MemberRead]
    next_cursor: str | None


class MemberEventCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    kind: EventKind
    date: Day = Field(description="The day it takes effect (the decision's date)")
    decision_ref: DecisionRef | None = Field(default=None, examples=["125-QĐ/ĐU"])
    note: Annotated[NfcStr, StringConstraints(max_length=2000)] | None = None
    to_organization_id: uuid.UUID | None = Field(
        default=None, description="transfer / temporary_transfer: the cell in this service's tree"
    )
    destination: Text | None = Field(default=None, description="transfer / temporary_transfer out of the tree")
    age_exception: Text | None = Field(default=None, description="admit: why the age rule does not apply")
    ceremony_date: Day | None = Field(default=None, description="admit: the admission ceremony")


class MemberEventRead(BaseModel):
    id: uuid.UUID
    kind: str
    event_date: date
    decision_ref: str | None
    note: str | None
    from_organization_id: uuid.UUID | None
    to_organization_id: uuid.UUID | None
    details: dict[str, object] | None
    details_hidden: bool = Field(description="A disciplinary event's decision, note and details need pii")
    recorded_by: str
    recorded_at: datetime


class MemberEventPage(BaseModel):
    items: list[MemberEventRead]
    next_cursor: None = None


class Labelled(BaseModel):
    value: str
    label_vi: str


class MemberReference(BaseModel):
    ethnicity: list[Labelled]
    religion: list[Labelled]
    political_theory_level: list[Labelled]
    education: list[Labelled]
    professional_level: list[Labelled]
    status: list[Labelled]
    gender: list[Labelled]
    event_kind: list[Labelled]
