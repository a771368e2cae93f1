"""Per-request context: the request id (taken from X-Request-ID when sane, otherwise made up) and body limits."""

import re
import uuid
from contextvars import ContextVar

import orjson
from starlette.types import ASGIApp, Message, Receive, Scope, Send

_request_id: ContextVar[str | None] = ContextVar("request_id", default=None)
_SANE_ID = re.compile(r"^[A-Za-z0-9._:\-]{1,128}$")


def current_request_id() -> str | None:
    return _request_id.get()


class RequestContextMiddleware:
    """Pure ASGI middleware (no BaseHTTPMiddleware overhead): request id in and out, request body size cap."""

    def __init__(self, app: ASGIApp, *, max_body_bytes: int) -> None:
        self.app = app
        self.max_body_bytes = max_body_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        given = next((v.decode("latin-1") for k, v in scope["headers"] if k == b"x-request-id"), "")
        request_id = given if _SANE_ID.match(given) else uuid.uuid4().hex
        token = _request_id.set(request_id)
        header = (b"x-request-id", request_id.encode())

        async def send_with_id(message: Message) -> None:
            if message["type"] == "http.response.start":
                message["headers"] = [*message.get("headers", []), header]
            await send(message)

        try:
            length = next((v for k, v in scope["headers"] if k == b"content-length"), None)
            if length is not None and length.isdigit() and int(length) > self.max_body_bytes:
                await self._too_large(scope, send_with_id)
                return
            received = 0

            async def limited_receive() -> Message:
                nonlocal received
                message = await receive()
                if message["type"] == "http.request":
                    received += len(message.get("body", b""))
                    if received > self.max_body_bytes:
                        raise _BodyTooLarge
                return message

            try:
                await self.app(scope, limited_receive, send_with_id)
            except _BodyTooLarge:
                await self._too_large(scope, send_with_id)
        finally:
            _request_id.reset(token)

    async def _too_large(self, scope: Scope, send: Send) -> None:
        body = orjson.dumps({
            "type": "urn:coso:problem:body_too_large", "title": "Content Too Large", "status": 413,
            "detail": f"The request body exceeds {self.max_body_bytes} bytes; send smaller batches.",
            "instance": scope["path"], "request_id": current_request_id(),
        })
        await send({"type": "http.response.start", "status": 413,
                    "headers": [(b"content-type", b"application/problem+json"),
                                (b"content-length", str(len(body)).encode())]})
        await send({"type": "http.response.body", "body": body})


class _BodyTooLarge(Exception):
    pass
