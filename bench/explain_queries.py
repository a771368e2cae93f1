"""EXPLAIN (ANALYZE, BUFFERS) of the service's hot reads on the benchmark database.

The SQL is the service's own: app.db.organizations builds it (through a querier that records instead of
running), so this follows the code as it changes. Each query is explained twice: with the custom plan PostgreSQL
makes for the given values, and with the generic plan a prepared statement (asyncpg prepares every query) may
switch to after five executions.

Run: `.venv/bin/python bench/explain_queries.py postgresql://…/coso_bench` (after bench/org_tree.py loaded it).
"""

import argparse
import asyncio
import uuid
from datetime import date
from typing import Any

import asyncpg

from app.db.organizations import reads as queries
from app.db.scope import WHOLE_TREE, Scope


class Recorder:
    """Stands in for a pool: remembers the SQL and parameters of the last call, returns nothing."""

    def __init__(self) -> None:
        self.sql = ""
        self.args: tuple[Any, ...] = ()

    async def fetch(self, sql: str, *args: Any) -> list[Any]:
        self.sql, self.args = sql, args
        return []

    async def fetchrow(self, sql: str, *args: Any) -> None:
        self.sql, self.args = sql, args

    async def fetchval(self, sql: str, *args: Any) -> Any:
        """A search first asks the planner how many rows a pattern matches: say "few" (the trigram plan)."""
        if sql.startswith("EXPLAIN"):
            return '[{"Plan": {"Plan Rows": 10}}]'
        self.sql, self.args = sql, args
        return None


async def _statements(conn: asyncpg.Connection) -> dict[str, tuple[str, tuple[Any, ...]]]:
    """The hot reads of the benchmark, for units picked the same way as bench/org_tree.py picks them."""
    province = await conn.fetchrow(
        "SELECT o.id, p.path FROM organizations o JOIN organization_placements p "
        "ON p.organization_id = o.id WHERE o.kind = 'provincial_committee' "
        "ORDER BY o.code LIMIT 1"
    )
    leaf = await conn.fetchrow(
        "SELECT o.id, p.path FROM organizations o JOIN organization_placements p "
        "ON p.organization_id = o.id WHERE o.kind = 'party_group' ORDER BY o.code LIMIT 1"
    )
    record = Recorder()
    found: dict[str, tuple[str, tuple[Any, ...]]] = {}
    everything, one_province = WHOLE_TREE, Scope(roots=(province["id"],))

    async def take(name: str, call: Any) -> None:
        await call
        found[name] = (record.sql, record.args)

    await take("by id", queries.get_organization(record, scope=everything, as_of=None, org_id=leaf["id"]))
    await take(
        "placed (first query of subtree/ancestors/within)",
        queries.get_placed(record, leaf["id"], scope=everything, as_of=None),
    )
    await take(
        "subtree page 1 of a province",
        queries.list_organizations(record, queries.ListQuery(within_path=province["path"], limit=51), scope=everything),
    )
    await take(
        "subtree page 1 of a province, as_of",
        queries.list_organizations(
            record, queries.ListQuery(within_path=province["path"], as_of=date(2025, 1, 1), limit=51), scope=everything
        ),
    )
    await take(
        "subtree page 1 of a province, key scoped to it",
        queries.list_organizations(
            record, queries.ListQuery(within_path=province["path"], limit=51), scope=one_province
        ),
    )
    await take("ancestors of a party group", queries.ancestors(record, leaf["path"], scope=everything, as_of=None))
    for q in ("nguyen trai", "xa an", "chi bo"):
        await take(
            f"search q={q!r}", queries.list_organizations(record, queries.ListQuery(q=q, limit=51), scope=everything)
        )
    await take(
        "search q='nguyen trai' within a province",
        queries.list_organizations(
            record, queries.ListQuery(q="nguyen trai", within_path=province["path"], limit=51), scope=everything
        ),
    )
    await take(
        "search q='xa an', key scoped to a province",
        queries.list_organizations(record, queries.ListQuery(q="xa an", limit=51), scope=one_province),
    )
    return found


def _literal(value: Any) -> str:
    if isinstance(value, list):  # an untyped array literal: PostgreSQL coerces it to the parameter's type
        return "'{" + ",".join('"' + str(v).replace('"', '\\"') + '"' for v in value) + "}'"
    if isinstance(value, int):
        return str(value)
    if value is None:
        return "NULL"
    text = str(value) if isinstance(value, (str, uuid.UUID, date)) else repr(value)
    return "'" + text.replace("'", "''") + "'"


async def explain(dsn: str) -> None:
    conn = await asyncpg.connect(dsn, statement_cache_size=0)
    try:
        for number, (name, (sql, args)) in enumerate((await _statements(conn)).items()):
            print(f"\n=== {name}\n{sql}\n-- parameters: {list(map(str, args))}")
            for mode in ("force_custom_plan", "force_generic_plan"):
                await conn.execute(f"SET plan_cache_mode = {mode}")
                statement = f"hot_{number}_{mode}"
                # A named prepared statement, as asyncpg uses: EXPLAIN EXECUTE shows the plan it really runs.
                types = await conn.fetch(
                    "SELECT format_type(t, NULL) FROM unnest($1::oid[]) t",
                    [p.oid for p in (await conn.prepare(sql)).get_parameters()],
                )
                await conn.execute(f"PREPARE {statement}({', '.join(t[0] for t in types)}) AS {sql}")
                values = ", ".join(_literal(a) for a in args)
                plan = await conn.fetch(f"EXPLAIN (ANALYZE, BUFFERS) EXECUTE {statement}({values})")
                print(f"-- {mode}:")
                print("\n".join(r[0] for r in plan))
    finally:
        await conn.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("dsn")
    asyncio.run(explain(parser.parse_args().dsn))


if __name__ == "__main__":
    main()
