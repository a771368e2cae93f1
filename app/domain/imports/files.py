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
from typing import IO, Any, BinaryIO, TextIO, cast

import orjson
import python_calamine

from app.domain.errors import DomainError

CSV = "text/csv"
NDJSON = "application/x-ndjson"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
MEDIA_TYPES = (CSV, XLSX, NDJSON)
OCTET = "application/octet-stream"  # the format is then read off the file's first bytes
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


def media_type(content_type: str | None, head: bytes | None = None) -> str:
    """The import format a Content-Type names (parameters such as charset are ignored: the BOM decides). For
    `application/octet-stream` (what generated clients and `curl -T` send) the file's first bytes decide, once
    `head` is given: a zip is an XLSX workbook, a first `{` an NDJSON file, anything else CSV; without `head` the
    answer is OCTET, to be decided when the bytes have come."""
    media = (content_type or "").split(";", 1)[0].strip().lower()
    media = _ALIASES.get(media, media)
    if media == OCTET:
        return OCTET if head is None else sniffed(head)
    if media not in MEDIA_TYPES:
        raise UnsupportedFile(
            f"Send the file as {CSV}, {XLSX} (Excel) or {NDJSON}, not {media or 'a body without Content-Type'} "
            f"(with curl: --data-binary @members.csv -H 'Content-Type: {CSV}')."
        )
    return media


def sniffed(head: bytes) -> str:
    """The format of a file sent as bytes of no declared type, by its first bytes."""
    if head.startswith(b"PK\x03\x04"):
        return XLSX
    text = head[:64].removeprefix(b"\xef\xbb\xbf").lstrip()
    return NDJSON if text.startswith(b"{") else CSV


def read_table(data: bytes, media: str, *, max_rows: int) -> Table:
    """The whole file as a table (the answer at once); the streaming reader below is its only parser."""
    if not data.strip():
        raise _empty()
    table, rows = open_rows(io.BytesIO(data), media, max_rows=max_rows)
    table.rows = list(rows)
    if not table.rows:
        raise _no_rows()
    return table


@dataclass(frozen=True)
class Survey:
    """A file on disk read once without keeping its rows: its header (NDJSON: every field its lines name), its
    delimiter and how many data rows it has. Every error `read_table` gives is raised here, before any row runs."""

    header: list[str]
    delimiter: str
    rows: int


def survey(file: IO[bytes], media: str, *, max_rows: int) -> Survey:
    file.seek(0)
    if all(not chunk.strip() for chunk in iter(lambda: file.read(_CHUNK), b"")):
        raise _empty()
    table, rows = open_rows(file, media, max_rows=max_rows)
    count = sum(1 for _ in rows)
    if not count:
        raise _no_rows()
    return Survey(header=list(table.header), delimiter=table.delimiter, rows=count)


def batches(file: IO[bytes], media: str, surveyed: Survey, *, size: int, skip: int = 0) -> Iterator[Table]:
    """The surveyed file's data rows again, `size` at a time, as tables with the whole file's header; the first
    `skip` records are read past (not kept)."""
    _, rows = open_rows(file, media, max_rows=surveyed.rows)
    batch: list[Row] = []
    for row in rows:
        if row.record <= skip:
            continue
        batch.append(row)
        if len(batch) == size:
            yield Table(header=surveyed.header, rows=batch, delimiter=surveyed.delimiter)
            batch = []
    if batch:
        yield Table(header=surveyed.header, rows=batch, delimiter=surveyed.delimiter)


def open_rows(file: IO[bytes], media: str, *, max_rows: int) -> tuple[Table, Iterator[Row]]:
    """The table's header (CSV, XLSX: read now; NDJSON: filled as the lines are read) and its data rows, one at a
    time. The errors of a row are raised when it is reached."""
    file.seek(0)
    if media == XLSX:
        return _xlsx(file, max_rows)
    if media == NDJSON:
        _decodes(file, nul=False)
        return _ndjson(file, max_rows)
    _decodes(file, nul=True)
    return _csv(file, max_rows)


def _empty() -> UnreadableFile:
    return UnreadableFile("The file is empty: send a header row and at least one data row.")


def _no_rows() -> UnreadableFile:
    return UnreadableFile("The file has a header but no data rows.")


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


_CHUNK = 1024 * 1024
_NOT_TEXT = (
    "The file is neither UTF-8 nor UTF-16 with a byte order mark. Save it from Excel as "
    '"CSV UTF-8" (or "Unicode text"), or as .xlsx.'
)


def _text(file: IO[bytes], newline: str) -> TextIO:
    """The file from its start as text: UTF-8 (with or without BOM), or UTF-16 with its BOM (Excel's "Unicode
    text"): the BOM decides. Decoding errors surface as UnicodeDecodeError while reading."""
    file.seek(0)
    utf16 = file.read(2) in (b"\xff\xfe", b"\xfe\xff")
    file.seek(0)
    unclosed = cast(BinaryIO, _Unclosed(file))
    return io.TextIOWrapper(unclosed, encoding="utf-16" if utf16 else "utf-8-sig", newline=newline)


class _Unclosed(io.BufferedIOBase):
    """The caller's file, seen through a text wrapper that must not close it when it is dropped."""

    def __init__(self, file: IO[bytes]) -> None:
        self._file = file

    def readable(self) -> bool:
        return True

    def read(self, size: int | None = -1) -> bytes:
        return self._file.read(-1 if size is None else size)

    def read1(self, size: int = -1) -> bytes:
        return self._file.read(size if size >= 0 else _CHUNK)

    def readinto(self, buffer: Any) -> int:
        data = self._file.read(len(buffer))
        buffer[: len(data)] = data
        return len(data)


def _decodes(file: IO[bytes], *, nul: bool) -> None:
    """The whole file decodes (first: a file in another encoding says so whatever else is wrong with it); CSV: and
    holds no NUL. One chunk at a time."""
    text = _text(file, "")
    try:
        for chunk in iter(lambda: text.read(_CHUNK), ""):
            if nul and "\x00" in chunk:
                raise UnreadableFile("The file contains NUL characters: this is not a text file (or not UTF-8/UTF-16).")
    except UnicodeDecodeError:
        raise UnreadableFile(_NOT_TEXT) from None


def _delimiter(file: IO[bytes]) -> str:
    """`,` or `;` (Excel in a Vietnamese or European locale writes `;`; a tab for "Unicode text"), as the first line
    (up to the first \\n) counts them, read a chunk at a time."""
    counts = dict.fromkeys((",", ";", "\t"), 0)
    text = _text(file, "\n")
    for chunk in iter(lambda: text.read(_CHUNK), ""):
        line = chunk.split("\n", 1)[0]
        for d in counts:
            counts[d] += line.count(d)
        if len(line) < len(chunk):
            break
    best = max(counts, key=lambda d: counts[d])
    return best if counts[best] else ","


def _csv(file: IO[bytes], max_rows: int) -> tuple[Table, Iterator[Row]]:
    delimiter = _delimiter(file)
    records = csv.reader(_text(file, ""), delimiter=delimiter, strict=True)
    try:
        header = next(records, None)
    except csv.Error as error:
        raise UnreadableFile(f"The CSV file is malformed near line {records.line_num}: {error}.") from None
    if header is None:
        raise _empty()
    table = Table(header=[h.strip() for h in header], delimiter=delimiter)
    _check_header(table.header)

    def rows() -> Iterator[Row]:
        count = 0
        try:
            for record in records:
                row = _row(table.header, record, row=records.line_num, record=count + 1, max_rows=max_rows)
                if row is not None:
                    count += 1
                    yield row
        except csv.Error as error:
            raise UnreadableFile(f"The CSV file is malformed near line {records.line_num}: {error}.") from None

    return table, rows()


def _row(header: list[str], cells: list[Any], *, row: int, record: int, max_rows: int) -> Row | None:
    if all(c is None or (isinstance(c, str) and not c.strip()) for c in cells):
        return None  # a blank line or an empty spreadsheet row: not a record
    if record > max_rows:
        raise _too_many(max_rows)
    for cell in cells:
        if isinstance(cell, str):
            _check_text(cell, f"Row {row}")
    if len(cells) > len(header):
        extra = cells[len(header) :]
        if any(c not in (None, "") for c in extra):
            raise UnreadableFile(f"Row {row} has more cells than the header has columns.")
    for i, name in enumerate(header):
        if not name and i < len(cells) and cells[i] not in (None, ""):
            raise UnreadableFile(f"Row {row} has a value in column {i + 1}, which has no header: name the column.")
    named = {h: (cells[i] if i < len(cells) else None) for i, h in enumerate(header) if h}
    return Row(row=row, record=record, cells=named)


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


def _xlsx(file: IO[bytes], max_rows: int) -> tuple[Table, Iterator[Row]]:
    """The first sheet is read whole by python-calamine (it has no row-by-row reader); its rows are converted one at
    a time."""
    try:
        with zipfile.ZipFile(file) as archive:
            unpacked = sum(info.file_size for info in archive.infolist())
    except (zipfile.BadZipFile, ValueError, OSError):
        raise UnreadableFile("This is not an Excel (.xlsx) file.") from None
    if unpacked > MAX_UNPACKED_BYTES:
        raise UnreadableFile(f"The file unpacks to {unpacked} bytes, more than a register can be.")
    file.seek(0)
    try:
        workbook = python_calamine.CalamineWorkbook.from_filelike(file)
        sheet = workbook.get_sheet_by_index(0)
        cells: Iterator[list[Any]] = iter(sheet.iter_rows())
        header = next(cells, None)
        if header is None:
            raise UnreadableFile("The first sheet is empty: send a header row and at least one data row.")
        table = Table(header=[str(_cell(h) or "").strip() for h in header])
        _check_header(table.header)
        first = (sheet.start[0] if sheet.start else 0) + 1  # the header's row number (blank rows above it)
    except DomainError:
        raise
    except Exception:  # calamine's errors (zip, XML, password) are one family of "cannot read this workbook"
        raise _damaged() from None

    def rows() -> Iterator[Row]:
        count = 0
        try:
            for number, values in enumerate(cells, start=first + 1):
                row = _row(table.header, [_cell(c) for c in values], row=number, record=count + 1, max_rows=max_rows)
                if row is not None:
                    count += 1
                    yield row
        except DomainError:
            raise
        except Exception:
            raise _damaged() from None

    return table, rows()


def _damaged() -> UnreadableFile:
    return UnreadableFile("This Excel file is damaged, protected by a password, or not an .xlsx workbook.")


def _ndjson(file: IO[bytes], max_rows: int) -> tuple[Table, Iterator[Row]]:
    """Line by line; the header is every field the lines name, complete once the last line is read."""
    table = Table(header=[])

    def rows() -> Iterator[Row]:
        keys: dict[str, None] = {}
        count = 0
        # str.splitlines' lines (\\r, \\n, \\r\\n, and \\v \\f \\x1c-\\x1e \\x85 U+2028 U+2029 within them)
        lines = (line for physical in _text(file, "") for line in physical.splitlines())
        for number, line in enumerate(lines, start=1):
            if not line.strip():
                continue
            if count >= max_rows:
                raise _too_many(max_rows)
            if len(line) > MAX_CELL_CHARS * 10:
                raise UnreadableFile(f"Line {number} is longer than a member record can be.")
            count += 1
            try:
                value = orjson.loads(line)
            except orjson.JSONDecodeError:
                yield Row(row=number, record=count, cells={}, error="This line is not valid JSON.")
                continue
            if not isinstance(value, dict):
                yield Row(row=number, record=count, cells={}, error="Each line is one JSON object.")
                continue
            for key, cell in value.items():
                if isinstance(cell, str):
                    _check_text(cell, f"Line {number}")
                if key not in keys:
                    keys[key] = None
                    table.header.append(key)
            if len(keys) > MAX_COLUMNS:
                raise UnreadableFile(f"The records name more than {MAX_COLUMNS} different fields.")
            yield Row(row=number, record=count, cells=value)
        for name in table.header:
            _check_text(name, "A field name")

    return table, rows()
