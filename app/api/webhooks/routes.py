"""Webhooks: the change feed pushed to a URL, signed (Standard Webhooks), retried until it arrives, in order. A
subscription is its maker's (an admin of the whole tree sees all); anyone else's is a 404, as a random id is."""

import uuid
from typing import Annotated, Any

from fastapi import Path, Request, status
from starlette.responses import Response

from app.api.auth import EditorDep, ReaderDep, api_router
from app.api.deps import PagingDep, SettingsDep
from app.api.responses import problems
from app.api.types import ExpectedVersion, dump, json_response, versioned_response
from app.api.webhooks.models import (
    DeliveryPage,
    WebhookCreate,
    WebhookCreated,
    WebhookPage,
    WebhookRead,
    WebhookReplay,
    WebhookUpdate,
)
from app.domain.pagination import Cursors, Page
from app.domain.secrets import ServiceSecrets
from app.domain.webhooks import service as webhooks
from app.domain.webhooks.targets import UrlPolicy
from app.settings import Settings

router = api_router("/api/v1/webhooks", "webhooks")

WebhookId = Annotated[uuid.UUID, Path(description="The subscription's id")]
NO_STORE = {"Cache-Control": "no-store"}


async def _cursors(request: Request) -> Cursors:
    secrets: ServiceSecrets = request.app.state.secrets
    return await secrets.cursors()


def _policy(settings: Settings) -> UrlPolicy:
    return UrlPolicy(
        allow_private=settings.webhook_allow_private,
        allowed_hosts=tuple(h.lower().rstrip(".") for h in settings.webhook_allowed_hosts),
    )


def _page(page: Page[dict[str, Any]]) -> Response:
    return json_response(dump({"items": page.items, "next_cursor": page.next_cursor}))


@router.post("", status_code=201, response_model=WebhookCreated, responses=problems(400, 422))
async def create_webhook(request: Request, body: WebhookCreate, writer: EditorDep, settings: SettingsDep) -> Response:
    """Subscribe a URL to the change feed of your scope (and pii): each delivery POSTs a batch of changes (up to
    100) as `{"type": "coso.changes", "timestamp", "data": {"items", "next_cursor"}}`, signed as Standard Webhooks
    say (`webhook-id`, `webhook-timestamp`, `webhook-signature`). The answer holds the secret, this once."""
    created = await webhooks.create(
        writer.tx,
        request.app.state.pool,
        actor=writer.actor,
        cursors=await _cursors(request),
        policy=_policy(settings),
        new=webhooks.NewWebhook(url=body.url, entities=body.entities, description=body.description, after=body.after),
    )
    headers = {"Location": f"/api/v1/webhooks/{created['id']}", **NO_STORE}
    return versioned_response(created, status_code=201, headers=headers)


@router.get("", response_model=WebhookPage, responses=problems(400))
async def list_webhooks(request: Request, reader: ReaderDep, paging: PagingDep) -> Response:
    """Your subscriptions (an admin of the whole tree: everyone's), newest first."""
    return _page(await webhooks.listing(reader.pool, reader.caller, paging))


@router.get("/{webhook_id}", response_model=WebhookRead, responses=problems(404))
async def get_webhook(request: Request, reader: ReaderDep, webhook_id: WebhookId) -> Response:
    """The subscription: active or paused (and why), the position delivered up to, its failures and last error."""
    found = await webhooks.get(reader.pool, reader.caller, webhook_id, await _cursors(request))
    return versioned_response(found)


@router.patch("/{webhook_id}", response_model=WebhookRead, responses=problems(404))
async def update_webhook(
    request: Request,
    body: WebhookUpdate,
    writer: EditorDep,
    settings: SettingsDep,
    webhook_id: WebhookId,
    expected_version: ExpectedVersion,
) -> Response:
    """Change the URL (checked again), the kinds delivered or the description."""
    updated = await webhooks.update(
        writer.tx,
        expected_version=expected_version,
        actor=writer.actor,
        cursors=await _cursors(request),
        policy=_policy(settings),
        subscription_id=webhook_id,
        changes=body.model_dump(exclude_unset=True),
    )
    return versioned_response(updated)


@router.delete("/{webhook_id}", status_code=status.HTTP_204_NO_CONTENT, responses=problems(404))
async def delete_webhook(writer: EditorDep, webhook_id: WebhookId, expected_version: ExpectedVersion) -> Response:
    """Unsubscribe: nothing more is delivered, and the delivery log goes with it."""
    await webhooks.delete(writer.tx, expected_version=expected_version, actor=writer.actor, subscription_id=webhook_id)
    return Response(status_code=204)


@router.post("/{webhook_id}/pause", response_model=WebhookRead, responses=problems(404))
async def pause_webhook(
    request: Request, writer: EditorDep, webhook_id: WebhookId, expected_version: ExpectedVersion
) -> Response:
    """Stop delivering until resumed (changes keep accumulating in the feed: none is lost)."""
    paused = await webhooks.pause(
        writer.tx,
        expected_version=expected_version,
        actor=writer.actor,
        cursors=await _cursors(request),
        subscription_id=webhook_id,
    )
    return versioned_response(paused)


@router.post("/{webhook_id}/resume", response_model=WebhookRead, responses=problems(404))
async def resume_webhook(
    request: Request, writer: EditorDep, webhook_id: WebhookId, expected_version: ExpectedVersion
) -> Response:
    """Deliver again, at once, from where it stopped (a subscription paused after failing too: fix the receiver
    first)."""
    resumed = await webhooks.resume(
        writer.tx,
        expected_version=expected_version,
        actor=writer.actor,
        cursors=await _cursors(request),
        subscription_id=webhook_id,
    )
    return versioned_response(resumed)


@router.post("/{webhook_id}/replay", response_model=WebhookRead, responses=problems(400, 404))
async def replay_webhook(
    request: Request, body: WebhookReplay, writer: EditorDep, webhook_id: WebhookId, expected_version: ExpectedVersion
) -> Response:
    """Deliver again from a position of the feed (a cursor your receiver kept; null: from the beginning)."""
    replayed = await webhooks.replay(
        writer.tx,
        request.app.state.pool,
        expected_version=expected_version,
        actor=writer.actor,
        cursors=await _cursors(request),
        subscription_id=webhook_id,
        after=body.after,
    )
    return versioned_response(replayed)


@router.post("/{webhook_id}/rotate_secret", response_model=WebhookCreated, responses=problems(404))
async def rotate_webhook_secret(
    request: Request, writer: EditorDep, webhook_id: WebhookId, expected_version: ExpectedVersion
) -> Response:
    """A new signing secret, shown this once; deliveries are signed with it from now on."""
    rotated = await webhooks.rotate_secret(
        writer.tx,
        expected_version=expected_version,
        actor=writer.actor,
        cursors=await _cursors(request),
        subscription_id=webhook_id,
    )
    return versioned_response(rotated, headers=NO_STORE)


@router.get("/{webhook_id}/deliveries", response_model=DeliveryPage, responses=problems(400, 404))
async def list_webhook_deliveries(
    request: Request, reader: ReaderDep, paging: PagingDep, webhook_id: WebhookId
) -> Response:
    """The delivery log, newest first: each batch, its attempts, the receiver's last status and error."""
    return _page(await webhooks.deliveries(reader.pool, reader.caller, webhook_id, paging))
