"""Which indicator a plan's quantified goal is a target of: the words around the figure, matched without accents
or case (docs/plans.md); goals no indicator counts map to none."""

from decimal import Decimal

import pytest

from app.domain.indicators.plan_text import indicators_of
from app.domain.plans.document import ParsedGoal


@pytest.fixture(autouse=True)
def _empty_tables() -> None:
    """Overrides the suite's table cleaner: these tests touch no database."""


def _goal(subject: str) -> ParsedGoal:
    return ParsedGoal(subject, subject, "gte", Decimal(100), None, 2025, None, False, "1", 1)


@pytest.mark.parametrize(
    ("subject", "indicators"),
    [
        (
            "phấn đấu năm 2025 có chi bộ quân sự, chi bộ công an cấp xã và chi bộ thôn, tổ dân phố có cấp ủy",
            ["village_cells_with_committee", "military_police_cells_with_committee"],
        ),
        ("chi bộ thôn, tổ dân phố có chi uỷ", ["village_cells_with_committee"]),
        ("chi bộ trực thuộc đảng bộ cơ sở có quy chế làm việc", ["subordinate_cells_with_regulations"]),
        (
            "chỉ tiêu hằng năm có tổ chức cơ sở đảng, đảng viên được đánh giá hoàn thành tốt nhiệm vụ trở lên",
            ["grassroots_rated_good", "members_rated_good"],
        ),
        ("TCCSĐ được đánh giá, xếp loại từ hoàn thành tốt nhiệm vụ trở lên", ["grassroots_rated_good"]),
        ("tỷ lệ kết nạp đảng viên mới hằng năm đạt tổng số đảng viên", ["admission_rate"]),
        ("đảng viên mới được kết nạp do Mặt trận, các đoàn thể giới thiệu", ["admissions_introduced"]),
        ("tiến hành kiểm tra trên tổng số tổ chức cơ sở đảng trực thuộc", ["grassroots_inspected"]),
        ("đảng viên bị xóa tên, xin ra khỏi Đảng", ["exit_rate"]),
        ("thôn, tổ dân phố có trưởng thôn, tổ trưởng tổ dân phố là đảng viên", ["village_heads_members"]),
        ("bí thư chi bộ đồng thời là trưởng thôn", ["secretary_village_head"]),
        ("bí thư chi bộ là trưởng ban công tác Mặt trận", ["secretary_front_head"]),
        ("bí thư cấp ủy cấp xã đồng thời là chủ tịch HĐND", ["commune_secretary_council_chair"]),
        ("bí thư cấp ủy cấp xã đồng thời là chủ tịch ủy ban nhân dân", ["commune_secretary_committee_chair"]),
        ("nhiệm vụ của Kế hoạch hoàn thành đúng hạn", ["tasks_on_time"]),
        ("đảng viên được học tập, quán triệt Nghị quyết", []),
        ("cán bộ được đào tạo lý luận chính trị", []),
    ],
)
def test_a_goal_is_a_target_of_the_indicators_its_words_count(subject: str, indicators: list[str]) -> None:
    assert sorted(i.code for i in indicators_of(_goal(subject))) == sorted(indicators)
