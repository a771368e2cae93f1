"""What the readiness probe asks the database."""

import asyncpg

from app.db.sql import Querier, Sql, fetchval


async def schema_revision(conn: Querier) -> str | None:
    """The migration the database is at (None: never migrated)."""
    try:
        revision: str | None = await fetchval(conn, Sql("SELECT version_num FROM alembic_version"))
    except asyncpg.UndefinedTableError:
        return None
    return revision
