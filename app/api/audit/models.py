"""Bodies of the audit log endpoint."""

import uuid
from datetime import datetime
from typing import Any

from pydantic import BaseModel, Field


class AuditEntryRead(BaseModel):
    id: int
    at: datetime
    actor_kind: str = Field(description="key, jwt or system")
    actor_id: str = Field(description="The key's key_id, or the token's subject")
    actor_name: str | None
    request_id: str | None
    action: str
    entity: str
    entity_id: uuid.UUID | None
    organization_id: uuid.UUID | None = Field(
        description="The unit the entry was recorded against (null: outside the caller's scope, or about no unit)"
    )
    related_organization_id: uuid.UUID | None = Field(
        description="The other end of a change that crosses units: where a member went, the parent a unit left"
    )
    before: dict[str, Any] | None = Field(description="Changed fields before (null on creation)")
    after: dict[str, Any] | None = Field(description="Changed fields after")
    redacted: list[str] = Field(
        description="What was hidden from this caller: sensitive values without pii "
        "(`redacted`, or null for a rating's score and comment), ids of units "
        "outside its scope (null)"
    )


class AuditPage(BaseModel):
    items: list[AuditEntryRead]
    next_cursor: str | None
