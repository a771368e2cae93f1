"""What tests build their worlds with. tests/conftest.py hands these out as fixtures (`create_org`, `insert_key`,
`add_member`, …), bound to the session's database where they need it; the Protocols are the fixtures' types. A test
module takes them as fixtures and never imports another test module."""

import uuid
from datetime import date, datetime
from typing import Any, Protocol

import asyncpg
import httpx
from fastapi import FastAPI

from app.domain.access.callers import generate_key
from tests.support.contract import contract_for

API = "/api/v1"
# Tables the migrations fill, kept between tests.
KEPT_TABLES = ("alembic_version", "indicator_quarters", "indicator_settings", "service_secrets")


def app_client(app: FastAPI, token: str | None = None) -> httpx.AsyncClient:
    """A client of the app in this process (with a key's token, or none); every answer it receives is checked
    against openapi.yaml (tests/support/contract.py)."""
    headers = {"Authorization": f"Bearer {token}"} if token else None
    return httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app),
        base_url="http://coso.test",
        headers=headers,
        event_hooks={"response": [contract_for(app).hook]},
    )


async def new_key(
    pool: asyncpg.Pool,
    *,
    role: str = "admin",
    scopes: tuple[str, ...] | list[str] = (),
    pii: bool = True,
    name: str = "test key",
    expires_at: datetime | None = None,
) -> str:
    """A key straight into the table (as `coso keys create` would make it); returns the secret token."""
    new = generate_key()
    await pool.execute(
        "INSERT INTO api_keys (key_id, secret_hash, name, role, scopes, pii, expires_at) "
        "VALUES ($1, $2, $3, $4, $5::uuid[], $6, $7)",
        new.key_id,
        new.secret_hash,
        name,
        role,
        list(scopes),
        pii,
        expires_at,
    )
    return new.token


async def empty(pool: asyncpg.Pool, app: FastAPI) -> None:
    """Every table emptied (but those the migrations fill), and the app's caches forgotten."""
    tables = await pool.fetch(
        "SELECT tablename FROM pg_tables WHERE schemaname = 'public' AND tablename <> ALL($1::text[])",
        list(KEPT_TABLES),
    )
    if tables:
        # The audit log refuses TRUNCATE (append-only); the test database's owner lifts that for the cleanup.
        async with pool.acquire() as conn, conn.transaction():
            await conn.execute("ALTER TABLE audit_log DISABLE TRIGGER audit_log_no_truncate")
            names = ", ".join(f'"{t[0]}"' for t in tables)
            await conn.execute(f"TRUNCATE {names} RESTART IDENTITY CASCADE")
            await conn.execute("ALTER TABLE audit_log ENABLE TRIGGER audit_log_no_truncate")
    app.state.access.forget()


async def rows_of(pool: asyncpg.Pool, table: str) -> int:
    value: int = await pool.fetchval(f'SELECT count(*) FROM "{table}"')  # noqa: S608 -- a table name of the test
    return value


async def all_rows(pool: asyncpg.Pool) -> dict[str, Any]:
    """Every row of every table, to prove a refused request wrote nothing (a key's last use aside: reading with a
    key is meant to record it)."""
    # pgqueuer's log and statistics are written by a worker in its own time (not by the request).
    tables = [
        r[0]
        for r in await pool.fetch("SELECT tablename FROM pg_tables WHERE schemaname = 'public' ORDER BY tablename")
        if r[0] not in ("pgqueuer_log", "pgqueuer_statistics")
    ]
    return {
        t: sorted(
            repr({k: v for k, v in r.items() if k != "last_used_at"})
            for r in await pool.fetch(f'SELECT * FROM "{t}"')  # noqa: S608 - table names from the catalogue or SQL written in the test
        )
        for t in tables
    }


async def post_org(
    client: httpx.AsyncClient, code: str, kind: str, parent: dict[str, Any] | None = None, **extra: Any
) -> dict[str, Any]:
    body = {
        "code": code,
        "name": extra.pop("name", f"Tổ chức {code}"),
        "kind": kind,
        "parent_id": parent["id"] if parent else None,
        **extra,
    }
    response = await client.post(f"{API}/organizations", json=body)
    assert response.status_code == 201, response.text
    created: dict[str, Any] = response.json()
    return created


async def member_row(
    pool: asyncpg.Pool | asyncpg.Connection,
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
    """A member straight into the tables: the record and one open period in `org` from `since` (default: the
    admission)."""
    org_id = uuid.UUID(org["id"])
    host_id = uuid.UUID(host["id"]) if host else None
    path = await pool.fetchval("SELECT path FROM organization_placements WHERE organization_id = $1 AND latest", org_id)
    member_id: uuid.UUID = await pool.fetchval(
        "INSERT INTO members (full_name, sort_key, gender, birth_date, status, organization_id, org_path, "
        "admission_decision_date, exempt, suspended, host_organization_id) "
        "VALUES ($1, lower($1), 'male', '1980-01-01', $2, $3, $4, $5, $6, $7, $8) RETURNING id",
        name,
        status,
        org_id,
        path,
        admitted,
        exempt,
        suspended,
        host_id,
    )
    await pool.execute(
        "INSERT INTO member_periods (member_id, valid_from, organization_id, status, exempt, suspended, "
        "host_organization_id) VALUES ($1, $2, $3, $4, $5, $6, $7)",
        member_id,
        since or admitted,
        org_id,
        status,
        exempt,
        suspended,
        host_id,
    )
    return str(member_id)


async def post_seat(
    client: httpx.AsyncClient, org: dict[str, Any], member_id: str, position: str, valid_from: str, **extra: Any
) -> httpx.Response:
    return await client.post(
        f"{API}/organizations/{org['id']}/positions",
        json={"member_id": member_id, "position": position, "valid_from": valid_from, **extra},
    )


# --- the fixtures' types ---------------------------------------------------------------------------------------------


class ClientWith(Protocol):
    def __call__(self, app: FastAPI, token: str) -> httpx.AsyncClient: ...


class InsertKey(Protocol):
    async def __call__(
        self,
        *,
        role: str = "admin",
        scopes: tuple[str, ...] | list[str] = (),
        pii: bool = True,
        name: str = "test key",
        expires_at: datetime | None = None,
    ) -> str: ...


class EmptyDatabase(Protocol):
    async def __call__(self) -> None: ...


class CountRows(Protocol):
    async def __call__(self, table: str) -> int: ...


class Snapshot(Protocol):
    async def __call__(self) -> dict[str, Any]: ...


class CreateOrg(Protocol):
    async def __call__(
        self, client: httpx.AsyncClient, code: str, kind: str, parent: dict[str, Any] | None = None, **extra: Any
    ) -> dict[str, Any]: ...


class AddMember(Protocol):
    async def __call__(
        self,
        org: dict[str, Any],
        name: str,
        *,
        status: str = "official",
        admitted: date = date(2010, 6, 1),
        since: date | None = None,
        exempt: bool = False,
        suspended: bool = False,
        host: dict[str, Any] | None = None,
    ) -> str: ...


class AddMembers(Protocol):
    async def __call__(self, org: dict[str, Any], count: int, prefix: str, **extra: Any) -> list[str]: ...


class Seat(Protocol):
    async def __call__(
        self,
        client: httpx.AsyncClient,
        org: dict[str, Any],
        member_id: str,
        position: str,
        valid_from: str,
        **extra: Any,
    ) -> httpx.Response: ...
