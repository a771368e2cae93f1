"""Targets set on units for ranges of years and period types, directly or by a plan."""

import uuid
from collections.abc import Sequence
from decimal import Decimal

import asyncpg

from app.db.scope import Scope, path_in_scope, scope_ranges, with_ctes
from app.db.sql import Querier, Record, Sql, execute, fetch, fetchrow, fetchval

_TARGET = Sql(
    """SELECT t.id, t.version, t.indicator, t.organization_id, o.node, o.code AS organization_code, t.year_from,
    t.year_to, t.comparator, t.value, t.value_high, t.period_types, t.plan_id, pl.code AS plan_code,
    pl.issued_on AS plan_issued_on, t.note, t.created_at, t.origin = 'plan_text' AS from_plan_text
    FROM indicator_targets t JOIN organizations o ON o.id = t.organization_id
    LEFT JOIN plans pl ON pl.id = t.plan_id"""
)


async def targets_for(conn: Querier, indicators: Sequence[str], nodes: Sequence[int]) -> list[Record]:
    """Targets of these indicators set on any of these units."""
    return await fetch(
        conn,
        Sql(
            "{target} WHERE t.indicator = ANY({indicators}::text[]) AND o.node = ANY({nodes}::bigint[])",
            target=_TARGET,
            indicators=list(indicators),
            nodes=list(set(nodes)),
        ),
    )


async def list_targets(
    conn: Querier, *, scope: Scope, indicator: str, organization_id: uuid.UUID | None
) -> list[Record]:
    where = [Sql("t.indicator = {indicator}", indicator=indicator), path_in_scope(scope, "lp.path")]
    if organization_id is not None:
        where.append(Sql("t.organization_id = {org}", org=organization_id))
    return await fetch(
        conn,
        Sql(
            "{with_} {target} JOIN organization_placements lp ON lp.organization_id = o.id AND lp.latest "
            "WHERE {where} ORDER BY lp.path, t.plan_id NULLS FIRST, t.year_from",
            with_=with_ctes(scope_ranges(scope, None)),
            target=_TARGET,
            where=Sql.all(where),
        ),
    )


async def get_target(conn: Querier, target_id: uuid.UUID) -> Record | None:
    return await fetchrow(conn, Sql("{target} WHERE t.id = {id}", target=_TARGET, id=target_id))


async def overlapping_target(
    conn: Querier,
    *,
    indicator: str,
    organization_id: uuid.UUID,
    year_from: int,
    year_to: int | None,
    period_types: Sequence[str],
    plan_id: uuid.UUID | None,
) -> Record | None:
    """A target of the same source (the unit itself, or the same plan) for some of the same years and period
    types."""
    return await fetchrow(
        conn,
        Sql(
            "SELECT id, year_from, year_to, plan_id FROM indicator_targets WHERE indicator = {indicator} "
            "AND organization_id = {org} AND int4range(year_from, year_to, '[]') && int4range({low}, {high}, '[]') "
            "AND period_types && {types}::text[] AND plan_id IS NOT DISTINCT FROM {plan}::uuid LIMIT 1",
            indicator=indicator,
            org=organization_id,
            low=year_from,
            high=year_to,
            types=list(period_types),
            plan=plan_id,
        ),
    )


async def insert_target(
    conn: asyncpg.Connection,
    *,
    indicator: str,
    organization_id: uuid.UUID,
    year_from: int,
    year_to: int | None,
    comparator: str,
    value: Decimal,
    value_high: Decimal | None,
    note: str | None,
    period_types: Sequence[str],
    plan_id: uuid.UUID | None,
    origin: str = "request",
) -> uuid.UUID:
    target_id: uuid.UUID = await fetchval(
        conn,
        Sql(
            "INSERT INTO indicator_targets (indicator, organization_id, year_from, year_to, comparator, value, "
            "value_high, note, period_types, plan_id, origin) VALUES ({indicator}, {org}, {year_from}, {year_to}, "
            "{comparator}, {value}, {value_high}, {note}, {types}::text[], {plan}, {origin}) RETURNING id",
            indicator=indicator,
            org=organization_id,
            year_from=year_from,
            year_to=year_to,
            comparator=comparator,
            value=value,
            value_high=value_high,
            note=note,
            types=list(period_types),
            plan=plan_id,
            origin=origin,
        ),
    )
    return target_id


async def delete_target(conn: asyncpg.Connection, target_id: uuid.UUID) -> None:
    await execute(conn, Sql("DELETE FROM indicator_targets WHERE id = {id}", id=target_id))


async def plan_targets(conn: Querier, plan_id: uuid.UUID) -> list[Record]:
    return await fetch(
        conn, Sql("{target} WHERE t.plan_id = {plan} ORDER BY t.indicator, t.year_from", target=_TARGET, plan=plan_id)
    )


async def delete_plan_targets(conn: asyncpg.Connection, plan_id: uuid.UUID, *, overriding: Sequence[str]) -> None:
    """The plan's targets set by a request, and those read from its text for the indicators in `overriding`."""
    await execute(
        conn,
        Sql(
            "DELETE FROM indicator_targets WHERE plan_id = {plan} "
            "AND (origin <> 'plan_text' OR indicator = ANY({overriding}::text[]))",
            plan=plan_id,
            overriding=list(overriding),
        ),
    )
