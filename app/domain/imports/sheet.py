"""The columns of an import, whatever its kind: each kind declares its `Layout` (its columns, with the API's field
names and the Vietnamese headers an office types, and the labels of its enumerated values); this module matches a
file's headers to them (without regard to case, accents or spacing) and turns each cell into what the API takes
(DD/MM/YYYY → YYYY-MM-DD, a Vietnamese label → its code, text → NFC, a whole number from a spreadsheet → int).

Pure: a table in, rows of values out, each with the errors of its cells. The values are then checked by the API's
own models and written by the kind's domain functions (app/domain/imports/<kind>.py)."""

import re
import unicodedata
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any, Literal

from app.domain.errors import RuleViolation
from app.domain.imports.files import Table

Kind = Literal["text", "date", "code", "list", "id", "organization", "number", "period"]


@dataclass(frozen=True)
class Column:
    field: str
    aliases: tuple[str, ...] = ()
    kind: Kind = "text"
    sensitive: bool = False
    example: str = ""


def fold(text: str) -> str:
    """Case, accents, đ and spacing aside: "Số CCCD", "so cccd" and "SO_CCCD" are one header."""
    stripped = "".join(
        c
        for c in unicodedata.normalize("NFD", text.replace("đ", "d").replace("Đ", "D"))
        if not unicodedata.combining(c)
    )
    return " ".join(re.split(r"[\s_\-.]+", stripped.casefold())).strip()


# The column of errors the import writes into the file it hands back (`answer=file`): a corrected copy is sent
# again as it is, so the column is read past.
IGNORED = frozenset({fold("Lỗi"), fold("_errors")})


def vietnamese_header(column: Column) -> str:
    """The Vietnamese header where there is one (what an office types), else the API's name."""
    vietnamese = [a for a in column.aliases if not a.isascii()]
    return vietnamese[0] if vietnamese else column.field


class Layout:
    """A kind's columns, in the order of its template. `labels`: for each `code` column, code → Vietnamese label
    (a cell may hold either); `choices`: the drop-down list of a column in the .xlsx template (default: the
    labels); `read_past`: columns an export writes that the import accepts and does not use (derived values)."""

    def __init__(
        self,
        *,
        kind: str,
        noun: str,
        template: str,
        sheet: str,
        columns: Sequence[Column],
        labels: Mapping[str, Mapping[str, str]] | None = None,
        choices: Mapping[str, Sequence[str]] | None = None,
        read_past: Sequence[str] = (),
    ) -> None:
        self.kind = kind
        self.noun = noun  # "member", "organisation", …: what a column that is not one of ours is not a field of
        self.template = template
        self.sheet = sheet
        self.columns = tuple(columns)
        self.by_field = {c.field: c for c in self.columns}
        self.sensitive = frozenset(c.field for c in self.columns if c.sensitive)
        self.read_past = frozenset(read_past)
        self.labels = {name: dict(found) for name, found in (labels or {}).items()}
        self.choices = {c.field: list(self.labels.get(c.field, {}).values()) for c in self.columns if c.kind == "code"}
        self.choices |= {name: list(values) for name, values in (choices or {}).items()}
        self.headers = {fold(name): c.field for c in self.columns for name in (c.field, *c.aliases)}
        assert len(self.headers) == sum(1 + len(c.aliases) for c in self.columns), f"{kind}: two columns share a header"
        self.codes = {
            c.field: {fold(code): code for code in self.labels.get(c.field, {})}
            | {fold(label): code for code, label in self.labels.get(c.field, {}).items()}
            for c in self.columns
            if c.kind == "code"
        }


@dataclass
class CellError:
    field: str
    column: str  # the header as the file has it
    rule: str
    message: str


@dataclass
class ImportRow:
    """One data row of an import: its values by API field, and what could not be read in its cells."""

    row: int
    record: int
    values: dict[str, Any]
    columns: dict[str, str]  # field → header in the file
    errors: list[CellError] = field(default_factory=list)


def header_fields(layout: Layout, header: list[str]) -> dict[str, str]:
    """header → field; a column that is not a field of the kind refuses the file (like an unknown query
    parameter)."""
    mapping: dict[str, str] = {}
    unknown: list[str] = []
    seen: dict[str, str] = {}
    for name in header:
        if not name or fold(name) in IGNORED:
            continue
        found = layout.headers.get(fold(name))
        if found is None:
            unknown.append(name)
        elif found in seen:
            raise RuleViolation(
                f"The columns {seen[found]!r} and {name!r} are the same field ({found}): keep one.",
                code="duplicate_column",
            )
        else:
            seen[found] = name
            mapping[name] = found
    if unknown:
        raise RuleViolation(
            f"The file has columns that are not {layout.noun} fields: {', '.join(repr(u) for u in unknown)}. "
            f"Rename or remove them; the columns are those of GET {layout.template} "
            f"(snake_case names or their Vietnamese headers).",
            code="unknown_columns",
            columns=unknown,
        )
    return mapping


_DMY = re.compile(r"^([0-9]{1,2})[/.-]([0-9]{1,2})[/.-]([0-9]{4})$")
_ISO = re.compile(r"^([0-9]{4})-([0-9]{2})-([0-9]{2})$")


def parse_date(text: str) -> str | None:
    """YYYY-MM-DD, or DD/MM/YYYY as an office writes it (D/M/YYYY, with dots or dashes too)."""
    parts: tuple[int, int, int] | None = None
    if match := _ISO.match(text):
        parts = (int(match[1]), int(match[2]), int(match[3]))
    elif match := _DMY.match(text):
        parts = (int(match[3]), int(match[2]), int(match[1]))
    if parts is None:
        return None
    try:
        return date(*parts).isoformat()
    except ValueError:
        return None


def _cell(layout: Layout, column: Column, header: str, value: Any) -> tuple[Any, CellError | None]:
    def error(rule: str, message: str) -> tuple[Any, CellError]:
        return None, CellError(column.field, header, rule, f"{header}: {message}")

    if column.kind == "list" and isinstance(value, list):
        if not all(isinstance(v, str) for v in value):
            return error("not_text", 'list each identifier as text, e.g. "system:id".')
        return [unicodedata.normalize("NFC", v).strip() for v in value if v.strip()], None
    if column.kind == "date" and isinstance(value, date):
        return value.isoformat(), None
    if column.kind == "number" and isinstance(value, int | float) and not isinstance(value, bool):
        if value != int(value):
            return error("not_a_whole_number", "write a whole number.")
        return int(value), None
    if column.kind == "period" and isinstance(value, int | float) and value == int(value):
        return str(int(value)), None  # a year typed into a spreadsheet is a number
    if not isinstance(value, str):
        return error("not_text", "write the value as text (a number loses leading zeros, e.g. of a citizen ID).")
    text = " ".join(unicodedata.normalize("NFC", value).split())
    if text[:1] == "'" and text[1:2] in ("=", "+", "-", "@"):
        text = text[1:]  # the apostrophe that keeps Excel from reading a formula (an export's CSV writes it)
    if column.kind == "date":
        iso = parse_date(text)
        if iso is None:
            return error(
                "invalid_date", "a date is written DD/MM/YYYY or YYYY-MM-DD (e.g. 01/07/2025), and must exist."
            )
        return iso, None
    if column.kind == "code":
        # A code or its Vietnamese label; another value is this cell's error, naming the labels it may take.
        codes = layout.codes[column.field]
        if fold(text) in codes:
            return codes[fold(text)], None
        if not codes or text in codes.values():
            return text, None
        labels = layout.choices.get(column.field) or []
        shown = "; ".join(labels[:12]) + ("; …" if len(labels) > 12 else "")
        return error("invalid_value", f"not a value of this column; write one of: {shown} (or its code).")
    if column.kind == "list":
        return [part.strip() for part in re.split(r"[;,\n]", text) if part.strip()], None
    if column.kind == "number":
        if not re.fullmatch(r"-?[0-9]{1,9}", text):
            return error("not_a_whole_number", "write a whole number (e.g. 85).")
        return int(text), None
    if column.kind == "id":
        try:
            return uuid.UUID(text), None
        except ValueError:
            return error("invalid_id", f"an id is the {layout.noun}'s UUID as the API gives it (or leave it empty).")
    return text, None


def read_rows(layout: Layout, table: Table) -> list[ImportRow]:
    """The table's rows as values of the kind's fields. An empty cell is a value not given (an update keeps the
    stored one)."""
    mapping = header_fields(layout, table.header)
    rows = []
    for read in table.rows:
        row = ImportRow(row=read.row, record=read.record, values={}, columns={})
        if read.error is not None:
            row.errors.append(CellError("", "", "unreadable_row", read.error))
        cells = {name: value for name, value in read.cells.items() if name and fold(name) not in IGNORED}
        if read.error is None and set(cells) - set(mapping):  # NDJSON: each line names its fields
            mapping = mapping | header_fields(layout, list(cells))
        for name, value in cells.items():
            column = layout.by_field[mapping[name]]
            row.columns[column.field] = name  # an empty cell too: a message about its field names its column
            if value is None or (isinstance(value, str) and not value.strip()) or value == []:
                continue
            if column.field in layout.read_past:
                continue
            converted, problem = _cell(layout, column, name, value)
            if problem is not None:
                row.errors.append(problem)
            else:
                row.values[column.field] = converted
        for name, field_name in mapping.items():  # NDJSON: a field this line leaves out, as other lines name it
            row.columns.setdefault(field_name, name)
        rows.append(row)
    return rows
