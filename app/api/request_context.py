"""Per-request context: the request id (taken from X-Request-ID when sane, otherwise made up) and body limits."""

import itertools
import logging
import re
import secrets
from collections.abc import Mapping
from contextvars import ContextVar
from datetime import date

import orjson
from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from app.api.types import DATE_RANGE

log = logging.getLogger("coso.errors")

_request_id: ContextVar[str | None] = ContextVar("request_id", default=None)
_SANE_ID = re.compile(r"^[A-Za-z0-9._:\-]{1,128}$")


_PREFIX = secrets.token_hex(4)
_COUNTER = itertools.count(1)


def _new_id() -> str:
    """Unique across processes (random prefix) and cheap (a counter): made on every request."""
    return f"{_PREFIX}{next(_COUNTER):012x}"


def current_request_id() -> str | None:
    return _request_id.get()


class RequestContextMiddleware:
    """Pure ASGI middleware (no BaseHTTPMiddleware overhead): request id in and out, request body size cap."""

    def __init__(
        self,
        app: ASGIApp,
        *,
        max_body_bytes: int,
        date_range: tuple[date, date],
        body_limits: Mapping[str, int] | None = None,
    ) -> None:
        self.app = app
        self.max_body_bytes = max_body_bytes
        self.date_range = date_range
        self.body_limits = dict(body_limits or {})  # paths that take files (imports): their own limit

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        given = next((v.decode("latin-1") for k, v in scope["headers"] if k == b"x-request-id"), "")
        request_id = given if given and _SANE_ID.match(given) else _new_id()
        token = _request_id.set(request_id)
        range_token = DATE_RANGE.set(self.date_range)
        header = (b"x-request-id", request_id.encode())

        async def send_with_id(message: Message) -> None:
            if message["type"] == "http.response.start":
                message["headers"] = [*message.get("headers", []), header]
            await send(message)

        limit = self.body_limits.get(scope["path"], self.max_body_bytes)
        try:
            length = next((v for k, v in scope["headers"] if k == b"content-length"), None)
            if length is not None and length.isdigit() and int(length) > limit:
                await self._too_large(scope, send_with_id, limit)
                return
            received = 0

            async def limited_receive() -> Message:
                nonlocal received
                message = await receive()
                if message["type"] == "http.request":
                    received += len(message.get("body", b""))
                    if received > limit:
                        raise _BodyTooLarge(limit)
                return message

            started = False

            async def send_tracking(message: Message) -> None:
                nonlocal started
                started = started or message["type"] == "http.response.start"
                await send_with_id(message)

            try:
                await self.app(scope, limited_receive, send_tracking)
            except _BodyTooLarge:
                if not started:
                    await self._too_large(scope, send_with_id, limit)
            except Exception:
                # What no handler answered: log it with the request id, and answer a 500 problem carrying it.
                log.exception("unhandled error on %s %s", scope.get("method"), scope["path"])
                if not started:
                    await self._send(
                        scope,
                        send_with_id,
                        500,
                        "internal_error",
                        "Internal Server Error",
                        "An unexpected error occurred; nothing was saved. Quote the request_id when reporting it.",
                    )
        finally:
            DATE_RANGE.reset(range_token)
            _request_id.reset(token)

    async def _too_large(self, scope: Scope, send: Send, limit: int) -> None:
        await self._send(
            scope,
            send,
            413,
            "body_too_large",
            "Content Too Large",
            f"The request body exceeds {limit} bytes; send smaller batches.",
        )

    async def _send(self, scope: Scope, send: Send, status: int, code: str, title: str, detail: str) -> None:
        body = orjson.dumps(
            {
                "type": f"urn:coso:problem:{code}",
                "title": title,
                "status": status,
                "detail": detail,
                "instance": scope["path"],
                "request_id": current_request_id(),
            }
        )
        await send(
            {
                "type": "http.response.start",
                "status": status,
                "headers": [
                    (b"content-type", b"application/problem+json"),
                    (b"content-length", str(len(body)).encode()),
                ],
            }
        )
        await send({"type": "http.response.body", "body": body})


class _BodyTooLarge(HTTPException):
    """Raised while the body is read: FastAPI lets only HTTPExceptions through from there."""

    def __init__(self, limit: int) -> None:
        super().__init__(413, f"The request body exceeds {limit} bytes; send smaller batches.")
