"""The code a file name shows for a unit."""

import uuid

from app.db.sql import Querier, Sql, fetchval


async def code_of(conn: Querier, org_id: uuid.UUID) -> str | None:
    code: str | None = await fetchval(conn, Sql("SELECT code FROM organizations WHERE id = {id}", id=org_id))
    return code
