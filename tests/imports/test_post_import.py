"""POST /api/v1/members/posts/import: public posts members hold, through the rules of POST /members/{id}/posts; a
post already recorded is `unchanged`, or ended by a row that gives its end."""

from typing import Any

import httpx
import pytest

from tests.support.builders import AddMember, Snapshot
from tests.support.import_files import FORMATS, csv_bytes, rules, upload

URL = "/api/v1/members/posts/import"
HEADER = ["Mã đảng viên (id)", "Họ và tên", "Chức vụ", "Nơi đảm nhiệm", "Chi bộ", "Từ ngày", "Đến ngày"]


@pytest.fixture
async def people(communes: dict[str, Any], add_member: AddMember) -> dict[str, str]:
    return {
        "an": await add_member(communes["A-DU-CB"], "Nguyễn Văn An"),
        "binh": await add_member(communes["A-DU-CB"], "Lê Văn Bình"),
    }


def _rows(people: dict[str, str]) -> list[list[str]]:
    return [
        [people["an"], "Nguyễn Văn An", "Trưởng thôn (bản, ấp, buôn, làng)", "", "A-DU-CB", "01/01/2024", ""],
        [people["binh"], "Lê Văn Bình", "commune_chair", "Xã A", "", "2024-06-01", ""],
    ]


async def test_posts_in_every_format_then_again_unchanged_then_ended(
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
    held = (await client.get(f"/api/v1/members/{people['an']}/positions")).json()
    assert "village_head" in str(held)
    after = await snapshot()
    again = await upload(client, URL, csv_bytes(HEADER, _rows(people)), mode="commit")
    assert again.json()["counts"] == {"rows": 2, "created": 0, "updated": 0, "unchanged": 2, "failed": 0}
    assert await snapshot() == after
    ended = [[people["binh"], "", "commune_chair", "", "", "2024-06-01", "2025-06-01"]]
    response = await upload(client, URL, csv_bytes(HEADER, ended), mode="commit")
    assert response.json()["counts"]["updated"] == 1, response.text


async def test_each_rule_is_a_row_error(
    client: httpx.AsyncClient, communes: dict[str, Any], people: dict[str, str]
) -> None:
    header = ["member_id", "post", "place", "organization", "valid_from"]
    rows = [
        [people["an"], "village_head", "", "A-DU-CB", "2024-01-01"],  # good
        [people["binh"], "village_head", "", "A-DU-CB", "2024-03-01"],  # a second head of the same village
        [people["binh"], "commune_chair", "", "", "2024-01-01"],  # held nowhere
        [people["binh"], "Thủ tướng", "Xã A", "", "2024-01-01"],  # no such post
        ["0b8f7a6e-0000-4000-8000-000000000000", "commune_chair", "Xã A", "", "2024-01-01"],  # no such member
        [people["binh"], "commune_chair", "Xã A", "KHONG-CO", "2024-01-01"],  # no such unit
    ]
    response = await upload(client, URL, csv_bytes(header, rows), mode="commit", atomic="false")
    report = response.json()
    assert report["counts"] == {"rows": 6, "created": 1, "updated": 0, "unchanged": 0, "failed": 5}, response.text
    assert rules(report) == [
        (2, "post", "post_taken"),
        (3, "place", "post_place"),
        (4, "post", "invalid_value"),
        (5, "member_id", "member_not_found"),
        (6, "organization", "organization_not_found"),
    ]
