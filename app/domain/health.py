"""Readiness: the database answers, and its schema is the one this code needs."""

from dataclasses import dataclass

import asyncpg

from app.db.health import schema_revision
from app.db.sql import Querier


@dataclass(frozen=True)
class Readiness:
    ready: bool
    detail: str
    retry: bool = False  # worth retrying soon (the database is down), rather than a deployment to fix


async def readiness(conn: Querier, *, head: str) -> Readiness:
    try:
        current = await schema_revision(conn)
    except (OSError, asyncpg.PostgresError, asyncpg.InterfaceError, TimeoutError) as exc:
        return Readiness(False, f"The database is unreachable ({exc.__class__.__name__}).", retry=True)
    if current != head:
        return Readiness(
            False, f"The database schema is at {current or 'nothing'}, the service needs {head}: run `coso migrate`."
        )
    return Readiness(True, head)
