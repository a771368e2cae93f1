"""The demo's leadership, public posts, ratings and organisation records (`coso demo-data`, after the members):
generated deterministically (random.Random(seed)) from the units and the member periods as stored, so every seat
and every rating agrees with the member history; app/demo/db/records.py reads the periods and writes the rows.

Choices, so that tests and indicators can count by hand:
- Seats begin on the tree's first day (the demo records the incumbents then) and are held in a chain: a seat holder
  is an official member (neither exempt nor suspended) of the unit — of its subtree for a committee — for the whole
  seat; when that stops (transfer, death, exemption, …) the seat ends that day and another eligible member takes it.
  One secretary at a time, one seat per member and unit.
- Each party group has a leader and a deputy leader (group_leader, group_deputy_leader: a group elects no
  secretary), official members of the group, from the groups' first day (seed 003: "mỗi tổ phân công tổ trưởng và
  tổ phó").
- Every cell has a secretary except NO_SECRETARY (never had one) and VACANT_SECRETARY (vacant from VACANT_FROM).
  Cells with ≥ `committee_threshold` eligible members at the start and at the end have a cell committee (secretary,
  deputy, committee members: ≥ `min_positions` seats) except WITHOUT_COMMITTEE of them; smaller cells a secretary,
  about half of them a deputy too. Grassroots committees: secretary, deputies, standing committee (from 9 seats) and
  committee members; partial committees: secretary, deputy, committee members. Committees hold terms 2020-2025
  (congress in spring 2020) and 2025-2030 (congress in spring 2025).
- Public posts: POSTS cells stand for a village or residential group; the head is the cell secretary in some, another
  member in the others, from 2021 on.
- Ratings 2021–2025 at the end of each year, in the member's home organisation then: exempt, suspended and admitted
  < `min_months` before the end are not rated (with that reason, in that order); the others get a score whose band
  follows the thresholds, excellent kept within the quota of each unit except OVER_QUOTA_UNIT in OVER_QUOTA_PERIOD; a
  few not fulfilled each year. Grassroots committees and cells are rated each year, a few below good.
- So that the indicators show targets met and missed (> 90 % rated good or better): members of every other
  grassroots organisation (by code) do well, the others less so; the grassroots organisations as a whole do well in
  STRONG_YEARS, and in 2025 those under the committee of Party agencies do, those under the People's Committee's do
  not (unit_records.py).
- Working regulations: every grassroots organisation, and every subordinate cell but REGULATION_GAPS of them (issued
  2020–2023). Inspections by INSPECTING_BODY (from the bloc's end in 2025, by the inspection
  commission of the committee the unit went to) of 5–8 of the 82 grassroots organisations each year (6–10 %).
"""

import random
import uuid
from collections import defaultdict
from collections.abc import Sequence
from datetime import date, timedelta

from app.demo.people import END, Unit
from app.demo.unit_rows import (
    CELL_KINDS,
    COMMITTEE_KINDS,
    GRASSROOTS_KINDS,
    POSTS,
    START,
    WITHOUT_COMMITTEE,
    DemoRecords,
    PostHeld,
    Seat,
    Stay,
    _covers,
    _overlaps,
    _Stretch,
)
from app.domain.ratings.service import RatingRules

NO_SECRETARY, VACANT_SECRETARY, VACANT_FROM = 1, 1, date(2025, 7, 1)


class _Generator:
    def __init__(
        self,
        units: Sequence[Unit],
        stays: Sequence[Stay],
        *,
        seed: int,
        rules: RatingRules,
        min_positions: int,
        committee_threshold: int,
    ) -> None:
        self.rng = random.Random(seed)  # noqa: S311 -- sample data, reproducible on purpose
        self.units = list(units)
        self.by_code = {u.code: u for u in units}
        self.rules, self.min_positions, self.threshold = rules, min_positions, committee_threshold
        self.stays = sorted(stays, key=lambda s: (str(s.member_id), s.valid_from))
        self.out = DemoRecords()
        self.ancestors: dict[str, tuple[str, ...]] = {}
        for u in units:
            self.ancestors[u.code] = (
                u.code,
                *(self.ancestors[u.parent_code] if u.parent_code in self.ancestors else ()),
            )
        self.stretches = self._stretches()
        self.busy: dict[tuple[str, uuid.UUID], list[tuple[date, date | None]]] = defaultdict(list)
        self.refs: dict[str, int] = defaultdict(int)

    def _stretches(self) -> dict[str, list[_Stretch]]:
        """For each unit, the stretches its (subtree's) members were eligible: official, not exempt or suspended."""
        found: dict[str, list[_Stretch]] = defaultdict(list)
        by_member: dict[uuid.UUID, list[Stay]] = defaultdict(list)
        for s in self.stays:
            by_member[s.member_id].append(s)
        for member_id, stays in by_member.items():
            open_since: dict[str, tuple[date, date | None]] = {}
            for s in stays:
                here = (
                    set(self.ancestors.get(s.unit, ()))
                    if (s.status == "official" and not s.exempt and not s.suspended)
                    else set()
                )
                for code in list(open_since):
                    begun, until = open_since[code]
                    if code not in here or until != s.valid_from:
                        found[code].append(_Stretch(member_id, begun, until))
                        del open_since[code]
                for code in here:
                    begun = open_since[code][0] if code in open_since else s.valid_from
                    open_since[code] = (begun, s.valid_to)
            for code, (begun, until) in open_since.items():
                found[code].append(_Stretch(member_id, begun, until))
        return found

    def eligible(self, code: str, day: date) -> int:
        return len({s.member_id for s in self.stretches[code] if _covers(s.start, s.end, day)})

    def ref(self, code: str, kind: str) -> str:
        unit = self.by_code[code]
        issuer = "ĐUK" if unit.kind in GRASSROOTS_KINDS else "ĐU"
        self.refs[issuer] += 1
        return f"{self.refs[issuer]}-{kind}/{issuer}"

    # --- seats --------------------------------------------------------------------------------------------------

    def chain(self, code: str, position: str, *, stop: date | None = None) -> list[Seat]:
        """Fill one seat from START on, holder after holder, until the end (or `stop`)."""
        seats: list[Seat] = []
        day: date | None = START
        pool = self.stretches[code]
        while day is not None and day <= END and (stop is None or day < stop):
            at = day
            free = [
                s
                for s in pool
                if _covers(s.start, s.end, at)
                and not any(_overlaps((at, s.end), b) for b in self.busy[(code, s.member_id)])
            ]
            if not free:
                later = [s.start for s in pool if s.start > at]
                day = min(later) if later else None
                continue
            lasting = [s for s in free if s.end is None or (s.end - at).days >= 365]
            pick = self.rng.choice(lasting or free)
            until = pick.end
            if stop is not None and (until is None or until > stop):
                until = stop
            self.busy[(code, pick.member_id)].append((at, until))
            seats.append(Seat(pick.member_id, code, position, at, until, self.ref(code, "QĐ")))
            day = until
        return seats

    def leadership(self) -> None:
        rng = self.rng
        cells = [u for u in self.units if u.kind in CELL_KINDS]
        small = [
            u.code
            for u in cells
            if u.kind == "subordinate_cell"
            and 3 <= self.eligible(u.code, START) < self.threshold
            and self.eligible(u.code, END) < self.threshold
        ]
        lacking = rng.sample(small, NO_SECRETARY + VACANT_SECRETARY)
        never, vacant = lacking[:NO_SECRETARY], lacking[NO_SECRETARY:]
        big = [u.code for u in cells if min(self.eligible(u.code, START), self.eligible(u.code, END)) >= self.threshold]
        without = set(rng.sample(big, WITHOUT_COMMITTEE))
        self.out.no_secretary = sorted(never + vacant)
        self.out.without_committee = sorted(without)
        for unit in self.units:
            code, seats = unit.code, self.out.seats
            if unit.kind in COMMITTEE_KINDS:
                n = self.eligible(code, START)
                if unit.kind == "grassroots_committee":
                    size = max(5, min(15, 5 + n // 25))
                    deputies = 1 if size < 9 else 2
                    standing = 0 if size < 9 else 2
                else:
                    size, deputies, standing = rng.randint(3, 5), 1, 0
                seats += self.chain(code, "secretary")
                for position, count in (
                    ("deputy_secretary", deputies),
                    ("standing_committee_member", standing),
                    ("committee_member", size - 1 - deputies - standing),
                ):
                    for _ in range(count):
                        seats += self.chain(code, position)
            elif unit.kind in CELL_KINDS:
                if code in never:
                    continue
                stop = VACANT_FROM if code in vacant else None
                seats += self.chain(code, "secretary", stop=stop)
                if code in big and code not in without:
                    size = max(self.min_positions, 5 if self.eligible(code, START) >= 20 else 3)
                    seats += self.chain(code, "deputy_secretary", stop=stop)
                    for _ in range(size - 2):
                        seats += self.chain(code, "committee_member", stop=stop)
                elif self.eligible(code, START) >= 5 and rng.random() < 0.5:
                    seats += self.chain(code, "deputy_secretary", stop=stop)
        for unit in self.units:  # after the cells: the groups' seats leave the draws above as they were
            if unit.kind == "party_group":
                self.out.seats += self.chain(unit.code, "group_leader") + self.chain(unit.code, "group_deputy_leader")

    def posts(self) -> None:
        """A handful of cells stand for a village or residential group; its head, from 2021 on."""
        secretaries: dict[str, list[Seat]] = defaultdict(list)
        for seat in self.out.seats:
            if seat.position == "secretary":
                secretaries[seat.unit].append(seat)
        cells = sorted(
            code
            for code, held in secretaries.items()
            if self.by_code[code].kind == "subordinate_cell" and held[-1].valid_to is None
        )
        for i, code in enumerate(self.rng.sample(cells, POSTS)):
            post = "village_head" if i % 2 == 0 else "residential_group_head"
            place = (
                f"Thôn {self.rng.choice(('Đông', 'Tây', 'Nam', 'Bắc', 'Thượng', 'Hạ'))} {i + 1}"
                if post == "village_head"
                else f"Tổ dân phố số {i + 1}"
            )
            since = date(2021, 1, 1) + timedelta(days=self.rng.randrange(365))
            if i < POSTS // 2:  # held by the secretary of the day
                seat = secretaries[code][-1]
                self.out.posts.append(
                    PostHeld(
                        seat.member_id, post, place, code, max(since, seat.valid_from), None, self.ref(code, "QĐ-UBND")
                    )
                )
                continue
            sec = {s.member_id for s in secretaries[code]}
            others = [s for s in self.stretches[code] if s.end is None and s.member_id not in sec]
            if others:
                pick = self.rng.choice(sorted(others, key=lambda s: (s.start, str(s.member_id))))
                self.out.posts.append(
                    PostHeld(pick.member_id, post, place, code, max(since, pick.start), None, self.ref(code, "QĐ-UBND"))
                )

    # --- ratings ------------------------------------------------------------------------------------------------
