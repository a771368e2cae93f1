"""Targets a plan's text states, imported with the plan: each quantified goal the parser read
(app/domain/plans/goals.py) is matched to the indicators of the catalogue its words describe, and stored as a target
the plan carries, in the import's transaction. A goal no indicator describes is reported, never dropped silently.
docs/plans.md lists the wordings recognised."""

import re
import unicodedata
import uuid
from dataclasses import dataclass
from typing import Any

from app.db.scope import Scope
from app.domain.access.callers import Actor
from app.domain.audit import service as audit
from app.domain.indicators.catalogue import BY_CODE, YEAR_AND_QUARTER, YEAR_ONLY, Comparator, Indicator, PeriodType
from app.domain.indicators.targets import TargetSpec, insert_target
from app.domain.plans import plans
from app.domain.plans.document import ParsedGoal, ParsedPlan
from app.domain.tx import Tx


@dataclass(frozen=True)
class _Words:
    """What a goal's words must say (every pattern of `all_of`) and must not (`none_of`) to be a target of the
    indicator; matched without accents or case ("cấp ủy", "cấp uỷ", "CẤP ỦY" alike)."""

    indicator: str
    all_of: tuple[str, ...]
    none_of: tuple[str, ...] = ()


_CELLS_WITH_COMMITTEE = r"\bco (?:chi|cap) uy\b"
_GRASSROOTS = r"\b(?:to chuc co so dang|tccsd|to chuc dang)\b"
_RATED_GOOD = r"\bhoan thanh tot\b"
_WORDS: tuple[_Words, ...] = (
    _Words("village_cells_with_committee", (r"\bchi bo thon\b|\bto dan pho\b", _CELLS_WITH_COMMITTEE)),
    _Words("military_police_cells_with_committee", (r"\bchi bo (?:quan su|cong an)\b", _CELLS_WITH_COMMITTEE)),
    _Words("subordinate_cells_with_regulations", (r"\bchi bo truc thuoc\b", r"\bquy che lam viec\b")),
    _Words("grassroots_rated_good", (_GRASSROOTS, _RATED_GOOD)),
    _Words("members_rated_good", (r"\bdang vien\b", _RATED_GOOD)),
    _Words("admissions_introduced", (r"\bket nap\b|\bdang vien moi\b", r"\bgioi thieu\b")),
    _Words("admission_rate", (r"\bket nap\b", r"\bdang vien\b"), (r"\bgioi thieu\b",)),
    _Words("grassroots_inspected", (r"\bkiem tra\b", _GRASSROOTS)),
    _Words("exit_rate", (r"\bxoa ten\b|\bra khoi dang\b",)),
    _Words(
        "village_heads_members",
        (r"\btruong thon\b|\bto truong to dan pho\b", r"\bla dang vien\b"),
        (r"\bbi thu\b",),
    ),
    _Words("secretary_village_head", (r"\bbi thu\b", r"\btruong thon\b|\bto truong to dan pho\b")),
    _Words("secretary_front_head", (r"\bbi thu\b", r"\btruong ban cong tac mat tran\b")),
    _Words("commune_secretary_council_chair", (r"\bbi thu\b", r"\bchu tich (?:hoi dong nhan dan|hdnd)\b")),
    _Words("commune_secretary_committee_chair", (r"\bbi thu\b", r"\bchu tich (?:uy ban nhan dan|ubnd)\b")),
    _Words("tasks_on_time", (r"\bnhiem vu\b", r"\bdung (?:han|thoi han|tien do)\b")),
)
_COMPILED = tuple((w.indicator, [re.compile(p) for p in w.all_of], [re.compile(p) for p in w.none_of]) for w in _WORDS)


def _folded(text: str) -> str:
    decomposed = unicodedata.normalize("NFD", text.casefold().replace("đ", "d"))
    return " ".join("".join(c for c in decomposed if not unicodedata.combining(c)).split())


def indicators_of(goal: ParsedGoal) -> list[Indicator]:
    """The indicators a goal's words describe (a sentence may name two: "… tổ chức cơ sở đảng, đảng viên được
    đánh giá hoàn thành tốt nhiệm vụ trở lên")."""
    subject = _folded(goal.subject)
    return [
        BY_CODE[code]
        for code, required, excluded in _COMPILED
        if all(p.search(subject) for p in required) and not any(p.search(subject) for p in excluded)
    ]


def _period_types(indicator: Indicator) -> tuple[PeriodType, ...]:
    """A share of a state at a period's end (cells with a committee) holds for quarters too; a rate of what
    happens during a period (admissions, inspections, ratings) is yearly (docs/indicators.md, Targets)."""
    stock = indicator.numerator.read == "stock"
    return tuple(t for t in YEAR_AND_QUARTER if t in indicator.period_types) if stock else YEAR_ONLY


def _reference(goal: ParsedGoal) -> str:
    return f"task {goal.task_code}" if goal.task_code else f"line {goal.line}"


def _statement(goal: ParsedGoal) -> dict[str, Any]:
    return {
        "task_code": goal.task_code,
        "line": goal.line,
        "text": goal.text,
        "comparator": goal.comparator,
        "value": float(goal.value),
        "value_high": float(goal.value_high) if goal.value_high is not None else None,
        "year_from": goal.year_from,
        "year_to": goal.year_to,
    }


@dataclass(frozen=True)
class _Found:
    spec: TargetSpec
    goal: ParsedGoal


def _overlaps(a: TargetSpec, b: TargetSpec) -> bool:
    assert a.year_from is not None and b.year_from is not None
    return (
        a.indicator == b.indicator
        and a.year_from <= (b.year_to or 9999)
        and b.year_from <= (a.year_to or 9999)
        and bool(set(a.period_types or ()) & set(b.period_types or ()))
    )


def read_targets(parsed: ParsedPlan) -> tuple[list[_Found], list[dict[str, Any]]]:
    """The targets the plan's goals state, and the goals that give none, each with the reason."""
    found: list[_Found] = []
    unmapped: list[dict[str, Any]] = []
    for goal in parsed.goals:
        indicators = indicators_of(goal)
        if not indicators:
            unmapped.append({**_statement(goal), "reason": "no indicator of the catalogue counts what it names"})
            continue
        if goal.value_high is not None and goal.value_high < goal.value:
            unmapped.append({**_statement(goal), "reason": f"the range {goal.value}–{goal.value_high} is empty"})
            continue
        for indicator in indicators:
            spec = TargetSpec(
                indicator=indicator.code,
                comparator=Comparator(goal.comparator),
                value=goal.value,
                value_high=goal.value_high,
                year_from=goal.year_from,
                year_to=goal.year_to,
                period_types=_period_types(indicator),
                note=f"{_reference(goal)}: {goal.text}",
            )
            same = next((f for f in found if _overlaps(f.spec, spec)), None)
            if same is None:
                found.append(_Found(spec, goal))
            elif _figures(same.spec) != _figures(spec):
                unmapped.append(
                    {
                        **_statement(goal),
                        "reason": f"{indicator.code} already has a target for these years from "
                        f"{_reference(same.goal)}; the first one stated is kept",
                    }
                )
    return found, unmapped


def _figures(spec: TargetSpec) -> tuple[Any, ...]:
    return (spec.comparator, spec.value, spec.value_high, spec.year_from, spec.year_to)


def _proposed(found: _Found) -> dict[str, Any]:
    spec, goal = found.spec, found.goal
    assert spec.comparator is not None and spec.value is not None
    return {
        "indicator": spec.indicator,
        "comparator": spec.comparator.value,
        "value": float(spec.value),
        "value_high": float(spec.value_high) if spec.value_high is not None else None,
        "year_from": spec.year_from,
        "year_to": spec.year_to,
        "period_types": [t.value for t in spec.period_types or ()],
        "task_code": goal.task_code,
        "line": goal.line,
        "text": goal.text,
    }


async def import_plan(
    tx: Tx,
    *,
    actor: Actor,
    scope: Scope,
    organization_id: uuid.UUID,
    parsed: ParsedPlan,
    commit: bool,
    code: str | None,
    status: str,
) -> dict[str, Any]:
    """The plan import (app/domain/plans/plans.py) with the targets its text states: `targets` (what the plan
    carries once committed, source `plan_text`) and `unmapped_targets` (goals no indicator counts). With `commit`,
    the plan and its targets are written in the one transaction: a plan refused writes no target."""
    answer = await plans.import_plan(
        tx,
        actor=actor,
        scope=scope,
        organization_id=organization_id,
        parsed=parsed,
        commit=commit,
        code=code,
        status=status,
    )
    found, unmapped = read_targets(parsed)
    answer["targets"] = [_proposed(f) for f in found]
    answer["unmapped_targets"] = unmapped
    plan_id = answer["plan_id"]
    if commit and found:
        stored = [
            await insert_target(tx, spec=f.spec, organization_id=organization_id, plan_id=plan_id, origin="plan_text")
            for f in found
        ]
        await audit.record(
            tx,
            actor,
            action="import",
            entity="plan_targets",
            entity_id=plan_id,
            organization_id=organization_id,
            before=None,
            after={"targets": stored},
        )
    return answer
