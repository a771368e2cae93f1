"""The demo's members: about 6,000 people in the cells of the demo bloc committee (seed 003), with what happened to
them from 2020 (when the demo tree begins) to the end of 2025, generated deterministically as rows (no I/O here;
app/demo/db/members.py writes them in bulk). Every change is made through `lifecycle.apply`, as the service would.

Choices, so that tests and indicators can count by hand:
- Members admitted before the tree begins are registered on its first day (event "registered", first period from
  then; the record keeps the admission date): a period never names an organisation before it existed. Members
  admitted in 2019 are registered as probationary and recognised in 2020; those admitted in 2020 are registered on
  their admission date and recognised in 2021. Transfers in from outside the tree are "registered" on arrival.
- The large cell holds exactly 121 members, untouched, until its party groups start (2021-07-01). Then each of them
  moves to one of the 11 groups (a "transfer" event with details {"party_group": true}, as a split records it);
  from then on the cell's members are registered in its groups and counted in the cell through them.
- New members are proposed as candidates ("proposed"), admitted 3–9 months later, recognised as official 12 months
  after admission, within the 30-working-day window except about 4 % recognised late (60–150 days). Scripted: one
  failed probation (2023), two probationary members never recognised (admitted 2024, past their window at the end),
  one member suspended then expelled (2023), SMALL_CELL ending 2025 with 2 official and 3 probationary members.
- Everywhere else a cell keeps 5–60 members and ≥ 3 official ones: random exits only pick members whose cell can
  spare them, and a cell that a retirement leaves short gets a transfer in. CROWDED_CELLS keep ≥ 30 members.
- Members of agencies and enterprises transfer out (to their residence) when they reach the retirement age of the
  2019 Labour Code; mass associations keep older members, who are the ones exempted and, mostly, the ones who die.
- Residence (the record keeps one address, no history of it): a record still open at the end, or closed from 1 July
  2025 on, has its address as written since the communes' reform: village, commune or ward, province, no district
  (places.MERGED_COMMUNES); one closed before keeps the district it was written with. A retirement from that day
  names the new commune's committee as its destination. Decisions dated from the bloc committee's end are the new
  committees' ("…/ĐU", not "…/ĐUK").
"""

from collections.abc import Callable, Sequence
from datetime import date, timedelta
from functools import partial

from app.demo.people import (
    ADMISSION_RATE,
    END,
    HISTORY_FROM,
    INITIAL_MEMBERS,
    LARGE_CELL_SIZE,
    OUTSIDE,
    PER_YEAR,
    RATES,
    STUDIES,
    DemoEvent,
    DemoMember,
    DemoPeriod,
    Unit,
    _age,
    _Home,
    _Person,
)
from app.demo.places import NO_DISTRICTS_FROM, without_district
from app.demo.world import _World
from app.domain.members.lifecycle import TERMINAL, EventKind, MemberState
from app.domain.members.names import sort_key
from app.domain.plans.status import add_months


class _Life(_World):
    """The events of the demo's years: admissions, recognitions, exits, transfers, the scripted cases."""

    def propose(self, admit_on: date, fate: str, home: _Home | None, day: date) -> None:
        home = home or self.some_home(day)
        gender = "female" if self.rng.random() < home.female else "male"
        while True:
            years = self.rng.triangular(19, 23, 20) if home.students else self.rng.triangular(18.5, 45, 26)
            born = admit_on - timedelta(days=int(years * 365.25))
            if born <= date(2003, 12, 31):
                break
        state = MemberState("candidate", home.code, None, False, False, False, None, None)
        person = self.person(home, born=born, gender=gender, state=state)
        person.protected = fate != "normal"
        if (trained := day + timedelta(days=self.rng.randint(20, 60))) <= END:  # the course on the Party
            person.record["training_certificate_date"] = trained
        person.events.append(DemoEvent("proposed", day, None, None, None, home.code, None))
        person.starts.append((day, state))
        self.at(admit_on, partial(self.admit, person, fate))

    def admit(self, person: _Person, fate: str, day: date) -> None:
        if person.state.status != "candidate" or self.busy(person, day, partial(self.admit, person, fate)):
            return
        home = self.homes[person.state.organization_id]
        sponsors = [p for p in home.people.values() if p.state.status == "official"]
        person.record["sponsor_ids"] = [p.id for p in self.rng.sample(sponsors, min(2, len(sponsors)))]
        # each sponsor has worked with the candidate for at least a year (Charter art. 4.2)
        person.record["sponsor_since"] = {  # drawn from the ids: the demo's random stream stays as it was
            str(s): (day - timedelta(days=380 + s.int % 1000)).isoformat() for s in person.record["sponsor_ids"]
        }
        ceremony = person.record["admission_ceremony_date"] = min(END, day + timedelta(days=self.rng.randint(3, 20)))
        self.record(
            person,
            EventKind.admit,
            day,
            ref=self.ref("QĐ/ĐUK", day),
            details={"age": _age(person.record["birth_date"], day), "age_exception": None},
            ceremony=ceremony,
        )
        self.admitted(person, day)
        self.recognition(person, fate)

    def recognition(self, person: _Person, fate: str) -> None:
        admitted = person.state.admission_ceremony_date or person.state.admission_decision_date
        assert admitted is not None
        due = add_months(admitted, 12)  # probation counts from the ceremony (Charter art. 5.1)
        if fate == "fail":
            self.at(due + timedelta(days=self.rng.randint(5, 30)), partial(self.fail, person))
        elif fate == "normal":
            day = due + timedelta(days=self.rng.randint(5, 35))  # within the 30 working days
            if self.rng.random() < 0.04 and (late := due + timedelta(days=self.rng.randint(60, 150))) < END:
                day = late
            self.at(day, partial(self.recognize, person))

    def recognize(self, person: _Person, day: date) -> None:
        if person.state.status != "probationary" or self.busy(person, day, partial(self.recognize, person)):
            return
        self.record(person, EventKind.recognize, day, ref=self.ref("QĐ/ĐUK", day))
        self.card(person, day)

    def fail(self, person: _Person, day: date) -> None:
        home = self.homes[person.state.organization_id]
        self.record(
            person,
            EventKind.fail_probation,
            day,
            ref=self.ref("QĐ/ĐUK", day),
            note="Không đủ tư cách đảng viên chính thức",
        )
        self.top_up(home, day)

    # --- what happens to members ------------------------------------------------------------------------------------

    def retire(self, person: _Person, day: date) -> None:
        if person.protected or person.state.status in TERMINAL or self.busy(person, day, partial(self.retire, person)):
            return
        home = self.homes[person.state.organization_id]
        residence = person.record["residence"]
        place = (without_district(residence) if day >= NO_DISTRICTS_FROM else residence).split(", ")[1:-1]
        self.record(
            person,
            EventKind.transfer,
            day,
            leaves=True,
            ref=self.ref("GGT/ĐUK", day),
            note="Nghỉ hưu, chuyển sinh hoạt đảng về nơi cư trú",
            details={"destination": f"Đảng bộ {', '.join(place)}"},
        )
        self.top_up(home, day)

    def top_up(self, home: _Home, day: date) -> None:
        if not home.protected and (len(home.members()) < home.floor or home.official() < 3):
            self.at(min(END, day + timedelta(days=self.rng.randint(1, 20))), partial(self.arrive, home))

    def arrive(self, home: _Home | None, day: date) -> None:
        home = home or self.some_home(day)
        gender = "female" if self.rng.random() < home.female else "male"
        born = self.birth(home, gender, youngest=1995, retiring_after=day + timedelta(days=400))
        origin = self.rng.choice(OUTSIDE)
        self.register(
            home,
            day,
            admitted=self.admission_age(born, day - timedelta(days=730)),
            gender=gender,
            born=born,
            note="Chuyển sinh hoạt đảng chính thức đến",
            details={"origin": origin},
        )

    def random_event(self, what: str, day: date) -> None:
        age: Callable[[_Person], int] = lambda p: _age(p.record["birth_date"], day)  # noqa: E731
        active: Callable[[_Person], bool] = lambda p: (  # noqa: E731
            p.state.status == "official" and not p.state.exempt and not p.state.temporarily_away
        )
        if what == "transfer_in":
            self.arrive(None, day)
            return
        if what == "die":
            person = self.pick(
                day, lambda p: True, lambda p: min(1.0, ((age(p) - 20) / 55) ** 3 * (3 if p.state.exempt else 1))
            )
        elif what == "exempt":
            person = self.pick(
                day, lambda p: active(p) and age(p) >= 50, lambda p: ((age(p) - 45) / 25) ** 2, leaving=False
            )
        elif what == "temporary":
            person = self.pick(day, active, leaving=False)
        else:
            person = self.pick(day, active)
        if person is None:
            return
        home = self.homes[person.state.organization_id]
        if what == "die":
            self.record(person, EventKind.die, day, note="Từ trần")
        elif what == "strike_off":
            self.record(
                person,
                EventKind.strike_off,
                day,
                ref=self.ref("QĐ/ĐUK", day),
                note="Bỏ sinh hoạt đảng 03 tháng trong năm không có lý do chính đáng",
            )
        elif what == "resign":
            self.record(person, EventKind.resign, day, ref=self.ref("QĐ/ĐUK", day), note="Tự nguyện xin ra khỏi Đảng")
        elif what == "exempt":
            self.record(person, EventKind.exempt, day, ref=self.ref("NQ/CB", day), note="Tuổi cao, sức khỏe yếu")
            if self.rng.random() < 0.15:
                self.at(day + timedelta(days=self.rng.randint(180, 540)), partial(self.end_exemption, person))
        elif what == "job_out":
            self.record(
                person,
                EventKind.transfer,
                day,
                leaves=True,
                ref=self.ref("GGT/ĐUK", day),
                note="Chuyển công tác",
                details={"destination": self.rng.choice(OUTSIDE)},
            )
        elif what == "within":
            same = self.rng.random() < 0.6
            targets = [
                h
                for h in self.open_homes(day, room=55)
                if h.cell != home.cell and (not same or h.committee == home.committee)
            ] or [h for h in self.open_homes(day, room=55) if h.cell != home.cell]
            self.record(
                person,
                EventKind.transfer,
                day,
                to=self.rng.choice(targets).code,
                ref=self.ref("GGT/ĐUK", day),
                note="Điều động công tác",
            )
        elif what == "temporary":
            inside = self.rng.random() < 0.3
            host = self.rng.choice([h for h in self.open_homes(day) if h.cell != home.cell]) if inside else None
            self.record(
                person,
                EventKind.temporary_transfer,
                day,
                to=host.code if host else None,
                ref=self.ref("GGT/ĐUK", day),
                note="Biệt phái công tác" if host else "Đi học tập trung",
                details=None if host else {"destination": self.rng.choice(STUDIES)},
            )
            self.at(day + timedelta(days=self.rng.randint(90, 300)), partial(self.come_back, person))

    def come_back(self, person: _Person, day: date) -> None:
        if (
            person.state.status in TERMINAL
            or not person.state.temporarily_away
            or self.busy(person, day, partial(self.come_back, person))
        ):
            return
        self.record(person, EventKind.return_from_temporary, day, ref=self.ref("GGT/ĐUK", day))

    def end_exemption(self, person: _Person, day: date) -> None:
        if (
            person.state.status in TERMINAL
            or not person.state.exempt
            or self.busy(person, day, partial(self.end_exemption, person))
        ):
            return
        self.record(person, EventKind.end_exemption, day, ref=self.ref("NQ/CB", day), note="Sức khỏe đã hồi phục")

    # --- scripted -------------------------------------------------------------------------------------------------

    def split_large_cell(self, day: date) -> None:
        """The pilot of party-group meetings: the cell's 121 members go to its 11 groups, 11 each, in name order."""
        people = sorted(self.large.members(), key=lambda p: sort_key(p.record["full_name"]))
        assert len(people) == LARGE_CELL_SIZE and all(p.last < day for p in people)
        ref = self.ref("NQ/ĐU", day)
        for i, person in enumerate(people):
            group = self.groups[i * len(self.groups) // len(people)]
            self.record(
                person,
                EventKind.transfer,
                day,
                to=group.code,
                ref=ref,
                note="Sinh hoạt theo tổ đảng (thí điểm)",
                details={"party_group": True},
            )

    def script_small_cell(self) -> None:
        """5 official members; one admitted in 2022 (official 2023); two transfer out and one dies in 2024, one
        transfers out in 2025; three admitted (December 2024, August 2025): 2 official and 3 probationary at the end,
        5 members at every year's end."""
        home = self.small
        first = sorted(home.members(), key=lambda p: p.id)
        leaves = [
            (date(2024, 7, 1), first[0], "Chuyển công tác"),
            (date(2024, 7, 1), first[1], "Chuyển công tác"),
            (date(2025, 3, 10), first[3], "Chuyển công tác"),
        ]
        for day, person, note in leaves:
            self.at(day, partial(self.scripted, person, EventKind.transfer, note))
        self.at(date(2024, 11, 4), partial(self.scripted, first[2], EventKind.die, "Từ trần"))
        for proposed, admitted, fate in (
            (date(2021, 10, 18), date(2022, 4, 11), "normal"),
            (date(2024, 6, 10), date(2024, 12, 16), "never"),
            (date(2024, 6, 10), date(2024, 12, 16), "never"),
            (date(2025, 2, 17), date(2025, 8, 18), "never"),
        ):
            self.at(proposed, partial(self.propose, admitted, fate, home))

    def scripted(self, person: _Person, kind: EventKind, note: str, day: date) -> None:
        home = self.homes[person.state.organization_id]
        leaves = kind == EventKind.transfer
        self.record(
            person,
            kind,
            day,
            leaves=leaves,
            note=note,
            ref=None if kind == EventKind.die else self.ref("GGT/ĐUK" if leaves else "QĐ/ĐUK", day),
            details={"destination": self.rng.choice(OUTSIDE)} if leaves else None,
        )
        self.top_up(home, day)

    def discipline(self, day: date) -> None:
        person = self.pick(
            day,
            lambda p: (
                p.state.status == "official" and not p.state.temporarily_away and p.record["birth_date"].year >= 1975
            ),
        )
        assert person is not None
        person.protected = True
        self.record(
            person,
            EventKind.suspend,
            day,
            ref=self.ref("QĐ/UBKTĐUK", day),
            note="Đình chỉ sinh hoạt đảng để xem xét kỷ luật",
        )
        self.at(date(2023, 9, 18), partial(self.scripted, person, EventKind.expel, "Vi phạm pháp luật, bị khởi tố"))

    def plan(self) -> None:
        base = INITIAL_MEMBERS
        self.script_small_cell()
        self.at(date(2023, 3, 6), self.discipline)
        for year in range(HISTORY_FROM.year, END.year + 2):
            count = round(base * self.rng.uniform(*ADMISSION_RATE))
            days = sorted(self.weekday(year) for _ in range(count))
            fates = ["normal"] * count
            if year == 2023:
                fates[count // 2] = "fail"
            if year == 2024:
                fates[5] = fates[count // 3] = "never"  # admitted in the first part of 2024: overdue at the end
            for admit_on, fate in zip(days, fates, strict=True):
                self.at(
                    admit_on - timedelta(days=self.rng.randint(90, 270)), partial(self.propose, admit_on, fate, None)
                )
            if year > END.year:
                continue
            plans = {what: round(base * rate) for what, rate in RATES.items()}
            plans |= {what: self.rng.randint(*span) for what, span in PER_YEAR.items()}
            for what, n in plans.items():
                for _ in range(n):
                    self.at(self.weekday(year), partial(self.random_event, what))

    def weekday(self, year: int) -> date:
        day = date(year, 1, 1) + timedelta(days=self.rng.randrange(365))
        return day + timedelta(days=max(0, 7 - day.weekday()) if day.weekday() >= 5 else 0)


def demo_members(units: Sequence[Unit], *, seed: int = 3) -> list[DemoMember]:
    """Everyone the demo's cells hold or held, with their events and periods; the same for the same units and
    seed."""
    world = _Life(units, seed)
    world.at(world.groups_from, world.split_large_cell)  # first in the calendar of its day
    world.populate()
    world.plan()
    world.run()
    members = []
    for person in world.people:
        starts = person.starts
        periods = tuple(
            DemoPeriod(day, starts[i + 1][0] if i + 1 < len(starts) else None, state)
            for i, (day, state) in enumerate(starts)
        )
        record = {**person.record, "sort_key": sort_key(person.record["full_name"])}
        if person.state.status not in TERMINAL or person.last >= NO_DISTRICTS_FROM:
            # The record as it stands: written (or kept up to date) after the communes' reform, without district.
            record["residence"] = without_district(record["residence"])
        members.append(DemoMember(person.id, record, person.state, tuple(person.events), periods))
    return members


# --- loading ------------------------------------------------------------------------------------------------------
