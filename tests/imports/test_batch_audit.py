"""The audit entries of the set-based import: digested as coso_audit_redact digests (the equivalence test compares
them with the per-row path's), and never written without the secret."""

from datetime import date
from typing import Any

import asyncpg
import httpx
import orjson
import pytest

from app.api.imports.checks import check_member_row
from app.db.scope import WHOLE_TREE
from app.domain.access.callers import Actor, Caller, Role
from app.domain.imports import columns, files, members
from app.domain.imports.report import Report
from app.domain.tx import Tx

CSV = "text/csv"
OPTIONS = members.Options(
    mode="commit", atomic=False, allow_same_name=False, today=date(2026, 6, 1), min_age=18, probation_months=12
)
ACTOR = Actor(caller=Caller(kind="key", id="importer", name="Importer", role=Role.admin, pii=True), request_id="r")


def rows(n: int) -> list[columns.MemberRow]:
    lines = ["full_name,gender,birth_date,status,organization,citizen_id,phone"]
    lines += [f"Nguyễn Văn An {i},Nam,1990-01-0{1 + i},candidate,A-DU-CB,00109000000{i},091200000{i}" for i in range(5)]
    return columns.member_rows(files.read_table("\n".join(lines).encode(), CSV, max_rows=10))


async def run(conn: asyncpg.Connection) -> Report:
    report = members.new_report(OPTIONS, CSV)
    await members.run_rows(
        Tx(conn=conn), actor=ACTOR, scope=WHOLE_TREE, rows=rows(5), check=check_member_row, options=OPTIONS,
        report=report,
    )  # fmt: skip
    return report


async def test_the_registrations_are_audited_with_digests(
    client: httpx.AsyncClient, communes: dict[str, Any], db_pool: asyncpg.Pool
) -> None:
    async with db_pool.acquire() as conn:
        txn = conn.transaction()
        await txn.start()
        try:
            assert (await run(conn)).counts.created == 5
            entries = await conn.fetch(
                "SELECT a.after, coso_audit_redact(jsonb_build_object('citizen_id', m.citizen_id, 'phone', m.phone),"
                " ARRAY['citizen_id', 'phone']) AS digests FROM audit_log a JOIN members m ON m.id = a.entity_id "
                "WHERE a.request_id = 'r' AND a.before IS NULL"
            )
        finally:
            await txn.rollback()
    assert len(entries) == 5
    for entry in entries:
        after, digests = orjson.loads(entry["after"]), orjson.loads(entry["digests"])
        assert after["citizen_id"].startswith("redacted:") and after["citizen_id"] == digests["citizen_id"]
        assert after["phone"] == digests["phone"] and after["residence"] is None


async def test_without_the_secret_the_registrations_are_refused(
    client: httpx.AsyncClient, communes: dict[str, Any], db_pool: asyncpg.Pool
) -> None:
    async with db_pool.acquire() as conn:
        txn = conn.transaction()
        await txn.start()
        try:
            await conn.execute("DELETE FROM service_secrets WHERE name = 'main'")
            with pytest.raises(asyncpg.RaiseError, match="no main secret"):
                await run(conn)
        finally:
            await txn.rollback()
