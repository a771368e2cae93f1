"""COSO_EXPORT_MAX_CONCURRENT: a process sends at most that many exports at once; one more is a 429 problem with
Retry-After, answered at once, and the place comes back when an export ends."""

import asyncio
from collections.abc import MutableMapping
from typing import Any

from app.main import create_app
from app.settings import Settings
from tests.support.builders import ClientWith, InsertKey
from tests.support.problems import assert_problem

URL = "/api/v1/organizations"


async def test_one_export_more_than_the_cap_is_a_429_with_retry_after(
    settings: Settings,
    database_url: str,
    communes: dict[str, Any],
    client_with: ClientWith,
    insert_key: InsertKey,
) -> None:
    app = create_app(settings.model_copy(update={"export_max_concurrent": 1}), database_url=database_url)
    token = await insert_key(role="viewer")
    started, release = asyncio.Event(), asyncio.Event()
    sent: list[MutableMapping[str, Any]] = []

    async def send(message: MutableMapping[str, Any]) -> None:
        sent.append(message)
        if message["type"] == "http.response.body" and not started.is_set():
            started.set()
            await release.wait()  # a client that reads slowly: the export stays open

    async def receive() -> MutableMapping[str, Any]:
        await release.wait()
        await asyncio.sleep(3600)
        return {"type": "http.disconnect"}

    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "GET",
        "scheme": "http",
        "path": URL,
        "raw_path": URL.encode(),
        "query_string": b"format=csv",
        "root_path": "",
        "headers": [(b"host", b"test"), (b"authorization", f"Bearer {token}".encode())],
        "client": ("127.0.0.1", 1),
        "server": ("test", 80),
    }
    async with app.router.lifespan_context(app), client_with(app, token) as client:
        first = asyncio.create_task(app(scope, receive, send))
        await asyncio.wait_for(started.wait(), 10)
        refused = await client.get(URL, params={"format": "xlsx"})
        assert_problem(refused, 429, "too_many_exports")
        assert refused.headers["retry-after"] == "10"
        assert (await client.get(URL)).status_code == 200  # the JSON list is not an export
        release.set()
        await asyncio.wait_for(first, 10)
        assert sent[0]["status"] == 200
        assert b"A-DU-CB" in b"".join(m.get("body", b"") for m in sent)
        again = await client.get(URL, params={"format": "csv"})
        assert again.status_code == 200 and b"A-DU-CB" in again.content
