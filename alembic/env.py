"""Alembic environment: async engine on asyncpg; the URL comes from app.db.migrations."""

import asyncio

from sqlalchemy import pool
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import create_async_engine

from alembic import context
from app.db.jobs.tables import QUEUE_TABLES
from app.db.schema import metadata

config = context.config


def _ours(name: str | None, type_: str, parent_names: object) -> bool:
    """pgqueuer's queue tables are created by migration 0017 from pgqueuer's own SQL, not declared in our
    metadata: `alembic check` compares everything else."""
    return not (type_ == "table" and name in QUEUE_TABLES)


def _run(connection: Connection) -> None:
    context.configure(connection=connection, target_metadata=metadata, compare_type=True, include_name=_ours)
    with context.begin_transaction():
        context.run_migrations()


async def _run_online() -> None:
    url = config.get_main_option("sqlalchemy.url")
    assert url, "sqlalchemy.url must be set (app.db.migrations does it)"
    engine = create_async_engine(url, poolclass=pool.NullPool)
    async with engine.connect() as connection:
        await connection.run_sync(_run)
    await engine.dispose()


if context.is_offline_mode():
    context.configure(url=config.get_main_option("sqlalchemy.url"), target_metadata=metadata, literal_binds=True)
    with context.begin_transaction():
        context.run_migrations()
else:
    connection = config.attributes.get("connection")
    if connection is not None:
        _run(connection)
    else:
        asyncio.run(_run_online())
