"""Liveness and readiness probes (outside /api/v1: they are for orchestrators, not integrators)."""

from typing import Literal

from fastapi import APIRouter, Request
from pydantic import BaseModel
from starlette.responses import Response

from app.api.problems import Problem, problem
from app.api.types import dump, json_response
from app.domain.health import readiness

router = APIRouter(tags=["health"])


class Alive(BaseModel):
    status: Literal["ok"]


class Ready(BaseModel):
    status: Literal["ready"]
    migration: str


@router.get("/healthz", summary="The process is alive", responses={200: {"model": Alive, "description": "Alive"}})
async def healthz() -> Response:
    return json_response(b'{"status":"ok"}')


@router.get(
    "/readyz",
    summary="The database answers and its schema is at the migrations' head",
    responses={
        200: {"model": Ready, "description": "Ready: the migration the schema is at"},
        503: {"model": Problem, "description": "Not ready (the problem's detail says why)"},
    },
)
async def readyz(request: Request) -> Response:
    found = await readiness(request.app.state.pool, head=request.app.state.migration_head)
    if not found.ready:
        return problem(
            503,
            found.detail,
            code="not_ready",
            instance="/readyz",
            headers={"Retry-After": "5"} if found.retry else None,
        )
    return json_response(dump({"status": "ready", "migration": found.detail}))
