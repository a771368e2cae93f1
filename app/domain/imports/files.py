"""A file's bytes → a table: its header and its data rows, each with the row number an office sees in the file.

Pure CPU work, no database: callers on the event loop run it in a thread. Every way a file can be unreadable (binary
garbage, a wrong encoding, NUL bytes, a zip bomb, a cell of a megabyte) is an `UnreadableFile` (422) or a
`TooLarge` (413), never an exception of a parser."""

import csv
import io
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any

import orjson
import python_calamine

from app.domain.errors import DomainError

CSV = "text/csv"
NDJSON = "application/x-ndjson"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
MEDIA_TYPES = (CSV, XLSX, NDJSON)
# Accepted spellings of the same media types (what curl, browsers and other systems send).
_ALIASES = {
    "application/csv": CSV,
    "text/comma-separated-values": CSV,
    "application/ndjson": NDJSON,
    "application/jsonl": NDJSON,
    "application/jsonlines": NDJSON,
    "application/x-jsonlines": NDJSON,
}
MAX_CELL_CHARS = 5_000  # no field of a member record is longer; a bigger cell is a wrong file
MAX_COLUMNS = 200
MAX_UNPACKED_BYTES = 256 * 1024 * 1024  # 20,000 rows of a register unpack to ~30 MB: refuse zip bombs


class UnreadableFile(DomainError):
    code = "unreadable_file"
    title = "The file cannot be read"


class TooLarge(DomainError):
    code = "too_many_rows"
    title = "Content Too Large"


class UnsupportedFile(DomainError):
    code = "unsupported_media_type"
    title = "Unsupported media type"


@dataclass
class Row:
    """A data row: where it is in the file (`row`: the spreadsheet's row number, the header being row 1; NDJSON:
    the line), its place among the data rows (`record`, 1-based: the same in every format), its cells by header."""

    row: int
    record: int
    cells: dict[str, Any]
    error: str | None = None  # the row itself could not be read (an NDJSON line that is not an object)


@dataclass
class Table:
    header: list[str]
    rows: list[Row] = field(default_factory=list)
    delimiter: str = ","  # CSV: the one the file used (the annotated copy uses it too)


def media_type(content_type: str | None) -> str:
    """The import format a Content-Type names (parameters such as charset are ignored: the BOM decides)."""
    media = (content_type or "").split(";", 1)[0].strip().lower()
    media = _ALIASES.get(media, media)
    if media not in MEDIA_TYPES:
        raise UnsupportedFile(
            f"Send the file as {CSV}, {XLSX} (Excel) or {NDJSON}, not {media or 'a body without Content-Type'} "
            f"(with curl: --data-binary @members.csv -H 'Content-Type: {CSV}')."
        )
    return media


def read_table(data: bytes, media: str, *, max_rows: int) -> Table:
    if not data.strip():
        raise UnreadableFile("The file is empty: send a header row and at least one data row.")
    if media == XLSX:
        table = _xlsx(data, max_rows)
    elif media == NDJSON:
        table = _ndjson(data, max_rows)
    else:
        table = _csv(data, max_rows)
    if not table.rows:
        raise UnreadableFile("The file has a header but no data rows.")
    return table


def _too_many(max_rows: int) -> TooLarge:
    return TooLarge(
        f"The file has more than {max_rows} data rows, the most an import answered at once takes "
        "(COSO_IMPORT_SYNC_MAX_ROWS). Split it; larger files will run as background jobs in a later version."
    )


def _check_text(text: str, where: str) -> None:
    if "\x00" in text:
        raise UnreadableFile(f"{where} contains NUL characters: this is not a text file (or not UTF-8/UTF-16).")
    if len(text) > MAX_CELL_CHARS:
        raise UnreadableFile(f"{where} holds a cell of more than {MAX_CELL_CHARS} characters: this is not a register.")


def decode(data: bytes) -> str:
    """UTF-8 (with or without BOM), or UTF-16 with its BOM (Excel's "Unicode text"): the BOM decides."""
    try:
        if data.startswith((b"\xff\xfe", b"\xfe\xff")):
            return data.decode("utf-16")
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise UnreadableFile(
            "The file is neither UTF-8 nor UTF-16 with a byte order mark. Save it from Excel as "
            '"CSV UTF-8" (or "Unicode text"), or as .xlsx.'
        ) from None


def _delimiter(first_line: str) -> str:
    """`,` or `;` (Excel in a Vietnamese or European locale writes `;`; a tab for "Unicode text")."""
    counts = {d: first_line.count(d) for d in (",", ";", "\t")}
    best = max(counts, key=lambda d: counts[d])
    return best if counts[best] else ","


def _csv(data: bytes, max_rows: int) -> Table:
    text = decode(data)
    if "\x00" in text:
        raise UnreadableFile("The file contains NUL characters: this is not a text file (or not UTF-8/UTF-16).")
    delimiter = _delimiter(text.split("\n", 1)[0])
    records = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, strict=True)
    try:
        header = next(records, None)
        if header is None:
            raise UnreadableFile("The file is empty: send a header row and at least one data row.")
        table = Table(header=[h.strip() for h in header], delimiter=delimiter)
        _check_header(table.header)
        for record in records:
            _add(table, record, row=records.line_num, max_rows=max_rows)
    except csv.Error as error:
        raise UnreadableFile(f"The CSV file is malformed near line {records.line_num}: {error}.") from None
    return table


def _add(table: Table, cells: list[Any], *, row: int, max_rows: int) -> None:
    if all(c is None or (isinstance(c, str) and not c.strip()) for c in cells):
        return  # a blank line or an empty spreadsheet row: not a record
    if len(table.rows) >= max_rows:
        raise _too_many(max_rows)
    for cell in cells:
        if isinstance(cell, str):
            _check_text(cell, f"Row {row}")
    if len(cells) > len(table.header):
        extra = cells[len(table.header) :]
        if any(c not in (None, "") for c in extra):
            raise UnreadableFile(f"Row {row} has more cells than the header has columns.")
    for i, name in enumerate(table.header):
        if not name and i < len(cells) and cells[i] not in (None, ""):
            raise UnreadableFile(f"Row {row} has a value in column {i + 1}, which has no header: name the column.")
    named = {h: (cells[i] if i < len(cells) else None) for i, h in enumerate(table.header) if h}
    table.rows.append(Row(row=row, record=len(table.rows) + 1, cells=named))


def _check_header(header: list[str]) -> None:
    if len(header) > MAX_COLUMNS:
        raise UnreadableFile(f"The header has {len(header)} columns; a member register has fewer than {MAX_COLUMNS}.")
    for name in header:
        _check_text(name, "The header")


def _cell(value: Any) -> Any:
    """A spreadsheet cell as text (dates as dates): a number typed into Excel is a float (1980.0 → "1980")."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() else repr(value)
    if isinstance(value, int):
        return str(value)
    if isinstance(value, datetime):
        return value.date() if value.time() == time(0) else value.isoformat()
    if isinstance(value, date):
        return value
    if isinstance(value, time | timedelta):
        return str(value)
    return value


def _xlsx(data: bytes, max_rows: int) -> Table:
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            unpacked = sum(info.file_size for info in archive.infolist())
    except (zipfile.BadZipFile, ValueError, OSError):
        raise UnreadableFile("This is not an Excel (.xlsx) file.") from None
    if unpacked > MAX_UNPACKED_BYTES:
        raise UnreadableFile(f"The file unpacks to {unpacked} bytes, more than a register can be.")
    try:
        workbook = python_calamine.CalamineWorkbook.from_filelike(io.BytesIO(data))
        sheet = workbook.get_sheet_by_index(0)
        rows: Iterator[list[Any]] = iter(sheet.iter_rows())
        header = next(rows, None)
        if header is None:
            raise UnreadableFile("The first sheet is empty: send a header row and at least one data row.")
        table = Table(header=[str(_cell(h) or "").strip() for h in header])
        _check_header(table.header)
        first = (sheet.start[0] if sheet.start else 0) + 1  # the header's row number (blank rows above it)
        for number, cells in enumerate(rows, start=first + 1):
            _add(table, [_cell(c) for c in cells], row=number, max_rows=max_rows)
    except DomainError:
        raise
    except Exception:  # calamine's errors (zip, XML, password) are one family of "cannot read this workbook"
        raise UnreadableFile("This Excel file is damaged, protected by a password, or not an .xlsx workbook.") from None
    return table


def _ndjson(data: bytes, max_rows: int) -> Table:
    text = decode(data)
    keys: dict[str, None] = {}
    table = Table(header=[])
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        if len(table.rows) >= max_rows:
            raise _too_many(max_rows)
        if len(line) > MAX_CELL_CHARS * 10:
            raise UnreadableFile(f"Line {number} is longer than a member record can be.")
        record = len(table.rows) + 1
        try:
            value = orjson.loads(line)
        except orjson.JSONDecodeError:
            table.rows.append(Row(row=number, record=record, cells={}, error="This line is not valid JSON."))
            continue
        if not isinstance(value, dict):
            table.rows.append(Row(row=number, record=record, cells={}, error="Each line is one JSON object."))
            continue
        for key, cell in value.items():
            if isinstance(cell, str):
                _check_text(cell, f"Line {number}")
            keys.setdefault(key)
        table.rows.append(Row(row=number, record=record, cells=value))
        if len(keys) > MAX_COLUMNS:
            raise UnreadableFile(f"The records name more than {MAX_COLUMNS} different fields.")
    table.header = list(keys)
    for name in table.header:
        _check_text(name, "A field name")
    return table
