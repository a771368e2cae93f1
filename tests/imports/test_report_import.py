"""POST /api/v1/tasks/reports/import: progress reports on plan tasks, each row through the single endpoint's
POST /tasks/{id}/reports with its rules; a report already recorded (same task, body, organisation, date, year) is
`unchanged`, so a file imported twice adds nothing."""

import csv
import io
import zipfile
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from app.demo.plan import plan_text
from tests.support.builders import ClientWith, CreateOrg, InsertKey, Snapshot
from tests.support.import_files import CSV, FORMATS, XLSX, csv_bytes, rules, upload
from tests.support.problems import assert_problem

URL = "/api/v1/tasks/reports/import"
PLANS = "/api/v1/plans"
SEED_TEXT: str | None = plan_text()
HEADER = ["Số hiệu kế hoạch", "Số thứ tự", "Nội dung", "Cơ quan báo cáo", "Ngày báo cáo", "Tình trạng", "Năm"]
NO_TASK = "0b8f7a6e-0000-4000-8000-000000000000"


@pytest.fixture
async def town(client: httpx.AsyncClient, create_org: CreateOrg) -> dict[str, Any]:
    province = await create_org(client, "T", "provincial_committee", valid_from="2020-01-01", name="Đảng bộ tỉnh")
    return await create_org(
        client, "TX", "upper_level_committee", province, valid_from="2020-01-01", name="Đảng bộ thị xã"
    )


@pytest.fixture
async def tasks(client: httpx.AsyncClient, town: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """Seed 004 imported as plan 211-KH/TU of town TX: its tasks by code."""
    assert SEED_TEXT is not None, "seed 004 is in ../shared/seeds"
    imported = await client.post(
        f"{PLANS}/import",
        params={"organization_id": town["id"], "commit": True, "code": "211-KH/TU", "status": "issued"},
        content=SEED_TEXT.encode(),
        headers={"Content-Type": "text/plain; charset=utf-8"},
    )
    assert imported.status_code == 201, imported.text
    listed = await client.get(f"{PLANS}/{imported.json()['plan_id']}/tasks")
    return {t["code"]: t for t in listed.json()["items"]}


def _body(task: dict[str, Any], role: str) -> dict[str, Any]:
    return next(a for a in task["assignments"] if a["role"] == role)


def _rows(tasks: dict[str, dict[str, Any]]) -> list[list[str]]:
    """A one-off task by plan and task number with its body's name; a yearly one by its number, its year given."""
    a, yearly = tasks["2.1.1.a"], tasks["2.2.6"]
    return [
        ["211-KH/TU", "2.1.1.a", a["title"], _body(a, "advisory")["body"].upper(), "01/06/2023", "Đã hoàn thành", ""],
        ["211-KH/TU", "2.2.6", "", yearly["assignments"][0]["body"], "2023-12-20", "in_progress", "2023"],
    ]


async def _task(client: httpx.AsyncClient, task_id: str) -> dict[str, Any]:
    got: dict[str, Any] = (await client.get(f"/api/v1/tasks/{task_id}")).json()
    return got


async def test_reports_in_every_format_then_again_unchanged(
    client: httpx.AsyncClient, tasks: dict[str, dict[str, Any]], snapshot: Snapshot
) -> None:
    before = await snapshot()
    for name, (build, media) in FORMATS.items():
        response = await upload(client, URL, build(HEADER, _rows(tasks)), media)
        assert response.status_code == 200, (name, response.text)
        assert response.json()["counts"] == {"rows": 2, "created": 2, "updated": 0, "unchanged": 0, "failed": 0}
        assert response.json()["kind"] == "task_reports" and response.json()["errors"] == []
    assert await snapshot() == before
    committed = await upload(client, URL, csv_bytes(HEADER, _rows(tasks)), mode="commit")
    assert committed.json()["counts"]["created"] == 2, committed.text
    a = await _task(client, tasks["2.1.1.a"]["id"])
    assert [(r["body_id"], r["reported_on"], r["status"], r["period_year"]) for r in a["reports"]] == [
        (_body(tasks["2.1.1.a"], "advisory")["body_id"], "2023-06-01", "done", None)
    ]
    assert a["version"] == tasks["2.1.1.a"]["version"] + 1
    yearly = await _task(client, tasks["2.2.6"]["id"])
    assert [(r["period_year"], r["status"]) for r in yearly["reports"]] == [(2023, "in_progress")]
    audit = (await client.get("/api/v1/audit", params={"entity": "task"})).json()["items"]
    assert sorted(e["action"] for e in audit) == ["report", "report"]
    after = await snapshot()
    # Again, by id this time, the yearly one without its year (the report's year, as the endpoint defaults it).
    by_id = [
        [tasks["2.1.1.a"]["id"], _body(tasks["2.1.1.a"], "advisory")["body_id"], "2023-06-01", "done", ""],
        [tasks["2.2.6"]["id"], tasks["2.2.6"]["assignments"][0]["body"], "20/12/2023", "Đang thực hiện", ""],
    ]
    for header_row, rows in (
        (HEADER, _rows(tasks)),
        (["task_id", "body", "reported_on", "status", "period_year"], by_id),
    ):
        again = await upload(client, URL, csv_bytes(header_row, rows), mode="commit")
        assert again.json()["counts"] == {"rows": 2, "created": 0, "updated": 0, "unchanged": 2, "failed": 0}
    assert await snapshot() == after
    # The same key with another status is not rewritten: a row error naming the column.
    other = [["211-KH/TU", "2.1.1.a", "", _body(tasks["2.1.1.a"], "advisory")["body"], "01/06/2023", "blocked", ""]]
    refused = await upload(client, URL, csv_bytes(HEADER, other), mode="commit", atomic="false")
    assert rules(refused.json()) == [(1, "Tình trạng", "report_recorded_otherwise")]
    assert await snapshot() == after


def _bad_rows(tasks: dict[str, dict[str, Any]], outsider_body: str) -> tuple[list[str], list[list[str]]]:
    a, yearly = tasks["2.1.1.a"], tasks["2.2.6"]
    advisory = _body(a, "advisory")["body"]
    header = ["task_id", "plan_code", "task_code", "body", "reported_on", "status", "period_year", "evidence_ref"]
    return header, [
        [NO_TASK, "", "", advisory, "2023-06-01", "done", "", ""],  # 1 no such task
        ["", "211-KH/TU", "9.9.9", advisory, "2023-06-01", "done", "", ""],  # 2 no such task number
        ["", "211-KH/TU", "2.1.1.a", "", "2023-06-01", "done", "", ""],  # 3 no body
        ["", "211-KH/TU", "2.1.1.a", "Ban Không Có", "2023-06-01", "done", "", ""],  # 4 not a body of the task
        ["", "211-KH/TU", "2.1.1.a", outsider_body, "2023-06-01", "done", "", ""],  # 5 a body, not this task's
        ["", "211-KH/TU", "2.1.1.a", advisory, "31/02/2023", "done", "", ""],  # 6 no such date
        ["", "211-KH/TU", "2.1.1.a", advisory, "2023-06-04", "xong", "", ""],  # 7 no such status
        ["", "211-KH/TU", "2.1.1.a", advisory, "2023-06-02", "done", "2023", ""],  # 8 a year on a one-off task
        ["", "211-KH/TU", "2.1.1.a", advisory, "", "done", "", ""],  # 9 no date
        ["", "211-KH/TU", "2.1.1.a", advisory, "2023-06-03", "", "", ""],  # 10 no status
        ["", "", "", advisory, "2023-06-01", "done", "", ""],  # 11 no task named
        [a["id"], "211-KH/TU", "2.2.6", advisory, "2023-06-01", "done", "", ""],  # 12 id and numbers disagree
        ["", "211-KH/TU", "2.1.1.a", advisory, "2023-06-01", "done", "", "45-BC"],  # 13 good
        ["", "211-KH/TU", "2.1.1.a", advisory.lower(), "01/06/2023", "Đã hoàn thành", "", ""],  # 14 13 again
        ["", "211-KH/TU", "2.2.6", yearly["assignments"][0]["body"], "2023-12-20", "done", "1999", ""],  # 15 year
    ]


BAD_RULES = [
    (1, "task_id", "task_not_found"),
    (2, "task_code", "task_not_found"),
    (3, "body", "required"),
    (4, "body", "not_assigned"),
    (5, "body", "not_assigned"),
    (6, "reported_on", "invalid_date"),
    (7, "status", "invalid_value"),
    (8, "period_year", "period_not_recurring"),
    (9, "reported_on", "required"),
    (10, "status", "required"),
    (11, "task_id", "required"),
    (12, "task_code", "ambiguous_match"),
    (14, "reported_on", "duplicate_in_file"),
    (15, "period_year", "validation_error"),
]


async def _outsider_body(client: httpx.AsyncClient, tasks: dict[str, dict[str, Any]]) -> str:
    mine = {a["body_id"] for a in tasks["2.1.1.a"]["assignments"]}
    found = (await client.get("/api/v1/bodies", params={"limit": 500})).json()["items"]
    return str(next(b["id"] for b in found if b["id"] not in mine))


async def test_each_rule_is_a_row_error_in_every_format(
    client: httpx.AsyncClient, tasks: dict[str, dict[str, Any]], snapshot: Snapshot
) -> None:
    header, rows = _bad_rows(tasks, await _outsider_body(client, tasks))
    before = await snapshot()
    reports = {}
    for name, (build, media) in FORMATS.items():
        response = await upload(client, URL, build(header, rows), media)
        assert response.status_code == 200, (name, response.text)
        reports[name] = response.json()
        assert reports[name]["counts"] == {"rows": 15, "created": 1, "updated": 0, "unchanged": 0, "failed": 14}
        assert rules(reports[name]) == BAD_RULES, name
    assert reports["xlsx"]["errors"] == reports["csv"]["errors"]  # NDJSON numbers its lines, not rows: the same rules
    assert [e["message"] for e in reports["ndjson"]["errors"][:12]] == [
        e["message"] for e in reports["csv"]["errors"][:12]
    ]
    assert await snapshot() == before
    # Atomic: one bad row and nothing is written, the report in the problem.
    rejected = await upload(client, URL, csv_bytes(header, rows), mode="commit")
    assert_problem(rejected, 422, "import_rejected")
    assert await snapshot() == before
    # Per row: the good row is written, and only it.
    written = await upload(client, URL, csv_bytes(header, rows), mode="commit", atomic="false")
    assert written.json()["counts"]["created"] == 1 and written.json()["committed"] is True
    reports_now = (await _task(client, tasks["2.1.1.a"]["id"]))["reports"]
    assert [(r["reported_on"], r["evidence_ref"]) for r in reports_now] == [("2023-06-01", "45-BC")]
    assert (await _task(client, tasks["2.2.6"]["id"]))["reports"] == []


async def test_a_task_outside_the_scope_is_as_unknown(
    app: FastAPI,
    client: httpx.AsyncClient,
    town: dict[str, Any],
    tasks: dict[str, dict[str, Any]],
    client_with: ClientWith,
    create_org: CreateOrg,
    insert_key: InsertKey,
    snapshot: Snapshot,
) -> None:
    elsewhere = await create_org(
        client, "TZ", "upper_level_committee", {"id": town["parent_id"]}, valid_from="2020-01-01"
    )
    token = await insert_key(role="editor", scopes=[elsewhere["id"]])
    advisory = _body(tasks["2.1.1.a"], "advisory")
    header = ["task_id", "plan_code", "task_code", "body", "reported_on", "status"]
    rows = [
        [tasks["2.1.1.a"]["id"], "", "", advisory["body_id"], "2023-06-01", "done"],
        [NO_TASK, "", "", advisory["body_id"], "2023-06-01", "done"],
        ["", "211-KH/TU", "2.1.1.a", advisory["body"], "2023-06-01", "done"],
        ["", "211-KH/TU", "9.9", advisory["body"], "2023-06-01", "done"],
    ]
    before = await snapshot()
    async with client_with(app, token) as outsider:
        response = await upload(outsider, URL, csv_bytes(header, rows), mode="commit", atomic="false")
    report = response.json()
    assert report["counts"]["failed"] == 4, response.text
    assert rules(report) == [
        (1, "task_id", "task_not_found"),
        (2, "task_id", "task_not_found"),
        (3, "task_code", "task_not_found"),
        (4, "task_code", "task_not_found"),
    ]
    messages = [e["message"] for e in report["errors"]]
    assert messages[0] == messages[1] and messages[2] == messages[3]
    assert await snapshot() == before
    # The same file by a key of the town writes the one row (the others are unknown to it too).
    insider = await insert_key(role="editor", scopes=[town["id"]])
    async with client_with(app, insider) as c:
        response = await upload(c, URL, csv_bytes(header, rows), mode="commit", atomic="false")
    assert response.json()["counts"]["created"] == 1, response.text


async def test_the_template_downloads_and_imports(
    client: httpx.AsyncClient, tasks: dict[str, dict[str, Any]], snapshot: Snapshot
) -> None:
    """The template's example row names task 2.1.1.a of plan 211-KH/TU of unit TX: this world's."""
    template = await client.get(f"{URL}/template", params={"format": "csv"})
    assert template.status_code == 200, template.text
    lines = template.content.decode("utf-8-sig").splitlines()
    assert lines[0].split(",")[:4] == ["Mã nhiệm vụ", "Đơn vị ban hành", "Số hiệu kế hoạch", "Số thứ tự"]
    assert "Đã hoàn thành" in lines[1]
    xlsx = await client.get(f"{URL}/template")
    assert xlsx.status_code == 200 and xlsx.headers["content-type"].startswith(XLSX)
    with zipfile.ZipFile(io.BytesIO(xlsx.content)) as book:
        sheet = book.read("xl/worksheets/sheet1.xml").decode()
        lists = book.read("xl/worksheets/sheet2.xml").decode() + book.read("xl/sharedStrings.xml").decode()
    assert "dataValidation" in sheet and "Vướng mắc" in lists
    before = await snapshot()
    for body, media in ((template.content, CSV), (xlsx.content, XLSX)):
        response = await upload(client, URL, body, media)
        assert response.json()["counts"]["created"] == 1, response.text
    assert await snapshot() == before


async def test_the_file_comes_back_with_each_rows_errors(
    client: httpx.AsyncClient, tasks: dict[str, dict[str, Any]]
) -> None:
    """CSV in, CSV back with a column `Lỗi`; the corrected file goes back in as it is."""
    rows = _rows(tasks)
    rows[1][5] = "Xong rồi"
    back = await upload(client, URL, csv_bytes(HEADER, rows), answer="file")
    assert back.status_code == 200 and back.headers["content-type"].startswith(CSV), back.text
    lines = list(csv.reader(io.StringIO(back.content.decode("utf-8-sig"))))
    assert lines[0] == [*HEADER, "Lỗi"]
    assert lines[1][-1] == "" and "Tình trạng" in lines[2][-1]
    lines[2][5] = "Đang thực hiện"
    fixed = "\r\n".join(",".join(f'"{cell}"' for cell in line) for line in lines).encode()
    again = await upload(client, URL, fixed, mode="commit")
    assert again.json()["counts"]["created"] == 2, again.text
