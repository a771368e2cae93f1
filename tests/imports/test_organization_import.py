"""POST /api/v1/organizations/import: upsert by id, code or external id through the rules of POST and PATCH
/organizations; a move or an end is a reorganisation's, never a file's."""

from typing import Any

import httpx
from fastapi import FastAPI

from tests.support.builders import ClientWith, CountRows, InsertKey, Snapshot
from tests.support.import_files import CSV, FORMATS, NDJSON, XLSX, csv_bytes, rules, upload
from tests.support.problems import assert_problem

URL = "/api/v1/organizations/import"
VIETNAMESE = [
    "Mã tổ chức",
    "Tên tổ chức đảng",
    "Loại tổ chức đảng",
    "Loại hình",
    "Mã tổ chức cấp trên",
    "Ngày thành lập",
]
# The child before its parent: the import creates the parent first.
ROWS = [
    ["A-MOI-CB1", "Chi bộ Thôn 1", "Chi bộ trực thuộc", "Thôn", "A-MOI", "01/07/2025"],
    ["A-MOI", "Đảng bộ Trường mới", "Đảng bộ cơ sở", "Trường học", "A", "2025-07-01"],
]


async def test_a_parent_and_its_child_in_one_file_in_every_format(
    client: httpx.AsyncClient, communes: dict[str, Any], snapshot: Snapshot
) -> None:
    before = await snapshot()
    for name, (build, media) in FORMATS.items():
        response = await upload(client, URL, build(VIETNAMESE, ROWS), media)
        assert response.status_code == 200, (name, response.text)
        assert response.json()["counts"] == {"rows": 2, "created": 2, "updated": 0, "unchanged": 0, "failed": 0}
    assert await snapshot() == before  # validate writes nothing
    committed = await upload(client, URL, csv_bytes(VIETNAMESE, ROWS), mode="commit")
    assert committed.json()["committed"] is True, committed.text
    child = (await client.get("/api/v1/organizations/by_code/A-MOI-CB1")).json()
    parent = (await client.get("/api/v1/organizations/by_code/A-MOI")).json()
    assert (child["kind"], child["category"], child["parent_id"], child["valid_from"]) == (
        "subordinate_cell",
        "village",
        parent["id"],
        "2025-07-01",
    )
    assert (parent["kind"], parent["parent_id"]) == ("grassroots_committee", communes["A"]["id"])
    audit = (await client.get("/api/v1/audit", params={"entity": "organization"})).json()["items"]
    assert sum(1 for e in audit if e["action"] == "create") == 9  # the 7 units of the world and these 2


async def test_reimporting_the_export_changes_nothing(client: httpx.AsyncClient, communes: dict[str, Any]) -> None:
    for fmt, media in (("csv", CSV), ("xlsx", XLSX), ("ndjson", NDJSON)):
        exported = await client.get("/api/v1/organizations", params={"format": fmt, "within": communes["A"]["id"]})
        assert exported.status_code == 200, exported.text
        again = await upload(client, URL, exported.content, media, mode="commit")
        assert again.status_code == 200, (fmt, again.text)
        assert again.json()["counts"] == {"rows": 3, "created": 0, "updated": 0, "unchanged": 3, "failed": 0}, fmt


async def test_rows_naming_a_unit_correct_it_as_patch_does(client: httpx.AsyncClient, communes: dict[str, Any]) -> None:
    """By code, by id, by external id: the fields that differ; external ids are added, never dropped."""
    header = ["code", "name", "external_ids"]
    by_code = await upload(client, URL, csv_bytes(header, [["A-DU", "Đảng bộ Trường A (mới)", ""]]), mode="commit")
    assert by_code.json()["counts"]["updated"] == 1, by_code.text
    by_external = await upload(
        client, URL, csv_bytes(["external_ids", "category"], [["csdl:B-DU", "school"]]), mode="commit"
    )
    assert by_external.json()["counts"]["updated"] == 1, by_external.text
    by_id = await upload(
        client, URL, csv_bytes(["id", "external_ids"], [[communes["A"]["id"], "khac:9"]]), mode="commit"
    )
    assert by_id.json()["counts"]["updated"] == 1, by_id.text
    assert (await client.get("/api/v1/organizations/by_code/A-DU")).json()["name"] == "Đảng bộ Trường A (mới)"
    assert (await client.get("/api/v1/organizations/by_code/B-DU")).json()["category"] == "school"
    assert (await client.get(f"/api/v1/organizations/{communes['A']['id']}")).json()["external_ids"] == [
        "csdl:A",
        "khac:9",
    ]


async def test_each_rule_is_a_row_error_and_the_good_rows_are_written(
    client: httpx.AsyncClient, communes: dict[str, Any], count_rows: CountRows
) -> None:
    header = ["code", "name", "kind", "parent_code", "valid_to", "valid_from"]
    rows = [
        ["A-DU", "", "", "B", "", ""],  # a move
        ["A-DU-CB", "", "", "", "2025-01-01", ""],  # an end
        ["X-1", "Chi bộ X", "subordinate_cell", "KHONG-CO", "", ""],  # no such parent
        ["X-2", "Chi bộ X2", "chi bo la", "A-DU", "", ""],  # no such kind
        ["X-3", "", "subordinate_cell", "A-DU", "", ""],  # a new unit without a name
        ["X-4", "Tổ đảng", "party_group", "A-DU", "", ""],  # a kind that may not sit there
        ["X-5", "Chi bộ mới", "subordinate_cell", "A-DU", "", "31/02/2025"],  # no such date
        ["X-6", "Chi bộ mới", "subordinate_cell", "A-DU", "", ""],  # good
        ["X-6", "Chi bộ lặp", "subordinate_cell", "A-DU", "", ""],  # twice in the file
        ["X-7", "Chi bộ", "subordinate_cell", "A-DU", "2026-01-01", ""],  # created already ended
    ]
    before = await count_rows("organizations")
    response = await upload(client, URL, csv_bytes(header, rows), mode="commit", atomic="false")
    report = response.json()
    assert report["counts"] == {"rows": 10, "created": 1, "updated": 0, "unchanged": 0, "failed": 9}, response.text
    assert rules(report) == [
        (1, "parent_code", "changes_through_reorganization"),
        (2, "valid_to", "changes_through_reorganization"),
        (3, "parent_code", "parent_not_found"),
        (4, "kind", "invalid_value"),
        (5, "name", "required"),
        (6, "kind", "parent_kind_not_allowed"),
        (7, "valid_from", "invalid_date"),
        (9, "code", "duplicate_in_file"),
        (10, "valid_to", "changes_through_reorganization"),
    ]
    assert f"/api/v1/organizations/{communes['A-DU']['id']}/move" in report["errors"][0]["message"]
    assert "/dissolve" in report["errors"][1]["message"]
    assert await count_rows("organizations") == before + 1


async def test_atomic_commit_writes_nothing_when_one_row_fails(
    client: httpx.AsyncClient, communes: dict[str, Any], snapshot: Snapshot
) -> None:
    before = await snapshot()
    rows = [*ROWS, ["A-X", "Chi bộ", "subordinate_cell", "", "KHONG-CO", ""]]
    response = await upload(client, URL, csv_bytes(VIETNAMESE, rows), mode="commit")
    body = assert_problem(response, 422, "import_rejected")
    assert body["report"]["counts"]["failed"] == 1 and body["report"]["counts"]["created"] == 2
    assert await snapshot() == before


async def test_a_key_of_commune_a_cannot_import_into_commune_b(
    app: FastAPI,
    client: httpx.AsyncClient,
    communes: dict[str, Any],
    client_with: ClientWith,
    insert_key: InsertKey,
    snapshot: Snapshot,
) -> None:
    token = await insert_key(role="editor", scopes=[communes["A"]["id"]], pii=False)
    header = ["id", "code", "name", "kind", "parent_code"]
    rows = [
        [communes["B-DU"]["id"], "", "Đổi tên B", "", ""],  # B's unit by id
        ["", "B-DU-CB2", "Chi bộ mới của B", "subordinate_cell", "B-DU"],  # under B's unit
        ["", "A-DU-CB2", "Chi bộ mới của A", "subordinate_cell", "A-DU"],  # A's: written
    ]
    async with client_with(app, token) as a:
        exported = await a.get("/api/v1/organizations", params={"format": "csv"})
        again = await upload(a, URL, exported.content, mode="commit")
        before = await snapshot()
        response = await upload(a, URL, csv_bytes(header, rows), mode="commit", atomic="false")
    # the scope's own export goes back unchanged, its top unit's parent (outside the scope) included
    assert again.json()["counts"] == {"rows": 3, "created": 0, "updated": 0, "unchanged": 3, "failed": 0}, again.text
    report = response.json()
    assert rules(report) == [(1, "id", "organization_not_found"), (2, "parent_code", "parent_not_found")]
    assert report["counts"]["created"] == 1
    assert "B-DU" not in str(report["errors"][0]["message"])
    assert (await client.get("/api/v1/organizations/by_code/B-DU")).json()["name"] == "Đảng bộ Trường B"
    assert (await client.get("/api/v1/organizations/by_code/B-DU-CB2")).status_code == 404
    assert await snapshot() != before


async def test_the_template_and_the_file_with_its_errors(client: httpx.AsyncClient, communes: dict[str, Any]) -> None:
    template = await client.get(f"{URL}/template", params={"format": "csv"})
    assert template.status_code == 200
    lines = template.content.decode("utf-8-sig").splitlines()
    assert lines[0].split(",")[:4] == ["id", "Mã tổ chức", "Tên tổ chức đảng", "Loại tổ chức đảng"]
    xlsx = await client.get(f"{URL}/template")
    assert xlsx.headers["content-type"] == XLSX and xlsx.content[:2] == b"PK"
    rows = [*ROWS, ["A-Y", "Chi bộ", "subordinate_cell", "", "KHONG-CO", ""]]
    back = await upload(client, URL, csv_bytes(VIETNAMESE, rows), answer="file")
    assert back.headers["content-type"].startswith(CSV)
    lines = back.content.decode("utf-8-sig").splitlines()
    assert lines[0].endswith(",Lỗi") and lines[1].endswith(",") and "Mã tổ chức cấp trên" in lines[3]
    unknown = await upload(client, URL, csv_bytes(["code", "Họ và tên"], [["A", "x"]]))
    assert_problem(unknown, 422, "unknown_columns")
