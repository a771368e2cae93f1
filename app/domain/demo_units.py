"""The demo's leadership, public posts, ratings and organisation records (`coso demo-data`, after the members):
generated deterministically (random.Random(seed)) from the units and the member periods as stored, so every seat
and every rating agrees with the member history; app/db/demo_units.py reads the periods and writes the rows.

Choices, so that tests and indicators can count by hand:
- Seats begin on the tree's first day (the demo records the incumbents then) and are held in a chain: a seat holder
  is an official member (neither exempt nor suspended) of the unit — of its subtree for a committee — for the whole
  seat; when that stops (transfer, death, exemption, …) the seat ends that day and another eligible member takes it.
  One secretary at a time, one seat per member and unit.
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
- Working regulations: every grassroots organisation, and every subordinate cell but REGULATION_GAPS of them (issued
  2020–2023). Inspections by INSPECTING_BODY of 5–8 of the 82 grassroots organisations each year (6–10 %).
"""

import random
import uuid
from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta

import asyncpg

from app.db import demo_units as db
from app.domain.demo_members import END, Unit
from app.domain.plans.status import add_months
from app.domain.ratings import Band, NotRatedReason, RatingRules, band

START = date(2020, 1, 1)
RATED_YEARS = range(2021, 2026)
INSPECTED_YEARS = range(2020, 2026)
INSPECTING_BODY = "Ủy ban Kiểm tra Đảng ủy Khối"
NO_SECRETARY, VACANT_SECRETARY, VACANT_FROM = 1, 1, date(2025, 7, 1)
WITHOUT_COMMITTEE = 3
REGULATION_GAPS = 8
POSTS = 6
OVER_QUOTA_PERIOD = "2024"

COMMITTEE_KINDS = ("grassroots_committee", "partial_committee")
CELL_KINDS = ("grassroots_cell", "subordinate_cell")
GRASSROOTS_KINDS = ("grassroots_committee", "grassroots_cell")
RATED_UNIT_KINDS = ("grassroots_committee", "grassroots_cell", "subordinate_cell")
CONCLUSIONS = (
    "Thực hiện tốt nguyên tắc tập trung dân chủ và quy chế làm việc; công tác quản lý đảng viên chặt chẽ.",
    "Cơ bản thực hiện tốt; cần kịp thời công nhận đảng viên chính thức đúng thời hạn.",
    "Cơ bản thực hiện tốt; sinh hoạt chi bộ cần nâng cao chất lượng, nội dung chuyên đề.",
    "Có thiếu sót trong việc thu, nộp đảng phí; yêu cầu rút kinh nghiệm và khắc phục.",
)


@dataclass(frozen=True)
class Stay:
    """One member period as stored (the unit as a code), with the member's admission date."""

    member_id: uuid.UUID
    valid_from: date
    valid_to: date | None
    unit: str
    status: str
    exempt: bool
    suspended: bool
    admitted: date | None


@dataclass(frozen=True)
class Seat:
    member_id: uuid.UUID
    unit: str
    position: str
    valid_from: date
    valid_to: date | None
    decision_ref: str


@dataclass(frozen=True)
class PostHeld:
    member_id: uuid.UUID
    post: str
    place: str
    unit: str
    valid_from: date
    valid_to: date | None
    decision_ref: str


@dataclass(frozen=True)
class RatingRow:
    member_id: uuid.UUID | None
    unit: str
    period: str
    period_end: date
    score: int | None
    rating: str | None
    not_rated_reason: str | None
    rated_on: date | None


@dataclass(frozen=True)
class Regulation:
    unit: str
    issued_on: date
    reference: str
    title: str


@dataclass(frozen=True)
class InspectionRow:
    unit: str
    year: int
    inspected_on: date
    conclusion: str
    reference: str


@dataclass(frozen=True)
class Term:
    unit: str
    label: str
    starts_on: date
    ends_on: date | None


@dataclass
class DemoRecords:
    seats: list[Seat] = field(default_factory=list)
    posts: list[PostHeld] = field(default_factory=list)
    ratings: list[RatingRow] = field(default_factory=list)
    regulations: list[Regulation] = field(default_factory=list)
    inspections: list[InspectionRow] = field(default_factory=list)
    terms: list[Term] = field(default_factory=list)
    no_secretary: list[str] = field(default_factory=list)  # cell codes, for tests
    without_committee: list[str] = field(default_factory=list)
    over_quota: str | None = None


@dataclass(frozen=True)
class _Stretch:
    """A time a member was eligible for a seat in a unit, [start, end)."""

    member_id: uuid.UUID
    start: date
    end: date | None


def _covers(start: date, end: date | None, day: date) -> bool:
    return start <= day and (end is None or end > day)


def _overlaps(a: tuple[date, date | None], b: tuple[date, date | None]) -> bool:
    return (b[1] is None or a[0] < b[1]) and (a[1] is None or b[0] < a[1])


class _Generator:
    def __init__(self, units: Sequence[Unit], stays: Sequence[Stay], *, seed: int, rules: RatingRules,
                 min_positions: int, committee_threshold: int) -> None:
        self.rng = random.Random(seed)  # noqa: S311 -- sample data, reproducible on purpose
        self.units = list(units)
        self.by_code = {u.code: u for u in units}
        self.rules, self.min_positions, self.threshold = rules, min_positions, committee_threshold
        self.stays = sorted(stays, key=lambda s: (str(s.member_id), s.valid_from))
        self.out = DemoRecords()
        self.ancestors: dict[str, tuple[str, ...]] = {}
        for u in units:
            self.ancestors[u.code] = (u.code, *(self.ancestors[u.parent_code] if u.parent_code in self.ancestors
                                                else ()))
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
                here = set(self.ancestors.get(s.unit, ())) if (
                    s.status == "official" and not s.exempt and not s.suspended) else set()
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
            free = [s for s in pool if _covers(s.start, s.end, at) and not any(
                _overlaps((at, s.end), b) for b in self.busy[(code, s.member_id)])]
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
        small = [u.code for u in cells if u.kind == "subordinate_cell"
                 and 3 <= self.eligible(u.code, START) < self.threshold and self.eligible(u.code, END) < self.threshold]
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
                for position, count in (("deputy_secretary", deputies), ("standing_committee_member", standing),
                                        ("committee_member", size - 1 - deputies - standing)):
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

    def posts(self) -> None:
        """A handful of cells stand for a village or residential group; its head, from 2021 on."""
        secretaries: dict[str, list[Seat]] = defaultdict(list)
        for seat in self.out.seats:
            if seat.position == "secretary":
                secretaries[seat.unit].append(seat)
        cells = sorted(code for code, held in secretaries.items() if self.by_code[code].kind == "subordinate_cell"
                       and held[-1].valid_to is None)
        for i, code in enumerate(self.rng.sample(cells, POSTS)):
            post = "village_head" if i % 2 == 0 else "residential_group_head"
            place = (f"Thôn {self.rng.choice(('Đông', 'Tây', 'Nam', 'Bắc', 'Thượng', 'Hạ'))} {i + 1}"
                     if post == "village_head" else f"Tổ dân phố số {i + 1}")
            since = date(2021, 1, 1) + timedelta(days=self.rng.randrange(365))
            if i < POSTS // 2:  # held by the secretary of the day
                seat = secretaries[code][-1]
                self.out.posts.append(PostHeld(seat.member_id, post, place, code, max(since, seat.valid_from), None,
                                               self.ref(code, "QĐ-UBND")))
                continue
            sec = {s.member_id for s in secretaries[code]}
            others = [s for s in self.stretches[code] if s.end is None and s.member_id not in sec]
            if others:
                pick = self.rng.choice(sorted(others, key=lambda s: (s.start, str(s.member_id))))
                self.out.posts.append(PostHeld(pick.member_id, post, place, code, max(since, pick.start), None,
                                               self.ref(code, "QĐ-UBND")))

    # --- ratings ------------------------------------------------------------------------------------------------

    def score(self, chosen: Band) -> int:
        r = self.rules
        low, high = {Band.excellent: (r.excellent_min, min(100, r.excellent_min + 8)),
                     Band.good: (r.good_min, r.excellent_min - 1),
                     Band.fulfilled: (r.fulfilled_min, r.good_min - 1),
                     Band.not_fulfilled: (max(0, r.fulfilled_min - 20), r.fulfilled_min - 1)}[chosen]
        return self.rng.randint(low, high)

    def _within_quota(self, rows: list[tuple[uuid.UUID | None, str, Band]]) -> list[tuple[uuid.UUID | None, str,
                                                                                           Band]]:
        """Downgrade excellent ratings of a unit to good until they fit the quota."""
        out = list(rows)
        excellent = [i for i, r in enumerate(out) if r[2] == Band.excellent]
        good = sum(1 for r in out if r[2] == Band.good)
        self.rng.shuffle(excellent)
        while excellent and len(excellent) * 100 > self.rules.excellent_quota_percent * (len(excellent) + good):
            i = excellent.pop()
            out[i] = (out[i][0], out[i][1], Band.good)
            good += 1
        return out

    def member_ratings(self) -> None:
        rng = self.rng
        for year in RATED_YEARS:
            over_quota: str | None = None
            period, end = str(year), date(year, 12, 31)
            by_unit: dict[str, list[tuple[uuid.UUID | None, str, Band]]] = defaultdict(list)
            for s in self.stays:
                if not _covers(s.valid_from, s.valid_to, end) or s.status not in ("probationary", "official"):
                    continue
                reason = (NotRatedReason.exempt if s.exempt else NotRatedReason.suspended if s.suspended
                          else NotRatedReason.admitted_less_than_6_months
                          if s.admitted is not None and add_months(s.admitted, self.rules.min_months) > end
                          + timedelta(days=1) else None)
                if reason is not None:
                    self.out.ratings.append(RatingRow(s.member_id, s.unit, period, end, None, None, reason.value,
                                                      None))
                    continue
                chosen = Band(rng.choices([b.value for b in Band], weights=(14, 70, 16, 0))[0])
                by_unit[s.unit].append((s.member_id, s.unit, chosen))
            if period == OVER_QUOTA_PERIOD:
                over_quota = min((u for u, rows in by_unit.items() if len(rows) >= 12 and
                                  self.by_code[u].kind == "subordinate_cell"), key=lambda u: (-len(by_unit[u]), u))
            flat = [(unit, i) for unit in sorted(by_unit) if unit != over_quota for i in range(len(by_unit[unit]))
                    if by_unit[unit][i][2] != Band.excellent]
            for unit, i in rng.sample(flat, rng.randint(3, 6)):  # a few fail, before the quota is checked
                by_unit[unit][i] = (by_unit[unit][i][0], unit, Band.not_fulfilled)
            rows = [r for unit in sorted(by_unit) for r in (
                by_unit[unit] if unit == over_quota else self._within_quota(by_unit[unit]))]
            if over_quota is not None:
                self.out.over_quota = over_quota
                mine = [i for i, r in enumerate(rows) if r[1] == over_quota]
                for i in mine[: len(mine) * 2 // 5]:
                    rows[i] = (rows[i][0], rows[i][1], Band.excellent)
            rated_on = date(year, 12, 20)
            for member_id, unit, chosen in rows:
                score = self.score(chosen)
                self.out.ratings.append(RatingRow(member_id, unit, period, end, score, band(score, self.rules).value,
                                                  None, rated_on))

    def unit_ratings(self) -> None:
        rng = self.rng
        rated = [u.code for u in self.units if u.kind in RATED_UNIT_KINDS]
        for year in RATED_YEARS:
            rows: list[tuple[uuid.UUID | None, str, Band]] = [
                (None, code, Band(rng.choices([b.value for b in Band], weights=(15, 70, 13, 2))[0])) for code in rated]
            rows = self._within_quota(rows)
            if sum(r[2] in (Band.fulfilled, Band.not_fulfilled) for r in rows) < 3:
                for i in rng.sample(range(len(rows)), 3):
                    rows[i] = (None, rows[i][1], Band.fulfilled)
            for _, code, chosen in rows:
                score = self.score(chosen)
                self.out.ratings.append(RatingRow(None, code, str(year), date(year, 12, 31), score,
                                                  band(score, self.rules).value, None, date(year + 1, 1, 15)))

    # --- records ------------------------------------------------------------------------------------------------

    def records(self) -> None:
        rng = self.rng
        grassroots = [u for u in self.units if u.kind in GRASSROOTS_KINDS]
        subordinate = [u for u in self.units if u.kind == "subordinate_cell"]
        gaps = set(rng.sample([u.code for u in subordinate], REGULATION_GAPS))
        for u in grassroots:
            issued = date(2020, 7, 1) + timedelta(days=rng.randrange(120))
            self.out.regulations.append(Regulation(u.code, issued, f"{rng.randint(1, 20):02d}-QC/ĐU",
                                                   f"Quy chế làm việc của Ban Chấp hành {u.name}, nhiệm kỳ 2020-2025"))
        for u in subordinate:
            if u.code in gaps:
                continue
            issued = date(2020, 3, 1) + timedelta(days=rng.randrange((date(2023, 12, 31) - date(2020, 3, 1)).days))
            self.out.regulations.append(Regulation(u.code, issued, f"{rng.randint(1, 9):02d}-QC/CB",
                                                   f"Quy chế làm việc của {u.name}"))
        number = 0
        for year in INSPECTED_YEARS:
            for u in sorted(rng.sample(grassroots, rng.randint(5, 8)), key=lambda u: u.code):
                number += 1
                last = date(year, 11, 30)
                day = date(year, 3, 1) + timedelta(days=rng.randrange((last - date(year, 3, 1)).days))
                self.out.inspections.append(InspectionRow(u.code, year, day, rng.choice(CONCLUSIONS),
                                                          f"{number}-TB/UBKTĐUK"))
        for u in self.units:
            if u.kind in COMMITTEE_KINDS:
                first = date(2020, 4, 1) + timedelta(days=rng.randrange(80))
                second = date(2025, 4, 1) + timedelta(days=rng.randrange(80))
                self.out.terms += [Term(u.code, "2020-2025", first, second), Term(u.code, "2025-2030", second, None)]


def demo_records(units: Sequence[Unit], stays: Sequence[Stay], *, seed: int = 3, rules: RatingRules = RatingRules(),
                 min_positions: int = 3, committee_threshold: int = 9) -> DemoRecords:
    """Positions, posts, ratings and records for the demo tree and its member periods; the same for the same
    inputs and seed."""
    gen = _Generator(units, stays, seed=seed, rules=rules, min_positions=min_positions,
                     committee_threshold=committee_threshold)
    gen.leadership()
    gen.posts()
    gen.member_ratings()
    gen.unit_ratings()
    gen.records()
    return gen.out


def describe_records(records: DemoRecords) -> str:
    members = sum(1 for r in records.ratings if r.member_id is not None)
    return (f"{len(records.seats):,} party positions, {len(records.posts)} public posts, {members:,} member and "
            f"{len(records.ratings) - members:,} organisation ratings 2021–2025, {len(records.regulations)} working "
            f"regulations, {len(records.inspections)} inspections, {len(records.terms)} committee terms")


async def load_demo_units(conn: asyncpg.Connection, *, units: Sequence[Unit], ids: Mapping[str, uuid.UUID],
                          rules: RatingRules, min_positions: int,
                          committee_threshold: int) -> DemoRecords | None:
    """Load positions, posts, ratings and records unless the demo's units already have positions; the records
    loaded, or None. Run in the transaction that loaded the members."""
    unit_ids = [ids[u.code] for u in units]
    if await db.has_positions(conn, unit_ids):
        return None
    codes = {v: k for k, v in ids.items()}
    stays = [Stay(r["member_id"], r["valid_from"], r["valid_to"], codes[r["organization_id"]], r["status"],
                  r["exempt"], r["suspended"], r["admission_decision_date"])
             for r in await db.member_periods(conn, unit_ids)]
    out = demo_records(units, stays, rules=rules, min_positions=min_positions, committee_threshold=committee_threshold)
    await db.copy_records(
        conn,
        positions=[(s.member_id, ids[s.unit], s.position, s.valid_from, s.valid_to, s.decision_ref)
                   for s in out.seats],
        posts=[(p.member_id, p.post, p.place, ids[p.unit], p.valid_from, p.valid_to, p.decision_ref)
               for p in out.posts],
        ratings=[(r.member_id, ids[r.unit], r.period, r.period_end, r.score, r.rating, r.not_rated_reason,
                  r.rated_on) for r in out.ratings],
        regulations=[(ids[g.unit], g.issued_on, g.reference, g.title) for g in out.regulations],
        inspections=[(ids[i.unit], INSPECTING_BODY, i.year, i.inspected_on, i.conclusion, i.reference)
                     for i in out.inspections],
        terms=[(ids[t.unit], t.label, t.starts_on, t.ends_on) for t in out.terms])
    return out
