"""A synthetic national organisation tree (~330,000 units) for the benchmarks, loaded with COPY.

Shape (DOMAIN.md, structure since 1 July 2025):
    34 provincial_committee roots
    → 3,321 upper_level_committee communes, wards and special zones (40–168 per province)
    → ~52,000 grassroots units, ~40 % grassroots_committee and ~60 % grassroots_cell
    → ~270,000 subordinate_cell under the committees (some of them under ~3,000 partial_committee)
    → ~2,000 party_group under a few hundred large cells.
Names are Vietnamese and built from the commune's name, so that an accent-insensitive search ("nguyen trai",
"xa an") finds a realistic number of units. Everything is seeded: the same seed builds the same tree.

Nodes are assigned level by level (provinces 1–34, then the communes, …) and written with COPY, which, like
INSERT … OVERRIDING SYSTEM VALUE, stores the identity values it is given; the identity sequence is then moved
past them. Each unit gets one open placement from 2020-01-01 (its latest: `latest` is set where the schema has
it). One transaction, then VACUUM (ANALYZE).

Run alone: `.venv/bin/python bench/national_tree.py postgresql://…/coso_bench` (the schema must be migrated).
"""

import argparse
import asyncio
import random
import time
import uuid
from collections import Counter
from dataclasses import dataclass, field
from datetime import date

import asyncpg

from app.db.organizations.paths import child_path

START = date(2020, 1, 1)
COMMUNES = 3_321
GRASSROOTS = 52_000
SUBORDINATE_CELLS = 270_000
COMMITTEE_SHARE = 0.40  # of grassroots units; the rest are grassroots cells
PARTIAL_SHARE = 0.05  # of grassroots committees that have partial committees (2–4 each)
GROUPED_CELLS = 400  # cells split into party groups (3–8 each)
CODE_PREFIX = "BENCH-"  # every generated code starts with this: how a loaded tree is recognised

# The 34 provinces and centrally-run cities since 1 July 2025 (True = city).
PROVINCES: list[tuple[str, bool]] = [
    ("Hà Nội", True),
    ("Huế", True),
    ("Lai Châu", False),
    ("Điện Biên", False),
    ("Sơn La", False),
    ("Lạng Sơn", False),
    ("Quảng Ninh", False),
    ("Thanh Hóa", False),
    ("Nghệ An", False),
    ("Hà Tĩnh", False),
    ("Cao Bằng", False),
    ("Tuyên Quang", False),
    ("Lào Cai", False),
    ("Thái Nguyên", False),
    ("Phú Thọ", False),
    ("Bắc Ninh", False),
    ("Hưng Yên", False),
    ("Hải Phòng", True),
    ("Ninh Bình", False),
    ("Quảng Trị", False),
    ("Đà Nẵng", True),
    ("Quảng Ngãi", False),
    ("Gia Lai", False),
    ("Khánh Hòa", False),
    ("Lâm Đồng", False),
    ("Đắk Lắk", False),
    ("Hồ Chí Minh", True),
    ("Đồng Nai", False),
    ("Tây Ninh", False),
    ("Cần Thơ", True),
    ("Vĩnh Long", False),
    ("Đồng Tháp", False),
    ("Cà Mau", False),
    ("An Giang", False),
]
FIRST = [
    "An",
    "Bình",
    "Phú",
    "Tân",
    "Hòa",
    "Thành",
    "Phước",
    "Long",
    "Hưng",
    "Thạnh",
    "Đông",
    "Tây",
    "Nam",
    "Bắc",
    "Trung",
    "Hiệp",
    "Lộc",
    "Thuận",
    "Mỹ",
    "Vĩnh",
    "Quang",
    "Hồng",
    "Xuân",
    "Thanh",
    "Minh",
    "Đức",
    "Nghĩa",
    "Sơn",
    "Hải",
    "Kim",
    "Cẩm",
    "Yên",
    "Tiên",
    "Định",
]
SECOND = [
    "Phú",
    "Bình",
    "Lạc",
    "Hòa",
    "Thịnh",
    "Lợi",
    "Ninh",
    "Điền",
    "Khánh",
    "Tường",
    "Thọ",
    "Hưng",
    "Phong",
    "Thuận",
    "Lâm",
    "Sơn",
    "Hà",
    "Giang",
    "Xuyên",
    "Trạch",
    "Mỹ",
    "Tiến",
    "Đông",
    "Tây",
    "Phước",
    "Thạnh",
    "Hải",
    "Quý",
    "Vinh",
    "An",
]
PEOPLE = [
    "Nguyễn Trãi",
    "Lê Lợi",
    "Trần Hưng Đạo",
    "Quang Trung",
    "Lý Thường Kiệt",
    "Nguyễn Du",
    "Hoàng Diệu",
    "Phan Chu Trinh",
    "Phan Bội Châu",
    "Võ Thị Sáu",
    "Lê Hồng Phong",
    "Nguyễn Huệ",
    "Hai Bà Trưng",
    "Chu Văn An",
    "Lê Quý Đôn",
    "Nguyễn Bỉnh Khiêm",
    "Trần Phú",
    "Ngô Quyền",
    "Đinh Tiên Hoàng",
    "Lý Tự Trọng",
    "Nguyễn Thị Minh Khai",
    "Hàm Nghi",
    "Phạm Ngũ Lão",
    "Tô Hiệu",
    "Kim Đồng",
    "Nguyễn Văn Trỗi",
    "Bạch Đằng",
    "Hùng Vương",
    "Lê Thánh Tông",
    "Trần Quốc Toản",
]
FIRMS = [
    "Sông Hồng",
    "Hoàng Long",
    "Minh Phát",
    "Tân Tiến",
    "Thành Công",
    "Hòa Phát",
    "Đại Việt",
    "Phương Nam",
    "Trường Sơn",
    "Cửu Long",
    "Việt Tiến",
    "Bình Minh",
    "Sao Mai",
    "Hưng Thịnh",
    "An Khang",
]

# Grassroots units: (kind, category, name template); {place} is "xã An Phú", {short} "An Phú".
COMMITTEES = [
    ("agency", "Đảng bộ Cơ quan Ủy ban nhân dân {place}"),
    ("police", "Đảng bộ Công an {place}"),
    ("military", "Đảng bộ Quân sự {place}"),
    ("public_service_unit", "Đảng bộ Trung tâm Y tế {place}"),
    ("school", "Đảng bộ Trường THPT {person}"),
    ("state_enterprise", "Đảng bộ Công ty TNHH MTV {firm} {short}"),
    ("private_enterprise", "Đảng bộ Công ty Cổ phần {firm}"),
]
CELLS = [
    ("village", "Chi bộ thôn {hamlet}"),
    ("village", "Chi bộ thôn {hamlet}"),
    ("village", "Chi bộ thôn {hamlet}"),
    ("school", "Chi bộ Trường Tiểu học {short}"),
    ("school", "Chi bộ Trường THCS {person}"),
    ("public_service_unit", "Chi bộ Trạm Y tế {place}"),
    ("cooperative", "Chi bộ Hợp tác xã nông nghiệp {short}"),
    ("private_enterprise", "Chi bộ Công ty TNHH {firm}"),
    ("mass_association", "Chi bộ Hội Cựu chiến binh {place}"),
]
# What a committee's own cells are called, by the committee's category.
SECTIONS = {
    "agency": "Phòng",
    "police": "Đội",
    "military": "Trung đội",
    "public_service_unit": "Khoa",
    "school": "Tổ chuyên môn",
    "state_enterprise": "Phân xưởng",
    "private_enterprise": "Phòng",
}


@dataclass(slots=True)
class Unit:
    code: str
    name: str
    kind: str
    category: str | None
    depth: int
    parent: "Unit | None" = None
    id: uuid.UUID = field(default_factory=uuid.uuid4)
    node: int = 0
    path: str = ""


@dataclass
class Commune:
    """What the grassroots units of a commune are named after."""

    place: str
    short: str
    ward: bool


class TreeBuilder:
    """Builds the tree top-down with a seeded random generator; `levels[d]` holds the units at depth d."""

    def __init__(self, seed: int) -> None:
        self.rng = random.Random(seed)
        self.levels: list[list[Unit]] = [[] for _ in range(6)]

    def add(self, parent: Unit | None, code: str, name: str, kind: str, category: str | None) -> Unit:
        depth = parent.depth + 1 if parent else 0
        unit = Unit(
            code=code,
            name=name,
            kind=kind,
            category=category,
            depth=depth,
            parent=parent,
            id=uuid.UUID(int=self.rng.getrandbits(128), version=4),
        )
        self.levels[depth].append(unit)
        return unit

    def spread(self, total: int, bins: int, minimum: int, skew: float = 0.6) -> list[int]:
        """`total` split into `bins` counts of at least `minimum`, uneven by ±`skew`."""
        weights = [self.rng.uniform(1 - skew, 1 + skew) for _ in range(bins)]
        free = total - minimum * bins
        counts = [minimum + int(free * w / sum(weights)) for w in weights]
        for i in self.rng.sample(range(bins), total - sum(counts)):
            counts[i] += 1
        return counts

    def build(self) -> list[list[Unit]]:
        communes = self.spread(COMMUNES, len(PROVINCES), minimum=40)
        grassroots = self.spread(GRASSROOTS, COMMUNES, minimum=4)
        committees = round(GRASSROOTS * COMMITTEE_SHARE)
        cells = self.spread(SUBORDINATE_CELLS, committees, minimum=3, skew=0.9)
        is_committee = [True] * committees + [False] * (GRASSROOTS - committees)
        self.rng.shuffle(is_committee)
        commune_index = grassroots_index = committee_index = 0
        for p, ((province_name, city), n_communes) in enumerate(zip(PROVINCES, communes, strict=True), 1):
            label = f"{'thành phố' if city else 'tỉnh'} {province_name}"
            province = self.add(None, f"{CODE_PREFIX}T{p:02d}", f"Đảng bộ {label}", "provincial_committee", None)
            for c in range(1, n_communes + 1):
                commune, unit = self.commune(province, c, city)
                for g in range(1, grassroots[commune_index] + 1):
                    if is_committee[grassroots_index]:
                        self.committee(unit, commune, g, cells[committee_index])
                        committee_index += 1
                    else:
                        self.grassroots_cell(unit, commune, g)
                    grassroots_index += 1
                commune_index += 1
        self.party_groups()
        return [level for level in self.levels if level]

    def commune(self, province: Unit, number: int, city: bool) -> tuple[Commune, Unit]:
        roll = self.rng.random()
        ward = roll < (0.45 if city else 0.12)
        if ward and self.rng.random() < 0.3:
            short = self.rng.choice(PEOPLE)
        else:
            short = f"{self.rng.choice(FIRST)} {self.rng.choice(SECOND)}"
        kind_word, category = ("phường", "ward") if ward else ("xã", "commune")
        if not ward and roll > 0.997:
            kind_word, category = "đặc khu", "special_zone"
        commune = Commune(place=f"{kind_word} {short}", short=short, ward=ward)
        unit = self.add(
            province, f"{province.code}-X{number:03d}", f"Đảng bộ {commune.place}", "upper_level_committee", category
        )
        return commune, unit

    def fill(self, template: str, commune: Commune) -> str:
        hamlet = (
            f"tổ dân phố số {self.rng.randint(1, 40)}"
            if commune.ward
            else f"{self.rng.choice(SECOND)} {self.rng.choice(FIRST)}"
        )
        return template.format(
            place=commune.place,
            short=commune.short,
            person=self.rng.choice(PEOPLE),
            firm=self.rng.choice(FIRMS),
            hamlet=hamlet,
        )

    def grassroots_cell(self, parent: Unit, commune: Commune, number: int) -> Unit:
        category, template = self.rng.choice(CELLS)
        if category == "village" and commune.ward:
            category, template = "residential_group", "Chi bộ {hamlet}"
        return self.add(
            parent, f"{parent.code}-CS{number:02d}", self.fill(template, commune), "grassroots_cell", category
        )

    def committee(self, parent: Unit, commune: Commune, number: int, n_cells: int) -> None:
        category, template = self.rng.choice(COMMITTEES)
        unit = self.add(
            parent, f"{parent.code}-CS{number:02d}", self.fill(template, commune), "grassroots_committee", category
        )
        section = SECTIONS[category]
        homes = [unit]
        if n_cells >= 8 and self.rng.random() < PARTIAL_SHARE / 0.6:
            homes = [
                self.add(unit, f"{unit.code}-BP{k}", f"Đảng bộ bộ phận {section} {k}", "partial_committee", category)
                for k in range(1, self.rng.randint(2, 4) + 1)
            ]
        for k in range(1, n_cells + 1):
            home = homes[k % len(homes)]
            self.add(home, f"{home.code}-CB{k:03d}", f"Chi bộ {section} {k}", "subordinate_cell", category)

    def party_groups(self) -> None:
        cells = [u for level in self.levels[2:5] for u in level if u.kind in ("grassroots_cell", "subordinate_cell")]
        for cell in self.rng.sample(cells, GROUPED_CELLS):
            for k in range(1, self.rng.randint(3, 8) + 1):
                self.add(cell, f"{cell.code}-TD{k}", f"Tổ đảng số {k} ({cell.name})", "party_group", cell.category)


def build_tree(seed: int = 2025) -> list[list[Unit]]:
    """The tree, level by level, with nodes numbered in that order and paths set (as the service makes them)."""
    levels = TreeBuilder(seed).build()
    node = 0
    for level in levels:
        for unit in level:
            node += 1
            unit.node = node
            unit.path = child_path(unit.parent.path if unit.parent else None, node)
    return levels


async def tree_loaded(conn: asyncpg.Connection) -> int:
    """How many generated units the database holds (0: not loaded)."""
    count: int = await conn.fetchval("SELECT count(*) FROM organizations WHERE code LIKE $1", CODE_PREFIX + "%")
    return count


async def _copy_level(conn: asyncpg.Connection, level: list[Unit], *, latest_flag: bool) -> None:
    """One level: the units, then their placements (each unit's only placement, so its latest one)."""
    await conn.copy_records_to_table(
        "organizations",
        columns=["id", "node", "code", "name", "kind", "category", "valid_from"],
        records=[(u.id, u.node, u.code, u.name, u.kind, u.category, START) for u in level],
    )
    columns = ["organization_id", "valid_from", "parent_id", "path", "depth"] + (["latest"] if latest_flag else [])
    await conn.copy_records_to_table(
        "organization_placements",
        columns=columns,
        records=[
            (u.id, START, u.parent.id if u.parent else None, u.path, u.depth, *([True] if latest_flag else []))
            for u in level
        ],
    )


async def rebuild_indicators(conn: asyncpg.Connection) -> float | None:
    """Recompute the indicator figures after a load with the triggers off (seconds; None before migration 0009)."""
    if not await conn.fetchval("SELECT to_regproc('coso_indicators_rebuild') IS NOT NULL"):
        return None
    started = time.perf_counter()
    await conn.execute("SET statement_timeout = 0; SELECT coso_indicators_rebuild()")
    await conn.execute("VACUUM (ANALYZE) indicator_own, indicator_rollup")
    return round(time.perf_counter() - started, 1)


async def load_national_tree(dsn: str, *, seed: int = 2025) -> dict[str, object]:
    """Generate the tree and COPY it into the (migrated, empty) database at `dsn`; a summary of what was done."""
    started = time.perf_counter()
    levels = build_tree(seed)
    generated = time.perf_counter()
    conn = await asyncpg.connect(dsn)
    try:
        if await tree_loaded(conn):
            raise RuntimeError("the national tree is already loaded in this database")
        # The indicator triggers (migration 0009) stay silent during the COPY; the figures are rebuilt after it.
        await conn.execute(
            "SET synchronous_commit = off; SET maintenance_work_mem = '256MB'; "
            "SET coso.indicators = 'off'; SET coso.changes = 'off'"
        )
        latest_flag = await conn.fetchval(  # the schema marks each unit's latest placement (migration 0004 on)
            "SELECT EXISTS (SELECT 1 FROM information_schema.columns WHERE table_name = 'organization_placements' "
            "AND column_name = 'latest')"
        )
        async with conn.transaction():
            for level in levels:
                await _copy_level(conn, level, latest_flag=latest_flag)
            await conn.execute(
                "SELECT setval(pg_get_serial_sequence('organizations', 'node'), (SELECT max(node) FROM organizations))"
            )
        copied = time.perf_counter()
        await conn.execute("VACUUM (ANALYZE) organizations, organization_placements")
        indicators = await rebuild_indicators(conn)
    finally:
        await conn.close()
    kinds = Counter(u.kind for level in levels for u in level)
    return {
        "units": sum(kinds.values()),
        "by_kind": dict(kinds),
        "by_depth": [len(level) for level in levels],
        "generate_s": round(generated - started, 1),
        "copy_s": round(copied - generated, 1),
        "indicators_rebuild_s": indicators,
        "total_s": round(time.perf_counter() - started, 1),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("dsn", help="postgresql://… of a migrated database")
    parser.add_argument("--seed", type=int, default=2025)
    args = parser.parse_args()
    print(asyncio.run(load_national_tree(args.dsn, seed=args.seed)))


if __name__ == "__main__":
    main()
