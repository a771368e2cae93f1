"""pgqueuer's schema is installed by migration 0017 from a copy of the SQL the pinned pgqueuer builds: an upgrade of
pgqueuer that changes it fails here, not in a worker. And the installed tables are what pgqueuer checks at start."""

import importlib.util
from pathlib import Path

import asyncpg
from pgqueuer import Queries, QueueManager
from pgqueuer.adapters.persistence.qb import QueryBuilderEnvironment

MIGRATION = Path(__file__).parents[2] / "alembic" / "versions" / "2026_12_07_0017_import_jobs.py"


def test_the_migration_installs_what_the_pinned_pgqueuer_builds() -> None:
    spec = importlib.util.spec_from_file_location("migration_0017", MIGRATION)
    assert spec is not None and spec.loader is not None
    migration = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(migration)
    built = QueryBuilderEnvironment().build_install_query(create_schema=False)
    assert migration.PGQUEUER_INSTALL.strip() == built.strip()


async def test_pgqueuer_finds_its_tables(db_pool: asyncpg.Pool) -> None:
    manager = QueueManager(Queries.from_asyncpg_pool(db_pool))
    await manager.verify_structure()  # raises when a table, column, index or the trigger is missing
    plan = await Queries.from_asyncpg_pool(db_pool).plan_upgrade()
    assert list(plan.statements) == []  # `pgq upgrade` would change nothing
