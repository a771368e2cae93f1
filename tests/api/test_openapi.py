"""The published contract: the committed openapi.yaml is what the app serves, and it keeps the API's conventions."""

import difflib
import re
from pathlib import Path
from typing import Any

import pytest
import yaml

from app.openapi import render

COMMITTED = Path(__file__).resolve().parents[2] / "openapi.yaml"
METHODS = {"get", "put", "post", "delete", "patch", "head", "options", "trace"}
PROBES = {"/healthz", "/readyz"}
SNAKE_CASE = re.compile(r"^[a-z][a-z0-9]*(_[a-z0-9]+)*$")


@pytest.fixture(scope="module")
def rendered() -> str:
    return render()


@pytest.fixture(scope="module")
def document(rendered: str) -> dict[str, Any]:
    loaded: dict[str, Any] = yaml.safe_load(rendered)
    return loaded


def _operations(document: dict[str, Any]) -> list[tuple[str, str, dict[str, Any]]]:
    return [
        (path, method, operation)
        for path, item in document["paths"].items()
        for method, operation in item.items()
        if method in METHODS
    ]


def test_committed_openapi_yaml_is_up_to_date(rendered: str) -> None:
    committed = COMMITTED.read_text(encoding="utf-8") if COMMITTED.exists() else ""
    if committed != rendered:
        lines = difflib.unified_diff(
            committed.splitlines(keepends=True),
            rendered.splitlines(keepends=True),
            "openapi.yaml (committed)",
            "app.openapi.render()",
        )
        diff = "".join(list(lines)[:60])
        pytest.fail(
            f"openapi.yaml is out of date with the app: run `make openapi` and commit it.\n{diff}", pytrace=False
        )


def test_operation_ids_are_readable_stable_and_unique(document: dict[str, Any]) -> None:
    ids: list[str] = []
    for path, method, operation in _operations(document):
        operation_id = operation.get("operationId")
        where = f"{method.upper()} {path}"
        assert isinstance(operation_id, str) and operation_id, f"{where} has no operationId"
        assert SNAKE_CASE.match(operation_id), f"{where}: operationId {operation_id!r} is not snake_case"
        # FastAPI's default ids glue the path and method on (list_organizations_api_v1_organizations_get): those
        # change whenever a route moves. Ours are the route function's name.
        assert "api_v1" not in operation_id and not operation_id.endswith(f"_{method}"), (
            f"{where}: operationId {operation_id!r} is derived from the path, not a name"
        )
        ids.append(operation_id)
    assert ids
    duplicates = sorted({i for i in ids if ids.count(i) > 1})
    assert not duplicates, f"operationIds used more than once: {duplicates}"


def test_every_path_is_versioned_except_the_probes(document: dict[str, Any]) -> None:
    stray = [p for p in document["paths"] if p not in PROBES and not p.startswith("/api/v1/")]
    assert not stray, f"paths outside /api/v1: {stray}"
    assert PROBES <= set(document["paths"])


@pytest.mark.parametrize("status", ["422", "503"])
def test_every_api_operation_documents_problem_responses(document: dict[str, Any], status: str) -> None:
    missing = []
    for path, method, operation in _operations(document):
        if not path.startswith("/api/v1/"):
            continue
        response = operation.get("responses", {}).get(status)
        content = (response or {}).get("content", {})
        schema = content.get("application/problem+json", {}).get("schema", {})
        if not schema.get("$ref", "").endswith("/Problem") or "application/json" in content:
            missing.append(f"{method.upper()} {path}")
    assert not missing, f"without a documented {status} application/problem+json (Problem) response: {missing}"


def test_error_responses_are_never_documented_as_plain_json(document: dict[str, Any]) -> None:
    plain = [
        f"{method.upper()} {path} {status}"
        for path, method, operation in _operations(document)
        for status, response in operation.get("responses", {}).items()
        if status[0] in "45" and "application/json" in response.get("content", {})
    ]
    assert not plain, f"error responses documented as application/json: {plain}"
