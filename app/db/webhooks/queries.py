"""Webhook subscriptions and their deliveries: made and changed by their owner's requests, advanced by the worker
that delivers them (app/domain/webhooks/delivery.py). Positions in the feed are (xkey, position) pairs."""

import uuid
from collections.abc import Sequence
from typing import Any

from app.db.sql import Querier, Record, Sql, execute, fetch, fetchrow

Position = tuple[int, int]

# The columns a subscription is shown with (never its secret).
SUBSCRIPTION = Sql(
    "s.id, s.url, s.entities, s.description, s.created_by, s.scopes, s.pii, s.status, s.paused_reason, "
    "s.cursor_xkey, s.cursor_position, s.consecutive_failures, s.failing_since, s.next_attempt_at, "
    "s.last_success_at, s.last_failure_at, s.last_error, s.version, s.created_at, s.updated_at"
)
DELIVERY = Sql(
    "d.id, d.subscription_id, d.status, d.attempts, d.after_xkey, d.after_position, d.until_xkey, d.until_position, "
    "d.first_xkey, d.first_position, d.last_xkey, d.last_position, d.entries, d.response_status, d.last_error, "
    "d.created_at, d.last_attempt_at, d.next_attempt_at, d.delivered_at"
)


def _visible(created_by: str | None) -> Sql:
    """A subscription is its maker's (the key id or the token's subject); None: an admin's view, all."""
    return Sql("TRUE") if created_by is None else Sql("s.created_by = {by}", by=created_by)


async def insert_subscription(
    conn: Querier,
    *,
    url: str,
    entities: Sequence[str],
    description: str | None,
    secret: str,
    created_by: str,
    created_by_kind: str,
    scopes: Sequence[uuid.UUID],
    pii: bool,
    cursor: Position,
) -> Record:
    row = await fetchrow(
        conn,
        Sql(
            "INSERT INTO webhook_subscriptions AS s (url, entities, description, secret, created_by, created_by_kind, "
            "scopes, pii, cursor_xkey, cursor_position) VALUES ({url}, {entities}::text[], {description}, {secret}, "
            "{by}, {kind}, {scopes}::uuid[], {pii}, {x}, {p}) RETURNING {columns}",
            url=url,
            entities=list(entities),
            description=description,
            secret=secret,
            by=created_by,
            kind=created_by_kind,
            scopes=list(scopes),
            pii=pii,
            x=cursor[0],
            p=cursor[1],
            columns=SUBSCRIPTION,
        ),
    )
    assert row is not None
    return row


async def subscription(
    conn: Querier, subscription_id: uuid.UUID, *, created_by: str | None, lock: bool = False
) -> Record | None:
    return await fetchrow(
        conn,
        Sql(
            "SELECT {columns} FROM webhook_subscriptions s WHERE s.id = {id} AND {visible} {lock}",
            columns=SUBSCRIPTION,
            id=subscription_id,
            visible=_visible(created_by),
            lock=Sql("FOR UPDATE" if lock else ""),
        ),
    )


async def list_subscriptions(
    conn: Querier, *, created_by: str | None, after: tuple[str, uuid.UUID] | None, limit: int
) -> list[Record]:
    """Newest first; keyset on (created_at, id)."""
    conditions = [_visible(created_by)]
    if after is not None:
        conditions.append(Sql("(s.created_at, s.id) < ({at}::timestamptz, {id}::uuid)", at=after[0], id=after[1]))
    return await fetch(
        conn,
        Sql(
            "SELECT {columns}, s.created_at::text AS at FROM webhook_subscriptions s WHERE {where} "
            "ORDER BY s.created_at DESC, s.id DESC LIMIT {limit}",
            columns=SUBSCRIPTION,
            where=Sql.all(conditions),
            limit=limit,
        ),
    )


# What an owner's request may set, column by column.
_SETTABLE = {
    "url": "url = {v}",
    "entities": "entities = {v}::text[]",
    "description": "description = {v}",
    "secret": "secret = {v}",
    "status": "status = {v}",
    "paused_reason": "paused_reason = {v}",
    "next_attempt_at": "next_attempt_at = {v}",
    "consecutive_failures": "consecutive_failures = {v}",
    "failing_since": "failing_since = {v}",
}


async def update_subscription(conn: Querier, subscription_id: uuid.UUID, changes: dict[str, Any]) -> Record:
    """Set the given columns (`_SETTABLE`, and `cursor`: a position), bump the version."""
    sets = [Sql("version = s.version + 1"), Sql("updated_at = now()")]
    for name, value in changes.items():
        if name == "cursor":
            sets.append(Sql("cursor_xkey = {x}, cursor_position = {p}", x=value[0], p=value[1]))
        else:
            sets.append(Sql(_SETTABLE[name], v=list(value) if name == "entities" else value))
    row = await fetchrow(
        conn,
        Sql(
            "UPDATE webhook_subscriptions s SET {sets} WHERE s.id = {id} RETURNING {columns}",
            sets=Sql.join(", ", sets),
            id=subscription_id,
            columns=SUBSCRIPTION,
        ),
    )
    assert row is not None
    return row


async def delete_subscription(conn: Querier, subscription_id: uuid.UUID) -> None:
    await execute(conn, Sql("DELETE FROM webhook_subscriptions WHERE id = {id}", id=subscription_id))


async def secret_of(conn: Querier, subscription_id: uuid.UUID) -> str | None:
    row = await fetchrow(conn, Sql("SELECT secret FROM webhook_subscriptions WHERE id = {id}", id=subscription_id))
    return None if row is None else str(row["secret"])


async def list_deliveries(
    conn: Querier, subscription_id: uuid.UUID, *, after: tuple[str, uuid.UUID] | None, limit: int
) -> list[Record]:
    """Newest first; keyset on (created_at, id)."""
    position = (
        Sql("TRUE")
        if after is None
        else Sql("(d.created_at, d.id) < ({at}::timestamptz, {id}::uuid)", at=after[0], id=after[1])
    )
    return await fetch(
        conn,
        Sql(
            "SELECT {columns}, d.created_at::text AS at FROM webhook_deliveries d "
            "WHERE d.subscription_id = {sub} AND {position} ORDER BY d.created_at DESC, d.id DESC LIMIT {limit}",
            columns=DELIVERY,
            sub=subscription_id,
            position=position,
            limit=limit,
        ),
    )


async def pending_delivery(conn: Querier, subscription_id: uuid.UUID) -> Record | None:
    return await fetchrow(
        conn,
        Sql(
            "SELECT {columns} FROM webhook_deliveries d WHERE d.subscription_id = {sub} AND d.status = 'pending'",
            columns=DELIVERY,
            sub=subscription_id,
        ),
    )


async def give_up_pending(conn: Querier, subscription_id: uuid.UUID, why: str) -> None:
    """The pending batch is not retried any more (the subscription was replayed from elsewhere, or paused)."""
    await execute(
        conn,
        Sql(
            "UPDATE webhook_deliveries SET status = 'failed', next_attempt_at = NULL, last_error = {why} "
            "WHERE subscription_id = {sub} AND status = 'pending'",
            sub=subscription_id,
            why=why,
        ),
    )
