"""Keyset pagination: the cursor is an opaque, URL-safe token holding the sort key of the last item served."""

import base64
import binascii
from dataclasses import dataclass
from typing import Any

import orjson

from app.domain.errors import InvalidCursor


def encode_cursor(key: dict[str, Any]) -> str:
    return base64.urlsafe_b64encode(orjson.dumps(key)).decode().rstrip("=")


def decode_cursor(cursor: str, *, kind: str) -> dict[str, Any]:
    try:
        key = orjson.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
    except (binascii.Error, ValueError) as exc:
        raise InvalidCursor("The cursor is not one this service issued; pass next_cursor back unchanged.") from exc
    if not isinstance(key, dict) or key.get("k") != kind:
        raise InvalidCursor("The cursor belongs to another listing or query; start again without a cursor.")
    return key


@dataclass(frozen=True)
class Page:
    """Items already rendered as JSON text, and the cursor of the next page (None on the last)."""

    items: list[str]
    next_cursor: str | None
