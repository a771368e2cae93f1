"""Idempotent writes (`Idempotency-Key`, draft-ietf-httpapi-idempotency-key-header, as Stripe does it): the first
request with a key does the work and its answer is kept, in the same transaction; a retry with the same key and the
same request gets that answer again without the work being done twice.

A key is claimed with a transaction-scoped advisory lock on the request's own connection: a second request with
the key while the first still runs does not wait, it is told to retry (409); once the first has committed, its
answer is visible to whoever takes the lock next. A request that fails is rolled back with its answer: the key is
free again, so a corrected retry works. Only committed 2xx answers are kept (ARCHITECTURE.md, "Idempotency")."""

from dataclasses import dataclass

from app.db.idempotency import queries
from app.domain.errors import Conflict, DomainError, RuleViolation
from app.domain.tx import Tx

MAX_KEY_LENGTH = 255


class InvalidKey(DomainError):
    """The header is not a key (400)."""

    code = "invalid_idempotency_key"
    title = "Invalid Idempotency-Key"


class KeyReused(RuleViolation):
    """The key was used for another request (422)."""

    code = "idempotency_key_reused"
    title = "Idempotency-Key used for another request"


class KeyInFlight(Conflict):
    """A request with the key is still running (409, Retry-After)."""

    code = "idempotency_key_in_flight"
    title = "A request with this Idempotency-Key is still running"


class NotReplayable(RuleViolation):
    """The answer cannot be kept (a streamed body): the work is rolled back rather than left unrepeatable (422)."""

    code = "idempotency_not_supported"
    title = "This answer cannot be replayed"


def checked_key(value: str) -> str:
    """The key, if it is one: 1–255 printable ASCII characters."""
    if not 1 <= len(value) <= MAX_KEY_LENGTH or not all(" " <= c <= "~" for c in value):
        raise InvalidKey(
            f"An Idempotency-Key is 1 to {MAX_KEY_LENGTH} printable ASCII characters (a UUID is a good one); the one "
            "sent is not. Send another, or none."
        )
    return value


@dataclass(frozen=True)
class Fingerprint:
    """What makes a retry the same request."""

    method: str
    path: str  # with the query string
    body_sha256: bytes


@dataclass(frozen=True)
class Answer:
    status: int
    headers: list[tuple[str, str]]
    body: bytes


async def claim(tx: Tx, *, caller: str, key: str) -> tuple[Fingerprint, Answer] | None:
    """The key held by this transaction until it ends, and the answer kept for it (with the request it answered),
    or None: the work is to be done. Raises KeyInFlight when another transaction holds the key."""
    if not await queries.try_lock(tx.conn, caller=caller, key=key):
        raise KeyInFlight(
            "A request with this Idempotency-Key is still running. Retry after a second: you will get its answer.",
        )
    row = await queries.find(tx.conn, caller=caller, key=key)
    if row is None:
        return None
    sent = Fingerprint(method=row["method"], path=row["path"], body_sha256=bytes(row["body_sha256"]))
    return sent, Answer(status=row["status"], headers=queries.headers_of(row), body=bytes(row["body"]))


def replayable(stored: Fingerprint, request: Fingerprint) -> None:
    """Nothing, if the request is the one the key was used for; KeyReused saying what differs otherwise."""
    if (stored.method, stored.path) != (request.method, request.path):
        raise KeyReused(
            f"This Idempotency-Key was used for {stored.method} {stored.path}, not {request.method} {request.path}. "
            "Use a new key for a new request."
        )
    if stored.body_sha256 != request.body_sha256:
        raise KeyReused(
            f"This Idempotency-Key was used for {stored.method} {stored.path} with another body. Use a new key for a "
            "new request, or send the same body to get the first answer."
        )


async def remember(tx: Tx, *, caller: str, key: str, request: Fingerprint, answer: Answer, ttl_hours: int) -> None:
    """The answer kept with the request's work (same transaction), and a few expired keys swept on the way."""
    await queries.forget_expired(tx.conn)
    await queries.store(
        tx.conn,
        caller=caller,
        key=key,
        method=request.method,
        path=request.path,
        body_sha256=request.body_sha256,
        status=answer.status,
        headers=answer.headers,
        body=answer.body,
        ttl_hours=ttl_hours,
    )
