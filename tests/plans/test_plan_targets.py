"""Targets a plan's text states are imported with the plan (issue 12): seed 004's percentages become the plan's
indicator targets, with the sentence they come from; goals no indicator counts are reported; a PUT afterwards
overrides the text's figures for the indicators it names; a refused import writes no target."""

from typing import Any

import httpx
import pytest

from app.demo.plan import plan_text as seed_text
from app.domain.errors import Conflict
from app.domain.indicators import plan_text
from app.domain.indicators.targets import insert_target
from tests.support.builders import CreateOrg, Snapshot
from tests.support.problems import assert_problem
from tests.support.word import docx_auto_numbered, docx_typed

PLANS = "/api/v1/plans"
DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
SEED = seed_text()

# (indicator, comparator, value, value_high, year_from, year_to, period_types, task) — seed 004's stated targets
SEED_TARGETS = [
    ("admission_rate", "between", 3, 4, 2022, None, ["year"], "2.2.6"),
    ("grassroots_inspected", "between", 5, 10, 2022, None, ["year"], "2.2.10"),
    ("grassroots_rated_good", "gt", 90, None, 2022, None, ["year"], "2.1.4"),
    ("members_rated_good", "gt", 90, None, 2022, None, ["year"], "2.1.4"),
    ("military_police_cells_with_committee", "gte", 100, None, 2025, None, ["year", "quarter"], "2.1.1.d"),
    ("subordinate_cells_with_regulations", "gte", 100, None, 2022, None, ["year", "quarter"], "2.1.2"),
    ("village_cells_with_committee", "gte", 100, None, 2025, None, ["year", "quarter"], "2.1.1.d"),
]

NO_TARGET = """KẾ HOẠCH
thực hiện Nghị quyết số 21-NQ/TW

B. NỘI DUNG THỰC HIỆN

1. Rà soát, kiện toàn các chi bộ thôn, tổ dân phố.

- Cơ quan chỉ đạo: Ban Thường vụ Đảng ủy.
- Thời gian hoàn thành: Quý IV/2026.
"""

UNMAPPED = NO_TARGET.replace(
    "1. Rà soát, kiện toàn các chi bộ thôn, tổ dân phố.",
    "1. Phấn đấu năm 2026 có 100% đảng viên được học tập, quán triệt Nghị quyết; 12 chi bộ được kiện toàn.",
)


@pytest.fixture
async def town(client: httpx.AsyncClient, create_org: CreateOrg) -> dict[str, Any]:
    province = await create_org(client, "T", "provincial_committee", valid_from="2020-01-01", name="Đảng bộ tỉnh")
    return await create_org(
        client, "TX", "upper_level_committee", province, valid_from="2020-01-01", name="Đảng bộ thị xã"
    )


async def _import(
    client: httpx.AsyncClient,
    town: dict[str, Any],
    body: bytes,
    *,
    commit: bool,
    media: str = "text/plain; charset=utf-8",
    code: str = "211-KH/TU",
) -> httpx.Response:
    return await client.post(
        f"{PLANS}/import",
        params={"organization_id": town["code"], "commit": commit, "code": code},
        content=body,
        headers={"Content-Type": media},
    )


def _stated(answer: dict[str, Any]) -> list[tuple[Any, ...]]:
    return [
        (
            t["indicator"],
            t["comparator"],
            t["value"],
            t["value_high"],
            t["year_from"],
            t["year_to"],
            t["period_types"],
            t["task_code"],
        )
        for t in answer["targets"]
    ]


def _carried(items: list[dict[str, Any]]) -> list[tuple[Any, ...]]:
    return sorted(
        (t["indicator"], t["comparator"], t["value"], t["value_high"], t["year_from"], t["year_to"], t["period_types"])
        for t in items
    )


async def test_seed_004_as_text_and_as_docx_states_the_same_targets(
    client: httpx.AsyncClient, town: dict[str, Any]
) -> None:
    """The percentages of seed 004 are targets of the catalogue's indicators, with the years the text gives
    ("năm 2025"), else the plan's (yearly: "hằng năm"); typed text, a typed .docx and a Word-numbered .docx
    state the same ones."""
    as_text = await _import(client, town, SEED.encode(), commit=False)
    assert as_text.status_code == 200, as_text.text
    assert sorted(_stated(as_text.json())) == SEED_TARGETS
    assert as_text.json()["unmapped_targets"] == []
    for made in (docx_typed(SEED), docx_auto_numbered(SEED)):
        as_docx = await _import(client, town, made, commit=False, media=DOCX)
        assert as_docx.status_code == 200, as_docx.text
        assert as_docx.json()["targets"] == as_text.json()["targets"]
        assert as_docx.json()["unmapped_targets"] == []
    admission = next(t for t in as_text.json()["targets"] if t["indicator"] == "admission_rate")
    assert "kết nạp đảng viên mới hằng năm đạt từ 03% - 04% tổng số đảng viên" in admission["text"]


async def test_an_imported_plan_carries_the_targets_its_text_states(
    client: httpx.AsyncClient, town: dict[str, Any]
) -> None:
    committed = await _import(client, town, docx_auto_numbered(SEED), commit=True, media=DOCX)
    assert committed.status_code == 201, committed.text
    plan_id = committed.json()["plan_id"]
    listed = (await client.get(f"{PLANS}/{plan_id}/targets")).json()["items"]
    assert _carried(listed) == sorted(t[:7] for t in SEED_TARGETS)
    assert {(t["set_by"], t["source"], t["plan_id"], t["organization_id"]) for t in listed} == {
        ("plan", "plan_text", plan_id, town["id"])
    }
    village = next(t for t in listed if t["indicator"] == "village_cells_with_committee")
    assert village["note"].startswith("task 2.1.1.d: phấn đấu năm 2025 có 100% chi bộ quân sự")
    # The units below judge their figures by them, and say where they came from.
    analytics = await client.get(
        "/api/v1/indicators/analytics",
        params={"indicator": "admission_rate", "period": "2024", "organization_id": town["code"]},
    )
    assert analytics.status_code == 200, analytics.text
    target = analytics.json()["items"][0]["target"]
    assert (target["set_by"], target["plan_id"], target["value"], target["value_high"]) == ("plan", plan_id, 3, 4)
    assert target["source"].startswith("task 2.2.6: ")


async def test_a_plan_whose_text_states_no_target_carries_none(client: httpx.AsyncClient, town: dict[str, Any]) -> None:
    committed = await _import(client, town, NO_TARGET.encode(), commit=True)
    assert committed.status_code == 201, committed.text
    assert committed.json()["targets"] == committed.json()["unmapped_targets"] == []
    listed = await client.get(f"{PLANS}/{committed.json()['plan_id']}/targets")
    assert listed.status_code == 200 and listed.json()["items"] == []


async def test_a_goal_no_indicator_counts_is_reported_not_stored(
    client: httpx.AsyncClient, town: dict[str, Any]
) -> None:
    """ "100% đảng viên được học tập …" counts nothing the catalogue has: the answer lists it with why; a plain
    number ("12 chi bộ") is no percentage, so no goal."""
    committed = await _import(client, town, UNMAPPED.encode(), commit=True)
    assert committed.status_code == 201, committed.text
    answer = committed.json()
    assert answer["targets"] == []
    (goal,) = answer["unmapped_targets"]
    assert goal["task_code"] == "1" and goal["text"].startswith("Phấn đấu năm 2026 có 100% đảng viên được học tập")
    assert (goal["comparator"], goal["value"], goal["year_from"], goal["year_to"]) == ("gte", 100, 2026, None)
    assert "no indicator" in goal["reason"]
    assert (await client.get(f"{PLANS}/{answer['plan_id']}/targets")).json()["items"] == []


_LTE_1 = {"comparator": "lte", "value": 1, "year_from": 2024}


async def test_a_put_after_import_overrides_the_text_for_the_indicators_it_names_and_keeps_the_others(
    client: httpx.AsyncClient, town: dict[str, Any]
) -> None:
    """PUT replaces what a request set; of the targets read from the text, it replaces those of the indicators it
    names and keeps the others. An empty list removes what requests set, not what the text states."""
    committed = await _import(client, town, SEED.encode(), commit=True)
    plan_id = committed.json()["plan_id"]
    url = f"{PLANS}/{plan_id}/targets"
    override = {"indicator": "admission_rate", "comparator": "gte", "value": 2, "year_from": 2024}
    put = await client.put(url, json={"targets": [override, {"indicator": "exit_rate", **_LTE_1}]})
    assert put.status_code == 200, put.text
    listed = (await client.get(url)).json()["items"]
    assert put.json()["items"] == listed
    by_indicator = {t["indicator"]: t for t in listed}
    assert len(listed) == len(SEED_TARGETS) + 1  # admission_rate replaced, exit_rate added
    assert (by_indicator["admission_rate"]["source"], by_indicator["admission_rate"]["value"]) == ("request", 2)
    assert by_indicator["admission_rate"]["value_high"] is None
    assert by_indicator["exit_rate"]["source"] == "request"
    assert {t["source"] for i, t in by_indicator.items() if i not in ("admission_rate", "exit_rate")} == {"plan_text"}
    emptied = await client.put(url, json={"targets": []})
    assert emptied.status_code == 200, emptied.text
    kept = emptied.json()["items"]
    assert {t["source"] for t in kept} == {"plan_text"}
    assert sorted(t["indicator"] for t in kept) == sorted(t[0] for t in SEED_TARGETS if t[0] != "admission_rate")


AIMS_ONLY = """KẾ HOẠCH
thực hiện Nghị quyết số 21-NQ/TW

A. MỤC TIÊU

Phấn đấu năm 2025 có 100% chi bộ thôn, tổ dân phố có chi ủy.

B. NỘI DUNG THỰC HIỆN

Các chi bộ quán triệt Kế hoạch này.
"""


async def test_a_refused_import_writes_no_target(
    client: httpx.AsyncClient, town: dict[str, Any], snapshot: Snapshot, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The targets are written in the import's transaction: an import refused (a plan code taken, a document
    without tasks, a failure after some targets were written) leaves everything as it was."""
    first = await _import(client, town, SEED.encode(), commit=True)
    assert first.status_code == 201, first.text
    before = await snapshot()
    assert_problem(await _import(client, town, SEED.encode(), commit=True), 409, "duplicate_plan_code")
    preview = await _import(client, town, AIMS_ONLY.encode(), commit=False, code="212-KH/TU")
    (aim,) = preview.json()["targets"]  # part A's aims are read too
    assert (aim["indicator"], aim["task_code"], aim["year_from"]) == ("village_cells_with_committee", None, 2025)
    refused = await _import(client, town, AIMS_ONLY.encode(), commit=True, code="212-KH/TU")
    assert_problem(refused, 422, "empty_document")
    assert await snapshot() == before

    written = []

    async def fails_on_the_third(tx: Any, **arguments: Any) -> dict[str, Any]:
        written.append(await insert_target(tx, **arguments))
        if len(written) == 3:
            raise Conflict("Simulated failure after some targets were written.", code="simulated")
        return written[-1]

    monkeypatch.setattr(plan_text, "insert_target", fails_on_the_third)
    assert_problem(await _import(client, town, SEED.encode(), commit=True, code="213-KH/TU"), 409, "simulated")
    assert len(written) == 3
    assert await snapshot() == before
    listed = await client.get(
        "/api/v1/indicators/village_cells_with_committee/targets", params={"organization_id": town["code"]}
    )
    assert [t["plan_id"] for t in listed.json()["items"]] == [first.json()["plan_id"]]
