"""Chained dependencies: settings, database handles, the request's transaction, the structure date."""

from collections.abc import AsyncIterator
from datetime import date, datetime
from typing import Annotated
from zoneinfo import ZoneInfo

from fastapi import Depends, Query, Request
from sqlalchemy.ext.asyncio import AsyncSession

from app.api.types import Day
from app.db.database import Database
from app.domain.audit import AUDITED, READ_ONLY
from app.domain.pagination import Paging
from app.domain.secrets import ServiceSecrets
from app.settings import Settings


async def get_settings(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


async def get_database(request: Request) -> Database:
    db: Database = request.app.state.db
    return db


SettingsDep = Annotated[Settings, Depends(get_settings)]
DatabaseDep = Annotated[Database, Depends(get_database)]


async def transaction(db: DatabaseDep) -> AsyncIterator[AsyncSession]:
    """One request = one transaction: committed when the route returns, before the response is sent; rolled back
    (nothing half-written) when anything raises. A failed commit raises, so it can never become a 2xx.
    A change without its audit row is impossible: such a transaction is refused. One the domain declared
    read-only (a preview) is rolled back."""
    async with db.sessionmaker() as session:
        transaction = await session.begin()
        try:
            yield session
        except BaseException:
            await transaction.rollback()
            raise
        if session.info.get(READ_ONLY):
            await transaction.rollback()
        elif not session.info.get(AUDITED):
            await transaction.rollback()
            raise RuntimeError("a write reached commit without an audit row; rolled back")
        else:
            await transaction.commit()


Transaction = Annotated[AsyncSession, Depends(transaction, scope="function")]


async def today(settings: SettingsDep) -> date:
    return datetime.now(ZoneInfo(settings.timezone)).date()


Today = Annotated[date, Depends(today)]

AsOf = Annotated[Day | None, Query(
    description="Structure date: answer with the tree as it was on this day. Default: each unit at its latest "
                "placement (dissolved units included, at their last place).")]
ActiveOn = Annotated[Day | None, Query(description="Only units that existed on this day")]
Limit = Annotated[int, Query(ge=1, le=500, description="Page size (at most 500)")]
# Every dependency is `async def`: a plain `def` would run in the thread pool, which costs more than the work.
Cursor = Annotated[str | None, Query(max_length=2000, description="`next_cursor` of the previous page")]


async def paging(request: Request, limit: Limit = 50, cursor: Cursor = None) -> Paging:
    """`limit` and `cursor`, with the signer that checks the cursor and issues the next one."""
    secrets: ServiceSecrets = request.app.state.secrets
    return Paging(limit=limit, cursor=cursor, cursors=await secrets.cursors())


PagingDep = Annotated[Paging, Depends(paging)]
