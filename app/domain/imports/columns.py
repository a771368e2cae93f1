"""The columns of a member import: the API's field names (snake_case) and the Vietnamese headers an office types,
matched without regard to case, accents or spacing; and each cell turned into what the API takes (dates written
DD/MM/YYYY become YYYY-MM-DD, Vietnamese labels of enumerated values become their codes, text becomes NFC).

Pure: a table in, rows of values out, each with the errors of its cells. The values are then checked by the API's
own models and written by its own domain functions (app/domain/imports/members.py)."""

import re
import unicodedata
import uuid
from dataclasses import dataclass, field
from datetime import date
from typing import Any, Literal

from app.domain.errors import RuleViolation
from app.domain.imports.files import Table
from app.domain.members.catalogues import CATALOGUES
from app.domain.members.events import Introducer

Kind = Literal["text", "date", "code", "list", "id", "organization"]


@dataclass(frozen=True)
class Column:
    field: str
    aliases: tuple[str, ...] = ()
    kind: Kind = "text"
    sensitive: bool = False
    example: str = ""


# In the order of the template. `organization` takes the unit's id or its code (like `within=`).
MEMBER_COLUMNS: tuple[Column, ...] = (
    Column("id", kind="id"),
    Column("full_name", ("Họ và tên", "Họ tên", "Họ và tên khai sinh"), example="Nguyễn Thị Hồng Đào"),
    Column("gender", ("Giới tính",), kind="code", example="Nữ"),
    Column("birth_date", ("Ngày sinh", "Ngày tháng năm sinh"), kind="date", example="15/03/1990"),
    Column("birth_place", ("Nơi sinh",), example="Xã Tân Lập, tỉnh Phú Thọ"),
    Column("hometown", ("Quê quán",), example="Xã Tân Lập, tỉnh Phú Thọ"),
    Column("residence", ("Nơi thường trú", "Nơi ở hiện nay", "Địa chỉ thường trú"), sensitive=True),
    Column("ethnicity", ("Dân tộc",), kind="code", sensitive=True, example="Kinh"),
    Column("religion", ("Tôn giáo",), kind="code", sensitive=True, example="Không"),
    Column(
        "citizen_id", ("Số CCCD", "CCCD", "Số căn cước", "Số căn cước công dân", "Số định danh cá nhân"), sensitive=True
    ),
    Column("phone", ("Số điện thoại", "Điện thoại", "SĐT"), sensitive=True),
    Column("education", ("Trình độ giáo dục phổ thông", "Học vấn"), kind="code", example="Trung học phổ thông"),
    Column("professional_level", ("Trình độ chuyên môn", "Chuyên môn"), kind="code", example="Đại học"),
    Column(
        "political_theory_level", ("Lý luận chính trị", "Trình độ lý luận chính trị"), kind="code", example="Sơ cấp"
    ),
    Column("status", ("Trạng thái", "Tình trạng"), kind="code", example="Đảng viên chính thức"),
    Column(
        "organization",
        ("organization_id", "organization_code", "Chi bộ", "Tổ chức đảng", "Mã chi bộ"),
        kind="organization",
        example="CB-01",
    ),
    Column(
        "admission_decision_date",
        ("Ngày vào Đảng", "Ngày kết nạp", "Ngày quyết định kết nạp"),
        kind="date",
        example="03/02/2015",
    ),
    Column(
        "admission_ceremony_date", ("Ngày lễ kết nạp", "Ngày tổ chức lễ kết nạp"), kind="date", example="10/02/2015"
    ),
    Column(
        "official_date",
        ("Ngày chính thức", "Ngày công nhận chính thức", "Ngày vào Đảng chính thức"),
        kind="date",
        example="10/02/2016",
    ),
    Column("party_card_number", ("Số thẻ đảng", "Số thẻ đảng viên"), example="12345678"),
    Column("record_number", ("Số lý lịch", "Số hồ sơ"), example="LL-2015-001"),
    Column("training_certificate_date", ("Ngày giấy chứng nhận bồi dưỡng",), kind="date"),
    Column("introduced_by", ("Giới thiệu bởi",), kind="code"),
    Column("since", ("Sinh hoạt từ ngày", "Từ ngày"), kind="date"),
    Column("decision_ref", ("Số quyết định", "Quyết định"), example="125-QĐ/ĐU"),
    Column("external_ids", ("Mã hệ thống khác", "Mã định danh ngoài"), kind="list", example="csdl-tinh:DV-000123"),
)
BY_FIELD = {c.field: c for c in MEMBER_COLUMNS}
SENSITIVE = frozenset(c.field for c in MEMBER_COLUMNS if c.sensitive)


def vietnamese_header(column: Column) -> str:
    """The Vietnamese header where there is one (what an office types), else the API's name."""
    vietnamese = [a for a in column.aliases if not a.isascii()]
    return vietnamese[0] if vietnamese else column.field


def fold(text: str) -> str:
    """Case, accents, đ and spacing aside: "Số CCCD", "so cccd" and "SO_CCCD" are one header."""
    stripped = "".join(
        c
        for c in unicodedata.normalize("NFD", text.replace("đ", "d").replace("Đ", "D"))
        if not unicodedata.combining(c)
    )
    return " ".join(re.split(r"[\s_\-.]+", stripped.casefold())).strip()


_HEADERS = {fold(name): c.field for c in MEMBER_COLUMNS for name in (c.field, *c.aliases)}
# The column of errors the import writes into the file it hands back (`answer=file`): a corrected copy is sent
# again as it is, so the column is read past.
IGNORED = frozenset({fold("Lỗi"), fold("_errors")})
assert len(_HEADERS) == sum(1 + len(c.aliases) for c in MEMBER_COLUMNS), "two columns share a header"


def _labels(field_name: str) -> dict[str, str]:
    """Folded code or Vietnamese label → code."""
    catalogue = CATALOGUES.get(field_name, {})
    found = {fold(code): code for code in catalogue} | {fold(label): code for code, label in catalogue.items()}
    if field_name == "introduced_by":
        found |= {fold(code): code.value for code in Introducer}
    return found


_CODES = {c.field: _labels(c.field) for c in MEMBER_COLUMNS if c.kind == "code"}
_DMY = re.compile(r"^([0-9]{1,2})[/.-]([0-9]{1,2})[/.-]([0-9]{4})$")
_ISO = re.compile(r"^([0-9]{4})-([0-9]{2})-([0-9]{2})$")


@dataclass
class CellError:
    field: str
    column: str  # the header as the file has it
    rule: str
    message: str


@dataclass
class MemberRow:
    """One data row of a member import: its values by API field, and what could not be read in its cells."""

    row: int
    record: int
    values: dict[str, Any]
    columns: dict[str, str]  # field → header in the file
    errors: list[CellError] = field(default_factory=list)


def header_fields(header: list[str]) -> dict[str, str]:
    """header → field; a column that is not a member field refuses the file (like an unknown query parameter)."""
    mapping: dict[str, str] = {}
    unknown: list[str] = []
    seen: dict[str, str] = {}
    for name in header:
        if not name or fold(name) in IGNORED:
            continue
        found = _HEADERS.get(fold(name))
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
            f"The file has columns that are not member fields: {', '.join(repr(u) for u in unknown)}. "
            f"Rename or remove them; the columns are those of GET /api/v1/members/import/template "
            f"(snake_case names or their Vietnamese headers).",
            code="unknown_columns",
            columns=unknown,
        )
    return mapping


def _date(text: str) -> str | None:
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


def _cell(column: Column, header: str, value: Any) -> tuple[Any, CellError | None]:
    def error(rule: str, message: str) -> tuple[Any, CellError]:
        return None, CellError(column.field, header, rule, f"{header}: {message}")

    if column.kind == "list" and isinstance(value, list):
        if not all(isinstance(v, str) for v in value):
            return error("not_text", 'list each identifier as text, e.g. "system:id".')
        return [unicodedata.normalize("NFC", v).strip() for v in value if v.strip()], None
    if column.kind == "date" and isinstance(value, date):
        return value.isoformat(), None
    if not isinstance(value, str):
        return error("not_text", "write the value as text (a number loses leading zeros, e.g. of a citizen ID).")
    text = " ".join(unicodedata.normalize("NFC", value).split())
    if text[:1] == "'" and text[1:2] in ("=", "+", "-", "@"):
        text = text[1:]  # the apostrophe that keeps Excel from reading a formula (an export's CSV writes it)
    if column.kind == "date":
        iso = _date(text)
        if iso is None:
            return error(
                "invalid_date", "a date is written DD/MM/YYYY or YYYY-MM-DD (e.g. 01/07/2025), and must exist."
            )
        return iso, None
    if column.kind == "code":
        # A code or its Vietnamese label; another value goes on as given (the API decides whether it takes it).
        return _CODES[column.field].get(fold(text), text), None
    if column.kind == "list":
        return [part.strip() for part in re.split(r"[;,\n]", text) if part.strip()], None
    if column.kind == "id":
        try:
            return uuid.UUID(text), None
        except ValueError:
            return error("invalid_id", "an id is the member's UUID as the API gives it (or leave it empty).")
    return text, None


def member_rows(table: Table) -> list[MemberRow]:
    """The table's rows as member values. An empty cell is a value not given (an update keeps the stored one)."""
    mapping = header_fields(table.header)
    rows = []
    for read in table.rows:
        row = MemberRow(row=read.row, record=read.record, values={}, columns={})
        if read.error is not None:
            row.errors.append(CellError("", "", "unreadable_row", read.error))
        cells = {name: value for name, value in read.cells.items() if name and fold(name) not in IGNORED}
        if read.error is None and set(cells) - set(mapping):  # NDJSON: each line names its fields
            header_fields(list(cells))
        for name, value in cells.items():
            if value is None or (isinstance(value, str) and not value.strip()) or value == []:
                continue
            column = BY_FIELD[mapping[name]]
            converted, problem = _cell(column, name, value)
            row.columns[column.field] = name
            if problem is not None:
                row.errors.append(problem)
            else:
                row.values[column.field] = converted
        rows.append(row)
    return rows
