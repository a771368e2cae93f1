"""The migrations are the schema: the models agree with them, and they go down and up again cleanly."""

import asyncio

from alembic import command
from app.db.migrations import alembic_config, current_revision, head_revision


def test_models_match_migrations(database_url: str) -> None:
    command.check(alembic_config(database_url))  # raises when autogenerate would find a difference


def test_database_is_at_head(database_url: str) -> None:
    assert asyncio.run(current_revision(database_url)) == head_revision()
