"""POST /api/v1/members/events/import: a member's history from another system, each row recorded by the rules of
POST /members/{id}/events; the same file twice records nothing twice."""

from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from tests.support.builders import ClientWith, CreateOrg, InsertKey, Snapshot
from tests.support.import_files import FORMATS, csv_bytes, rules, upload
from tests.support.problems import assert_problem

URL = "/api/v1/members/events/import"
HEADER = ["Số CCCD", "Mã hệ thống khác", "Họ và tên", "Loại sự kiện", "Ngày quyết định", "Chuyển đến", "Số quyết định"]


async def _member(client: httpx.AsyncClient, unit: dict[str, Any], name: str, citizen_id: str, external: str) -> str:
    response = await client.post(
        "/api/v1/members",
        json={
            "full_name": name,
            "gender": "male",
            "birth_date": "1980-01-01",
            "status": "official",
            "organization_id": unit["id"],
            "admission_decision_date": "2010-01-01",
            "citizen_id": citizen_id,
            "external_ids": [external],
        },
    )
    assert response.status_code == 201, response.text
    member_id: str = response.json()["id"]
    return member_id


@pytest.fixture
async def people(client: httpx.AsyncClient, communes: dict[str, Any], create_org: CreateOrg) -> dict[str, str]:
    """An and Bình in A's cell, Cường in B's; a second cell of A to transfer to."""
    await create_org(client, "A-DU-CB2", "subordinate_cell", communes["A-DU"], valid_from="2020-01-01")
    return {
        "an": await _member(client, communes["A-DU-CB"], "Nguyễn Văn An", "001080000001", "csdl:001"),
        "binh": await _member(client, communes["A-DU-CB"], "Lê Văn Bình", "001080000002", "csdl:002"),
        "cuong": await _member(client, communes["B-DU-CB"], "Trần Văn Cường", "001080000003", "csdl:003"),
    }


# An's exemption ended before it began in the file's order: the import records the history oldest first.
ROWS = [
    ["001080000001", "", "Nguyễn Văn An", "Thôi miễn sinh hoạt", "01/09/2024", "", ""],
    ["", "csdl:001", "Nguyễn Văn An", "Miễn công tác và sinh hoạt đảng", "01/03/2024", "", "12-QĐ/ĐU"],
    ["001080000002", "", "Lê Văn Bình", "transfer", "2024-05-01", "A-DU-CB2", "15-QĐ/ĐU"],
]


async def test_a_history_in_every_format_then_again_unchanged(
    client: httpx.AsyncClient, people: dict[str, str], snapshot: Snapshot
) -> None:
    before = await snapshot()
    for name, (build, media) in FORMATS.items():
        response = await upload(client, URL, build(HEADER, ROWS), media)
        assert response.status_code == 200, (name, response.text)
        assert response.json()["counts"] == {"rows": 3, "created": 3, "updated": 0, "unchanged": 0, "failed": 0}
    assert await snapshot() == before
    committed = await upload(client, URL, csv_bytes(HEADER, ROWS), mode="commit")
    assert committed.json()["counts"]["created"] == 3, committed.text
    history = (await client.get(f"/api/v1/members/{people['an']}/history")).json()["items"]
    assert [(e["kind"], e["event_date"], e["decision_ref"]) for e in history] == [
        ("registered", "2020-01-01", None),
        ("exempt", "2024-03-01", "12-QĐ/ĐU"),
        ("end_exemption", "2024-09-01", None),
    ]
    binh = (await client.get(f"/api/v1/members/{people['binh']}")).json()
    cell = (await client.get("/api/v1/organizations/by_code/A-DU-CB2")).json()
    assert binh["organization_id"] == cell["id"]
    after = await snapshot()
    again = await upload(client, URL, csv_bytes(HEADER, ROWS), mode="commit")
    assert again.json()["counts"] == {"rows": 3, "created": 0, "updated": 0, "unchanged": 3, "failed": 0}
    assert await snapshot() == after


async def test_each_rule_is_a_row_error(client: httpx.AsyncClient, people: dict[str, str]) -> None:
    header = ["member_id", "citizen_id", "kind", "date", "to_organization"]
    rows = [
        ["", "009999999999", "exempt", "2024-01-01", ""],  # no such member
        [people["an"], "", "chuyen di", "2024-01-01", ""],  # no such kind
        [people["an"], "", "exempt", "", ""],  # no date
        [people["an"], "", "end_exemption", "2024-02-01", ""],  # not exempt: the lifecycle refuses
        [people["an"], "", "transfer", "2024-02-01", "KHONG-CO"],  # no such unit
        ["", "", "exempt", "2024-02-01", ""],  # no member named
        [people["an"], "001080000002", "exempt", "2024-02-01", ""],  # two members
        [people["an"], "", "die", "30/02/2024", ""],  # no such day
        [people["an"], "", "exempt", "2009-06-01", ""],  # before the admission
        [people["binh"], "", "exempt", "2024-02-01", ""],  # good
    ]
    response = await upload(client, URL, csv_bytes(header, rows), mode="commit", atomic="false")
    report = response.json()
    assert report["counts"] == {"rows": 10, "created": 1, "updated": 0, "unchanged": 0, "failed": 9}, response.text
    assert rules(report) == [
        (1, "citizen_id", "member_not_found"),
        (2, "kind", "invalid_value"),
        (3, "date", "required"),
        (4, "kind", "not_exempt"),
        (5, "to_organization", "organization_not_found"),
        (6, "member_id", "required"),
        (7, "external_id", "ambiguous_match"),
        (8, "date", "invalid_date"),
        (9, "date", "out_of_order"),  # the record's registration (2020) is its first event
    ]
    assert all("009999999999" not in e["message"] for e in report["errors"])


async def test_discipline_and_citizen_ids_need_pii(
    app: FastAPI, people: dict[str, str], client_with: ClientWith, insert_key: InsertKey
) -> None:
    token = await insert_key(role="editor", pii=False)
    async with client_with(app, token) as c:
        refused = await upload(
            c, URL, csv_bytes(["citizen_id", "kind", "date"], [["001080000001", "die", "2024-01-01"]])
        )
        assert_problem(refused, 403, "pii_required")
        response = await upload(
            c, URL, csv_bytes(["member_id", "kind", "date"], [[people["an"], "Đình chỉ sinh hoạt", "2024-01-01"]])
        )
    assert rules(response.json()) == [(1, "kind", "pii_required")]


async def test_a_key_of_commune_a_cannot_record_b_s_history(
    app: FastAPI,
    client: httpx.AsyncClient,
    communes: dict[str, Any],
    people: dict[str, str],
    client_with: ClientWith,
    insert_key: InsertKey,
    snapshot: Snapshot,
) -> None:
    token = await insert_key(role="editor", scopes=[communes["A"]["id"]], pii=True)
    header = ["member_id", "external_id", "kind", "date"]
    rows = [
        [people["cuong"], "", "exempt", "2024-01-01"],
        ["", "csdl:003", "exempt", "2024-01-01"],
        [people["an"], "", "exempt", "2024-01-01"],
    ]
    async with client_with(app, token) as a:
        before = await snapshot()
        response = await upload(a, URL, csv_bytes(header, rows), mode="commit", atomic="false")
    report = response.json()
    assert rules(report) == [(1, "member_id", "member_not_found"), (2, "external_id", "member_not_found")]
    assert report["counts"]["created"] == 1
    assert await snapshot() != before
    history = (await client.get(f"/api/v1/members/{people['cuong']}/history")).json()["items"]
    assert [e["kind"] for e in history] == ["registered"]


async def test_the_template(client: httpx.AsyncClient) -> None:
    template = await client.get(f"{URL}/template", params={"format": "csv"})
    header = template.content.decode("utf-8-sig").splitlines()[0].split(",")
    assert header[:6] == ["Mã đảng viên (id)", "Số CCCD", "Mã hệ thống khác", "Họ và tên", "Loại sự kiện", "Ngày"]
