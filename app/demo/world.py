"""The demo's world: its cells, the calendar of what happens, and how a person is born into it and registered
(members.py adds the events of their lives)."""

import heapq
import itertools
import random
import uuid
from collections.abc import Callable, Sequence
from datetime import date, timedelta
from functools import partial
from typing import Any

from app.demo.people import (
    _FEMALE_HINTS,
    _MALE_HINTS,
    _N,
    CROWDED_CELLS,
    END,
    ETHNICITIES,
    FAMILY_NAMES,
    GIVEN_NAMES,
    HISTORY_FROM,
    INITIAL_MEMBERS,
    LARGE_CELL_SIZE,
    MIDDLE_NAMES,
    MOBILE_PREFIXES,
    PROFESSIONAL,
    RELIGIONS,
    SECOND_MIDDLE,
    SMALL_CELL,
    THEORY,
    DemoEvent,
    Unit,
    _age,
    _birth_years,
    _Home,
    _Person,
    _weighted,
    retirement,
)
from app.demo.places import COMMUNES, ELSEWHERE
from app.demo.reorganisation import REORGANISED_ON
from app.domain.members.lifecycle import MEMBERS, TERMINAL, EventKind, MemberState, apply
from app.domain.plans.status import add_months


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
            profile = (
                "enterprise"
                if (cell.category or "").endswith("enterprise")
                else "science"
                if (cell.category or "") == "public_service_unit"
                else "office"
            )
            female = (
                0.58 if any(h in text for h in _FEMALE_HINTS) else 0.25 if any(h in text for h in _MALE_HINTS) else 0.42
            )
            self.homes[unit.code] = _Home(
                unit.code,
                unit.kind,
                cell.code,
                top.code,
                unit.valid_from,
                profile,
                cell.category == "mass_association",
                "Sinh viên" in cell.name,
                female,
            )
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
        """A decision number of the year; from the bloc committee's end (2025) its units' decisions are the new
        committee's ("…/ĐU", not "…/ĐUK")."""
        if day >= REORGANISED_ON:
            suffix = suffix.replace("ĐUK", "ĐU")
        n = self.refs[(suffix, day.year)] = self.refs.get((suffix, day.year), 0) + 1
        return f"{n}-{suffix}"

    def record(
        self,
        person: _Person,
        kind: EventKind,
        day: date,
        *,
        to: str | None = None,
        leaves: bool = False,
        ref: str | None = None,
        note: str | None = None,
        details: dict[str, Any] | None = None,
        ceremony: date | None = None,
    ) -> None:
        before = person.state
        person.state = apply(before, kind, on=day, to_organization_id=to, leaves_tree=leaves, ceremony_date=ceremony)
        person.events.append(DemoEvent(kind.value, day, ref, note, before.organization_id, to, details))
        person.starts.append((day, person.state))
        if person.state.status in TERMINAL or person.state.organization_id != before.organization_id:
            del self.homes[before.organization_id].people[person.id]
            if person.state.status not in TERMINAL:
                self.homes[person.state.organization_id].people[person.id] = person

    def pick(
        self,
        day: date,
        ok: Callable[[_Person], bool],
        weight: Callable[[_Person], float] = lambda p: 1.0,
        *,
        leaving: bool = True,
    ) -> _Person | None:
        """A random member the event may happen to (not scripted, free that day, whose cell can spare them)."""
        for _ in range(5000):
            person = self.rng.choice(self.people)
            home = self.homes[person.state.organization_id]
            if (
                person.protected
                or home.protected
                or person.state.status not in MEMBERS
                or person.last >= day
                or not ok(person)
                or (leaving and not self.can_spare(home, person))
            ):
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
            value = f"{province}{century}{born.year % 100:02d}{self.rng.randrange(10**6):06d}"
            if value not in self.used_ids:
                self.used_ids.add(value)
                return value

    def person(self, home: _Home, *, born: date, gender: str, state: MemberState) -> _Person:
        birth_place, hometown, residence, province = (_N("NFC", t) for t in self.place())
        older = born.year < 1970
        record = {
            "full_name": self.name(gender, born),
            "gender": gender,
            "birth_date": born,
            "birth_place": birth_place,
            "hometown": hometown,
            "residence": residence,
            "ethnicity": _weighted(self.rng, ETHNICITIES),
            "religion": _weighted(self.rng, RELIGIONS),
            "citizen_id": self.citizen_id(province, gender, born),
            "phone": self.rng.choice(MOBILE_PREFIXES) + f"{self.rng.randrange(10**7):07d}",
            "education": "lower_secondary" if older and self.rng.random() < 0.08 else "upper_secondary",
            "professional_level": _weighted(self.rng, PROFESSIONAL[home.profile]),
            "political_theory_level": "none",
            "admission_ceremony_date": None,
            "party_card_number": None,
            "record_number": None,
            "sponsor_ids": [],
            "sponsor_since": {},
            "training_certificate_date": None,
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
            _weighted(self.rng, THEORY) if years > 6 else "elementary" if self.rng.random() < years / 8 else "none"
        )

    def card(self, person: _Person, official_on: date) -> None:
        if official_on + timedelta(days=90) <= END:
            person.record["party_card_number"] = f"33{next(self.cards):06d}"

    def register(
        self,
        home: _Home,
        day: date,
        *,
        admitted: date,
        gender: str,
        born: date,
        details: dict[str, Any] | None = None,
        note: str | None = None,
    ) -> _Person:
        """A member the tree learns of: on its first day, on admission in 2020, or arriving from outside."""
        person = self.person(
            home, born=born, gender=gender, state=MemberState("", home.code, None, *(False,) * 3, None, None)
        )
        ceremony = person.record["admission_ceremony_date"] = admitted + timedelta(days=self.rng.randint(3, 20))
        official_on = add_months(ceremony, 12)  # probation counts from the ceremony (Charter art. 5.1)
        official = official_on <= day
        state = person.state = MemberState(
            "official" if official else "probationary",
            home.code,
            None,
            False,
            False,
            False,
            admitted,
            official_on if official else None,
            ceremony,
        )
        self.admitted(person, admitted)
        person.events.append(DemoEvent("registered", day, None, note, None, home.code, details))
        person.starts.append((day, state))
        if official:
            self.card(person, official_on)
        else:
            self.recognition(person, "normal")
        if not home.mass and HISTORY_FROM <= (retires := retirement(born, gender)) <= END:
            self.at(retires + timedelta(days=self.rng.randint(0, 40)), partial(self.retire, person))
        return person

    def recognition(self, person: _Person, fate: str) -> None:
        """Schedules the probation's end (the events of a life live in members.py)."""
        raise NotImplementedError

    def retire(self, person: _Person, day: date) -> None:
        raise NotImplementedError

    def admission_age(self, born: date, latest: date) -> date:
        """An admission date for someone born then, at 19–50, no later than `latest`."""
        oldest = min(_age(born, latest), 50)
        years = self.rng.triangular(19, oldest, min(27, oldest)) if oldest > 19 else 19
        return min(latest, born + timedelta(days=int(years * 365.25) + self.rng.randrange(200)))

    # --- the tree's first day ---------------------------------------------------------------------------------------

    def populate(self) -> None:
        cells = [h for h in self.homes.values() if h.kind != "party_group"]
        sizes = {
            h.code: round(
                self.rng.triangular(7, 26, 12) if h.kind == "grassroots_cell" else self.rng.triangular(6, 46, 13)
            )
            for h in cells
        }
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
                if (
                    draw < 0.066
                    and home is not self.small
                    and sizes[home.code] - recent > 4
                    and _age(born, self.start) <= 50
                ):
                    recent += 1
                    admitted = date(2019 if draw < 0.033 else 2020, 1, 1) + timedelta(days=self.rng.randrange(360))
                self.register(home, max(self.start, admitted), admitted=admitted, gender=gender, born=born)

    # --- new members ------------------------------------------------------------------------------------------------
