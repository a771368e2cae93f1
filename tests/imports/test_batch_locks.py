"""The set-based member import keeps the guarantee of the per-row path: creators of one name and birth date are
serialised until commit (the duplicate rule has no constraint to lean on), with a bounded number of locks."""

import asyncio
import csv
import io
import uuid
from datetime import date
from typing import Any

import asyncpg
import httpx

from app.api.imports.checks import check_member_row
from app.db.scope import Scope
from app.domain.access.callers import Actor, Caller, Role
from app.domain.imports import columns, files, members
from app.domain.imports.report import Report
from app.domain.tx import Tx

CSV = "text/csv"
OPTIONS = members.Options(
    mode="commit", atomic=False, allow_same_name=False, today=date(2026, 6, 1), min_age=18, probation_months=12
)
HEADER = ["full_name", "gender", "birth_date", "status", "organization", "admission_decision_date"]


def rows_of(people: list[tuple[str, str]]) -> list[columns.MemberRow]:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(HEADER)
    writer.writerows([name, "Nam", born, "official", "A-DU-CB", "2015-03-02"] for name, born in people)
    return columns.member_rows(files.read_table(out.getvalue().encode(), CSV, max_rows=100_000))


async def imported(conn: asyncpg.Connection, scope: Scope, rows: list[columns.MemberRow]) -> Report:
    report = members.new_report(OPTIONS, CSV)
    caller = Caller(kind="key", id="importer", name="Importer", role=Role.editor, scopes=scope.roots or ())
    await members.run_rows(
        Tx(conn=conn),
        actor=Actor(caller=caller),
        scope=scope,
        rows=rows,
        check=check_member_row,
        options=OPTIONS,
        report=report,
    )
    return report


async def test_a_second_creator_of_the_same_person_waits_for_the_import(
    client: httpx.AsyncClient, communes: dict[str, Any], db_pool: asyncpg.Pool
) -> None:
    scope = Scope(roots=(uuid.UUID(communes["A"]["id"]),))
    first, second = await db_pool.acquire(), await db_pool.acquire()
    try:
        one = first.transaction()
        await one.start()
        report = await imported(first, scope, rows_of([("Phạm Thị Hoa", "1980-04-05")]))
        assert report.counts.created == 1
        two = second.transaction()
        await two.start()
        # The same person, spelled without accents: the same folded name, the same lock.
        waiting = asyncio.create_task(imported(second, scope, rows_of([("Pham Thi Hoa", "1980-04-05")])))
        await asyncio.sleep(0.5)
        assert not waiting.done()  # held by the import's lock until it commits
        await one.commit()
        late = await asyncio.wait_for(waiting, 10)
        await two.rollback()
    finally:
        await db_pool.release(first)
        await db_pool.release(second)
    assert late.counts.failed == 1
    assert [e.rule for e in late.errors] == ["possible_duplicate"]


async def test_a_large_import_holds_a_bounded_number_of_locks(
    client: httpx.AsyncClient, communes: dict[str, Any], db_pool: asyncpg.Pool
) -> None:
    scope = Scope(roots=(uuid.UUID(communes["A"]["id"]),))
    people = [(f"Người Số {i}", f"19{50 + i % 40}-0{1 + i % 9}-1{i % 9}") for i in range(3000)]
    async with db_pool.acquire() as conn:
        txn = conn.transaction()
        await txn.start()
        try:
            report = await imported(conn, scope, rows_of(people))
            held = await conn.fetchval(
                "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND pid = pg_backend_pid() "
                "AND classid = 7365101"
            )
        finally:
            await txn.rollback()
    assert report.counts.created == 3000
    assert 900 < held <= 1024
