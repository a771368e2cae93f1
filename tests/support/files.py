"""Reading an export back (CSV, XLSX through python-calamine, NDJSON) and holding it against the JSON list it
exports: the same rows in the same order, each shared column with the same value."""

import csv
import io
from datetime import date, datetime
from typing import Any

import httpx
import orjson
import python_calamine

FORMATS = ("csv", "xlsx", "ndjson")


def table(fmt: str, body: bytes) -> list[dict[str, Any]]:
    """The rows of a file, keyed by its headers."""
    if fmt == "csv":
        assert body.startswith("\ufeff".encode())
        return list(csv.DictReader(io.StringIO(body.decode("utf-8-sig"))))
    if fmt == "xlsx":
        rows = python_calamine.CalamineWorkbook.from_filelike(io.BytesIO(body)).get_sheet_by_index(0).to_python()
        return [dict(zip([str(h) for h in rows[0]], row, strict=True)) for row in rows[1:]]
    return [orjson.loads(line) for line in body.splitlines()]


async def json_items(client: httpx.AsyncClient, url: str, params: dict[str, Any], *, paged: bool) -> list[Any]:
    """Every item of a JSON list, page after page (3 at a time when it is paged)."""
    found: list[Any] = []
    cursor = None
    while True:
        extra = {"limit": 3, **({"cursor": cursor} if cursor else {})} if paged else {}
        page = await client.get(url, params={**params, **extra})
        assert page.status_code == 200, page.text
        found += page.json()["items"]
        cursor = page.json().get("next_cursor")
        if cursor is None:
            return found


def _moment(value: object) -> datetime | None:
    if isinstance(value, str) and len(value) > 10 and value[10:11] == "T":
        try:
            return datetime.fromisoformat(value)
        except ValueError:
            return None
    return None


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list):
        return "; ".join(_text(v) for v in value)
    if isinstance(value, dict):
        return orjson.dumps(value).decode()
    return str(value)


def same_cell(fmt: str, cell: Any, value: Any) -> bool:
    """A file's cell against the JSON item's value (moments compared as moments, whatever their spelling)."""
    if fmt == "ndjson":
        if _moment(cell) is not None and _moment(value) is not None:
            return _moment(cell) == _moment(value)
        return bool(cell == value)
    if isinstance(cell, date):
        return bool(cell.isoformat() == value)
    if fmt == "csv" and isinstance(cell, str) and cell[:1] == "'" and cell[1:2] in ("=", "+", "-", "@", "\t", "\r"):
        cell = cell[1:]  # the apostrophe that keeps Excel from reading a formula
    if isinstance(cell, float) and cell.is_integer():  # calamine's reading of an empty or numeric cell
        cell = str(int(cell))
    if _moment(cell) is not None and _moment(value) is not None:
        return _moment(cell) == _moment(value)
    return bool(_text(value) == ("" if cell is None else str(cell)))


async def assert_export_is_the_list(
    client: httpx.AsyncClient, url: str, params: dict[str, Any], *, paged: bool, key: str = "id"
) -> list[dict[str, Any]]:
    """Each format of the export (`headers=en`) has the JSON list's rows in its order, and every column of the file
    holds the item's value. Returns the JSON items."""
    items = await json_items(client, url, params, paged=paged)
    for fmt in FORMATS:
        response = await client.get(url, params={**params, "format": fmt, "headers": "en"})
        assert response.status_code == 200, (fmt, response.text)
        assert "attachment; filename=" in response.headers["content-disposition"]
        rows = table(fmt, response.content)
        assert [str(r[key]) for r in rows] == [str(i[key]) for i in items], fmt
        for row, item in zip(rows, items, strict=True):
            for column, cell in row.items():
                assert column in item, (fmt, column)
                assert same_cell(fmt, cell, item[column]), (fmt, column, cell, item[column])
    return items


def text_of(fmt: str, body: bytes) -> str:
    """Every header and cell of a file as text, to look for what must (not) be in it (an XLSX is a zip: its bytes
    say nothing)."""
    return str(table(fmt, body)) if fmt == "xlsx" else body.decode("utf-8-sig")
