"""The demo's ratings and organisation records (regulations, inspections, terms), on top of the seats and posts of
units.py, and the entry point that generates and loads them all (see units.py for the choices)."""

import functools
import uuid
from collections import defaultdict
from collections.abc import Mapping, Sequence
from datetime import date, timedelta

import asyncpg

from app.demo.db import records as db
from app.demo.people import Unit
from app.demo.reorganisation import PARTY_AGENCIES_CODE, REORGANISED_ON, destination
from app.demo.unit_rows import (
    COMMITTEE_KINDS,
    CONCLUSIONS,
    GRASSROOTS_KINDS,
    INSPECTED_YEARS,
    INSPECTING_BODIES_2025,
    INSPECTING_BODY,
    OVER_QUOTA_PERIOD,
    RATED_UNIT_KINDS,
    RATED_YEARS,
    REGULATION_GAPS,
    DemoRecords,
    InspectionRow,
    RatingRow,
    Regulation,
    Stay,
    Term,
    _covers,
)
from app.demo.units import _Generator
from app.domain.organizations.rules import Category
from app.domain.plans.status import add_months
from app.domain.ratings.service import Band, NotRatedReason, RatingRules, band

STRONG_YEARS = (2022, 2023)  # the years the bloc's grassroots organisations meet the > 90 % target


class _Records(_Generator):
    @functools.cached_property
    def strong_members(self) -> dict[str, bool]:
        """Every other grassroots organisation, by code: where members do well."""
        grassroots = sorted(u.code for u in self.units if u.kind in GRASSROOTS_KINDS)
        return {code: i % 2 == 0 for i, code in enumerate(grassroots)}

    def score(self, chosen: Band) -> int:
        r = self.rules
        low, high = {
            Band.excellent: (r.excellent_min, min(100, r.excellent_min + 8)),
            Band.good: (r.good_min, r.excellent_min - 1),
            Band.fulfilled: (r.fulfilled_min, r.good_min - 1),
            Band.not_fulfilled: (max(0, r.fulfilled_min - 20), r.fulfilled_min - 1),
        }[chosen]
        return self.rng.randint(low, high)

    def _within_quota(self, rows: list[tuple[uuid.UUID | None, str, Band]]) -> list[tuple[uuid.UUID | None, str, Band]]:
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

    # --- who does well: a reader of the demo sees targets met by some units and missed by others -----------------

    def grassroots_of(self, code: str) -> str:
        return next(c for c in self.ancestors[code] if self.by_code[c].kind in GRASSROOTS_KINDS)

    def member_weights(self, code: str) -> tuple[int, ...]:
        """Excellent, good, fulfilled, not fulfilled: members of every other grassroots organisation (by code) are
        rated good or better well above the 90 % target, the others below it (the bloc as a whole near it)."""
        strong = self.strong_members[self.grassroots_of(code)]
        return (14, 82, 4, 0) if strong else (14, 68, 18, 0)

    def unit_weights(self, code: str, year: int) -> tuple[int, ...]:
        """Grassroots organisations rated good or better: above the 90 % target in STRONG_YEARS; in 2025 those of
        the committee of Party agencies are, those of the People's Committee's are not."""
        unit = self.by_code[self.grassroots_of(code)]
        category = Category(unit.category) if unit.category else None
        strong = (
            destination(category, unit.name) == PARTY_AGENCIES_CODE
            if year >= REORGANISED_ON.year
            else year in STRONG_YEARS
        )
        return (15, 80, 4, 1) if strong else (15, 68, 14, 3)

    def inspecting_body(self, unit: Unit, day: date) -> str:
        """The bloc's inspection commission, then (from the bloc's end) that of the committee the unit went to."""
        if day < REORGANISED_ON:
            return INSPECTING_BODY
        return INSPECTING_BODIES_2025[destination(Category(unit.category) if unit.category else None, unit.name)]

    def member_ratings(self) -> None:
        rng = self.rng
        for year in RATED_YEARS:
            over_quota: str | None = None
            period, end = str(year), date(year, 12, 31)
            by_unit: dict[str, list[tuple[uuid.UUID | None, str, Band]]] = defaultdict(list)
            for s in self.stays:
                if not _covers(s.valid_from, s.valid_to, end) or s.status not in ("probationary", "official"):
                    continue
                reason = (
                    NotRatedReason.exempt
                    if s.exempt
                    else NotRatedReason.suspended
                    if s.suspended
                    else NotRatedReason.admitted_less_than_6_months
                    if s.admitted is not None
                    and add_months(s.admitted, self.rules.min_months) > end + timedelta(days=1)
                    else None
                )
                if reason is not None:
                    self.out.ratings.append(RatingRow(s.member_id, s.unit, period, end, None, None, reason.value, None))
                    continue
                chosen = Band(rng.choices([b.value for b in Band], weights=self.member_weights(s.unit))[0])
                by_unit[s.unit].append((s.member_id, s.unit, chosen))
            if period == OVER_QUOTA_PERIOD:
                over_quota = min(
                    (
                        u
                        for u, rows in by_unit.items()
                        if len(rows) >= 12 and self.by_code[u].kind == "subordinate_cell"
                    ),
                    key=lambda u: (-len(by_unit[u]), u),
                )
            flat = [
                (unit, i)
                for unit in sorted(by_unit)
                if unit != over_quota
                for i in range(len(by_unit[unit]))
                if by_unit[unit][i][2] != Band.excellent
            ]
            for unit, i in rng.sample(flat, rng.randint(3, 6)):  # a few fail, before the quota is checked
                by_unit[unit][i] = (by_unit[unit][i][0], unit, Band.not_fulfilled)
            rows = [
                r
                for unit in sorted(by_unit)
                for r in (by_unit[unit] if unit == over_quota else self._within_quota(by_unit[unit]))
            ]
            if over_quota is not None:
                self.out.over_quota = over_quota
                mine = [i for i, r in enumerate(rows) if r[1] == over_quota]
                for i in mine[: len(mine) * 2 // 5]:
                    rows[i] = (rows[i][0], rows[i][1], Band.excellent)
            rated_on = date(year, 12, 20)
            for member_id, unit, chosen in rows:
                score = self.score(chosen)
                self.out.ratings.append(
                    RatingRow(member_id, unit, period, end, score, band(score, self.rules).value, None, rated_on)
                )

    def unit_ratings(self) -> None:
        rng = self.rng
        rated = [u.code for u in self.units if u.kind in RATED_UNIT_KINDS]
        for year in RATED_YEARS:
            rows: list[tuple[uuid.UUID | None, str, Band]] = [
                (None, code, Band(rng.choices([b.value for b in Band], weights=self.unit_weights(code, year))[0]))
                for code in rated
            ]
            rows = self._within_quota(rows)
            if sum(r[2] in (Band.fulfilled, Band.not_fulfilled) for r in rows) < 3:
                for i in rng.sample(range(len(rows)), 3):
                    rows[i] = (None, rows[i][1], Band.fulfilled)
            for _, code, chosen in rows:
                score = self.score(chosen)
                self.out.ratings.append(
                    RatingRow(
                        None,
                        code,
                        str(year),
                        date(year, 12, 31),
                        score,
                        band(score, self.rules).value,
                        None,
                        date(year + 1, 1, 15),
                    )
                )

    # --- records ------------------------------------------------------------------------------------------------

    def records(self) -> None:
        rng = self.rng
        grassroots = [u for u in self.units if u.kind in GRASSROOTS_KINDS]
        subordinate = [u for u in self.units if u.kind == "subordinate_cell"]
        gaps = set(rng.sample([u.code for u in subordinate], REGULATION_GAPS))
        for u in grassroots:
            issued = date(2020, 7, 1) + timedelta(days=rng.randrange(120))
            self.out.regulations.append(
                Regulation(
                    u.code,
                    issued,
                    f"{rng.randint(1, 20):02d}-QC/ĐU",
                    f"Quy chế làm việc của Ban Chấp hành {u.name}, nhiệm kỳ 2020-2025",
                )
            )
        for u in subordinate:
            if u.code in gaps:
                continue
            issued = date(2020, 3, 1) + timedelta(days=rng.randrange((date(2023, 12, 31) - date(2020, 3, 1)).days))
            self.out.regulations.append(
                Regulation(u.code, issued, f"{rng.randint(1, 9):02d}-QC/CB", f"Quy chế làm việc của {u.name}")
            )
        number = 0
        for year in INSPECTED_YEARS:
            for u in sorted(rng.sample(grassroots, rng.randint(5, 8)), key=lambda u: u.code):
                number += 1
                last = date(year, 11, 30)
                day = date(year, 3, 1) + timedelta(days=rng.randrange((last - date(year, 3, 1)).days))
                self.out.inspections.append(
                    InspectionRow(
                        u.code,
                        year,
                        day,
                        rng.choice(CONCLUSIONS),
                        f"{number}-TB/UBKTĐU{'K' if day < REORGANISED_ON else ''}",
                        self.inspecting_body(u, day),
                    )
                )
        for u in self.units:
            if u.kind in COMMITTEE_KINDS:
                first = date(2020, 4, 1) + timedelta(days=rng.randrange(80))
                second = date(2025, 4, 1) + timedelta(days=rng.randrange(80))
                self.out.terms += [Term(u.code, "2020-2025", first, second), Term(u.code, "2025-2030", second, None)]


def demo_records(
    units: Sequence[Unit],
    stays: Sequence[Stay],
    *,
    seed: int = 3,
    rules: RatingRules = RatingRules(),
    min_positions: int = 3,
    committee_threshold: int = 9,
) -> DemoRecords:
    """Positions, posts, ratings and records for the demo tree and its member periods; the same for the same
    inputs and seed."""
    gen = _Records(
        units, stays, seed=seed, rules=rules, min_positions=min_positions, committee_threshold=committee_threshold
    )
    gen.leadership()
    gen.posts()
    gen.member_ratings()
    gen.unit_ratings()
    gen.records()
    return gen.out


def describe_records(records: DemoRecords) -> str:
    members = sum(1 for r in records.ratings if r.member_id is not None)
    return (
        f"{len(records.seats):,} party positions, {len(records.posts)} public posts, {members:,} member and "
        f"{len(records.ratings) - members:,} organisation ratings 2021–2025, {len(records.regulations)} working "
        f"regulations, {len(records.inspections)} inspections, {len(records.terms)} committee terms"
    )


async def load_demo_units(
    conn: asyncpg.Connection,
    *,
    units: Sequence[Unit],
    ids: Mapping[str, uuid.UUID],
    rules: RatingRules,
    min_positions: int,
    committee_threshold: int,
) -> DemoRecords | None:
    """Load positions, posts, ratings and records unless the demo's units already have positions; the records
    loaded, or None. Run in the transaction that loaded the members."""
    unit_ids = [ids[u.code] for u in units]
    if await db.has_positions(conn, unit_ids):
        return None
    codes = {v: k for k, v in ids.items()}
    stays = [
        Stay(
            r["member_id"],
            r["valid_from"],
            r["valid_to"],
            codes[r["organization_id"]],
            r["status"],
            r["exempt"],
            r["suspended"],
            r["admission_decision_date"],
        )
        for r in await db.member_periods(conn, unit_ids)
    ]
    out = demo_records(units, stays, rules=rules, min_positions=min_positions, committee_threshold=committee_threshold)
    await db.copy_records(
        conn,
        positions=[(s.member_id, ids[s.unit], s.position, s.valid_from, s.valid_to, s.decision_ref) for s in out.seats],
        posts=[
            (p.member_id, p.post, p.place, ids[p.unit], p.valid_from, p.valid_to, p.decision_ref) for p in out.posts
        ],
        ratings=[
            (r.member_id, ids[r.unit], r.period, r.period_end, r.score, r.rating, r.not_rated_reason, r.rated_on)
            for r in out.ratings
        ],
        regulations=[(ids[g.unit], g.issued_on, g.reference, g.title) for g in out.regulations],
        inspections=[(ids[i.unit], i.body, i.year, i.inspected_on, i.conclusion, i.reference) for i in out.inspections],
        terms=[(ids[t.unit], t.label, t.starts_on, t.ends_on) for t in out.terms],
    )
    return out
