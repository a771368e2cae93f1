"""The change feed as the API shows it (documentation: the items are built in the domain from rows of PostgreSQL)."""

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, Field

Entity = Literal["organization", "member", "plan", "task"]


class ChangeRead(BaseModel):
    cursor: str = Field(description="The feed's position just after this change: resume from here with `after`")
    entity: Entity
    id: str
    change: Literal["created", "updated", "deleted"] = Field(
        description="What a copy of your scope must do: `created` (the record entered your scope: created there, "
        "moved in, or alive again), `updated`, or `deleted` (a tombstone: deleted, ended, or moved out of your "
        "scope). Insert or replace the record on created and updated, remove it on deleted"
    )
    event: Literal["created", "updated", "moved", "ended", "deleted"] = Field(
        description="What happened to the record, whoever looks: `moved` to another place in the tree (a transfer, "
        "a unit moved with its subtree), `ended` (a unit dissolved or merged away, a member who left the Party "
        "or died, with the record kept)"
    )
    tombstone: bool = Field(description="True when `change` is deleted")
    version: int | None = Field(description="The record's version after the change (its ETag); null when deleted")
    changed_at: datetime = Field(description="When the change was committed (its transaction's time)")
    url: str | None = Field(description="Where the record is read now; null for a tombstone")
    data: dict[str, Any] | None = Field(
        description="The record as its GET serves it now (members and units; null for plans and tasks, and for "
        "tombstones). It may be newer than this change when the record changed again since"
    )


class ChangePage(BaseModel):
    items: list[ChangeRead]
    next_cursor: str = Field(
        description="Always given: pass it as `after` next time. When the page is not full it lies past every "
        "change there is so far, including those outside your scope"
    )
