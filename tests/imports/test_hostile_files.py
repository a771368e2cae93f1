"""Files that are not registers: each is a 4xx problem that says what is wrong, never a 500, and nothing is
written. And the limits: COSO_IMPORT_JOB_MAX_BYTES (413 body_too_large) and COSO_IMPORT_SYNC_MAX_ROWS (a job)."""

import io
import zipfile
from collections.abc import AsyncIterator
from typing import Any

import asyncpg
import httpx
import pytest
import xlsxwriter

from app.main import create_app
from app.settings import Settings
from tests.support.builders import ClientWith, InsertKey, Snapshot
from tests.support.problems import assert_problem

URL = "/api/v1/members/import"
CSV = "text/csv"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
NDJSON = "application/x-ndjson"
HEADER = b"full_name,gender,birth_date,status,organization,admission_decision_date\n"
GOOD = "Nguyễn Văn An,Nam,15/03/1990,official,A-DU-CB,03/02/2015\n".encode()


def _xlsx_with_formula() -> bytes:
    out = io.BytesIO()
    book = xlsxwriter.Workbook(out, {"in_memory": True})
    sheet = book.add_worksheet()
    for j, h in enumerate(HEADER.decode().strip().split(",")):
        sheet.write_string(0, j, h)
    sheet.write_formula(1, 0, '=HYPERLINK("http://evil.example","Nguyễn Văn An")')
    sheet.write_string(1, 1, "Nam")
    sheet.write_formula(1, 2, "=DATE(1990,3,15)")
    sheet.write_string(1, 3, "official")
    sheet.write_string(1, 4, "A-DU-CB")
    sheet.write_string(1, 5, "03/02/2015")
    book.close()
    return out.getvalue()


def _zip_bomb() -> bytes:
    out = io.BytesIO()
    chunk = b"\0" * (1024 * 1024)
    with (
        zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED) as archive,
        archive.open("xl/worksheets/sheet1.xml", "w", force_zip64=True) as sheet,
    ):
        for _ in range(300):  # 300 MB unpacked, 300 kB sent
            sheet.write(chunk)
    return out.getvalue()


HOSTILE: list[tuple[str, bytes, str, int, str]] = [
    ("binary garbage", bytes(range(256)) * 40, CSV, 422, "unreadable_file"),
    (
        "latin-1, not UTF-8",
        HEADER + "Nguyễn,Nam".encode("cp1258", errors="replace") + b"\xe9\xff\n",
        CSV,
        422,
        "unreadable_file",
    ),
    ("NUL bytes", HEADER + b"Nguy\x00n,Nam,15/03/1990,official,A-DU-CB,03/02/2015\n", CSV, 422, "unreadable_file"),
    ("UTF-16 without BOM", (HEADER + GOOD).decode().encode("utf-16-le"), CSV, 422, "unreadable_file"),
    ("a huge cell", HEADER + b'"' + b"x" * 200_000 + b'",Nam\n', CSV, 422, "unreadable_file"),
    ("an unclosed quote", HEADER + b'"Nguyen,Nam,15/03/1990\n', CSV, 422, "unreadable_file"),
    ("more cells than columns", HEADER + GOOD.strip() + b",extra,more\n", CSV, 422, "unreadable_file"),
    ("a value under no header", HEADER.strip() + b",\n" + GOOD.strip() + b",nickname\n", CSV, 422, "unreadable_file"),
    ("empty", b"", CSV, 422, "unreadable_file"),
    ("header only", HEADER, CSV, 422, "unreadable_file"),
    ("not a zip as xlsx", b"PK\x03\x04 not really a zip", XLSX, 422, "unreadable_file"),
    ("a CSV sent as xlsx", HEADER + GOOD, XLSX, 422, "unreadable_file"),
    ("a zip bomb as xlsx", _zip_bomb(), XLSX, 422, "unreadable_file"),
    ("a PDF", b"%PDF-1.4 ...", "application/pdf", 415, "unsupported_media_type"),
    ("JSON, not NDJSON", b'[{"full_name": "A"}]', "application/json", 415, "unsupported_media_type"),
    ("too many columns", b",".join(b"full_name" for _ in range(300)) + b"\n" + GOOD, CSV, 422, "unreadable_file"),
]


@pytest.mark.parametrize(("name", "body", "media", "status", "rule"), HOSTILE, ids=[h[0] for h in HOSTILE])
async def test_a_file_that_is_not_a_register_is_a_4xx_problem(
    client: httpx.AsyncClient,
    communes: dict[str, Any],
    snapshot: Snapshot,
    name: str,
    body: bytes,
    media: str,
    status: int,
    rule: str,
) -> None:
    before = await snapshot()
    response = await client.post(URL, content=body, headers={"Content-Type": media}, params={"mode": "commit"})
    assert_problem(response, status, rule)
    assert await snapshot() == before


async def test_bad_lines_of_ndjson_and_formulas_of_xlsx_are_row_errors(
    client: httpx.AsyncClient, communes: dict[str, Any]
) -> None:
    """A line that is not a JSON object, a number where text is expected, a lone surrogate, a NUL escape; a
    formula's cell of xlsx is its stored value (none here: xlsxwriter writes no result), never evaluated."""
    lines = [
        b"not json",
        b"[1, 2]",
        b'{"full_name": "\\ud800", "gender": "male"}',
        b'{"full_name": "A", "citizen_id": 1090001111}',
        b'{"full_name": "A\\u0000B", "gender": "male"}',
    ]
    response = await client.post(URL, content=b"\n".join(lines), headers={"Content-Type": NDJSON})
    # a NUL escape refuses the file (PostgreSQL cannot store it); without it, each bad line is its row's error
    assert_problem(response, 422, "unreadable_file")
    response = await client.post(URL, content=b"\n".join(lines[:4]), headers={"Content-Type": NDJSON})
    assert response.status_code == 200, response.text
    assert [(e["row"], e["rule"]) for e in response.json()["errors"]] == [
        (1, "unreadable_row"),
        (2, "unreadable_row"),
        (3, "unreadable_row"),
        (4, "not_text"),
    ]
    formula = await client.post(URL, content=_xlsx_with_formula(), headers={"Content-Type": XLSX})
    assert formula.status_code == 200, formula.text
    assert formula.json()["counts"]["failed"] == 1


@pytest.fixture
async def small_import_client(
    database_url: str, db_pool: asyncpg.Pool, client_with: ClientWith, insert_key: InsertKey
) -> AsyncIterator[httpx.AsyncClient]:
    settings = Settings(
        database_url=database_url,
        max_body_bytes=200,
        import_job_max_bytes=5000,
        import_sync_max_rows=3,
        worker_in_serve=False,
        json_logs=False,
    )
    app = create_app(settings, database_url=database_url)
    token = await insert_key(name="small import admin")
    async with app.router.lifespan_context(app), client_with(app, token) as client:
        yield client


async def test_the_limits_of_an_import_answered_at_once(small_import_client: httpx.AsyncClient) -> None:
    """A file over COSO_IMPORT_JOB_MAX_BYTES is a 413 before it is read; over COSO_IMPORT_SYNC_MAX_ROWS a
    background job (202, tests/jobs). Other bodies keep COSO_MAX_BODY_BYTES (the import's limit is the import's
    only)."""
    big = await small_import_client.post(URL, content=HEADER + GOOD * 200, headers={"Content-Type": CSV})
    assert_problem(big, 413, "body_too_large")
    many = await small_import_client.post(URL, content=HEADER + GOOD * 4, headers={"Content-Type": CSV})
    assert many.status_code == 202, many.text
    assert many.headers["location"] == f"/api/v1/jobs/{many.json()['id']}"
    three = await small_import_client.post(URL, content=HEADER + GOOD * 3, headers={"Content-Type": CSV})
    assert three.status_code == 200 and len(HEADER + GOOD * 3) > 200
    other = await small_import_client.post(
        "/api/v1/organizations", json={"code": "X", "name": "N" * 300, "kind": "provincial_committee"}
    )
    assert_problem(other, 413, "body_too_large")
