"""Bodies of the key and audit endpoints."""

import uuid
from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field

from app.api.types import Bool, Moment, Name
from app.domain.access.callers import Role


class KeyCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: Name = Field(description="Who or what uses the key, e.g. 'Phần mềm quản lý đảng viên tỉnh Hưng Yên'")
    role: Role
    scopes: list[uuid.UUID] = Field(
        default_factory=list,
        max_length=100,
        description="Organisations whose subtrees the key covers; empty = whole tree "
        "(only a whole-tree admin may create such a key)",
    )
    pii: Bool = Field(default=False, description="May read sensitive personal data (citizen ID, phone, …)")
    expires_at: Moment | None = None


class KeyRead(BaseModel):
    id: uuid.UUID
    key_id: str = Field(description="The public part of the key (`coso_<key_id>_…`)")
    name: str
    role: Role
    scopes: list[uuid.UUID]
    pii: bool
    created_at: datetime
    created_by: str | None
    expires_at: datetime | None
    revoked_at: datetime | None
    last_used_at: datetime | None = Field(description="Recorded at most once a minute")
    version: int = Field(description="Moves when the key is revoked (its ETag; send it as If-Match to revoke)")


class KeyCreated(KeyRead):
    key: str = Field(description="The secret key: shown this once, stored only as a hash")


class KeyPage(BaseModel):
    items: list[KeyRead]
    next_cursor: str | None
