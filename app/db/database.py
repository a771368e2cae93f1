"""The service's handles on PostgreSQL, owned by the app's lifespan (nothing connects at import time).

Two ways in, one server: an asyncpg pool for hot reads (hand-written SQL, JSON built by PostgreSQL), and a
SQLAlchemy async engine for writes (one session = one transaction per request)."""

from dataclasses import dataclass

import asyncpg
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker, create_async_engine

from app.db.urls import asyncpg_dsn, sqlalchemy_url


@dataclass(frozen=True)
class Database:
    pool: asyncpg.Pool
    engine: AsyncEngine
    sessionmaker: async_sessionmaker[AsyncSession]


async def open_database(url: str, *, statement_timeout_ms: int, pool_size: int,
                        indicator_upkeep: bool = True) -> Database:
    # jit off: the service's queries are short, and JIT compilation costs more than it saves on them.
    server_settings = {"application_name": "coso", "statement_timeout": str(statement_timeout_ms),
                       "timezone": "UTC", "jit": "off"}
    if not indicator_upkeep:
        # Benchmarks only: the indicator triggers (migration 0009) do nothing; figures go stale until
        # `SELECT coso_indicators_rebuild()`.
        server_settings["coso.indicators"] = "off"
    # min_size=0: the service starts (and answers 503) while the database is down, and connects when it is back.
    pool = await asyncpg.create_pool(
        asyncpg_dsn(url), min_size=0, max_size=pool_size, server_settings=server_settings, reset=_light_reset,
        max_inactive_connection_lifetime=300, timeout=5, command_timeout=statement_timeout_ms / 1000 + 5,
    )
    # pool_pre_ping: after the database restarts, pooled connections are dead; without the ping the first write
    # per stale connection fails (503) instead of reconnecting. One round trip per write transaction.
    engine = create_async_engine(
        sqlalchemy_url(url), pool_size=max(pool_size // 2, 2), max_overflow=pool_size // 2, pool_timeout=5,
        pool_pre_ping=True, connect_args={"server_settings": server_settings, "timeout": 5},
    )
    return Database(pool=pool, engine=engine,
                    sessionmaker=async_sessionmaker(engine, expire_on_commit=False, autoflush=False))


async def _light_reset(conn: asyncpg.Connection) -> None:
    """Reads through the pool leave no session state behind (no SET, LISTEN, cursors or session locks), so a
    released connection needs no reset query: that would be a second round trip on every read."""
    if conn.is_in_transaction():
        await conn.execute("ROLLBACK")


async def close_database(db: Database) -> None:
    await db.pool.close()
    await db.engine.dispose()
