"""Who the demo's members are: names, places, ages and the shapes of their records (deterministic sample
data; members.py makes their lives)."""

import functools
import itertools
import random
import unicodedata
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import Any, Protocol

from app.domain.members.lifecycle import MEMBERS, MemberState
from app.domain.plans.status import add_months

END = date(2025, 12, 31)
HISTORY_FROM = date(2021, 1, 1)
RECORDED_BY = "demo-data"
EXTERNAL_SYSTEM = "qldv"  # the record number in the party's member database software ("phần mềm quản lý đảng viên")
LARGE_CELL_SIZE = 121
SMALL_CELL = "Chi bộ Công ty TNHH Điện tử Phố Nối"  # the grassroots cell that ends with < 3 official members
CROWDED_CELLS = (
    "Chi bộ Ngân hàng TMCP Ngoại thương Việt Nam chi nhánh Hưng Yên",
    "Chi bộ Công ty Xăng dầu Hưng Yên",
)  # grassroots cells of ≥ 30 members
INITIAL_MEMBERS = 5900  # probationary and official members on the tree's first day
ADMISSION_RATE = (0.032, 0.038)  # new members a year, as a share of the membership
# Per year, as a share of the membership: transfers out (a new job), transfers in, between cells, temporary.
RATES = {"job_out": 0.009, "transfer_in": 0.003, "within": 0.007, "temporary": 0.004}
PER_YEAR = {"exempt": (3, 5), "die": (4, 8), "strike_off": (2, 4), "resign": (1, 3)}  # counts, from–to

_N = unicodedata.normalize
FAMILY_NAMES = {
    _N("NFC", k): v
    for k, v in {
        "Nguyễn": 31,
        "Trần": 10,
        "Lê": 8,
        "Phạm": 7,
        "Vũ": 5,
        "Hoàng": 4.5,
        "Đỗ": 3,
        "Bùi": 3,
        "Đặng": 2.5,
        "Phan": 2,
        "Đào": 2,
        "Ngô": 2,
        "Đinh": 1.5,
        "Dương": 1.2,
        "Trịnh": 1,
        "Đoàn": 1,
        "Hà": 0.8,
        "Lương": 0.8,
        "Mai": 0.8,
        "Hồ": 0.7,
        "Cao": 0.6,
        "Lưu": 0.6,
        "Tạ": 0.5,
        "Lý": 0.5,
        "Võ": 0.5,
        "Chu": 0.4,
        "Khúc": 0.3,
        "Huỳnh": 0.3,
        "Quách": 0.2,
        "Nghiêm": 0.2,
    }.items()
}
MIDDLE_NAMES = {  # (gender, born before 1975) → weights
    ("male", True): {
        "Văn": 55,
        "Đức": 8,
        "Xuân": 5,
        "Quang": 5,
        "Hữu": 5,
        "Minh": 5,
        "Đình": 5,
        "Ngọc": 3,
        "Thanh": 3,
        "Công": 3,
        "Bá": 2,
        "Tiến": 2,
        "Trọng": 2,
    },
    ("male", False): {
        "Văn": 25,
        "Minh": 12,
        "Đức": 10,
        "Quang": 8,
        "Duy": 6,
        "Quốc": 6,
        "Hoàng": 5,
        "Mạnh": 5,
        "Trung": 4,
        "Hải": 4,
        "Thành": 4,
        "Việt": 4,
        "Anh": 4,
        "Tiến": 3,
        "Xuân": 3,
        "Hữu": 3,
    },
    ("female", True): {
        "Thị": 72,
        "Thu": 5,
        "Thanh": 5,
        "Ngọc": 4,
        "Hồng": 4,
        "Minh": 3,
        "Kim": 3,
        "Bích": 2,
        "Thúy": 2,
    },
    ("female", False): {
        "Thị": 40,
        "Thu": 8,
        "Ngọc": 7,
        "Thanh": 6,
        "Minh": 5,
        "Phương": 5,
        "Thùy": 5,
        "Hồng": 4,
        "Mai": 3,
        "Hải": 3,
        "Khánh": 3,
        "Bảo": 2,
        "Diệu": 2,
        "Kim": 2,
    },
}
SECOND_MIDDLE = ("Thu", "Hồng", "Thanh", "Minh", "Ngọc", "Kim", "Thúy", "Bích", "Lan", "Mai")  # "Thị Thu …"
GIVEN_NAMES = {
    "male": (
        "An Anh Bách Bình Cường Chiến Công Dũng Duy Dương Đạt Điệp Định Đông Đức Giang Hải Hào Hậu Hiệp Hiếu "
        "Hòa Hoàng Hùng Huy Hưng Khánh Khoa Khôi Kiên Lâm Long Lợi Lực Mạnh Minh Nam Nghĩa Nguyên Phong Phúc "
        "Quân Quang Quý Sơn Tài Tâm Thái Thắng Thanh Thành Thịnh Thuận Tiến Toàn Trọng Trung Trường Tú Tuấn "
        "Tùng Vinh Việt"
    ).split(),
    "female": (
        "Anh Ánh Bích Chi Chinh Diệp Dung Duyên Đào Giang Hà Hạnh Hằng Hiền Hoa Hòa Hồng Huế Huệ Hương "
        "Hường Huyền Lan Liên Liễu Linh Loan Lụa Ly Mai Minh My Nga Ngân Ngọc Nguyệt Nhàn Nhung Oanh Phương "
        "Phượng Quyên Quỳnh Tâm Thảo Thoa Thơm Thu Thủy Thúy Thư Trang Tuyết Uyên Vân Yến"
    ).split(),
}
OUTSIDE = (
    "Đảng bộ Khối các cơ quan Trung ương",
    "Đảng bộ tỉnh Hải Dương",
    "Đảng bộ thành phố Hà Nội",
    "Đảng bộ tỉnh Thái Bình",
    "Đảng bộ Quân sự tỉnh Hưng Yên",
    "Đảng bộ Công an tỉnh Hưng Yên",
    "Đảng bộ huyện Văn Lâm",
    "Đảng bộ thị xã Mỹ Hào",
    "Đảng bộ Tập đoàn Điện lực Việt Nam",
)
STUDIES = (
    "Học viện Chính trị khu vực I",
    "Trường Chính trị Nguyễn Văn Linh tỉnh Hưng Yên",
    "Học viện Chính trị quốc gia Hồ Chí Minh",
    "Đại học Quốc gia Hà Nội (học thạc sĩ tập trung)",
)
MOBILE_PREFIXES = (
    "086",
    "096",
    "097",
    "098",
    "032",
    "033",
    "034",
    "035",
    "036",
    "037",
    "038",
    "039",
    "088",
    "091",
    "094",
    "081",
    "082",
    "083",
    "084",
    "085",
    "089",
    "090",
    "093",
    "070",
    "076",
    "077",
    "078",
    "079",
)
ETHNICITIES = {"01": 985, "02": 4, "06": 4, "07": 2, "03": 2, "04": 2, "18": 1}
RELIGIONS = {"none": 955, "buddhism": 30, "catholicism": 15}
THEORY = {"none": 4, "elementary": 60, "intermediate": 28, "advanced": 7, "bachelor": 1}
PROFESSIONAL = {  # by the kind of unit
    "office": {"vocational": 3, "college": 5, "bachelor": 64, "master": 26, "doctorate": 2},
    "science": {"vocational": 4, "college": 12, "bachelor": 48, "master": 27, "doctorate": 9},
    "enterprise": {"none": 2, "vocational": 25, "college": 15, "bachelor": 50, "master": 8},
}
_FEMALE_HINTS = ("May", "Bệnh viện", "Y tế", "Khoa", "Kho bạc", "Ngân hàng", "Bảo hiểm", "Dược", "Điều dưỡng")
_MALE_HINTS = ("Điện", "Thủy lợi", "Viễn thông", "Xe", "Cơ khí", "Xây dựng", "Giao thông", "Xăng", "Phân xưởng")


class Unit(Protocol):
    """What the generator needs of a unit of the demo tree (app.domain.demo.DemoUnit)."""

    @property
    def code(self) -> str: ...
    @property
    def name(self) -> str: ...
    @property
    def kind(self) -> str: ...
    @property
    def category(self) -> str | None: ...
    @property
    def parent_code(self) -> str | None: ...
    @property
    def valid_from(self) -> date: ...


@dataclass(frozen=True)
class DemoEvent:
    kind: str
    on: date
    decision_ref: str | None
    note: str | None
    from_code: str | None
    to_code: str | None
    details: dict[str, Any] | None


@dataclass(frozen=True)
class DemoPeriod:
    valid_from: date
    valid_to: date | None
    state: MemberState  # organisation and host as unit codes


@dataclass(frozen=True)
class DemoMember:
    id: uuid.UUID
    record: dict[str, Any]  # the members row's own fields (name, birth, ids, levels, dates, …)
    state: MemberState  # as it stands at the end
    events: tuple[DemoEvent, ...]
    periods: tuple[DemoPeriod, ...]


@dataclass(eq=False)
class _Person:
    id: uuid.UUID
    record: dict[str, Any]
    state: MemberState
    events: list[DemoEvent] = field(default_factory=list)
    starts: list[tuple[date, MemberState]] = field(default_factory=list)
    protected: bool = False  # scripted: random events leave this person alone

    @property
    def last(self) -> date:
        return self.events[-1].on


@dataclass(eq=False)
class _Home:
    code: str
    kind: str
    cell: str  # the cell (a party group's cell, or itself)
    committee: str  # the grassroots organisation it belongs to
    opens: date
    profile: str  # "office", "science" or "enterprise"
    mass: bool
    students: bool
    female: float
    floor: int = 5
    protected: bool = False
    people: dict[uuid.UUID, _Person] = field(default_factory=dict)

    def members(self) -> list[_Person]:
        return [p for p in self.people.values() if p.state.status in MEMBERS]

    def official(self) -> int:
        return sum(1 for p in self.people.values() if p.state.status == "official")


def retirement(born: date, gender: str) -> date:
    """The day a person reaches the retirement age of the 2019 Labour Code: 60 (men) and 55 (women) in 2020, then
    3 (men) or 4 (women) months later each year, up to 62 and 60."""
    for year in itertools.count(max(2020, born.year + 55)):
        months = min(720 + 3 * (year - 2020), 744) if gender == "male" else min(660 + 4 * (year - 2020), 720)
        if (day := add_months(born, months)).year <= year:
            return day
    raise AssertionError  # unreachable


def _age(born: date, on: date) -> int:
    return on.year - born.year - ((on.month, on.day) < (born.month, born.day))


def _weighted(rng: random.Random, weights: Mapping[str, float]) -> str:
    return rng.choices(list(weights), weights=list(weights.values()))[0]


def _birth_weight(year: int) -> float:
    """Members by birth year in a bloc of agencies and enterprises: many in their forties and fifties."""
    for upto, weight in (
        (1962, 1.0),
        (1965, 2.4),
        (1970, 2.6),
        (1975, 2.8),
        (1980, 3.2),
        (1985, 3.4),
        (1990, 3.0),
        (1995, 2.0),
        (1999, 0.8),
    ):
        if year <= upto:
            return weight
    return 0.2


@functools.cache
def _birth_years(mass: bool, youngest: int) -> tuple[list[int], list[float]]:
    """Birth years and their cumulative weights: mass associations keep members born from 1955 on."""
    years = list(range(1955 if mass else 1961, youngest + 1))
    return years, list(itertools.accumulate(2.5 if mass and y <= 1962 else _birth_weight(y) for y in years))
