"""Five years of history (2021–2025) for the 5.6 million members of bench/national_members.py, loaded with COPY,
for bench/indicators.py: what the indicators count.

The story each member tells (member_periods, consecutive and never overlapping, and the member_events that cause
them, recorded_by 'bench'):
    The placements begin on 2020-01-01 (national_tree.START); a member's first period starts then, or on the
    admission (event `admit`) when later: probationary until the official date (the record's, or admission + 12
    months; event `recognize` that day when it falls after the first day and by END), official from then on.
    The admission dates are the records' (bench/national_members.py): ~3.7 % of the members of the year before
    are admitted in each of 2021–2024 (2025: until October, ~2.8 %).
    Every year 2021–2025, at most one of: a transfer to the member's present cell from another cell (~2 %; the
    cell before is in the same commune for 70 %, the same province for 25 %: `transfer`, the period ends in one
    cell and the next starts in the other), a death (~1 %, more likely the older the member: `die`), being struck
    off (~0.2 %: `strike_off`), resigning (~0.1 %: `resign`) — a terminal period (status deceased / struck_off /
    resigned, valid_to null) after which nothing happens — or, from 70 years of age, an exemption (~2 %: `exempt`,
    the periods from then are exempt). The history is written backwards from the record as it stands, so a member's
    last period is in `members.organization_id` (and `org_path` stays right); `members.status`, `official_date`
    and `exempt` are updated to the last period's.
Ratings (period 'YYYY', period_end 31 December, rated_on 20 December), 2021–2025:
    every member who is a member on 31 December, in the cell of that day: a score and its band (excellent 15 %,
    good 75 %, fulfilled 8 %, not fulfilled 2 %; the thresholds of QĐ 366), or not_rated_reason `exempt` (exempt
    that day) or `admitted_less_than_6_months` (admitted after 1 July); every grassroots organisation (grassroots
    committees and cells, member_id null), same bands.
Records of the organisations:
    inspections of ~7 % of the grassroots organisations each year (year, inspected_on in it); working regulations
    for ~90 % of the subordinate cells (issued_on spread over 2021–2024); party positions in every grassroots and
    subordinate cell that has members to hold them: a secretary (from 2020 – mid 2021), and in cells of ≥ 9 members
    a deputy and committee members (3 seats from 9 members, 5 from 20, 7 from 40; seats filled by the end of 2023),
    in smaller cells a deputy in half of them; holders are members of the cell, official, in it until the end;
    public posts `village_head` / `residential_group_head` linked to ~60 % of the village and residential-group
    cells (public_posts.organization_id = the cell), half of them held by the cell's secretary.

How it is loaded (one transaction, so that a failure leaves the tables as they were; the session runs with
`coso.indicators = 'off'`, so no indicator trigger runs): the history tables are emptied, their indexes and
constraints other than CHECKs dropped (definitions read from the catalogue first, so that they come back exactly as
the migrations made them), the rows COPYed (binary, streamed from generators), the members whose record changes
UPDATEd from a COPYed temporary table, then the indexes and constraints recreated. Then VACUUM (ANALYZE), and, when
the schema has it, `SELECT coso_indicators_rebuild()` (timed).

Everything is seeded: the same seed and the same members build the same history.

Run alone: `.venv/bin/python bench/national_history.py postgresql://…/coso_bench` (tree and members loaded).
"""

import argparse
import asyncio
import math
import random
import time
from collections import Counter
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any

import asyncpg
from national_tree import CODE_PREFIX, START, rebuild_indicators

from app.domain.plans.status import add_months

FIRST_YEAR, LAST_YEAR = 2021, 2025
YEARS = range(FIRST_YEAR, LAST_YEAR + 1)
END = date(LAST_YEAR, 12, 31)  # the last day the history tells
RECORDED_BY = "bench"
# Yearly rates (as a share of the members).
TRANSFER_RATE = 0.02
DEATH_RATE = 0.01  # on average; by age (Gompertz: doubling every 8 years), scaled to this mean
STRIKE_OFF_RATE = 0.002
RESIGN_RATE = 0.001
EXEMPT_RATE = 0.02  # of members aged 70 or more
EXEMPT_AGE = 70
SAME_COMMUNE, SAME_PROVINCE = 0.70, 0.25  # where the cell a member transferred from is
# Rating bands: cumulative shares and the score range of each (QĐ 366: ≥ 90, 70–89, 50–69, < 50).
BANDS = (
    ("excellent", 0.15, 90, 11),
    ("good", 0.90, 70, 20),
    ("fulfilled", 0.98, 50, 20),
    ("not_fulfilled", 1.0, 30, 20),
)
INSPECTED_SHARE = 0.07
REGULATED_SHARE = 0.90
POSTED_SHARE = 0.60  # of village / residential-group cells with a head who is a member
SECRETARY_HEAD_SHARE = 0.50  # of those, held by the cell's secretary
COMMITTEE_THRESHOLD = 9  # members of a cell from which it has a cell committee (≥ 3 seats)
# Seats and posts start on a day drawn from SEATS_FROM to these (or when the holder arrived, if later).
SEATS_FROM, SECRETARY_BY, DEPUTY_BY, SEATS_BY, POSTS_BY = (
    date(2020, 1, 1),
    date(2021, 6, 30),
    date(2022, 12, 31),
    date(2023, 12, 31),
    date(2023, 12, 31),
)
REGULATIONS_FROM, REGULATIONS_UNTIL = date(2021, 1, 1), date(2024, 12, 31)
HOMES = ("grassroots_cell", "subordinate_cell", "party_group")
CELLS = ("grassroots_cell", "subordinate_cell")
GRASSROOTS = ("grassroots_committee", "grassroots_cell")
VILLAGE = ("village", "residential_group")
TABLES = (
    "member_periods",
    "member_events",
    "ratings",
    "party_positions",
    "public_posts",
    "inspections",
    "working_regulations",
)

# Event kinds, in the codes the simulation uses.
RECOGNIZE, TRANSFER, EXEMPT, STRIKE_OFF, RESIGN, DIE = range(6)
KINDS = ("recognize", "transfer", "exempt", "strike_off", "resign", "die")
FINAL = {STRIKE_OFF: "struck_off", RESIGN: "resigned", DIE: "deceased"}

START_O, END_O = START.toordinal(), END.toordinal()
DAYS = [date.fromordinal(o) for o in range(START_O, END_O + 2)]  # DAYS[o - START_O]: the date of ordinal o
YEAR_FROM = [date(y, 1, 1).toordinal() for y in YEARS]
YEAR_END = [date(y, 12, 31).toordinal() for y in YEARS]
LATE_ADMISSION = [date(y, 7, 2).toordinal() for y in YEARS]  # admitted from then: < 6 months at the year's end
PERIOD_END = [date(y, 12, 31) for y in YEARS]
RATED_ON = [date(y, 12, 20) for y in YEARS]
PERIODS = [str(y) for y in YEARS]


@dataclass(slots=True)
class Units:
    """The generated tree at its latest placement, in path order."""

    ids: list[Any] = field(default_factory=list)
    kind: list[str] = field(default_factory=list)
    category: list[str | None] = field(default_factory=list)
    name: list[str] = field(default_factory=list)
    commune: list[int] = field(default_factory=list)  # the unit's commune (its index), -1 above communes
    province: list[int] = field(default_factory=list)  # the unit's province (its index)
    index: dict[Any, int] = field(default_factory=dict)


async def read_units(conn: asyncpg.Connection) -> Units:
    rows = await conn.fetch(
        "SELECT o.id, o.kind, o.category, o.name, p.path, p.depth FROM organizations o "
        "JOIN organization_placements p ON p.organization_id = o.id AND p.latest "
        "WHERE o.code LIKE $1 ORDER BY p.path",
        CODE_PREFIX + "%",
    )
    units = Units()
    by_path: dict[str, int] = {}
    for i, r in enumerate(rows):
        parts = r["path"].split("/")
        by_path[r["path"]] = i
        units.ids.append(r["id"])
        units.kind.append(r["kind"])
        units.category.append(r["category"])
        units.name.append(r["name"])
        units.province.append(by_path["/".join(parts[:2]) + "/"])
        units.commune.append(by_path["/".join(parts[:3]) + "/"] if r["depth"] >= 1 else -1)
        units.index[r["id"]] = i
    if not rows:
        raise RuntimeError("the national tree is not loaded")
    return units


@dataclass(slots=True)
class Story:
    """A member's history: the cell of the first period, and the events after it (day ordinal, kind, from, to)."""

    first_cell: int
    events: tuple[tuple[int, int, int, int], ...]


@dataclass
class Simulation:
    units: Units
    members: Sequence[asyncpg.Record]  # id, organization_id, admission, official_date, birth, status, exempt
    cells: list[int] = field(default_factory=list)  # each member's cell now (unit index)
    firsts: list[int] = field(default_factory=list)  # the first day of each member's periods (ordinal)
    officials: list[int] = field(default_factory=list)  # the day each member is (or would be) official
    stories: list[Story | None] = field(default_factory=list)
    updates: list[tuple[Any, ...]] = field(default_factory=list)  # (id, status, official_date, exempt)
    candidates: dict[int, list[tuple[int, int]]] = field(default_factory=dict)  # cell → [(since, member index)]
    alive_at_end: Counter[int] = field(default_factory=Counter)  # cell → members on END
    counts: Counter[str] = field(default_factory=Counter)


def _death_table(members: Sequence[asyncpg.Record]) -> list[float]:
    """Yearly probability of death by age (0–199), Gompertz-shaped, scaled so that the members' mean is DEATH_RATE
    (ages in the middle of the history)."""
    shape = [math.exp(math.log(2) / 8 * (min(age, 110) - 70)) for age in range(200)]
    ages = Counter(2023 - r[4].year for r in members)
    mean = sum(shape[a] * n for a, n in ages.items()) / sum(ages.values())
    return [min(0.5, DEATH_RATE * s / mean) for s in shape]


def _story(
    kept: list[list[int]], cell: int, rnd: Any, pools: tuple[list[int], list[int], list[int]], counts: Counter[str]
) -> Story:
    """The events with their cells, drawn backwards: the last cell is the record's, each transfer came from another
    cell (of the same commune, the same province or anywhere)."""
    moves = sum(1 for e in kept if e[1] == TRANSFER)
    chain = [cell]
    for _ in range(moves):
        after = chain[-1]
        roll = rnd()
        pool = pools[0 if roll < SAME_COMMUNE else 1 if roll < SAME_COMMUNE + SAME_PROVINCE else 2]
        before = pool[int(rnd() * len(pool))]
        if before == after:
            before = pool[(pool.index(after) + 1) % len(pool)]
        chain.append(before)
    chain.reverse()
    step = 0
    current = chain[0]
    story = []
    for day, kind in kept:
        if kind == TRANSFER:
            step += 1
            story.append((day, kind, current, chain[step]))
            current = chain[step]
        else:
            story.append((day, kind, current, -1))
        counts[KINDS[kind]] += 1
    return Story(chain[0], tuple(story))


def simulate(units: Units, members: Sequence[asyncpg.Record], rng: random.Random) -> Simulation:
    """Each member's story (drawn backwards from the record as it stands), and what follows from it."""
    sim = Simulation(units, members)
    death = _death_table(members)
    # Per age, the yearly chance of any event (the rest of a draw: nothing happens that year).
    exits = [TRANSFER_RATE + d + STRIKE_OFF_RATE + RESIGN_RATE for d in death]
    anything = [e + (EXEMPT_RATE if age >= EXEMPT_AGE else 0.0) for age, e in enumerate(exits)]
    rnd = rng.random
    index = units.index
    kinds, communes, provinces = units.kind, units.commune, units.province
    by_commune: dict[int, list[int]] = {}
    by_province: dict[int, list[int]] = {}
    for u, kind in enumerate(kinds):
        if kind in CELLS:
            by_commune.setdefault(communes[u], []).append(u)
            by_province.setdefault(provinces[u], []).append(u)
    everywhere = [u for u, kind in enumerate(kinds) if kind in CELLS]
    years = list(zip(YEAR_FROM, YEAR_END, range(len(YEARS)), strict=True))
    first_year = YEAR_FROM[0]
    cells, firsts, officials, stories = sim.cells, sim.firsts, sim.officials, sim.stories
    updates, candidates, alive, counts = sim.updates, sim.candidates, sim.alive_at_end, sim.counts
    start_o, end_o = START_O, END_O
    for n, r in enumerate(members):
        admitted_on, official_on = r[2], r[3]
        admitted = admitted_on.toordinal()
        official = (official_on or add_months(admitted_on, 12)).toordinal()
        first = admitted if admitted > start_o else start_o
        cell = index[r[1]]
        cells.append(cell)
        firsts.append(first)
        officials.append(official)
        age = FIRST_YEAR - r[4].year
        events: list[list[int]] | None = None
        exempt = False
        for low, high, k in years:
            draw = rnd()
            if draw >= anything[age + k]:
                continue
            if first >= first_year:
                if first >= high:
                    continue
                if first >= low:
                    low = first + 1
            day = low + int(rnd() * (high - low + 1))
            if events is None:
                events = []
            if draw < TRANSFER_RATE:
                events.append([day, TRANSFER])
            elif draw < exits[age + k]:
                draw -= TRANSFER_RATE
                d = death[age + k]
                events.append([day, DIE if draw < d else STRIKE_OFF if draw < d + STRIKE_OFF_RATE else RESIGN])
                break
            elif not exempt:
                exempt = True
                events.append([day, EXEMPT])
        recognized = official <= first
        if first < official <= end_o:
            if events is None:
                events = []
            events.append([official, RECOGNIZE])
        final_kind = -1
        since = first
        if events is None:
            stories.append(None)
        else:
            events.sort()
            kept: list[list[int]] = []
            last = first
            for event in events:  # one event a day, each after the first day; nothing after an exit
                if event[0] <= last:
                    event[0] = last + 1
                if event[0] > end_o:
                    break
                kept.append(event)
                last = event[0]
                if event[1] >= STRIKE_OFF:
                    final_kind = event[1]
                    break
            exempt = recognized_late = False
            for day, code in kept:
                if code == EXEMPT:
                    exempt = True
                elif code == RECOGNIZE:
                    recognized_late = True
                elif code == TRANSFER:
                    since = day
            recognized = recognized or recognized_late
            stories.append(
                _story(kept, cell, rnd, (by_commune[communes[cell]], by_province[provinces[cell]], everywhere), counts)
                if kept
                else None
            )
        # The record as the last period leaves it.
        status = FINAL[final_kind] if final_kind >= 0 else "official" if recognized else "probationary"
        official_date = official_on or (DAYS[official - start_o] if recognized else None)
        if r[5] != status or official_on != official_date or r[6] != exempt:
            updates.append((r[0], status, official_date, exempt))
        if final_kind < 0:
            alive[cell] += 1
            if recognized and not exempt:
                candidates.setdefault(cell, []).append((max(since, official), n))
    counts["members"] = len(members)
    counts["admit"] = sum(1 for r in members if r[2] >= START)
    counts["updated_records"] = len(updates)
    return sim


def _periods(first: int, official: int, story: Story) -> list[tuple[int, int | None, int, str, bool]]:
    """(valid_from, valid_to, cell, status, exempt) of a member with a story, in date order."""
    out: list[tuple[int, int | None, int, str, bool]] = []
    start, cell, exempt = first, story.first_cell, False
    status = "official" if official <= first else "probationary"
    for day, kind, _, to in story.events:
        out.append((start, day, cell, status, exempt))
        start = day
        if kind == RECOGNIZE:
            status = "official"
        elif kind == TRANSFER:
            cell = to
        elif kind == EXEMPT:
            exempt = True
        else:
            status = FINAL[kind]
    out.append((start, None, cell, status, exempt))
    return out


def period_rows(sim: Simulation) -> Iterator[tuple[Any, ...]]:
    """member_id, valid_from, valid_to, organization_id, status, exempt."""
    ids = sim.units.ids
    days = DAYS
    start = START
    for r, cell, first, official, story in zip(
        sim.members, sim.cells, sim.firsts, sim.officials, sim.stories, strict=True
    ):
        if story is None:
            yield (
                r[0],
                r[2] if r[2] > start else start,
                None,
                ids[cell],
                "official" if official <= first else "probationary",
                False,
            )
            continue
        for begin, end, home, status, exempt in _periods(first, official, story):
            yield (r[0], days[begin - START_O], None if end is None else days[end - START_O], ids[home], status, exempt)


def event_rows(sim: Simulation) -> Iterator[tuple[Any, ...]]:
    """member_id, kind, event_date, from_organization_id, to_organization_id, recorded_by."""
    ids = sim.units.ids
    days = DAYS
    for r, cell, story in zip(sim.members, sim.cells, sim.stories, strict=True):
        if r[2] >= START:
            yield r[0], "admit", r[2], ids[cell if story is None else story.first_cell], None, RECORDED_BY
        if story is not None:
            for day, kind, frm, to in story.events:
                yield r[0], KINDS[kind], days[day - START_O], ids[frm], ids[to] if to >= 0 else None, RECORDED_BY


def _band(draw: float) -> tuple[int, str]:
    low = 0.0
    for band, high, base, spread in BANDS:
        if draw < high:
            return base + min(spread - 1, int((draw - low) / (high - low) * spread)), band
        low = high
    raise AssertionError


def rating_rows(sim: Simulation, rng: random.Random) -> Iterator[tuple[Any, ...]]:
    """member_id, organization_id, period, period_end, score, rating, not_rated_reason, rated_on: members on
    31 December of each year, then the grassroots organisations."""
    rnd = rng.random
    ids = sim.units.ids
    years = list(zip(YEAR_END, LATE_ADMISSION, PERIODS, PERIOD_END, RATED_ON, strict=True))
    bands = [_band(i / 10_000) for i in range(10_000)]  # a draw → (score, band), by its first four digits
    late_reason = "admitted_less_than_6_months"
    rated_all_along = YEAR_FROM[0]  # members from before it, without a story, are rated every year
    for r, cell, first, official, story in zip(
        sim.members, sim.cells, sim.firsts, sim.officials, sim.stories, strict=True
    ):
        member = r[0]
        if story is None:
            home = ids[cell]
            if first < rated_all_along:
                for _, _, period, period_end, rated_on in years:
                    score, band = bands[int(rnd() * 10_000)]
                    yield member, home, period, period_end, score, band, None, rated_on
                continue
            admitted = r[2].toordinal()
            for end, late, period, period_end, rated_on in years:
                if first > end:
                    continue
                if admitted >= late:
                    yield member, home, period, period_end, None, None, late_reason, rated_on
                else:
                    score, band = bands[int(rnd() * 10_000)]
                    yield member, home, period, period_end, score, band, None, rated_on
            continue
        admitted = r[2].toordinal()
        periods = _periods(first, official, story)
        for end, late, period, period_end, rated_on in years:
            for start, stop, home, status, exempt in periods:
                if start <= end and (stop is None or stop > end):
                    if status not in ("probationary", "official"):
                        break
                    if exempt:
                        yield member, ids[home], period, period_end, None, None, "exempt", rated_on
                    elif admitted >= late:
                        yield member, ids[home], period, period_end, None, None, late_reason, rated_on
                    else:
                        score, band = bands[int(rnd() * 10_000)]
                        yield member, ids[home], period, period_end, score, band, None, rated_on
                    break
    units = sim.units
    for u, kind in enumerate(units.kind):
        if kind in GRASSROOTS:
            for period, period_end, rated_on in zip(PERIODS, PERIOD_END, RATED_ON, strict=True):
                score, band = bands[int(rnd() * 10_000)]
                yield None, units.ids[u], period, period_end, score, band, None, rated_on


def _day_between(rng: random.Random, low: date, high: date) -> date:
    return date.fromordinal(low.toordinal() + int(rng.random() * (high.toordinal() - low.toordinal() + 1)))


def position_and_post_rows(sim: Simulation, rng: random.Random) -> tuple[list[tuple[Any, ...]], list[tuple[Any, ...]]]:
    """party_positions (member_id, organization_id, position, valid_from) and public_posts (member_id, post, place,
    organization_id, valid_from)."""
    units, members = sim.units, sim.members
    positions: list[tuple[Any, ...]] = []
    posts: list[tuple[Any, ...]] = []
    for u, kind in enumerate(units.kind):
        if kind not in CELLS or u not in sim.candidates:
            continue
        pool = sim.candidates[u]
        size = sim.alive_at_end[u]
        if size >= COMMITTEE_THRESHOLD:
            seats = 3 + 2 * (size >= 20) + 2 * (size >= 40)
        else:
            seats = 1 + (size >= 5 and rng.random() < 0.5)
        holders = rng.sample(pool, min(seats, len(pool)))
        secretary_from = None
        for number, (since, m) in enumerate(holders):
            position, until = (
                ("secretary", SECRETARY_BY)
                if number == 0
                else ("deputy_secretary", DEPUTY_BY)
                if number == 1
                else ("committee_member", SEATS_BY)
            )
            start = max(_day_between(rng, SEATS_FROM, until), DAYS[since - START_O])
            positions.append((members[m][0], units.ids[u], position, start))
            if number == 0:
                secretary_from = start
        if units.category[u] in VILLAGE and rng.random() < POSTED_SHARE:
            post = "village_head" if units.category[u] == "village" else "residential_group_head"
            place = units.name[u].removeprefix("Chi bộ ")
            start = _day_between(rng, SEATS_FROM, POSTS_BY)
            if rng.random() < SECRETARY_HEAD_SHARE and secretary_from is not None:
                holder, start = members[holders[0][1]][0], max(start, secretary_from)
            else:
                others = [c for c in pool if not holders or c[1] != holders[0][1]]
                if not others:
                    continue
                since, m = others[int(rng.random() * len(others))]
                holder, start = members[m][0], max(start, DAYS[since - START_O])
            posts.append((holder, post, place, units.ids[u], start))
    return positions, posts


def inspection_rows(units: Units, rng: random.Random) -> list[tuple[Any, ...]]:
    """organization_id, inspecting_body, year, inspected_on, conclusion, reference."""
    grassroots = [u for u, kind in enumerate(units.kind) if kind in GRASSROOTS]
    rows = []
    for year in YEARS:
        for number, u in enumerate(sorted(rng.sample(grassroots, round(INSPECTED_SHARE * len(grassroots)))), 1):
            body = "Ủy ban Kiểm tra " + units.name[units.commune[u]].replace("Đảng bộ", "Đảng ủy", 1)
            rows.append(
                (
                    units.ids[u],
                    body,
                    year,
                    _day_between(rng, date(year, 1, 1), date(year, 12, 31)),
                    "Thực hiện tốt" if rng.random() < 0.9 else "Có thiếu sót, cần khắc phục",
                    f"{number}-TB/UBKT",
                )
            )
    return rows


def regulation_rows(units: Units, rng: random.Random) -> list[tuple[Any, ...]]:
    """organization_id, issued_on, reference, title."""
    return [
        (
            units.ids[u],
            _day_between(rng, REGULATIONS_FROM, REGULATIONS_UNTIL),
            "01-QC/CB",
            f"Quy chế làm việc của {units.name[u]}",
        )
        for u, kind in enumerate(units.kind)
        if kind == "subordinate_cell" and rng.random() < REGULATED_SHARE
    ]


# --- loading ------------------------------------------------------------------------------------------------------


async def definitions(conn: asyncpg.Connection, tables: Sequence[str]) -> tuple[list[str], list[str]]:
    """(DROP statements, CREATE/ADD statements in the order to run them) for every index and non-CHECK constraint
    of `tables`, and every foreign key pointing at them (bench/national_members.py uses it too)."""
    constraints = await conn.fetch(
        """
        SELECT c.conrelid::regclass::text AS tbl, c.conname, c.contype::text AS contype,
               pg_get_constraintdef(c.oid) AS def
        FROM pg_constraint c
        WHERE c.contype IN ('p', 'u', 'x', 'f')
          AND (c.conrelid = ANY($1::regclass[]) OR c.confrelid = ANY($1::regclass[]))""",
        list(tables),
    )
    indexes = await conn.fetch(
        """
        SELECT i.indexrelid::regclass::text AS name, pg_get_indexdef(i.indexrelid) AS def
        FROM pg_index i
        WHERE i.indrelid = ANY($1::regclass[])
          AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = i.indexrelid)""",
        list(tables),
    )
    foreign = [c for c in constraints if c["contype"] == "f"]
    own = [c for c in constraints if c["contype"] != "f"]
    drops = [f'ALTER TABLE {c["tbl"]} DROP CONSTRAINT "{c["conname"]}"' for c in foreign + own] + [
        f"DROP INDEX {i['name']}" for i in indexes
    ]
    creates = (
        [f'ALTER TABLE {c["tbl"]} ADD CONSTRAINT "{c["conname"]}" {c["def"]}' for c in own]
        + [i["def"] for i in indexes]
        + [f'ALTER TABLE {c["tbl"]} ADD CONSTRAINT "{c["conname"]}" {c["def"]}' for c in foreign]
    )
    return drops, creates


def _counted(
    rows: Iterator[tuple[Any, ...]], label: str, progress: bool, every: int = 2_000_000
) -> Iterator[tuple[Any, ...]]:
    last = time.perf_counter()
    for n, row in enumerate(rows, 1):
        if progress and n % every == 0:
            now = time.perf_counter()
            print(f"  {n:,} {label} copied ({every / (now - last):,.0f}/s)", flush=True)
            last = now
        yield row


async def load_history(dsn: str, *, seed: int = 2026, progress: bool = True, rebuild: bool = True) -> dict[str, Any]:
    """Replace the history of the members (and the organisations' records) at `dsn` by a generated one."""
    started = time.perf_counter()
    timings: dict[str, float] = {}
    conn = await asyncpg.connect(dsn)
    try:
        await conn.execute(
            "SET coso.indicators = 'off'; SET coso.changes = 'off'; SET synchronous_commit = off; "
            "SET maintenance_work_mem = '1GB'; SET max_parallel_maintenance_workers = 2; "
            "SET work_mem = '1GB'"
        )
        rng = random.Random(seed)
        units = await read_units(conn)
        mark = time.perf_counter()
        members = await conn.fetch(
            "SELECT id, organization_id, admission_decision_date, official_date, birth_date, "
            "status, exempt FROM members ORDER BY id"
        )
        timings["read_s"] = time.perf_counter() - mark
        mark = time.perf_counter()
        sim = simulate(units, members, rng)
        positions, posts = position_and_post_rows(sim, rng)
        inspections, regulations = inspection_rows(units, rng), regulation_rows(units, rng)
        timings["simulate_s"] = time.perf_counter() - mark
        if progress:
            print(f"  simulated in {timings['simulate_s']:.0f} s: {dict(sim.counts)}", flush=True)
        copied: Counter[str] = Counter()

        async def copy(table: str, columns: Sequence[str], rows: Any) -> None:
            mark = time.perf_counter()
            counted = _counted(iter(rows), table, progress)

            def tally() -> Iterator[tuple[Any, ...]]:
                for row in counted:
                    copied[table] += 1
                    yield row

            await conn.copy_records_to_table(table, columns=list(columns), records=tally())
            timings[f"copy_{table}_s"] = timings.get(f"copy_{table}_s", 0.0) + time.perf_counter() - mark

        async with conn.transaction():
            drops, creates = await definitions(conn, TABLES)
            await conn.execute(f"TRUNCATE {', '.join(TABLES)}")
            for statement in drops:
                await conn.execute(statement)
            await copy(
                "member_periods",
                ("member_id", "valid_from", "valid_to", "organization_id", "status", "exempt"),
                period_rows(sim),
            )
            await copy(
                "member_events",
                ("member_id", "kind", "event_date", "from_organization_id", "to_organization_id", "recorded_by"),
                event_rows(sim),
            )
            await copy(
                "ratings",
                (
                    "member_id",
                    "organization_id",
                    "period",
                    "period_end",
                    "score",
                    "rating",
                    "not_rated_reason",
                    "rated_on",
                ),
                rating_rows(sim, rng),
            )
            await copy("party_positions", ("member_id", "organization_id", "position", "valid_from"), positions)
            await copy("public_posts", ("member_id", "post", "place", "organization_id", "valid_from"), posts)
            await copy(
                "inspections",
                ("organization_id", "inspecting_body", "year", "inspected_on", "conclusion", "reference"),
                inspections,
            )
            await copy("working_regulations", ("organization_id", "issued_on", "reference", "title"), regulations)
            mark = time.perf_counter()
            await conn.execute(
                "CREATE TEMP TABLE bench_member_updates (id uuid, status text, official_date date, "
                "exempt boolean) ON COMMIT DROP"
            )
            await conn.copy_records_to_table("bench_member_updates", records=sim.updates)
            await conn.execute("""
                UPDATE members m SET status = u.status, official_date = u.official_date, exempt = u.exempt
                FROM bench_member_updates u WHERE u.id = m.id""")
            timings["update_members_s"] = time.perf_counter() - mark
            for statement in creates:
                mark = time.perf_counter()
                await conn.execute(statement)
                took = time.perf_counter() - mark
                if progress:
                    print(f"  {took:6.1f} s  {statement[:110]}", flush=True)
                timings["indexes_s"] = timings.get("indexes_s", 0.0) + took
        del sim, members
        mark = time.perf_counter()
        await conn.execute(f"VACUUM (ANALYZE) members, {', '.join(TABLES)}")
        timings["vacuum_analyze_s"] = time.perf_counter() - mark
        loaded_s = time.perf_counter() - started
        rebuild_s = await rebuild_indicators(conn) if rebuild else None  # with the triggers off, once
        sizes = await conn.fetch(
            "SELECT t, pg_total_relation_size(t::regclass) AS bytes FROM unnest($1::text[]) t", list(TABLES)
        )
    finally:
        await conn.close()
    return {
        "seed": seed,
        "rows": dict(copied),
        **{k: round(v, 1) for k, v in timings.items()},
        "load_s": round(loaded_s, 1),
        "rebuild_s": None if rebuild_s is None else round(rebuild_s, 1),
        "total_s": round(time.perf_counter() - started, 1),
        "size_mb": {r["t"]: round(r["bytes"] / 2**20) for r in sizes},
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("dsn", help="postgresql://… of a database holding the national tree and members")
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument("--no-rebuild", action="store_true", help="leave the indicator tables as they are")
    args = parser.parse_args()
    print(asyncio.run(load_history(args.dsn, seed=args.seed, rebuild=not args.no_rebuild)))


if __name__ == "__main__":
    main()
