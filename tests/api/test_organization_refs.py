"""Every query parameter that takes an organisation accepts its id or its code, with the same answer; an unknown
code, or one outside the caller's scope, is a 404 naming only what was sent."""

from typing import Any

import httpx
from fastapi import FastAPI

from tests.support.builders import ClientWith, InsertKey
from tests.support.problems import assert_problem

# Parameters that name an organisation (path parameters always take the id).
ORGANIZATION_PARAMETERS = {"within", "organization_id", "parent_id"}
# Other required parameters of the operations that have them.
REQUIRED = {"/api/v1/indicators/analytics": {"indicator": "members", "period": "2024"}}
# A path parameter in a walked path, filled in for the call.
PATH_VALUES = {"{code}": "admission_rate"}
PLAN = """KẾ HOẠCH
thực hiện Nghị quyết số 21-NQ/TW

B. NỘI DUNG THỰC HIỆN

1. Rà soát, kiện toàn các chi bộ.

- Cơ quan chỉ đạo: Ban Thường vụ Đảng ủy.
- Thời gian hoàn thành: Quý IV/2026.
"""


def organization_parameters(app: FastAPI) -> list[tuple[str, str]]:
    found = []
    for path, operations in app.openapi()["paths"].items():
        for parameter in operations.get("get", {}).get("parameters", []):
            if parameter["in"] == "query" and parameter["name"] in ORGANIZATION_PARAMETERS:
                found.append((path, parameter["name"]))
    return found


async def test_every_organization_parameter_takes_an_id_or_a_code(
    app: FastAPI,
    client: httpx.AsyncClient,
    communes: dict[str, dict[str, Any]],
    client_with: ClientWith,
    insert_key: InsertKey,
) -> None:
    checked = organization_parameters(app)
    assert {
        ("/api/v1/members", "within"),
        ("/api/v1/compliance", "within"),
        ("/api/v1/organizations", "parent_id"),
        ("/api/v1/plans", "organization_id"),
        ("/api/v1/bodies", "organization_id"),
        ("/api/v1/indicators/{code}/targets", "organization_id"),
        ("/api/v1/indicators/analytics", "organization_id"),
    } <= set(checked)
    # something for the plan, body and target listings to find
    imported = await client.post(
        "/api/v1/plans/import",
        params={"organization_id": communes["A"]["code"], "commit": "true"},
        content=PLAN.encode(),
        headers={"Content-Type": "text/plain"},
    )
    assert imported.status_code == 201, imported.text
    target = {"organization_id": communes["A"]["id"], "year_from": 2025, "comparator": "gte", "value": 3}
    assert (await client.post("/api/v1/indicators/admission_rate/targets", json=target)).status_code == 201
    token = await insert_key(role="viewer", scopes=[communes["A"]["id"]])
    async with client_with(app, token) as scoped:
        for walked, name in checked:
            path = walked
            for placeholder, value in PATH_VALUES.items():
                path = path.replace(placeholder, value)
            unit = communes["A-DU-CB"] if path == "/api/v1/members" and name == "organization_id" else communes["A"]
            extra = REQUIRED.get(path, {})
            by_id = await client.get(path, params={**extra, name: unit["id"]})
            by_code = await client.get(path, params={**extra, name: unit["code"]})
            assert by_id.status_code == by_code.status_code == 200, (path, name, by_code.text)
            assert by_id.json() == by_code.json(), (path, name)
            if path in ("/api/v1/plans", "/api/v1/bodies", "/api/v1/indicators/admission_rate/targets"):
                assert by_code.json()["items"], (path, "the listing finds what was made in commune A")
            unknown = assert_problem(await client.get(path, params={**extra, name: "NO-SUCH"}), 404)
            outside = assert_problem(await scoped.get(path, params={**extra, name: communes["B"]["code"]}), 404)
            assert_same_as_missing(unknown, outside, communes["B"])


def assert_same_as_missing(unknown: dict[str, Any], outside: dict[str, Any], unit: dict[str, Any]) -> None:
    """Out of scope answers word for word like an unknown code, naming only the code that was sent."""
    assert unknown["type"] == outside["type"] == "urn:coso:problem:organization_not_found"
    assert outside["detail"] == unknown["detail"].replace("NO-SUCH", unit["code"])
    assert unit["id"] not in str(outside)


async def test_a_plan_is_imported_into_an_organisation_named_by_id_or_code(
    app: FastAPI,
    client: httpx.AsyncClient,
    communes: dict[str, dict[str, Any]],
    client_with: ClientWith,
    insert_key: InsertKey,
) -> None:
    """POST /plans/import?organization_id= takes the id or the code (a write: the other parameters are reads)."""

    async def preview(on: httpx.AsyncClient, unit: str, **params: str) -> httpx.Response:
        return await on.post(
            "/api/v1/plans/import",
            params={"organization_id": unit, **params},
            content=PLAN.encode(),
            headers={"Content-Type": "text/plain"},
        )

    by_id = await preview(client, communes["A"]["id"])
    by_code = await preview(client, communes["A"]["code"])
    assert by_id.status_code == by_code.status_code == 200, by_code.text
    assert by_id.json() == by_code.json()
    committed = await preview(client, communes["A"]["code"], commit="true")
    assert committed.status_code == 201, committed.text
    plan = (await client.get(f"/api/v1/plans/{committed.json()['plan_id']}")).json()
    assert plan["organization_id"] == communes["A"]["id"]
    unknown = assert_problem(await preview(client, "NO-SUCH", commit="true"), 404)
    token = await insert_key(role="editor", scopes=[communes["A"]["id"]])
    async with client_with(app, token) as scoped:
        outside = assert_problem(await preview(scoped, communes["B"]["code"], commit="true"), 404)
    assert_same_as_missing(unknown, outside, communes["B"])
    listed = await client.get("/api/v1/plans", params={"organization_id": communes["B"]["code"]})
    assert listed.status_code == 200 and listed.json()["items"] == [], "nothing was written in commune B"
