"""The served JSON and openapi.yaml cannot drift apart. Every answer any test receives is checked against the contract
(tests/support/contract.py, wired into every client); this module makes sure that covers every operation with a real
success, and that the check does catch a drift."""

from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from app.db.organizations import reads as organization_reads
from app.db.sql import Sql
from tests.support.contract import ContractViolation, contract_for
from tests.support.route_calls import ROUTE_CALLS, api_routes, fill_call

# ROUTE_CALLS aims at commune B as an outsider would; a whole-tree administrator makes some of its calls succeed
# only with another body, and the calls that end or remove something go last.
SUCCESS_CALLS: dict[tuple[str, str], dict[str, Any]] = {
    ("GET", "/api/v1/organizations"): {"params": {"within": "{B}"}},
    ("POST", "/api/v1/organizations"): {
        "json": {
            "code": "B-CB-MOI",
            "name": "Chi bộ mới",
            "kind": "subordinate_cell",
            "parent_id": "{B-DU}",
            "valid_from": "2024-01-01",
        }
    },
    ("POST", "/api/v1/keys"): {"json": {"name": "k", "role": "viewer", "scopes": ["{B}"]}},
    ("POST", "/api/v1/webhooks"): {"json": {"url": "https://93.184.215.14/coso", "entities": ["member"]}},
    ("GET", "/api/v1/compliance"): {"params": {"within": "{B}"}},
    ("POST", "/api/v1/organizations/{organization_id}/move"): {
        "path": {"organization_id": "{B-DU-CB}"},
        "json": {"parent_id": "{A-DU}"},
    },
    ("POST", "/api/v1/organizations/merge"): {"json": {"source_ids": ["{A-DU}"], "into_id": "{B-DU}"}},
    ("POST", "/api/v1/organizations/{organization_id}/dissolve"): {
        "path": {"organization_id": "{A-DU-CB}"},
        "json": {},
    },
    ("POST", "/api/v1/organizations/{organization_id}/terms"): {
        "path": {"organization_id": "{B-DU}"},
        "json": {"label": "2025-2030", "starts_on": "2025-09-01"},
    },
    ("POST", "/api/v1/indicators/{code}/targets"): {
        "path": {"code": "admission_rate"},
        "json": {"organization_id": "{A}", "year_from": 2030, "comparator": "gte", "value": 5},
    },
    ("POST", "/api/v1/organizations/{organization_id}/positions/{position_id}/end"): {
        "path": {"organization_id": "{B-DU-CB}", "position_id": "{B_POSITION}"},
        "json": {"valid_to": "2025-01-01"},
    },
}
# The order of the last calls: B's cell moves to A's committee, which merges into B's, and B splits.
LAST = ["/end", "/revoke", "DELETE", "/dissolve", "/move", "/merge", "/split"]


def _order(operation: tuple[str, str]) -> int:
    method, path = operation
    where = [i for i, mark in enumerate(LAST) if mark in path or mark == method]
    return 1 + where[0] if where else 0


async def test_every_operation_answers_a_success_as_documented(
    app: FastAPI, client: httpx.AsyncClient, b_names: dict[str, str]
) -> None:
    """A whole-tree administrator with pii makes one call of every operation with data behind it; each answers a
    success, which the client's hook has checked against openapi.yaml (status, media type, every field)."""
    operations = {(m, p) for m, p, _ in api_routes(app)}
    assert operations == set(ROUTE_CALLS), f"add new operations to ROUTE_CALLS: {operations ^ set(ROUTE_CALLS)}"
    failed = []
    for method, path in sorted(ROUTE_CALLS, key=_order):
        call = SUCCESS_CALLS.get((method, path), ROUTE_CALLS[(method, path)])
        sent = fill_call(call, b_names, code="B", external_id="csdl:B")
        url = path.replace("{organization_id}", sent["path"].pop("organization_id", b_names["B"]))
        for name, value in sent["path"].items():
            url = url.replace("{" + name + "}", value)
        if "content" in call:
            response = await client.request(
                method,
                url,
                params=sent["params"],
                content=sent["content"].encode(),
                headers={"Content-Type": sent["content_type"]},
            )
        else:
            response = await client.request(method, url, params=sent["params"], json=sent["json"])
        if not response.is_success:
            failed.append(f"{method} {path} → {response.status_code} {response.text[:300]}")
    assert not failed, "\n".join(failed)


def _doc_without(field: str) -> Sql:
    template = organization_reads.ORG_DOC.template
    assert f"'{field}', " in template
    return Sql(template.replace(f"'{field}', p.{field}, ", ""), **organization_reads.ORG_DOC.args)


async def test_a_field_dropped_from_a_document_is_caught(
    monkeypatch: pytest.MonkeyPatch, app: FastAPI, client: httpx.AsyncClient, communes: dict[str, dict[str, Any]]
) -> None:
    """The check is not vacuous: the organisation document built in SQL without `depth` (a required field of
    OrganizationRead) fails the check of every answer that carries it."""
    monkeypatch.setattr(organization_reads, "ORG_DOC", _doc_without("depth"))
    with pytest.raises(ContractViolation, match="depth"):
        await client.get("/api/v1/organizations", params={"within": communes["A"]["id"]})
    with pytest.raises(ContractViolation, match="depth"):
        await client.get(f"/api/v1/organizations/{communes['A']['id']}/subtree")


async def test_a_field_served_but_not_documented_is_caught(
    monkeypatch: pytest.MonkeyPatch, client: httpx.AsyncClient, communes: dict[str, dict[str, Any]]
) -> None:
    """The other way round: a field the SQL adds but openapi.yaml does not describe is a drift too."""
    template = organization_reads.ORG_DOC.template.replace(
        "'version', o.version", "'version', o.version, 'node', o.node"
    )
    monkeypatch.setattr(organization_reads, "ORG_DOC", Sql(template, **organization_reads.ORG_DOC.args))
    with pytest.raises(ContractViolation, match="node"):
        await client.get("/api/v1/organizations", params={"within": communes["A"]["id"]})


def test_the_contract_routes_as_the_app_does(app: FastAPI) -> None:
    """The check finds the operation the app serves (a fixed path before a parameter, the method's own route)."""
    contract = contract_for(app)
    found = contract.operation("POST", "/api/v1/organizations/merge")
    assert found is not None and found[0] == "/api/v1/organizations/merge"
    found = contract.operation("GET", "/api/v1/organizations/by_code/X")
    assert found is not None and found[0] == "/api/v1/organizations/by_code/{code}"
    assert contract.operation("DELETE", "/api/v1/organizations/merge") is None
    violations = list(contract.violations("GET", "/api/v1/organizations", 418, "application/json", b"{}"))
    assert violations and "not documented" in violations[0]
