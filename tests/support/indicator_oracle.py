"""A brute-force recomputation of the indicator figures, written from docs/indicators.md alone and independent of the
service's indicator code: plain SELECTs of the raw tables into Python, then loops over the rows, one rule of the
contract at a time. Slow and simple on purpose; it is the yardstick of the exactness tests.

Not covered: targets and `met`. Plan obligations (`tasks_on_time`) take their due dates and states from the plans'
own task views (app/domain/plans/status.py), evaluated on the database's today.

Where the contract is silent, the oracle reads it so (the tests keep their data inside what the contract says):
* the reference day of a unit that ended before the quarter began is its last day, as for one that ended during it;
* with structure=period, a unit not yet founded on the quarter's last day has no place in that quarter's tree, so its
  facts of that quarter (member periods dated before its founding) count nowhere; with structure=current they count
  for its anchor like those of every other quarter ("U's facts of every quarter"). The service counts them nowhere
  in both structures; the generated histories never make such facts."""

import json
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import Any
from zoneinfo import ZoneInfo

import asyncpg
import httpx

from app.domain.plans.status import Report, State, obligations
from app.settings import Settings

IN_MEMBERSHIP = ("probationary", "official")
EXIT_STATUSES = ("struck_off", "resigned")
GOOD = ("excellent", "good")
GRASSROOTS = ("grassroots_committee", "grassroots_cell")
CELLS = ("grassroots_cell", "subordinate_cell")
VILLAGE = ("village", "residential_group")
HEAD_POSTS = ("village_head", "residential_group_head")
FRONT_POSTS = ("front_committee_head",)
COUNCIL_CHAIR_POSTS = ("commune_council_chair",)
COMMITTEE_CHAIR_POSTS = ("commune_chair", "commune_party_secretary_and_chair")
MILITARY_POLICE = ("military", "police")
COMMUNE_KINDS = ("upper_level_committee", "grassroots_committee", "grassroots_cell")
COMMUNE_CATEGORIES = ("commune", "ward", "special_zone")
# the service's setting (COSO_CELL_COMMITTEE_MIN_POSITIONS), as the test app runs with it
CELL_COMMITTEE_MIN_POSITIONS: int = Settings.model_fields["cell_committee_min_positions"].default

STOCKS = (
    "members",
    "grassroots",
    "subordinate_cells",
    "subordinate_cells_regulated",
    "village_cells",
    "village_cells_committee",
    "village_cells_head_member",
    "village_cells_secretary_head",
    "village_cells_secretary_front_head",
    "military_police_cells",
    "military_police_cells_committee",
    "commune_committees",
    "commune_secretary_council_chair",
    "commune_secretary_committee_chair",
    "private_enterprise_units",
    "private_enterprise_members",
)
FLOWS = (
    "admissions",
    "exits",
    "members_rated",
    "members_rated_good",
    "grassroots_rated",
    "grassroots_rated_good",
    "inspected_quarter",
    "inspected_year",
    "admissions_introduced",
    "tasks_due",
    "tasks_done_on_time",
)
MEASURES = STOCKS + FLOWS

# The indicators the oracle computes, and the periods each is defined for.
YEAR_AND_QUARTER = (
    "members",
    "village_cells_with_committee",
    "admission_rate",
    "grassroots_inspected",
    "subordinate_cells_with_regulations",
    "village_heads_members",
    "secretary_village_head",
    "exit_rate",
    "secretary_front_head",
    "military_police_cells_with_committee",
    "commune_secretary_council_chair",
    "commune_secretary_committee_chair",
    "private_enterprise_organizations",
    "private_enterprise_members",
    "admissions_introduced",
    "tasks_on_time",
)
YEAR_ONLY = ("grassroots_rated_good", "members_rated_good")
INDICATORS = (
    "members",
    "village_cells_with_committee",
    "grassroots_rated_good",
    "members_rated_good",
    "admission_rate",
    "grassroots_inspected",
    "subordinate_cells_with_regulations",
    "village_heads_members",
    "secretary_village_head",
    "exit_rate",
    "secretary_front_head",
    "military_police_cells_with_committee",
    "commune_secretary_council_chair",
    "commune_secretary_committee_chair",
    "private_enterprise_organizations",
    "private_enterprise_members",
    "admissions_introduced",
    "tasks_on_time",
)

Quarter = tuple[int, int]  # (year, 1..4)


def quarter_bounds(quarter: Quarter) -> tuple[date, date]:
    """The first and the last day of a quarter."""
    year, q = quarter
    start = date(year, 3 * (q - 1) + 1, 1)
    after = date(year + 1, 1, 1) if q == 4 else date(year, 3 * q + 1, 1)
    return start, after - timedelta(days=1)


def previous_quarter(quarter: Quarter) -> Quarter:
    year, q = quarter
    return (year, q - 1) if q > 1 else (year - 1, 4)


def parse_period(period: str) -> tuple[int, int | None]:
    """'2024' → (2024, None); '2024Q1' → (2024, 1)."""
    if "Q" in period:
        year, q = period.split("Q")
        return int(year), int(q)
    return int(period), None


def valid_on(row: Any, day: date) -> bool:
    return bool(row["valid_from"] <= day and (row["valid_to"] is None or row["valid_to"] > day))


def percent(numerator: int, denominator: int | None) -> Decimal | None:
    """100 × n / d rounded to 2 decimals (half away from zero); None when d is 0."""
    if not denominator:
        return None
    return (Decimal(100 * numerator) / Decimal(denominator)).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


def service_today() -> date:
    return datetime.now(ZoneInfo("Asia/Ho_Chi_Minh")).date()


@dataclass
class Figure:
    """An indicator's numerator and denominator (None for `members`, which has none)."""

    numerator: int
    denominator: int | None

    @property
    def value(self) -> Decimal | None:
        if self.denominator is None:
            return Decimal(self.numerator)
        return percent(self.numerator, self.denominator)


@dataclass
class Oracle:
    orgs: dict[Any, Any]
    placements: dict[Any, list[Any]]
    endings: dict[Any, tuple[str, list[Any]]]  # unit → (merge/split/dissolve, targets)
    periods: dict[Any, list[Any]]  # organization_id → member periods
    periods_of_member: dict[Any, list[Any]]
    ratings: dict[Any, list[Any]]
    inspections: dict[Any, list[Any]]
    regulations: dict[Any, list[Any]]
    positions: dict[Any, list[Any]]
    posts: dict[Any, list[Any]]
    introduced: dict[Any, str | None] = field(default_factory=dict)  # member → who introduced them
    owed: dict[Any, list[tuple[date, bool]]] = field(default_factory=dict)  # unit → (due, done on time) of its plans
    cell_committee_min_positions: int = CELL_COMMITTEE_MIN_POSITIONS
    today: date = field(default_factory=service_today)
    # memos only: each holds what the function of the same name answered
    _own: dict[tuple[Any, Quarter], dict[str, int]] = field(default_factory=dict)
    _chain: dict[tuple[Any, date], list[Any]] = field(default_factory=dict)
    _figure: dict[tuple[Any, Quarter, str], dict[str, int]] = field(default_factory=dict)

    # --- loading ---------------------------------------------------------------------------------------------------

    @classmethod
    async def load(
        cls, pool: asyncpg.Pool, *, cell_committee_min_positions: int = CELL_COMMITTEE_MIN_POSITIONS
    ) -> "Oracle":
        def by(rows: Iterable[Any], key: str) -> dict[Any, list[Any]]:
            grouped: dict[Any, list[Any]] = defaultdict(list)
            for row in rows:
                grouped[row[key]].append(row)
            return grouped

        orgs = {
            r["id"]: r
            for r in await pool.fetch("SELECT id, code, kind, category, valid_from, valid_to FROM organizations")
        }
        placements = by(
            await pool.fetch("SELECT organization_id, valid_from, valid_to, parent_id FROM organization_placements"),
            "organization_id",
        )
        events = {r["id"]: r for r in await pool.fetch("SELECT id, action, effective_date FROM lineage_events")}
        links = by(await pool.fetch("SELECT event_id, organization_id, role FROM lineage_links"), "event_id")
        endings: dict[Any, tuple[str, list[Any]]] = {}
        for event_id, event in events.items():
            if event["action"] not in ("merge", "split", "dissolve"):
                continue
            targets = [link["organization_id"] for link in links[event_id] if link["role"] == "target"]
            for link in links[event_id]:
                if link["role"] == "source":
                    assert link["organization_id"] not in endings, "a unit ends once"
                    endings[link["organization_id"]] = (event["action"], targets)
        member_periods = await pool.fetch(
            "SELECT member_id, organization_id, status, valid_from, valid_to FROM member_periods"
        )
        return cls(
            orgs=orgs,
            placements=placements,
            endings=endings,
            periods=by(member_periods, "organization_id"),
            periods_of_member=by(member_periods, "member_id"),
            ratings=by(
                await pool.fetch("SELECT member_id, organization_id, period, rating FROM ratings"), "organization_id"
            ),
            inspections=by(
                await pool.fetch("SELECT organization_id, year, inspected_on FROM inspections"), "organization_id"
            ),
            regulations=by(
                await pool.fetch("SELECT organization_id, issued_on FROM working_regulations"), "organization_id"
            ),
            positions=by(
                await pool.fetch(
                    "SELECT member_id, organization_id, position, valid_from, valid_to FROM party_positions"
                ),
                "organization_id",
            ),
            posts=by(
                await pool.fetch(
                    "SELECT member_id, organization_id, post, valid_from, valid_to FROM public_posts "
                    "WHERE organization_id IS NOT NULL"
                ),
                "organization_id",
            ),
            introduced={r["id"]: r["introduced_by"] for r in await pool.fetch("SELECT id, introduced_by FROM members")},
            owed=await plan_obligations(pool),
            cell_committee_min_positions=cell_committee_min_positions,
        )

    # --- the tree --------------------------------------------------------------------------------------------------

    def alive_on(self, unit: Any, day: date) -> bool:
        return valid_on(self.orgs[unit], day)

    def parent_on(self, unit: Any, day: date) -> Any:
        found = [p for p in self.placements[unit] if valid_on(p, day)]
        assert len(found) <= 1, (self.orgs[unit]["code"], day, found)
        return found[0]["parent_id"] if found else None

    def placed_on(self, unit: Any, day: date) -> bool:
        return any(valid_on(p, day) for p in self.placements[unit])

    def chain(self, unit: Any, day: date) -> list[Any]:
        """The unit and every unit above it in the tree of `day`, the unit first."""
        key = (unit, day)
        if key not in self._chain:
            found = [unit]
            while (parent := self.parent_on(found[-1], day)) is not None:
                assert parent not in found, "a cycle in the tree"
                found.append(parent)
            self._chain[key] = found
        return self._chain[key]

    def depth_on(self, unit: Any, day: date) -> int:
        return len(self.chain(unit, day)) - 1

    def reference_day(self, unit: Any, quarter: Quarter) -> date | None:
        """ref(U, q): the quarter's last day, or U's last day if U had ended by then; None if U was not founded."""
        _, end = quarter_bounds(quarter)
        org = self.orgs[unit]
        if org["valid_from"] > end:
            return None
        if org["valid_to"] is not None and org["valid_to"] <= end:
            last: date = org["valid_to"] - timedelta(days=1)
            return last
        return end

    def anchor(self, unit: Any) -> Any:
        """Where a unit's history counts in today's tree (None: nowhere)."""
        org = self.orgs[unit]
        if org["valid_to"] is None or org["valid_to"] > self.today:
            return unit
        action, targets = self.endings[unit]
        if action == "merge":
            assert len(targets) == 1
            return self.anchor(targets[0])
        last = max(self.placements[unit], key=lambda p: p["valid_from"])
        return self.anchor(last["parent_id"]) if last["parent_id"] is not None else None

    def counting_units(self, x: Any, quarter: Quarter, structure: str) -> list[Any]:
        """Every unit whose own facts of the quarter count for X."""
        found = []
        for unit in self.orgs:
            if structure == "period":
                day = self.reference_day(unit, quarter)
                if day is not None and x in self.chain(unit, day):
                    found.append(unit)
            else:
                anchor = self.anchor(unit)
                if anchor is not None and x in self.chain(anchor, self.today):
                    found.append(unit)
        return found

    def existed_in(self, unit: Any, period: str) -> bool:
        """The unit existed on some day of the period."""
        year, q = parse_period(period)
        start, _ = quarter_bounds((year, q or 1))
        _, end = quarter_bounds((year, q or 4))
        org = self.orgs[unit]
        return bool(org["valid_from"] <= end and (org["valid_to"] is None or org["valid_to"] > start))

    def units_at_level(self, root: Any, level: int, day: date) -> set[Any]:
        """The units `level` steps below `root` in the tree of `day`."""
        return {
            u
            for u in self.orgs
            if self.placed_on(u, day) and len(chain := self.chain(u, day)) > level and chain[level] == root
        }

    # --- a unit's own facts ----------------------------------------------------------------------------------------

    def own(self, unit: Any, quarter: Quarter) -> dict[str, int]:
        key = (unit, quarter)
        if key not in self._own:
            self._own[key] = self._measure(unit, quarter)
        return self._own[key]

    def _measure(self, unit: Any, quarter: Quarter) -> dict[str, int]:
        start, end = quarter_bounds(quarter)
        year, q = quarter
        org = self.orgs[unit]
        alive = self.alive_on(unit, end)
        grassroots = org["kind"] in GRASSROOTS
        subordinate_cell = org["kind"] == "subordinate_cell"
        village_cell = org["kind"] in CELLS and org["category"] in VILLAGE
        military_police_cell = org["kind"] in CELLS and org["category"] in MILITARY_POLICE
        commune = org["kind"] in COMMUNE_KINDS and org["category"] in COMMUNE_CATEGORIES
        private = org["category"] == "private_enterprise"
        m = dict.fromkeys(MEASURES, 0)

        for p in self.periods[unit]:
            if p["status"] in IN_MEMBERSHIP and valid_on(p, end):
                m["members"] += 1
                m["private_enterprise_members"] += private
            if p["status"] == "probationary" and start <= p["valid_from"] <= end:
                continues = any(
                    other["valid_to"] == p["valid_from"] and other["status"] == "probationary"
                    for other in self.periods_of_member[p["member_id"]]
                )
                if not continues:
                    m["admissions"] += 1
                    m["admissions_introduced"] += self.introduced.get(p["member_id"]) is not None
            if p["status"] in EXIT_STATUSES and start <= p["valid_from"] <= end:
                m["exits"] += 1

        if q == 4:
            for r in self.ratings[unit]:
                if r["period"] != str(year) or r["rating"] is None:
                    continue
                if r["member_id"] is not None:
                    m["members_rated"] += 1
                    m["members_rated_good"] += r["rating"] in GOOD
                elif grassroots:
                    m["grassroots_rated"] += 1
                    m["grassroots_rated_good"] += r["rating"] in GOOD

        if grassroots:
            m["grassroots"] = int(alive)
            m["inspected_quarter"] = int(
                any(i["inspected_on"] is not None and start <= i["inspected_on"] <= end for i in self.inspections[unit])
            )
            if q == 4:
                m["inspected_year"] = int(any(i["year"] == year for i in self.inspections[unit]))

        if subordinate_cell and alive:
            m["subordinate_cells"] = 1
            m["subordinate_cells_regulated"] = int(any(r["issued_on"] <= end for r in self.regulations[unit]))

        seats = [s for s in self.positions[unit] if valid_on(s, end)]
        secretaries = [s["member_id"] for s in seats if s["position"] == "secretary"]
        committee = int(len(seats) >= self.cell_committee_min_positions and bool(secretaries))

        def secretary_holds(posts: tuple[str, ...]) -> int:
            held = [p for p in self.posts[unit] if p["post"] in posts and valid_on(p, end)]
            return int(any(h["member_id"] in secretaries for h in held))

        if village_cell and alive:
            m["village_cells"] = 1
            m["village_cells_committee"] = committee
            heads = [p for p in self.posts[unit] if p["post"] in HEAD_POSTS and valid_on(p, end)]
            m["village_cells_head_member"] = int(bool(heads))
            m["village_cells_secretary_head"] = secretary_holds(HEAD_POSTS)
            m["village_cells_secretary_front_head"] = secretary_holds(FRONT_POSTS)
        if military_police_cell and alive:
            m["military_police_cells"] = 1
            m["military_police_cells_committee"] = committee
        if commune and alive:
            m["commune_committees"] = 1
            m["commune_secretary_council_chair"] = secretary_holds(COUNCIL_CHAIR_POSTS)
            m["commune_secretary_committee_chair"] = secretary_holds(COMMITTEE_CHAIR_POSTS)
        if private and alive and org["kind"] != "party_group":
            m["private_enterprise_units"] = 1
        for due, on_time in self.owed.get(unit, []):
            if start <= due <= end:
                m["tasks_due"] += 1
                m["tasks_done_on_time"] += on_time
        return m

    # --- figures and indicators ------------------------------------------------------------------------------------

    def quarter_figure(self, x: Any, quarter: Quarter, structure: str) -> dict[str, int]:
        """The sum of the own facts of every unit that counts for X in the quarter."""
        key = (x, quarter, structure)
        if key not in self._figure:
            total = dict.fromkeys(MEASURES, 0)
            for unit in self.counting_units(x, quarter, structure):
                for name, n in self.own(unit, quarter).items():
                    total[name] += n
            self._figure[key] = total
        return self._figure[key]

    def measure(self, name: str, x: Any, period: str, structure: str) -> int:
        """A measure over a period: a stock at the period's last quarter, a flow summed over its quarters."""
        year, q = parse_period(period)
        quarters = [(year, q)] if q else [(year, 1), (year, 2), (year, 3), (year, 4)]
        if name in STOCKS:
            return self.quarter_figure(x, quarters[-1], structure)[name]
        return sum(self.quarter_figure(x, quarter, structure)[name] for quarter in quarters)

    def members_before(self, x: Any, period: str, structure: str) -> int:
        """Members at the end of the previous period (the previous year's Q4, or the previous quarter)."""
        year, q = parse_period(period)
        before = previous_quarter((year, q)) if q else (year - 1, 4)
        return self.quarter_figure(x, before, structure)["members"]

    def indicator(self, code: str, x: Any, period: str, structure: str) -> Figure:
        def at(name: str) -> int:
            return self.measure(name, x, period, structure)

        _, q = parse_period(period)
        if code == "members":
            return Figure(at("members"), None)
        if code == "village_cells_with_committee":
            return Figure(at("village_cells_committee"), at("village_cells"))
        if code == "grassroots_rated_good":
            assert q is None
            return Figure(at("grassroots_rated_good"), at("grassroots_rated"))
        if code == "members_rated_good":
            assert q is None
            return Figure(at("members_rated_good"), at("members_rated"))
        if code == "admission_rate":
            return Figure(at("admissions"), self.members_before(x, period, structure))
        if code == "exit_rate":
            return Figure(at("exits"), self.members_before(x, period, structure))
        if code == "grassroots_inspected":
            return Figure(at("inspected_quarter" if q else "inspected_year"), at("grassroots"))
        if code == "subordinate_cells_with_regulations":
            return Figure(at("subordinate_cells_regulated"), at("subordinate_cells"))
        if code == "village_heads_members":
            return Figure(at("village_cells_head_member"), at("village_cells"))
        if code == "secretary_village_head":
            return Figure(at("village_cells_secretary_head"), at("village_cells"))
        if code == "secretary_front_head":
            return Figure(at("village_cells_secretary_front_head"), at("village_cells"))
        if code == "military_police_cells_with_committee":
            return Figure(at("military_police_cells_committee"), at("military_police_cells"))
        if code == "commune_secretary_council_chair":
            return Figure(at("commune_secretary_council_chair"), at("commune_committees"))
        if code == "commune_secretary_committee_chair":
            return Figure(at("commune_secretary_committee_chair"), at("commune_committees"))
        if code == "private_enterprise_organizations":
            return Figure(at("private_enterprise_units"), None)
        if code == "private_enterprise_members":
            return Figure(at("private_enterprise_members"), None)
        if code == "admissions_introduced":
            return Figure(at("admissions_introduced"), at("admissions"))
        if code == "tasks_on_time":
            return Figure(at("tasks_done_on_time"), at("tasks_due"))
        raise ValueError(f"the oracle does not compute {code}")


async def plan_obligations(pool: asyncpg.Pool) -> dict[Any, list[tuple[date, bool]]]:
    """Every plan's dated obligations due by the database's today, by the plan's unit: (due, done on time)."""
    today: date = await pool.fetchval("SELECT CURRENT_DATE")
    events = {str(r["id"]): r["happened_on"] for r in await pool.fetch("SELECT id, happened_on FROM plan_events")}
    reports: dict[Any, list[Report]] = defaultdict(list)
    for r in await pool.fetch("SELECT task_id, reported_on, status, period_year FROM progress_reports"):
        reports[r["task_id"]].append(Report(r["reported_on"], r["status"], r["period_year"]))
    owed: dict[Any, list[tuple[date, bool]]] = defaultdict(list)
    for t in await pool.fetch(
        "SELECT t.id, t.deadline, pl.organization_id, pl.issued_on FROM tasks t JOIN plans pl ON pl.id = t.plan_id"
    ):
        deadline = json.loads(t["deadline"]) if isinstance(t["deadline"], str) else t["deadline"]
        for o in obligations(
            deadline,
            events=events,
            reports=reports[t["id"]],
            as_of=today,
            first_year=t["issued_on"].year if t["issued_on"] else 2022,
            due_soon_days=0,
        ):
            if o.due is not None and o.due <= today:
                owed[t["organization_id"]].append((o.due, o.state == State.done_on_time))
    return owed


ANALYTICS = "/api/v1/indicators/analytics"


# --- reading the answer and comparing -------------------------------------------------------------------------------


async def analytics(client: httpx.AsyncClient, **params: Any) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = []
    cursor = None
    while True:
        response = await client.get(ANALYTICS, params={**params, **({"cursor": cursor} if cursor else {})})
        assert response.status_code == 200, (params, response.text)
        body = response.json()
        items += body["items"]
        cursor = body["next_cursor"]
        if not cursor:
            return items


def same_value(got: Any, expected: Decimal | None) -> bool:
    if got is None or expected is None:
        return got is None and expected is None
    return abs(Decimal(str(got)) - expected) <= Decimal("0.005")


def describe(figure: Figure | None) -> str:
    if figure is None:
        return "(no item)"
    return f"{figure.numerator}/{figure.denominator} = {figure.value}"


def figure_problems(oracle: Oracle, items: list[dict[str, Any]], structure: str) -> list[str]:
    """Every item whose figures differ from the oracle's, one readable line each."""
    problems: list[str] = []
    for item in items:
        unit = next(u for u in oracle.orgs if str(u) == item["organization_id"])
        expected = oracle.indicator(item["indicator"], unit, item["period"], structure)
        got = Figure(item["numerator"], item["denominator"])
        if (got.numerator, got.denominator) != (expected.numerator, expected.denominator) or not same_value(
            item["value"], expected.value
        ):
            problems.append(
                f"{item['indicator']} {item['period']} {oracle.orgs[unit]['code']} structure={structure}: "
                f"expected {describe(expected)}, got {item['numerator']}/{item['denominator']} = "
                f"{item['value']}"
            )
    return problems


def compare(
    oracle: Oracle,
    items: list[dict[str, Any]],
    *,
    structure: str,
    root: Any,
    level: int,
    indicators: Sequence[str],
    periods: Sequence[str],
) -> list[str]:
    """The figures of a breakdown from `root`, and the units it lists: the root and every unit `level` steps below
    it in the tree of the period's end (or today's, with structure=current)."""
    problems = figure_problems(oracle, items, structure)
    code = {u: o["code"] for u, o in oracle.orgs.items()}
    listed: dict[tuple[str, str], list[str]] = {}
    for item in items:
        listed.setdefault((item["indicator"], item["period"]), []).append(item["organization_id"])
    for indicator in indicators:
        for period in periods:
            year, q = parse_period(period)
            day = oracle.today if structure == "current" else quarter_bounds((year, q or 4))[1]
            expected_units = {str(u) for u in {root} | oracle.units_at_level(root, level, day)}
            got_units = listed.get((indicator, period), [])
            if set(got_units) != expected_units or len(got_units) != len(set(got_units)):
                problems.append(
                    f"{indicator} {period} structure={structure} level={level}: units expected "
                    f"{sorted(code[u] for u in oracle.orgs if str(u) in expected_units)}, got "
                    f"{sorted(code[u] for u in oracle.orgs if str(u) in got_units)}"
                )
    return problems
