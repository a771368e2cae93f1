"""The demo data: a bloc committee sized like seed 003 (Đảng bộ Khối các cơ quan và doanh nghiệp tỉnh Hưng Yên).

82 grassroots organisations (38 committees, 44 cells) in the seed's seven categories, 4 partial committees, 290
subordinate cells, and the cell of 121 members split into 11 party groups in July 2021. The shape is built here,
deterministically (fixed codes, a seeded Random for sizes and names); app/demo/db/units.py writes it in bulk. Loading is
idempotent: if the bloc committee exists, nothing is written. Later demo data (members, tasks) can start from
`load_demo_organizations`, which answers the ids by code whether it created them or found them.

The demo's 2025 (app/demo/reorganisation.py: sources, dates, choices): on REORGANISED_ON the two new provincial
committees (of the Party agencies, of the People's Committee) are founded under the province, the bloc's 82
grassroots organisations move under them with their subtrees, and the bloc committee is dissolved; `as_of` a day
before reads the bloc's tree, today's reads the new one. The tree is reorganised before the members are loaded, so
their records carry today's paths, as a move through the API leaves them."""

import random
import time
import unicodedata
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta

import asyncpg

from app.demo.catalogue import CELLS, COMMITTEES, POOLS
from app.demo.db import members as db_members
from app.demo.db import units as db
from app.demo.member_rows import describe_members, load_demo_members
from app.demo.plan import PLAN_CODE, load_demo_plan
from app.demo.reorganisation import (
    DISSOLUTION_NOTE,
    DISSOLUTION_REF,
    FOUNDING_REF,
    GOVERNMENT_CODE,
    GOVERNMENT_NAME,
    MOVE_NOTE,
    PARTY_AGENCIES_CODE,
    PARTY_AGENCIES_NAME,
    REORGANISED_ON,
    moves,
)
from app.demo.unit_records import describe_records, load_demo_units
from app.domain.errors import Conflict
from app.domain.organizations.rules import KIND_LABELS_EN, Category, Kind, kind_may_sit_under
from app.domain.ratings.service import RatingRules
from app.settings import Settings

SEED = 3  # seed 003
VALID_FROM = date(2020, 1, 1)  # start of the 2020–2025 term
PARTY_GROUPS_FROM = date(2021, 7, 1)  # the pilot of party-group meetings began in July 2021
NOTE = "demo data (coso demo-data)"
PROVINCE_CODE, PROVINCE_NAME = "HY", "Đảng bộ tỉnh Hưng Yên"
BLOC_CODE, BLOC_NAME = "DBK", "Đảng bộ Khối các cơ quan và doanh nghiệp tỉnh Hưng Yên"
SUBORDINATE_CELLS = 290
PARTY_GROUPS = 11
MIN_CELLS = 3  # subordinate cells under each grassroots or partial committee, at least

_ELECTRICITY = next(i for i, c in enumerate(COMMITTEES, start=1) if c.pool == "electricity")
LARGE_CELL_CODE = f"{BLOC_CODE}-DB{_ELECTRICITY:02d}-CB01"

SIZES: dict[Kind, int] = {
    Kind.provincial_committee: 1,
    Kind.upper_level_committee: 3,  # the bloc committee, then the two committees of 2025
    Kind.grassroots_committee: 38,
    Kind.grassroots_cell: 44,
    Kind.partial_committee: 4,
    Kind.subordinate_cell: SUBORDINATE_CELLS,
    Kind.party_group: PARTY_GROUPS,
}


@dataclass(frozen=True)
class DemoUnit:
    code: str
    name: str
    kind: Kind
    category: Category | None
    parent_code: str | None
    valid_from: date = VALID_FROM


@dataclass(frozen=True)
class _Container:
    """A grassroots or partial committee waiting for its subordinate cells."""

    code: str
    category: Category
    pool: str
    weight: int


def _nfc(text: str) -> str:
    return unicodedata.normalize("NFC", text)


def _cell_names(pool: Sequence[str], count: int, rng: random.Random) -> list[str]:
    """`count` names from the pool in its order (the first always), then numbered cells if it runs out."""
    chosen = sorted(rng.sample(range(1, len(pool)), min(count, len(pool)) - 1))
    names = [f"Chi bộ {pool[i]}" for i in [0, *chosen]]
    return names + [f"Chi bộ số {n}" for n in range(len(names) + 1, count + 1)]


def demo_units(seed: int = SEED) -> list[DemoUnit]:
    """The whole demo tree, parents before children; the same for the same seed."""
    rng = random.Random(seed)  # noqa: S311 -- sample data, reproducible on purpose
    units = [
        DemoUnit(PROVINCE_CODE, PROVINCE_NAME, Kind.provincial_committee, None, None),
        DemoUnit(BLOC_CODE, BLOC_NAME, Kind.upper_level_committee, None, PROVINCE_CODE),
    ]
    containers: list[_Container] = []
    partials: list[DemoUnit] = []
    for i, spec in enumerate(COMMITTEES, start=1):
        code = f"{BLOC_CODE}-DB{i:02d}"
        units.append(DemoUnit(code, f"Đảng bộ {spec.name}", Kind.grassroots_committee, spec.category, BLOC_CODE))
        containers.append(_Container(code, spec.category, spec.pool, spec.weight))
        for j, partial in enumerate(spec.partials, start=1):
            partial_code = f"{code}-BP{j}"
            partials.append(
                DemoUnit(partial_code, f"Đảng bộ bộ phận {partial.name}", Kind.partial_committee, spec.category, code)
            )
            containers.append(_Container(partial_code, spec.category, partial.pool, partial.weight))
    for i, spec in enumerate(CELLS, start=1):
        units.append(
            DemoUnit(f"{BLOC_CODE}-CB{i:02d}", f"Chi bộ {spec.name}", Kind.grassroots_cell, spec.category, BLOC_CODE)
        )
    units += partials

    counts = [MIN_CELLS] * len(containers)
    extra = SUBORDINATE_CELLS - sum(counts)
    for i in rng.choices(range(len(containers)), weights=[c.weight for c in containers], k=extra):
        counts[i] += 1
    for container, count in zip(containers, counts, strict=True):
        for k, name in enumerate(_cell_names(POOLS[container.pool], count, rng), start=1):
            units.append(
                DemoUnit(f"{container.code}-CB{k:02d}", name, Kind.subordinate_cell, container.category, container.code)
            )

    large_cell = next(u for u in units if u.code == LARGE_CELL_CODE)
    units += [
        DemoUnit(
            f"{LARGE_CELL_CODE}-T{k:02d}",
            f"Tổ đảng số {k}",
            Kind.party_group,
            large_cell.category,
            LARGE_CELL_CODE,
            PARTY_GROUPS_FROM,
        )
        for k in range(1, PARTY_GROUPS + 1)
    ]
    units += [
        DemoUnit(code, name, Kind.upper_level_committee, None, PROVINCE_CODE, REORGANISED_ON)
        for code, name in ((PARTY_AGENCIES_CODE, PARTY_AGENCIES_NAME), (GOVERNMENT_CODE, GOVERNMENT_NAME))
    ]
    units = [DemoUnit(u.code, _nfc(u.name), u.kind, u.category, u.parent_code, u.valid_from) for u in units]
    _check(units)
    return units


def _check(units: Sequence[DemoUnit]) -> None:
    """The demo obeys the tree's rules and the seed's sizes; a wrong edit above fails loudly, not in the data."""
    kinds: dict[str, Kind] = {}
    for unit in units:
        parent_kind = kinds[unit.parent_code] if unit.parent_code is not None else None
        if unit.code in kinds or not kind_may_sit_under(unit.kind, parent_kind):
            raise ValueError(f"demo unit {unit.code} is duplicated or misplaced")
        kinds[unit.code] = unit.kind
    sizes = {kind: sum(1 for k in kinds.values() if k is kind) for kind in Kind}
    if sizes != SIZES:
        raise ValueError(f"demo sizes {sizes} differ from {SIZES}")


@dataclass(frozen=True)
class DemoOrganizations:
    created: bool  # False: the demo was already there and nothing was written
    ids: dict[str, uuid.UUID]  # by code


async def load_demo_organizations(conn: asyncpg.Connection) -> DemoOrganizations:
    """Create the demo tree unless the bloc committee exists. Run inside `db.structure_transaction`."""
    units = demo_units()
    existing = await db.ids_by_code(conn, [u.code for u in units])
    if BLOC_CODE in existing:
        if missing := sorted({u.code for u in units} - set(existing)):
            raise Conflict(
                f"An older demo (without {', '.join(missing)}: before its 2025 reorganisation) is loaded; load the "
                "demo data into an empty database.",
                code="demo_outdated",
            )
        return DemoOrganizations(created=False, ids=existing)
    if existing:
        taken = ", ".join(sorted(existing)[:10])
        raise Conflict(
            f"The demo data cannot be loaded: {len(existing)} of its codes are already used by other "
            f"organisations ({taken}).",
            code="duplicate_code",
        )
    ids: dict[str, uuid.UUID] = {}
    for day in sorted({u.valid_from for u in units}):
        batch = [
            db.UnitRow(u.code, u.name, u.kind.value, u.category.value if u.category else None, u.parent_code)
            for u in units
            if u.valid_from == day
        ]
        founding = day == REORGANISED_ON
        ids |= await db.insert_tree(
            conn, batch, valid_from=day, decision_ref=FOUNDING_REF if founding else None, note=NOTE
        )
        if founding:
            await _reorganise(conn, units)
    return DemoOrganizations(created=True, ids=ids)


async def _reorganise(conn: asyncpg.Connection, units: Sequence[DemoUnit]) -> None:
    """The bloc's organisations move under the committees founded that day; then the bloc ends."""
    kinds = {u.code: u.kind for u in units}
    planned = moves(units, BLOC_CODE)
    for committee, name in ((PARTY_AGENCIES_CODE, PARTY_AGENCIES_NAME), (GOVERNMENT_CODE, GOVERNMENT_NAME)):
        rows = [db.MoveRow(m.code, m.to) for m in planned if m.to == committee]
        if not all(kind_may_sit_under(kinds[r.code], kinds[committee]) for r in rows):
            raise ValueError(f"a demo unit may not sit under {committee}")
        await db.move_subtrees(
            conn, rows, day=REORGANISED_ON, decision_ref=FOUNDING_REF, note=_nfc(MOVE_NOTE.format(name))
        )
    await db.dissolve(conn, [BLOC_CODE], day=REORGANISED_ON, decision_ref=DISSOLUTION_REF, note=_nfc(DISSOLUTION_NOTE))


def _describe(counts: dict[str, int]) -> str:
    parts = []
    for kind in Kind:
        if n := counts.get(kind.value, 0):
            label = KIND_LABELS_EN[kind].lower()
            parts.append(f"{n} {label}{'s' if n != 1 else ''}")
    return f"{sum(counts.values())} units ({', '.join(parts)})"


async def load_demo_data(database_url: str) -> str:
    """Load the demo province with its bloc committee and the 2025 reorganisation (idempotent); answer a one-line
    summary."""
    started = time.perf_counter()
    async with db.structure_transaction(database_url) as conn:
        # Row-by-row indicator upkeep would cost more than the load: the demo's units are refreshed once, at the end.
        await conn.execute("SET LOCAL coso.indicators = 'off'")
        result = await load_demo_organizations(conn)
        counts = await db.count_subtree_by_kind(conn, PROVINCE_CODE)
        members_created = await load_demo_members(conn, units=demo_units(), ids=result.ids, root_code=PROVINCE_CODE)
        members = describe_members(await db_members.count_members_under(conn, result.ids[PROVINCE_CODE]))
        settings = Settings()
        records = await load_demo_units(
            conn,
            units=demo_units(),
            ids=result.ids,
            rules=RatingRules(
                excellent_min=settings.rating_excellent_min,
                good_min=settings.rating_good_min,
                fulfilled_min=settings.rating_fulfilled_min,
                excellent_quota_percent=settings.excellent_quota_percent,
                min_months=settings.rating_min_months,
            ),
            min_positions=settings.cell_committee_min_positions,
            committee_threshold=settings.cell_committee_threshold,
        )
        await conn.execute("SELECT coso_indicators_refresh($1::uuid[])", list(result.ids.values()))
    plan_created = await load_demo_plan(database_url, result.ids[BLOC_CODE])
    if result.created or members_created or plan_created or records is not None:
        # Fresh statistics for the planner: the tables were empty (or truncated) when autovacuum last looked, and
        # a plan made for empty tables can take seconds on the demo's thousands of rows (a compliance read of the
        # whole bloc once hit the statement timeout right after a load).
        async with db.structure_transaction(database_url) as conn:
            await conn.execute("ANALYZE")
    if not result.created and not members_created and not plan_created and records is None:
        return (
            f"Demo data already loaded: {PROVINCE_NAME} ({PROVINCE_CODE}) holds {_describe(counts)} and {members}; "
            "nothing changed."
        )
    return (
        f"Demo data loaded in {time.perf_counter() - started:.2f} s: {PROVINCE_NAME} ({PROVINCE_CODE}) with "
        f"{BLOC_NAME} ({BLOC_CODE}) until {REORGANISED_ON - timedelta(days=1)}, then {PARTY_AGENCIES_NAME} "
        f"({PARTY_AGENCIES_CODE}) and {GOVERNMENT_NAME} ({GOVERNMENT_CODE}), {_describe(counts)} today; {members}, "
        f"with their history 2020–2025; {describe_records(records) + '; ' if records else ''}plan {PLAN_CODE} with "
        "its 39 tasks."
    )
