"""Public posts held by members (village head, commune chair, …): adding and ending them, with their rules."""

import uuid
from datetime import date
from typing import Any

from app.db.positions import queries as db
from app.db.scope import Scope
from app.db.sql import Querier
from app.domain.access.callers import Actor
from app.domain.audit import service as audit
from app.domain.errors import Conflict, NotFound, RuleViolation
from app.domain.organizations.changes import guard
from app.domain.positions.service import Post, member_in_membership, span, visible_member
from app.domain.tx import Tx
from app.domain.versions import check_version


async def add_post(
    tx: Tx,
    *,
    actor: Actor,
    scope: Scope,
    member_id: uuid.UUID,
    post: Post,
    place: str | None,
    organization_id: uuid.UUID | None,
    valid_from: date,
    valid_to: date | None,
    decision_ref: str | None,
) -> dict[str, Any]:
    """Record a public post a member holds concurrently. With `organization_id` (the cell of the village, …) the
    post counts for that unit's indicators, and there is one holder at a time."""
    conn = tx.conn
    member = await visible_member(conn, scope, member_id)
    await guard(tx, scope, member["organization_id"], organization_id)
    if place is None and organization_id is None:
        raise RuleViolation("Say where the post is held: `place`, `organization_id` or both.", code="post_place")
    if valid_to is not None and valid_to <= valid_from:
        raise RuleViolation(f"A post must end after it starts ({valid_from} → {valid_to}).", code="invalid_period")
    await member_in_membership(conn, member_id, valid_from)
    for clash in await db.clashing_posts(
        conn,
        member_id=member_id,
        post=post.value,
        organization_id=organization_id,
        valid_from=valid_from,
        valid_to=valid_to,
    ):
        who = "The member already holds" if clash["member_id"] == member_id else f"{clash['full_name']} holds"
        raise Conflict(
            f"{who} this post there {span(clash['valid_from'], clash['valid_to'])}: one holder at a "
            "time. End that post first.",
            code="post_taken",
            existing_id=str(clash["id"]),
        )
    values: dict[str, Any] = {
        "member_id": member_id,
        "post": post.value,
        "place": place,
        "organization_id": organization_id,
        "valid_from": valid_from,
        "valid_to": valid_to,
        "decision_ref": decision_ref,
    }
    post_id = await db.insert_post(
        tx.conn,
        member_id=member_id,
        post=post.value,
        place=place,
        organization_id=organization_id,
        valid_from=valid_from,
        valid_to=valid_to,
        decision_ref=decision_ref,
    )
    await audit.record(
        tx,
        actor,
        action="create",
        entity="public_post",
        entity_id=post_id,
        organization_id=organization_id or member["organization_id"],
        before=None,
        after={"id": post_id, **values},
    )
    return await _post(tx.conn, post_id)


async def _post(conn: Querier, post_id: uuid.UUID) -> dict[str, Any]:
    row = await db.get_post(conn, post_id)
    assert row is not None
    return dict(row)


async def end_post(
    tx: Tx,
    *,
    actor: Actor,
    scope: Scope,
    member_id: uuid.UUID,
    post_id: uuid.UUID,
    valid_to: date,
    expected_version: int | None = None,
) -> dict[str, Any]:
    conn = tx.conn
    member = await visible_member(conn, scope, member_id)
    row = await db.get_post(conn, post_id)
    if row is None or row["member_id"] != member_id:
        raise NotFound(f"The member has no post {post_id}.", code="post_not_found")
    await guard(
        tx,
        scope,
        member["organization_id"],
        row["organization_id"],
        missing=NotFound(f"The member has no post {post_id}.", code="post_not_found"),
    )
    await check_version(tx, "public_posts", post_id, expected_version, "The post")
    row = await db.get_post(conn, post_id)  # as locked: a concurrent end has committed or waits
    assert row is not None
    if row["valid_to"] is not None:
        raise Conflict(f"This post already ended on {row['valid_to']}.", code="post_already_ended")
    if valid_to <= row["valid_from"]:
        raise RuleViolation(
            f"The post started on {row['valid_from']}; it can only end after that.", code="invalid_period"
        )
    await db.end_post(tx.conn, post_id, valid_to=valid_to)
    await audit.record(
        tx,
        actor,
        action="end",
        entity="public_post",
        entity_id=post_id,
        organization_id=row["organization_id"] or member["organization_id"],
        before={"id": post_id, "valid_to": None},
        after={"id": post_id, "valid_to": valid_to},
    )
    return await _post(tx.conn, post_id)
