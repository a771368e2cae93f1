"""Exactness of the indicators, as a property: for a random small tree and a random history built through the API
(members registered, admitted, recognised, transferred, exempted, leaving; seats and public posts held and ended;
regulations, inspections, ratings and their replacements; units founded, moved, merged, split, dissolved (also on
the day they were moved) and corrected, on random dates of 2021–2025 in date order, plus records dated back into the
life of units that have changed since), every indicator of every unit under the root (`breakdown=level`, each
level, `include_self`) for every year 2021–2025 and a few quarters, in both structures, equals the brute-force
recomputation of tests/support/indicator_oracle.py (tasks_on_time aside).

Each example starts from an empty database. Steps the service refuses (a rule of the domain, a seat already taken)
are skipped, but counted: over the run, each kind of write (admission, recognition, transfer, exit, rating, move,
merge, split, seat, post, …) must have succeeded in a good share of its attempts (`LEAST_SHARE`), or the oracle
would have checked little; a failure prints the differences and the steps that were recorded. Members are only
ever registered in units that exist on their admission day (the contract says nothing of facts dated before a
unit's founding)."""

import os
import random
from collections import Counter
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

import asyncpg
import httpx
import pytest
from fastapi import FastAPI
from hypothesis import HealthCheck, Phase, given, seed, settings
from hypothesis import strategies as st

from tests.support.builders import ClientWith, EmptyDatabase, InsertKey
from tests.support.indicator_oracle import (
    INDICATORS,
    YEAR_ONLY,
    Oracle,
    analytics,
    compare,
    figure_problems,
    parse_period,
    quarter_bounds,
    service_today,
)

API = "/api/v1"
ANALYTICS = f"{API}/indicators/analytics"
FOUNDED = date(2000, 1, 1)
START, END = date(2021, 1, 1), date(2025, 12, 31)
YEARS = [str(y) for y in range(2021, 2026)]
CELLS = ("grassroots_cell", "subordinate_cell")
HOMES = (*CELLS, "party_group")  # where members belong
IN_MEMBERSHIP = ("probationary", "official")
MAY_SIT_UNDER: dict[str, tuple[str, ...]] = {
    "upper_level_committee": ("provincial_committee", "upper_level_committee"),
    "grassroots_committee": ("provincial_committee", "upper_level_committee"),
    "grassroots_cell": ("provincial_committee", "upper_level_committee"),
    "subordinate_cell": ("grassroots_committee",),
    "party_group": CELLS,
}

# --- what an example is made of ----------------------------------------------------------------------------------

CATEGORY = st.sampled_from(
    [None, "village", "village", "residential_group", "agency", "military", "private_enterprise"]
)
COMMITTEE = st.lists(CATEGORY, min_size=1, max_size=3)  # the categories of its subordinate cells
COMMUNE = st.tuples(st.lists(COMMITTEE, max_size=2), st.lists(CATEGORY, max_size=2))
SHAPE = st.lists(COMMUNE, min_size=1, max_size=3).filter(lambda communes: any(c[0] or c[1] for c in communes))

# Days on and around quarter boundaries are drawn often: that is where the rules of the contract turn.
EDGES = sorted(
    {
        (d - START).days
        for y in range(2021, 2026)
        for q in range(1, 5)
        for first, last in [quarter_bounds((y, q))]
        for d in (first, first + timedelta(days=1), last)
    }
)
DAY = st.one_of(st.integers(0, (END - START).days), st.sampled_from(EDGES))
STEPS = (
    "register",
    "register",
    "admit",
    "admit",
    "recognize",
    "transfer",
    "transfer",
    "temporary",
    "exempt",
    "leave",
    "leave",
    "seat",
    "committee",
    "committee",
    "post",
    "post",
    "post",
    "regulation",
    "inspection",
    "inspection",
    "move",
    "merge",
    "merge_into",
    "dissolve",
    "move_and_end",
    "move_and_end",
    "move_and_end",
    "split",
    "found",
    "busy_end",
    "correct",
    "end_seat",
    "end_post",
    "commune",
    "commune",
    "backdated",
    "backdated",
)
STEP = st.tuples(st.sampled_from(STEPS), DAY, st.integers(0, 2**20))
RATING = st.tuples(
    st.sampled_from(["member", "member", "organization", "quarter", "replace"]),
    st.integers(2021, 2025),
    st.integers(0, 2**20),
)
QUARTER = st.tuples(st.integers(2021, 2025), st.integers(1, 4)).map(lambda q: f"{q[0]}Q{q[1]}")


@dataclass
class Scenario:
    shape: list[Any]
    founders: list[int]  # members registered in each cell before 2021 (cycled)
    steps: list[tuple[str, int, int]]
    ratings: list[tuple[str, int, int]]
    quarters: list[str]


SCENARIO = st.builds(
    Scenario,
    SHAPE,
    st.lists(st.integers(2, 6), min_size=1, max_size=6),
    st.lists(STEP, min_size=15, max_size=50),
    st.lists(RATING, max_size=30),
    st.lists(QUARTER, min_size=1, max_size=3, unique=True),
)


INTRODUCERS = ["youth_union", "trade_union", "fatherland_front", "womens_union"]

# The kinds of write the steps attempt, by member event or by the last word of the path.
EVENT_KINDS = {
    "admit": "admission",
    "recognize": "recognition",
    "transfer": "transfer",
    "temporary_transfer": "temporary_transfer",
    "return_from_temporary": "temporary_transfer",
    "exempt": "exemption",
    "end_exemption": "exemption",
    "strike_off": "exit",
    "resign": "exit",
    "die": "exit",
    "expel": "exit",
    "fail_probation": "exit",
}
PATH_KINDS = {
    "organizations": "found",
    "move": "move",
    "merge": "merge",
    "split": "split",
    "dissolve": "dissolve",
    "positions": "seat",
    "posts": "post",
    "regulations": "regulation",
    "inspections": "inspection",
    "ratings": "rating",
}
# The least share of its attempts each kind must succeed in, over a run (the steps choose writes the rules allow;
# the few they choose to be refused — a merge of units of different kinds, a seat already taken — stay below
# half). Without this, a rule that refused every write would leave the oracle nothing to disagree with.
LEAST_SHARE = {
    "register": 0.8,
    "propose": 0.8,
    "admission": 0.8,
    "recognition": 0.8,
    "transfer": 0.8,
    "temporary_transfer": 0.8,
    "exemption": 0.8,
    "exit": 0.6,
    "found": 0.6,
    "move": 0.5,
    "merge": 0.5,
    "split": 0.5,
    "dissolve": 0.5,
    "correct": 0.5,
    "seat": 0.3,
    "end_seat": 0.5,
    "post": 0.3,
    "end_post": 0.5,
    "regulation": 0.5,
    "inspection": 0.5,
    "rating": 0.5,
}
LEAST_ATTEMPTS = 5  # a kind attempted fewer times over the whole run is not judged


def write_kind(method: str, url: str, body: dict[str, Any] | None) -> str:
    words = url.rstrip("/").split("/")
    if words[-1] == "events":
        return EVENT_KINDS[str((body or {})["kind"])]
    if words[-1] == "members" and method == "POST":
        return "propose" if (body or {}).get("status") == "candidate" else "register"
    if words[-1] == "end":
        return "end_seat" if "positions" in words else "end_post"
    if method == "PATCH":
        return "correct"
    if "ratings" in words:
        return "rating"
    return PATH_KINDS[words[-1]]


@dataclass
class Tally:
    """How many writes of each kind were attempted, and how many succeeded, over a whole run."""

    tried: Counter[str] = field(default_factory=Counter)
    done: Counter[str] = field(default_factory=Counter)
    refusals: dict[str, Counter[str]] = field(default_factory=dict)
    ended_on_move_day: Counter[str] = field(default_factory=Counter)  # dissolve, merge, split: succeeded

    def count(self, kind: str, succeeded: bool, refusal: str = "") -> None:
        self.tried[kind] += 1
        self.done[kind] += succeeded
        if not succeeded:
            self.refusals.setdefault(kind, Counter())[refusal] += 1

    def too_often_refused(self) -> list[str]:
        return [
            f"{kind}: {self.done[kind]} of {self.tried[kind]} succeeded (at least {share:.0%} expected);"
            f" refused by {dict(self.refusals.get(kind, {}))}"
            for kind, share in LEAST_SHARE.items()
            if self.tried[kind] >= LEAST_ATTEMPTS and self.done[kind] < share * self.tried[kind]
        ]


# --- a clean database per example ----------------------------------------------------------------------------------


async def fresh_client(
    app: FastAPI, empty_database: EmptyDatabase, client_with: ClientWith, insert_key: InsertKey
) -> httpx.AsyncClient:
    await empty_database()
    return client_with(app, await insert_key(name="indicator property"))


# --- building a history through the API ----------------------------------------------------------------------------


@dataclass
class World:
    client: httpx.AsyncClient
    pool: asyncpg.Pool
    tally: "Tally | None" = None
    log: list[str] = field(default_factory=list)
    serial: int = 0

    def next_code(self, prefix: str) -> str:
        self.serial += 1
        return f"{prefix}{self.serial}"

    async def call(
        self, what: str, method: str, url: str, body: dict[str, Any] | None = None, params: dict[str, Any] | None = None
    ) -> httpx.Response:
        """A write; refusals by the rules (409, 422) are expected and skipped, anything else must succeed."""
        response = await self.client.request(method, url, json=body, params=params)
        assert response.status_code in (200, 201, 409, 422), (what, body, response.status_code, response.text)
        if response.status_code in (200, 201):
            self.log.append(what)
        if self.tally is not None:
            succeeded = response.status_code in (200, 201)
            refusal = "" if succeeded else str(response.json().get("type", response.status_code)).rsplit(":", 1)[-1]
            self.tally.count(write_kind(method, url, body), succeeded, refusal)
        return response

    async def units(self) -> list[Any]:
        """Living units as they stand now (= on the day being recorded: steps come in date order)."""
        return list(
            await self.pool.fetch("""
            SELECT o.id, o.code, o.kind, o.category, o.valid_from, p.parent_id FROM organizations o
            JOIN organization_placements p ON p.organization_id = o.id AND p.latest
            WHERE o.valid_to IS NULL ORDER BY o.code""")
        )

    async def members(self, where: str = "true", *args: Any) -> list[Any]:
        return list(
            await self.pool.fetch(
                f"""
            SELECT id, status, organization_id, temporarily_away, exempt, admission_decision_date FROM members
            WHERE {where} ORDER BY full_name""",  # noqa: S608 - table names from the catalogue or SQL written in the test
                *args,
            )
        )

    async def create_unit(self, kind: str, parent: Any, day: date, category: str | None) -> Any:
        code = self.next_code("U")
        response = await self.call(
            f"{day} found {code} ({kind}, {category}) under {parent['code']}",
            "POST",
            f"{API}/organizations",
            {
                "code": code,
                "name": f"Tổ chức {code}",
                "kind": kind,
                "category": category,
                "parent_id": str(parent["id"]),
                "valid_from": day.isoformat(),
            },
        )
        return response.json() if response.status_code == 201 else None

    async def register(self, cell: Any, day: date, status: str, name: str | None = None) -> Any:
        self.serial += 1
        name = name or f"Đảng viên Số {self.serial}"
        response = await self.call(
            f"{day} register {name} {status} in {cell['code']}",
            "POST",
            f"{API}/members",
            {
                "full_name": name,
                "gender": "male" if self.serial % 2 else "female",
                "birth_date": (date(1970, 1, 1) + timedelta(days=97 * self.serial % 7000)).isoformat(),
                "status": status,
                "organization_id": str(cell["id"]),
                "admission_decision_date": day.isoformat(),
            },
            params={"allow_same_name": "true"},
        )
        return response.json() if response.status_code == 201 else None

    async def event(self, member: Any, kind: str, day: date, **extra: Any) -> httpx.Response:
        return await self.call(
            f"{day} {kind} member {member['id']} {extra or ''}",
            "POST",
            f"{API}/members/{member['id']}/events",
            {"kind": kind, "date": day.isoformat(), **extra},
        )

    async def build(self, shape: Sequence[Any], founders: Sequence[int]) -> Any:
        root = await self.create_root()
        cells = []
        for committees, grassroots_cells in shape:
            commune = await self.create_unit("upper_level_committee", root, FOUNDED, "commune")
            for sub_cells in committees:
                committee = await self.create_unit("grassroots_committee", commune, FOUNDED, None)
                cells += [await self.create_unit("subordinate_cell", committee, FOUNDED, c) for c in sub_cells]
            cells += [await self.create_unit("grassroots_cell", commune, FOUNDED, c) for c in grassroots_cells]
        for i, cell in enumerate(cells):
            for j in range(founders[i % len(founders)]):
                # official since long ago; every fourth cell's last founder admitted in 2020 (probationary)
                recent = j == founders[i % len(founders)] - 1 and i % 4 == 0
                day = date(2020, 3 + i % 9, 1 + j) if recent else date(2005 + (i + j) % 14, 1 + j % 12, 10)
                await self.register(cell, day, "probationary" if recent else "official")
        return root

    async def create_root(self) -> Any:
        response = await self.call(
            "found the root P",
            "POST",
            f"{API}/organizations",
            {"code": "P", "name": "Đảng bộ tỉnh", "kind": "provincial_committee", "valid_from": FOUNDED.isoformat()},
        )
        return response.json()

    # --- the steps, each on its day, its choices made by its own seeded Random --------------------------------

    async def step(self, kind: str, day: date, rng: random.Random) -> None:
        await getattr(self, f"step_{kind}")(day, rng)

    async def step_register(self, day: date, rng: random.Random) -> None:
        cells = [u for u in await self.units() if u["kind"] in HOMES]
        if cells:
            await self.register(rng.choice(cells), day, rng.choice(["probationary", "official"]))

    async def step_admit(self, day: date, rng: random.Random) -> None:
        cells = [u for u in await self.units() if u["kind"] in HOMES]
        official = await self.members("status = 'official'")
        if not cells or len(official) < 2:
            return
        cell = rng.choice(cells)
        sponsors = [str(m["id"]) for m in rng.sample(official, 2)]
        self.serial += 1
        name = f"Quần chúng Số {self.serial}"
        response = await self.call(
            f"{day} propose {name} in {cell['code']}",
            "POST",
            f"{API}/members",
            {
                "full_name": name,
                "gender": "female",
                "birth_date": "1996-05-05",
                "status": "candidate",
                "organization_id": str(cell["id"]),
                "since": day.isoformat(),
                "sponsor_ids": sponsors,
                "sponsor_since": {s: (day - timedelta(days=400)).isoformat() for s in sponsors},
                "training_certificate_date": day.isoformat(),
                **({"introduced_by": rng.choice(INTRODUCERS)} if rng.random() < 0.5 else {}),
            },
        )
        if response.status_code == 201:
            await self.event(response.json(), "admit", day)

    async def step_recognize(self, day: date, rng: random.Random) -> None:
        due = [
            m
            for m in await self.members("status = 'probationary'")
            if m["admission_decision_date"] <= day - timedelta(days=366)
        ]
        if due:
            await self.event(rng.choice(due), "recognize", day)

    async def step_transfer(self, day: date, rng: random.Random) -> None:
        members = await self.members("status = ANY($1::text[])", list(IN_MEMBERSHIP))
        cells = [u for u in await self.units() if u["kind"] in HOMES]
        if members and len(cells) > 1:
            member = rng.choice(members)
            to = rng.choice([c for c in cells if c["id"] != member["organization_id"]])
            await self.event(member, "transfer", day, to_organization_id=str(to["id"]))

    async def step_temporary(self, day: date, rng: random.Random) -> None:
        members = await self.members("status = ANY($1::text[])", list(IN_MEMBERSHIP))
        if not members:
            return
        member = rng.choice(members)
        if member["temporarily_away"]:
            await self.event(member, "return_from_temporary", day)
            return
        cells = [u for u in await self.units() if u["kind"] in HOMES and u["id"] != member["organization_id"]]
        if cells and rng.random() < 0.7:
            await self.event(member, "temporary_transfer", day, to_organization_id=str(rng.choice(cells)["id"]))
        else:
            await self.event(member, "temporary_transfer", day, destination="Học viện Chính trị")

    async def step_exempt(self, day: date, rng: random.Random) -> None:
        members = await self.members("status = ANY($1::text[])", list(IN_MEMBERSHIP))
        if members:
            member = rng.choice(members)
            await self.event(member, "end_exemption" if member["exempt"] else "exempt", day)

    async def step_leave(self, day: date, rng: random.Random) -> None:
        members = await self.members("status = ANY($1::text[])", list(IN_MEMBERSHIP))
        if not members:
            return
        member = rng.choice(members)
        kinds = ["strike_off", "strike_off", "resign", "resign", "die", "expel", "transfer_out"]
        if member["status"] == "probationary":
            kinds.append("fail_probation")
        kind = rng.choice(kinds)
        if kind == "transfer_out":
            await self.event(member, "transfer", day, destination="Đảng bộ tỉnh khác")
        else:
            await self.event(member, kind, day)

    async def _seat(self, unit: Any, member: Any, position: str, day: date, until: date | None) -> httpx.Response:
        return await self.call(
            f"{day} seat {member['id']} as {position} of {unit['code']} until {until}",
            "POST",
            f"{API}/organizations/{unit['id']}/positions",
            {
                "member_id": str(member["id"]),
                "position": position,
                "valid_from": day.isoformat(),
                "valid_to": until.isoformat() if until else None,
            },
        )

    def _until(self, day: date, rng: random.Random) -> date | None:
        return None if rng.random() < 0.5 else day + timedelta(days=rng.randint(1, 900))

    async def step_seat(self, day: date, rng: random.Random) -> None:
        cells = [u for u in await self.units() if u["kind"] in CELLS]
        if not cells:
            return
        cell = rng.choice(cells)
        members = await self.members(
            "organization_id = $1 AND status = ANY($2::text[])", cell["id"], list(IN_MEMBERSHIP)
        )
        if members:
            position = rng.choice(["secretary", "deputy_secretary", "committee_member"])
            await self._seat(cell, rng.choice(members), position, day, self._until(day, rng))

    async def _cell_with_members(
        self, rng: random.Random, *, at_least: int = 1, villages: bool = False
    ) -> tuple[Any, list[Any]] | None:
        """A living cell and its members in membership, preferring cells with enough members (and villages)."""
        cells = [u for u in await self.units() if u["kind"] in CELLS]
        rng.shuffle(cells)
        if villages and rng.random() < 0.8:
            cells.sort(key=lambda c: c["category"] not in ("village", "residential_group"))
        for cell in cells:
            members = await self.members(
                "organization_id = $1 AND status = ANY($2::text[])", cell["id"], list(IN_MEMBERSHIP)
            )
            if len(members) >= at_least:
                return cell, members
        return None

    async def step_committee(self, day: date, rng: random.Random) -> None:
        found = await self._cell_with_members(rng, at_least=3, villages=True)
        if found:
            cell, members = found
            until = self._until(day, rng)
            for member, position in zip(
                rng.sample(members, 3), ("secretary", "deputy_secretary", "committee_member"), strict=True
            ):
                await self._seat(cell, member, position, day, until)

    async def step_post(self, day: date, rng: random.Random) -> None:
        found = await self._cell_with_members(rng, villages=True)
        if not found:
            return
        cell, members = found
        holder: Any = rng.choice(members)
        if rng.random() < 0.7:  # most often the cell's secretary, if it has one that day
            led = await self.client.get(
                f"{API}/organizations/{cell['id']}/leadership", params={"as_of": day.isoformat()}
            )
            assert led.status_code == 200, led.text
            if led.json()["secretary"]:
                holder = {"id": led.json()["secretary"]["member_id"]}
        post = rng.choice(["village_head", "village_head", "residential_group_head", "front_committee_head"])
        until = self._until(day, rng)
        await self.call(
            f"{day} post {post} of {cell['code']} to {holder['id']} until {until}",
            "POST",
            f"{API}/members/{holder['id']}/posts",
            {
                "post": post,
                "organization_id": str(cell["id"]),
                "valid_from": day.isoformat(),
                "valid_to": until.isoformat() if until else None,
            },
        )

    async def step_commune(self, day: date, rng: random.Random) -> None:
        """A commune's secretary (seed 004, 2.1.3), who may chair the People's Council or Committee."""
        communes = [u for u in await self.units() if u["category"] in ("commune", "ward")]
        if not communes:
            return
        commune = rng.choice(communes)
        led = await self.client.get(
            f"{API}/organizations/{commune['id']}/leadership", params={"as_of": day.isoformat()}
        )
        assert led.status_code == 200, led.text
        secretary = led.json()["secretary"]
        if secretary is None:
            members = list(
                await self.pool.fetch(
                    """
                SELECT m.id FROM members m JOIN organization_placements p ON p.organization_id = $1 AND p.latest
                WHERE m.org_path LIKE p.path || '%' AND m.status = ANY($2::text[]) ORDER BY m.full_name""",
                    commune["id"],
                    list(IN_MEMBERSHIP),
                )
            )
            if members:
                await self._seat(commune, rng.choice(members), "secretary", day, self._until(day, rng))
            return
        holder = secretary["member_id"]
        post = rng.choice(["commune_council_chair", "commune_chair", "commune_party_secretary_and_chair"])
        until = self._until(day, rng)
        await self.call(
            f"{day} post {post} of {commune['code']} to {holder} until {until}",
            "POST",
            f"{API}/members/{holder}/posts",
            {
                "post": post,
                "organization_id": str(commune["id"]),
                "valid_from": day.isoformat(),
                "valid_to": until.isoformat() if until else None,
            },
        )

    async def step_regulation(self, day: date, rng: random.Random) -> None:
        units = await self.units()
        preferred = [u for u in units if u["kind"] == "subordinate_cell"]
        pool = preferred if preferred and rng.random() < 0.8 else units
        unit = rng.choice(pool)
        await self.call(
            f"{day} regulation of {unit['code']}",
            "POST",
            f"{API}/organizations/{unit['id']}/regulations",
            {"issued_on": day.isoformat(), "reference": f"{self.next_code('R')}-QC/CB"},
        )

    async def step_inspection(self, day: date, rng: random.Random) -> None:
        units = await self.units()
        preferred = [u for u in units if u["kind"] in ("grassroots_committee", "grassroots_cell")]
        pool = preferred if preferred and rng.random() < 0.85 else units
        unit = rng.choice(pool)
        on = None if rng.random() < 0.3 else day
        await self.call(
            f"{day} inspection of {unit['code']} for {day.year} on {on}",
            "POST",
            f"{API}/organizations/{unit['id']}/inspections",
            {"inspecting_body": "Ủy ban Kiểm tra", "year": day.year, "inspected_on": on.isoformat() if on else None},
        )

    async def step_move(self, day: date, rng: random.Random) -> None:
        units = await self.units()
        movable = [u for u in units if u["kind"] in MAY_SIT_UNDER]
        if not movable:
            return
        unit = rng.choice(movable)
        parents = [
            p
            for p in units
            if p["kind"] in MAY_SIT_UNDER[unit["kind"]] and p["id"] not in (unit["id"], unit["parent_id"])
        ]
        if parents:
            parent = rng.choice(parents)
            await self.call(
                f"{day} move {unit['code']} under {parent['code']}",
                "POST",
                f"{API}/organizations/{unit['id']}/move",
                {"parent_id": str(parent["id"]), "effective_date": day.isoformat()},
            )

    async def _merge_sources(self, rng: random.Random) -> tuple[Any, Any] | None:
        units = [u for u in await self.units() if u["kind"] in MAY_SIT_UNDER]
        rng.shuffle(units)
        for first in units:
            same = [u for u in units if u["kind"] == first["kind"] and u["id"] != first["id"]]
            if same:
                return first, rng.choice(same)
        return None

    async def step_merge(self, day: date, rng: random.Random) -> None:
        found = await self._merge_sources(rng)
        if found:
            first, second = found
            code = self.next_code("M")
            await self.call(
                f"{day} merge {first['code']} and {second['code']} into new {code}",
                "POST",
                f"{API}/organizations/merge",
                {
                    "source_ids": [str(first["id"]), str(second["id"])],
                    "effective_date": day.isoformat(),
                    "into": {"code": code, "name": f"Hợp nhất {code}", "parent_id": str(first["parent_id"])},
                },
            )

    async def step_merge_into(self, day: date, rng: random.Random) -> None:
        found = await self._merge_sources(rng)
        units = [u for u in await self.units() if u["kind"] in MAY_SIT_UNDER]
        if len(units) > 1 and rng.random() < 0.3:  # sometimes into a unit of another kind
            found = (units[0], units[1]) if rng.random() < 0.5 else (units[-1], units[0])
        if found:
            source, target = found
            await self.call(
                f"{day} merge {source['code']} into {target['code']}",
                "POST",
                f"{API}/organizations/merge",
                {"source_ids": [str(source["id"])], "into_id": str(target["id"]), "effective_date": day.isoformat()},
            )

    async def _send_members_away(self, unit: Any, day: date, rng: random.Random) -> bool:
        """Transfer the unit's members to another cell (a unit is dissolved without members); False if none."""
        members = await self.members(
            "organization_id = $1 AND status = ANY($2::text[])", unit["id"], list(IN_MEMBERSHIP)
        )
        if members:
            others = [u for u in await self.units() if u["kind"] in HOMES and u["id"] != unit["id"]]
            if not others:
                return False
            to = rng.choice(others)
            for member in members:
                await self.event(member, "transfer", day, to_organization_id=str(to["id"]))
        return True

    async def _dissolve(self, unit: Any, day: date, rng: random.Random) -> httpx.Response | None:
        if not await self._send_members_away(unit, day, rng):
            return None
        return await self.call(
            f"{day} dissolve {unit['code']}",
            "POST",
            f"{API}/organizations/{unit['id']}/dissolve",
            {"effective_date": day.isoformat()},
        )

    async def step_dissolve(self, day: date, rng: random.Random) -> None:
        living = await self.units()
        units = [u for u in living if u["kind"] in MAY_SIT_UNDER]
        parents = {u["parent_id"] for u in living}
        childless = [u for u in units if u["id"] not in parents]
        if not units:
            return
        unit = rng.choice(childless if childless and rng.random() < 0.9 else units)  # with units under it: refused
        await self._dissolve(unit, day, rng)

    async def step_move_and_end(self, day: date, rng: random.Random) -> None:
        """A unit moved and ended on the same day: dissolved, merged (into a unit of its kind, or with one into a
        new unit) or split. It ends at its new place; its facts of the quarter count where it stood the day before."""
        living = await self.units()
        parents_of = {u["parent_id"] for u in living}
        moves = [
            (unit, parent)
            for unit in living
            if unit["kind"] in MAY_SIT_UNDER
            for parent in living
            if parent["kind"] in MAY_SIT_UNDER[unit["kind"]] and parent["id"] not in (unit["id"], unit["parent_id"])
        ]
        if not moves:
            return
        unit, parent = rng.choice(moves)
        moved = await self.call(
            f"{day} move {unit['code']} under {parent['code']} (to end it that day)",
            "POST",
            f"{API}/organizations/{unit['id']}/move",
            {"parent_id": str(parent["id"]), "effective_date": day.isoformat()},
        )
        if moved.status_code != 200:
            return
        same_kind = [u for u in await self.units() if u["kind"] == unit["kind"] and u["id"] != unit["id"]]
        ends = ["merge_into", "merge"] if same_kind else []
        if unit["id"] not in parents_of:
            ends.append("dissolve")
        if unit["kind"] in ("upper_level_committee", "grassroots_committee"):
            ends.append("split")
        if not ends:
            return
        end = "dissolve" if "dissolve" in ends and rng.random() < 0.4 else rng.choice(ends)
        ended: httpx.Response | None
        if end == "dissolve":
            ended = await self._dissolve(unit, day, rng)
        elif end == "merge_into":
            into = rng.choice(same_kind)
            ended = await self.call(
                f"{day} merge {unit['code']} into {into['code']}",
                "POST",
                f"{API}/organizations/merge",
                {"source_ids": [str(unit["id"])], "into_id": str(into["id"]), "effective_date": day.isoformat()},
            )
        elif end == "merge":
            other = rng.choice(same_kind)
            code = self.next_code("M")
            ended = await self.call(
                f"{day} merge {unit['code']} and {other['code']} into new {code} under {parent['code']}",
                "POST",
                f"{API}/organizations/merge",
                {
                    "source_ids": [str(unit["id"]), str(other["id"])],
                    "effective_date": day.isoformat(),
                    "into": {"code": code, "name": f"Hợp nhất {code}", "parent_id": str(parent["id"])},
                },
            )
        else:
            ended = await self._split(unit, day, rng)
        if self.tally is not None and ended is not None and ended.status_code in (200, 201):
            self.tally.ended_on_move_day[end.removesuffix("_into")] += 1

    async def step_busy_end(self, day: date, rng: random.Random) -> None:
        """Facts in a unit's last quarter: an admission, an exit and an inspection, then the unit is merged into
        another of its kind a few days later in the same quarter (where the reference day is the unit's last)."""
        last = quarter_bounds((day.year, (day.month - 1) // 3 + 1))[1]
        units = [
            u
            for u in await self.units()
            if u["kind"] in ("grassroots_committee", "grassroots_cell", "subordinate_cell")
        ]
        rng.shuffle(units)
        pairs = [(u, v) for u in units for v in units if u["kind"] == v["kind"] and u["id"] != v["id"]]
        if day >= last or not pairs:
            return
        unit, into = pairs[0]
        cells = (
            [unit]
            if unit["kind"] in CELLS
            else [u for u in await self.units() if u["parent_id"] == unit["id"] and u["kind"] in CELLS]
        )
        if cells:
            cell = rng.choice(cells)
            await self.register(cell, day, "probationary")
            members = await self.members("organization_id = $1 AND status = 'official'", cell["id"])
            if members:
                await self.event(rng.choice(members), rng.choice(["strike_off", "resign"]), day)
        await self.call(
            f"{day} inspection of {unit['code']}",
            "POST",
            f"{API}/organizations/{unit['id']}/inspections",
            {"inspecting_body": "Ủy ban Kiểm tra", "year": day.year, "inspected_on": day.isoformat()},
        )
        ends = day + timedelta(days=rng.randint(1, (last - day).days))
        await self.call(
            f"{ends} merge {unit['code']} into {into['code']}",
            "POST",
            f"{API}/organizations/merge",
            {"source_ids": [str(unit["id"])], "into_id": str(into["id"]), "effective_date": ends.isoformat()},
        )

    async def step_correct(self, day: date, rng: random.Random) -> None:
        """A correction of a unit's kind or category (a living or an ended unit): it holds for its whole history."""
        units = list(
            await self.pool.fetch(
                "SELECT id, code, kind FROM organizations WHERE kind <> 'provincial_committee' ORDER BY code"
            )
        )
        unit = rng.choice(units)
        other_kind = {
            "grassroots_cell": "grassroots_committee",
            "grassroots_committee": "grassroots_cell",
            "subordinate_cell": "partial_committee",
            "partial_committee": "subordinate_cell",
        }
        if unit["kind"] in other_kind and rng.random() < 0.4:
            change: dict[str, Any] = {"kind": other_kind[unit["kind"]]}
        else:
            change = {
                "category": rng.choice(
                    [None, "village", "residential_group", "agency", "military", "private_enterprise"]
                )
            }
        await self.call(f"{day} correct {unit['code']}: {change}", "PATCH", f"{API}/organizations/{unit['id']}", change)

    async def step_end_seat(self, day: date, rng: random.Random) -> None:
        seats = list(
            await self.pool.fetch(
                "SELECT id, organization_id FROM party_positions WHERE valid_to IS NULL "
                "AND valid_from < $1 ORDER BY created_at",
                day,
            )
        )
        if seats:
            seat = rng.choice(seats)
            await self.call(
                f"{day} end seat {seat['id']}",
                "POST",
                f"{API}/organizations/{seat['organization_id']}/positions/{seat['id']}/end",
                {"valid_to": day.isoformat()},
            )

    async def step_end_post(self, day: date, rng: random.Random) -> None:
        posts = list(
            await self.pool.fetch(
                "SELECT id, member_id FROM public_posts WHERE valid_to IS NULL AND valid_from < $1 ORDER BY created_at",
                day,
            )
        )
        if posts:
            post = rng.choice(posts)
            await self.call(
                f"{day} end post {post['id']}",
                "POST",
                f"{API}/members/{post['member_id']}/posts/{post['id']}/end",
                {"valid_to": day.isoformat()},
            )

    async def step_split(self, day: date, rng: random.Random) -> None:
        committees = [u for u in await self.units() if u["kind"] in ("upper_level_committee", "grassroots_committee")]
        if committees:
            await self._split(rng.choice(committees), day, rng)

    async def _split(self, unit: Any, day: date, rng: random.Random) -> httpx.Response:
        children = await self.client.get(
            f"{API}/organizations/{unit['id']}/children", params={"as_of": day.isoformat(), "limit": 500}
        )
        assert children.status_code == 200, children.text
        parts: list[dict[str, Any]] = [
            {"code": self.next_code("S"), "name": "Phần một", "children": []},
            {"code": self.next_code("S"), "name": "Phần hai", "children": []},
        ]
        for child in children.json()["items"]:
            rng.choice(parts)["children"].append(child["id"])
        return await self.call(
            f"{day} split {unit['code']} into {[p['code'] for p in parts]}",
            "POST",
            f"{API}/organizations/{unit['id']}/split",
            {"effective_date": day.isoformat(), "parts": parts},
        )

    async def step_found(self, day: date, rng: random.Random) -> None:
        parents = [
            u for u in await self.units() if u["kind"] in ("upper_level_committee", "grassroots_committee", *CELLS)
        ]
        if not parents:
            return
        parent = rng.choice(parents)
        if parent["kind"] == "grassroots_committee":
            kind = "subordinate_cell"
        elif parent["kind"] in CELLS:
            kind = "party_group"
        else:
            kind = rng.choice(["grassroots_cell", "grassroots_committee"])
        category = rng.choice([None, "village", "residential_group"]) if kind in CELLS else None
        unit = await self.create_unit(kind, parent, day, category)
        if unit is not None and kind in HOMES:
            for i in range(rng.randint(0, 3)):
                await self.register(unit, day + timedelta(days=i), "official")

    async def step_backdated(self, day: date, rng: random.Random) -> None:
        """A record dated back in a unit's life (living or ended), after later changes were recorded."""
        units = list(
            await self.pool.fetch(
                "SELECT id, code, kind, valid_from, valid_to FROM organizations "
                "WHERE kind <> 'provincial_committee' ORDER BY code"
            )
        )
        unit = rng.choice(units)
        first = max(unit["valid_from"], START)
        last = min(unit["valid_to"] - timedelta(days=1) if unit["valid_to"] else day, day)
        if last < first:
            return
        on = first + timedelta(days=rng.randint(0, (last - first).days))
        what = rng.choice(["inspection", "regulation", "seat"])
        if what == "inspection":
            await self.call(
                f"{on} (backdated) inspection of {unit['code']}",
                "POST",
                f"{API}/organizations/{unit['id']}/inspections",
                {
                    "inspecting_body": "Ủy ban Kiểm tra",
                    "year": on.year,
                    "inspected_on": on.isoformat() if rng.random() < 0.7 else None,
                },
            )
        elif what == "regulation":
            await self.call(
                f"{on} (backdated) regulation of {unit['code']}",
                "POST",
                f"{API}/organizations/{unit['id']}/regulations",
                {"issued_on": on.isoformat(), "reference": f"{self.next_code('R')}-QC/CB"},
            )
        else:
            members = list(
                await self.pool.fetch(
                    """
                SELECT p.member_id AS id FROM member_periods p JOIN members m ON m.id = p.member_id
                WHERE p.organization_id = $1 AND p.status = 'official' AND p.valid_from <= $2
                  AND (p.valid_to IS NULL OR p.valid_to > $2) ORDER BY m.full_name""",
                    unit["id"],
                    on,
                )
            )
            if members:
                position = rng.choice(["secretary", "deputy_secretary", "committee_member"])
                await self._seat(unit, rng.choice(members), position, on, self._until(on, rng))

    # --- ratings, recorded after the history (they read the state at the end of their period) --------------------

    async def rate(self, what: str, year: int, rng: random.Random) -> None:
        if what == "replace":
            ratings = list(
                await self.pool.fetch(
                    "SELECT member_id, organization_id, period FROM ratings WHERE score IS NOT NULL ORDER BY created_at"
                )
            )
            if ratings:
                r = rng.choice(ratings)
                url = (
                    f"{API}/members/{r['member_id']}/ratings/{r['period']}"
                    if r["member_id"]
                    else f"{API}/organizations/{r['organization_id']}/ratings/{r['period']}"
                )
                score = rng.choice([95, 75, 60, 20])
                await self.call(f"replace rating {url}: {score}", "PUT", url, {"score": score})
            return
        if what == "organization":
            units = list(await self.pool.fetch("SELECT id, code, kind FROM organizations ORDER BY code"))
            grassroots = [u for u in units if u["kind"] in ("grassroots_committee", "grassroots_cell")]
            unit = rng.choice(grassroots if grassroots and rng.random() < 0.8 else units)
            url = f"{API}/organizations/{unit['id']}/ratings"
            label = f"rate {unit['code']}"
        else:
            members = await self.members()
            if not members:
                return
            member = rng.choice(members)
            url = f"{API}/members/{member['id']}/ratings"
            label = f"rate member {member['id']}"
        period = f"{year}Q{rng.randint(1, 4)}" if what == "quarter" else str(year)
        score = rng.choice([95, 90, 85, 70, 69, 55, 30])
        response = await self.call(f"{label} for {period}: {score}", "POST", url, {"period": period, "score": score})
        if response.status_code == 422 and response.json()["type"].endswith(":not_ratable"):
            reason = (response.json().get("reasons") or ["organization_less_than_6_months_old"])[0]
            await self.call(
                f"{label} for {period}: not rated ({reason})",
                "POST",
                url,
                {"period": period, "not_rated_reason": reason},
            )


def asks(quarters: Sequence[str]) -> list[tuple[list[str], list[str]]]:
    """The indicators with the periods they are defined for: years and quarters, or years only."""
    return [([i for i in INDICATORS if i not in YEAR_ONLY], YEARS + list(quarters)), (list(YEAR_ONLY), YEARS)]


async def check_against_oracle(
    client: httpx.AsyncClient, pool: asyncpg.Pool, root_id: Any, quarters: Sequence[str]
) -> list[str]:
    """Each level below the root, in both structures; then each unit on its own (ended ones included) in the
    structure of the period: items for exactly the periods it existed in, with the oracle's figures; and no figures
    of its own in today's structure for a unit that has ended."""
    oracle = await Oracle.load(pool)
    root = next(u for u in oracle.orgs if str(u) == str(root_id))
    days = (
        [oracle.today]
        + [quarter_bounds((y, 4))[1] for y in range(2021, 2026)]
        + [quarter_bounds((y, q))[1] for y, q in map(parse_period, quarters) if q]
    )
    deepest = max(oracle.depth_on(u, d) for u in oracle.orgs for d in days if oracle.placed_on(u, d))
    problems: list[str] = []
    for structure in ("period", "current"):
        for level in range(1, deepest + 1):
            for indicators, periods in asks(quarters):
                items = await analytics(
                    client,
                    indicator=",".join(indicators),
                    period=",".join(periods),
                    organization_id=str(root_id),
                    breakdown="level",
                    level=level,
                    include_self="true",
                    structure=structure,
                )
                problems += compare(
                    oracle, items, structure=structure, root=root, level=level, indicators=indicators, periods=periods
                )
    for unit, org in oracle.orgs.items():
        for indicators, periods in asks(quarters):
            params = {"indicator": ",".join(indicators), "period": ",".join(periods), "organization_id": str(unit)}
            items = await analytics(client, **params)
            problems += figure_problems(oracle, items, "period")
            listed = sorted(p for p in periods if any(i["period"] == p for i in items))
            existed = sorted(p for p in periods if oracle.existed_in(unit, p))
            if listed != existed:
                problems.append(
                    f"{org['code']} alone, structure=period: items for {listed}, but it existed in "
                    f"{existed} (from {org['valid_from']} to {org['valid_to']})"
                )
            if org["valid_to"] is not None:
                response = await client.get(ANALYTICS, params={**params, "structure": "current"})
                if response.status_code == 200 and response.json()["items"]:
                    problems.append(
                        f"{org['code']} alone, structure=current: ended on {org['valid_to']}, yet "
                        f"figures of its own: {response.json()['items'][0]}"
                    )
    return problems


# The kinds of write the issue names: each must be attempted, and succeed in a good share of its attempts.
MUST_ATTEMPT = {"admission", "recognition", "transfer", "exit", "rating", "move", "merge", "split", "post", "seat"}


@pytest.fixture
def tally() -> Iterator[Tally]:
    """Shared by every example of the run (hypothesis runs them in one test call); judged at its end."""
    found = Tally()
    yield found
    missing = MUST_ATTEMPT - set(found.tried)
    assert not missing, f"never attempted: {sorted(missing)}"
    refused = found.too_often_refused()
    assert not refused, "writes refused too often, the oracle checked little:\n" + "\n".join(refused)
    # The rule of issue 12 (a unit ends at the place a move gave it that day) must have met the oracle.
    assert found.ended_on_move_day["dissolve"] and found.ended_on_move_day["merge"], (
        f"units ended on the day they were moved: {dict(found.ended_on_move_day)}"
    )


# The same 20 histories at every run, so that CI does not pass or fail by chance (the share each kind of write must
# succeed in is judged over the run); COSO_PROPERTY_SEED=<n> explores other histories.
@seed(int(os.environ.get("COSO_PROPERTY_SEED", "20261207")))
@given(scenario=SCENARIO)
@settings(
    max_examples=20,
    deadline=None,
    database=None,
    print_blob=True,
    phases=[Phase.explicit, Phase.reuse, Phase.generate],  # shrinking a 5-second example takes too long
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow, HealthCheck.data_too_large],
)
async def test_every_indicator_of_every_unit_matches_the_oracle(
    app: FastAPI,
    db_pool: asyncpg.Pool,
    empty_database: EmptyDatabase,
    client_with: ClientWith,
    insert_key: InsertKey,
    tally: Tally,
    scenario: Scenario,
) -> None:
    # The builders are stateless: one set serves every example (hence function_scoped_fixture is suppressed).
    async with await fresh_client(app, empty_database, client_with, insert_key) as client:
        world = World(client, db_pool, tally)
        root = await world.build(scenario.shape, scenario.founders)
        for kind, offset, seed in sorted(scenario.steps, key=lambda s: s[1]):
            await world.step(kind, START + timedelta(days=offset), random.Random(seed))
        for what, year, seed in scenario.ratings:
            await world.rate(what, year, random.Random(seed))
        problems = await check_against_oracle(client, db_pool, root["id"], scenario.quarters)
    assert not problems, "\n".join(
        [
            "the service and the oracle disagree:",
            *problems[:60],
            f"({len(problems)} differences)",
            "after these steps:",
            *world.log,
        ]
    )


async def test_structure_current_regroups_under_today_tree_not_a_future_one(
    client: httpx.AsyncClient, db_pool: asyncpg.Pool
) -> None:
    """A reorganisation recorded ahead of its date (a merger decided for next year) does not change today's tree,
    so `structure=current` keeps the unit where it stands today."""
    world = World(client, db_pool)
    root = await world.create_root()
    x = await world.create_unit("upper_level_committee", root, FOUNDED, "commune")
    y = await world.create_unit("upper_level_committee", root, FOUNDED, "commune")
    committee = await world.create_unit("grassroots_committee", x, FOUNDED, None)
    cell = await world.create_unit("subordinate_cell", committee, FOUNDED, "village")
    for year in (2010, 2011, 2012):
        await world.register(cell, date(year, 1, 1), "official")
    next_year = service_today() + timedelta(days=400)
    moved = await client.post(
        f"{API}/organizations/{committee['id']}/move",
        json={"parent_id": y["id"], "effective_date": next_year.isoformat()},
    )
    assert moved.status_code == 200, moved.text
    items = await analytics(
        client,
        indicator="members",
        period="2024",
        organization_id=root["id"],
        breakdown="children",
        structure="current",
    )
    assert {i["organization_code"]: i["numerator"] for i in items} == {"P": 3, x["code"]: 3, y["code"]: 0}
    problems = await check_against_oracle(client, db_pool, root["id"], ["2024Q2"])
    assert not problems, "\n".join(problems)


async def test_a_unit_has_items_only_for_the_periods_it_existed_in(
    client: httpx.AsyncClient, db_pool: asyncpg.Pool
) -> None:
    """Asked about on its own, a unit answers for the periods it existed in: not before its founding, not after
    its end (here a committee merged into a younger one in March 2023)."""
    world = World(client, db_pool)
    root = await world.create_root()
    commune = await world.create_unit("upper_level_committee", root, FOUNDED, "commune")
    old = await world.create_unit("grassroots_committee", commune, FOUNDED, None)
    young = await world.create_unit("grassroots_committee", commune, date(2022, 5, 1), None)
    merged = await client.post(
        f"{API}/organizations/merge",
        json={"source_ids": [old["id"]], "into_id": young["id"], "effective_date": "2023-03-01"},
    )
    assert merged.status_code == 201, merged.text
    for unit, existed in (
        (old, ["2021", "2022", "2023", "2023Q1"]),
        (young, ["2022", "2023", "2023Q1", "2023Q2", "2024"]),
    ):
        items = await analytics(
            client, indicator="members", period="2021,2022,2023,2023Q1,2023Q2,2024", organization_id=unit["id"]
        )
        assert [i["period"] for i in items] == existed, unit["code"]
    problems = await check_against_oracle(client, db_pool, root["id"], ["2023Q1", "2023Q2"])
    assert not problems, "\n".join(problems)
