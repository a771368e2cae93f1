"""What the statistics endpoints answer: member and organisation counts by dimension."""

import uuid
from datetime import date

from pydantic import BaseModel, Field

from app.domain.statistics import service as service
from app.domain.statistics.service import MemberDimension, OrganizationDimension


class CountRow(BaseModel):
    key: str = Field(
        description="The row's value (`unknown`: no value recorded; `unlisted`: a value outside the catalogue)"
    )
    label: str = Field(description="Vietnamese label of the row")
    count: int
    items: "list[CountRow] | None" = Field(
        default=None, description="With two `by`: the rows of the second dimension within this one (absent otherwise)"
    )


class MemberStatistics(BaseModel):
    organization_id: uuid.UUID | None = Field(
        description="The unit counted (with its subtree); null: the caller's whole scope"
    )
    as_of: date
    by: list[MemberDimension]
    total: int = Field(description="Party members on the day: probationary and official (the sum of `items`)")
    candidates: int = Field(
        description="Candidates for admission (quần chúng ưu tú) on the rolls that day; not members, not in `total`"
    )
    exempt: int = Field(
        description="Members exempt from activity that day (miễn công tác và sinh hoạt đảng), included in `total`"
    )
    items: list[CountRow]


class OrganizationStatistics(BaseModel):
    organization_id: uuid.UUID | None = Field(
        description="The unit counted (itself included, with its subtree); null: the caller's whole scope"
    )
    as_of: date
    by: list[OrganizationDimension]
    total: int = Field(description="Units in the tree that day (the sum of `items`)")
    items: list[CountRow]
