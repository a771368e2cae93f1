"""POST /api/v1/organizations/positions/import: leadership seats through the rules of POST
/organizations/{id}/positions; a seat already recorded is `unchanged`, or ended by a row that gives its end."""

from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from tests.support.builders import AddMember, ClientWith, InsertKey, Snapshot
from tests.support.import_files import FORMATS, csv_bytes, rules, upload

URL = "/api/v1/organizations/positions/import"
HEADER = ["Mã đảng viên (id)", "Họ và tên", "Chi bộ", "Chức vụ", "Từ ngày", "Đến ngày"]


@pytest.fixture
async def people(communes: dict[str, Any], add_member: AddMember) -> dict[str, str]:
    return {
        "an": await add_member(communes["A-DU-CB"], "Nguyễn Văn An"),
        "binh": await add_member(communes["A-DU-CB"], "Lê Văn Bình"),
        "chi": await add_member(communes["A-DU-CB"], "Đỗ Thị Chi"),
        "cuong": await add_member(communes["B-DU-CB"], "Trần Văn Cường"),
    }


def _rows(people: dict[str, str]) -> list[list[str]]:
    # The later term first in the file: the import seats by start date.
    return [
        [people["binh"], "Lê Văn Bình", "A-DU-CB", "Bí thư", "01/01/2025", ""],
        [people["an"], "Nguyễn Văn An", "A-DU-CB", "Bí thư", "01/01/2020", "01/01/2025"],
        [people["chi"], "Đỗ Thị Chi", "A-DU-CB", "Phó Bí thư", "01/01/2025", ""],
    ]


async def test_seats_in_every_format_then_again_unchanged_then_ended(
    client: httpx.AsyncClient, communes: dict[str, Any], people: dict[str, str], snapshot: Snapshot
) -> None:
    before = await snapshot()
    for name, (build, media) in FORMATS.items():
        response = await upload(client, URL, build(HEADER, _rows(people)), media)
        assert response.status_code == 200, (name, response.text)
        assert response.json()["counts"] == {"rows": 3, "created": 3, "updated": 0, "unchanged": 0, "failed": 0}
    assert await snapshot() == before
    committed = await upload(client, URL, csv_bytes(HEADER, _rows(people)), mode="commit")
    assert committed.json()["counts"]["created"] == 3, committed.text
    seats = (await client.get(f"/api/v1/members/{people['an']}/positions")).json()
    assert "secretary" in str(seats) and "2025-01-01" in str(seats)
    after = await snapshot()
    again = await upload(client, URL, csv_bytes(HEADER, _rows(people)), mode="commit")
    assert again.json()["counts"] == {"rows": 3, "created": 0, "updated": 0, "unchanged": 3, "failed": 0}
    assert await snapshot() == after
    ended = [[people["binh"], "", "A-DU-CB", "secretary", "2025-01-01", "2026-01-01"]]
    response = await upload(client, URL, csv_bytes(HEADER, ended), mode="commit")
    assert response.json()["counts"]["updated"] == 1, response.text
    moved = [[people["binh"], "", "A-DU-CB", "secretary", "2025-01-01", "2026-06-01"]]
    refused = await upload(client, URL, csv_bytes(HEADER, moved), mode="commit", atomic="false")
    assert rules(refused.json()) == [(1, "Đến ngày", "seat_ended_otherwise")]


async def test_each_rule_is_a_row_error(
    client: httpx.AsyncClient, communes: dict[str, Any], people: dict[str, str]
) -> None:
    header = ["member_id", "organization", "position", "valid_from"]
    rows = [
        [people["an"], "A-DU-CB", "secretary", "2024-01-01"],  # good
        [people["binh"], "A-DU-CB", "Bí thư", "2024-06-01"],  # a second secretary at once
        [people["chi"], "A-DU-CB", "Chủ tịch", "2024-01-01"],  # no such position
        [people["chi"], "KHONG-CO", "Phó Bí thư", "2024-01-01"],  # no such unit
        [people["chi"], "A-DU-CB", "Phó Bí thư", ""],  # no start
        [people["cuong"], "A-DU-CB", "Phó Bí thư", "2024-01-01"],  # not a member of the cell
        [people["chi"], "A-DU-CB", "group_leader", "2024-01-01"],  # a group's seat in a cell
    ]
    response = await upload(client, URL, csv_bytes(header, rows), mode="commit", atomic="false")
    report = response.json()
    assert report["counts"] == {"rows": 7, "created": 1, "updated": 0, "unchanged": 0, "failed": 6}, response.text
    assert rules(report) == [
        (2, "position", "one_secretary_at_a_time"),
        (3, "position", "invalid_value"),
        (4, "organization", "organization_not_found"),
        (5, "valid_from", "required"),
        (6, "member_id", "not_a_member_of_organization"),
        (7, "position", "group_seat_outside_party_group"),
    ]


async def test_a_key_of_commune_a_cannot_seat_in_commune_b(
    app: FastAPI,
    communes: dict[str, Any],
    people: dict[str, str],
    client_with: ClientWith,
    insert_key: InsertKey,
    snapshot: Snapshot,
) -> None:
    token = await insert_key(role="editor", scopes=[communes["A"]["id"]], pii=False)
    header = ["member_id", "organization", "position", "valid_from"]
    rows = [
        [people["cuong"], "B-DU-CB", "secretary", "2024-01-01"],
        [people["cuong"], "A-DU-CB", "secretary", "2024-01-01"],
        [people["an"], communes["B-DU-CB"]["id"], "secretary", "2024-01-01"],
    ]
    async with client_with(app, token) as a:
        before = await snapshot()
        response = await upload(a, URL, csv_bytes(header, rows), mode="commit", atomic="false")
    assert [rule for _, _, rule in rules(response.json())] == [
        "organization_not_found",
        "member_not_found",
        "organization_not_found",
    ], response.text
    assert await snapshot() == before
