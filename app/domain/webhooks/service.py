"""Webhook subscriptions as a resource: made by a caller with the write permission, with that caller's scope and pii
(deliveries are read as it), its secret shown once; read, changed, paused, resumed, replayed and deleted by the
caller who made it (or an administrator of the whole tree); anyone else finds nothing, as with a random id.
Every change is audited (entity `webhook`; the secret never)."""

import base64
import secrets
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import asyncpg

from app.db.sql import Querier, Record
from app.db.webhooks import queries as db
from app.db.webhooks import queue
from app.domain.access.callers import Actor, Caller, Role
from app.domain.audit import service as audit
from app.domain.changes import feed
from app.domain.errors import NotFound
from app.domain.pagination import Cursors, Page, Paging
from app.domain.tx import Tx
from app.domain.versions import check_expected
from app.domain.webhooks.targets import UrlPolicy, check

ENTITIES = ("organization", "member", "plan", "task")


class WebhookNotFound(NotFound):
    code = "webhook_not_found"


@dataclass(frozen=True)
class NewWebhook:
    url: str
    entities: Sequence[str]
    description: str | None
    after: str | None  # a feed cursor, "now", or None (from the beginning)


def _kinds(entities: Sequence[str]) -> list[str]:
    """The kinds asked for, each once, in the feed's order; none: all of them."""
    return [e for e in ENTITIES if e in entities] or list(ENTITIES)


def owner(caller: Caller) -> str | None:
    """Whose subscriptions a caller sees: its own; an administrator of the whole tree sees all (None)."""
    return None if caller.role == Role.admin and caller.whole_tree else caller.id


def new_secret() -> str:
    """A Standard Webhooks secret: `whsec_` and 32 random bytes in base64."""
    return "whsec_" + base64.b64encode(secrets.token_bytes(32)).decode()


def _iso(value: Any) -> Any:
    return value.isoformat() if value is not None else None


def view(row: Record, cursors: Cursors) -> dict[str, Any]:
    """A subscription as the API shows it (never its secret)."""
    return {
        "id": str(row["id"]),
        "url": row["url"],
        "entities": list(row["entities"]),
        "description": row["description"],
        "status": row["status"],
        "paused_reason": row["paused_reason"],
        "cursor": feed.cursor_at(cursors, (int(row["cursor_xkey"]), int(row["cursor_position"]))),
        "consecutive_failures": row["consecutive_failures"],
        "failing_since": _iso(row["failing_since"]),
        "next_attempt_at": _iso(row["next_attempt_at"]),
        "last_success_at": _iso(row["last_success_at"]),
        "last_failure_at": _iso(row["last_failure_at"]),
        "last_error": row["last_error"],
        "created_by": row["created_by"],
        "scopes": [str(s) for s in row["scopes"]],
        "pii": row["pii"],
        "version": row["version"],
        "created_at": _iso(row["created_at"]),
        "updated_at": _iso(row["updated_at"]),
    }


def delivery_view(row: Record, cursors: Cursors) -> dict[str, Any]:
    def at(name: str) -> str:
        return feed.cursor_at(cursors, (int(row[f"{name}_xkey"]), int(row[f"{name}_position"])))

    return {
        "id": f"msg_{row['id'].hex}",
        "status": row["status"],
        "attempts": row["attempts"],
        "entries": row["entries"],
        "first_cursor": at("first"),
        "last_cursor": at("last"),
        "next_cursor": at("until"),
        "response_status": row["response_status"],
        "last_error": row["last_error"],
        "created_at": _iso(row["created_at"]),
        "last_attempt_at": _iso(row["last_attempt_at"]),
        "next_attempt_at": _iso(row["next_attempt_at"]),
        "delivered_at": _iso(row["delivered_at"]),
    }


def _audited(row: Record) -> dict[str, Any]:
    return {
        "url": row["url"],
        "entities": list(row["entities"]),
        "description": row["description"],
        "status": row["status"],
        "paused_reason": row["paused_reason"],
    }


async def _position(pool: asyncpg.Pool, cursors: Cursors, after: str | None) -> tuple[int, int]:
    return feed.position_of(cursors, after, await feed.horizon(pool))


async def create(
    tx: Tx, pool: asyncpg.Pool, *, actor: Actor, cursors: Cursors, policy: UrlPolicy, new: NewWebhook
) -> dict[str, Any]:
    """The subscription, delivering from `after` on, and its secret (returned this once)."""
    await check(new.url, policy)
    position = await _position(pool, cursors, new.after)
    secret = new_secret()
    caller = actor.caller
    row = await db.insert_subscription(
        tx.conn,
        url=new.url,
        entities=_kinds(new.entities),
        description=new.description,
        secret=secret,
        created_by=caller.id,
        created_by_kind=caller.kind,
        scopes=caller.scopes,
        pii=caller.pii,
        cursor=position,
    )
    await _record(tx, actor, "create", row, before=None)
    if new.after != "now":
        await queue.now(tx.conn, row["id"])
    return {**view(row, cursors), "secret": secret}


async def _record(tx: Tx, actor: Actor, action: str, row: Record, *, before: Record | None) -> None:
    await audit.record(
        tx,
        actor,
        action=action,
        entity="webhook",
        entity_id=row["id"],
        organization_id=None,
        before=_audited(before) if before is not None else None,
        after=_audited(row),
    )


def _missing(subscription_id: uuid.UUID) -> WebhookNotFound:
    return WebhookNotFound(f"No webhook subscription {subscription_id} (or not one of yours).")


async def _visible(conn: Querier, caller: Caller, subscription_id: uuid.UUID, *, lock: bool = False) -> Record:
    row = await db.subscription(conn, subscription_id, created_by=owner(caller), lock=lock)
    if row is None:
        raise _missing(subscription_id)
    return row


async def _to_change(tx: Tx, caller: Caller, subscription_id: uuid.UUID, expected_version: int | None) -> Record:
    """The subscription, locked, at the version If-Match named (412 otherwise); another's is a 404."""
    row = await _visible(tx.conn, caller, subscription_id, lock=True)
    check_expected("The webhook subscription", row["version"], expected_version)
    return row


async def get(conn: Querier, caller: Caller, subscription_id: uuid.UUID, cursors: Cursors) -> dict[str, Any]:
    return view(await _visible(conn, caller, subscription_id), cursors)


async def listing(conn: Querier, caller: Caller, paging: Paging) -> Page[dict[str, Any]]:
    position = paging.after("webhooks")
    after = (position["at"], uuid.UUID(position["id"])) if position else None
    rows = await db.list_subscriptions(conn, created_by=owner(caller), after=after, limit=paging.fetch)
    page = paging.page(rows, kind="webhooks", position=lambda r: {"at": r["at"], "id": str(r["id"])})
    return Page(items=[view(r, paging.cursors) for r in page.items], next_cursor=page.next_cursor)


async def deliveries(conn: Querier, caller: Caller, subscription_id: uuid.UUID, paging: Paging) -> Page[dict[str, Any]]:
    await _visible(conn, caller, subscription_id)
    position = paging.after("webhook_deliveries")
    after = (position["at"], uuid.UUID(position["id"])) if position else None
    rows = await db.list_deliveries(conn, subscription_id, after=after, limit=paging.fetch)
    page = paging.page(rows, kind="webhook_deliveries", position=lambda r: {"at": r["at"], "id": str(r["id"])})
    return Page(items=[delivery_view(r, paging.cursors) for r in page.items], next_cursor=page.next_cursor)


async def update(
    tx: Tx,
    *,
    actor: Actor,
    cursors: Cursors,
    policy: UrlPolicy,
    subscription_id: uuid.UUID,
    changes: dict[str, Any],
    expected_version: int | None = None,
) -> dict[str, Any]:
    """url (checked again; a batch waiting for its retry goes there at once), entities, description."""
    before = await _to_change(tx, actor.caller, subscription_id, expected_version)
    if "url" in changes:
        await check(changes["url"], policy)
    if "entities" in changes:
        changes["entities"] = _kinds(changes["entities"])
    if not changes:
        audit.unchanged(tx)
        return view(before, cursors)
    if "url" in changes and changes["url"] != before["url"]:
        # A new address: a batch waiting for its retry is tried there at once.
        changes["next_attempt_at"] = None
    row = await db.update_subscription(tx.conn, subscription_id, changes)
    if "next_attempt_at" in changes and row["status"] == "active":
        await queue.now(tx.conn, subscription_id)
    await _record(tx, actor, "update", row, before=before)
    return view(row, cursors)


async def delete(tx: Tx, *, actor: Actor, subscription_id: uuid.UUID, expected_version: int | None = None) -> None:
    before = await _to_change(tx, actor.caller, subscription_id, expected_version)
    await db.delete_subscription(tx.conn, subscription_id)
    await audit.record(
        tx,
        actor,
        action="delete",
        entity="webhook",
        entity_id=subscription_id,
        organization_id=None,
        before=_audited(before),
        after=None,
    )


async def pause(
    tx: Tx, *, actor: Actor, cursors: Cursors, subscription_id: uuid.UUID, expected_version: int | None = None
) -> dict[str, Any]:
    """Nothing is delivered until it is resumed (a batch in flight is tried again then, with the same id)."""
    before = await _to_change(tx, actor.caller, subscription_id, expected_version)
    if before["status"] == "paused":
        audit.unchanged(tx)
        return view(before, cursors)
    who = actor.caller.name or actor.caller.id
    row = await db.update_subscription(
        tx.conn, subscription_id, {"status": "paused", "paused_reason": f"paused by {who}"}
    )
    await _record(tx, actor, "pause", row, before=before)
    return view(row, cursors)


async def resume(
    tx: Tx, *, actor: Actor, cursors: Cursors, subscription_id: uuid.UUID, expected_version: int | None = None
) -> dict[str, Any]:
    """Active again, delivering at once from where it stopped; its failures are forgotten."""
    before = await _to_change(tx, actor.caller, subscription_id, expected_version)
    if before["status"] == "active":
        audit.unchanged(tx)
        return view(before, cursors)
    row = await db.update_subscription(
        tx.conn,
        subscription_id,
        {
            "status": "active",
            "paused_reason": None,
            "consecutive_failures": 0,
            "failing_since": None,
            "next_attempt_at": None,
        },
    )
    await queue.now(tx.conn, subscription_id)
    await _record(tx, actor, "resume", row, before=before)
    return view(row, cursors)


async def replay(
    tx: Tx,
    pool: asyncpg.Pool,
    *,
    actor: Actor,
    cursors: Cursors,
    subscription_id: uuid.UUID,
    after: str | None,
    expected_version: int | None = None,
) -> dict[str, Any]:
    """Deliver again from `after` (a cursor; None: from the beginning; "now": skip to now). The batch in flight is
    given up; the next delivery starts there, at once when the subscription is active."""
    before = await _to_change(tx, actor.caller, subscription_id, expected_version)
    position = await _position(pool, cursors, after)
    await db.give_up_pending(tx.conn, subscription_id, "replaced by a replay")
    row = await db.update_subscription(
        tx.conn,
        subscription_id,
        {"cursor": position, "next_attempt_at": None, "failing_since": None, "consecutive_failures": 0},
    )
    if row["status"] == "active":
        await queue.now(tx.conn, subscription_id)
    await audit.record(
        tx,
        actor,
        action="replay",
        entity="webhook",
        entity_id=subscription_id,
        organization_id=None,
        before={"cursor": view(before, cursors)["cursor"]},
        after={"cursor": view(row, cursors)["cursor"]},
        diff=False,
    )
    return view(row, cursors)


async def rotate_secret(
    tx: Tx, *, actor: Actor, cursors: Cursors, subscription_id: uuid.UUID, expected_version: int | None = None
) -> dict[str, Any]:
    """A new secret, returned this once; deliveries are signed with it from now on (the old one stops at once)."""
    await _to_change(tx, actor.caller, subscription_id, expected_version)
    secret = new_secret()
    row = await db.update_subscription(tx.conn, subscription_id, {"secret": secret})
    await audit.record(
        tx,
        actor,
        action="rotate_secret",
        entity="webhook",
        entity_id=subscription_id,
        organization_id=None,
        before=None,
        after={"secret": "rotated"},
        diff=False,
    )
    return {**view(row, cursors), "secret": secret}
