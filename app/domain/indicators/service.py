"""Indicator figures (indicators × periods × units, DHIS2's analytics) and targets (docs/indicators.md).

The database keeps, for every unit and quarter, the sums of the measures over everything counting for the unit
(in the tree of the period, and in today's tree); a figure is read from those rows, never recomputed here.
Numerators and denominators are summed (over the quarters of a period, over the roots of a scope); a
percentage is computed from the sums, never averaged."""

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from app.db.indicators import queries as db
from app.db.indicators import targets as targets_db
from app.db.organizations.paths import nodes_of
from app.db.scope import Scope
from app.db.sql import Querier
from app.domain.errors import NotFound, RuleViolation
from app.domain.indicators.catalogue import BY_CODE, Comparator, Indicator, PeriodType, Target, Term, Unit
from app.domain.indicators.periods import Period, parse
from app.domain.indicators.standing import judge, met, target_entry
from app.domain.organizations import tree

TOTAL_NAME = "Tổng (phạm vi được cấp)"


@dataclass(frozen=True)
class Query:
    indicators: Sequence[Indicator]
    periods: Sequence[str]
    unit_id: uuid.UUID | None
    breakdown: str = "self"
    level: int = 1
    include_self: bool = True
    structure: str = "period"


def indicators_named(codes: Sequence[str]) -> list[Indicator]:
    chosen: list[Indicator] = []
    for raw in codes:
        for code in (c.strip() for c in raw.split(",")):
            if not code:
                continue
            if code not in BY_CODE:
                raise RuleViolation(
                    f"Unknown indicator {code!r}; GET /api/v1/indicators lists them ({', '.join(BY_CODE)}).",
                    code="unknown_indicator",
                )
            if BY_CODE[code] not in chosen:
                chosen.append(BY_CODE[code])
    if not chosen:
        raise RuleViolation(
            "Name at least one indicator (`indicator=members_rated_good,...`).", code="unknown_indicator"
        )
    return chosen


async def resolve_unit(conn: Querier, value: str | None, *, scope: Scope) -> uuid.UUID | None:
    """An organisation named by id or code, inside the scope (outside = missing: 404)."""
    if value is None:
        return None
    missing = NotFound(f"No organisation with id or code {value!r} exists.", code="organization_not_found")
    try:
        unit_id: uuid.UUID | None = uuid.UUID(value)
    except ValueError:
        unit_id = await db.find_unit_id(conn, value)
    if unit_id is None or await tree.find_placed(conn, unit_id, scope=scope, as_of=None) is None:
        raise missing  # outside the scope is the same as missing, and the answer names only what was sent
    return unit_id


def _percent(numerator: int, denominator: int) -> Decimal | None:
    if denominator == 0:
        return None
    return (Decimal(100 * numerator) / Decimal(denominator)).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


class _Figures:
    """Reads terms for one node from the fetched rows (a missing row is all zeros)."""

    def __init__(self, rows: dict[tuple[int, int], Any]) -> None:
        self.rows = rows

    def value(self, node: int, quarter: int, measure: str) -> int:
        row = self.rows.get((node, quarter))
        return int(row[measure]) if row is not None else 0

    def read(self, term: Term, period: Period, nodes: Sequence[int]) -> int:
        measure = term.measure_for(period.type)
        if term.read == "stock":
            return sum(self.value(n, period.last, measure) for n in nodes)
        if term.read == "previous_stock":
            return sum(self.value(n, period.first - 1, measure) for n in nodes)
        return sum(self.value(n, q, measure) for n in nodes for q in period.quarters)


def _target_view(target: Target | None, row: Any | None) -> dict[str, Any] | None:
    """The target an item is judged against, and where it came from: set on a unit (`organization`), carried by
    a plan (`plan`), or the catalogue's (`default`)."""
    entry = target_entry(target)
    if entry is None:
        return None
    return {
        **entry,
        "source": entry["source"] or None,
        "organization_id": row["organization_id"] if row is not None else None,
        "set_by": "default" if row is None else "plan" if row["plan_id"] is not None else "organization",
        "plan_id": row["plan_id"] if row is not None else None,
        "plan_code": row["plan_code"] if row is not None else None,
    }


def _precedence(row: Any) -> tuple[bool, int]:
    """On one unit: its own target first, then the plans' (the latest issued first)."""
    issued = row["plan_issued_on"]
    return (row["plan_id"] is not None, -(issued.toordinal() if issued else 0))


class _Targets:
    """The target of an indicator for a unit, year and period type: the unit's own (set directly, else carried
    by a plan), else the nearest unit's above it, else the catalogue's (Resolution 21). Each period type
    resolves on its own: a yearly target is no quarter's."""

    def __init__(self, rows: Sequence[Any]) -> None:
        self.by_key: dict[tuple[str, int], list[Any]] = {}
        for r in sorted(rows, key=_precedence):
            self.by_key.setdefault((r["indicator"], r["node"]), []).append(r)

    def find(self, indicator: Indicator, path: str | None, period: Period) -> tuple[Target | None, Any | None]:
        for node in reversed(nodes_of(path) if path else []):
            for r in self.by_key.get((indicator.code, node), []):
                target = Target(
                    Comparator(r["comparator"]),
                    r["value"],
                    r["value_high"],
                    r["year_from"],
                    r["year_to"],
                    r["note"] or "",
                    tuple(PeriodType(t) for t in r["period_types"]),
                )
                if target.covers(period.year, period.type):
                    return target, r
        default = indicator.default_target
        return (default, None) if default is not None and default.covers(period.year, period.type) else (None, None)


async def analytics(conn: Querier, *, scope: Scope, query: Query, today: date) -> list[dict[str, Any]]:
    """One item per indicator × period × unit (docs/indicators.md)."""
    periods = parse(list(query.periods), today=today, window=await db.quarter_window(conn))
    pairs = [(i, p) for i in query.indicators for p in periods if p.type in i.period_types]
    if not pairs:
        raise RuleViolation(
            f"{', '.join(i.code for i in query.indicators)} are not reported by "
            f"{' or '.join(sorted({p.type.value for p in periods}))}; GET /api/v1/indicators says "
            "which period types each indicator has.",
            code="period_type_not_supported",
        )
    if query.breakdown == "self":
        below: list[int] = []
    elif query.breakdown == "children":
        below = [1]
    else:
        below = [query.level]
    with_self = query.include_self or query.breakdown == "self"
    current = query.structure == "current"
    spans = [(today, today)] if current else [(p.start, p.end) for p in periods]
    if query.unit_id is not None:
        found = await db.units(conn, scope=scope, periods=spans, unit_id=query.unit_id, depths=sorted({0, *below}))
        if current and not any(str(u.id) == str(query.unit_id) for u in found):
            await tree.explain_absence(conn, query.unit_id, scope=scope, day=today, dissolved_too=False)
            raise RuleViolation(
                f"Organisation {query.unit_id} is not in today's tree (dissolved or merged); its "
                "history counts under the unit it went to: ask with structure=period, or for that "
                "unit.",
                code="not_in_current_tree",
            )
        if not with_self:
            found = [u for u in found if str(u.id) != str(query.unit_id)]
        roots: dict[int, list[db.Unit]] = {}
    else:
        # The scope's total is summed over its roots (disjoint subtrees), listed only when asked for.
        roots = {}
        for u in await db.units(conn, scope=scope, periods=spans, unit_id=None, depths=[1]):
            roots.setdefault(u.slot, []).append(u)
        found = await db.units(conn, scope=scope, periods=spans, unit_id=None, depths=below) if below else []
    slot_units: dict[int, list[db.Unit]] = {}
    for u in found:
        for slot in range(len(periods)) if current else [u.slot]:
            slot_units.setdefault(slot, []).append(u)
    nodes = {u.node for u in found} | {u.node for rs in roots.values() for u in rs}
    quarters = {q for p in periods for q in (*p.quarters, p.first - 1)}
    structure = "current" if current else "period"
    measures = sorted(
        {
            t.measure_for(p.type)
            for i in query.indicators
            for t in (i.numerator, i.denominator)
            if t is not None
            for p in periods
        }
    )
    figures = _Figures(
        await db.sums(conn, structure=structure, nodes=list(nodes), quarters=list(quarters), measures=measures)
        if measures
        else {}
    )
    ancestor_nodes = {n for u in found for n in nodes_of(u.path)}
    targets = _Targets(await targets_db.targets_for(conn, [i.code for i in query.indicators], list(ancestor_nodes)))
    items: list[dict[str, Any]] = []
    for indicator in query.indicators:
        for slot, period in enumerate(periods):
            if period.type not in indicator.period_types:
                continue  # a quarter of a yearly indicator: no item (DHIS2 leaves such cells empty too)
            rows: list[tuple[dict[str, Any], list[int], list[str], str | None]] = []
            if query.unit_id is None and with_self:
                scope_roots = roots.get(0 if current else slot, [])
                rows.append(
                    (
                        {
                            "organization_id": None,
                            "organization_code": None,
                            "organization_name": TOTAL_NAME,
                            "parent_id": None,
                            "depth": None,
                        },
                        [u.node for u in scope_roots],
                        [u.path for u in scope_roots],
                        None,
                    )
                )
            for u in slot_units.get(slot, []):
                rows.append(
                    (
                        {
                            "organization_id": u.id,
                            "organization_code": u.code,
                            "organization_name": u.name,
                            "parent_id": u.parent_id,
                            "depth": u.depth,
                        },
                        [u.node],
                        [u.path],
                        u.path,
                    )
                )
            for head, unit_nodes, _paths, path in rows:
                numerator = figures.read(indicator.numerator, period, unit_nodes)
                denominator = (
                    figures.read(indicator.denominator, period, unit_nodes) if indicator.denominator is not None else 0
                )
                if indicator.unit == Unit.number:
                    value: Decimal | None = Decimal(numerator)
                    shown_denominator: int | None = None
                else:
                    value = _percent(numerator, denominator)
                    shown_denominator = denominator
                target, set_on = targets.find(indicator, path, period)
                status = judge(value, target)
                items.append(
                    {
                        "indicator": indicator.code,
                        "period": period.id,
                        **head,
                        "numerator": numerator,
                        "denominator": shown_denominator,
                        "value": _number(value),
                        "unit": indicator.unit.value,
                        "target": _target_view(target, set_on),
                        "met": met(status),
                        "status": None if status is None else status.value,
                    }
                )
    return items


def _number(value: Decimal | None) -> int | float | None:
    if value is None:
        return None
    return int(value) if value == value.to_integral_value() else float(value)


def flat_cell(item: dict[str, Any]) -> dict[str, Any]:
    """An analytics cell in flat columns (the columns of its export): its target spread over three."""
    target = item["target"] or {}
    return {
        **{k: v for k, v in item.items() if k != "target"},
        "target_comparator": target.get("comparator"),
        "target_value": target.get("value"),
        "target_value_high": target.get("value_high"),
    }


# --- targets -------------------------------------------------------------------------------------------------------


PERIOD_TYPES = tuple(p.value for p in PeriodType)
