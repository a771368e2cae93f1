"""How a figure stands against its target, and how targets and catalogue entries are shown."""

from decimal import Decimal
from enum import StrEnum

from app.domain.indicators.catalogue import Comparator, Indicator, Target


class Status(StrEnum):
    """How a value stands against its target: a range (5–10 %) is met from its low end; above its high end is
    reported, not failed (issue 12)."""

    met = "met"
    above_range = "above_range"
    not_met = "not_met"


def judge(value: Decimal | None, target: Target | None) -> Status | None:
    """met / above_range / not_met; None without a target or a value. A range "5–10 %" means at least 5: above
    10 is reported as above the range, not as a failure."""
    if value is None or target is None:
        return None
    if target.comparator == Comparator.between:
        assert target.value_high is not None
        if value < target.value:
            return Status.not_met
        return Status.above_range if value > target.value_high else Status.met
    reached = {
        Comparator.gte: value >= target.value,
        Comparator.gt: value > target.value,
        Comparator.lte: value <= target.value,
        Comparator.lt: value < target.value,
    }[target.comparator]
    return Status.met if reached else Status.not_met


def met(status: Status | None) -> bool | None:
    """`met` beside `status`: true for met and above a range, null without a judgement."""
    return None if status is None else status != Status.not_met


def target_entry(target: Target | None) -> dict[str, object] | None:
    if target is None:
        return None
    return {
        "comparator": target.comparator.value,
        "value": float(target.value),
        "value_high": float(target.value_high) if target.value_high is not None else None,
        "year_from": target.year_from,
        "year_to": target.year_to,
        "period_types": [p.value for p in target.period_types],
        "source": target.source,
    }


def catalogue_entry(indicator: Indicator) -> dict[str, object]:
    target = indicator.default_target
    return {
        "code": indicator.code,
        "name": indicator.name_en,
        "name_vi": indicator.name_vi,
        "numerator": indicator.numerator_en,
        "numerator_vi": indicator.numerator_vi,
        "denominator": indicator.denominator_en,
        "denominator_vi": indicator.denominator_vi,
        "unit": indicator.unit.value,
        "period_types": [p.value for p in indicator.period_types],
        "direction": indicator.direction,
        "default_target": target_entry(target),
        "plan_default_target": target_entry(indicator.plan_default),
    }
