"""`Idempotency-Key` on every write of /api/v1, for every route at once: `AuthenticatedRoute` starts an attempt
before anything reads the body, the request's transaction (app/api/deps.py) claims the key as it begins, and the
route class keeps the answer in that transaction before it commits. A request without the header pays nothing but
one header lookup on a write; a read pays nothing (ARCHITECTURE.md, "Idempotency").

Writes that take no transaction (a preview, a search sent as POST) change nothing: the key is checked and
otherwise ignored, and a retry does the (harmless) work again."""

import hashlib
from dataclasses import dataclass, field

from starlette.requests import ClientDisconnect, Request
from starlette.responses import Response
from starlette.types import Message, Receive

from app.domain.access.callers import Caller
from app.domain.idempotency import keys
from app.domain.tx import Tx

HEADER = "Idempotency-Key"
REPLAYED = "Idempotent-Replayed"
WRITES = frozenset({"POST", "PUT", "PATCH", "DELETE"})
# What a replay sends again besides the status and the body; per-request headers (X-Request-ID, Date) are the
# retry's own.
KEPT_HEADERS = frozenset(
    {
        "content-type",
        "content-disposition",
        "content-location",
        "location",
        "etag",
        "last-modified",
        "link",
        "preference-applied",
    }
)


class BodyDigest:
    """The body's SHA-256, taken as the body streams by to whoever reads it (a large upload is never held)."""

    def __init__(self, request: Request) -> None:
        self._receive: Receive = request._receive
        self._sha = hashlib.sha256()
        self.complete = False
        request._receive = self.receive

    async def receive(self) -> Message:
        message = await self._receive()
        if message["type"] == "http.request" and not self.complete:
            self._sha.update(message.get("body", b""))
            self.complete = not message.get("more_body", False)
        elif message["type"] == "http.disconnect":
            self.complete = True
        return message

    async def digest(self) -> bytes:
        """The digest of the whole body, reading (and dropping) what nobody has read yet."""
        while not self.complete:
            if (await self.receive())["type"] == "http.disconnect":
                raise ClientDisconnect()
        return self._sha.digest()


@dataclass
class Attempt:
    """A write sent with a key: who, which key, which request; `tx` once its transaction holds the key."""

    caller: str
    key: str
    method: str
    path: str
    body: BodyDigest
    tx: Tx | None = field(default=None)

    async def fingerprint(self) -> keys.Fingerprint:
        return keys.Fingerprint(method=self.method, path=self.path, body_sha256=await self.body.digest())


class Replayed(Exception):
    """Not an error: the answer kept for the key, to be sent again instead of doing the work."""

    def __init__(self, answer: keys.Answer) -> None:
        super().__init__("replayed")
        self.answer = answer

    def response(self) -> Response:
        response = Response(self.answer.body, status_code=self.answer.status)
        response.raw_headers.extend(
            (name.encode("latin-1"), value.encode("latin-1")) for name, value in self.answer.headers
        )
        response.raw_headers.append((REPLAYED.lower().encode(), b"true"))
        return response


def begin(request: Request, caller: Caller) -> Attempt | None:
    """The attempt of a write that carries a key (400 for a header that is no key), before its body is read."""
    raw = request.headers.get(HEADER)
    if raw is None:
        return None
    query = request.scope.get("query_string", b"").decode("latin-1")
    attempt = Attempt(
        caller=f"{caller.kind}:{caller.id}",
        key=keys.checked_key(raw),
        method=request.method,
        path=request.url.path + (f"?{query}" if query else ""),
        body=BodyDigest(request),
    )
    request.state.idempotency = attempt
    return attempt


async def claim(request: Request, tx: Tx) -> None:
    """Called as the request's transaction begins: the key held by it, or the kept answer sent again (`Replayed`),
    or 422 (the key was used for another request), or 409 (a request with the key is still running)."""
    attempt: Attempt | None = getattr(request.state, "idempotency", None)
    if attempt is None:
        return
    kept = await keys.claim(tx, caller=attempt.caller, key=attempt.key)
    attempt.tx = tx
    if kept is not None:
        sent, answer = kept
        keys.replayable(sent, await attempt.fingerprint())
        raise Replayed(answer)


async def finish(attempt: Attempt, response: Response, *, ttl_hours: int) -> None:
    """A 2xx answer kept in the request's transaction, before it commits (rolled back with it otherwise)."""
    if attempt.tx is None or not 200 <= response.status_code < 300:
        return
    body = getattr(response, "body", None)
    if not isinstance(body, bytes):
        raise keys.NotReplayable(
            "This answer is streamed and cannot be kept for a retry, so nothing was done. Send the request without "
            f"{HEADER}."
        )
    answer = keys.Answer(
        status=response.status_code,
        headers=[(name, value) for name, value in response.headers.items() if name in KEPT_HEADERS],
        body=body,
    )
    await keys.remember(
        attempt.tx,
        caller=attempt.caller,
        key=attempt.key,
        request=await attempt.fingerprint(),
        answer=answer,
        ttl_hours=ttl_hours,
    )
