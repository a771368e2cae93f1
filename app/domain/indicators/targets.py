"""Indicator targets: what a unit aims at for an indicator over some years and period types (DHIS2's targets),
set on the unit directly or carried by a plan, with their rules."""

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from app.db.indicators import targets as targets_db
from app.db.scope import Scope
from app.db.sql import Querier
from app.domain.access.callers import Actor
from app.domain.audit import service as audit
from app.domain.errors import Conflict, NotFound, RuleViolation
from app.domain.indicators.catalogue import BY_CODE, Comparator, PeriodType
from app.domain.organizations import tree
from app.domain.organizations.changes import guard
from app.domain.plans.plans import read_plan
from app.domain.tx import Tx
from app.domain.versions import check_version, count_change


@dataclass(frozen=True)
class TargetSpec:
    """A target to set. For a plan, comparator and value may be left out: the catalogue's plan default for the
    indicator (seed 004) is carried then."""

    indicator: str
    comparator: Comparator | None = None
    value: Decimal | None = None
    value_high: Decimal | None = None
    year_from: int | None = None
    year_to: int | None = None
    period_types: tuple[PeriodType, ...] | None = None
    note: str | None = None


def target_doc(row: Any) -> dict[str, Any]:
    return {
        "id": row["id"],
        "indicator": row["indicator"],
        "organization_id": row["organization_id"],
        "organization_code": row["organization_code"],
        "year_from": row["year_from"],
        "year_to": row["year_to"],
        "period_types": list(row["period_types"]),
        "comparator": row["comparator"],
        "value": float(row["value"]),
        "value_high": float(row["value_high"]) if row["value_high"] is not None else None,
        "set_by": "plan" if row["plan_id"] is not None else "organization",
        "source": "plan_text" if row["from_plan_text"] else "request",
        "plan_id": row["plan_id"],
        "plan_code": row["plan_code"],
        "note": row["note"],
        "created_at": row["created_at"],
        "version": row["version"],
    }


def _known(indicator: str) -> None:
    if indicator not in BY_CODE:
        raise NotFound(f"No indicator {indicator!r}; GET /api/v1/indicators lists them.", code="indicator_not_found")


async def list_targets(
    conn: Querier, *, scope: Scope, indicator: str, organization_id: uuid.UUID | None
) -> list[dict[str, Any]]:
    _known(indicator)
    return [
        target_doc(r)
        for r in await targets_db.list_targets(conn, scope=scope, indicator=indicator, organization_id=organization_id)
    ]


def _complete(spec: TargetSpec, *, from_plan: bool) -> TargetSpec:
    """The spec with the plan default filled in (a plan naming an indicator without figures), checked."""
    indicator = BY_CODE.get(spec.indicator)
    if indicator is None:
        raise RuleViolation(
            f"Unknown indicator {spec.indicator!r}; GET /api/v1/indicators lists them.", code="unknown_indicator"
        )
    if spec.comparator is None or spec.value is None:
        default = indicator.plan_default if from_plan else None
        if default is None or spec.comparator is not None or spec.value is not None:
            raise RuleViolation(
                f"A target for {spec.indicator} needs `comparator` and `value`"
                + ("" if default is None else " (or neither, to carry the plan default)")
                + ".",
                code="target_incomplete",
            )
        spec = TargetSpec(
            indicator=spec.indicator,
            comparator=default.comparator,
            value=default.value,
            value_high=default.value_high,
            year_from=spec.year_from or default.year_from,
            year_to=spec.year_to if spec.year_from else default.year_to,
            period_types=spec.period_types or default.period_types,
            note=spec.note or default.source,
        )
    if spec.year_from is None:
        raise RuleViolation(f"A target for {spec.indicator} needs `year_from`.", code="target_incomplete")
    if (spec.comparator == Comparator.between) != (spec.value_high is not None):
        raise RuleViolation(
            "`value_high` goes with comparator `between` (a range such as 5–10 %), and only with it.",
            code="target_range",
        )
    if spec.value_high is not None and spec.value is not None and spec.value_high < spec.value:
        raise RuleViolation(
            f"The range {spec.value}–{spec.value_high} is empty: value_high must be at least value.",
            code="target_range",
        )
    if spec.year_to is not None and spec.year_to < spec.year_from:
        raise RuleViolation(f"year_to ({spec.year_to}) is before year_from ({spec.year_from}).", code="target_years")
    types = spec.period_types or (PeriodType.year,)
    unsupported = [t.value for t in types if t not in indicator.period_types]
    if unsupported:
        raise RuleViolation(
            f"{spec.indicator} is not reported by {', '.join(unsupported)}: a target cannot apply to it.",
            code="target_period_types",
        )
    return TargetSpec(
        spec.indicator,
        spec.comparator,
        spec.value,
        spec.value_high,
        spec.year_from,
        spec.year_to,
        tuple(dict.fromkeys(types)),
        spec.note,
    )


async def insert_target(
    tx: Tx, *, spec: TargetSpec, organization_id: uuid.UUID, plan_id: uuid.UUID | None, origin: str = "request"
) -> dict[str, Any]:
    """A target of the unit (`plan_id` None) or of a plan; `origin` says whether a request set it or the plan's text
    stated it (`plan_text`)."""
    assert spec.comparator is not None and spec.value is not None and spec.year_from is not None
    types = [t.value for t in spec.period_types or ()]
    clash = await targets_db.overlapping_target(
        tx.conn,
        indicator=spec.indicator,
        organization_id=organization_id,
        year_from=spec.year_from,
        year_to=spec.year_to,
        period_types=types,
        plan_id=plan_id,
    )
    if clash is not None:
        where = "This plan" if plan_id is not None else "This organisation"
        raise Conflict(
            f"{where} already has a target for {spec.indicator} over "
            f"{clash['year_from']}–{clash['year_to'] or '…'} for the same period types (target {clash['id']}); "
            "delete it first or choose other years.",
            code="target_overlaps",
        )
    target_id = await targets_db.insert_target(
        tx.conn,
        indicator=spec.indicator,
        organization_id=organization_id,
        year_from=spec.year_from,
        year_to=spec.year_to,
        comparator=spec.comparator.value,
        value=spec.value,
        value_high=spec.value_high,
        note=spec.note,
        period_types=types,
        plan_id=plan_id,
        origin=origin,
    )
    return target_doc(await targets_db.get_target(tx.conn, target_id))


async def set_target(
    tx: Tx, *, actor: Actor, scope: Scope, organization_id: uuid.UUID, spec: TargetSpec
) -> dict[str, Any]:
    _known(spec.indicator)
    await tree.placed(tx.conn, organization_id, scope=scope, as_of=None)
    await guard(tx, scope, organization_id)
    doc = await insert_target(tx, spec=_complete(spec, from_plan=False), organization_id=organization_id, plan_id=None)
    await audit.record(
        tx,
        actor,
        action="create",
        entity="indicator_target",
        entity_id=doc["id"],
        organization_id=organization_id,
        before=None,
        after=doc,
    )
    return doc


async def plan_targets(conn: Querier, *, scope: Scope, plan_id: uuid.UUID) -> list[dict[str, Any]]:
    await read_plan(conn, scope=scope, plan_id=plan_id)
    return [target_doc(r) for r in await targets_db.plan_targets(conn, plan_id)]


async def set_plan_targets(
    tx: Tx,
    *,
    actor: Actor,
    scope: Scope,
    plan_id: uuid.UUID,
    specs: Sequence[TargetSpec],
    expected_version: int | None = None,
) -> list[dict[str, Any]]:
    """Replace the targets a plan carries (set on the plan's organisation, for every unit below it that has no
    target of its own) and answer all of them. The targets read from the plan's text when it was imported stay,
    except those of an indicator the request names: its figures override the text's (docs/plans.md)."""
    plan = await read_plan(tx.conn, scope=scope, plan_id=plan_id)
    await guard(
        tx,
        scope,
        plan["organization_id"],
        missing=NotFound(f"No plan with id {plan_id} exists.", code="plan_not_found"),
    )
    await check_version(tx, "plans", plan_id, expected_version, f"Plan {plan['code'] or plan_id}")
    complete = [_complete(s, from_plan=True) for s in specs]
    before = [target_doc(r) for r in await targets_db.plan_targets(tx.conn, plan_id)]
    await targets_db.delete_plan_targets(tx.conn, plan_id, overriding=sorted({s.indicator for s in complete}))
    for spec in complete:
        await insert_target(tx, spec=spec, organization_id=plan["organization_id"], plan_id=plan_id)
    after = [target_doc(r) for r in await targets_db.plan_targets(tx.conn, plan_id)]
    await count_change(tx, "plans", plan_id)
    await audit.record(
        tx,
        actor,
        action="update",
        entity="plan_targets",
        entity_id=plan_id,
        organization_id=plan["organization_id"],
        before={"targets": before},
        after={"targets": after},
    )
    return after


async def delete_target(
    tx: Tx, *, actor: Actor, scope: Scope, indicator: str, target_id: uuid.UUID, expected_version: int | None = None
) -> None:
    conn = tx.conn
    row = await targets_db.get_target(conn, target_id)
    if row is None or row["indicator"] != indicator:
        raise NotFound(f"No target {target_id} for {indicator}.", code="target_not_found")
    try:
        await tree.placed(conn, row["organization_id"], scope=scope, as_of=None)
    except NotFound:
        raise NotFound(f"No target {target_id} for {indicator}.", code="target_not_found") from None
    await guard(tx, scope, row["organization_id"])
    await check_version(tx, "indicator_targets", target_id, expected_version, "The target")
    await targets_db.delete_target(tx.conn, target_id)
    await audit.record(
        tx,
        actor,
        action="delete",
        entity="indicator_target",
        entity_id=target_id,
        organization_id=row["organization_id"],
        before=target_doc(row),
        after=None,
    )
