"""RFC 9457 problem details: every error the service answers has this shape, built here and only here."""

import logging
from collections.abc import Iterator, Mapping
from http import HTTPStatus
from typing import Any

import asyncpg
import orjson
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from pydantic import BaseModel, Field
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.responses import Response

from app.api.hygiene import MalformedBody, UnsupportedMediaType
from app.api.request_context import current_request_id
from app.api.routing import allowed_methods, flat_routes
from app.domain.access.callers import Forbidden, Unauthenticated
from app.domain.errors import (
    Conflict,
    DomainError,
    InvalidCursor,
    NotFound,
    PreconditionFailed,
    PreconditionRequired,
    RuleViolation,
)
from app.domain.idempotency.keys import KeyInFlight
from app.domain.imports.files import TooLarge, UnreadableFile, UnsupportedFile
from app.domain.imports.report import ImportRejected
from app.domain.plans.docx import UnreadableDocument

log = logging.getLogger("coso.errors")

PROBLEM_JSON = "application/problem+json"
TYPE_PREFIX = "urn:coso:problem:"

_STATUS: dict[type[DomainError], int] = {
    NotFound: 404,
    Conflict: 409,
    RuleViolation: 422,
    PreconditionFailed: 412,
    PreconditionRequired: 428,
    InvalidCursor: 400,
    MalformedBody: 400,
    UnsupportedMediaType: 415,
    UnreadableDocument: 422,
    UnreadableFile: 422,
    ImportRejected: 422,
    UnsupportedFile: 415,
    TooLarge: 413,
    Unauthenticated: 401,
    Forbidden: 403,
}

# Known constraints → what a person should read (unique violations and friends that slip past the domain checks).
CONSTRAINT_DETAILS: dict[str, tuple[str, str]] = {
    "uq_organizations_code": ("duplicate_code", "An organisation with this code already exists."),
    "pk_organization_external_ids": (
        "duplicate_external_id",
        "This external identifier already belongs to another organisation.",
    ),
    "ex_organization_placements_no_overlap": (
        "overlapping_placement",
        "Two placements of the same organisation would overlap in time.",
    ),
    # Written at the same moment by two requests (the domain checks saw neither): said without naming the holder.
    "uq_members_citizen_id_living": (
        "duplicate_citizen_id",
        "This citizen ID is already recorded for another living member; a citizen ID belongs to one record.",
    ),
    "pk_member_external_ids": ("duplicate_external_id", "This external identifier already belongs to another member."),
    "uq_plans_organization_id": ("duplicate_plan_code", "The organisation already has a plan with this code."),
}


class FieldError(BaseModel):
    field: str = Field(description="Where the problem is, e.g. `body.parent_id` or `query.limit`")
    message: str


class Problem(BaseModel):
    """RFC 9457 problem details (media type application/problem+json)."""

    type: str = Field(description="A URN naming the rule or error, e.g. urn:coso:problem:duplicate_code")
    title: str
    status: int
    detail: str = Field(description="What went wrong and what to do about it, for a person")
    instance: str | None = Field(default=None, description="The request path")
    request_id: str | None = None
    errors: list[FieldError] | None = Field(default=None, description="Each invalid field (validation errors)")


def problem(
    status: int,
    detail: str,
    *,
    code: str | None = None,
    title: str | None = None,
    instance: str | None = None,
    headers: Mapping[str, str] | None = None,
    **extra: Any,
) -> Response:
    body: dict[str, Any] = {
        "type": TYPE_PREFIX + code if code else "about:blank",
        "title": title or HTTPStatus(status).phrase,
        "status": status,
        "detail": detail,
        "instance": instance,
        "request_id": current_request_id(),
    }
    body.update({k: v for k, v in extra.items() if v is not None})
    return Response(orjson.dumps(body), status_code=status, media_type=PROBLEM_JSON, headers=headers)


# HTTP errors raised outside the domain that still name a rule (the body limit is enforced while reading the body).
_HTTP_PROBLEMS: dict[int, tuple[str, str]] = {413: ("body_too_large", "Content Too Large")}


def _field_name(loc: tuple[Any, ...]) -> str:
    return ".".join(str(part) for part in loc)


def _unavailable(request: Request, why: str) -> Response:
    return problem(
        503,
        f"The database is unavailable ({why}). Retry in a few seconds.",
        code="database_unavailable",
        instance=request.url.path,
        headers={"Retry-After": "5"},
    )


_CONNECTION_ERRORS: tuple[type[BaseException], ...] = (
    OSError,  # includes TimeoutError: asyncpg cannot reach the server, or no pooled connection came free in time
    asyncpg.exceptions.PostgresConnectionError,
    asyncpg.exceptions.CannotConnectNowError,
    asyncpg.exceptions.InterfaceError,
    asyncpg.exceptions.AdminShutdownError,
    asyncpg.exceptions.CrashShutdownError,
    asyncpg.exceptions.TooManyConnectionsError,
)

# Failures that come from the database (or the way to it). They get their own handler so that FastAPI's
# ExceptionMiddleware answers them, inside the request-id middleware: Starlette runs the catch-all `Exception`
# handler outside every middleware and re-raises after answering, so its answers carry no X-Request-ID and each
# request during a database outage would print a traceback.
DATABASE_ERRORS: tuple[type[Exception], ...] = (
    asyncpg.exceptions.PostgresError,
    asyncpg.exceptions.InterfaceError,
    asyncpg.exceptions.InternalClientError,
    OSError,
)


def _chain(exc: BaseException) -> Iterator[BaseException]:
    seen: BaseException | None = exc
    while seen is not None:
        yield seen
        seen = seen.__cause__ or seen.__context__


def _is_connection_error(exc: BaseException) -> bool:
    return any(isinstance(e, _CONNECTION_ERRORS) for e in _chain(exc))


def _is_query_timeout(exc: BaseException) -> bool:
    return any(isinstance(e, asyncpg.exceptions.QueryCanceledError) for e in _chain(exc))


def _integrity(request: Request, exc: BaseException) -> Response | None:
    cause = next((e for e in _chain(exc) if isinstance(e, asyncpg.exceptions.IntegrityConstraintViolationError)), exc)
    constraint = getattr(cause, "constraint_name", None)
    if constraint in CONSTRAINT_DETAILS:
        code, detail = CONSTRAINT_DETAILS[constraint]
        return problem(409, detail, code=code, instance=request.url.path)
    if isinstance(cause, asyncpg.exceptions.IntegrityConstraintViolationError):
        return problem(
            409,
            "The change conflicts with existing data and was not saved.",
            code="conflict",
            instance=request.url.path,
        )
    return None


def install(app: FastAPI) -> None:
    @app.exception_handler(DomainError)
    async def domain_error(request: Request, exc: DomainError) -> Response:
        status = next((s for t, s in _STATUS.items() if isinstance(exc, t)), 400)
        headers = {"WWW-Authenticate": 'Bearer realm="coso"'} if status == 401 else None
        if isinstance(exc, KeyInFlight):
            headers = {"Retry-After": "1"}  # the first request with the key is still running
        return problem(
            status, exc.detail, code=exc.code, title=exc.title, instance=request.url.path, headers=headers, **exc.extra
        )

    @app.exception_handler(RequestValidationError)
    async def validation_error(request: Request, exc: RequestValidationError) -> Response:
        errors = [{"field": _field_name(e["loc"]), "message": e["msg"]} for e in exc.errors()]
        listing = "; ".join(f"{e['field']}: {e['message']}" for e in errors)
        return problem(
            422,
            f"The request is invalid: {listing}",
            code="validation_error",
            title="Invalid request",
            instance=request.url.path,
            errors=errors,
        )

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException) -> Response:
        detail = exc.detail if isinstance(exc.detail, str) else HTTPStatus(exc.status_code).description
        if exc.status_code == 404 and detail == "Not Found":
            detail = f"There is no resource at {request.url.path}. The API lives under /api/v1 (see /docs)."
        code, title = _HTTP_PROBLEMS.get(exc.status_code, (None, None))
        headers = exc.headers
        if exc.status_code == 405:
            allowed = allowed_methods(flat_routes(request.app.router.routes), request.url.path)
            headers = {**(headers or {}), "Allow": ", ".join(allowed)}
            detail = f"{request.method} is not allowed on {request.url.path}; it allows {', '.join(allowed)}."
        return problem(exc.status_code, detail, code=code, title=title, instance=request.url.path, headers=headers)

    async def database_error(request: Request, exc: Exception) -> Response:
        return _unexpected(request, exc)

    for error in DATABASE_ERRORS:
        app.add_exception_handler(error, database_error)

    @app.exception_handler(Exception)
    async def unexpected(request: Request, exc: Exception) -> Response:
        return _unexpected(request, exc)


def _unexpected(request: Request, exc: Exception) -> Response:
    if isinstance(exc, asyncpg.exceptions.IntegrityConstraintViolationError):
        mapped = _integrity(request, exc)
        if mapped is not None:
            return mapped
    if _is_query_timeout(exc):
        return problem(
            503,
            "The query took longer than the service allows and was cancelled. Narrow it "
            "(a smaller subtree, fewer periods) or retry later.",
            code="query_timeout",
            instance=request.url.path,
            headers={"Retry-After": "5"},
        )
    if _is_connection_error(exc):
        log.warning("database unavailable: %s", exc.__class__.__name__)
        return _unavailable(request, exc.__class__.__name__)
    log.error("unhandled error on %s %s", request.method, request.url.path, exc_info=exc)
    return problem(
        500,
        "An unexpected error occurred; nothing was saved. Quote the request_id when reporting it.",
        code="internal_error",
        instance=request.url.path,
    )
