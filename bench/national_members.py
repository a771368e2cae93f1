"""5.6 million synthetic Party members spread over the cells of the national tree (bench/national_tree.py), loaded
with COPY, for bench/members.py.

Who they are:
    ~20 members per cell, varying (village and residential cells larger, party groups small); every
    grassroots_cell, subordinate_cell and party_group of the tree has some (with fewer than ~1.5 million members
    some have none).
    Names: family, one or two middle and given names by gender, with realistic frequencies (Nguyễn ~38 %, Trần,
    Lê, Phạm …; "Văn" for ~35 % of men, "Thị" for ~half of women; a long tail of rare ones), so that "nguyen van
    hung" finds thousands and a rare name a handful. ~38 % women. Born 1938–2007.
    Status: official (~96.5 %, admitted 1960 … a year ago, official 12 months later) or probationary (~3.5 %,
    admitted in the twelve months before REFERENCE). Ethnicity, religion, education, levels, citizen ID (unique,
    CCCD-shaped: province, century/gender, birth year, serial), phone, card and record numbers, birth place,
    hometown and residence from the cell's commune and province.
    One open member_periods row each: from the later of the admission date and START (when the tree's placements
    begin), in the member's current cell and status.
    Row order: cells in a random order, a window of WINDOW cells' members shuffled together, so that a cell's
    members are spread over ~1,000 heap pages, as in a database written to over years (not in path order, which
    would flatter the subtree reads).

How it is loaded (one transaction, so that a failure leaves the tables as they were): the members tables are emptied
(TRUNCATE members CASCADE: whatever references members goes too), their indexes and their constraints other than
CHECKs dropped (their definitions read from the catalogue first: pg_get_indexdef / pg_get_constraintdef, so that
they come back exactly as the migrations made them), the rows COPYed (binary, streamed from a generator: never more
than one window in memory), the periods derived from them by INSERT … SELECT on the server, then the indexes and
constraints recreated (in bulk, with a large maintenance_work_mem and parallel workers). Then VACUUM (ANALYZE).

Everything is seeded: the same seed and count build the same members.

Run alone: `.venv/bin/python bench/national_members.py postgresql://…/coso_bench [--members N]` (the national tree
must be loaded).
"""

import argparse
import asyncio
import bisect
import itertools
import random
import time
import uuid
from collections import Counter
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

import asyncpg
from national_history import definitions
from national_tree import CODE_PREFIX, PROVINCES, START, rebuild_indicators

from app.domain.members.names import sort_key

MEMBERS = 5_600_000
REFERENCE = date(2025, 10, 1)  # "today" of the records: the probationary were admitted in the year before
WINDOW = 1_000  # cells whose members are shuffled together
PROBATIONARY_SHARE = 0.035
FEMALE_SHARE = 0.38
# Mean members per cell by kind (and, for grassroots cells, category); counts vary around these (gamma, shape 4).
MEAN_MEMBERS = {"village": 32.0, "grassroots_cell": 18.0, "subordinate_cell": 17.0, "party_group": 6.0}
HOMES = ("grassroots_cell", "subordinate_cell", "party_group")
PERIOD_FROM = START  # the placements begin then: a period cannot start earlier and stay meaningful


def _weighted(spec: str) -> tuple[list[str], list[float]]:
    """ "Nguyễn 38, Trần 11, …" → (values, cumulative weights)."""
    values, weights = [], []
    for part in spec.split(","):
        name, weight = part.strip().rsplit(" ", 1)
        values.append(name)
        weights.append(float(weight))
    return values, list(itertools.accumulate(weights))


FAMILY = _weighted(
    "Nguyễn 38, Trần 11, Lê 9.5, Phạm 7.1, Hoàng 3.1, Huỳnh 2.0, Phan 4.5, Vũ 2.0, Võ 1.9, Đặng 2.1, Bùi 2.0, "
    "Đỗ 1.4, Hồ 1.3, Ngô 1.3, Dương 1.0, Lý 0.5, Đào 0.4, Đoàn 0.4, Đinh 0.4, Lâm 0.3, Mai 0.3, Trịnh 0.3, "
    "Trương 0.3, Cao 0.25, Lương 0.25, Hà 0.25, Tạ 0.15, Quách 0.1, Lưu 0.15, Chu 0.1, Tô 0.1, Vương 0.1, "
    "Thái 0.1, Kiều 0.08, La 0.06, Nông 0.1, Lò 0.05, Hứa 0.05, Châu 0.08, Triệu 0.08, Mạc 0.04, Thân 0.05, "
    "Phùng 0.08, Giang 0.05, Khổng 0.02, Âu 0.02, Lục 0.03, Ma 0.03, Văn 0.05, Tăng 0.04, Diệp 0.02, Ninh 0.03, "
    "Từ 0.04, Khúc 0.02, Bạch 0.02, Tôn 0.03, Hầu 0.01, Ông 0.02, Doãn 0.02, Nghiêm 0.03, Kim 0.02, Cù 0.01, "
    "Mẫn 0.01, Lã 0.02, Khuất 0.01, Ứng 0.005, Yên 0.005"
)
MIDDLE_MALE = _weighted(
    "Văn 35, Đức 8, Minh 7, Quốc 5, Hữu 5, Thanh 4, Công 4, Xuân 3.5, Ngọc 3, Đình 4, Quang 3.5, Anh 2.5, "
    "Hoàng 2, Trọng 2.5, Duy 2.5, Tuấn 1.5, Thế 2, Mạnh 1.5, Bá 1.5, Tiến 1.5, Việt 1.5, Trung 1, Kim 0.5, "
    "Tấn 2, Phước 1, Thành 1.5, Huy 1, Nhật 0.8, Gia 0.8, Khắc 0.6, Chí 1, Hải 0.8, Đăng 0.6, Như 0.4, Sỹ 0.5, "
    "Cảnh 0.2, Phú 0.3, Hồng 0.4, Doãn 0.1, Viết 0.3, Khả 0.05, Thiện 0.2"
)
MIDDLE_FEMALE = _weighted(
    "Thị 50, Ngọc 6, Thu 5, Thanh 5, Kim 4, Phương 3, Minh 3, Hồng 3, Thùy 3, Mai 2, Bích 2, Hoài 1.5, Diệu 1, "
    "Hải 1.5, Lan 1, Khánh 1, Quỳnh 1.5, Thúy 2, Tuyết 1, Hoàng 1, Hà 1, Ánh 1, Vân 1, Cẩm 1, Mỹ 1.5, Xuân 1, "
    "Bảo 0.3, Huyền 0.3, Trà 0.2, Nhã 0.1"
)
SECOND_MIDDLE = _weighted(  # after a first middle name, for ~12 % of men and ~20 % of women
    "Thu 3, Ngọc 3, Kim 2, Thanh 3, Hồng 2, Bích 1, Mai 1, Minh 3, Phương 1, Thúy 1, Hải 1, Quốc 1, Anh 2, Hoàng 1, "
    "Xuân 1, Đức 1, Bảo 0.5, Diễm 0.3"
)
GIVEN_MALE = _weighted(
    "Hùng 3.0, Dũng 2.8, Tuấn 2.7, Minh 2.6, Hải 2.6, Nam 2.3, Long 2.2, Thắng 2.1, Hoàng 1.8, Sơn 2.3, "
    "Cường 2.0, Hưng 2.1, Đức 2.0, Trung 2.0, Quang 1.8, Thành 2.1, Tùng 1.6, Huy 1.9, Phong 1.3, Bình 1.8, "
    "Vinh 1.5, Khánh 1.2, Hiếu 1.3, Quân 1.2, Tâm 1.2, Lâm 1.0, Toàn 1.2, Phúc 1.0, Tài 1.0, Thịnh 0.9, "
    "Hòa 1.2, An 1.4, Việt 1.0, Kiên 0.9, Lợi 0.8, Hiệp 0.8, Tiến 1.1, Nghĩa 1.1, Thanh 1.5, Tú 0.8, Thái 0.7, "
    "Chiến 0.9, Công 0.6, Đạt 1.0, Duy 0.8, Hậu 0.6, Lực 0.5, Mạnh 0.9, Nhân 0.7, Quý 0.6, Sang 0.5, Tân 0.8, "
    "Thuận 0.7, Trí 0.6, Trường 0.8, Vũ 0.7, Bảo 0.6, Anh 1.6, Giang 0.5, Định 0.4, Hà 0.5, Khải 0.2, "
    "Luân 0.3, Ngọc 0.3, Phát 0.4, Quyết 0.5, Sáng 0.3, Tư 0.4, Vượng 0.3, Xuân 0.4, Thạch 0.2, Triết 0.1, "
    "Khiêm 0.2, Nguyên 0.5, Hoan 0.2, Thông 0.4, Tuyên 0.2, Dương 0.4, Điệp 0.1, Lộc 0.5, Phương 0.4, "
    "Hội 0.2, Khoa 0.4, Tín 0.3, Thức 0.2, Chính 0.4, Doanh 0.2, Huân 0.2, Kỳ 0.1, Lượng 0.2, Nhật 0.3, "
    "Quảng 0.1, Tấn 0.2, Thiện 0.4, Trọng 0.3, Uy 0.05, Vĩnh 0.1, Khang 0.2, Hào 0.2, Đông 0.3, Bắc 0.05, "
    "Cảnh 0.2, Diệu 0.02, Hạ 0.03, Khôi 0.2, Lãm 0.02, Nhạc 0.01, Quỳnh 0.05, Thụy 0.03, Ước 0.01, Xứng 0.01"
)
GIVEN_FEMALE = _weighted(
    "Lan 2.5, Hương 3.0, Hoa 2.5, Mai 2.4, Linh 2.6, Hà 2.5, Thảo 2.3, Trang 2.4, Hằng 2.3, Ngọc 1.6, "
    "Phương 2.0, Thủy 2.2, Nga 2.0, Huyền 1.9, Dung 1.8, Yến 1.6, Loan 1.3, Oanh 1.0, Hạnh 1.6, Nhung 1.4, "
    "Liên 1.2, Vân 1.5, Hiền 1.6, Thu 1.0, Tuyết 0.9, Anh 1.8, Chi 0.8, Giang 1.0, Hồng 1.3, Lệ 0.6, Ly 0.9, "
    "My 0.7, Nhàn 0.6, Quyên 0.6, Tâm 0.8, Thanh 1.0, Thơ 0.5, Trinh 0.8, Uyên 0.6, Xuân 0.6, Hậu 0.4, "
    "Thúy 1.0, Diệp 0.3, Bích 0.5, Châu 0.4, Duyên 0.7, Gấm 0.1, Hiên 0.1, Khuê 0.1, Lành 0.2, Lụa 0.1, Mơ 0.1, "
    "Ngân 0.7, Nguyệt 0.5, Nhi 0.5, Quỳnh 0.8, Sen 0.2, Tươi 0.2, Thắm 0.3, Trâm 0.4, Vy 0.3, Xoan 0.1, "
    "Diễm 0.3, Kiều 0.2, Hảo 0.3, Huệ 0.5, Lài 0.1, Minh 0.4, Ánh 0.5, Đào 0.2, Hiếu 0.1, Lý 0.1, Mận 0.05, "
    "Nhài 0.05, Thoa 0.3, Vinh 0.05, Xuyến 0.1, Yên 0.03"
)
ETHNICITY = _weighted(
    "01 85.3, 02 2.0, 03 1.9, 06 1.5, 05 1.3, 04 0.5, 07 1.0, 08 0.9, 09 0.8, 10 0.4, 12 0.3, "
    "13 0.2, 14 0.2, 16 0.2, 17 0.2, 18 0.2, 15 0.2, 24 0.1, 25 0.1, 26 0.1, 99 0.01"
)
RELIGION = _weighted(
    "none 90.5, buddhism 5.0, catholicism 3.5, protestantism 0.4, cao_dai 0.3, hoa_hao 0.2, islam 0.05, other 0.05"
)
EDUCATION = _weighted("upper_secondary 92, lower_secondary 7, primary 1")
PROFESSIONAL = _weighted("bachelor 45, none 14, vocational 15, college 10, master 13, doctorate 3")
THEORY = _weighted("elementary 55, intermediate 30, advanced 5, bachelor 2, none 8")
# The CCCD province codes of the 34 provinces (PROVINCES' order).
PROVINCE_CODES = [
    1,
    46,
    12,
    11,
    14,
    20,
    22,
    38,
    40,
    42,
    4,
    8,
    10,
    19,
    25,
    27,
    33,
    31,
    37,
    45,
    48,
    51,
    64,
    56,
    68,
    66,
    79,
    75,
    72,
    92,
    86,
    87,
    96,
    89,
]

COLUMNS = [
    "id",
    "full_name",
    "sort_key",
    "gender",
    "birth_date",
    "birth_place",
    "hometown",
    "residence",
    "ethnicity",
    "religion",
    "citizen_id",
    "phone",
    "education",
    "professional_level",
    "political_theory_level",
    "admission_decision_date",
    "admission_ceremony_date",
    "official_date",
    "party_card_number",
    "record_number",
    "status",
    "organization_id",
    "org_path",
    "training_certificate_date",
]
TABLES = ("members", "member_periods")


@dataclass(slots=True)
class Cell:
    id: uuid.UUID
    path: str
    mean: float  # members it has on average, by kind
    province: int  # index in PROVINCES
    commune: str  # "xã An Phú"
    members: int = 0


def _pick(rng: random.Random, table: tuple[list[str], list[float]]) -> str:
    values, cumulative = table
    return values[bisect.bisect(cumulative, rng.random() * cumulative[-1])]


class MemberMaker:
    """Members, one at a time, from one seeded generator (written for speed: ~10 µs a member)."""

    def __init__(self, rng: random.Random, communes: Sequence[str]) -> None:
        self.rng = rng
        self.communes = communes
        self.sort_keys: dict[str, str] = {}
        self.serials: Counter[str] = Counter()
        self.cards = itertools.count(1)
        self.reference = REFERENCE.toordinal()
        self.labels = [f"{'thành phố' if city else 'tỉnh'} {name}" for name, city in PROVINCES]

    def name(self, female: bool) -> str:
        rng = self.rng
        words = [_pick(rng, FAMILY), _pick(rng, MIDDLE_FEMALE if female else MIDDLE_MALE)]
        if rng.random() < (0.20 if female else 0.12):
            second = _pick(rng, SECOND_MIDDLE)
            if second != words[1]:
                words.append(second)
        words.append(_pick(rng, GIVEN_FEMALE if female else GIVEN_MALE))
        return " ".join(words)

    def key(self, full_name: str) -> str:
        found = self.sort_keys.get(full_name)
        if found is None:
            found = self.sort_keys[full_name] = sort_key(full_name)
        return found

    def citizen_id(self, province: int, female: bool, born: date) -> str:
        prefix = f"{PROVINCE_CODES[province]:03d}{(2 if born.year >= 2000 else 0) + female}{born.year % 100:02d}"
        serial = self.serials[prefix]
        self.serials[prefix] = serial + 1
        return f"{prefix}{(serial * 104_729 + 3_517) % 1_000_000:06d}"  # a bijection of the serial: unique per prefix

    def member(self, cell: Cell) -> tuple[Any, ...]:
        rng = self.rng
        r = rng.random
        female = r() < FEMALE_SHARE
        full_name = self.name(female)
        probationary = r() < PROBATIONARY_SHARE
        if probationary:
            admitted = self.reference - 1 - int(r() * 364)
            age_at_admission = 18 + int(min(r(), r(), r()) * 42)
        else:
            # Admitted between 1961 and a year ago, more of them recently (the Party grows ~2.5 % a year):
            # Beta(1, 2.2) by inversion.
            admitted = self.reference - 366 - int((1 - (1 - r()) ** (1 / 2.2)) * 365.25 * 64)
            age_at_admission = 18 + int(min(r(), r()) * 42)
        birth = date.fromordinal(admitted - int(age_at_admission * 365.25) - int(r() * 365))
        own = cell.province if r() < 0.8 else int(r() * len(PROVINCES))
        home = cell.commune if own == cell.province else self.communes[int(r() * len(self.communes))]
        hometown = f"{home}, {self.labels[own]}"
        return (
            uuid.UUID(int=rng.getrandbits(128), version=4),
            full_name,
            self.key(full_name),
            "female" if female else "male",
            birth,
            hometown if r() < 0.7 else self.labels[own],
            hometown,
            f"{cell.commune}, {self.labels[cell.province]}",
            _pick(rng, ETHNICITY),
            _pick(rng, RELIGION),
            self.citizen_id(own, female, birth),
            f"0{'35789'[int(r() * 5)]}{int(r() * 10**8):08d}",
            _pick(rng, EDUCATION),
            _pick(rng, PROFESSIONAL),
            "none" if probationary and r() < 0.6 else _pick(rng, THEORY),
            date.fromordinal(admitted),
            date.fromordinal(admitted + 5 + int(r() * 35)),
            None if probationary else date.fromordinal(admitted + 365),
            None if probationary else f"{next(self.cards):08d}",
            f"{PROVINCE_CODES[cell.province]:03d}.{int(r() * 10**7):07d}",
            "probationary" if probationary else "official",
            cell.id,
            cell.path,
            date.fromordinal(admitted - 60 - int(r() * 340)),
        )


async def read_cells(conn: asyncpg.Connection) -> tuple[list[Cell], list[str]]:
    """The tree's cells (at their latest placement, in path order) with their province and commune; the communes."""
    rows = await conn.fetch(
        "SELECT o.id, o.kind, o.category, o.name, p.path, p.depth FROM organizations o "
        "JOIN organization_placements p ON p.organization_id = o.id AND p.latest "
        "WHERE o.code LIKE $1 AND (p.depth <= 1 OR o.kind = ANY($2::text[])) ORDER BY p.path",
        CODE_PREFIX + "%",
        list(HOMES),
    )
    provinces = {r["path"]: i for i, r in enumerate(r for r in rows if r["depth"] == 0)}
    communes = {r["path"]: r["name"].removeprefix("Đảng bộ ") for r in rows if r["depth"] == 1}
    cells = []
    for r in rows:
        if r["depth"] >= 2:
            parts = r["path"].split("/")
            mean = (
                "village"
                if r["kind"] == "grassroots_cell" and r["category"] in ("village", "residential_group")
                else r["kind"]
            )
            cells.append(
                Cell(
                    id=r["id"],
                    path=r["path"],
                    mean=MEAN_MEMBERS[mean],
                    province=provinces["/".join(parts[:2]) + "/"],
                    commune=communes["/".join(parts[:3]) + "/"],
                )
            )
    if len(provinces) != len(PROVINCES):
        raise RuntimeError("the national tree is not loaded")
    return cells, list(communes.values())


def spread_members(cells: list[Cell], total: int, rng: random.Random) -> None:
    """`total` members over the cells: gamma-distributed around each kind's mean, scaled to sum exactly."""
    raw = [max(3.0, rng.gammavariate(4.0, cell.mean / 4.0)) for cell in cells]
    scale = total / sum(raw)
    for cell, weight in zip(cells, raw, strict=True):
        cell.members = int(weight * scale)
    for i in rng.sample(range(len(cells)), total - sum(c.members for c in cells)):
        cells[i].members += 1


def generate(cells: list[Cell], communes: list[str], rng: random.Random) -> Iterator[tuple[Any, ...]]:
    """The member rows, a window of cells at a time (shuffled together), cells in a random order."""
    maker = MemberMaker(rng, communes)
    order = cells[:]
    rng.shuffle(order)
    for start in range(0, len(order), WINDOW):
        rows = [maker.member(cell) for cell in order[start : start + WINDOW] for _ in range(cell.members)]
        rng.shuffle(rows)
        yield from rows


# --- loading ------------------------------------------------------------------------------------------------------


async def load_members(
    dsn: str, *, total: int = MEMBERS, seed: int = 2025, progress: bool = True, rebuild: bool = True
) -> dict[str, Any]:
    """Replace the members (and their periods) of the database at `dsn` by `total` generated ones."""
    started = time.perf_counter()
    timings: dict[str, float] = {}
    conn = await asyncpg.connect(dsn)
    try:
        await conn.execute(
            "SET synchronous_commit = off; SET maintenance_work_mem = '1GB'; "
            "SET max_parallel_maintenance_workers = 2; SET coso.indicators = 'off'; SET coso.changes = 'off'"
        )
        rng = random.Random(seed)
        cells, communes = await read_cells(conn)
        spread_members(cells, total, rng)
        async with conn.transaction():
            drops, creates = await definitions(conn, TABLES)
            await conn.execute("TRUNCATE members CASCADE")
            for statement in drops:
                await conn.execute(statement)
            mark = time.perf_counter()
            copied = 0

            def counted() -> Iterator[tuple[Any, ...]]:
                nonlocal copied
                last = time.perf_counter()
                for copied, row in enumerate(generate(cells, communes, rng), 1):
                    if progress and copied % 500_000 == 0:
                        now = time.perf_counter()
                        print(f"  {copied:,} members copied ({500_000 / (now - last):,.0f}/s)", flush=True)
                        last = now
                    yield row

            await conn.copy_records_to_table("members", columns=COLUMNS, records=counted())
            timings["copy_members_s"] = time.perf_counter() - mark
            mark = time.perf_counter()
            await conn.execute(
                """
                INSERT INTO member_periods (member_id, valid_from, organization_id, status)
                SELECT id, greatest(admission_decision_date, $1), organization_id, status FROM members""",
                PERIOD_FROM,
            )
            timings["periods_s"] = time.perf_counter() - mark
            for statement in creates:
                mark = time.perf_counter()
                await conn.execute(statement)
                took = time.perf_counter() - mark
                if progress:
                    print(f"  {took:6.1f} s  {statement[:110]}", flush=True)
                timings["indexes_s"] = timings.get("indexes_s", 0.0) + took
        mark = time.perf_counter()
        await conn.execute("VACUUM (ANALYZE) members, member_periods")
        timings["vacuum_analyze_s"] = time.perf_counter() - mark
        if rebuild:
            rebuilt = await rebuild_indicators(conn)
            if rebuilt is not None:
                timings["indicators_rebuild_s"] = rebuilt
        sizes = await conn.fetchrow("""
            SELECT pg_table_size('members') AS members_heap, pg_indexes_size('members') AS members_indexes,
                   pg_table_size('member_periods') AS periods_heap,
                   pg_indexes_size('member_periods') AS periods_indexes""")
    finally:
        await conn.close()
    return {
        "members": copied,
        "cells": sum(1 for c in cells if c.members),
        "seed": seed,
        **{k: round(v, 1) for k, v in timings.items()},
        "total_s": round(time.perf_counter() - started, 1),
        "size_mb": {k: round(v / 2**20) for k, v in sizes.items()},
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("dsn", help="postgresql://… of a database holding the national tree")
    parser.add_argument("--members", type=int, default=MEMBERS)
    parser.add_argument("--seed", type=int, default=2025)
    args = parser.parse_args()
    print(asyncio.run(load_members(args.dsn, total=args.members, seed=args.seed)))


if __name__ == "__main__":
    main()
