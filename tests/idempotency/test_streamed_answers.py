"""An answer that is streamed cannot be kept for a retry: a write that would send one with an Idempotency-Key is
rolled back and refused (422 `idempotency_not_supported`) rather than done without the promise. No write of the
API streams today, so the test mounts one on a fresh app, behind the same route class as every /api/v1 route."""

from collections.abc import AsyncIterator

import asyncpg
import httpx
from starlette.responses import Response, StreamingResponse

from app.api.auth import EditorDep, api_router
from app.main import create_app
from app.settings import Settings
from tests.support.builders import InsertKey
from tests.support.problems import assert_problem


async def test_a_streamed_answer_is_refused_and_its_work_rolled_back(
    settings: Settings, database_url: str, insert_key: InsertKey, db_pool: asyncpg.Pool
) -> None:
    router = api_router("/api/v1/streamed", "streamed")

    @router.post("")
    async def streamed_write(writer: EditorDep) -> Response:
        await writer.tx.conn.execute("CREATE TABLE streamed_work (n int)")  # the work, committed or not
        writer.tx.audited = True  # as if audited: this test is about what the key does to the commit

        async def parts() -> AsyncIterator[bytes]:
            yield b"a,b\n"

        return StreamingResponse(parts(), media_type="text/csv")

    app = create_app(settings, database_url=database_url)
    app.include_router(router)
    token = await insert_key(name="streamer")
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(
            transport=transport, base_url="http://coso.test", headers={"Authorization": f"Bearer {token}"}
        ) as c:
            refused = await c.post("/api/v1/streamed", headers={"Idempotency-Key": "stream-1"})
            assert_problem(refused, 422, "idempotency_not_supported")
            assert await db_pool.fetchval("SELECT to_regclass('streamed_work')") is None
            plain = await c.post("/api/v1/streamed")
            assert plain.status_code == 200 and plain.content == b"a,b\n"
    try:
        assert await db_pool.fetchval("SELECT to_regclass('streamed_work')") is not None, "without a key: committed"
        assert await db_pool.fetchval("SELECT count(*) FROM idempotency_keys") == 0
    finally:
        await db_pool.execute("DROP TABLE IF EXISTS streamed_work")
