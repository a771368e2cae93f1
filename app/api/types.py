"""Shared request/response building blocks: NFC-normalised text, pages, raw JSON responses."""

import unicodedata
from collections.abc import Sequence
from typing import Annotated

import orjson
from pydantic import AfterValidator, StringConstraints
from starlette.responses import Response

from app.domain.pagination import Page


def nfc(value: str) -> str:
    """Vietnamese arrives both precomposed and decomposed (and with stray spaces): store one form."""
    return " ".join(unicodedata.normalize("NFC", value).split())


NfcStr = Annotated[str, AfterValidator(nfc)]
Name = Annotated[str, StringConstraints(min_length=1, max_length=300), AfterValidator(nfc)]
Code = Annotated[str, StringConstraints(min_length=1, max_length=64, pattern=r"^\S(.*\S)?$"), AfterValidator(nfc)]
ExternalId = Annotated[str, StringConstraints(min_length=3, max_length=200, pattern=r"^[^:\s]+:\S+$")]
DecisionRef = Annotated[str, StringConstraints(max_length=200), AfterValidator(nfc)]


def dump(value: object) -> bytes:
    """JSON of Python values (asyncpg's own UUID type, dates and Decimals become their text)."""
    return orjson.dumps(value, default=str)


def json_response(body: bytes, *, status_code: int = 200, headers: dict[str, str] | None = None) -> Response:
    return Response(body, status_code=status_code, media_type="application/json", headers=headers)


def page_response(page: Page) -> Response:
    """`{"items": [...], "next_cursor": ...}` from items PostgreSQL already rendered: no re-encoding."""
    body = b'{"items":[' + ",".join(page.items).encode() + b'],"next_cursor":' + orjson.dumps(page.next_cursor) + b"}"
    return json_response(body)


def items_response(items: Sequence[str]) -> Response:
    return json_response(b'{"items":[' + ",".join(items).encode() + b'],"next_cursor":null}')
