"""The audit entries of the set-based import: digested as coso_audit_redact digests (the equivalence test compares
them with the per-row path's), and never written without the secret."""

from typing import Any

import asyncpg
import httpx
import pytest

from app.api.imports.checks import check_member_row
from app.db.scope import WHOLE_TREE
from app.domain.imports import members
from app.domain.tx import Tx
from tests.imports.test_batch_equivalence import CSV, OPTIONS, actor_of, csv_of, parsed, person


async def test_without_the_secret_the_registrations_are_refused(
    client: httpx.AsyncClient, communes: dict[str, Any], db_pool: asyncpg.Pool
) -> None:
    async with db_pool.acquire() as conn:
        txn = conn.transaction()
        await txn.start()
        try:
            await conn.execute("DELETE FROM service_secrets WHERE name = 'main'")
            with pytest.raises(asyncpg.RaiseError, match="no main secret"):
                await members.run_rows(
                    Tx(conn=conn),
                    actor=actor_of(()),
                    scope=WHOLE_TREE,
                    rows=parsed(csv_of([person(i) for i in range(5)])),
                    check=check_member_row,
                    options=OPTIONS,
                    report=members.new_report(OPTIONS, CSV),
                )
        finally:
            await txn.rollback()
