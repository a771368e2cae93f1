"""Indicator targets: what a unit aims at for an indicator over some years (DHIS2's targets), with their rules."""

import uuid
from decimal import Decimal
from typing import Any

from app.db.indicators import targets as targets_db
from app.db.scope import Scope
from app.db.sql import Querier
from app.domain.access.callers import Actor
from app.domain.audit import service as audit
from app.domain.errors import Conflict, NotFound, RuleViolation
from app.domain.indicators.catalogue import BY_CODE, Comparator
from app.domain.organizations import tree
from app.domain.organizations.changes import guard
from app.domain.tx import Tx


def target_doc(row: Any) -> dict[str, Any]:
    return {
        "id": row["id"],
        "indicator": row["indicator"],
        "organization_id": row["organization_id"],
        "organization_code": row["organization_code"],
        "year_from": row["year_from"],
        "year_to": row["year_to"],
        "comparator": row["comparator"],
        "value": float(row["value"]),
        "value_high": float(row["value_high"]) if row["value_high"] is not None else None,
        "note": row["note"],
        "created_at": row["created_at"],
    }


async def list_targets(
    conn: Querier, *, scope: Scope, indicator: str, organization_id: uuid.UUID | None
) -> list[dict[str, Any]]:
    if indicator not in BY_CODE:
        raise NotFound(f"No indicator {indicator!r}; GET /api/v1/indicators lists them.", code="indicator_not_found")
    return [
        target_doc(r)
        for r in await targets_db.list_targets(conn, scope=scope, indicator=indicator, organization_id=organization_id)
    ]


async def set_target(
    tx: Tx,
    *,
    actor: Actor,
    scope: Scope,
    indicator: str,
    organization_id: uuid.UUID,
    year_from: int,
    year_to: int | None,
    comparator: Comparator,
    value: Decimal,
    value_high: Decimal | None,
    note: str | None,
) -> dict[str, Any]:
    if indicator not in BY_CODE:
        raise NotFound(f"No indicator {indicator!r}; GET /api/v1/indicators lists them.", code="indicator_not_found")
    conn = tx.conn
    await tree.placed(conn, organization_id, scope=scope, as_of=None)
    await guard(tx, scope, organization_id)
    if (comparator == Comparator.between) != (value_high is not None):
        raise RuleViolation(
            "`value_high` goes with comparator `between` (a range such as 5–10 %), and only with it.",
            code="target_range",
        )
    if value_high is not None and value_high < value:
        raise RuleViolation(
            f"The range {value}–{value_high} is empty: value_high must be at least value.", code="target_range"
        )
    if year_to is not None and year_to < year_from:
        raise RuleViolation(f"year_to ({year_to}) is before year_from ({year_from}).", code="target_years")
    clash = await targets_db.overlapping_target(
        tx.conn,
        indicator=indicator,
        organization_id=organization_id,
        year_from=year_from,
        year_to=year_to,
        except_id=None,
    )
    if clash is not None:
        raise Conflict(
            f"This organisation already has a target for {indicator} over "
            f"{clash['year_from']}–{clash['year_to'] or '…'} (target {clash['id']}); "
            "delete it first or choose other years.",
            code="target_overlaps",
        )
    target_id = await targets_db.insert_target(
        tx.conn,
        indicator=indicator,
        organization_id=organization_id,
        year_from=year_from,
        year_to=year_to,
        comparator=comparator.value,
        value=value,
        value_high=value_high,
        note=note,
    )
    row = await targets_db.get_target(conn, target_id)
    doc = target_doc(row)
    await audit.record(
        tx,
        actor,
        action="create",
        entity="indicator_target",
        entity_id=target_id,
        organization_id=organization_id,
        before=None,
        after=doc,
    )
    return doc


async def delete_target(tx: Tx, *, actor: Actor, scope: Scope, indicator: str, target_id: uuid.UUID) -> None:
    conn = tx.conn
    row = await targets_db.get_target(conn, target_id)
    if row is None or row["indicator"] != indicator:
        raise NotFound(f"No target {target_id} for {indicator}.", code="target_not_found")
    try:
        await tree.placed(conn, row["organization_id"], scope=scope, as_of=None)
    except NotFound:
        raise NotFound(f"No target {target_id} for {indicator}.", code="target_not_found") from None
    await guard(tx, scope, row["organization_id"])
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
