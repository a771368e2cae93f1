"""Liveness and readiness probes (outside /api/v1: they are for orchestrators, not integrators)."""

import asyncpg
from fastapi import APIRouter, Request
from starlette.responses import Response

from app.api.deps import DatabaseDep
from app.api.problems import problem
from app.api.types import json_response

router = APIRouter(tags=["health"])


@router.get("/healthz", summary="The process is alive")
async def healthz() -> Response:
    return json_response(b'{"status":"ok"}')


@router.get("/readyz", summary="The database answers and its schema is at the migrations' head",
            responses={503: {"description": "Not ready (problem+json says why)"}})
async def readyz(request: Request, db: DatabaseDep) -> Response:
    head: str = request.app.state.migration_head
    try:
        current = await db.pool.fetchval("SELECT version_num FROM alembic_version")
    except asyncpg.UndefinedTableError:
        current = None
    except (OSError, asyncpg.PostgresError, asyncpg.InterfaceError, TimeoutError) as exc:
        return problem(503, f"The database is unreachable ({exc.__class__.__name__}).", code="not_ready",
                       instance="/readyz", headers={"Retry-After": "5"})
    if current != head:
        return problem(503, f"The database schema is at {current or 'nothing'}, the service needs {head}: run "
                       "`coso migrate`.", code="not_ready", instance="/readyz")
    return json_response(b'{"status":"ready","migration":"' + head.encode() + b'"}')
