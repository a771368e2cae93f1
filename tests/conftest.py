"""Test wiring: a real PostgreSQL (DATABASE_URL's server, in a throwaway database, or an embedded one),
migrations once per session, the app over ASGI, and every table emptied after each test.

Why truncate rather than roll back: the service reads through an asyncpg pool and writes through SQLAlchemy, and
some tests drive a real server process; one outer transaction cannot span those connections."""

import asyncio
import os
import secrets
import tempfile
from collections.abc import AsyncIterator, Iterator, Sequence
from datetime import datetime
from pathlib import Path
from typing import Any

import asyncpg
import httpx
import pytest
from fastapi import FastAPI

from app.db.embedded import start_embedded
from app.db.migrations import upgrade
from app.db.urls import asyncpg_dsn
from app.domain.access import generate_key
from app.main import create_app
from app.settings import Settings


def _replace_database(dsn: str, name: str) -> str:
    base, _, query = dsn.partition("?")
    head, _, _ = base.rpartition("/")
    return f"{head}/{name}" + (f"?{query}" if query else "")


@pytest.fixture(scope="session")
def database_url() -> Iterator[str]:
    server_url = os.environ.get("DATABASE_URL")
    if not server_url:
        with tempfile.TemporaryDirectory(prefix="coso-test-") as tmp:
            path = Path(tmp)
            path.chmod(0o755)
            url = start_embedded(path, cleanup="delete")
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
    url = _replace_database(asyncpg_dsn(server_url), name)
    try:
        upgrade(url)
        yield url
    finally:
        asyncio.run(admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


@pytest.fixture(scope="session")
def settings(database_url: str) -> Settings:
    return Settings(database_url=database_url, timezone="Asia/Ho_Chi_Minh", json_logs=False)


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


async def insert_key(pool: asyncpg.Pool, *, role: str = "admin", scopes: Sequence[str] = (), pii: bool = True,
                     name: str = "test key", expires_at: datetime | None = None) -> str:
    """A key straight into the table (as `coso keys create` would make it); returns the secret token."""
    new = generate_key()
    await pool.execute(
        "INSERT INTO api_keys (key_id, secret_hash, name, role, scopes, pii, expires_at) "
        "VALUES ($1, $2, $3, $4, $5::uuid[], $6, $7)",
        new.key_id, new.secret_hash, name, role, list(scopes), pii, expires_at)
    return new.token


@pytest.fixture
async def anonymous(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    """A client that sends no credentials."""
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://coso.test") as c:
        yield c


@pytest.fixture
async def client(app: FastAPI, db_pool: asyncpg.Pool) -> AsyncIterator[httpx.AsyncClient]:
    """A client holding an administrator's key over the whole tree, with the pii permission."""
    token = await insert_key(db_pool, name="test admin")
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://coso.test",
                                 headers={"Authorization": f"Bearer {token}"}) as c:
        yield c


def client_with(app: FastAPI, token: str) -> httpx.AsyncClient:
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://coso.test",
                             headers={"Authorization": f"Bearer {token}"})


# Tables the migrations fill, kept between tests.
KEPT_TABLES = ("alembic_version", "indicator_quarters", "service_secrets")


async def empty_database(pool: asyncpg.Pool, app: FastAPI) -> None:
    """Every table emptied (but those the migrations fill), and the app's caches forgotten."""
    tables = await pool.fetch("SELECT tablename FROM pg_tables WHERE schemaname = 'public' "
                              "AND tablename <> ALL($1::text[])", list(KEPT_TABLES))
    if tables:
        # The audit log refuses TRUNCATE (append-only); the test database's owner lifts that for the cleanup.
        async with pool.acquire() as conn, conn.transaction():
            await conn.execute("ALTER TABLE audit_log DISABLE TRIGGER audit_log_no_truncate")
            await conn.execute("TRUNCATE " + ", ".join(f'"{t[0]}"' for t in tables) + " RESTART IDENTITY CASCADE")
            await conn.execute("ALTER TABLE audit_log ENABLE TRIGGER audit_log_no_truncate")
    app.state.access.forget()


@pytest.fixture(autouse=True)
async def _empty_tables(db_pool: asyncpg.Pool, app: FastAPI) -> AsyncIterator[None]:
    yield
    await empty_database(db_pool, app)


async def count_rows(pool: asyncpg.Pool, table: str) -> int:
    value: int = await pool.fetchval(f'SELECT count(*) FROM "{table}"')
    return value


async def snapshot(pool: asyncpg.Pool) -> dict[str, Any]:
    """Every row of every table, to prove a refused request wrote nothing (a key's last use aside: reading with a
    key is meant to record it)."""
    tables = [r[0] for r in await pool.fetch(
        "SELECT tablename FROM pg_tables WHERE schemaname = 'public' ORDER BY tablename")]
    return {t: sorted(repr({k: v for k, v in r.items() if k != "last_used_at"})
                      for r in await pool.fetch(f'SELECT * FROM "{t}"'))
            for t in tables}
