"""Reading plan documents (seed 004, a town committee's plan for Resolution 21-NQ/TW) into tasks, bodies per role and
typed deadlines, from plain text and from a Word file. Pure domain code: no database."""

import io
import unicodedata
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

import docx
import pytest

from app.demo.plan import plan_text  # seed 004, shipped with the package
from app.domain.plans.bodies import is_collective, normalise_body_name, read_role_label, split_names
from app.domain.plans.deadlines import parse_deadline
from app.domain.plans.document import DeadlineKind, ParsedPlan, ParsedTask, TaskRole
from app.domain.plans.docx import UnreadableDocument, parse_plan_docx
from app.domain.plans.parsing import parse_plan_text
from tests.support.word import docx_typed

D, L, A, C, IMP = TaskRole.directing, TaskRole.lead, TaskRole.advisory, TaskRole.coordinating, TaskRole.implementing
K = DeadlineKind

TO_NV = "Cơ quan Tổ chức - Nội vụ thị xã"
BTV = "Ban Thường vụ Thị ủy"
ALL_ORGS = "Các cấp ủy, tổ chức đảng trong Đảng bộ thị xã"


@pytest.fixture(autouse=True)
def _empty_tables() -> None:
    """Overrides the suite's table cleaner: these tests touch no database."""


@pytest.fixture(scope="module")
def seed_text() -> str:
    return plan_text()


@pytest.fixture(scope="module")
def seed(seed_text: str) -> ParsedPlan:
    return parse_plan_text(seed_text)


def _task(plan: ParsedPlan, code: str) -> ParsedTask:
    (task,) = [task for task in plan.tasks if task.code == code]
    return task


def _bodies(task: ParsedTask) -> dict[str, set[TaskRole]]:
    return {assignment.body: set(assignment.roles) for assignment in task.assignments}


# --- the seed's tree -----------------------------------------------------------------------------------------


def test_seed_has_39_numbered_tasks_with_deadlines_in_a_complete_tree(seed: ParsedPlan) -> None:
    with_deadline = [task for task in seed.tasks if task.deadline is not None and task.code[0].isdigit()]
    assert len(with_deadline) == 39
    codes = [task.code for task in seed.tasks]
    assert len(codes) == len(set(codes))
    assert codes[:4] == ["B.I", "1", "1.1", "1.2"] and codes[-4:] == ["3.k", "C.1", "C.2", "C.3"]
    for heading in ("1", "2", "2.1", "2.1.1", "2.1.2", "2.1.8", "2.2", "2.2.4", "2.2.9", "3"):
        assert _task(seed, heading).deadline is None
        assert _task(seed, heading).assignments == ()
    for task in seed.tasks:
        assert task.parent_code is None or task.parent_code in codes[: codes.index(task.code)]
    assert _task(seed, "2.1.1.a").parent_code == "2.1.1"
    assert _task(seed, "2.1.1").parent_code == "2.1"
    assert _task(seed, "2.1").parent_code == "2"
    assert _task(seed, "3.đ").parent_code == "3"
    assert _task(seed, "3").parent_code is None
    assert [task.code for task in seed.tasks if task.parent_code == "3"] == [
        "3.a",
        "3.b",
        "3.c",
        "3.d",
        "3.đ",
        "3.e",
        "3.g",
        "3.h",
        "3.k",
    ]
    assert len(seed.tasks) == 61


def test_part_a_is_prose_and_every_line_of_b_and_c_is_understood(seed: ParsedPlan) -> None:
    # Part B runs from line 33 to line 413, C's numbered paragraphs are at 419-423; A's numbered paragraphs
    # ("1. Giúp tổ chức đảng…") are neither tasks nor unparsed lines.
    assert all(33 < task.line < 424 for task in seed.tasks)
    assert _task(seed, "1").line == 41 and _task(seed, "3.k").line == 408
    assert not any(task.title.startswith("Giúp tổ chức đảng") for task in seed.tasks)
    assert seed.unparsed == ()


def test_prose_tasks_of_b_i_are_a_task_with_its_bodies_and_the_plan_it_follows(seed: ParsedPlan) -> None:
    task = _task(seed, "B.I")
    assert (task.line, task.parent_code) == (37, None)
    assert task.title.startswith("Tổ chức triển khai, quán triệt: Ban Tuyên giáo Thị ủy")
    assert _bodies(task) == {"Ban Tuyên giáo Thị ủy": {IMP}, "Các chi bộ, đảng ủy trực thuộc Thị ủy": {IMP}}
    assert task.deadline is not None and task.deadline.kind is K.by_plan
    assert task.deadline.text == "Theo Kế hoạch số 63-KH/TU ngày 21/7/2022 của Ban Thường vụ Thị ủy"


def test_prose_tasks_of_c_say_who_issues_a_plan_who_directs_and_who_follows_up(seed: ParsedPlan) -> None:
    own_plans, direct, follow_up = (_task(seed, code) for code in ("C.1", "C.2", "C.3"))
    assert _bodies(own_plans) == {
        "Các đảng ủy, chi bộ trực thuộc Thị ủy": {IMP},
        "Các cơ quan chuyên trách tham mưu, giúp việc Thị ủy": {IMP},
        "Ủy ban Mặt trận và các tổ chức chính trị - xã hội thị xã": {IMP},
    }
    assert own_plans.title.startswith("Các đảng ủy, chi bộ trực thuộc Thị ủy;") and own_plans.deadline is None
    assert _bodies(direct) == {"Thường trực HĐND": {D}, "Lãnh đạo UBND thị xã": {D}}
    assert _bodies(follow_up) == {TO_NV: {L, A}}
    assert follow_up.deadline is not None and follow_up.deadline.kind is K.yearly
    assert all(task.parent_code is None for task in (own_plans, direct, follow_up))


def test_seed_header(seed: ParsedPlan) -> None:
    assert seed.code is None  # "Số -KH/TU": the draft has no number yet
    assert seed.draft
    assert seed.issuer == "Ban Thường vụ Thị ủy"
    assert seed.issued_on is None
    assert seed.title.startswith("thực hiện Đề án số -ĐA/TU ngày / /2022 của Thị ủy thực hiện Nghị quyết số 21-NQ/TW")
    assert seed.title.endswith("nâng cao chất lượng đội ngũ đảng viên trong giai đoạn mới")
    assert "*" not in seed.title
    assert seed.implements == ("Nghị quyết số 21-NQ/TW", "Kế hoạch số 121-KH/TU", "Đề án số -ĐA/TU")


def test_header_with_a_number_and_a_date() -> None:
    text = (
        "THỊ ỦY ĐỨC PHỔ\nSố: 211-KH/TU\nĐức Phổ, ngày 15 tháng 9 năm 2022\nKẾ HOẠCH\nthực hiện Nghị quyết\n\n"
        "Căn cứ Chỉ thị số 07-CT/TU ngày 16/4/2021, Ban Chấp hành Đảng bộ thị xã ban hành kế hoạch như sau:\n"
        "A. NỘI DUNG\n1. Việc một\n- Cơ quan chủ trì: Văn phòng Thị ủy.\n- Thời gian hoàn thành: Quý IV\n"
    )
    plan = parse_plan_text(text)
    assert (plan.code, plan.issued_on, plan.draft) == ("211-KH/TU", date(2022, 9, 15), False)
    assert plan.title == "thực hiện Nghị quyết"
    assert plan.issuer == "Ban Chấp hành Đảng bộ thị xã"
    assert plan.implements == ("Chỉ thị số 07-CT/TU",)
    (task,) = plan.tasks
    assert task.deadline is not None
    assert (task.deadline.kind, task.deadline.on) == (K.quarter, date(2022, 12, 31))  # the year comes from the date
    assert plan.unparsed == ()


# --- specific tasks ------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Expected:
    code: str
    title: str
    bodies: dict[str, set[TaskRole]]
    kind: DeadlineKind
    deadline: dict[str, Any] = field(default_factory=dict)
    collective: frozenset[str] = frozenset()


CASES = [
    Expected(
        "2.1.1.a",
        "Kịp thời kiện toàn các chi bộ cơ quan, đơn vị",
        {BTV: {D}, TO_NV: {A}, ALL_ORGS: {IMP}},
        K.compound,
        collective=frozenset({ALL_ORGS}),
    ),
    Expected(
        "2.1.1.b",
        "Tổng kết các mô hình thí điểm",
        {
            BTV: {D},
            TO_NV: {A, L},
            "Các cơ quan chuyên trách tham mưu, giúp việc Thị ủy": {C},
            "Ủy ban Mặt trận Tổ quốc Việt Nam thị xã": {C},
            "Hội Liên hiệp phụ nữ thị xã": {C},
            "Hội Nông dân thị xã": {C},
            "Ban Thường vụ Thị đoàn": {C},
            "Các chi bộ, đảng ủy trực thuộc Thị ủy": {IMP},
            "Các cơ quan có liên quan": {IMP},
        },
        K.on_event,
        {"event": "có chỉ đạo của tỉnh", "offset_months": 0},
        collective=frozenset(
            {"Các chi bộ, đảng ủy trực thuộc Thị ủy", "Các cơ quan chuyên trách tham mưu, giúp việc Thị ủy"}
        ),
    ),
    Expected(
        "2.1.1.c",
        "Đẩy mạnh việc xây dựng, phát triển tổ chức đảng, đoàn thể",
        {
            BTV: {D},
            "Ban Chỉ đạo xây dựng tổ chức đảng, đoàn thể trong các đơn vị kinh tế tư nhân thị xã": {A},
            "Liên đoàn Lao động thị xã": {C},
            "Hội Nông dân thị xã": {C},
            "Hội Liên hiệp Phụ nữ thị xã": {C},
            "Thị đoàn": {C},
            "Các đảng ủy, chi bộ trực thuộc Thị ủy": {IMP},
        },
        K.ongoing,
        collective=frozenset({"Các đảng ủy, chi bộ trực thuộc Thị ủy"}),
    ),
    Expected(
        "2.1.1.d",
        "Tiếp tục củng cố và nâng cao chất lượng hoạt động của các chi bộ quân sự",
        {
            BTV: {D},
            "Đảng ủy Quân sự thị xã": {A},
            "Đảng ủy Công an thị xã": {A},
            TO_NV: {C},
            "Đảng ủy các xã, phường": {IMP},
        },
        K.on_event,
        {"event": "có kế hoạch của Ban Thường vụ Tỉnh ủy"},
        collective=frozenset({"Đảng ủy các xã, phường"}),
    ),
    Expected(
        "2.1.2.a",
        "Chỉ đạo triển khai sửa đổi, bổ sung và ban hành Quy chế làm việc",
        {BTV: {D}, TO_NV: {A}, "Ủy ban Kiểm tra Thị ủy": {C}, ALL_ORGS: {IMP}},
        K.on_event,
        {"event": "có Quy chế mẫu và hướng dẫn thực hiện của cấp trên", "offset_months": 3, "offset_days": 0},
    ),
    Expected(
        "2.1.2.b",
        "Xây dựng và ban hành Quy định về phân cấp quản lý cán bộ",
        {BTV: {D}, TO_NV: {A}, "Ủy ban Kiểm tra Thị ủy": {C}, "Đảng ủy các xã, phường": {IMP}},
        K.on_event,
        {"event": "có Quy định mới của Ban Thường vụ Thị ủy", "offset_months": 3},
    ),
    Expected(
        "2.1.2.c",
        "Lãnh đạo, chỉ đạo triển khai thực hiện việc sinh hoạt đảng",
        {BTV: {D}, TO_NV: {A}, "Ủy ban Kiểm tra Thị ủy": {C}, ALL_ORGS: {IMP}},
        K.on_event,
        {"event": "có sự chỉ đạo của Ban Thường vụ Tỉnh ủy", "offset_months": 1},
    ),
    Expected(
        "2.1.2.d",
        "Tăng cường hơn nữa vai trò",
        {
            BTV: {D},
            TO_NV: {L, A},
            "Ủy ban Kiểm tra Thị ủy": {C},
            "Tổ chức cơ sở đảng": {IMP},
            "Ủy viên Ban Thường vụ Thị ủy": {IMP},
            "Thị ủy viên": {IMP},
        },
        K.ongoing,
    ),
    Expected(
        "2.1.3",
        "Thực hiện chủ trương bí thư cấp ủy cấp xã",
        {BTV: {D}, TO_NV: {L, A}, "UBND thị xã": {C}, "Ủy ban Mặt trận Tổ quốc Việt Nam thị xã": {C}, ALL_ORGS: {IMP}},
        K.compound,
    ),
    Expected(
        "2.1.4",
        "Nâng cao hiệu quả công tác đánh giá",
        {
            BTV: {D},
            TO_NV: {L, A},
            "Các cơ quan chuyên trách tham mưu, giúp việc Thị ủy": {C, IMP},
            ALL_ORGS: {IMP},
            "UBND thị xã": {IMP},
            "Ủy ban Mặt trận và các tổ chức chính trị - xã hội thị xã": {IMP},
            "UBND xã, phường": {IMP},
        },
        K.ongoing,
    ),
    Expected(
        "2.1.6",
        "Chỉ đạo thực hiện chế độ chính sách",
        {BTV: {D}, "HĐND thị xã": {A}, "UBND thị xã": {A}},
        K.on_event,
        {"event": "Trung ương và Tỉnh ủy có văn bản sửa đổi, bổ sung hoặc ban hành văn bản mới"},
    ),
    Expected(
        "2.1.8.a",
        "Đẩy mạnh công tác đào tạo lý luận chính trị",
        {
            BTV: {D},
            TO_NV: {A},
            "Ủy ban Kiểm tra Thị ủy": {A},
            "Ban Tuyên giáo Thị ủy": {A},
            "Ban Dân vận Thị ủy": {A},
            "Trung tâm Chính trị thị xã": {IMP},
            ALL_ORGS: {IMP},
        },
        K.by_plan,
    ),
    Expected(
        "2.1.8.c",
        "Quy hoạch tạo nguồn, xây dựng cán bộ cơ sở",
        {BTV: {D}, TO_NV: {L, A}, "UBND thị xã": {C}, "Các cơ quan, đơn vị liên quan": {IMP}},
        K.ongoing,
    ),
    Expected(
        "2.2.1",
        "Đổi mới, nâng cao chất lượng, hiệu quả công tác giáo dục chính trị",
        {
            BTV: {D},
            "Ban Tuyên giáo Thị ủy": {L, A},
            "Các cơ quan chuyên trách tham mưu, giúp việc Thị ủy": {C},
            "Phòng Văn hóa và Thông tin thị xã": {C},
            "Trung tâm Truyền thông - Văn hóa - Thể thao thị xã": {C},
            "Các đảng ủy, chi bộ trực thuộc Thị ủy": {IMP},
        },
        K.ongoing,
    ),
    Expected(
        "2.2.2",
        "Thường xuyên rà soát, sàng lọc",
        {BTV: {D}, TO_NV: {L, A}, "Ủy ban Kiểm tra Thị ủy": {C}, ALL_ORGS: {IMP}},
        K.ongoing,
    ),
    Expected(
        "2.2.4.b",
        "Sơ kết tình hình việc chuẩn hóa",
        {BTV: {L}, TO_NV: {IMP}},
        K.on_event,
        {"event": "có chỉ đạo của tỉnh"},
    ),
    Expected(
        "2.2.4.c",
        'Triển khai thí điểm việc ứng dụng phần mềm "Sổ tay đảng viên điện tử"',
        {
            BTV: {D},
            TO_NV: {L, A},
            "Văn phòng thị xã": {C},
            "Ban Tuyên giáo Thị ủy": {C},
            "UBND thị xã": {C},
            ALL_ORGS: {IMP},
        },
        K.on_event,
        {"event": "Ban Thường vụ Tỉnh ủy chỉ đạo, hướng dẫn"},
    ),
    Expected(
        "2.2.5",
        "Tổng kết và triển khai thực hiện Hướng dẫn mới",
        {
            TO_NV: {L},
            "03 chi bộ trường THPT trên địa bàn thị xã": {IMP},
            "Chi bộ Trung tâm Giáo dục nghề nghiệp - Giáo dục thường xuyên thị xã": {IMP},
        },
        K.on_event,
        {"event": "có Hướng dẫn mới"},
        collective=frozenset({"03 chi bộ trường THPT trên địa bàn thị xã"}),
    ),
    Expected("2.2.6", "Đẩy mạnh phát triển đảng viên", {BTV: {D}, TO_NV: {A}, ALL_ORGS: {IMP}}, K.yearly),
    Expected(
        "2.2.7",
        "Thực hiện đảm bảo chất lượng nội dung chương trình",
        {BTV: {D}, "Ban Tuyên giáo Thị ủy": {L, A}, "Trung tâm Chính trị thị xã": {C, IMP}},
        K.ongoing,
    ),
    Expected(
        "2.2.10",
        "Xây dựng kế hoạch kiểm tra, giám sát",
        {BTV: {D, IMP}, "Ủy ban Kiểm tra Thị ủy": {L, A}, TO_NV: {C}},
        K.yearly,
    ),
    Expected(
        "3.a",
        "Xây dựng kế hoạch, tổ chức phát động",
        {BTV: {D}, TO_NV: {L, A}, "Các cơ quan chuyên trách tham mưu, giúp việc Thị ủy": {C}, ALL_ORGS: {IMP}},
        K.quarter,
        {"year": 2022, "quarter": 4, "on": date(2022, 12, 31), "text": "Quý IV/2022."},
    ),
    Expected(
        "3.b",
        "Xây dựng Tập tin phục vụ sinh hoạt chi bộ",
        {BTV: {D}, "Ban Tuyên giáo Thị ủy": {A}, ALL_ORGS: {IMP}},
        K.done,
    ),
    Expected(
        "3.c",
        "Xây dựng và ban hành Quy định của Ban Thường vụ Thị ủy",
        {BTV: {D}, TO_NV: {A}, ALL_ORGS: {IMP}},
        K.quarter,
        {"year": 2022, "quarter": 4},
    ),
    Expected(
        "3.d",
        "Xây dựng và triển khai thực hiện Kế hoạch về đẩy mạnh",
        {BTV: {D}, TO_NV: {A}, ALL_ORGS: {IMP}},
        K.month,
        {"year": 2023, "month": 1, "on": date(2023, 1, 31), "text": "Chậm nhất trong tháng 01/2023."},
    ),
    Expected(
        "3.đ",
        "Xây dựng, triển khai thực hiện Kế hoạch cụ thể về luận chuyên",
        {BTV: {D}, TO_NV: {A}, ALL_ORGS: {IMP}},
        K.quarter,
        {"year": 2023, "quarter": 2, "on": date(2023, 4, 30)},  # "Trong đầu quý II/2023": early in the quarter
    ),
    Expected(
        "3.e",
        "Xây dựng, triển khai thực hiện Chỉ thị của Ban Thường vụ Thị ủy về tăng cường",
        {BTV: {D}, TO_NV: {A}, ALL_ORGS: {IMP}},
        K.quarter,
        {"year": 2023, "quarter": 1, "on": date(2023, 3, 31)},
    ),
    Expected(
        "3.h",
        "Xây dựng, triển khai thực hiện Kế hoạch tạo nguồn, thay thế nhân sự",
        {BTV: {D}, ALL_ORGS: {IMP}},
        K.on_event,
        {"event": "có đủ điều kiện"},
    ),
    Expected(
        "3.k",
        "Xây dựng và thực hiện Kế hoạch tạo nguồn, thay thế trưởng thôn",
        {BTV: {D}, "Đảng ủy xã, phường (Phổ Nhơn, Phổ Khánh, Phổ Ninh và Phổ Vinh)": {IMP}},
        K.year_end,
        {"year": 2023, "on": date(2023, 12, 31)},
        collective=frozenset({"Đảng ủy xã, phường (Phổ Nhơn, Phổ Khánh, Phổ Ninh và Phổ Vinh)"}),
    ),
]


@pytest.mark.parametrize("case", CASES, ids=[case.code for case in CASES])
def test_seed_task(seed: ParsedPlan, case: Expected) -> None:
    task = _task(seed, case.code)
    assert task.title.startswith(case.title)
    assert _bodies(task) == case.bodies
    for assignment in task.assignments:
        if assignment.body in case.collective or assignment.body == ALL_ORGS:
            assert assignment.collective, assignment.body
    assert task.deadline is not None
    assert task.deadline.kind is case.kind
    for name, value in case.deadline.items():
        assert getattr(task.deadline, name) == value, name


def test_seed_compound_deadlines_and_labels(seed: ParsedPlan) -> None:
    first = _task(seed, "2.1.1.a").deadline
    assert first is not None and first.text == "Thường xuyên và khi có chủ trương của tỉnh."
    assert [part.kind for part in first.parts] == [K.ongoing, K.on_event]
    assert first.parts[1].event == "có chủ trương của tỉnh"
    term = _task(seed, "2.1.3").deadline
    assert term is not None and [part.kind for part in term.parts] == [K.ongoing, K.per_term]
    yearly = _task(seed, "2.2.9.b").deadline
    assert yearly is not None and [part.kind for part in yearly.parts] == [K.ongoing, K.yearly]
    assert _task(seed, "2.1.1.b").deadline_label == "Thời gian hoàn thành tổng kết, sơ kết"
    assert _task(seed, "3.d").deadline_label == "Thời gian hoàn thành kế hoạch"


def test_seed_titles_are_whole_and_unmarked(seed: ParsedPlan) -> None:
    # Page breaks split "quân / sự" and "lối** / sống"; the item reads on across them.
    assert "100% chi bộ quân sự, chi bộ công an cấp xã" in _task(seed, "2.1.1.d").title
    assert 'phẩm chất đạo đức, lối sống, "tự soi"' in _task(seed, "2.2.1").title
    assert "“diễn biến hòa bình”" in _task(seed, "1.3").title
    assert all("*" not in task.title for task in seed.tasks)
    assert _task(seed, "2.1.8.a").title == (
        "Đẩy mạnh công tác đào tạo lý luận chính trị, bồi dưỡng kiến thức, kỹ "
        "năng nghiệp vụ công tác đảng, công tác quần chúng."
    )


def test_seed_fillers_are_bodies_but_not_collective(seed: ParsedPlan) -> None:
    fillers = {a.body: a.collective for t in seed.tasks for a in t.assignments if "liên quan" in a.body}
    assert fillers == {"Các cơ quan có liên quan": False, "Các cơ quan, đơn vị liên quan": False}


def test_seed_counts(seed: ParsedPlan) -> None:
    kinds: dict[DeadlineKind, int] = {}
    roles: dict[TaskRole, int] = {}
    for task in seed.tasks:
        if task.deadline is not None:
            kinds[task.deadline.kind] = kinds.get(task.deadline.kind, 0) + 1
        for assignment in task.assignments:
            for role in assignment.roles:
                roles[role] = roles.get(role, 0) + 1
    assert kinds == {
        K.ongoing: 13,
        K.on_event: 12,
        K.quarter: 5,
        K.compound: 3,
        K.yearly: 3,
        K.by_plan: 2,
        K.done: 1,
        K.month: 1,
        K.year_end: 1,
    }
    assert roles == {IMP: 53, A: 40, D: 37, C: 28, L: 17}  # B.I and C.1–C.3 included


def test_nfd_input_reads_the_same(seed_text: str, seed: ParsedPlan) -> None:
    decomposed = unicodedata.normalize("NFD", seed_text)
    assert decomposed != seed_text
    assert parse_plan_text(decomposed) == seed
    assert parse_deadline(unicodedata.normalize("NFD", "Trong đầu quý II/2023.")) == parse_deadline(
        "Trong đầu quý II/2023."
    )


# --- deadlines -------------------------------------------------------------------------------------------------


DEADLINES: list[tuple[str, DeadlineKind, dict[str, Any]]] = [
    ("Thường xuyên.", K.ongoing, {}),
    ("Hằng năm.", K.yearly, {}),
    ("Hàng năm", K.yearly, {}),
    ("Theo nhiệm kỳ", K.per_term, {}),
    ("Quý IV/2022.", K.quarter, {"year": 2022, "quarter": 4, "on": date(2022, 12, 31)}),
    ("Trong Quý IV/2022.", K.quarter, {"year": 2022, "quarter": 4, "on": date(2022, 12, 31)}),
    ("Trong quý I/2023.", K.quarter, {"year": 2023, "quarter": 1, "on": date(2023, 3, 31)}),
    ("Trong đầu quý II/2023.", K.quarter, {"year": 2023, "quarter": 2, "on": date(2023, 4, 30)}),
    ("giữa quý III/2024", K.quarter, {"year": 2024, "quarter": 3, "on": date(2024, 8, 31)}),
    ("Cuối quý I/2023", K.quarter, {"year": 2023, "quarter": 1, "on": date(2023, 3, 31)}),
    ("Quý 3/2024", K.quarter, {"year": 2024, "quarter": 3, "on": date(2024, 9, 30)}),
    ("quý III năm 2024", K.quarter, {"year": 2024, "quarter": 3, "on": date(2024, 9, 30)}),
    ("Chậm nhất trong tháng 01/2023.", K.month, {"year": 2023, "month": 1, "on": date(2023, 1, 31)}),
    ("tháng 6/2024", K.month, {"year": 2024, "month": 6, "on": date(2024, 6, 30)}),
    ("Trong tháng 02 năm 2024", K.month, {"year": 2024, "month": 2, "on": date(2024, 2, 29)}),
    ("Hết năm 2023.", K.year_end, {"year": 2023, "on": date(2023, 12, 31)}),
    ("Năm 2025", K.year_end, {"year": 2025, "on": date(2025, 12, 31)}),
    ("Đến hết năm 2030", K.year_end, {"year": 2030, "on": date(2030, 12, 31)}),
    ("31/12/2023", K.date, {"on": date(2023, 12, 31)}),
    ("ngày 15/3/2023", K.date, {"on": date(2023, 3, 15)}),
    ("Trước ngày 15 tháng 3 năm 2024", K.date, {"on": date(2024, 3, 15)}),
    ("6 tháng đầu năm 2024", K.date, {"on": date(2024, 6, 30), "year": 2024}),
    ("6 tháng cuối năm 2024", K.date, {"on": date(2024, 12, 31), "year": 2024}),
    ("Đã hoàn thành.", K.done, {}),
    ("Theo kế hoạch đào tạo, bồi dưỡng hằng năm.", K.by_plan, {}),
    (
        "Sau 03 tháng kể từ khi có Quy chế mẫu và hướng dẫn thực hiện của cấp trên.",
        K.on_event,
        {"event": "có Quy chế mẫu và hướng dẫn thực hiện của cấp trên", "offset_months": 3, "offset_days": 0},
    ),
    (
        "Sau khi có Quy định mới của Ban Thường vụ Thị ủy 03 tháng.",
        K.on_event,
        {"event": "có Quy định mới của Ban Thường vụ Thị ủy", "offset_months": 3},
    ),
    (
        "Sau 01 tháng khi có sự chỉ đạo của Ban Thường vụ Tỉnh ủy.",
        K.on_event,
        {"event": "có sự chỉ đạo của Ban Thường vụ Tỉnh ủy", "offset_months": 1},
    ),
    (
        "Chậm nhất 30 ngày sau khi có hướng dẫn",
        K.on_event,
        {"event": "có hướng dẫn", "offset_months": 0, "offset_days": 30},
    ),
    ("Khi có chỉ đạo của tỉnh.", K.on_event, {"event": "có chỉ đạo của tỉnh", "offset_months": 0}),
    ("Khi có kế hoạch của Ban Thường vụ Tỉnh ủy", K.on_event, {"event": "có kế hoạch của Ban Thường vụ Tỉnh ủy"}),
    (
        "Sau khi Ban Thường vụ Tỉnh ủy chỉ đạo, hướng dẫn.",
        K.on_event,
        {"event": "Ban Thường vụ Tỉnh ủy chỉ đạo, hướng dẫn", "offset_months": 0},
    ),
    ("Khi có đủ điều kiện.", K.on_event, {"event": "có đủ điều kiện", "offset_months": 0}),
    ("Thường xuyên, hằng năm.", K.compound, {}),
    ("Thường xuyên hoặc theo nhiệm kỳ.", K.compound, {}),
    ("Thường xuyên và khi có chủ trương của tỉnh.", K.compound, {}),
]


@pytest.mark.parametrize(("text", "kind", "fields"), DEADLINES, ids=[text for text, _, _ in DEADLINES])
def test_deadline(text: str, kind: DeadlineKind, fields: dict[str, Any]) -> None:
    deadline = parse_deadline(text)
    assert deadline.kind is kind
    assert deadline.text == text.strip()
    for name, value in fields.items():
        assert getattr(deadline, name) == value, name
    if kind in (K.date, K.month, K.quarter, K.year_end):
        assert deadline.on is not None
    else:
        assert deadline.on is None


@pytest.mark.parametrize(
    ("text", "parts"),
    [
        ("Thường xuyên, hằng năm.", [K.ongoing, K.yearly]),
        ("Thường xuyên hoặc theo nhiệm kỳ.", [K.ongoing, K.per_term]),
        ("Thường xuyên và khi có chủ trương của tỉnh.", [K.ongoing, K.on_event]),
        ("Quý IV/2022 và hằng năm", [K.quarter, K.yearly]),
    ],
)
def test_compound_deadline_parts(text: str, parts: list[DeadlineKind]) -> None:
    deadline = parse_deadline(text)
    assert [part.kind for part in deadline.parts] == parts


def test_deadline_without_a_year_takes_it_from_the_issue_date() -> None:
    issued = date(2022, 9, 15)
    assert parse_deadline("Quý IV", issued_on=issued).on == date(2022, 12, 31)
    assert parse_deadline("Quý I", issued_on=issued).on == date(2023, 3, 31)  # Q1 2022 was over: the next one
    assert parse_deadline("tháng 10", issued_on=issued).on == date(2022, 10, 31)
    assert parse_deadline("Quý IV").kind is K.unknown  # no year, no issue date: not guessed


@pytest.mark.parametrize(
    "text",
    [
        "Sớm nhất có thể",
        "32/1/2023",
        "tháng 13/2023",
        "Quý V/2023",
        "Trước tháng 6/2024",
        "Sau 03 tháng",
        "",
        "Khi có chỉ đạo " * 60,
    ],
)
def test_unreadable_deadline_is_unknown(text: str) -> None:
    deadline = parse_deadline(text)
    assert deadline.kind is K.unknown
    assert deadline.text == " ".join(text.split())


# --- bodies and labels -----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("label", "roles"),
    [
        ("Cơ quan chỉ đạo", (D,)),
        ("*Cơ quan tham mưu*", (A,)),
        ("Cơ quan tham mưu chỉ đạo", (A,)),
        ("Cơ quan chủ trì tham mưu", (L, A)),
        ("Cơ quan chủ trì tham mưu chỉ đạo", (L, A)),
        ("Cơ quan chủ trì", (L,)),
        ("Cơ quan chỉ đạo và thực hiện", (D, IMP)),
        ("Cơ quan phối hợp", (C,)),
        ("Cơ quan phối hợp tham mưu", (C,)),
        ("Cơ quan tổ chức thực hiện", (IMP,)),
        ("Cơ quan tổ chức, thực hiện", (IMP,)),
        ("Tổ chức thực hiện", (IMP,)),
        ("Tổ chức, thực hiện", (IMP,)),
        ("Cơ quan giám sát", None),
    ],
)
def test_role_labels(label: str, roles: tuple[TaskRole, ...] | None) -> None:
    assert read_role_label(label) == roles


@pytest.mark.parametrize(
    ("text", "names"),
    [
        (
            "Liên đoàn Lao động thị xã, Hội Nông dân thị xã, Hội Liên hiệp Phụ nữ thị xã, Thị đoàn.",
            ["Liên đoàn Lao động thị xã", "Hội Nông dân thị xã", "Hội Liên hiệp Phụ nữ thị xã", "Thị đoàn"],
        ),
        ("Các cấp ủy, tổ chức đảng trong Đảng bộ thị xã.", ["Các cấp ủy, tổ chức đảng trong Đảng bộ thị xã"]),
        ("Các cấp ủy, Tổ chức đảng trong Đảng bộ thị xã", ["Các cấp ủy, Tổ chức đảng trong Đảng bộ thị xã"]),
        ("Các đảng ủy, chi bộ trực thuộc Thị ủy", ["Các đảng ủy, chi bộ trực thuộc Thị ủy"]),
        ("Cơ quan Tổ chức - Nội vụ thị xã", ["Cơ quan Tổ chức - Nội vụ thị xã"]),
        (
            "Trung tâm Chính trị thị xã; các cấp ủy, tổ chức đảng trong Đảng bộ thị xã.",
            ["Trung tâm Chính trị thị xã", "Các cấp ủy, tổ chức đảng trong Đảng bộ thị xã"],
        ),
        ("HĐND, UBND thị xã.", ["HĐND thị xã", "UBND thị xã"]),
        (
            "Phòng Văn hóa và Thông tin thị xã, Ban Tuyên giáo và Ban Dân vận Thị ủy",
            ["Phòng Văn hóa và Thông tin thị xã", "Ban Tuyên giáo", "Ban Dân vận Thị ủy"],
        ),
        ("Sở Lao động - Thương binh và Xã hội", ["Sở Lao động - Thương binh và Xã hội"]),
        (
            "Ủy ban Mặt trận và các tổ chức chính trị - xã hội thị xã",
            ["Ủy ban Mặt trận và các tổ chức chính trị - xã hội thị xã"],
        ),
        (
            "Đảng ủy xã, phường (*Phổ Nhơn, Phổ Khánh, Phổ Ninh và Phổ Vinh*).",
            ["Đảng ủy xã, phường (Phổ Nhơn, Phổ Khánh, Phổ Ninh và Phổ Vinh)"],
        ),
        ("UBND thị xã, các cơ quan có liên quan", ["UBND thị xã", "Các cơ quan có liên quan"]),
    ],
)
def test_split_names(text: str, names: list[str]) -> None:
    assert split_names(text) == names


@pytest.mark.parametrize(
    ("name", "collective"),
    [
        ("Các cấp ủy, tổ chức đảng trong Đảng bộ thị xã", True),
        ("Các đảng ủy, chi bộ trực thuộc Thị ủy", True),
        ("Đảng ủy các xã, phường", True),
        ("UBND xã, phường", True),
        ("Tổ chức cơ sở đảng", True),
        ("Ban Thường vụ Thị ủy", False),
        ("Ban Chỉ đạo xây dựng tổ chức đảng, đoàn thể trong các đơn vị kinh tế tư nhân thị xã", False),
        ("Các cơ quan có liên quan", False),
        ("Các cơ quan, đơn vị liên quan", False),
        ("Thị ủy viên", False),
    ],
)
def test_collective(name: str, collective: bool) -> None:
    assert is_collective(name) is collective


def test_body_keys_are_forgiving_but_keep_bodies_apart() -> None:
    key = normalise_body_name
    assert key("UBND thị xã") == key("Ủy ban nhân dân thị xã") == key("uỷ ban nhân dân  Thị Xã.")
    assert key("UBND TX") == key("UBND thị xã")
    assert key("HĐND thị xã") == key("Hội đồng nhân dân thị xã")
    assert key(unicodedata.normalize("NFD", "Ủy ban Kiểm tra Thị ủy")) == key("Ủy ban Kiểm tra Thị ủy")
    assert key("Cơ quan Tổ chức - Nội vụ thị xã") == key("Cơ quan Tổ chức Nội vụ thị xã")
    assert key("Ủy ban Mặt trận Tổ quốc Việt Nam thị xã") == key("UBMTTQ thị xã")
    assert key("Hội Liên hiệp phụ nữ thị xã") == key("Hội Liên hiệp Phụ nữ thị xã")
    assert key("Ban Thường vụ Thị ủy") != key("Ban Thường vụ Tỉnh ủy")
    assert key("Ủy ban Mặt trận thị xã") != key("Ủy ban Mặt trận Tổ quốc Việt Nam thị xã")
    assert key("Đảng ủy Quân sự thị xã") != key("Đảng ủy Công an thị xã")


# --- what is not understood ------------------------------------------------------------------------------------


PLAN = """KẾ HOẠCH
**thực hiện Nghị quyết**

B. NỘI DUNG THỰC HIỆN
- Cơ quan chỉ đạo: Ban Thường vụ Thị ủy.
a) Việc không có số
1. Việc thứ nhất
- *Cơ quan giám sát*: Ủy ban Kiểm tra Thị ủy.
- Cơ quan chỉ đạo: Ban Thường vụ Thị ủy.
- Ghi chú thêm về việc này
- Cơ quan tham mưu:
- *Thời gian hoàn thành:* Sớm nhất có thể.
Một đoạn văn sau phần phân công.
1.1. Việc con
- Cơ quan tổ chức, thực hiện: Cơ quan Tổ chức - Nội vụ thị xã, Ủy ban
kiểm tra Thị ủy.
- Thời gian thực hiện: Quý I/2023.
- Thời gian hoàn thành: Thường xuyên.
1. Lặp số
C. TỔ CHỨC THỰC HIỆN
1. Các đảng ủy xây dựng kế hoạch.
"""


def test_what_is_not_understood_is_reported_with_the_reason() -> None:
    plan = parse_plan_text(PLAN)
    reasons = {item.line: item.reason for item in plan.unparsed}
    assert sorted(reasons) == [5, 6, 8, 10, 11, 12, 13, 19]
    assert "outside any task" in reasons[5]
    assert "lettered item outside any numbered task" in reasons[6]
    assert "unknown role label “Cơ quan giám sát”" in reasons[8]
    assert "neither a role nor a deadline" in reasons[10]
    assert "no body named" in reasons[11]
    assert "deadline not understood" in reasons[12]
    assert "text after the roles and deadline of task 1" in reasons[13]
    assert "appears twice" in reasons[19]
    first, child, follow_up = plan.tasks
    assert (follow_up.code, _bodies(follow_up)) == ("C.1", {"Các đảng ủy": {IMP}})
    assert first.code == "1" and _bodies(first) == {BTV: {D}}
    assert first.deadline is not None and first.deadline.kind is K.unknown
    assert first.deadline.text == "Sớm nhất có thể."
    # A role line broken by a page reads on; two deadline lines make one compound deadline.
    assert (child.code, child.parent_code) == ("1.1", "1")
    assert _bodies(child) == {TO_NV: {IMP}, "Ủy ban kiểm tra Thị ủy": {IMP}}
    assert child.deadline is not None and child.deadline.kind is K.compound
    assert [part.kind for part in child.deadline.parts] == [K.quarter, K.ongoing]
    assert child.deadline_label == "Thời gian thực hiện; Thời gian hoàn thành"


def test_a_document_without_a_title_says_so() -> None:
    plan = parse_plan_text("1. Việc\n- Thời gian: Hằng năm\n")
    assert plan.title == ""
    assert [item.line for item in plan.unparsed] == [0]
    assert [(task.code, task.deadline and task.deadline.kind) for task in plan.tasks] == [("1", K.yearly)]


# --- the Word form ---------------------------------------------------------------------------------------------


def test_docx_reads_like_the_text(seed_text: str, seed: ParsedPlan, tmp_path: Path) -> None:
    path = tmp_path / "ke-hoach.docx"
    path.write_bytes(docx_typed(seed_text))
    document = docx.Document(str(path))
    role_line = next(p for p in document.paragraphs if p.text.startswith("- Cơ quan chỉ đạo: Ban"))
    assert [run.italic for run in role_line.runs][:2] == [None, True]  # real italics, no asterisks in the file
    from_word = parse_plan_docx(path.read_bytes())
    assert from_word.tasks == seed.tasks
    assert from_word == seed


def test_docx_header_table_and_line_breaks() -> None:
    document = docx.Document()
    table = document.add_table(rows=1, cols=2)
    table.cell(0, 0).text = "THỊ ỦY ĐỨC PHỔ\nSố 211-KH/TU"
    table.cell(0, 1).text = "ĐẢNG CỘNG SẢN VIỆT NAM\nĐức Phổ, ngày 15 tháng 9 năm 2022"
    document.add_paragraph("KẾ HOẠCH")
    document.add_paragraph().add_run("thực hiện Nghị quyết số 21-NQ/TW").bold = True
    document.add_paragraph("Ban Thường vụ Thị ủy ban hành Kế hoạch như sau:")
    document.add_paragraph("B. NỘI DUNG THỰC HIỆN")
    document.add_paragraph("1. Việc thứ nhất")
    roles = document.add_paragraph("- ")
    roles.add_run("Cơ quan chủ trì").italic = True
    roles.add_run(": Văn phòng Thị ủy.\n- Thời gian hoàn thành: Quý IV.")
    stream = io.BytesIO()
    document.save(stream)
    plan = parse_plan_docx(stream.getvalue())
    assert (plan.code, plan.issued_on, plan.title, plan.issuer) == (
        "211-KH/TU",
        date(2022, 9, 15),
        "thực hiện Nghị quyết số 21-NQ/TW",
        "Ban Thường vụ Thị ủy",
    )
    (task,) = plan.tasks
    assert _bodies(task) == {"Văn phòng Thị ủy": {L}}
    assert task.deadline is not None and task.deadline.on == date(2022, 12, 31)
    assert plan.unparsed == ()


@pytest.mark.parametrize("data", [b"", b"not a zip", b"PK\x03\x04 broken"])
def test_not_a_word_file(data: bytes) -> None:
    with pytest.raises(UnreadableDocument):
        parse_plan_docx(data)


def test_a_zip_that_is_not_a_word_file(tmp_path: Path) -> None:
    import zipfile

    path = tmp_path / "other.zip"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("hello.txt", "xin chào")
    with pytest.raises(UnreadableDocument):
        parse_plan_docx(path.read_bytes())
