"""Figures as files: member and unit statistics (one row a count, a cross-tab's second dimension beside the
first) and indicator analytics (one row a cell), the same numbers as their JSON, in scope."""

from typing import Any

import httpx
from fastapi import FastAPI

from tests.support.builders import AddMember, ClientWith, InsertKey
from tests.support.files import FORMATS, table
from tests.support.problems import assert_problem

API = "/api/v1"


async def test_statistics_export_their_counts(
    app: FastAPI,
    client: httpx.AsyncClient,
    communes: dict[str, Any],
    add_member: AddMember,
    client_with: ClientWith,
    insert_key: InsertKey,
) -> None:
    for unit, name, status in (
        ("A-DU-CB", "An", "official"),
        ("A-DU-CB", "Bình", "probationary"),
        ("B-DU-CB", "Cúc", "official"),
    ):
        await add_member(communes[unit], name, status=status)
    url = f"{API}/statistics/members"
    params = {"by": ["status", "gender"], "organization_id": communes["A"]["id"], "as_of": "2025-01-01"}
    doc = (await client.get(url, params=params)).json()
    expected = [(outer["key"], inner["key"], inner["count"]) for outer in doc["items"] for inner in outer["items"]]
    assert sum(c for _, _, c in expected) == 2
    for fmt in FORMATS:
        response = await client.get(url, params={**params, "format": fmt, "headers": "en"})
        assert response.status_code == 200, response.text
        rows = table(fmt, response.content)
        assert [(r["key"], r["key_2"], int(r["count"])) for r in rows] == expected
        assert {r["dimension"] for r in rows} == {"status"} and {r["dimension_2"] for r in rows} == {"gender"}
    assert response.headers["content-disposition"].startswith('attachment; filename="members-statistics_')
    units = await client.get(f"{API}/statistics/organizations", params={"format": "csv", "as_of": "2025-01-01"})
    counted = {r["Giá trị"]: int(r["Số lượng"]) for r in table("csv", units.content)}
    assert counted["subordinate_cell"] == 2 and counted["provincial_committee"] == 1
    b_reader = await insert_key(role="viewer", scopes=[communes["B"]["id"]], pii=False)
    async with client_with(app, b_reader) as c:
        assert_problem(await c.get(url, params={**params, "format": "csv"}), 404)
        assert_problem(await c.get(url, params={"by": "ethnicity", "format": "csv"}), 403, "pii_required")
        mine = table("ndjson", (await c.get(url, params={"format": "ndjson", "as_of": "2025-01-01"})).content)
        assert sum(r["count"] for r in mine) == 1


async def test_indicator_analytics_export_their_cells(
    client: httpx.AsyncClient, communes: dict[str, Any], add_member: AddMember
) -> None:
    await add_member(communes["A-DU-CB"], "An")
    params = {"indicator": "members", "period": "2024", "organization_id": communes["P"]["id"], "breakdown": "children"}
    items = (await client.get(f"{API}/indicators/analytics", params=params)).json()["items"]
    assert len(items) == 3
    for fmt in FORMATS:
        response = await client.get(f"{API}/indicators/analytics", params={**params, "format": fmt, "headers": "en"})
        rows = table(fmt, response.content)
        assert [(r["organization_code"], int(r["numerator"])) for r in rows] == [
            (i["organization_code"], i["numerator"]) for i in items
        ]
    assert response.headers["content-disposition"].startswith('attachment; filename="indicators-members_P_20')
    bad = await client.get(f"{API}/indicators/analytics", params={**params, "period": "1999", "format": "xlsx"})
    assert_problem(bad, 422, "period_outside_window")
