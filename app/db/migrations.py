"""Running Alembic from the service: `coso migrate`, `coso serve` and the test suite all come through here."""

import asyncio
import os
from pathlib import Path

from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy.ext.asyncio import create_async_engine

from alembic import command
from app.db.urls import sqlalchemy_url


def _root() -> Path:
    """The directory holding alembic.ini and alembic/: COSO_MIGRATIONS_DIR when set (an installed package, e.g. the
    container image, where this file sits in site-packages), else the source checkout above this package."""
    configured = os.environ.get("COSO_MIGRATIONS_DIR")
    return Path(configured) if configured else Path(__file__).resolve().parents[2]


def alembic_config(database_url: str) -> Config:
    config = Config(str(_root() / "alembic.ini"))
    config.set_main_option("script_location", str(_root() / "alembic"))
    config.set_main_option("sqlalchemy.url", sqlalchemy_url(database_url).replace("%", "%%"))
    return config


def head_revision() -> str:
    head = ScriptDirectory.from_config(Config(str(_root() / "alembic.ini"))).get_current_head()
    assert head is not None
    return head


def upgrade(database_url: str) -> None:
    """Apply pending migrations (blocking: call from a thread or before the event loop starts)."""
    command.upgrade(alembic_config(database_url), "head")


async def current_revision(database_url: str) -> str | None:
    engine = create_async_engine(sqlalchemy_url(database_url))
    try:
        async with engine.connect() as conn:
            return await conn.run_sync(lambda c: MigrationContext.configure(c).get_current_revision())
    finally:
        await engine.dispose()


def upgrade_sync(database_url: str) -> None:
    asyncio.run(asyncio.to_thread(upgrade, database_url))
