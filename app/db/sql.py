"""The one way SQL is written here: statements are hand-written text with named slots, composed from pieces, and
rendered once into asyncpg's numbered parameters.

    Sql("SELECT {doc} FROM members m WHERE m.id = {id}", doc=MEMBER_DOC, id=member_id)

A slot holds either another piece of SQL (spliced in: text written in this code base) or a value (always sent as
a parameter, never spliced into the text). A name used twice in one piece is one parameter. Literal braces are
doubled, as in str.format: `'{{}}'::text[]`. ARCHITECTURE.md says why this, rather than SQLAlchemy Core."""

import string
from collections.abc import AsyncIterator, Iterable, Sequence
from contextlib import asynccontextmanager
from functools import lru_cache
from typing import Any, Protocol, TypeAlias

import asyncpg
import orjson

# A pool (each call takes and returns a connection) or one connection (a transaction's own statements).
Querier: TypeAlias = asyncpg.Pool | asyncpg.Connection


class Record(Protocol):
    """What an asyncpg row offers: access by column name or position, never by attribute (asyncpg ships no type
    hints, so without this a `row.code` would pass the type checker and fail at run time)."""

    def __getitem__(self, key: str | int, /) -> Any: ...

    def get(self, key: str, default: Any = None, /) -> Any: ...

    def keys(self) -> Iterable[str]: ...

    def values(self) -> Iterable[Any]: ...

    def items(self) -> Iterable[tuple[str, Any]]: ...

    def __len__(self) -> int: ...


@lru_cache(maxsize=4096)
def _parsed(template: str) -> tuple[tuple[str, str | None], ...]:
    return tuple((literal, field) for literal, field, _, _ in string.Formatter().parse(template))


class Sql:
    """A piece of SQL: text with named slots, each filled by a value or by another piece."""

    __slots__ = ("args", "template")

    def __init__(self, template: str, /, **args: object) -> None:
        self.template = template
        self.args = args

    @staticmethod
    def join(separator: str, parts: Iterable["Sql"]) -> "Sql":
        pieces = list(parts)
        names = [f"p{i}" for i in range(len(pieces))]
        return Sql(separator.join("{" + n + "}" for n in names), **dict(zip(names, pieces, strict=True)))

    @staticmethod
    def all(conditions: Sequence["Sql"]) -> "Sql":
        """The conditions joined by AND (TRUE when there are none)."""
        return Sql.join(" AND ", conditions) if conditions else Sql("TRUE")

    def _render(self, values: list[object]) -> str:
        numbered: dict[str, str] = {}
        out: list[str] = []
        for literal, field in _parsed(self.template):
            out.append(literal)
            if field is None:
                continue
            if field not in self.args:
                raise KeyError(f"no value for {{{field}}} in {self.template[:80]!r}")
            value = self.args[field]
            if isinstance(value, Sql):
                out.append(value._render(values))
            else:
                if field not in numbered:
                    values.append(value)
                    numbered[field] = f"${len(values)}"
                out.append(numbered[field])
        return "".join(out)

    def render(self) -> tuple[str, list[object]]:
        """(text with $1…$n, the values in that order)."""
        values: list[object] = []
        return self._render(values), values

    def __repr__(self) -> str:
        text, values = self.render()
        return f"Sql({text!r}, {values!r})"


async def fetch(conn: Querier, sql: Sql) -> list[Record]:
    text, values = sql.render()
    rows: list[Record] = await conn.fetch(text, *values)
    return rows


async def fetchrow(conn: Querier, sql: Sql) -> Record | None:
    text, values = sql.render()
    row: Record | None = await conn.fetchrow(text, *values)
    return row


async def fetchval(conn: Querier, sql: Sql) -> Any:
    text, values = sql.render()
    return await conn.fetchval(text, *values)


async def execute(conn: Querier, sql: Sql) -> str:
    text, values = sql.render()
    status: str = await conn.execute(text, *values)
    return status


async def count_rows(conn: Querier, sql: Sql) -> int:
    """How many rows `sql` gives (an export's audit entry counts them in the export's own snapshot)."""
    count: int = await fetchval(conn, Sql("SELECT count(*) FROM ({query}) counted", query=sql))
    return count


async def estimated_rows(conn: Querier, sql: Sql) -> float:
    """How many rows the planner expects `sql` to return (planning only, nothing is executed)."""
    plan = await fetchval(conn, Sql("EXPLAIN (FORMAT JSON) {query}", query=sql))
    rows: float = orjson.loads(plan)[0]["Plan"]["Plan Rows"]
    return rows


@asynccontextmanager
async def snapshot(pool: asyncpg.Pool) -> AsyncIterator[asyncpg.Connection]:
    """A connection of its own in a REPEATABLE READ READ ONLY transaction: every statement on it sees the database
    as it stood at the first one (an export of a province is one state of it, whatever commits meanwhile)."""
    async with pool.acquire() as conn, conn.transaction(isolation="repeatable_read", readonly=True):
        yield conn


async def stream(conn: asyncpg.Connection, sql: Sql, *, prefetch: int = 1000) -> AsyncIterator[Record]:
    """The rows of `sql` pulled `prefetch` at a time from a server-side cursor (needs a transaction): memory holds
    one batch, whatever the result's size."""
    text, values = sql.render()
    async for row in conn.cursor(text, *values, prefetch=prefetch):
        yield row
