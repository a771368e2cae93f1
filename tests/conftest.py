"""Test wiring: a real PostgreSQL (DATABASE_URL's server, in a throwaway database, or an embedded one),
migrations once per session, the app over ASGI, and every table emptied after each test.

Why truncate rather than roll back: every request takes its own connection from the app's pool, and some tests drive a
real server process; one outer transaction cannot span those connections. Every client made here checks each answer
against openapi.yaml (tests/support/contract.py)."""

import asyncio
import os
import secrets
import tempfile
from collections.abc import AsyncIterator, Iterator
from datetime import date, datetime
from pathlib import Path
from typing import Any

import asyncpg
import httpx
import pytest
from fastapi import FastAPI

from app.db.embedded import start_embedded
from app.db.migrations import upgrade
from app.db.urls import asyncpg_dsn
from app.main import create_app
from app.settings import Settings
from tests.support.builders import (
    AddMember,
    AddMembers,
    ClientWith,
    CountRows,
    CreateOrg,
    EmptyDatabase,
    InsertKey,
    Seat,
    Snapshot,
    all_rows,
    app_client,
    empty,
    member_row,
    new_key,
    post_org,
    post_seat,
    rows_of,
)

# Worlds shared by several feature folders (communes A and B, …).
pytest_plugins = ["tests.support.worlds", "tests.support.jobs", "tests.support.webhooks"]


def _replace_database(dsn: str, name: str) -> str:
    base, _, query = dsn.partition("?")
    head, _, _ = base.rpartition("/")
    return f"{head}/{name}" + (f"?{query}" if query else "")


async def _without_waiting_for_the_disk(url: str, name: str) -> None:
    """A throwaway database: its commits need not wait for the disk (the tests make many small ones)."""
    conn = await asyncpg.connect(asyncpg_dsn(url))
    try:
        await conn.execute(f'ALTER DATABASE "{name}" SET synchronous_commit = off')
    finally:
        await conn.close()


@pytest.fixture(scope="session")
def database_url() -> Iterator[str]:
    server_url = os.environ.get("DATABASE_URL")
    if not server_url:
        # The server runs until this process exits (its own atexit stops it and deletes its data), so the
        # directory may still be written to when the session ends: what cannot be removed yet is left to it.
        with tempfile.TemporaryDirectory(prefix="coso-test-", ignore_cleanup_errors=True) as tmp:
            path = Path(tmp)
            path.chmod(0o755)
            url = start_embedded(path, cleanup="delete")
            asyncio.run(_without_waiting_for_the_disk(url, "coso"))
            upgrade(url)
            yield url
        return
    name = f"coso_test_{secrets.token_hex(4)}"

    async def admin(sql: str) -> None:
        conn = await asyncpg.connect(asyncpg_dsn(server_url))
        try:
            await conn.execute(sql)
        finally:
            await conn.close()

    asyncio.run(admin(f'CREATE DATABASE "{name}"'))
    asyncio.run(_without_waiting_for_the_disk(server_url, name))
    url = _replace_database(asyncpg_dsn(server_url), name)
    try:
        upgrade(url)
        yield url
    finally:
        asyncio.run(admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


@pytest.fixture(scope="session")
def settings(database_url: str) -> Settings:
    # No job worker in the shared app: tests/jobs starts one where a test needs it (and a real `coso worker`).
    return Settings(database_url=database_url, timezone="Asia/Ho_Chi_Minh", json_logs=False, worker_in_serve=False)


@pytest.fixture(scope="session")
async def app(settings: Settings, database_url: str) -> AsyncIterator[FastAPI]:
    application = create_app(settings, database_url=database_url)
    async with application.router.lifespan_context(application):
        yield application


@pytest.fixture(scope="session")
async def db_pool(database_url: str) -> AsyncIterator[asyncpg.Pool]:
    pool = await asyncpg.create_pool(asyncpg_dsn(database_url), min_size=1, max_size=4)
    yield pool
    await pool.close()


@pytest.fixture
async def anonymous(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    """A client that sends no credentials."""
    async with app_client(app) as c:
        yield c


@pytest.fixture
async def client(app: FastAPI, db_pool: asyncpg.Pool) -> AsyncIterator[httpx.AsyncClient]:
    """A client holding an administrator's key over the whole tree, with the pii permission."""
    token = await new_key(db_pool, name="test admin")
    async with app_client(app, token) as c:
        yield c


# --- builders, as fixtures (tests/support/builders.py) ---------------------------------------------------------------


@pytest.fixture
def client_with() -> ClientWith:
    """A client of `app` holding `token` (close it: `async with client_with(app, token) as c`)."""
    return app_client


@pytest.fixture
def insert_key(db_pool: asyncpg.Pool) -> InsertKey:
    """A key straight into the table (as `coso keys create` would make it); returns the secret token."""

    async def insert(
        *,
        role: str = "admin",
        scopes: tuple[str, ...] | list[str] = (),
        pii: bool = True,
        name: str = "test key",
        expires_at: datetime | None = None,
    ) -> str:
        return await new_key(db_pool, role=role, scopes=scopes, pii=pii, name=name, expires_at=expires_at)

    return insert


@pytest.fixture
def empty_database(db_pool: asyncpg.Pool, app: FastAPI) -> EmptyDatabase:
    async def clear() -> None:
        await empty(db_pool, app)

    return clear


@pytest.fixture
def count_rows(db_pool: asyncpg.Pool) -> CountRows:
    async def count(table: str) -> int:
        return await rows_of(db_pool, table)

    return count


@pytest.fixture
def snapshot(db_pool: asyncpg.Pool) -> Snapshot:
    """Every row of every table (but a key's last use): equal before and after means nothing was written."""

    async def take() -> dict[str, Any]:
        return await all_rows(db_pool)

    return take


@pytest.fixture
def create_org() -> CreateOrg:
    """POST /organizations with a name made up from the code; returns the created unit."""
    return post_org


@pytest.fixture
def add_member(db_pool: asyncpg.Pool) -> AddMember:
    """A member straight into the tables: the record and one open period."""

    async def add(
        org: dict[str, Any],
        name: str,
        *,
        status: str = "official",
        admitted: date = date(2010, 6, 1),
        since: date | None = None,
        exempt: bool = False,
        suspended: bool = False,
        host: dict[str, Any] | None = None,
    ) -> str:
        return await member_row(
            db_pool,
            org,
            name,
            status=status,
            admitted=admitted,
            since=since,
            exempt=exempt,
            suspended=suspended,
            host=host,
        )

    return add


@pytest.fixture
def add_members(db_pool: asyncpg.Pool) -> AddMembers:
    """`count` members named "<prefix> 00", "<prefix> 01", … straight into the tables, in one transaction: the
    indicator upkeep runs once at its commit instead of once a member."""

    async def add(org: dict[str, Any], count: int, prefix: str, **extra: Any) -> list[str]:
        async with db_pool.acquire() as conn, conn.transaction():
            return [await member_row(conn, org, f"{prefix} {i:02d}", **extra) for i in range(count)]

    return add


@pytest.fixture
def seat() -> Seat:
    """POST a seat in a unit; returns the response."""
    return post_seat


@pytest.fixture(autouse=True)
async def _empty_tables(db_pool: asyncpg.Pool, app: FastAPI) -> AsyncIterator[None]:
    yield
    await empty(db_pool, app)
