"""The baseline coso is held to: the same reads on bare Starlette + asyncpg, no FastAPI, no pydantic.

It answers the same URLs as the service, for the same API keys (whole-tree ones), with the same SQL (copied from
app/db/organizations/reads.py below; the benchmark checks the copy against what the service generates and says so when
it drifts), the same pool settings, the same JSON built by PostgreSQL and the same keyset cursor format (it
accepts the service's cursors):

    GET /readyz
    GET /api/v1/organizations/{id}
    GET /api/v1/organizations/{id}/subtree?limit=&cursor=
    GET /api/v1/organizations/{id}/ancestors

bench/org_tree.py starts it like the service (`python bench/baseline.py --port P`, DATABASE_URL and COSO_POOL_SIZE
in the environment, uvicorn, one worker) and loads both with the same client. Not a service: no validation beyond
what keeps it from crashing, no error bodies.
"""

import argparse
import base64
import binascii
import hashlib
import hmac
import math
import os
import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from datetime import UTC, datetime

import asyncpg
import orjson
import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

# --- SQL copied from app/db/organizations/reads.py (structure date unset: each unit at its latest placement) ---------
ORG_DOC = """json_build_object(
    'id', o.id, 'code', o.code, 'name', o.name, 'kind', o.kind, 'category', o.category,
    'parent_id', p.parent_id, 'depth', p.depth, 'valid_from', o.valid_from, 'valid_to', o.valid_to,
    'placed_from', p.valid_from, 'placed_to', p.valid_to,
    'external_ids', coalesce((SELECT array_agg(e.external_id ORDER BY e.external_id)
                              FROM organization_external_ids e WHERE e.organization_id = o.id), '{}'),
    'created_at', o.created_at, 'updated_at', o.updated_at, 'version', o.version)::text"""
FROM = "organization_placements p JOIN organizations o ON o.id = p.organization_id"
LATEST = "p.latest"

IN_SCOPE = "TRUE"  # a caller covering the whole tree (app/db/scope.py); the baseline serves no other

BY_ID = f"SELECT {ORG_DOC} AS doc, o.version FROM {FROM} WHERE o.id = $1 AND {LATEST} AND {IN_SCOPE}"  # noqa: S608 - SQL pieces written in this script, no input
PLACED = (
    f"SELECT o.id, o.node, o.kind, p.path, p.depth, p.parent_id FROM {FROM} WHERE o.id = $1 AND {LATEST} AND {IN_SCOPE}"  # noqa: S608 - SQL pieces written in this script, no input
)
SUBTREE_FIRST = (
    f"SELECT {ORG_DOC} AS doc, p.path, 0 AS rank FROM {FROM} WHERE {LATEST} AND {IN_SCOPE} "  # noqa: S608 - SQL pieces written in this script, no input
    f"AND p.path >= $1 AND p.path < $2 ORDER BY p.path LIMIT $3"
)
SUBTREE_AFTER = (
    f"SELECT {ORG_DOC} AS doc, p.path, 0 AS rank FROM {FROM} WHERE {LATEST} AND {IN_SCOPE} "  # noqa: S608 - SQL pieces written in this script, no input
    f"AND p.path >= $1 AND p.path < $2 AND p.path > $3 ORDER BY p.path LIMIT $4"
)
ANCESTORS = (
    f"SELECT {ORG_DOC} FROM {FROM} WHERE o.node = ANY($1::bigint[]) AND {LATEST} AND {IN_SCOPE} ORDER BY p.depth"  # noqa: S608 - SQL pieces written in this script, no input
)
KEY = "SELECT secret_hash, role, scopes, revoked_at, expires_at FROM api_keys WHERE key_id = $1"
# ------------------------------------------------------------------------------------------------------------------


class Keys:
    """The same check as the service's (app/domain/access/callers.py, app/domain/access/keys.py):
    `Bearer coso_<key_id>_<secret>`,
    the key row cached for `ttl` seconds, sha256 of the secret compared in constant time; whole-tree keys only."""

    def __init__(self, pool: asyncpg.Pool, ttl: float = 30) -> None:
        self.pool, self.ttl = pool, ttl
        self.rows: dict[str, tuple[asyncpg.Record | None, float]] = {}

    async def allows(self, request: Request) -> bool:
        scheme, _, token = request.headers.get("authorization", "").partition(" ")
        prefix, _, rest = token.partition("_")
        key_id, _, secret = rest.partition("_")
        if scheme.lower() != "bearer" or prefix != "coso" or len(key_id) != 12 or not secret:
            return False
        now = time.monotonic()
        row, loaded = self.rows.get(key_id, (None, -math.inf))
        if now - loaded > self.ttl:
            row = await self.pool.fetchrow(KEY, key_id)
            self.rows[key_id] = (row, now)
        if row is None or not hmac.compare_digest(hashlib.sha256(secret.encode()).digest(), row["secret_hash"]):
            return False
        expired = row["expires_at"] is not None and row["expires_at"] <= datetime.now(UTC)
        return row["revoked_at"] is None and not expired and not row["scopes"] and row["role"] in READERS


READERS = {"viewer", "editor", "admin", "auditor"}


def _json(body: bytes, status: int = 200, headers: dict[str, str] | None = None) -> Response:
    return Response(body, status_code=status, media_type="application/json", headers=headers)


NOT_FOUND = _json(b'{"status":404}', 404)
UNAUTHENTICATED = _json(b'{"status":401}', 401)
BAD_REQUEST = _json(b'{"status":400}', 400)


def _nodes_of(path: str) -> list[int]:
    """The nodes on a path, as app/db/organizations/paths.py encodes them (hex behind a length character)."""
    return [int(part[1:], 16) for part in path.strip("/").split("/")]


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode().rstrip("=")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


class Cursors:
    """The service's cursor format (app/domain/pagination.py): base64url JSON, a dot, and a 12-byte HMAC-SHA256 under
    a key derived from the deployment's secret (service_secrets), so that the baseline checks and issues cursors
    with the same work as the service, and accepts the service's."""

    def __init__(self, secret: bytes) -> None:
        self.key = hmac.new(secret, b"coso cursors", hashlib.sha256).digest()

    def mac(self, payload: bytes) -> bytes:
        return hmac.new(self.key, payload, hashlib.sha256).digest()[:12]

    def after(self, cursor: str | None) -> tuple[str, str] | None:
        """(the listing's kind, the last path served), or None on the first page; ValueError if not ours."""
        if not cursor:
            return None
        body, _, mac = cursor.partition(".")
        payload = _unb64(body)
        if not hmac.compare_digest(self.mac(payload), _unb64(mac)):
            raise ValueError("not our cursor")
        key = orjson.loads(payload)
        return str(key["k"]), str(key["p"])

    def issue(self, kind: str, path: str) -> str:
        payload = orjson.dumps({"k": kind, "p": path, "r": 0})
        return f"{_b64(payload)}.{_b64(self.mac(payload))}"


def _org_id(request: Request) -> uuid.UUID | None:
    try:
        return uuid.UUID(request.path_params["org_id"])
    except ValueError:
        return None


Handler = Callable[[Request], Awaitable[Response]]


def authenticated(handler: Handler) -> Handler:
    async def guarded(request: Request) -> Response:
        if not await request.app.state.keys.allows(request):
            return UNAUTHENTICATED
        return await handler(request)

    return guarded


async def readyz(request: Request) -> Response:
    await request.app.state.pool.fetchval("SELECT 1")
    return _json(b'{"status":"ready"}')


async def by_id(request: Request) -> Response:
    org_id = _org_id(request)
    row = await request.app.state.pool.fetchrow(BY_ID, org_id) if org_id else None
    if row is None:
        return NOT_FOUND
    return _json(row["doc"].encode(), headers={"ETag": f'"{row["version"]}"'})


async def subtree(request: Request) -> Response:
    pool: asyncpg.Pool = request.app.state.pool
    org_id = _org_id(request)
    try:
        limit = int(request.query_params.get("limit", "50"))
        cursors: Cursors = request.app.state.cursors
        position = cursors.after(request.query_params.get("cursor"))
    except (ValueError, KeyError, binascii.Error):
        return BAD_REQUEST
    root = await pool.fetchrow(PLACED, org_id) if org_id else None
    if root is None or not 1 <= limit <= 500:
        return NOT_FOUND if root is None else BAD_REQUEST
    low, high = root["path"], root["path"][:-1] + "0"
    if position is None:
        rows = await pool.fetch(SUBTREE_FIRST, low, high, limit + 1)
    else:
        rows = await pool.fetch(SUBTREE_AFTER, low, high, position[1], limit + 1)
    more = len(rows) > limit
    rows = rows[:limit]
    kind = position[0] if position else f"subtree:{org_id}"
    cursor = cursors.issue(kind, rows[-1]["path"]) if more else None
    return _json(
        b'{"items":[' + ",".join(r["doc"] for r in rows).encode() + b'],"next_cursor":' + orjson.dumps(cursor) + b"}"
    )


async def ancestors(request: Request) -> Response:
    pool: asyncpg.Pool = request.app.state.pool
    org_id = _org_id(request)
    unit = await pool.fetchrow(PLACED, org_id) if org_id else None
    if unit is None:
        return NOT_FOUND
    nodes = _nodes_of(unit["path"])[:-1]
    docs = [r[0] for r in await pool.fetch(ANCESTORS, nodes)] if nodes else []
    return _json(b'{"items":[' + ",".join(docs).encode() + b'],"next_cursor":null}')


async def _light_reset(conn: asyncpg.Connection) -> None:
    """As the service's pool (app/db/database.py): no reset query on release, only a ROLLBACK if one is open."""
    if conn.is_in_transaction():
        await conn.execute("ROLLBACK")


def create_app(dsn: str, pool_size: int, statement_timeout_ms: int = 15_000) -> Starlette:
    """The pool is opened like the service's (app/db/database.py): same sizes, timeouts and session settings."""

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        app.state.pool = await asyncpg.create_pool(
            dsn,
            min_size=0,
            max_size=pool_size,
            reset=_light_reset,
            max_inactive_connection_lifetime=300,
            timeout=5,
            command_timeout=statement_timeout_ms / 1000 + 5,
            server_settings={
                "application_name": "coso-baseline",
                "statement_timeout": str(statement_timeout_ms),
                "timezone": "UTC",
            },
        )
        app.state.keys = Keys(app.state.pool)
        app.state.cursors = Cursors(
            await app.state.pool.fetchval("SELECT value FROM service_secrets WHERE name = 'main'")
        )
        try:
            yield
        finally:
            await app.state.pool.close()

    return Starlette(
        lifespan=lifespan,
        routes=[
            Route("/readyz", readyz),
            Route("/api/v1/organizations/{org_id}", authenticated(by_id)),
            Route("/api/v1/organizations/{org_id}/subtree", authenticated(subtree)),
            Route("/api/v1/organizations/{org_id}/ancestors", authenticated(ancestors)),
        ],
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, required=True)
    args = parser.parse_args()
    dsn = os.environ["DATABASE_URL"]
    pool_size = int(os.environ.get("COSO_POOL_SIZE", "10"))
    # As `coso serve` runs uvicorn: one process, default loop and HTTP parser (uvloop, httptools), no access log.
    uvicorn.run(
        create_app(dsn, pool_size),
        host=args.host,
        port=args.port,
        proxy_headers=True,
        server_header=False,
        workers=None,
        access_log=False,
        log_level="warning",
    )


if __name__ == "__main__":
    main()
