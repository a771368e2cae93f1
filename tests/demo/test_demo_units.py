"""The demo's positions, public posts, ratings and organisation records (`coso demo-data`): consistent with the
member history, checked through the API against counts made directly in SQL."""

from collections import Counter
from datetime import date
from typing import Any

import asyncpg
import httpx

from app.demo.load import BLOC_CODE, PROVINCE_CODE, load_demo_data
from app.demo.reorganisation import REORGANISED_ON
from app.demo.unit_rows import INSPECTING_BODIES_2025, INSPECTING_BODY, WITHOUT_COMMITTEE
from app.demo.units import NO_SECRETARY, VACANT_FROM, VACANT_SECRETARY
from tests.support.builders import CountRows

END = date(2025, 12, 31)
TABLES = ("party_positions", "public_posts", "ratings", "working_regulations", "inspections", "committee_terms")
IN_MEMBERSHIP = ["probationary", "official"]

# A seat day on which its holder was not an official member (neither exempt nor suspended) of the unit's subtree.
SEATS_NOT_COVERED = """
    SELECT count(*) FROM party_positions pp
    JOIN organization_placements up ON up.organization_id = pp.organization_id AND up.latest
    CROSS JOIN LATERAL generate_series(pp.valid_from, coalesce(pp.valid_to, date '2026-01-01') - 1,
                                       interval '1 day') AS d(day)
    WHERE NOT EXISTS (
        SELECT 1 FROM member_periods mp
        JOIN organization_placements hp ON hp.organization_id = mp.organization_id AND hp.latest
        WHERE mp.member_id = pp.member_id AND mp.valid_from <= d.day AND (mp.valid_to IS NULL OR mp.valid_to > d.day)
          AND mp.status = 'official' AND NOT mp.exempt AND NOT mp.suspended
          AND hp.path >= up.path AND hp.path < left(up.path, -1) || '0')"""

# Member ratings that disagree with the member's period at the end of the rating period.
RATINGS_WRONG = """
    SELECT count(*) FROM ratings r JOIN members m ON m.id = r.member_id
    LEFT JOIN member_periods mp ON mp.member_id = r.member_id AND mp.valid_from <= r.period_end
         AND (mp.valid_to IS NULL OR mp.valid_to > r.period_end)
    WHERE mp.member_id IS NULL OR mp.status <> ALL($1::text[]) OR mp.organization_id <> r.organization_id
       OR r.not_rated_reason IS DISTINCT FROM CASE
            WHEN mp.exempt THEN 'exempt' WHEN mp.suspended THEN 'suspended'
            WHEN m.admission_decision_date + interval '6 months' > r.period_end + 1
            THEN 'admitted_less_than_6_months' END"""


async def _get(client: httpx.AsyncClient, url: str, **params: Any) -> Any:
    response = await client.get(url, params=params)
    assert response.status_code == 200, response.text
    return response.json()


async def _compliance(client: httpx.AsyncClient, within: str, as_of: date) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = []
    cursor: str | None = None
    while True:
        body = await _get(
            client,
            "/api/v1/compliance",
            within=within,
            as_of=as_of.isoformat(),
            limit=200,
            **({"cursor": cursor} if cursor else {}),
        )
        items += body["items"]
        cursor = body["next_cursor"]
        if cursor is None:
            return items


async def test_positions_ratings_and_records(
    database_url: str, client: httpx.AsyncClient, db_pool: asyncpg.Pool, count_rows: CountRows
) -> None:
    summary = await load_demo_data(database_url)
    assert "party positions" in summary and "inspections" in summary, summary
    pool = db_pool
    ids = {r["code"]: r["id"] for r in await pool.fetch("SELECT code, id FROM organizations")}
    kinds = {r["code"]: r["kind"] for r in await pool.fetch("SELECT code, kind FROM organizations")}
    codes = {v: k for k, v in ids.items()}
    bloc, province = str(ids[BLOC_CODE]), str(ids[PROVINCE_CODE])

    # Seats: held by official members of the unit (or its subtree) for every day of the seat; one secretary at a
    # time; committees of the right shape.
    assert await count_rows("party_positions") > 1000
    assert await pool.fetchval(SEATS_NOT_COVERED) == 0
    assert (
        await pool.fetchval(
            "SELECT count(*) FROM party_positions a JOIN party_positions b ON a.organization_id = b.organization_id "
            "AND a.id < b.id AND a.position = 'secretary' AND b.position = 'secretary' "
            "AND daterange(a.valid_from, a.valid_to) && daterange(b.valid_from, b.valid_to)"
        )
        == 0
    )
    assert (
        await pool.fetchval(
            "SELECT count(*) FROM party_positions pp JOIN organizations o "
            "ON o.id = pp.organization_id WHERE pp.position = 'standing_committee_member' "
            "AND o.kind NOT IN ('grassroots_committee', 'partial_committee')"
        )
        == 0
    )
    # Secretaries change when holders leave: some seats ended and were taken the same day.
    assert (
        await pool.fetchval(
            "SELECT count(*) FROM party_positions a JOIN party_positions b ON a.organization_id = b.organization_id "
            "AND a.position = 'secretary' AND b.position = 'secretary' AND b.valid_from = a.valid_to"
        )
        > 10
    )

    without_secretary = {
        codes[r["id"]]
        for r in await pool.fetch(
            "SELECT o.id FROM organizations o WHERE o.kind IN ('grassroots_cell', 'subordinate_cell') AND NOT EXISTS "
            "(SELECT 1 FROM party_positions pp WHERE pp.organization_id = o.id AND pp.position = 'secretary' "
            "AND pp.valid_from <= $1 AND (pp.valid_to IS NULL OR pp.valid_to > $1))",
            END,
        )
    }
    assert len(without_secretary) == NO_SECRETARY + VACANT_SECRETARY
    for code in without_secretary:
        lead = await _get(client, f"/api/v1/organizations/{ids[code]}/leadership", as_of=END.isoformat())
        assert lead["secretary"] is None and lead["is_cell"]

    # Leadership and positions through the API agree with SQL, for a sample of units and days.
    sample = sorted(code for code in ids if kinds[code] in ("grassroots_committee", "subordinate_cell"))[::25]
    for code in sample:
        for day in (date(2020, 1, 1), date(2023, 6, 30), END):
            seats = await pool.fetch(
                "SELECT member_id, position FROM party_positions WHERE organization_id = $1 AND valid_from <= $2 "
                "AND (valid_to IS NULL OR valid_to > $2)",
                ids[code],
                day,
            )
            listed = await _get(client, f"/api/v1/organizations/{ids[code]}/positions", as_of=day.isoformat())
            assert Counter(p["position"] for p in listed["items"]) == Counter(s["position"] for s in seats)
            lead = await _get(client, f"/api/v1/organizations/{ids[code]}/leadership", as_of=day.isoformat())
            secretary = [str(s["member_id"]) for s in seats if s["position"] == "secretary"]
            assert ([lead["secretary"]["member_id"]] if lead["secretary"] else []) == secretary
            assert lead["committee_seats"] == len(seats)

    # Public posts: a handful of cells with a village or residential-group head who is a member; some of them
    # are the cell's secretary.
    posts = await pool.fetch("SELECT * FROM public_posts")
    assert 3 <= len(posts) <= 10
    assert {p["post"] for p in posts} == {"village_head", "residential_group_head"}
    heads = 0
    for post in posts:
        lead = await _get(client, f"/api/v1/organizations/{post['organization_id']}/leadership", as_of=END.isoformat())
        heads += lead["secretary_is_village_head"] is True
    assert 1 <= heads < len(posts)

    # Ratings: only for members then, in their organisation then, with the right reason (or a score).
    assert await pool.fetchval(RATINGS_WRONG, IN_MEMBERSHIP) == 0
    assert await pool.fetchval(
        "SELECT count(*) FROM ratings WHERE member_id IS NOT NULL AND period = '2024'"
    ) == await pool.fetchval(
        "SELECT count(*) FROM member_periods WHERE status = ANY($1::text[]) "
        "AND valid_from <= '2024-12-31' AND (valid_to IS NULL OR valid_to > '2024-12-31')",
        IN_MEMBERSHIP,
    )
    reasons = Counter(
        r["not_rated_reason"]
        for r in await pool.fetch(
            "SELECT not_rated_reason FROM ratings WHERE member_id IS NOT NULL AND not_rated_reason IS NOT NULL"
        )
    )
    assert reasons["exempt"] > 0 and reasons["admitted_less_than_6_months"] > 0
    rated = await _get(client, f"/api/v1/organizations/{bloc}/ratings/summary", period="2024")
    by_band = Counter(
        {
            r["rating"]: r["n"]
            for r in await pool.fetch(
                "SELECT rating, count(*) AS n FROM ratings WHERE member_id IS NOT NULL AND period = '2024' "
                "AND rating IS NOT NULL GROUP BY rating"
            )
        }
    )
    assert rated["members"]["by_rating"] == {b: by_band[b] for b in ("excellent", "good", "fulfilled", "not_fulfilled")}
    assert rated["members"]["without_rating"] == 0
    assert 0.08 < by_band["excellent"] / rated["members"]["rated"] < 0.16
    assert 0 < by_band["not_fulfilled"] < 10
    assert rated["units_over_quota_count"] == 1 and rated["units_over_quota"][0]["exceeded"]
    org_bands = Counter(
        r["rating"] for r in await pool.fetch("SELECT rating FROM ratings WHERE member_id IS NULL AND period = '2024'")
    )
    assert rated["organizations"]["rated"] == sum(org_bands.values()) == 38 + 44 + 290
    assert org_bands["fulfilled"] + org_bands["not_fulfilled"] >= 3
    assert rated["organizations"]["quota"]["exceeded"] is False

    # Records: regulations (most subordinate cells), inspections (5–10 % of grassroots organisations a year),
    # committee terms.
    regulated = {
        codes[r["organization_id"]]
        for r in await pool.fetch("SELECT DISTINCT organization_id FROM working_regulations")
    }
    subordinate = {c for c in ids if kinds[c] == "subordinate_cell"}
    assert 0 < len(subordinate - regulated) < 15
    for code in sorted(subordinate)[:3]:
        listed = await _get(client, f"/api/v1/organizations/{ids[code]}/regulations")
        assert len(listed["items"]) == (code in regulated)
        assert all(
            date(2020, 1, 1) <= date.fromisoformat(r["issued_on"]) <= date(2023, 12, 31) for r in listed["items"]
        )
    per_year = {
        r["year"]: r["n"]
        for r in await pool.fetch(
            "SELECT i.year, count(DISTINCT i.organization_id) AS n FROM inspections i JOIN organizations o "
            "ON o.id = i.organization_id WHERE o.kind IN ('grassroots_committee', 'grassroots_cell') GROUP BY i.year"
        )
    }
    assert set(per_year) == set(range(2020, 2026)) and all(0.05 <= n / 82 <= 0.10 for n in per_year.values())
    inspected = await pool.fetchrow("SELECT organization_id, count(*) AS n FROM inspections GROUP BY 1 LIMIT 1")
    listed = await _get(client, f"/api/v1/organizations/{inspected['organization_id']}/inspections")
    assert len(listed["items"]) == inspected["n"]
    bodies = {
        r["inspecting_body"]: r["n"]
        for r in await pool.fetch(
            "SELECT inspecting_body, count(*) FILTER (WHERE inspected_on < $1) AS n FROM inspections GROUP BY 1",
            REORGANISED_ON,
        )
    }
    # The bloc's commission inspects until the bloc ends; the new committees' commissions after (2025).
    assert set(bodies) <= {INSPECTING_BODY, *INSPECTING_BODIES_2025.values()} and bodies[INSPECTING_BODY] > 30
    assert sum(bodies.values()) == bodies[INSPECTING_BODY]
    assert await pool.fetchval("SELECT count(*) FROM committee_terms WHERE label = '2020-2025'") == 38 + 4

    # Compliance at the end: cells that should have a committee but don't, counted independently.
    items = await _compliance(client, province, END)
    flagged = {
        i["organization"]["code"] for i in items if any(v["rule"] == "cell_without_committee" for v in i["violations"])
    }
    expected = {
        codes[r["id"]]
        for r in await pool.fetch(
            """
        SELECT o.id FROM organizations o JOIN organization_placements up ON up.organization_id = o.id AND up.latest
        WHERE o.kind IN ('grassroots_cell', 'subordinate_cell')
          AND (SELECT count(*) FROM member_periods mp JOIN organization_placements hp
                 ON hp.organization_id = mp.organization_id AND hp.latest
               WHERE mp.status = 'official' AND mp.valid_from <= $1 AND (mp.valid_to IS NULL OR mp.valid_to > $1)
                 AND hp.path >= up.path AND hp.path < left(up.path, -1) || '0') >= 9
          AND NOT (EXISTS (SELECT 1 FROM party_positions pp WHERE pp.organization_id = o.id
                           AND pp.position = 'secretary' AND pp.valid_from <= $1
                           AND (pp.valid_to IS NULL OR pp.valid_to > $1))
                   AND (SELECT count(*) FROM party_positions pp WHERE pp.organization_id = o.id
                        AND pp.valid_from <= $1 AND (pp.valid_to IS NULL OR pp.valid_to > $1)) >= 3)""",
            END,
        )
    }
    assert flagged == expected and len(flagged) >= WITHOUT_COMMITTEE

    # A vacant secretary's seat: the cell had one before VACANT_FROM.
    assert (
        await pool.fetchval(
            "SELECT count(*) FROM party_positions WHERE organization_id = ANY($1::uuid[]) AND "
            "position = 'secretary' AND valid_to = $2",
            [ids[c] for c in without_secretary],
            VACANT_FROM,
        )
        == VACANT_SECRETARY
    )

    # Idempotent: a second load writes nothing.
    before = {t: await count_rows(t) for t in TABLES}
    again = await load_demo_data(database_url)
    assert "nothing changed" in again
    assert {t: await count_rows(t) for t in TABLES} == before
