"""GET /api/v1/organizations?format=csv|xlsx|ndjson: the whole listing (its filters, scope, structure date) as a
file in tree order, each unit with its parent's id and code."""

import csv
import io
from typing import Any

import httpx
import orjson
import pytest
import python_calamine
from fastapi import FastAPI

from tests.support.builders import ClientWith, InsertKey
from tests.support.problems import assert_problem

URL = "/api/v1/organizations"
COLUMNS = [
    "id",
    "code",
    "name",
    "kind",
    "category",
    "parent_id",
    "parent_code",
    "depth",
    "valid_from",
    "valid_to",
    "external_ids",
]


def _table(fmt: str, body: bytes) -> list[dict[str, Any]]:
    if fmt == "csv":
        return list(csv.DictReader(io.StringIO(body.decode("utf-8-sig"))))
    if fmt == "xlsx":
        rows = python_calamine.CalamineWorkbook.from_filelike(io.BytesIO(body)).get_sheet_by_index(0).to_python()
        return [dict(zip([str(h) for h in rows[0]], row, strict=True)) for row in rows[1:]]
    return [orjson.loads(line) for line in body.splitlines()]


async def _json_ids(client: httpx.AsyncClient, **params: Any) -> list[str]:
    found: list[str] = []
    cursor = None
    while True:
        page = await client.get(URL, params={**params, "limit": 3, **({"cursor": cursor} if cursor else {})})
        assert page.status_code == 200, page.text
        found += [o["id"] for o in page.json()["items"]]
        cursor = page.json()["next_cursor"]
        if cursor is None:
            return found


@pytest.mark.parametrize("fmt", ["csv", "xlsx", "ndjson"])
async def test_an_organisation_export_lists_the_json_lists_units_with_their_parents_code(
    client: httpx.AsyncClient,
    app: FastAPI,
    communes: dict[str, Any],
    client_with: ClientWith,
    insert_key: InsertKey,
    fmt: str,
) -> None:
    whole = await client.get(URL, params={"format": fmt})
    assert whole.status_code == 200, whole.text
    rows = _table(fmt, whole.content)
    assert list(rows[0]) == COLUMNS
    assert [str(r["id"]) for r in rows] == await _json_ids(client)
    cell = next(r for r in rows if r["code"] == "A-DU-CB")
    assert (cell["parent_code"], str(cell["parent_id"]), str(cell["depth"])) == ("A-DU", communes["A-DU"]["id"], "3")
    du = next(r for r in rows if r["code"] == "A-DU")
    assert du["external_ids"] in ("csdl:A-DU", ["csdl:A-DU"])
    for params in (
        {"within": communes["A"]["id"]},
        {"parent_id": communes["P"]["id"]},
        {"kind": "subordinate_cell"},
        {"q": "xã"},
        {"as_of": "2024-01-01"},
    ):
        exported = await client.get(URL, params={**params, "format": fmt})
        assert exported.status_code == 200, (params, exported.text)
        ids = [str(r["id"]) for r in _table(fmt, exported.content)]
        expected = await _json_ids(client, **params)
        assert expected, params
        assert sorted(ids) == sorted(expected), params
    token = await insert_key(role="viewer", scopes=[communes["B"]["id"]], pii=False)
    async with client_with(app, token) as b_viewer:
        mine = await b_viewer.get(URL, params={"format": fmt})
        assert {r["code"] for r in _table(fmt, mine.content)} == {"B", "B-DU", "B-DU-CB"}
        assert mine.headers["content-disposition"].startswith('attachment; filename="organizations_B_')
        assert_problem(await b_viewer.get(URL, params={"format": fmt, "within": communes["A"]["id"]}), 422)


async def test_an_organisation_export_is_named_and_negotiated(
    client: httpx.AsyncClient, communes: dict[str, Any]
) -> None:
    response = await client.get(URL, headers={"Accept": "text/csv"}, params={"within": communes["A"]["id"]})
    assert response.headers["content-type"] == "text/csv; charset=utf-8"
    assert response.content.startswith(b"\xef\xbb\xbf")
    assert response.headers["content-disposition"].startswith('attachment; filename="organizations_A_20')
    dated = await client.get(URL, params={"format": "xlsx", "as_of": "2024-01-01"})
    assert dated.headers["content-disposition"] == 'attachment; filename="organizations_all_2024-01-01.xlsx"'
    assert_problem(await client.get(URL, params={"format": "ndjson", "cursor": "x"}), 422, "export_not_paged")
    assert_problem(await client.get(URL, params={"format": "docx"}), 422)


def test_a_code_in_a_file_name_is_plain_and_no_path() -> None:
    from app.domain.exports.files import safe_name

    assert safe_name("ĐB-Hà Nội/01") == "DB-Ha-Noi-01"
    assert safe_name("../..") == ""
