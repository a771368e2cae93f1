"""Chained dependencies: settings, the request's transaction, paging, the structure date."""

from collections.abc import AsyncIterator
from datetime import date, datetime
from typing import Annotated
from zoneinfo import ZoneInfo

from fastapi import Depends, Query, Request

from app.api.idempotency import retries
from app.api.types import Day, Instant
from app.domain.pagination import Paging
from app.domain.secrets import ServiceSecrets
from app.domain.tx import Tx
from app.domain.tx import transaction as begin
from app.settings import Settings


async def get_settings(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


SettingsDep = Annotated[Settings, Depends(get_settings)]


async def transaction(request: Request) -> AsyncIterator[Tx]:
    """One request = one transaction: committed when the route returns, before the response is sent; rolled back
    (nothing half-written) when anything raises. A failed commit raises, so it can never become a 2xx. A change
    without its audit entry is impossible: such a transaction is refused (app/domain/tx.py)."""
    async with begin(request.app.state.pool) as tx:
        await retries.claim(request, tx)  # a write sent with an Idempotency-Key: the key held, or its answer replayed
        yield tx


Transaction = Annotated[Tx, Depends(transaction, scope="function")]


async def today(settings: SettingsDep) -> date:
    return datetime.now(ZoneInfo(settings.timezone)).date()


Today = Annotated[date, Depends(today)]

AsOf = Annotated[
    Day | None,
    Query(
        description="Structure date: answer with the tree as it was on this day. Default: each unit at its latest "
        "placement (dissolved units included, at their last place)."
    ),
]
UpdatedSince = Annotated[
    Instant | None,
    Query(
        description="Only records changed (created, corrected, or by a lifecycle event) at or after this instant, "
        "RFC 3339 with its time zone, e.g. `2026-12-01T08:00:00+07:00`: for a copy kept in sync, the start of the "
        "previous sync less a margin (a change is stamped when its transaction began)"
    ),
]
ActiveOn = Annotated[Day | None, Query(description="Only units that existed on this day")]
Limit = Annotated[int, Query(ge=1, le=500, description="Page size (at most 500)")]
# Every dependency is `async def`: a plain `def` would run in the thread pool, which costs more than the work.
Cursor = Annotated[str | None, Query(max_length=2000, description="`next_cursor` of the previous page")]


async def paging(request: Request, limit: Limit = 50, cursor: Cursor = None) -> Paging:
    """`limit` and `cursor`, with the signer that checks the cursor and issues the next one."""
    secrets: ServiceSecrets = request.app.state.secrets
    return Paging(limit=limit, cursor=cursor, cursors=await secrets.cursors())


PagingDep = Annotated[Paging, Depends(paging)]
