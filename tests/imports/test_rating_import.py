"""POST /api/v1/members/ratings/import: members' quality ratings, each row through the ratings' own create or
replace, with every rule of the band; a row identical to the stored rating is `unchanged`."""

import io
from typing import Any

import httpx
import orjson
import pytest
import xlsxwriter
from fastapi import FastAPI

from tests.support.builders import AddMember, ClientWith, InsertKey, Snapshot
from tests.support.import_files import FORMATS, NDJSON, XLSX, csv_bytes, ndjson_bytes, rules, upload
from tests.support.problems import assert_problem

URL = "/api/v1/members/ratings/import"
HEADER = ["Mã đảng viên (id)", "Họ và tên", "Năm", "Xếp loại", "Điểm", "Nhận xét"]


@pytest.fixture
async def people(communes: dict[str, Any], add_member: AddMember) -> dict[str, str]:
    return {
        "an": await add_member(communes["A-DU-CB"], "Nguyễn Văn An"),
        "binh": await add_member(communes["A-DU-CB"], "Lê Văn Bình"),
        "cuong": await add_member(communes["B-DU-CB"], "Trần Văn Cường"),
    }


def _rows(people: dict[str, str]) -> list[list[str]]:
    return [
        [people["an"], "Nguyễn Văn An", "2024", "Hoàn thành xuất sắc nhiệm vụ", "95", "Gương mẫu"],
        [people["binh"], "Lê Văn Bình", "2024", "hoan thanh tot nhiem vu", "", ""],
    ]


async def test_ratings_in_every_format_then_again_unchanged(
    client: httpx.AsyncClient, people: dict[str, str], snapshot: Snapshot
) -> None:
    before = await snapshot()
    for name, (build, media) in FORMATS.items():
        response = await upload(client, URL, build(HEADER, _rows(people)), media)
        assert response.status_code == 200, (name, response.text)
        assert response.json()["counts"] == {"rows": 2, "created": 2, "updated": 0, "unchanged": 0, "failed": 0}
    assert await snapshot() == before
    committed = await upload(client, URL, csv_bytes(HEADER, _rows(people)), mode="commit")
    assert committed.json()["counts"]["created"] == 2, committed.text
    an = (await client.get(f"/api/v1/members/{people['an']}/ratings")).json()["items"]
    assert [(r["period"], r["rating"], r["score"], r["comment"]) for r in an] == [
        ("2024", "excellent", 95, "Gương mẫu")
    ]
    after = await snapshot()
    again = await upload(client, URL, csv_bytes(HEADER, _rows(people)), mode="commit")
    assert again.json()["counts"] == {"rows": 2, "created": 0, "updated": 0, "unchanged": 2, "failed": 0}
    assert await snapshot() == after
    # A correction replaces the rating (PUT's rules); an empty cell keeps the stored value.
    fixed = await upload(
        client, URL, csv_bytes(["member_id", "period", "rating"], [[people["an"], "2024", "good"]]), mode="commit"
    )
    assert fixed.json()["counts"]["updated"] == 1, fixed.text
    an = (await client.get(f"/api/v1/members/{people['an']}/ratings")).json()["items"]
    assert [(r["rating"], r["score"], r["comment"]) for r in an] == [("good", 95, "Gương mẫu")]
    audit = (await client.get("/api/v1/audit", params={"entity": "rating"})).json()["items"]
    assert sorted(e["action"] for e in audit) == ["create", "create", "replace"]


async def test_numbers_typed_into_a_spreadsheet(client: httpx.AsyncClient, people: dict[str, str]) -> None:
    """A year and a score typed into Excel are numbers: read as the period and the score."""
    out = io.BytesIO()
    book = xlsxwriter.Workbook(out, {"in_memory": True})
    sheet = book.add_worksheet()
    sheet.write_row(0, 0, ["member_id", "Năm", "Điểm", "Xếp loại"])
    sheet.write_row(1, 0, [people["an"], 2024, 88, "Hoàn thành tốt nhiệm vụ"])
    sheet.write_row(2, 0, [people["binh"], 2024, 88.5, ""])
    book.close()
    response = await upload(client, URL, out.getvalue(), XLSX, mode="commit", atomic="false")
    assert response.json()["counts"]["created"] == 1, response.text
    assert rules(response.json()) == [(2, "Điểm", "not_a_whole_number")]
    an = (await client.get(f"/api/v1/members/{people['an']}/ratings")).json()["items"]
    assert [(r["period"], r["score"], r["rating"]) for r in an] == [("2024", 88, "good")]


async def test_each_rule_is_a_row_error(
    client: httpx.AsyncClient, communes: dict[str, Any], people: dict[str, str], add_member: AddMember
) -> None:
    exempt = await add_member(communes["A-DU-CB"], "Phạm Văn Miễn", exempt=True)
    header = ["member_id", "period", "rating", "score", "not_rated_reason"]
    rows = [
        [people["an"], "2024Q5", "good", "", ""],  # no such period
        [people["an"], "2020", "", "120", ""],  # a score above 100
        [people["an"], "2021", "good", "", "Nghỉ ốm dài ngày"],  # a band and a reason
        [people["an"], "2022", "", "", ""],  # neither
        [people["an"], "2023", "excellent", "70", ""],  # a band above the score's
        [people["an"], "2019", "Xuất sắc lắm", "", ""],  # no such band
        [people["binh"], "2024", "", "", "Miễn công tác và sinh hoạt đảng"],  # Bình is not exempt
        ["0b8f7a6e-0000-4000-8000-000000000000", "2024", "good", "", ""],  # no such member
        [exempt, "2024", "good", "", ""],  # an exempt member is not rated
        [people["binh"], "2025", "good", "", ""],  # good
        [people["binh"], "2025", "fulfilled", "", ""],  # twice in the file
        [exempt, "2023", "", "", "exempt"],  # good
    ]
    response = await upload(client, URL, csv_bytes(header, rows), mode="commit", atomic="false")
    report = response.json()
    assert report["counts"] == {"rows": 12, "created": 2, "updated": 0, "unchanged": 0, "failed": 10}, response.text
    assert rules(report) == [
        (1, "period", "validation_error"),
        (2, "score", "validation_error"),
        (3, "not_rated_reason", "score_or_reason"),
        (4, "rating", "score_or_reason"),
        (5, "rating", "band_above_score"),
        (6, "rating", "invalid_value"),
        (7, "not_rated_reason", "not_rated_reason_not_supported"),
        (8, "member_id", "member_not_found"),
        (9, "not_rated_reason", "not_ratable"),
        (11, "member_id", "duplicate_in_file"),
    ]


async def test_scores_and_comments_need_pii_and_the_scope_holds(
    app: FastAPI,
    communes: dict[str, Any],
    people: dict[str, str],
    client_with: ClientWith,
    insert_key: InsertKey,
    snapshot: Snapshot,
) -> None:
    token = await insert_key(role="editor", scopes=[communes["A"]["id"]], pii=False)
    async with client_with(app, token) as a:
        refused = await upload(a, URL, csv_bytes(HEADER, _rows(people)))
        assert_problem(refused, 403, "pii_required")
        before = await snapshot()
        header = ["member_id", "period", "rating"]
        rows = [[people["cuong"], "2024", "good"], [people["binh"], "2024", "good"]]
        response = await upload(a, URL, csv_bytes(header, rows), mode="commit", atomic="false")
    assert rules(response.json()) == [(1, "member_id", "member_not_found")]
    assert response.json()["counts"]["created"] == 1
    assert await snapshot() != before


async def test_the_template(client: httpx.AsyncClient) -> None:
    template = await client.get(f"{URL}/template", params={"format": "csv"})
    lines = template.content.decode("utf-8-sig").splitlines()
    assert lines[0].split(",")[4:6] == ["Kỳ xếp loại", "Xếp loại"]
    assert "Hoàn thành tốt nhiệm vụ" in lines[1]
    xlsx = await client.get(f"{URL}/template")
    assert xlsx.status_code == 200 and xlsx.content[:2] == b"PK"


async def test_the_file_comes_back_with_each_rows_errors(client: httpx.AsyncClient, people: dict[str, str]) -> None:
    """NDJSON in, NDJSON back: each line with `_errors`; the corrected file goes back in as it is."""
    header = ["member_id", "period", "rating"]
    rows = [[people["an"], "2024", "good"], [people["binh"], "2024", "Giỏi"]]
    back = await upload(client, URL, ndjson_bytes(header, rows), NDJSON, answer="file")
    assert back.headers["content-type"].startswith(NDJSON)
    lines = [orjson.loads(line) for line in back.content.splitlines()]
    assert [line["_errors"] == "" for line in lines] == [True, False]
    assert "rating" in lines[1]["_errors"]
    lines[1]["rating"] = "Hoàn thành nhiệm vụ"
    fixed = b"".join(orjson.dumps(line) + b"\n" for line in lines)
    again = await upload(client, URL, fixed, NDJSON, mode="commit")
    assert again.json()["counts"]["created"] == 2, again.text
