"""The columns of a member import: the API's field names (snake_case) and the Vietnamese headers an office types,
and the Vietnamese labels of the catalogues' codes. The machinery (header folding, cell conversion, cell errors) is
app/domain/imports/sheet.py's, shared by every kind.

Pure: a table in, rows of values out, each with the errors of its cells. The values are then checked by the API's
own models and written by its own domain functions (app/domain/imports/members.py)."""

from app.domain.imports import sheet
from app.domain.imports.files import Table
from app.domain.imports.sheet import IGNORED, CellError, Column, fold, vietnamese_header
from app.domain.members.catalogues import CATALOGUES
from app.domain.members.events import Introducer

__all__ = ["IGNORED", "CellError", "Column", "MemberRow", "fold", "header_fields", "member_rows", "vietnamese_header"]

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
MemberRow = sheet.ImportRow
_STATUSES = ("candidate", "probationary", "official")  # what an import registers; later ones come by events
_ENUMERATED = ("gender", "ethnicity", "religion", "education", "professional_level", "political_theory_level")
MEMBERS = sheet.Layout(
    kind="members",
    noun="member",
    template="/api/v1/members/import/template",
    sheet="Đảng viên",
    columns=MEMBER_COLUMNS,
    labels={c.field: CATALOGUES.get(c.field, {}) for c in MEMBER_COLUMNS if c.kind == "code"}
    | {"introduced_by": {code.value: code.value for code in Introducer}},
    choices={"status": [CATALOGUES["status"][s] for s in _STATUSES], "introduced_by": []}
    | {name: list(CATALOGUES[name].values()) for name in _ENUMERATED},
)
BY_FIELD = MEMBERS.by_field
SENSITIVE = MEMBERS.sensitive


def header_fields(header: list[str]) -> dict[str, str]:
    """header → field; a column that is not a member field refuses the file (like an unknown query parameter)."""
    return sheet.header_fields(MEMBERS, header)


def member_rows(table: Table) -> list[MemberRow]:
    """The table's rows as member values. An empty cell is a value not given (an update keeps the stored one)."""
    return sheet.read_rows(MEMBERS, table)
