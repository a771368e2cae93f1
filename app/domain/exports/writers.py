"""Rows → a file, written as the rows arrive: CSV (UTF-8 with a BOM, so that Excel shows Vietnamese), NDJSON (one
object a line) or XLSX (xlsxwriter in `constant_memory` mode). Each yields chunks of bytes as it goes; memory
holds a batch of rows, never the file (XLSX: a zip cannot be sent before it is closed, so the workbook is written
to a temporary file, spilled to disk past a few MB, and streamed from there once complete)."""

import asyncio
import csv
import io
import tempfile
from collections.abc import AsyncGenerator, Callable, Sequence
from contextlib import aclosing
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, Literal

import orjson
import xlsxwriter

Format = Literal["csv", "xlsx", "ndjson"]
CSV = "text/csv"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
NDJSON = "application/x-ndjson"
MEDIA: dict[Format, str] = {"csv": CSV, "xlsx": XLSX, "ndjson": NDJSON}
BATCH_ROWS = 500  # rows per chunk sent: fewer, larger writes to the socket
_SPOOL_BYTES = 8 * 1024 * 1024
_READ_BYTES = 256 * 1024


@dataclass(frozen=True)
class Field:
    """A column of an export: its key in the row, its header in the file, and how a value becomes a cell (text)
    in CSV. NDJSON keeps the row's own values (lists stay lists); XLSX writes dates as dates."""

    key: str
    header: str
    text: Callable[[Any], str]


Row = dict[str, Any]


async def _batches(rows: AsyncGenerator[Row]) -> AsyncGenerator[list[Row]]:
    """Rows in lists of BATCH_ROWS. Each generator of the chain closes the one it reads (`aclosing`), so closing the
    file's body closes the rows' snapshot at once."""
    batch: list[Row] = []
    async with aclosing(rows):
        async for row in rows:
            batch.append(row)
            if len(batch) >= BATCH_ROWS:
                yield batch
                batch = []
    if batch:
        yield batch


_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def _inert(text: str) -> str:
    """A cell Excel would read as a formula ("=HYPERLINK(…)" typed as a name, a phone "+84…") gets the apostrophe
    that makes it text; the member import reads the apostrophe past (app/domain/imports/columns.py)."""
    return "'" + text if text.startswith(_FORMULA_START) else text


async def write_csv(fields: Sequence[Field], rows: AsyncGenerator[Row]) -> AsyncGenerator[bytes]:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow([f.header for f in fields])
    yield ("\ufeff" + out.getvalue()).encode("utf-8")
    async with aclosing(_batches(rows)) as batches:
        async for batch in batches:
            out.seek(0)
            out.truncate()
            writer.writerows(
                [["" if row[f.key] is None else _inert(f.text(row[f.key])) for f in fields] for row in batch]
            )
            yield out.getvalue().encode("utf-8")


async def write_ndjson(fields: Sequence[Field], rows: AsyncGenerator[Row]) -> AsyncGenerator[bytes]:
    async with aclosing(_batches(rows)) as batches:
        async for batch in batches:
            yield b"".join(orjson.dumps({f.key: row[f.key] for f in fields}, default=str) + b"\n" for row in batch)


class _Sheet:
    """One worksheet written row by row in constant memory (xlsxwriter keeps one row, flushing each to disk)."""

    def __init__(self, fields: Sequence[Field], title: str) -> None:
        self.fields = fields
        self.file = tempfile.SpooledTemporaryFile(max_size=_SPOOL_BYTES)
        self.book = xlsxwriter.Workbook(
            self.file, {"constant_memory": True, "strings_to_numbers": False, "strings_to_formulas": False}
        )
        self.sheet = self.book.add_worksheet(title)
        self.day = self.book.add_format({"num_format": "dd/mm/yyyy"})
        bold = self.book.add_format({"bold": True})
        for i, field in enumerate(fields):
            self.sheet.write_string(0, i, field.header, bold)
            self.sheet.set_column(i, i, 22)
        self.sheet.freeze_panes(1, 0)
        self.next = 1

    def write(self, batch: list[Row]) -> None:
        for row in batch:
            for i, field in enumerate(self.fields):
                value = row[field.key]
                if value is None:
                    continue
                if isinstance(value, date) and not isinstance(value, datetime):
                    self.sheet.write_datetime(self.next, i, value, self.day)
                else:  # text, always: a citizen ID keeps its leading zeros, a code stays a code, a moment its zone
                    self.sheet.write_string(self.next, i, field.text(value))
            self.next += 1

    def close(self) -> None:
        self.book.close()
        self.file.seek(0)


async def write_xlsx(fields: Sequence[Field], rows: AsyncGenerator[Row], *, title: str) -> AsyncGenerator[bytes]:
    sheet = await asyncio.to_thread(_Sheet, fields, title)
    try:
        async with aclosing(_batches(rows)) as batches:
            async for batch in batches:
                await asyncio.to_thread(sheet.write, batch)
        await asyncio.to_thread(sheet.close)
        while chunk := await asyncio.to_thread(sheet.file.read, _READ_BYTES):
            yield chunk
    finally:
        sheet.file.close()


def write(fmt: Format, fields: Sequence[Field], rows: AsyncGenerator[Row], *, title: str) -> AsyncGenerator[bytes]:
    if fmt == "csv":
        return write_csv(fields, rows)
    if fmt == "ndjson":
        return write_ndjson(fields, rows)
    return write_xlsx(fields, rows, title=title)
