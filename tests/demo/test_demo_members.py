"""The demo's members (`coso demo-data`): about 6,000 like seed 003, five years of history, consistent enough for
indicator tests to count by hand. The consistency check that matters: replaying each member's events through the
lifecycle rules gives every period and the record as it stands."""

import hashlib
import itertools
import unicodedata
from collections import Counter, defaultdict
from datetime import date
from typing import Any

import asyncpg
import httpx

from app.demo.load import LARGE_CELL_CODE, PROVINCE_CODE, demo_units, load_demo_data
from app.demo.members import demo_members
from app.demo.people import CROWDED_CELLS, END, SMALL_CELL
from app.demo.places import MERGED_COMMUNES, NO_DISTRICTS_FROM
from app.domain.members.catalogues import (
    EDUCATION_LEVELS,
    ETHNICITIES,
    POLITICAL_THEORY_LEVELS,
    PROFESSIONAL_LEVELS,
    RELIGIONS,
)
from app.domain.members.lifecycle import TERMINAL, EventKind, MemberState, apply
from app.domain.members.names import sort_key, valid_citizen_id
from app.domain.organizations.compliance import UnitRules, latest_overdue_admission, recognition_due

# What the generator makes (seed 3): every record, and the records by status at 2025-12-31.
RECORDS = 7110
AT_THE_END = {
    "official": 6035,
    "probationary": 217,
    "candidate": 113,
    "transferred_out": 691,
    "deceased": 32,
    "struck_off": 14,
    "resigned": 7,
    "expelled": 1,
}
UNITS = {u.name: u.code for u in demo_units()}
SMALL_CODE = UNITS[SMALL_CELL]
CROWDED_CODES = {UNITS[n] for n in CROWDED_CELLS}
IN_MEMBERSHIP = ["probationary", "official"]


def test_the_generator_is_deterministic_and_plausible() -> None:
    first, second = demo_members(demo_units()), demo_members(demo_units())
    assert first == second
    assert len(first) == RECORDS
    assert Counter(m.state.status for m in first) == AT_THE_END
    records = [m.record for m in first]
    assert all(unicodedata.is_normalized("NFC", r["full_name"]) and len(r["full_name"].split()) >= 3 for r in records)
    families = Counter(r["full_name"].split()[0] for r in records)
    assert 0.25 < families["Nguyễn"] / len(records) < 0.4 and families.most_common(3)[1][0] == "Trần"
    assert 0.4 < sum(r["gender"] == "female" for r in records) / len(records) < 0.5
    assert {r["birth_date"].year for r in records} <= set(range(1955, 2004))
    ids = [r["citizen_id"] for r in records]
    assert len(set(ids)) == len(ids) and all(valid_citizen_id(i) for i in ids)
    assert all(
        i[3] == str((0 if r["birth_date"].year < 2000 else 2) + (r["gender"] == "female"))
        and i[4:6] == f"{r['birth_date'].year % 100:02d}"
        for i, r in zip(ids, records, strict=True)
    )
    assert sum(i.startswith("033") for i in ids) / len(ids) > 0.85
    assert all(len(r["phone"]) == 10 and r["phone"].startswith("0") for r in records)
    assert 0.97 < sum(r["ethnicity"] == "01" for r in records) / len(records) < 1
    assert {r["ethnicity"] for r in records} <= ETHNICITIES.keys()
    assert {r["religion"] for r in records} <= RELIGIONS.keys()
    assert {r["education"] for r in records} <= EDUCATION_LEVELS.keys()
    assert {r["professional_level"] for r in records} <= PROFESSIONAL_LEVELS.keys()
    assert {r["political_theory_level"] for r in records} <= POLITICAL_THEORY_LEVELS.keys()
    cards = [r["party_card_number"] for r in records if r["party_card_number"]]
    assert len(set(cards)) == len(cards) > 5500


async def _fetch_all(pool: asyncpg.Pool) -> tuple[dict[Any, Any], dict[Any, list[Any]], dict[Any, list[Any]]]:
    members = {r["id"]: r for r in await pool.fetch("SELECT * FROM members")}
    periods: dict[Any, list[Any]] = defaultdict(list)
    for r in await pool.fetch("SELECT * FROM member_periods ORDER BY member_id, valid_from"):
        periods[r["member_id"]].append(r)
    events: dict[Any, list[Any]] = defaultdict(list)
    for r in await pool.fetch("SELECT * FROM member_events ORDER BY member_id, event_date, recorded_at"):
        events[r["member_id"]].append(r)
    return members, periods, events


def _state(row: Any) -> tuple[Any, ...]:
    return (
        row["status"],
        str(row["organization_id"]),
        str(row["host_organization_id"]) if row["host_organization_id"] else None,
        row["temporarily_away"],
        row["exempt"],
        row["suspended"],
    )


def _replayed(state: MemberState) -> tuple[Any, ...]:
    return (
        state.status,
        state.organization_id,
        state.host_organization_id,
        state.temporarily_away,
        state.exempt,
        state.suspended,
    )


def test_addresses_written_from_2025_07_01_have_no_district() -> None:
    """Village, commune or ward, province for every record open at the end or closed from 2025-07-01 (the record as
    written since the communes' reform); the district kept on records closed before."""
    districts = ("huyện ", "thị xã ", "thành phố ", "thị trấn ")
    current = former = retired = 0
    for m in demo_members(demo_units()):
        parts = m.record["residence"].split(", ")
        assert parts[-1] == "tỉnh Hưng Yên" and parts[0].startswith(("Thôn ", "Tổ dân phố "))
        if m.state.status not in TERMINAL or m.events[-1].on >= NO_DISTRICTS_FROM:
            current += 1
            assert len(parts) == 3 and not any(p.startswith(districts) for p in parts), m.record["residence"]
            assert parts[1] in set(MERGED_COMMUNES.values())
        else:
            former += 1
            assert len(parts) == 4 and parts[1] in MERGED_COMMUNES, m.record["residence"]
        if any(
            e.kind == "transfer" and e.on >= NO_DISTRICTS_FROM and e.note and "Nghỉ hưu" in e.note for e in m.events
        ):
            destination = next(e.details for e in m.events if e.note and "Nghỉ hưu" in e.note)
            assert destination is not None and destination["destination"] == f"Đảng bộ {parts[1]}"
            retired += 1
    assert current > 6000 and former > 400 and retired > 10


async def test_periods_and_events_agree_with_the_lifecycle(database_url: str, db_pool: asyncpg.Pool) -> None:
    await load_demo_data(database_url)
    members, periods, events = await _fetch_all(db_pool)
    assert len(members) == RECORDS
    assert Counter(m["status"] for m in members.values()) == AT_THE_END
    for member_id, member in members.items():
        spans, steps = periods[member_id], events[member_id]
        # periods: contiguous, the last one open and matching the record
        assert all(a["valid_to"] == b["valid_from"] for a, b in itertools.pairwise(spans))
        assert spans[-1]["valid_to"] is None and _state(spans[-1]) == _state(member)
        # events: one a day, in date order, each opening the period of its day
        assert [e["event_date"] for e in steps] == [p["valid_from"] for p in spans]
        assert all(a["event_date"] < b["event_date"] for a, b in itertools.pairwise(steps))
        assert {e["recorded_by"] for e in steps} == {"demo-data"}
        first = steps[0]
        assert first["kind"] == ("proposed" if spans[0]["status"] == "candidate" else "registered")
        registered = first["kind"] == "registered"
        status, organization_id, host, away, exempt, suspended = _state(spans[0])
        state = MemberState(
            status,
            organization_id,
            host,
            away,
            exempt,
            suspended,
            admission_decision_date=member["admission_decision_date"] if registered else None,
            official_date=member["official_date"] if spans[0]["status"] == "official" else None,
            admission_ceremony_date=member["admission_ceremony_date"] if registered else None,
        )
        for event, span in zip(steps[1:], spans[1:], strict=True):
            target = str(event["to_organization_id"]) if event["to_organization_id"] else None
            state = apply(
                state,
                EventKind(event["kind"]),
                on=event["event_date"],
                to_organization_id=target,
                leaves_tree=event["kind"] == "transfer" and target is None,
                ceremony_date=member["admission_ceremony_date"] if event["kind"] == "admit" else None,
            )
            assert _replayed(state) == _state(span), (member["full_name"], event["kind"], event["event_date"])
        assert _replayed(state) == _state(member)
        assert (state.admission_decision_date, state.official_date) == (
            member["admission_decision_date"],
            member["official_date"],
        )
        assert member["sort_key"] == sort_key(member["full_name"])
    by_kind = Counter(e["kind"] for steps in events.values() for e in steps)
    assert by_kind["expel"] == by_kind["fail_probation"] == by_kind["suspend"] == 1
    assert by_kind["temporary_transfer"] >= by_kind["return_from_temporary"] > 50
    assert by_kind["exempt"] > 10 and by_kind["die"] > 10 and by_kind["resign"] > 5 and by_kind["strike_off"] > 5


async def test_periods_name_living_cells_and_records_their_paths(database_url: str, db_pool: asyncpg.Pool) -> None:
    await load_demo_data(database_url)
    # every period's organisation (and host) was placed in the tree at its start, and lived for the whole of a
    # period in membership (a unit's placements follow one another: the 2025 move re-places a cell mid-period);
    # members live in cells and party groups, the groups only from their first day
    misplaced = await db_pool.fetchval("""
        SELECT count(*) FROM member_periods mp, LATERAL (VALUES (mp.organization_id), (mp.host_organization_id)) u(id)
        WHERE u.id IS NOT NULL AND NOT EXISTS (
            SELECT 1 FROM organization_placements op JOIN organizations o ON o.id = op.organization_id
            WHERE op.organization_id = u.id AND op.valid_from <= mp.valid_from AND o.valid_from <= mp.valid_from
              AND (op.valid_to IS NULL OR op.valid_to > mp.valid_from)
              AND o.kind IN ('grassroots_cell', 'subordinate_cell', 'party_group')
              AND (mp.status NOT IN ('candidate', 'probationary', 'official')
                   OR coalesce(o.valid_to, 'infinity') >= coalesce(mp.valid_to, 'infinity')))""")
    assert misplaced == 0
    gaps = await db_pool.fetchval("""
        SELECT count(*) FROM organization_placements a WHERE a.valid_to IS NOT NULL AND NOT EXISTS (
            SELECT 1 FROM organization_placements b WHERE b.organization_id = a.organization_id
            AND b.valid_from = a.valid_to) AND a.valid_to IS DISTINCT FROM (
            SELECT valid_to FROM organizations o WHERE o.id = a.organization_id)""")
    assert gaps == 0
    wrong_paths = await db_pool.fetchval("""
        SELECT count(*) FROM members m JOIN organization_placements op ON op.organization_id = m.organization_id
        AND op.latest WHERE m.org_path <> op.path""")
    assert wrong_paths == 0
    # the large cell: 121 members on the day its groups start, all of them in the groups from then on
    large = await db_pool.fetchval("SELECT id FROM organizations WHERE code = $1", LARGE_CELL_CODE)
    assert (
        await db_pool.fetchval(
            """
        SELECT count(*) FROM member_periods WHERE organization_id = $1 AND valid_from < '2021-07-01'
          AND (valid_to IS NULL OR valid_to > '2021-07-01')""",
            large,
        )
        == 0
    )
    assert (
        await db_pool.fetchval(
            """
        SELECT count(*) FROM member_periods mp
        JOIN organization_placements op ON op.organization_id = mp.organization_id
         AND op.valid_from <= '2021-07-01' AND (op.valid_to IS NULL OR op.valid_to > '2021-07-01')
        WHERE op.parent_id = $1 AND mp.status = ANY($2::text[])
          AND mp.valid_from <= '2021-07-01' AND (mp.valid_to IS NULL OR mp.valid_to > '2021-07-01')""",
            large,
            IN_MEMBERSHIP,
        )
        == 121
    )
    # cell sizes at every year's end, a party group's members counted in its cell
    rows = await db_pool.fetch(
        """
        SELECT d.day, c.code, count(*) AS members, count(*) FILTER (WHERE mp.status = 'official') AS official
        FROM (SELECT make_date(y, 12, 31) AS day FROM generate_series(2020, 2025) y) d
        JOIN member_periods mp ON mp.valid_from <= d.day AND (mp.valid_to IS NULL OR mp.valid_to > d.day)
             AND mp.status = ANY($1::text[])
        JOIN organizations o ON o.id = mp.organization_id
        JOIN organization_placements op ON op.organization_id = o.id AND op.latest
        JOIN organizations c ON c.id = CASE WHEN o.kind = 'party_group' THEN op.parent_id ELSE o.id END
        GROUP BY d.day, c.code""",
        IN_MEMBERSHIP,
    )
    sizes = {(r["day"], r["code"]): (r["members"], r["official"]) for r in rows}
    cells = await db_pool.fetchval(
        "SELECT count(*) FROM organizations WHERE kind IN ('grassroots_cell', 'subordinate_cell')"
    )
    assert Counter(day for day, _ in sizes) == {date(y, 12, 31): cells for y in range(2020, 2026)}
    for (day, code), (n, official) in sizes.items():
        if code == LARGE_CELL_CODE:
            assert 100 <= n <= 140, day
        elif code == SMALL_CODE and day == END:
            assert (n, official) == (5, 2)  # the grassroots organisation with fewer than 3 official members
        else:
            assert 5 <= n <= 60 and official >= 3, (day, code, n, official)
    assert all(sizes[(END, code)][0] >= 30 for code in CROWDED_CODES)
    at_end = [official for (day, _), (_, official) in sizes.items() if day == END]
    assert sum(o >= 9 for o in at_end) > 200 and sum(o < 9 for o in at_end) > 10
    # probationary members past the recognition window at the end (default rules): the two never recognised
    assert (
        await db_pool.fetchval(
            """
        SELECT count(*) FROM members WHERE status = 'probationary' AND admission_decision_date <= $1""",
            latest_overdue_admission(END, UnitRules()),
        )
        == 2
    )


async def test_yearly_admissions_and_exits(database_url: str, db_pool: asyncpg.Pool) -> None:
    await load_demo_data(database_url)
    membership = {
        r["y"]: r["n"]
        for r in await db_pool.fetch(
            """
        SELECT y, count(*) AS n FROM generate_series(2020, 2025) y JOIN member_periods mp
          ON mp.valid_from <= make_date(y, 12, 31) AND (mp.valid_to IS NULL OR mp.valid_to > make_date(y, 12, 31))
         AND mp.status = ANY($1::text[]) GROUP BY y""",
            IN_MEMBERSHIP,
        )
    }
    assert all(5800 <= n <= 6400 for n in membership.values()), membership
    admitted = {
        r["y"]: r["n"]
        for r in await db_pool.fetch("""
        SELECT extract(year FROM event_date)::int AS y, count(*) AS n FROM member_events WHERE kind = 'admit'
        GROUP BY 1""")
    }
    assert set(admitted) == set(range(2021, 2026))
    # as the service requires: two sponsors official that day, the course done, aged 18–60
    bad_files = await db_pool.fetchval("""
        SELECT count(*) FROM member_events e JOIN members m ON m.id = e.member_id
        WHERE e.kind = 'admit' AND (
            cardinality(m.sponsor_ids) <> 2 OR NOT m.training_certificate_date <= e.event_date
            OR extract(year FROM age(e.event_date, m.birth_date)) NOT BETWEEN 18 AND 60
            OR (SELECT count(*) FROM member_periods p WHERE p.member_id = ANY(m.sponsor_ids) AND p.status = 'official'
                AND p.valid_from <= e.event_date AND (p.valid_to IS NULL OR p.valid_to > e.event_date)) <> 2)""")
    assert bad_files == 0
    for year, n in admitted.items():
        assert 0.03 <= n / membership[year - 1] <= 0.04, (year, n)
    exits = {
        (r["kind"], r["y"]): r["n"]
        for r in await db_pool.fetch("""
        SELECT CASE WHEN kind = 'transfer' THEN 'transfer_out' ELSE kind END AS kind,
               extract(year FROM event_date)::int AS y, count(*) AS n
        FROM member_events WHERE kind IN ('die', 'strike_off', 'resign', 'expel', 'fail_probation')
          OR (kind = 'transfer' AND to_organization_id IS NULL) GROUP BY 1, 2""")
    }
    for year in range(2021, 2026):
        assert exits[("transfer_out", year)] > 80 and exits[("die", year)] >= 4, year
    assert sum(n for (kind, _), n in exits.items() if kind == "transfer_out") == AT_THE_END["transferred_out"]
    recognitions = await db_pool.fetch("""
        SELECT e.event_date, m.admission_ceremony_date FROM member_events e JOIN members m ON m.id = e.member_id
        WHERE e.kind = 'recognize'""")
    late = [  # probation counts from the ceremony (Charter art. 5.1)
        r
        for r in recognitions
        if r["event_date"] > recognition_due(r["admission_ceremony_date"], probation_months=12, working_days=30)
    ]
    assert 20 <= len(late) <= 0.06 * len(recognitions)  # a few recognised after the 30 working days


async def _count(client: httpx.AsyncClient, **params: Any) -> int:
    """Members a listing answers, following next_cursor in pages of 500; each member once."""
    seen: list[str] = []
    cursor = None
    while True:
        response = await client.get(
            "/api/v1/members", params={**params, "limit": 500, **({"cursor": cursor} if cursor else {})}
        )
        assert response.status_code == 200, response.text
        page = response.json()
        seen += [m["id"] for m in page["items"]]
        cursor = page["next_cursor"]
        if cursor is None:
            assert len(seen) == len(set(seen))
            return len(seen)


async def test_api_counts_match_the_periods(
    database_url: str, db_pool: asyncpg.Pool, client: httpx.AsyncClient
) -> None:
    await load_demo_data(database_url)
    province = await db_pool.fetchrow(
        """
        SELECT o.id, p.path FROM organizations o JOIN organization_placements p ON p.organization_id = o.id
        WHERE o.code = $1 AND p.latest""",
        PROVINCE_CODE,
    )

    async def in_sql(status: str, day: date | None) -> int:
        """Periods of that status on the day (open ones for today) in units placed under the province that day."""
        found: int = await db_pool.fetchval(
            """
            SELECT count(*) FROM member_periods mp JOIN organization_placements op
              ON op.organization_id = mp.organization_id
             AND op.valid_from <= coalesce($3, 'infinity'::date)
             AND (op.valid_to IS NULL OR op.valid_to > coalesce($3, 'infinity'::date))
            WHERE mp.status = $2 AND op.path >= $1 AND op.path < left($1, -1) || '0'
              AND CASE WHEN $3::date IS NULL THEN mp.valid_to IS NULL
                       ELSE mp.valid_from <= $3 AND (mp.valid_to IS NULL OR mp.valid_to > $3) END""",
            province["path"],
            status,
            day,
        )
        return found

    for status, day in (
        ("official", None),
        ("probationary", None),
        ("candidate", None),
        ("official", date(2022, 12, 31)),
        ("probationary", date(2022, 12, 31)),
    ):
        params = {"within": str(province["id"]), "status": status, **({"as_of": day.isoformat()} if day else {})}
        assert await _count(client, **params) == await in_sql(status, day), (status, day)
    assert await in_sql("official", None) == AT_THE_END["official"]
    large = (await client.get(f"/api/v1/organizations/by_code/{LARGE_CELL_CODE}")).json()["id"]
    assert await _count(client, within=large, as_of="2021-07-01") == 121


def _fingerprint(rows: list[asyncpg.Record]) -> str:
    return hashlib.sha256("\n".join(sorted(repr(tuple(r)) for r in rows)).encode()).hexdigest()


async def test_loading_twice_changes_nothing(database_url: str, db_pool: asyncpg.Pool) -> None:
    first = await load_demo_data(database_url)
    assert "6,252 members (6,035 official, 217 probationary), 113 candidates and 745 former members" in first
    tables = ("members", "member_periods", "member_events", "member_external_ids")
    before = {t: _fingerprint(await db_pool.fetch(f"SELECT * FROM {t}")) for t in tables}  # noqa: S608 - table names from the catalogue or SQL written in the test
    second = await load_demo_data(database_url)
    assert "already loaded" in second and "6,252 members" in second and "nothing changed" in second
    assert {t: _fingerprint(await db_pool.fetch(f"SELECT * FROM {t}")) for t in tables} == before  # noqa: S608 - table names from the catalogue or SQL written in the test
    assert await db_pool.fetchval("SELECT count(*) FROM members") == RECORDS
