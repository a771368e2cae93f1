"""The version of a versioned record, locked for the transaction's change (If-Match is compared with it)."""

import uuid

import asyncpg

from app.db.sql import Sql, execute, fetchval

# Every table whose rows carry a `version` the API serves as the ETag; a write bumps it with `updated_at`.
VERSIONED = {
    name: Sql(name)
    for name in (
        "organizations",
        "members",
        "plans",
        "tasks",
        "bodies",
        "party_positions",
        "public_posts",
        "ratings",
        "api_keys",  # lock_version only: a key's version moves when it is revoked
        "indicator_targets",  # lock_version only: a target is created and deleted, never edited
    )
}


async def lock_version(conn: asyncpg.Connection, table: str, row_id: uuid.UUID) -> int | None:
    """The row's version, the row locked until the transaction ends (None: no such row)."""
    version: int | None = await fetchval(
        conn, Sql("SELECT version FROM {table} WHERE id = {id} FOR UPDATE", table=VERSIONED[table], id=row_id)
    )
    return version


async def bump_version(conn: asyncpg.Connection, table: str, row_id: uuid.UUID) -> None:
    """A change to what the record answers made elsewhere (its events, its targets): a new version, now."""
    await execute(
        conn,
        Sql(
            "UPDATE {table} SET version = version + 1, updated_at = now() WHERE id = {id}",
            table=VERSIONED[table],
            id=row_id,
        ),
    )
