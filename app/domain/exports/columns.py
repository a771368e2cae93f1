"""The columns of a list's export, declared once per list: the key of the JSON item it shows, its Vietnamese
header, how its value reads as a cell, and whether it is personal. `fields` turns them into the writer's fields
for one caller and one choice of headers (`vi`: Vietnamese headers and enumerated values as their Vietnamese
labels; `en`: the API's field names and codes, as NDJSON always has)."""

import uuid
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, Literal

import orjson

from app.domain.exports.writers import Field

Headers = Literal["vi", "en"]


@dataclass(frozen=True)
class Column:
    key: str
    vi: str
    labels: Mapping[Any, str] | None = None  # an enumerated value's Vietnamese label (`vi` only)
    sensitive: bool = False  # left out, not blanked, without pii


def cell_text(value: Any) -> str:
    """A value of a JSON item as the text of a CSV or XLSX cell: dates ISO, lists joined by "; ", objects as JSON."""
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, list | tuple):
        return "; ".join(cell_text(v) for v in value)
    if isinstance(value, dict):
        return orjson.dumps(value, default=str).decode()
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, uuid.UUID):
        return str(value)
    return str(value)


def _labelled(labels: Mapping[Any, str]) -> Callable[[Any], str]:
    return lambda value: labels.get(value, cell_text(value)) if isinstance(value, str) else cell_text(value)


def fields(columns: Sequence[Column], *, pii: bool, headers: Headers) -> list[Field]:
    """The columns a caller gets (sensitive ones only with pii), in their order, in the headers asked for."""
    return [
        Field(
            c.key,
            c.vi if headers == "vi" else c.key,
            _labelled(c.labels) if c.labels is not None and headers == "vi" else cell_text,
        )
        for c in columns
        if pii or not c.sensitive
    ]
