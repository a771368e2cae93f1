"""Small helpers for hand-written SQL on asyncpg."""

from typing import Any, TypeAlias

import asyncpg
import orjson

# A pool (each call takes and returns a connection) or one connection (a transaction's own reads).
Querier: TypeAlias = asyncpg.Pool | asyncpg.Connection


class Params:
    """Numbered parameters for asyncpg, added as a statement grows: `params(value)` → "$n"."""

    def __init__(self) -> None:
        self.values: list[object] = []

    def __call__(self, value: object) -> str:
        self.values.append(value)
        return f"${len(self.values)}"


async def planner_rows(conn: Any, sql: str, *args: object) -> float:
    """How many rows the planner expects `sql` to return (planning only, nothing is executed)."""
    plan = await conn.fetchval(f"EXPLAIN (FORMAT JSON) {sql}", *args)
    rows: float = orjson.loads(plan)[0]["Plan"]["Plan Rows"]
    return rows
