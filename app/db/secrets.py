"""The service's shared secret: made by migration 0010, or by the first process that finds none (ON CONFLICT: when
two try at once, both read the one that won)."""

import secrets

from app.db.sql import Querier


async def main_secret(conn: Querier) -> bytes:
    await conn.execute("INSERT INTO service_secrets (name, value) VALUES ('main', $1) ON CONFLICT (name) DO NOTHING",
                       secrets.token_bytes(32))
    value: bytes = await conn.fetchval("SELECT value FROM service_secrets WHERE name = 'main'")
    return value
