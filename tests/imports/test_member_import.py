"""POST /api/v1/members/import: each rule of the import, seen as a user sees it (the report, and what changed in
the tables)."""

import csv
import io
import zipfile
from collections.abc import Callable
from typing import Any

import httpx
import orjson
import xlsxwriter
from fastapi import FastAPI

from tests.support.builders import ClientWith, CountRows, InsertKey, Snapshot
from tests.support.problems import assert_problem

URL = "/api/v1/members/import"
CSV = "text/csv"
NDJSON = "application/x-ndjson"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

HEADER = [
    "full_name",
    "gender",
    "birth_date",
    "status",
    "organization",
    "admission_decision_date",
    "citizen_id",
    "phone",
    "ethnicity",
    "religion",
    "external_ids",
]
VIETNAMESE = [
    "Họ và tên",
    "Giới tính",
    "Ngày sinh",
    "Trạng thái",
    "Chi bộ",
    "Ngày vào Đảng",
    "Số CCCD",
    "Số điện thoại",
    "Dân tộc",
    "Tôn giáo",
    "Mã hệ thống khác",
]
# Two good rows and one with a bad date, in the words an office types.
ROWS = [
    [
        "Nguyễn Văn An",
        "Nam",
        "15/03/1990",
        "Đảng viên chính thức",
        "A-DU-CB",
        "03/02/2015",
        "001090001111",
        "0912 000 111",
        "Kinh",
        "Không",
        "csdl:001",
    ],
    [
        "Lê Thị Bình",
        "Nữ",
        "1992-07-01",
        "official",
        "A-DU-CB",
        "2016-05-19",
        "001192002222",
        "",
        "01",
        "none",
        "csdl:002",
    ],
    ["Trần Văn Cường", "male", "31/02/1991", "official", "A-DU-CB", "2017-01-01", "001091003333", "", "", "", ""],
]


def csv_bytes(header: list[str], rows: list[list[str]], *, delimiter: str = ",", encoding: str = "utf-8") -> bytes:
    out = io.StringIO()
    writer = csv.writer(out, delimiter=delimiter, lineterminator="\r\n")
    writer.writerow(header)
    writer.writerows(rows)
    return out.getvalue().encode(encoding)


def xlsx_bytes(header: list[str], rows: list[list[str]]) -> bytes:
    out = io.BytesIO()
    book = xlsxwriter.Workbook(out, {"in_memory": True, "strings_to_numbers": False})
    sheet = book.add_worksheet()
    for i, row in enumerate([header, *rows]):
        for j, value in enumerate(row):
            if value:
                sheet.write_string(i, j, value)
    book.close()
    return out.getvalue()


def ndjson_bytes(header: list[str], rows: list[list[str]]) -> bytes:
    return b"".join(orjson.dumps({h: v for h, v in zip(header, row, strict=True) if v}) + b"\n" for row in rows)


async def post(client: httpx.AsyncClient, body: bytes, media: str = CSV, **params: str) -> httpx.Response:
    return await client.post(URL, content=body, headers={"Content-Type": media}, params=params)


def without_rows(report: dict[str, Any]) -> dict[str, Any]:
    """The report but the media type and where each error is in the file (an NDJSON file has no header line)."""
    return {**report, "format": None, "errors": [{**e, "row": None} for e in report["errors"]]}


def csv_bom(header: list[str], rows: list[list[str]]) -> bytes:
    return b"\xef\xbb\xbf" + csv_bytes(header, rows)


def csv_utf16(header: list[str], rows: list[list[str]]) -> bytes:
    """What Excel saves as "Unicode text": UTF-16 with its BOM, tab-separated."""
    return csv_bytes(header, rows, delimiter="\t", encoding="utf-16")


def csv_semicolon(header: list[str], rows: list[list[str]]) -> bytes:
    return csv_bytes(header, rows, delimiter=";")


def csv_plain(header: list[str], rows: list[list[str]]) -> bytes:
    return csv_bytes(header, rows)


FORMATS: dict[str, tuple[Callable[[list[str], list[list[str]]], bytes], str]] = {
    "csv": (csv_plain, CSV),
    "csv_bom": (csv_bom, CSV),
    "csv_utf16": (csv_utf16, CSV),
    "csv_semicolon": (csv_semicolon, CSV),
    "xlsx": (xlsx_bytes, XLSX),
    "ndjson": (ndjson_bytes, NDJSON),
}


async def test_every_format_and_both_headers_give_the_same_report(
    client: httpx.AsyncClient, communes: dict[str, Any], snapshot: Snapshot
) -> None:
    """CSV (UTF-8, with BOM, UTF-16, `;`), XLSX and NDJSON of the same rows, with snake_case or Vietnamese headers,
    DD/MM/YYYY or ISO dates: one report. Validation writes nothing."""
    before = await snapshot()
    reports = {}
    for header_name, header in (("snake", HEADER), ("vietnamese", VIETNAMESE)):
        for name, (build, media) in FORMATS.items():
            response = await post(client, build(header, ROWS), media)
            assert response.status_code == 200, (name, response.text)
            reports[(header_name, name)] = response.json()
            # Sent as bytes of no declared type (a generated client, curl -T), the file's first bytes decide.
            untyped = await post(client, build(header, ROWS), "application/octet-stream")
            assert untyped.status_code == 200, (name, untyped.text)
            assert untyped.json() == reports[(header_name, name)], name
    first = reports[("snake", "csv")]
    assert first["counts"] == {"rows": 3, "created": 2, "updated": 0, "unchanged": 0, "failed": 1}
    assert first["mode"] == "validate" and first["committed"] is False
    assert [(e["row"], e["record"], e["rule"]) for e in first["errors"]] == [(4, 3, "invalid_date")]
    for key, report in reports.items():
        same_header = reports[(key[0], "csv")]
        assert without_rows(report) == without_rows(same_header), key
        assert {**without_rows(report), "errors": None} == {**without_rows(first), "errors": None}, key
        assert [(e["record"], e["rule"]) for e in report["errors"]] == [(3, "invalid_date")], key
        expected_row = 3 if key[1] == "ndjson" else 4
        assert report["errors"][0]["row"] == expected_row, key
    assert reports[("vietnamese", "xlsx")]["errors"][0]["column"] == "Ngày sinh"
    assert await snapshot() == before


async def test_per_row_commit_writes_the_good_rows_and_reports_the_bad(
    client: httpx.AsyncClient, communes: dict[str, Any], count_rows: CountRows
) -> None:
    body = csv_bytes(HEADER, ROWS)
    response = await post(client, body, mode="commit", atomic="false")
    assert response.status_code == 200, response.text
    report = response.json()
    assert report["committed"] is True
    assert report["counts"] == {"rows": 3, "created": 2, "updated": 0, "unchanged": 0, "failed": 1}
    assert await count_rows("members") == 2
    found = (await client.get("/api/v1/members", params={"q": "Nguyễn Văn An"})).json()["items"]
    assert [(m["gender"], m["birth_date"], m["ethnicity"], m["religion"], m["external_ids"]) for m in found] == [
        ("male", "1990-03-15", "01", "none", ["csdl:001"])
    ]
    audit = (await client.get("/api/v1/audit", params={"entity": "member"})).json()["items"]
    assert sorted(e["action"] for e in audit) == ["create", "create"]


async def test_reimporting_the_same_file_changes_nothing(
    client: httpx.AsyncClient, communes: dict[str, Any], snapshot: Snapshot
) -> None:
    """Matching by citizen ID: the same rows again are `unchanged`, with no write and no audit entry."""
    body = csv_bytes(HEADER, ROWS[:2])
    assert (await post(client, body, mode="commit")).json()["counts"]["created"] == 2
    before = await snapshot()
    again = await post(client, body, mode="commit")
    assert again.status_code == 200, again.text
    assert again.json()["counts"] == {"rows": 2, "created": 0, "updated": 0, "unchanged": 2, "failed": 0}
    assert await snapshot() == before


async def test_a_row_matching_a_member_updates_it_through_the_patch_rules(
    client: httpx.AsyncClient, communes: dict[str, Any]
) -> None:
    """By citizen ID, by external id, by id: an update of what differs (one audit entry each); a change of
    status is refused (events do that)."""
    assert (await post(client, csv_bytes(HEADER, ROWS[:2]), mode="commit")).json()["counts"]["created"] == 2
    an = (await client.get("/api/v1/members", params={"q": "Nguyễn Văn An"})).json()["items"][0]
    rows = [
        ["id", "Nơi sinh", "Trạng thái"],
        [an["id"], "Phú Thọ", ""],
    ]
    response = await post(client, csv_bytes(rows[0], rows[1:]), mode="commit")
    assert response.json()["counts"]["updated"] == 1, response.text
    by_external = await post(
        client, csv_bytes(["external_ids", "hometown", "status"], [["csdl:002", "Hà Nội", "candidate"]]), mode="commit"
    )
    assert by_external.status_code == 422
    body = assert_problem(by_external, 422, "import_rejected")
    assert [(e["column"], e["rule"]) for e in body["report"]["errors"]] == [("status", "changes_through_events")]
    fixed = await post(client, csv_bytes(["external_ids", "hometown"], [["csdl:002", "Hà Nội"]]), mode="commit")
    assert fixed.json()["counts"]["updated"] == 1
    # external ids are added to the record's, never removed by a file that lists fewer
    more = await post(client, csv_bytes(["citizen_id", "external_ids"], [["001192002222", "khac:9"]]), mode="commit")
    assert more.json()["counts"]["updated"] == 1
    again = await post(client, csv_bytes(["external_ids"], [["csdl:002"]]), mode="commit")
    assert again.json()["counts"]["unchanged"] == 1
    binh = (await client.get("/api/v1/members", params={"q": "Lê Thị Bình"})).json()["items"][0]
    assert sorted(binh["external_ids"]) == ["csdl:002", "khac:9"]
    assert (await client.get(f"/api/v1/members/{an['id']}")).json()["birth_place"] == "Phú Thọ"


async def test_atomic_commit_writes_nothing_when_one_row_fails(
    client: httpx.AsyncClient, communes: dict[str, Any], snapshot: Snapshot
) -> None:
    before = await snapshot()
    response = await post(client, csv_bytes(HEADER, ROWS), mode="commit")
    body = assert_problem(response, 422, "import_rejected")
    assert body["report"]["counts"]["failed"] == 1 and body["report"]["committed"] is False
    assert await snapshot() == before


async def test_the_rules_of_the_api_become_row_errors(
    client: httpx.AsyncClient, communes: dict[str, Any], count_rows: CountRows
) -> None:
    """Bad date, unknown unit, a citizen ID twice in the file and one already recorded, the same name and birth
    date, a ceremony before the decision: each its row, column and rule; the good row is written."""
    await post(client, csv_bytes(HEADER, ROWS[:1]), mode="commit")
    await client.post(
        "/api/v1/members",
        json={
            "full_name": "Phạm Văn Dũng",
            "gender": "male",
            "birth_date": "1985-01-01",
            "status": "official",
            "organization_id": communes["A-DU-CB"]["id"],
            "admission_decision_date": "2010-01-01",
            "external_ids": ["csdl:777"],
        },
    )
    header = [
        "Họ và tên",
        "Giới tính",
        "Ngày sinh",
        "Trạng thái",
        "Chi bộ",
        "Ngày vào Đảng",
        "Ngày lễ kết nạp",
        "Số CCCD",
        "Mã hệ thống khác",
    ]
    rows = [
        ["Võ Thị Good", "Nữ", "01/01/1995", "official", "A-DU-CB", "01/01/2020", "", "001195000001", ""],  # 2
        ["Bad Date", "Nữ", "1995-13-01", "official", "A-DU-CB", "01/01/2020", "", "", ""],  # 3
        ["No Unit", "Nữ", "01/01/1995", "official", "KHONG-CO", "01/01/2020", "", "", ""],  # 4
        ["Twice One", "Nữ", "02/01/1995", "official", "A-DU-CB", "01/01/2020", "", "001195000009", ""],  # 5
        ["Twice Two", "Nữ", "03/01/1995", "official", "A-DU-CB", "01/01/2020", "", "001195000009", ""],  # 6
        ["Phạm Văn Dũng", "Nam", "01/01/1985", "official", "A-DU-CB", "01/01/2010", "", "", ""],  # 7
        ["Late Ceremony", "Nam", "01/01/1990", "official", "A-DU-CB", "01/06/2020", "01/05/2020", "", ""],  # 8
        # citizen ID of row-1's member, but the external id of Phạm Văn Dũng: two people in one row
        ["Mixed Up", "Nam", "01/01/1990", "official", "A-DU-CB", "01/06/2020", "", "001090001111", "csdl:777"],  # 9
        ["Bad Id", "Nam", "01/01/1990", "official", "A-DU-CB", "01/06/2020", "", "12345", ""],  # 10
    ]
    response = await post(client, csv_bytes(header, rows), mode="commit", atomic="false")
    report = response.json()
    assert report["counts"] == {"rows": 9, "created": 2, "updated": 0, "unchanged": 0, "failed": 7}, report
    assert [(e["row"], e["column"], e["rule"]) for e in report["errors"]] == [
        (3, "Ngày sinh", "invalid_date"),
        (4, "Chi bộ", "organization_not_found"),
        (6, "Số CCCD", "duplicate_in_file"),
        (7, "Họ và tên", "possible_duplicate"),
        (8, "Ngày lễ kết nạp", "ceremony_before_decision"),
        (9, "Mã hệ thống khác", "ambiguous_match"),
        (10, "Số CCCD", "validation_error"),
    ]
    assert await count_rows("members") == 4  # An, Dũng, Good, Twice One


async def test_a_citizen_id_recorded_for_another_member_is_a_row_error(
    client: httpx.AsyncClient, communes: dict[str, Any]
) -> None:
    """A row naming one member by external id and giving another member's citizen ID: the PATCH rule refuses it."""
    await post(client, csv_bytes(HEADER, ROWS[:2]), mode="commit")
    response = await post(client, csv_bytes(["external_ids", "citizen_id"], [["csdl:002", "001090001111"]]))
    # The citizen ID matches An, the external id Bình: two people.
    assert [e["rule"] for e in response.json()["errors"]] == ["ambiguous_match"]
    binh = (await client.get("/api/v1/members", params={"q": "Lê Thị Bình"})).json()["items"][0]
    by_id = await post(client, csv_bytes(["id", "citizen_id"], [[binh["id"], "001090001111"]]))
    assert [(e["column"], e["rule"]) for e in by_id.json()["errors"]] == [("citizen_id", "duplicate_citizen_id")]


async def test_a_key_of_commune_a_cannot_import_into_commune_b(
    app: FastAPI,
    client: httpx.AsyncClient,
    communes: dict[str, Any],
    client_with: ClientWith,
    insert_key: InsertKey,
    snapshot: Snapshot,
) -> None:
    """Rows for B's cell, or naming B's member, fail as if B did not exist; A's row is written; nothing of B."""
    await post(client, csv_bytes(HEADER, [[*ROWS[0][:4], "B-DU-CB", *ROWS[0][5:]]]), mode="commit")
    b_member = (await client.get("/api/v1/members", params={"q": "Nguyễn Văn An"})).json()["items"][0]
    token = await insert_key(role="editor", scopes=[communes["A"]["id"]], pii=True)
    rows = [
        ["Cho B", "Nam", "01/01/1990", "official", "B-DU-CB", "01/01/2015", "", "", "", "", ""],
        ["Cho B theo id", "Nam", "01/01/1990", "official", communes["B-DU-CB"]["id"], "01/01/2015", "", "", "", "", ""],
        ["Cho A", "Nam", "01/01/1990", "official", "A-DU-CB", "01/01/2015", "", "", "", "", ""],
        # B's member's citizen ID: no match in A's scope, so a registration, refused as a duplicate
        ["Nguyễn Văn An", "Nam", "15/03/1990", "official", "A-DU-CB", "2015-02-03", "001090001111", "", "", "", ""],
    ]
    ghost = [[*rows[0][:4], "KHONG-CO", *rows[0][5:]]]
    async with client_with(app, token) as a:
        before = await snapshot()
        response = await post(a, csv_bytes(HEADER, rows), mode="commit", atomic="false")
        b_by_id = await post(a, csv_bytes(["id", "hometown"], [[b_member["id"], "X"]]))
        missing = await post(a, csv_bytes(["id", "hometown"], [["0b8f7a6e-0000-4000-8000-000000000000", "X"]]))
        unknown = await post(a, csv_bytes(HEADER, ghost))
    report = response.json()
    assert report["counts"]["created"] == 1 and report["counts"]["failed"] == 3, report
    assert [(e["row"], e["rule"]) for e in report["errors"]] == [
        (2, "organization_not_found"),
        (3, "organization_not_found"),
        (5, "duplicate_citizen_id"),
    ]
    assert report["errors"][0]["message"] == unknown.json()["errors"][0]["message"].replace("KHONG-CO", "B-DU-CB")
    assert "Nguyễn Văn An" not in response.text and b_member["id"] not in response.text
    assert b_by_id.json()["errors"][0]["message"].replace(b_member["id"], "?") == missing.json()["errors"][0][
        "message"
    ].replace("0b8f7a6e-0000-4000-8000-000000000000", "?")
    after = await snapshot()
    assert len(after["members"]) == len(before["members"]) + 1


async def test_no_error_message_carries_a_sensitive_value(
    client: httpx.AsyncClient,
    communes: dict[str, Any],
    insert_key: InsertKey,
    app: FastAPI,
    client_with: ClientWith,
) -> None:
    """Citizen ID, phone, residence, ethnicity, religion: named by their column, never quoted, even to pii."""
    await post(client, csv_bytes(HEADER, ROWS[:1]), mode="commit")
    sensitive = ["001090001111", "0912 000 111", "Thôn Bí Mật", "Dân-tộc-lạ", "Đạo-lạ"]
    header = [
        "full_name",
        "gender",
        "birth_date",
        "status",
        "organization",
        "admission_decision_date",
        "citizen_id",
        "phone",
        "residence",
        "ethnicity",
        "religion",
    ]
    rows = [
        # the citizen ID taken (ethnicity and religion as labels: a value no label names is a cell error)
        ["Người Trùng", "Nam", "01/01/1980", "official", "A-DU-CB", "2010-01-01", *sensitive[:3], "Kinh", "Không"],
        [
            "Người Sai",
            "Nam",
            "01/01/1980",
            "official",
            "A-DU-CB",
            "2010-01-01",
            "1234567890123",
            "12",
            "x" * 600,
            "",
            "",
        ],
        # values that no label names: the cell's error lists the labels, never the value
        ["Người Lạ", "Nam", "02/01/1980", "official", "A-DU-CB", "2010-01-01", "", "", "", *sensitive[3:]],
    ]
    token = await insert_key(role="editor", pii=True)
    async with client_with(app, token) as c:
        response = await post(c, csv_bytes(header, rows), atomic="false")
    assert response.json()["counts"]["failed"] == 3
    columns = {e["column"] for e in response.json()["errors"]}
    assert columns >= {"citizen_id", "phone", "residence", "ethnicity", "religion"}
    for value in [*sensitive, "1234567890123", "x" * 600]:
        assert value not in response.text


async def test_sensitive_columns_need_pii(
    client: httpx.AsyncClient,
    communes: dict[str, Any],
    insert_key: InsertKey,
    app: FastAPI,
    client_with: ClientWith,
    snapshot: Snapshot,
) -> None:
    """Without pii a file with a sensitive column is refused whole: `unchanged` would otherwise tell whether the
    stored ethnicity is the one sent. The same file without those columns is imported."""
    await post(client, csv_bytes(HEADER, ROWS[:1]), mode="commit")
    an = (await client.get("/api/v1/members", params={"q": "Nguyễn Văn An"})).json()["items"][0]
    token = await insert_key(role="editor", pii=False)
    before = await snapshot()
    async with client_with(app, token) as c:
        probe = await post(c, csv_bytes(["id", "Dân tộc", "religion"], [[an["id"], "Kinh", "none"]]))
        body = assert_problem(probe, 403, "pii_required")
        assert "'Dân tộc', 'religion'" in body["detail"]
        plain = await post(c, csv_bytes(["id", "hometown"], [[an["id"], "Hà Nam"]]), mode="commit")
    assert plain.json()["counts"]["updated"] == 1
    assert len((await snapshot())["members"]) == len(before["members"])


async def test_unknown_columns_refuse_the_file(client: httpx.AsyncClient, communes: dict[str, Any]) -> None:
    response = await post(client, csv_bytes(["Họ và tên", "Biệt danh", "color"], [["A", "B", "C"]]))
    body = assert_problem(response, 422, "unknown_columns")
    assert body["columns"] == ["Biệt danh", "color"]


async def test_the_template_lists_the_columns_and_reimports(
    client: httpx.AsyncClient, communes: dict[str, Any]
) -> None:
    """The template (both formats) is read back by the import: its example row only lacks a real cell."""
    for file_format, media in (("csv", CSV), ("xlsx", XLSX)):
        template = await client.get(f"{URL}/template", params={"format": file_format})
        assert template.status_code == 200
        assert template.headers["content-type"].startswith(media)
        if file_format == "xlsx":  # drop-down lists: gender, ethnicity, religion, levels, status
            with zipfile.ZipFile(io.BytesIO(template.content)) as book:
                sheet = book.read("xl/worksheets/sheet1.xml").decode()
            assert sheet.count("<dataValidation ") == 7
        report = (await post(client, template.content, media)).json()
        assert [(e["column"], e["rule"]) for e in report["errors"]] == [("Chi bộ", "organization_not_found")]


async def test_the_file_comes_back_with_each_rows_errors(client: httpx.AsyncClient, communes: dict[str, Any]) -> None:
    """`answer=file`: the file as sent (same format, same delimiter), with a column `Lỗi` saying what is wrong."""
    semicolons = (await post(client, csv_semicolon(VIETNAMESE, ROWS), answer="file")).content.decode("utf-8-sig")
    lines = list(csv.reader(io.StringIO(semicolons), delimiter=";"))
    assert lines[0] == [*VIETNAMESE, "Lỗi"]
    assert lines[1] == [*ROWS[0], ""]
    assert lines[3][:-1] == ROWS[2] and lines[3][-1].startswith("Ngày sinh: a date is written")
    book = await post(client, xlsx_bytes(HEADER, ROWS), XLSX, answer="file")
    assert book.headers["content-type"] == XLSX
    # corrected, the same file goes back in as it is (the column Lỗi is read past)
    back = (await post(client, book.content, XLSX)).json()
    assert [(e["row"], e["column"], e["rule"]) for e in back["errors"]] == [(4, "birth_date", "invalid_date")]
    lines_back = (await post(client, ndjson_bytes(HEADER, ROWS), NDJSON, answer="file")).content.splitlines()
    assert [orjson.loads(line)["_errors"] != "" for line in lines_back] == [False, False, True]
