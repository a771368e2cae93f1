"""The issue's acceptance, at a size CI can afford: a file of several thousand members with 50 bad rows of several
kinds. Validate reports exactly those 50 (row, column, rule) and writes nothing; the same file as XLSX and NDJSON
gives the same report; a per-row commit writes the rest; the indicators of the touched units then match the
brute-force oracle; the export of those members imported again is `unchanged` row for row."""

from datetime import date
from typing import Any

import asyncpg
import httpx

from tests.support.builders import CreateOrg
from tests.support.import_files import FORMATS
from tests.support.indicator_oracle import Oracle, analytics, compare

URL = "/api/v1/members/import"
HEADER = [
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
GOOD = 2_950
FAMILY = ["Nguyễn", "Trần", "Lê", "Phạm", "Hoàng", "Huỳnh", "Phan", "Vũ", "Võ", "Đặng", "Bùi", "Đỗ"]
GIVEN = ["An", "Bình", "Châu", "Dũng", "Giang", "Hạnh", "Khoa", "Lan", "Minh", "Ngọc", "Phúc", "Quyên", "Sơn", "Thảo"]


def _person(i: int, cells: list[str]) -> list[str]:
    """A good row: official members admitted 2000–2024 (every fifth probationary, admitted in 2026), spread over
    the cells, each with a citizen ID and an external id of their own."""
    female = i % 3 == 0
    born = date(1960 + i % 40, 1 + i % 12, 1 + i % 28)
    if i % 5 == 0:
        status, admitted = "Đảng viên dự bị", date(2026, 1 + i % 5, 1 + i % 28)
    else:
        status, admitted = "Đảng viên chính thức", date(2000 + i % 25, 1 + i % 12, 1 + i % 28)
    citizen_id = f"0{1 + i % 90:02d}{(2 if born.year >= 2000 else 0) + female}{born.year % 100:02d}{i:06d}"
    return [
        f"{FAMILY[i % 12]} {'Thị' if female else 'Văn'} {GIVEN[i % 14]} {GIVEN[(i // 14) % 14]} "
        f"{GIVEN[(i // 196) % 14]}",
        "Nữ" if female else "Nam",
        born.strftime("%d/%m/%Y"),
        status,
        cells[i % len(cells)],
        admitted.strftime("%d/%m/%Y"),
        "",
        citizen_id,
        f"csdl-tinh:{i:07d}",
    ]


# Fifty bad rows of seven kinds, each with the column and rule the report must give.
def _bad(k: int, good: list[list[str]], cells: list[str]) -> tuple[list[str], str, str]:
    row = _person(100_000 + k, cells)
    row[0] = "Lương " + row[0].split(" ", 1)[1]  # a family no good row has: no same name and birth date
    kind = k % 7
    if kind == 0:
        row[2] = "31/02/1990"
        return row, "Ngày sinh", "invalid_date"
    if kind == 1:
        row[4] = "NO-SUCH-CELL"
        return row, "Chi bộ", "organization_not_found"
    if kind == 2:
        row[7] = good[k][7]  # a citizen ID another row of the file has
        return row, "Số CCCD", "duplicate_in_file"
    if kind == 3:
        row[0] = ""
        return row, "Họ và tên", "required"
    if kind == 4:
        row[7] = f"12345{k:02d}"
        return row, "Số CCCD", "validation_error"
    if kind == 5:
        row[6] = "01/01/1999"  # the ceremony before the decision
        return row, "Ngày lễ kết nạp", "ceremony_before_decision"
    row[3] = "đảng viên danh dự"
    return row, "Trạng thái", "invalid_value"


def _file(cells: list[str]) -> tuple[list[list[str]], dict[int, tuple[str, str]]]:
    """The rows, and for each bad one its spreadsheet row number (header = 1) → (column, rule)."""
    good = [_person(i, cells) for i in range(GOOD)]
    rows = list(good)
    expected: dict[int, tuple[str, str]] = {}
    for k in range(50):
        row, column, rule = _bad(k, good, cells)
        at = 37 + k * 59  # spread through the file: inserted in order, so it stays at that index
        rows.insert(at, row)
        expected[at + 2] = (column, rule)  # the header is row 1
    return rows, expected


async def _import(client: httpx.AsyncClient, fmt: str, rows: list[list[str]], **params: str) -> dict[str, Any]:
    make, media = FORMATS[fmt]
    response = await client.post(
        URL, content=make(HEADER, rows), headers={"Content-Type": media}, params=params, timeout=600
    )
    assert response.status_code == 200, response.text[:2000]
    report: dict[str, Any] = response.json()
    return report


async def test_fifty_bad_rows_reported_exactly_the_rest_written_and_the_figures_exact(
    client: httpx.AsyncClient,
    create_org: CreateOrg,
    db_pool: asyncpg.Pool,
) -> None:
    province = await create_org(client, "ACC", "provincial_committee", valid_from="2000-01-01")
    cells: list[str] = []
    cell_ids: list[str] = []
    for c in range(3):
        commune = await create_org(client, f"ACC-{c}", "upper_level_committee", province, valid_from="2000-01-01")
        for g in range(2):
            cell = await create_org(client, f"ACC-{c}-{g}", "grassroots_cell", commune, valid_from="2000-01-01")
            cells.append(cell["code"])
            cell_ids.append(cell["id"])

    async def members_written() -> int:
        count: int = await db_pool.fetchval(
            "SELECT count(*) FROM members WHERE organization_id = ANY($1::uuid[])", cell_ids
        )
        return count

    rows, expected = _file(cells)

    report = await _import(client, "csv", rows, mode="validate", atomic="false")
    assert report["counts"] == {"rows": GOOD + 50, "created": GOOD, "updated": 0, "unchanged": 0, "failed": 50}
    found = {e["row"]: (e["column"], e["rule"]) for e in report["errors"]}
    assert found == expected
    assert await members_written() == 0
    for fmt in ("xlsx", "ndjson"):  # the same report, whatever the format (NDJSON numbers lines, not rows)
        again = await _import(client, fmt, rows, mode="validate", atomic="false")
        assert again["counts"] == report["counts"]
        shift = 1 if fmt == "ndjson" else 0
        assert {e["row"] + shift: (e["column"], e["rule"]) for e in again["errors"]} == expected

    committed = await _import(client, "csv", rows, mode="commit", atomic="false")
    assert committed["counts"] == report["counts"] and committed["committed"]
    assert await members_written() == GOOD

    oracle = await Oracle.load(db_pool)
    root = next(u for u in oracle.orgs if str(u) == province["id"])
    periods = ["2024", "2025", "2026Q1", "2026Q2"]
    indicators = ["members", "admission_rate"]
    items = await analytics(
        client,
        indicator=",".join(indicators),
        period=",".join(periods),
        organization_id=province["id"],
        breakdown="children",
    )
    assert items and not compare(
        oracle, items, structure="period", root=root, level=1, indicators=indicators, periods=periods
    )

    exported = await client.get("/api/v1/members", params={"format": "csv", "within": province["id"]})
    assert exported.status_code == 200
    reimported = await client.post(URL, content=exported.content, headers={"Content-Type": "text/csv"}, timeout=600)
    assert reimported.status_code == 200, reimported.text[:2000]
    assert reimported.json()["counts"] == {"rows": GOOD, "created": 0, "updated": 0, "unchanged": GOOD, "failed": 0}
