"""The change feed as one caller sees it (GET /api/v1/changes): every create, update, move, end and deletion of the
records in its scope, in an order that never skips a change committing late, with tombstones for what left it.

What a caller sees of a change depends on where the record was before and after it (ARCHITECTURE.md, "The change
feed"): a record that came into its scope (created there, or moved in) is `created`; one that left it (deleted,
ended, or moved out) is `deleted`, a tombstone; the rest is `updated`. `event` says what happened in the database
(created, updated, moved, ended, deleted), whoever looks."""

import time
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Protocol

import asyncpg
import orjson

from app.db.changes import queries
from app.db.changes.tables import ENTITIES
from app.db.scope import Scope
from app.db.sql import Record
from app.domain.errors import InvalidCursor
from app.domain.pagination import Cursors, Page

_KIND = "changes"
_END = 2**63 - 1  # the last position of an xkey
# How often a waiting reader looks again even when nothing was announced: a change held back behind a long
# transaction becomes visible when that transaction ends, which announces nothing if it changed nothing.
_RECHECK_SECONDS = 1.0
MAX_WAIT_SECONDS = 30

_PATHS = {"organization": "organizations", "member": "members", "plan": "plans", "task": "tasks"}


class Waker(Protocol):
    """Wakes waiting readers when a transaction that changed something commits."""

    async def wait(self, seconds: float) -> None: ...


@dataclass(frozen=True)
class FeedQuery:
    after: str | None  # a cursor of the feed, "now" (only what changes from now on), or None (from the beginning)
    entities: Sequence[str]
    limit: int
    wait: float  # seconds to wait for a change when there is none yet (long poll)
    pii: bool


def position_of(cursors: Cursors, after: str | None, now: int) -> tuple[int, int]:
    """The position a cursor of the feed (or "now", or None: the beginning) stands for; `now` is the horizon."""
    if after is None:
        return (0, 0)
    if after == "now":
        return (now - 1, _END)
    position = cursors.decode(after, kind=_KIND)
    try:
        return (int(position["x"]), int(position["p"]))
    except (KeyError, TypeError, ValueError) as exc:
        raise InvalidCursor("The cursor is not one of the change feed's; pass next_cursor back unchanged.") from exc


def _seen(row: Record) -> str:
    if row["seen_after"] and not row["seen_before"]:
        return "created"
    if row["seen_before"] and not row["seen_after"]:
        return "deleted"
    return "updated"


async def _documents(pool: asyncpg.Pool, rows: Sequence[Record], *, pii: bool) -> dict[uuid.UUID, str]:
    def ids(entity: str) -> list[uuid.UUID]:
        return [r["entity_id"] for r in rows if r["entity"] == entity and r["seen_after"]]

    docs = await queries.member_documents(pool, ids("member"), pii=pii)
    docs.update(await queries.organization_documents(pool, ids("organization")))
    return docs


def _item(row: Record, cursor: str, docs: dict[uuid.UUID, str]) -> bytes:
    change = _seen(row)
    entity, entity_id = row["entity"], row["entity_id"]
    doc = docs.get(entity_id) if change != "deleted" else None
    item: dict[str, Any] = {
        "cursor": cursor,
        "entity": entity,
        "id": str(entity_id),
        "change": change,
        "event": row["change"],
        "tombstone": change == "deleted",
        "version": row["version"],
        "changed_at": row["changed_at"],
        "url": None if change == "deleted" else f"/api/v1/{_PATHS[entity]}/{entity_id}",
        "data": orjson.Fragment(doc) if doc is not None else None,
    }
    return orjson.dumps(item)


def cursor_at(cursors: Cursors, position: tuple[int, int]) -> str:
    """The feed's cursor of a position."""
    return cursors.encode(_KIND, {"x": position[0], "p": position[1]})


async def horizon(pool: asyncpg.Pool) -> int:
    """The feed's horizon now (`queries.horizon`): what "now" stands for."""
    return await queries.horizon(pool)


@dataclass(frozen=True)
class Batch:
    """Items of the feed (JSON), their positions, and the position to read from next."""

    items: list[bytes]
    positions: list[tuple[int, int]]
    end: tuple[int, int]


async def read_batch(
    pool: asyncpg.Pool,
    *,
    scope: Scope,
    cursors: Cursors,
    entities: Sequence[str],
    pii: bool,
    after: tuple[int, int],
    limit: int,
    until: tuple[int, int] | None = None,
) -> Batch:
    """The feed after a position as a caller of this scope and pii sees it, no further than `until` when given (a
    webhook's batch read again for a retry: the same changes, since those below the horizon are final)."""
    below = await queries.horizon(pool)
    rows = await queries.read_changes(
        pool, after=after, below=below, entities=list(entities) or list(ENTITIES), scope=scope, limit=limit, until=until
    )
    return await _batch(pool, rows, cursors=cursors, after=after, below=below, limit=limit, pii=pii, until=until)


async def _batch(
    pool: asyncpg.Pool,
    rows: Sequence[Record],
    *,
    cursors: Cursors,
    after: tuple[int, int],
    below: int,
    limit: int,
    pii: bool,
    until: tuple[int, int] | None = None,
) -> Batch:
    positions = [(int(r["xkey"]), int(r["position"])) for r in rows]
    # A page shorter than asked for was read up to the horizon (or `until`): the follower may skip to it.
    if len(rows) == limit:
        last = positions[-1]
    else:
        last = until if until is not None else max(after, (below - 1, _END))
    docs = await _documents(pool, rows, pii=pii)
    items = [_item(r, cursor_at(cursors, p), docs) for r, p in zip(rows, positions, strict=True)]
    return Batch(items=items, positions=positions, end=last)


async def follow(pool: asyncpg.Pool, *, scope: Scope, cursors: Cursors, waker: Waker, query: FeedQuery) -> Page[bytes]:
    """A page of the feed after `query.after`; when there is nothing yet, wait up to `query.wait` seconds for it.
    `next_cursor` is always given: the position to ask from next time, past every change this caller could not
    see (the page was read to the horizon)."""
    deadline = time.monotonic() + query.wait
    entities = list(query.entities) or list(ENTITIES)
    below = await queries.horizon(pool)
    after = position_of(cursors, query.after, below)
    while True:
        rows = await queries.read_changes(
            pool, after=after, below=below, entities=entities, scope=scope, limit=query.limit
        )
        remaining = deadline - time.monotonic()
        if rows or remaining <= 0:
            break
        await waker.wait(min(remaining, _RECHECK_SECONDS))
        below = await queries.horizon(pool)
    batch = await _batch(pool, rows, cursors=cursors, after=after, below=below, limit=query.limit, pii=query.pii)
    return Page(items=batch.items, next_cursor=cursor_at(cursors, batch.end))
