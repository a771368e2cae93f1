"""The quantified goals a plan's text states: each percentage with its comparator, figures and years, unless its
clause says how things stand now (docs/plans.md lists the wordings)."""

from datetime import date
from decimal import Decimal

import pytest

from app.domain.plans.goals import UNDATED_PLAN_YEAR, read_goals
from app.domain.plans.parsing import parse_plan_text


@pytest.fixture(autouse=True)
def _empty_tables() -> None:
    """Overrides the suite's table cleaner: these tests touch no database."""


def _read(text: str, issued_on: date | None = None) -> list[tuple[object, ...]]:
    return [
        (g.comparator, g.value, g.value_high, g.year_from, g.year_to, g.yearly)
        for g in read_goals([], [text], 1, issued_on)
    ]


D = Decimal


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # seed 004
        ("phấn đấu năm 2025 có 100% chi bộ thôn, tổ dân phố có cấp ủy", [("gte", D(100), None, 2025, None, False)]),
        ("chỉ tiêu hằng năm có trên 90% tổ chức cơ sở đảng", [("gt", D(90), None, 2022, None, True)]),
        ("tỷ lệ kết nạp đảng viên mới hằng năm đạt từ 03% - 04%", [("between", D(3), D(4), 2022, None, True)]),
        ("tiến hành kiểm tra từ 05 - 10% trên tổng số", [("between", D(5), D(10), 2022, None, False)]),
        # seed 002
        ("Phấn đấu đến 2030, 100% chi bộ thôn, tổ dân phố có chi ủy", [("gte", D(100), None, 2030, None, False)]),
        (
            "Hằng năm trong giai đoạn 2020 - 2030 có hơn 90% TCCSĐ",
            [("gt", D(90), None, 2020, 2030, True)],
        ),
        (
            "kết nạp đảng viên mới đạt từ 3% trở lên so với tổng số đảng viên",
            [("gte", D(3), None, 2022, None, False)],
        ),
        # other comparators and figures
        ("giảm tỷ lệ đảng viên bị xóa tên xuống dưới 1%", [("lt", D(1), None, 2022, None, False)]),
        ("không quá 2% đảng viên", [("lte", D(2), None, 2022, None, False)]),
        ("tối thiểu 98,5% chi bộ", [("gte", D("98.5"), None, 2022, None, False)]),
        ("từ 3% đến 4% mỗi năm", [("between", D(3), D(4), 2022, None, True)]),
        (
            "tới năm 2030 đạt 80%, đến năm 2035 đạt 100%",
            [("gte", D(80), None, 2030, None, False), ("gte", D(100), None, 2035, None, False)],
        ),
    ],
)
def test_a_percentage_is_a_goal_with_its_comparator_and_years(text: str, expected: list[tuple[object, ...]]) -> None:
    assert _read(text) == expected


def test_how_things_stand_is_no_goal() -> None:
    statement = "phấn đấu đến năm 2030 có 100% chi bộ thôn có chi ủy (hiện nay có 98,3% chi bộ thôn có chi ủy)"
    assert _read(statement) == [("gte", D(100), None, 2030, None, False)]
    assert _read("Hiện nay, 95% đảng viên hoàn thành tốt nhiệm vụ") == []
    assert _read("Hiện nay còn thấp, phấn đấu đến năm 2027 đạt 95%") == [("gte", D(95), None, 2027, None, False)]


def test_numbers_that_are_not_percentages_are_no_goals() -> None:
    assert _read("03 chi bộ trường THPT; Nghị quyết số 21-NQ/TW ngày 16/6/2022; Quý IV/2022; giai đoạn 2021-2025") == []


def test_a_goal_without_a_year_is_for_the_plans_years() -> None:
    assert _read("100% chi bộ có quy chế làm việc", date(2023, 5, 2)) == [("gte", D(100), None, 2023, None, False)]
    assert _read("100% chi bộ có quy chế làm việc") == [("gte", D(100), None, UNDATED_PLAN_YEAR, None, False)]


def test_a_task_without_a_year_in_its_text_takes_its_dated_deadline_or_yearly_deadline() -> None:
    plan = parse_plan_text(
        "KẾ HOẠCH\nthực hiện Nghị quyết\n\nB. NỘI DUNG THỰC HIỆN\n\n"
        "1. Bảo đảm 100% chi bộ trực thuộc có quy chế làm việc.\n\n- Thời gian hoàn thành: Quý II/2024.\n\n"
        "2. Kiểm tra 5% tổ chức cơ sở đảng.\n\n- Thời gian thực hiện: Hằng năm.\n"
    )
    assert [(g.task_code, g.year_from, g.yearly) for g in plan.goals] == [("1", 2024, False), ("2", 2022, True)]
