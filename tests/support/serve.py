"""A real `coso serve` process for the tests that need one (the README's tour, the offline docs, a database outage):
started on a free port against a given database, waited for until /readyz answers, stopped at the end, its output
kept in a log that a failure quotes."""

import asyncio
import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import asyncpg
import httpx
import pytest

from app.db.urls import asyncpg_dsn
from tests.support.builders import new_key

STARTUP_SECONDS = 30


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def admin_key(database_url: str, name: str) -> str:
    """A new administrator's key with `pii` (like the local admin key of `make run`), written straight into the
    database."""

    async def make() -> str:
        pool = await asyncpg.create_pool(asyncpg_dsn(database_url), min_size=1, max_size=1)
        try:
            return await new_key(pool, name=name)
        finally:
            await pool.close()

    return asyncio.run(make())


def wait_until_ready(base: str, process: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + STARTUP_SECONDS
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"coso serve exited with {process.returncode}:\n{log.read_text()}")
        try:
            if httpx.get(f"{base}/readyz", timeout=2).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.1)
    pytest.fail(f"coso serve was not ready within {STARTUP_SECONDS} s:\n{log.read_text()}")


@contextmanager
def coso_serve(
    database_url: str, workdir: Path, *, env: dict[str, str] | None = None, must_survive: bool = True
) -> Iterator[str]:
    """The base URL of a `coso serve` process on `database_url`, run in `workdir` (its log: workdir/serve.log).
    `env` adds settings (COSO_…); with `must_survive`, the process must still run when the block ends."""
    log = workdir / "serve.log"
    port = free_port()
    environment = {
        **os.environ,
        "DATABASE_URL": database_url,
        "COSO_JSON_LOGS": "false",
        "COSO_POOL_SIZE": "4",
        **(env or {}),
    }
    with log.open("wb") as out:
        process = subprocess.Popen(  # noqa: S603 - our own command line
            [sys.executable, "-m", "app.cli", "serve", "--host", "127.0.0.1", "--port", str(port)],
            env=environment,
            stdout=out,
            stderr=subprocess.STDOUT,
            cwd=workdir,
        )
    base = f"http://127.0.0.1:{port}"
    try:
        wait_until_ready(base, process, log)
        yield base
        if must_survive:
            assert process.poll() is None, f"coso serve died:\n{log.read_text()}"
    finally:
        process.terminate()
        try:
            process.wait(10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
