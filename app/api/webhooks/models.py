"""Webhook subscriptions and their delivery log as the API shows them."""

import uuid
from datetime import datetime
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from app.api.types import Note, PatchBody

Entity = Literal["organization", "member", "plan", "task"]
WebhookUrl = Annotated[str, StringConstraints(min_length=8, max_length=2000, pattern=r"^\S+$")]
AFTER = (
    "Where deliveries start: a cursor of the change feed (`next_cursor`, an item's `cursor`), `now` (only what "
    "changes from now on), or null (from the beginning: every record in your scope, then every change)"
)


class WebhookCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    url: WebhookUrl = Field(
        description="Where deliveries are POSTed: an http(s) URL of a public address (SSRF: loopback, private, "
        "link-local and metadata addresses are refused unless the service allows them)"
    )
    entities: list[Entity] = Field(
        default_factory=list, max_length=4, description="The kinds of records delivered; empty = all"
    )
    description: Note | None = None
    after: str | None = Field(default="now", max_length=2000, description=AFTER)


class WebhookUpdate(PatchBody):
    not_null = frozenset({"url", "entities"})

    url: WebhookUrl | None = Field(default=None, description="A new URL (checked again, as at creation)")
    entities: list[Entity] | None = Field(default=None, max_length=4, description="The kinds delivered; [] = all")
    description: Note | None = None


class WebhookReplay(BaseModel):
    model_config = ConfigDict(extra="forbid")

    after: str | None = Field(default=None, max_length=2000, description=AFTER)


class WebhookRead(BaseModel):
    id: uuid.UUID
    url: str
    entities: list[Entity]
    description: str | None
    status: Literal["active", "paused"] = Field(
        description="active: delivering; paused (by its owner, or after failing too long: `paused_reason` says "
        "why), nothing is sent until it is resumed"
    )
    paused_reason: str | None
    cursor: str = Field(description="The feed position delivered up to: the next delivery starts after it")
    consecutive_failures: int = Field(description="Failed attempts since the last success")
    failing_since: datetime | None = Field(description="The first failure since the last success")
    next_attempt_at: datetime | None = Field(description="When the failed batch is tried again")
    last_success_at: datetime | None
    last_failure_at: datetime | None
    last_error: str | None = Field(description="Why the last attempt failed (a status, a short excerpt, a timeout)")
    created_by: str = Field(description="The key id or token subject that made it")
    scopes: list[uuid.UUID] = Field(description="The maker's scope: deliveries carry what it sees (empty: all)")
    pii: bool = Field(description="The maker's pii permission: without it, sensitive fields are left out")
    version: int
    created_at: datetime
    updated_at: datetime


class WebhookCreated(WebhookRead):
    secret: str = Field(
        description="The signing secret (Standard Webhooks, `whsec_…`): shown this once. Verify each delivery "
        "with it (`standardwebhooks.Webhook(secret).verify(body, headers)`)"
    )


class WebhookPage(BaseModel):
    items: list[WebhookRead]
    next_cursor: str | None


class DeliveryRead(BaseModel):
    id: str = Field(description="The `webhook-id` header of the delivery: the same on every attempt of the batch")
    status: Literal["pending", "succeeded", "failed"] = Field(
        description="pending: being tried (again); succeeded; failed: given up (the subscription was paused or "
        "replayed; a resume sends the batch again)"
    )
    attempts: int
    entries: int = Field(description="Changes the batch carries")
    first_cursor: str = Field(description="The feed cursor of the batch's first change")
    last_cursor: str = Field(description="…of its last change")
    next_cursor: str = Field(description="The position the subscription moves to when the batch arrives")
    response_status: int | None = Field(description="The receiver's HTTP status at the last attempt")
    last_error: str | None
    created_at: datetime
    last_attempt_at: datetime | None
    next_attempt_at: datetime | None
    delivered_at: datetime | None


class DeliveryPage(BaseModel):
    items: list[DeliveryRead]
    next_cursor: str | None
