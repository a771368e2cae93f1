"""Organisation records: working regulations, inspections and committee terms, with their rules and audit."""

import unicodedata
from typing import Any

import asyncpg
import httpx
import pytest

from tests.support.builders import CreateOrg
from tests.support.problems import assert_problem

API = "/api/v1"
OLD = "2015-01-01"


@pytest.fixture
async def cell(client: httpx.AsyncClient, create_org: CreateOrg) -> dict[str, Any]:
    """A village cell of commune X's grassroots committee, founded in 2015."""
    p = await create_org(client, "P", "provincial_committee", valid_from=OLD, name="Đảng bộ tỉnh")
    x = await create_org(client, "X", "upper_level_committee", p, valid_from=OLD, name="Đảng bộ xã X")
    du = await create_org(client, "X-DU", "grassroots_committee", x, valid_from=OLD, name="Đảng bộ X")
    return await create_org(client, "X-C1", "subordinate_cell", du, valid_from=OLD, name="Chi bộ Thôn Đông")


async def test_organisation_records(client: httpx.AsyncClient, db_pool: asyncpg.Pool, cell: dict[str, Any]) -> None:
    c1 = cell["id"]
    regulation = await client.post(
        f"{API}/organizations/{c1}/regulations",
        json={"issued_on": "2025-10-15", "reference": "01-QC/CB", "title": "Quy chế làm việc nhiệm kỳ 2025-2030"},
    )
    assert regulation.status_code == 201, regulation.text
    assert regulation.json()["reference"] == "01-QC/CB"
    assert_problem(
        await client.post(f"{API}/organizations/{c1}/regulations", json={"issued_on": "2010-01-01", "reference": "x"}),
        422,
        "organization_not_yet_founded",
    )
    inspection = await client.post(
        f"{API}/organizations/{c1}/inspections",
        json={
            "inspecting_body": unicodedata.normalize("NFD", "Ủy ban Kiểm tra Đảng ủy xã X"),
            "year": 2024,
            "inspected_on": "2024-05-10",
            "conclusion": unicodedata.normalize("NFD", "Chấp hành tốt"),
            "reference": "05-TB/UBKT",
        },
    )
    assert inspection.status_code == 201, inspection.text
    assert_problem(
        await client.post(
            f"{API}/organizations/{c1}/inspections",
            json={"inspecting_body": "UBKT", "year": 2024, "inspected_on": "2023-05-10"},
        ),
        422,
        "inspection_year",
    )
    term = await client.post(
        f"{API}/organizations/{c1}/terms",
        json={"label": "2020-2025", "starts_on": "2020-07-15", "ends_on": "2025-08-01"},
    )
    assert term.status_code == 201, term.text
    assert_problem(
        await client.post(f"{API}/organizations/{c1}/terms", json={"label": "2020-2025", "starts_on": "2020-08-01"}),
        409,
        "duplicate_term",
    )
    assert_problem(
        await client.post(f"{API}/organizations/{c1}/terms", json={"label": "2025-2030", "starts_on": "2025-07-01"}),
        409,
        "term_overlaps",
    )
    assert_problem(
        await client.post(f"{API}/organizations/{c1}/terms", json={"label": "2025-2030", "starts_on": "2026-01-01"}),
        422,
        "term_label",
    )
    assert_problem(
        await client.post(f"{API}/organizations/{c1}/terms", json={"label": "2025/2030", "starts_on": "2025-08-01"}),
        422,
        "validation_error",
    )
    assert (
        await client.post(f"{API}/organizations/{c1}/terms", json={"label": "2025-2030", "starts_on": "2025-08-01"})
    ).status_code == 201
    listed = {
        kind: (await client.get(f"{API}/organizations/{c1}/{kind}")).json()["items"]
        for kind in ("regulations", "inspections", "terms")
    }
    assert [r["reference"] for r in listed["regulations"]] == ["01-QC/CB"]
    assert [(i["year"], i["inspecting_body"], i["conclusion"]) for i in listed["inspections"]] == [
        (2024, "Ủy ban Kiểm tra Đảng ủy xã X", "Chấp hành tốt")
    ]  # stored precomposed
    assert [t["label"] for t in listed["terms"]] == ["2020-2025", "2025-2030"]
    audited = await db_pool.fetch(
        "SELECT entity, count(*) FROM audit_log WHERE entity IN "
        "('working_regulation', 'inspection', 'committee_term') GROUP BY 1 ORDER BY 1"
    )
    assert [(r[0], r[1]) for r in audited] == [("committee_term", 2), ("inspection", 1), ("working_regulation", 1)]
