"""What an export is (a file name, a media type, a body that reads and writes as it is sent) and how it is named:
`<what>_<place>_<day>.<format>`, the place being the unit asked for (`within`, `organization_id`), else the
caller's scope (its root's code), else `all`."""

import re
import unicodedata
import uuid
from collections.abc import AsyncGenerator, AsyncIterator, Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import date

import asyncpg

from app.db.organizations.exports import code_of
from app.db.scope import Scope
from app.db.sql import Querier, snapshot
from app.domain.access.callers import Caller
from app.domain.audit import service as audit
from app.domain.exports.columns import Headers
from app.domain.exports.writers import MEDIA, Field, Format, Row, write


@dataclass(frozen=True)
class Export:
    filename: str
    media_type: str
    body: AsyncGenerator[bytes]


@dataclass(frozen=True)
class Wanted:
    """What a caller asked of an export: the format, the headers (`vi`/`en`), and the day and request it is of."""

    fmt: Format
    headers: Headers
    today: date
    request_id: str | None

    @property
    def header_words(self) -> Headers:
        """NDJSON always has the API's names and codes."""
        return "en" if self.fmt == "ndjson" else self.headers


@dataclass(frozen=True)
class SensitiveRead:
    """A person's export of personal columns is one `read_sensitive` audit entry (what, which file, how many rows),
    written before the first row leaves, with the count taken in the export's own snapshot."""

    caller: Caller
    entity: str
    count: Callable[[asyncpg.Connection], Awaitable[int]]


def export(
    pool: asyncpg.Pool,
    *,
    name: str,
    wanted: Wanted,
    fields: Sequence[Field],
    title: str,
    rows: Callable[[asyncpg.Connection], AsyncIterator[Row]],
    sensitive: SensitiveRead | None = None,
) -> Export:
    """The export of any list: `rows` is read when the body is iterated, on a connection of its own in one
    REPEATABLE READ READ ONLY snapshot (app/db/sql.py `snapshot`), and written as it arrives."""

    async def snapshot_rows() -> AsyncGenerator[Row]:
        async with snapshot(pool) as conn:
            if sensitive is not None and sensitive.caller.pii and sensitive.caller.kind == "jwt":
                count = await sensitive.count(conn)
                await audit.record_sensitive_export(
                    pool,
                    sensitive.caller,
                    request_id=wanted.request_id,
                    entity=sensitive.entity,
                    details={"export": wanted.fmt, "count": count, "file": name},
                )
            async for row in rows(conn):
                yield row

    return Export(
        filename=name, media_type=MEDIA[wanted.fmt], body=write(wanted.fmt, fields, snapshot_rows(), title=title)
    )


async def export_figures(
    pool: asyncpg.Pool,
    *,
    name: str,
    wanted: Wanted,
    fields: Sequence[Field],
    title: str,
    compute: Callable[[asyncpg.Connection], Awaitable[list[Row]]],
) -> Export:
    """The export of figures (indicator analytics, statistics): a few hundred rows at most, computed now, in one
    snapshot, so that any problem with the question is answered before a byte is sent; then written as they are."""
    async with snapshot(pool) as conn:
        computed = await compute(conn)

    async def rows() -> AsyncGenerator[Row]:
        for row in computed:
            yield row

    return Export(filename=name, media_type=MEDIA[wanted.fmt], body=write(wanted.fmt, fields, rows(), title=title))


def file_name(what: str, place: str, day: date, extension: str) -> str:
    return f"{what}_{place}_{day.isoformat()}.{extension}"


async def place_name(conn: Querier, *, scope: Scope, unit: uuid.UUID | None) -> str:
    """The code of the unit asked for, or of the scope's one root, made safe for a file name (a code such as
    "86-KH/TU" must not make a path of it)."""
    if unit is None and scope.roots is not None and len(scope.roots) == 1:
        unit = scope.roots[0]
    code = await code_of(conn, unit) if unit is not None else None
    if code is None:
        return "all" if unit is None else str(unit)
    return safe_name(code) or str(unit)


def safe_name(code: str) -> str:
    """A code as a part of a file name: without accents (Đ as D), then letters, digits, `.` and `-` only."""
    plain = unicodedata.normalize("NFD", code.replace("đ", "d").replace("Đ", "D"))
    plain = "".join(c for c in plain if not unicodedata.combining(c))
    return re.sub(r"[^A-Za-z0-9.-]+", "-", plain).strip("-.")
