"""The demo's members: about 6,000 people in the cells of the demo bloc committee (seed 003), with what happened to
them from 2020 (when the demo tree begins) to the end of 2025, generated deterministically as rows (no I/O here;
app/db/demo_members.py writes them in bulk). Every change is made through `lifecycle.apply`, as the service would.

Choices, so that tests and indicators can count by hand:
- Members admitted before the tree begins are registered on its first day (event "registered", first period from
  then; the record keeps the admission date): a period never names an organisation before it existed. Members
  admitted in 2019 are registered as probationary and recognised in 2020; those admitted in 2020 are registered on
  their admission date and recognised in 2021. Transfers in from outside the tree are "registered" on arrival.
- The large cell holds exactly 121 members, untouched, until its party groups start (2021-07-01). Then each of them
  moves to one of the 11 groups (a "transfer" event with details {"party_group": true}, as a split records it);
  from then on the cell's members are registered in its groups and counted in the cell through them.
- New members are proposed as candidates ("proposed"), admitted 3–9 months later, recognised as official 12 months
  after admission, within the 30-working-day window except about 4 % recognised late (60–150 days). Scripted: one
  failed probation (2023), two probationary members never recognised (admitted 2024, past their window at the end),
  one member suspended then expelled (2023), SMALL_CELL ending 2025 with 2 official and 3 probationary members.
- Everywhere else a cell keeps 5–60 members and ≥ 3 official ones: random exits only pick members whose cell can
  spare them, and a cell that a retirement leaves short gets a transfer in. CROWDED_CELLS keep ≥ 30 members.
- Members of agencies and enterprises transfer out (to their residence) when they reach the retirement age of the
  2019 Labour Code; mass associations keep older members, who are the ones exempted and, mostly, the ones who die.
"""

import functools
import heapq
import itertools
import random
import unicodedata
import uuid
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from functools import partial
from typing import Any, Protocol

import asyncpg
import orjson

from app.db import demo_members as db
from app.domain.errors import Conflict
from app.domain.members.lifecycle import MEMBERS, TERMINAL, EventKind, MemberState, apply
from app.domain.members.names import sort_key
from app.domain.plans.status import add_months

END = date(2025, 12, 31)
HISTORY_FROM = date(2021, 1, 1)
RECORDED_BY = "demo-data"
EXTERNAL_SYSTEM = "qldv"  # the record number in the party's member database software ("phần mềm quản lý đảng viên")
LARGE_CELL_SIZE = 121
SMALL_CELL = "Chi bộ Công ty TNHH Điện tử Phố Nối"  # the grassroots cell that ends with < 3 official members
CROWDED_CELLS = ("Chi bộ Ngân hàng TMCP Ngoại thương Việt Nam chi nhánh Hưng Yên",
                 "Chi bộ Công ty Xăng dầu Hưng Yên")  # grassroots cells of ≥ 30 members
INITIAL_MEMBERS = 5900  # probationary and official members on the tree's first day
ADMISSION_RATE = (0.032, 0.038)  # new members a year, as a share of the membership
# Per year, as a share of the membership: transfers out (a new job), transfers in, between cells, temporary.
RATES = {"job_out": 0.009, "transfer_in": 0.003, "within": 0.007, "temporary": 0.004}
PER_YEAR = {"exempt": (3, 5), "die": (4, 8), "strike_off": (2, 4), "resign": (1, 3)}  # counts, from–to

_N = unicodedata.normalize
FAMILY_NAMES = {_N("NFC", k): v for k, v in {
    "Nguyễn": 31, "Trần": 10, "Lê": 8, "Phạm": 7, "Vũ": 5, "Hoàng": 4.5, "Đỗ": 3, "Bùi": 3, "Đặng": 2.5, "Phan": 2,
    "Đào": 2, "Ngô": 2, "Đinh": 1.5, "Dương": 1.2, "Trịnh": 1, "Đoàn": 1, "Hà": 0.8, "Lương": 0.8, "Mai": 0.8,
    "Hồ": 0.7, "Cao": 0.6, "Lưu": 0.6, "Tạ": 0.5, "Lý": 0.5, "Võ": 0.5, "Chu": 0.4, "Khúc": 0.3, "Huỳnh": 0.3,
    "Quách": 0.2, "Nghiêm": 0.2}.items()}
MIDDLE_NAMES = {  # (gender, born before 1975) → weights
    ("male", True): {"Văn": 55, "Đức": 8, "Xuân": 5, "Quang": 5, "Hữu": 5, "Minh": 5, "Đình": 5, "Ngọc": 3,
                     "Thanh": 3, "Công": 3, "Bá": 2, "Tiến": 2, "Trọng": 2},
    ("male", False): {"Văn": 25, "Minh": 12, "Đức": 10, "Quang": 8, "Duy": 6, "Quốc": 6, "Hoàng": 5, "Mạnh": 5,
                      "Trung": 4, "Hải": 4, "Thành": 4, "Việt": 4, "Anh": 4, "Tiến": 3, "Xuân": 3, "Hữu": 3},
    ("female", True): {"Thị": 72, "Thu": 5, "Thanh": 5, "Ngọc": 4, "Hồng": 4, "Minh": 3, "Kim": 3, "Bích": 2,
                       "Thúy": 2},
    ("female", False): {"Thị": 40, "Thu": 8, "Ngọc": 7, "Thanh": 6, "Minh": 5, "Phương": 5, "Thùy": 5, "Hồng": 4,
                        "Mai": 3, "Hải": 3, "Khánh": 3, "Bảo": 2, "Diệu": 2, "Kim": 2},
}
SECOND_MIDDLE = ("Thu", "Hồng", "Thanh", "Minh", "Ngọc", "Kim", "Thúy", "Bích", "Lan", "Mai")  # "Thị Thu …"
GIVEN_NAMES = {
    "male": ("An Anh Bách Bình Cường Chiến Công Dũng Duy Dương Đạt Điệp Định Đông Đức Giang Hải Hào Hậu Hiệp Hiếu "
             "Hòa Hoàng Hùng Huy Hưng Khánh Khoa Khôi Kiên Lâm Long Lợi Lực Mạnh Minh Nam Nghĩa Nguyên Phong Phúc "
             "Quân Quang Quý Sơn Tài Tâm Thái Thắng Thanh Thành Thịnh Thuận Tiến Toàn Trọng Trung Trường Tú Tuấn "
             "Tùng Vinh Việt").split(),
    "female": ("Anh Ánh Bích Chi Chinh Diệp Dung Duyên Đào Giang Hà Hạnh Hằng Hiền Hoa Hòa Hồng Huế Huệ Hương "
               "Hường Huyền Lan Liên Liễu Linh Loan Lụa Ly Mai Minh My Nga Ngân Ngọc Nguyệt Nhàn Nhung Oanh Phương "
               "Phượng Quyên Quỳnh Tâm Thảo Thoa Thơm Thu Thủy Thúy Thư Trang Tuyết Uyên Vân Yến").split(),
}
COMMUNES = {  # district of Hưng Yên (before 2025) → communes
    "thành phố Hưng Yên": ("phường Lê Lợi", "phường Hiến Nam", "phường Minh Khai", "phường An Tảo", "xã Bảo Khê"),
    "thị xã Mỹ Hào": ("phường Bần Yên Nhân", "phường Nhân Hòa", "phường Dị Sử", "xã Hòa Phong", "xã Cẩm Xá"),
    "huyện Văn Lâm": ("thị trấn Như Quỳnh", "xã Lạc Đạo", "xã Chỉ Đạo", "xã Đại Đồng", "xã Tân Quang"),
    "huyện Văn Giang": ("thị trấn Văn Giang", "xã Xuân Quan", "xã Phụng Công", "xã Cửu Cao", "xã Long Hưng"),
    "huyện Yên Mỹ": ("thị trấn Yên Mỹ", "xã Trung Hưng", "xã Liêu Xá", "xã Giai Phạm", "xã Tân Lập"),
    "huyện Khoái Châu": ("thị trấn Khoái Châu", "xã Bình Minh", "xã Dạ Trạch", "xã Đông Tảo", "xã Tân Dân"),
    "huyện Kim Động": ("thị trấn Lương Bằng", "xã Toàn Thắng", "xã Nghĩa Dân", "xã Đức Hợp"),
    "huyện Ân Thi": ("thị trấn Ân Thi", "xã Phù Ủng", "xã Bãi Sậy", "xã Quảng Lãng"),
    "huyện Phù Cừ": ("thị trấn Trần Cao", "xã Minh Tân", "xã Tống Phan", "xã Đoàn Đào"),
    "huyện Tiên Lữ": ("thị trấn Vương", "xã Hưng Đạo", "xã Thiện Phiến", "xã Lệ Xá"),
}
ELSEWHERE = (("huyện Quỳnh Phụ, tỉnh Thái Bình", "034"), ("huyện Hưng Hà, tỉnh Thái Bình", "034"),
             ("huyện Bình Giang, tỉnh Hải Dương", "030"), ("huyện Thanh Miện, tỉnh Hải Dương", "030"),
             ("huyện Gia Lâm, thành phố Hà Nội", "001"), ("huyện Ý Yên, tỉnh Nam Định", "036"),
             ("huyện Lý Nhân, tỉnh Hà Nam", "035"))
OUTSIDE = ("Đảng bộ Khối các cơ quan Trung ương", "Đảng bộ tỉnh Hải Dương", "Đảng bộ thành phố Hà Nội",
           "Đảng bộ tỉnh Thái Bình", "Đảng bộ Quân sự tỉnh Hưng Yên", "Đảng bộ Công an tỉnh Hưng Yên",
           "Đảng bộ huyện Văn Lâm", "Đảng bộ thị xã Mỹ Hào", "Đảng bộ Tập đoàn Điện lực Việt Nam")
STUDIES = ("Học viện Chính trị khu vực I", "Trường Chính trị Nguyễn Văn Linh tỉnh Hưng Yên",
           "Học viện Chính trị quốc gia Hồ Chí Minh", "Đại học Quốc gia Hà Nội (học thạc sĩ tập trung)")
MOBILE_PREFIXES = ("086", "096", "097", "098", "032", "033", "034", "035", "036", "037", "038", "039", "088", "091",
                   "094", "081", "082", "083", "084", "085", "089", "090", "093", "070", "076", "077", "078", "079")
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
    for upto, weight in ((1962, 1.0), (1965, 2.4), (1970, 2.6), (1975, 2.8), (1980, 3.2), (1985, 3.4), (1990, 3.0),
                         (1995, 2.0), (1999, 0.8)):
        if year <= upto:
            return weight
    return 0.2


@functools.cache
def _birth_years(mass: bool, youngest: int) -> tuple[list[int], list[float]]:
    """Birth years and their cumulative weights: mass associations keep members born from 1955 on."""
    years = list(range(1955 if mass else 1961, youngest + 1))
    return years, list(itertools.accumulate(2.5 if mass and y <= 1962 else _birth_weight(y) for y in years))


class _World:
    def __init__(self, units: Sequence[Unit], seed: int) -> None:
        self.rng = random.Random(seed)  # noqa: S311 -- sample data, reproducible on purpose
        self.queue: list[tuple[date, int, Callable[[date], None]]] = []
        self.order = itertools.count()
        self.people: list[_Person] = []
        self.refs: dict[tuple[str, int], int] = {}
        self.serial = itertools.count(1)
        self.cards = itertools.count(1)
        self.used_ids: set[str] = set()
        self.start = min(u.valid_from for u in units)
        by_code = {u.code: u for u in units}
        self.homes: dict[str, _Home] = {}
        for unit in units:
            if unit.kind not in ("grassroots_cell", "subordinate_cell", "party_group"):
                continue
            cell = by_code[unit.parent_code] if unit.kind == "party_group" and unit.parent_code else unit
            top = cell
            while top.kind not in ("grassroots_cell", "grassroots_committee") and top.parent_code:
                top = by_code[top.parent_code]
            text = f"{top.name} {cell.name}"
            profile = ("enterprise" if (cell.category or "").endswith("enterprise") else
                       "science" if (cell.category or "") == "public_service_unit" else "office")
            female = (0.58 if any(h in text for h in _FEMALE_HINTS) else
                      0.25 if any(h in text for h in _MALE_HINTS) else 0.42)
            self.homes[unit.code] = _Home(unit.code, unit.kind, cell.code, top.code, unit.valid_from, profile,
                                          cell.category == "mass_association", "Sinh viên" in cell.name, female)
        groups = [h for h in self.homes.values() if h.kind == "party_group"]
        self.large = self.homes[groups[0].cell]
        self.groups = sorted(groups, key=lambda h: h.code)
        self.groups_from = self.groups[0].opens
        names = {by_code[c].name: c for c in self.homes}
        self.small = self.homes[names[_N("NFC", SMALL_CELL)]]
        for name in CROWDED_CELLS:
            self.homes[names[_N("NFC", name)]].floor = 31
        self.large.protected = self.small.protected = True

    # --- the machinery: a calendar of actions, and events applied through the lifecycle rules ---------------------

    def at(self, day: date, action: Callable[[date], None]) -> None:
        if day <= END:
            heapq.heappush(self.queue, (day, next(self.order), action))

    def run(self) -> None:
        while self.queue:
            day, _, action = heapq.heappop(self.queue)
            action(day)

    def busy(self, person: _Person, day: date, action: Callable[[date], None]) -> bool:
        """One event a day per member: a later one waits for the next day."""
        if person.last < day:
            return False
        self.at(person.last + timedelta(days=1), action)
        return True

    def ref(self, suffix: str, day: date) -> str:
        n = self.refs[(suffix, day.year)] = self.refs.get((suffix, day.year), 0) + 1
        return f"{n}-{suffix}"

    def record(self, person: _Person, kind: EventKind, day: date, *, to: str | None = None, leaves: bool = False,
               ref: str | None = None, note: str | None = None, details: dict[str, Any] | None = None) -> None:
        before = person.state
        person.state = apply(before, kind, on=day, to_organization_id=to, leaves_tree=leaves)
        person.events.append(DemoEvent(kind.value, day, ref, note, before.organization_id, to, details))
        person.starts.append((day, person.state))
        if person.state.status in TERMINAL or person.state.organization_id != before.organization_id:
            del self.homes[before.organization_id].people[person.id]
            if person.state.status not in TERMINAL:
                self.homes[person.state.organization_id].people[person.id] = person

    def pick(self, day: date, ok: Callable[[_Person], bool], weight: Callable[[_Person], float] = lambda p: 1.0,
             *, leaving: bool = True) -> _Person | None:
        """A random member the event may happen to (not scripted, free that day, whose cell can spare them)."""
        for _ in range(5000):
            person = self.rng.choice(self.people)
            home = self.homes[person.state.organization_id]
            if (person.protected or home.protected or person.state.status not in MEMBERS or person.last >= day
                    or not ok(person) or (leaving and not self.can_spare(home, person))):
                continue
            if self.rng.random() < weight(person):
                return person
        return None

    def can_spare(self, home: _Home, person: _Person) -> bool:
        official = home.official() - (person.state.status == "official")
        return len(home.members()) - 1 >= home.floor and (home.kind == "party_group" or official >= 3)

    def open_homes(self, day: date, *, room: int = 58) -> list[_Home]:
        """Cells (and groups) that exist and have room (counting candidates too: a cheap, safe bound)."""
        return [h for h in self.homes.values() if h.opens <= day and not h.protected and len(h.people) < room]

    def some_home(self, day: date) -> _Home:
        homes = self.open_homes(day)
        return self.rng.choices(homes, weights=[(len(h.people) + 2) * (3 if h.students else 1) for h in homes])[0]

    # --- people -----------------------------------------------------------------------------------------------------

    def birth(self, home: _Home, gender: str, *, youngest: int = 1999, retiring_after: date | None = None) -> date:
        years, weights = _birth_years(home.mass, youngest)
        while True:
            born = date(self.rng.choices(years, cum_weights=weights)[0], 1, 1) + timedelta(days=self.rng.randrange(365))
            if home.mass or retiring_after is None or retirement(born, gender) > retiring_after:
                return born

    def place(self) -> tuple[str, str, str, str]:
        """(birth place, hometown, residence, the citizen ID's province code: the birth place's)."""
        district = self.rng.choice(list(COMMUNES))
        commune = self.rng.choice(COMMUNES[district])
        home_place = f"{commune}, {district}, tỉnh Hưng Yên"
        birth_place, province = home_place, "033"
        if self.rng.random() < 0.1:
            elsewhere, province = self.rng.choice(ELSEWHERE)
            birth_place = elsewhere
        hometown = birth_place if self.rng.random() < 0.8 else home_place
        village = "Thôn" if commune.startswith("xã") else "Tổ dân phố"
        return birth_place, hometown, f"{village} {self.rng.randint(1, 12)}, {home_place}", province

    def name(self, gender: str, born: date) -> str:
        while True:
            middle = _weighted(self.rng, MIDDLE_NAMES[(gender, born.year < 1975)])
            if middle == "Thị" and self.rng.random() < 0.15:
                middle += " " + self.rng.choice(SECOND_MIDDLE)
            given = self.rng.choice(GIVEN_NAMES[gender])
            if given not in middle:
                return _N("NFC", f"{_weighted(self.rng, FAMILY_NAMES)} {middle} {given}")

    def citizen_id(self, province: str, gender: str, born: date) -> str:
        century = (0 if born.year < 2000 else 2) + (gender == "female")
        while True:
            value = f"{province}{century}{born.year % 100:02d}{self.rng.randrange(10 ** 6):06d}"
            if value not in self.used_ids:
                self.used_ids.add(value)
                return value

    def person(self, home: _Home, *, born: date, gender: str, state: MemberState) -> _Person:
        birth_place, hometown, residence, province = (_N("NFC", t) for t in self.place())
        older = born.year < 1970
        record = {
            "full_name": self.name(gender, born), "gender": gender, "birth_date": born, "birth_place": birth_place,
            "hometown": hometown, "residence": residence, "ethnicity": _weighted(self.rng, ETHNICITIES),
            "religion": _weighted(self.rng, RELIGIONS), "citizen_id": self.citizen_id(province, gender, born),
            "phone": self.rng.choice(MOBILE_PREFIXES) + f"{self.rng.randrange(10 ** 7):07d}",
            "education": "lower_secondary" if older and self.rng.random() < 0.08 else "upper_secondary",
            "professional_level": _weighted(self.rng, PROFESSIONAL[home.profile]),
            "political_theory_level": "none", "admission_ceremony_date": None, "party_card_number": None,
            "record_number": None, "sponsor_ids": [], "training_certificate_date": None,
        }
        person = _Person(uuid.UUID(int=self.rng.getrandbits(128), version=4), record, state)
        self.people.append(person)
        home.people[person.id] = person
        return person

    def admitted(self, person: _Person, day: date) -> None:
        """The admission's consequences on the record: record number, theory level (a course comes later)."""
        person.record["record_number"] = f"33.{next(self.serial):06d}"
        years = (END - day).days / 365
        person.record["political_theory_level"] = (
            _weighted(self.rng, THEORY) if years > 6 else "elementary" if self.rng.random() < years / 8 else "none")

    def card(self, person: _Person, official_on: date) -> None:
        if official_on + timedelta(days=90) <= END:
            person.record["party_card_number"] = f"33{next(self.cards):06d}"

    def register(self, home: _Home, day: date, *, admitted: date, gender: str, born: date,
                 details: dict[str, Any] | None = None, note: str | None = None) -> _Person:
        """A member the tree learns of: on its first day, on admission in 2020, or arriving from outside."""
        official = add_months(admitted, 12) <= day
        state = MemberState("official" if official else "probationary", home.code, None, False, False, False,
                            admitted, add_months(admitted, 12) if official else None)
        person = self.person(home, born=born, gender=gender, state=state)
        person.record["admission_ceremony_date"] = admitted + timedelta(days=self.rng.randint(3, 20))
        self.admitted(person, admitted)
        person.events.append(DemoEvent("registered", day, None, note, None, home.code, details))
        person.starts.append((day, state))
        if official:
            self.card(person, add_months(admitted, 12))
        else:
            self.recognition(person, "normal")
        if not home.mass and HISTORY_FROM <= (retires := retirement(born, gender)) <= END:
            self.at(retires + timedelta(days=self.rng.randint(0, 40)), partial(self.retire, person))
        return person

    def admission_age(self, born: date, latest: date) -> date:
        """An admission date for someone born then, at 19–50, no later than `latest`."""
        oldest = min(_age(born, latest), 50)
        years = self.rng.triangular(19, oldest, min(27, oldest)) if oldest > 19 else 19
        return min(latest, born + timedelta(days=int(years * 365.25) + self.rng.randrange(200)))

    # --- the tree's first day ---------------------------------------------------------------------------------------

    def populate(self) -> None:
        cells = [h for h in self.homes.values() if h.kind != "party_group"]
        sizes = {h.code: round(self.rng.triangular(7, 26, 12) if h.kind == "grassroots_cell" else
                               self.rng.triangular(6, 46, 13)) for h in cells}
        sizes |= {self.large.code: LARGE_CELL_SIZE, self.small.code: 5}
        for home in cells:
            if home.floor > 5:
                sizes[home.code] = self.rng.randint(34, 38)
        fixed = {self.large.code, self.small.code} | {h.code for h in cells if h.floor > 5}
        free = sorted(c for c in sizes if c not in fixed)
        while (total := sum(sizes.values())) != INITIAL_MEMBERS:
            code = self.rng.choice(free)
            if total > INITIAL_MEMBERS and sizes[code] > 7:
                sizes[code] -= 1
            elif total < INITIAL_MEMBERS and sizes[code] < 46:
                sizes[code] += 1
        for home in cells:
            recent = 0
            # Retirements begin with the history; the large and the small cells keep theirs for their scripts.
            after = self.groups_from if home is self.large else END if home is self.small else HISTORY_FROM
            for _ in range(sizes[home.code]):
                gender = "female" if self.rng.random() < home.female else "male"
                born = self.birth(home, gender, youngest=2000 if home.students else 1999, retiring_after=after)
                admitted = self.admission_age(born, date(2018, 12, 31))
                draw = self.rng.random()  # 3.3 % admitted in 2019, 3.3 % in 2020: probationary at first
                if (draw < 0.066 and home is not self.small and sizes[home.code] - recent > 4
                        and _age(born, self.start) <= 50):
                    recent += 1
                    admitted = date(2019 if draw < 0.033 else 2020, 1, 1) + timedelta(days=self.rng.randrange(360))
                self.register(home, max(self.start, admitted), admitted=admitted, gender=gender, born=born)

    # --- new members ------------------------------------------------------------------------------------------------

    def propose(self, admit_on: date, fate: str, home: _Home | None, day: date) -> None:
        home = home or self.some_home(day)
        gender = "female" if self.rng.random() < home.female else "male"
        while True:
            years = self.rng.triangular(19, 23, 20) if home.students else self.rng.triangular(18.5, 45, 26)
            born = admit_on - timedelta(days=int(years * 365.25))
            if born <= date(2003, 12, 31):
                break
        state = MemberState("candidate", home.code, None, False, False, False, None, None)
        person = self.person(home, born=born, gender=gender, state=state)
        person.protected = fate != "normal"
        if (trained := day + timedelta(days=self.rng.randint(20, 60))) <= END:  # the course on the Party
            person.record["training_certificate_date"] = trained
        person.events.append(DemoEvent("proposed", day, None, None, None, home.code, None))
        person.starts.append((day, state))
        self.at(admit_on, partial(self.admit, person, fate))

    def admit(self, person: _Person, fate: str, day: date) -> None:
        if person.state.status != "candidate" or self.busy(person, day, partial(self.admit, person, fate)):
            return
        home = self.homes[person.state.organization_id]
        sponsors = [p for p in home.people.values() if p.state.status == "official"]
        person.record["sponsor_ids"] = [p.id for p in self.rng.sample(sponsors, min(2, len(sponsors)))]
        person.record["admission_ceremony_date"] = min(END, day + timedelta(days=self.rng.randint(3, 20)))
        self.record(person, EventKind.admit, day, ref=self.ref("QĐ/ĐUK", day),
                    details={"age": _age(person.record["birth_date"], day), "age_exception": None})
        self.admitted(person, day)
        self.recognition(person, fate)

    def recognition(self, person: _Person, fate: str) -> None:
        admitted = person.state.admission_decision_date
        assert admitted is not None
        due = add_months(admitted, 12)
        if fate == "fail":
            self.at(due + timedelta(days=self.rng.randint(5, 30)), partial(self.fail, person))
        elif fate == "normal":
            day = due + timedelta(days=self.rng.randint(5, 35))  # within the 30 working days
            if self.rng.random() < 0.04 and (late := due + timedelta(days=self.rng.randint(60, 150))) < END:
                day = late
            self.at(day, partial(self.recognize, person))

    def recognize(self, person: _Person, day: date) -> None:
        if person.state.status != "probationary" or self.busy(person, day, partial(self.recognize, person)):
            return
        self.record(person, EventKind.recognize, day, ref=self.ref("QĐ/ĐUK", day))
        self.card(person, day)

    def fail(self, person: _Person, day: date) -> None:
        home = self.homes[person.state.organization_id]
        self.record(person, EventKind.fail_probation, day, ref=self.ref("QĐ/ĐUK", day),
                    note="Không đủ tư cách đảng viên chính thức")
        self.top_up(home, day)

    # --- what happens to members ------------------------------------------------------------------------------------

    def retire(self, person: _Person, day: date) -> None:
        if person.protected or person.state.status in TERMINAL or self.busy(person, day, partial(self.retire, person)):
            return
        home = self.homes[person.state.organization_id]
        place = person.record["residence"].split(", ")[1:3]
        self.record(person, EventKind.transfer, day, leaves=True, ref=self.ref("GGT/ĐUK", day),
                    note="Nghỉ hưu, chuyển sinh hoạt đảng về nơi cư trú",
                    details={"destination": f"Đảng bộ {', '.join(place)}"})
        self.top_up(home, day)

    def top_up(self, home: _Home, day: date) -> None:
        if not home.protected and (len(home.members()) < home.floor or home.official() < 3):
            self.at(min(END, day + timedelta(days=self.rng.randint(1, 20))), partial(self.arrive, home))

    def arrive(self, home: _Home | None, day: date) -> None:
        home = home or self.some_home(day)
        gender = "female" if self.rng.random() < home.female else "male"
        born = self.birth(home, gender, youngest=1995, retiring_after=day + timedelta(days=400))
        origin = self.rng.choice(OUTSIDE)
        self.register(home, day, admitted=self.admission_age(born, day - timedelta(days=730)), gender=gender,
                      born=born, note="Chuyển sinh hoạt đảng chính thức đến", details={"origin": origin})

    def random_event(self, what: str, day: date) -> None:
        age: Callable[[_Person], int] = lambda p: _age(p.record["birth_date"], day)  # noqa: E731
        active: Callable[[_Person], bool] = lambda p: (  # noqa: E731
            p.state.status == "official" and not p.state.exempt and not p.state.temporarily_away)
        if what == "transfer_in":
            self.arrive(None, day)
            return
        if what == "die":
            person = self.pick(day, lambda p: True,
                               lambda p: min(1.0, ((age(p) - 20) / 55) ** 3 * (3 if p.state.exempt else 1)))
        elif what == "exempt":
            person = self.pick(day, lambda p: active(p) and age(p) >= 50, lambda p: ((age(p) - 45) / 25) ** 2,
                               leaving=False)
        elif what == "temporary":
            person = self.pick(day, active, leaving=False)
        else:
            person = self.pick(day, active)
        if person is None:
            return
        home = self.homes[person.state.organization_id]
        if what == "die":
            self.record(person, EventKind.die, day, note="Từ trần")
        elif what == "strike_off":
            self.record(person, EventKind.strike_off, day, ref=self.ref("QĐ/ĐUK", day),
                        note="Bỏ sinh hoạt đảng 03 tháng trong năm không có lý do chính đáng")
        elif what == "resign":
            self.record(person, EventKind.resign, day, ref=self.ref("QĐ/ĐUK", day),
                        note="Tự nguyện xin ra khỏi Đảng")
        elif what == "exempt":
            self.record(person, EventKind.exempt, day, ref=self.ref("NQ/CB", day), note="Tuổi cao, sức khỏe yếu")
            if self.rng.random() < 0.15:
                self.at(day + timedelta(days=self.rng.randint(180, 540)), partial(self.end_exemption, person))
        elif what == "job_out":
            self.record(person, EventKind.transfer, day, leaves=True, ref=self.ref("GGT/ĐUK", day),
                        note="Chuyển công tác", details={"destination": self.rng.choice(OUTSIDE)})
        elif what == "within":
            same = self.rng.random() < 0.6
            targets = [h for h in self.open_homes(day, room=55) if h.cell != home.cell
                       and (not same or h.committee == home.committee)] or [
                h for h in self.open_homes(day, room=55) if h.cell != home.cell]
            self.record(person, EventKind.transfer, day, to=self.rng.choice(targets).code,
                        ref=self.ref("GGT/ĐUK", day), note="Điều động công tác")
        elif what == "temporary":
            inside = self.rng.random() < 0.3
            host = self.rng.choice([h for h in self.open_homes(day) if h.cell != home.cell]) if inside else None
            self.record(person, EventKind.temporary_transfer, day, to=host.code if host else None,
                        ref=self.ref("GGT/ĐUK", day), note="Biệt phái công tác" if host else "Đi học tập trung",
                        details=None if host else {"destination": self.rng.choice(STUDIES)})
            self.at(day + timedelta(days=self.rng.randint(90, 300)), partial(self.come_back, person))

    def come_back(self, person: _Person, day: date) -> None:
        if (person.state.status in TERMINAL or not person.state.temporarily_away
                or self.busy(person, day, partial(self.come_back, person))):
            return
        self.record(person, EventKind.return_from_temporary, day, ref=self.ref("GGT/ĐUK", day))

    def end_exemption(self, person: _Person, day: date) -> None:
        if (person.state.status in TERMINAL or not person.state.exempt
                or self.busy(person, day, partial(self.end_exemption, person))):
            return
        self.record(person, EventKind.end_exemption, day, ref=self.ref("NQ/CB", day), note="Sức khỏe đã hồi phục")

    # --- scripted -------------------------------------------------------------------------------------------------

    def split_large_cell(self, day: date) -> None:
        """The pilot of party-group meetings: the cell's 121 members go to its 11 groups, 11 each, in name order."""
        people = sorted(self.large.members(), key=lambda p: sort_key(p.record["full_name"]))
        assert len(people) == LARGE_CELL_SIZE and all(p.last < day for p in people)
        ref = self.ref("NQ/ĐU", day)
        for i, person in enumerate(people):
            group = self.groups[i * len(self.groups) // len(people)]
            self.record(person, EventKind.transfer, day, to=group.code, ref=ref,
                        note="Sinh hoạt theo tổ đảng (thí điểm)", details={"party_group": True})

    def script_small_cell(self) -> None:
        """5 official members; one admitted in 2022 (official 2023); two transfer out and one dies in 2024, one
        transfers out in 2025; three admitted (December 2024, August 2025): 2 official and 3 probationary at the end,
        5 members at every year's end."""
        home = self.small
        first = sorted(home.members(), key=lambda p: p.id)
        leaves = [(date(2024, 7, 1), first[0], "Chuyển công tác"), (date(2024, 7, 1), first[1], "Chuyển công tác"),
                  (date(2025, 3, 10), first[3], "Chuyển công tác")]
        for day, person, note in leaves:
            self.at(day, partial(self.scripted, person, EventKind.transfer, note))
        self.at(date(2024, 11, 4), partial(self.scripted, first[2], EventKind.die, "Từ trần"))
        for proposed, admitted, fate in ((date(2021, 10, 18), date(2022, 4, 11), "normal"),
                                         (date(2024, 6, 10), date(2024, 12, 16), "never"),
                                         (date(2024, 6, 10), date(2024, 12, 16), "never"),
                                         (date(2025, 2, 17), date(2025, 8, 18), "never")):
            self.at(proposed, partial(self.propose, admitted, fate, home))

    def scripted(self, person: _Person, kind: EventKind, note: str, day: date) -> None:
        home = self.homes[person.state.organization_id]
        leaves = kind == EventKind.transfer
        self.record(person, kind, day, leaves=leaves, note=note,
                    ref=None if kind == EventKind.die else self.ref("GGT/ĐUK" if leaves else "QĐ/ĐUK", day),
                    details={"destination": self.rng.choice(OUTSIDE)} if leaves else None)
        self.top_up(home, day)

    def discipline(self, day: date) -> None:
        person = self.pick(day, lambda p: p.state.status == "official" and not p.state.temporarily_away
                           and p.record["birth_date"].year >= 1975)
        assert person is not None
        person.protected = True
        self.record(person, EventKind.suspend, day, ref=self.ref("QĐ/UBKTĐUK", day),
                    note="Đình chỉ sinh hoạt đảng để xem xét kỷ luật")
        self.at(date(2023, 9, 18), partial(self.scripted, person, EventKind.expel, "Vi phạm pháp luật, bị khởi tố"))

    def plan(self) -> None:
        base = INITIAL_MEMBERS
        self.script_small_cell()
        self.at(date(2023, 3, 6), self.discipline)
        for year in range(HISTORY_FROM.year, END.year + 2):
            count = round(base * self.rng.uniform(*ADMISSION_RATE))
            days = sorted(self.weekday(year) for _ in range(count))
            fates = ["normal"] * count
            if year == 2023:
                fates[count // 2] = "fail"
            if year == 2024:
                fates[5] = fates[count // 3] = "never"  # admitted in the first part of 2024: overdue at the end
            for admit_on, fate in zip(days, fates, strict=True):
                self.at(admit_on - timedelta(days=self.rng.randint(90, 270)), partial(self.propose, admit_on, fate,
                                                                                     None))
            if year > END.year:
                continue
            plans = {what: round(base * rate) for what, rate in RATES.items()}
            plans |= {what: self.rng.randint(*span) for what, span in PER_YEAR.items()}
            for what, n in plans.items():
                for _ in range(n):
                    self.at(self.weekday(year), partial(self.random_event, what))

    def weekday(self, year: int) -> date:
        day = date(year, 1, 1) + timedelta(days=self.rng.randrange(365))
        return day + timedelta(days=max(0, 7 - day.weekday()) if day.weekday() >= 5 else 0)


def demo_members(units: Sequence[Unit], *, seed: int = 3) -> list[DemoMember]:
    """Everyone the demo's cells hold or held, with their events and periods; the same for the same units and
    seed."""
    world = _World(units, seed)
    world.at(world.groups_from, world.split_large_cell)  # first in the calendar of its day
    world.populate()
    world.plan()
    world.run()
    members = []
    for person in world.people:
        starts = person.starts
        periods = tuple(DemoPeriod(day, starts[i + 1][0] if i + 1 < len(starts) else None, state)
                        for i, (day, state) in enumerate(starts))
        record = {**person.record, "sort_key": sort_key(person.record["full_name"])}
        members.append(DemoMember(person.id, record, person.state, tuple(person.events), periods))
    return members


# --- loading ------------------------------------------------------------------------------------------------------

def _rows(people: Sequence[DemoMember], ids: Mapping[str, uuid.UUID],
          paths: Mapping[uuid.UUID, str]) -> tuple[list[tuple[object, ...]], ...]:
    """The rows of members, member_periods, member_events and member_external_ids, with unit codes turned into ids."""
    def org(code: str | None) -> uuid.UUID | None:
        return ids[code] if code is not None else None

    members: list[tuple[object, ...]] = []
    periods: list[tuple[object, ...]] = []
    events: list[tuple[object, ...]] = []
    external: list[tuple[object, ...]] = []
    for m in people:
        r, s = m.record, m.state
        members.append((m.id, r["full_name"], r["sort_key"], r["gender"], r["birth_date"], r["birth_place"],
                        r["hometown"], r["residence"], r["ethnicity"], r["religion"], r["citizen_id"], r["phone"],
                        r["education"], r["professional_level"], r["political_theory_level"],
                        s.admission_decision_date, r["admission_ceremony_date"], s.official_date,
                        r["party_card_number"], r["record_number"], s.status, ids[s.organization_id],
                        paths[ids[s.organization_id]], org(s.host_organization_id), s.temporarily_away, s.exempt,
                        s.suspended, r["sponsor_ids"], r["training_certificate_date"]))
        periods += [(m.id, p.valid_from, p.valid_to, ids[p.state.organization_id], p.state.status,
                     org(p.state.host_organization_id), p.state.temporarily_away, p.state.exempt, p.state.suspended)
                    for p in m.periods]
        events += [(m.id, e.kind, e.on, e.decision_ref, e.note, org(e.from_code), org(e.to_code),
                    orjson.dumps(e.details).decode() if e.details is not None else None, RECORDED_BY)
                   for e in m.events]
        if r["record_number"]:
            external.append((f"{EXTERNAL_SYSTEM}:{r['record_number']}", m.id))
    return members, periods, events, external


async def load_demo_members(conn: asyncpg.Connection, *, units: Sequence[Unit], ids: Mapping[str, uuid.UUID],
                            root_code: str) -> bool:
    """Load the demo's members unless the subtree of `root_code` already has member records; True when loaded now.
    Run in the transaction that created (or found) the units, holding the structure lock."""
    if await db.has_members_under(conn, ids[root_code]):
        return False
    people = demo_members(units)
    members, periods, events, external = _rows(people, ids, await db.latest_paths(conn, list(ids.values())))
    try:
        await db.copy_members(conn, members=members, periods=periods, events=events, external_ids=external)
    except asyncpg.UniqueViolationError as error:
        raise Conflict(f"The demo members cannot be loaded: {error.detail or error}", code="duplicate") from error
    return True


def describe_members(counts: Mapping[str, int]) -> str:
    """The members' part of the demo's summary line, from member records counted by status."""
    official, probationary = counts.get("official", 0), counts.get("probationary", 0)
    former = sum(n for status, n in counts.items() if status in TERMINAL)
    return (f"{official + probationary:,} members ({official:,} official, {probationary:,} probationary), "
            f"{counts.get('candidate', 0):,} candidates and {former:,} former members")
