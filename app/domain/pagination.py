"""Keyset pagination. A cursor is an opaque, URL-safe token holding the sort key of the last item served, the
listing it belongs to, and an HMAC of both under the service's secret: a cursor this service did not issue (or one
edited by hand) is refused with a 400 before anything reads it."""

import base64
import binascii
import hashlib
import hmac
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

import orjson

from app.domain.errors import InvalidCursor

T = TypeVar("T")

_MAC_BYTES = 12
_NOT_OURS = "The cursor is not one this service issued; pass next_cursor back unchanged."


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode().rstrip("=")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


class Cursors:
    """Issues and checks cursors with one key (every process of a deployment shares it)."""

    def __init__(self, key: bytes) -> None:
        self._key = key

    def _mac(self, payload: bytes) -> bytes:
        return hmac.new(self._key, payload, hashlib.sha256).digest()[:_MAC_BYTES]

    def encode(self, kind: str, position: dict[str, Any]) -> str:
        payload = orjson.dumps({"k": kind, **position})
        return f"{_b64(payload)}.{_b64(self._mac(payload))}"

    def decode(self, cursor: str, *, kind: str) -> dict[str, Any]:
        body, _, mac = cursor.partition(".")
        try:
            payload, given = _unb64(body), _unb64(mac)
        except (binascii.Error, ValueError) as exc:
            raise InvalidCursor(_NOT_OURS) from exc
        if not hmac.compare_digest(self._mac(payload), given):
            raise InvalidCursor(_NOT_OURS)
        key = orjson.loads(payload)
        if not isinstance(key, dict) or key.get("k") != kind:
            raise InvalidCursor("The cursor belongs to another listing or query; start again without a cursor.")
        return key


@dataclass(frozen=True)
class Paging:
    """What a list request asked for: a page size and, after the first page, the cursor it was given."""

    limit: int
    cursor: str | None
    cursors: Cursors

    def after(self, kind: str) -> dict[str, Any] | None:
        """The position the cursor holds (None on the first page)."""
        return self.cursors.decode(self.cursor, kind=kind) if self.cursor else None

    @property
    def fetch(self) -> int:
        """Rows to read: one more than a page tells whether another page follows."""
        return self.limit + 1

    def page(self, rows: Sequence[T], *, kind: str, position: Callable[[T], dict[str, Any]]) -> "Page[T]":
        """The first `limit` of `rows` (read with `fetch`), and the cursor after the last of them if more follow."""
        served = list(rows[: self.limit])
        more = len(rows) > self.limit
        return Page(items=served, next_cursor=self.cursors.encode(kind, position(served[-1])) if more else None)


@dataclass(frozen=True)
class Page(Generic[T]):
    """Items (rows, documents or JSON text) and the cursor of the next page (None on the last)."""

    items: list[T]
    next_cursor: str | None
