"""A real webhook receiver for the tests: an HTTP/1.1 server on 127.0.0.1 (asyncio and h11) that verifies every
delivery with the standardwebhooks library and records it, and that can be taken down (connections refused), made
to fail (503) and brought back. One receiver serves several subscriptions, one path each."""

import asyncio
import time
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from typing import Any, Literal

import asyncpg
import h11
import httpx
import orjson
import pytest
from fastapi import FastAPI
from standardwebhooks import Webhook
from standardwebhooks.webhooks import WebhookVerificationError

from app.main import create_app
from app.settings import Settings
from app.worker import RunningWorker, start_worker
from tests.support.builders import app_client, new_key

Mode = Literal["up", "503", "down"]


@dataclass
class Received:
    """One POST that reached the receiver."""

    path: str
    webhook_id: str
    verified: bool
    answered: int
    body: dict[str, Any] | None
    at: float


@dataclass
class Receiver:
    secrets: dict[str, str] = field(default_factory=dict)  # path → the subscription's secret
    mode: Mode = "up"
    received: list[Received] = field(default_factory=list)
    port: int = 0
    _server: asyncio.Server | None = None

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    async def start(self) -> None:
        self._server = await asyncio.start_server(self._serve, "127.0.0.1", self.port, reuse_address=True)
        self.port = self._server.sockets[0].getsockname()[1]
        self.mode = "up"

    async def stop(self) -> None:
        """Down: the port refuses connections."""
        if self._server is not None:
            self._server.close()
            await self._server.wait_closed()
            self._server = None
        self.mode = "down"

    def delivered(self, path: str) -> list[Received]:
        """The verified deliveries the receiver accepted (2xx) at `path`, in the order they came."""
        return [r for r in self.received if r.path == path and r.answered == 200]

    def items(self, path: str) -> list[dict[str, Any]]:
        """Every change accepted at `path`, in the order received (a batch sent twice is there twice)."""
        return [item for r in self.delivered(path) if r.body for item in r.body["data"]["items"]]

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        conn = h11.Connection(our_role=h11.SERVER)
        request: h11.Request | None = None
        body = b""
        try:
            while True:
                event = conn.next_event()
                if event is h11.NEED_DATA:
                    conn.receive_data(await reader.read(65536))
                elif isinstance(event, h11.Request):
                    request = event
                elif isinstance(event, h11.Data):
                    body += bytes(event.data)
                elif isinstance(event, h11.EndOfMessage | h11.ConnectionClosed):
                    break
            assert request is not None
            status = self._record(request, body)
            answer = b'{"ok":true}' if status == 200 else b"Service Unavailable: try again later"
            headers = [("Content-Length", str(len(answer))), ("Connection", "close")]
            writer.write(conn.send(h11.Response(status_code=status, headers=headers)) or b"")
            writer.write(conn.send(h11.Data(data=answer)) or b"")
            writer.write(conn.send(h11.EndOfMessage()) or b"")
            await writer.drain()
        finally:
            writer.close()

    def _record(self, request: h11.Request, body: bytes) -> int:
        path = request.target.decode()
        headers = {k.decode(): v.decode() for k, v in request.headers}
        secret = self.secrets.get(path)
        verified, parsed = False, None
        if secret is not None:
            try:
                parsed = Webhook(secret).verify(body, headers)
                verified = True
            except WebhookVerificationError:
                parsed = orjson.loads(body)
        status = 503 if self.mode == "503" else 200 if verified else 400
        self.received.append(Received(path, headers.get("webhook-id", ""), verified, status, parsed, time.monotonic()))
        return status


@pytest.fixture
async def receiver() -> AsyncIterator[Receiver]:
    running = Receiver()
    await running.start()
    try:
        yield running
    finally:
        await running.stop()


async def eventually(check: Callable[[], Any], *, seconds: float = 20, what: str = "the condition") -> None:
    """Wait until `check()` (sync or async) is truthy."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        result = check()
        if asyncio.iscoroutine(result):
            result = await result
        if result:
            return
        await asyncio.sleep(0.05)
    pytest.fail(f"{what} did not happen within {seconds} s")


# --- the service with webhooks to 127.0.0.1 allowed, and a worker delivering them quickly ---------------------------

FAST = {
    "webhook_allow_private": True,
    "webhook_retry_base_seconds": 0.2,
    "webhook_retry_max_seconds": 1.0,
    "webhook_poll_seconds": 0.3,
    "webhook_timeout_seconds": 2.0,
    "webhook_batch_entries": 7,
}

StartWorker = Callable[..., Any]


@pytest.fixture
def hooks_settings(settings: Settings) -> Settings:
    return settings.model_copy(update=FAST)


@pytest.fixture
async def hooks_app(hooks_settings: Settings, database_url: str) -> AsyncIterator[FastAPI]:
    """The service as the tests' shared app, but allowing webhooks to loopback (the receiver)."""
    application = create_app(hooks_settings, database_url=database_url)
    async with application.router.lifespan_context(application):
        yield application


@pytest.fixture
async def hooks_client(hooks_app: FastAPI, db_pool: asyncpg.Pool) -> AsyncIterator[httpx.AsyncClient]:
    """A whole-tree administrator with pii, of `hooks_app`."""
    async with app_client(hooks_app, await new_key(db_pool, name="hooks admin")) as c:
        yield c


@pytest.fixture
async def hooks_worker(hooks_settings: Settings, database_url: str) -> AsyncIterator[StartWorker]:
    """Start a job worker (webhook deliveries) with the fast settings and any others; stopped after the test."""
    running: list[RunningWorker] = []

    async def start(**overrides: Any) -> RunningWorker:
        worker = await start_worker(database_url, hooks_settings.model_copy(update=overrides))
        running.append(worker)
        return worker

    try:
        yield start
    finally:
        for worker in running:
            await worker.stop()


async def subscribe(client: httpx.AsyncClient, receiver: Receiver, path: str, **body: Any) -> dict[str, Any]:
    """A subscription delivering to the receiver at `path` (which learns its secret)."""
    response = await client.post("/api/v1/webhooks", json={"url": receiver.url(path), **body})
    assert response.status_code == 201, response.text
    created: dict[str, Any] = response.json()
    receiver.secrets[path] = created["secret"]
    return created


async def feed_after(client: httpx.AsyncClient, after: str) -> list[dict[str, Any]]:
    """The change feed after a cursor, as `client`'s caller sees it: what a subscription must deliver."""
    items: list[dict[str, Any]] = []
    while True:
        page = (await client.get("/api/v1/changes", params={"after": after, "limit": 1000})).json()
        items += page["items"]
        after = page["next_cursor"]
        if len(page["items"]) < 1000:
            return items


def key_of(item: dict[str, Any]) -> tuple[str, str, str, str, int | None]:
    return (item["entity"], item["id"], item["change"], item["event"], item["version"])
