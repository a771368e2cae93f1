"""The service's shared secret: made by migration 0010, or by the first process that finds none (ON CONFLICT: when
two try at once, both read the one that won)."""

import secrets

from app.db.sql import Querier, Sql, execute, fetchval


async def main_secret(conn: Querier) -> bytes:
    await execute(
        conn,
        Sql(
            "INSERT INTO service_secrets (name, value) VALUES ('main', {value}) ON CONFLICT (name) DO NOTHING",
            value=secrets.token_bytes(32),
        ),
    )
    value: bytes = await fetchval(conn, Sql("SELECT value FROM service_secrets WHERE name = 'main'"))
    return value
