"""The service's handle on PostgreSQL: one asyncpg pool, owned by the app's lifespan (nothing connects at import
time). Reads take a connection per statement; a write holds one for its request's transaction (app/domain/tx.py).
All SQL is hand-written (app/db/sql.py), JSON built by PostgreSQL where the API serves it as it is."""

import asyncpg

from app.db.urls import asyncpg_dsn


async def open_database(
    url: str, *, statement_timeout_ms: int, pool_size: int, indicator_upkeep: bool = True
) -> asyncpg.Pool:
    # jit off: the service's queries are short, and JIT compilation costs more than it saves on them.
    server_settings = {
        "application_name": "coso",
        "statement_timeout": str(statement_timeout_ms),
        "timezone": "UTC",
        "jit": "off",
    }
    if not indicator_upkeep:
        # Benchmarks only: the indicator triggers (migration 0009) do nothing; figures go stale until
        # `SELECT coso_indicators_rebuild()`.
        server_settings["coso.indicators"] = "off"
    # min_size=0: the service starts (and answers 503) while the database is down, and connects when it is back.
    pool: asyncpg.Pool = await asyncpg.create_pool(
        asyncpg_dsn(url),
        min_size=0,
        max_size=pool_size,
        server_settings=server_settings,
        reset=_light_reset,
        max_inactive_connection_lifetime=300,
        timeout=5,
        command_timeout=statement_timeout_ms / 1000 + 5,
    )
    return pool


async def _light_reset(conn: asyncpg.Connection) -> None:
    """Nothing leaves session state behind (no SET, LISTEN, cursors or session locks; transactions end), so a
    released connection needs no reset query: that would be a second round trip on every read."""
    if conn.is_in_transaction():
        await conn.execute("ROLLBACK")


async def close_database(pool: asyncpg.Pool) -> None:
    await pool.close()
