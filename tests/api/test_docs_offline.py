"""Swagger UI and ReDoc work on a closed network (Party networks have no internet): a real `coso serve` process,
rendered by headless Chromium that can reach 127.0.0.1 and nothing else. The pages must show every operation (and
Swagger UI its Authorize button), and every request the pages make must go to the service."""

import json
import re
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx
import pytest

from tests.support.serve import coso_serve

CHROMIUM = Path("/usr/bin/chromium")
ENSURE_CHROMIUM = Path(__file__).resolve().parents[2] / "scripts" / "ensure-chromium"
# Every host name resolves to nothing, but 127.0.0.1: the page sees a network as closed as the Party's. The pages
# are opened by a name, as people reach the service, not as 127.0.0.1 (which browser code may treat as special).
HOST = "coso.test"
ONLY_LOOPBACK = f"MAP {HOST} 127.0.0.1, MAP * ~NOTFOUND, EXCLUDE 127.0.0.1"
RENDER_SECONDS = 120


@pytest.fixture(scope="module")
def chromium() -> Path:
    """Debian's chromium, installed by scripts/ensure-chromium when missing. Missing after that is a failure, not
    a skip: a skipped test would leave the offline pages unchecked on exactly the machine that lacks the browser."""
    if not CHROMIUM.exists():
        subprocess.run([str(ENSURE_CHROMIUM)], check=False, timeout=900)  # noqa: S603 - our own script
    if not CHROMIUM.exists():
        pytest.fail(
            f"{CHROMIUM} is missing and {ENSURE_CHROMIUM} could not install it (it needs apt-get and root): install "
            "Debian's `chromium` package to run this test"
        )
    return CHROMIUM


@pytest.fixture(scope="module")
def service(database_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The base URL of a real `coso serve` process (the pages are public: no key needed)."""
    with coso_serve(
        database_url, tmp_path_factory.mktemp("docs-serve"), env={"COSO_POOL_SIZE": "2"}, must_survive=False
    ) as base:
        yield base


def _netlog_events(path: Path) -> list[dict[str, Any]]:
    text = path.read_text()
    try:
        log = json.loads(text)
    except json.JSONDecodeError:  # a log cut short still lists what was requested before the cut
        log = json.loads(text.rstrip().rstrip(",") + "]}")
    types = {number: name for name, number in log["constants"]["logEventTypes"].items()}
    events: list[dict[str, Any]] = log["events"]
    return [e for e in events if types.get(e["type"]) == "URL_REQUEST_START_JOB"]


def render(chromium: Path, url: str, work: Path) -> tuple[str, list[str]]:
    """The DOM once the page's scripts ran, and the URLs the page requested (its own URL first). The browser's own
    background requests (updates, sign-in) are left out: they are Chromium's, not the page's, and blocked all the
    same."""
    work.mkdir(parents=True, exist_ok=True)
    netlog = work / "netlog.json"
    command = [
        str(chromium),
        "--headless",
        "--no-sandbox",
        "--disable-background-networking",
        "--disable-gpu",
        "--disable-component-update",
        "--no-first-run",
        f"--user-data-dir={work / 'profile'}",
        f"--host-resolver-rules={ONLY_LOOPBACK}",
        f"--log-net-log={netlog}",
        # Virtual time stands still while a fetch is pending, so the budget is spent on rendering.
        "--virtual-time-budget=30000",
        "--dump-dom",
        url,
    ]
    done = subprocess.run(command, capture_output=True, timeout=RENDER_SECONDS, check=False)  # noqa: S603
    assert done.returncode == 0, done.stderr.decode(errors="replace")[-3000:]
    origin = "{0.scheme}://{0.netloc}".format(urlsplit(url))
    page = [url] + [
        e["params"]["url"] for e in _netlog_events(netlog) if e.get("params", {}).get("initiator") == origin
    ]
    return done.stdout.decode(), page


def _assert_only_the_service(requested: list[str]) -> None:
    outside = [u for u in requested if urlsplit(u).hostname != HOST]
    assert not outside, f"the page asked for something outside the service: {outside}"


def _assert_self_contained(service: str, path: str) -> None:
    """What `curl` sees: no absolute URL in the page (no CDN), and a policy that keeps the bundles at home."""
    response = httpx.get(service + path)
    assert response.status_code == 200
    assert "://" not in response.text, response.text
    assert "default-src 'self'" in response.headers["content-security-policy"]


def test_only_loopback_is_reachable(chromium: Path, service: str, tmp_path: Path) -> None:
    """The blocking is real: a script from `localhost` (the same server, under another name) does not load, the
    same script from 127.0.0.1 or HOST does. Without this, the tests below would pass on any machine without
    internet."""
    loaded: dict[str, str | None] = {}
    for host in ("127.0.0.1", HOST, "localhost"):
        page = tmp_path / f"{host}.html"
        script = service.replace("127.0.0.1", host) + "/docs/static/swagger-ui-bundle.js"
        page.write_text(
            f'<html><body><script src="{script}"></script>'
            "<script>document.body.dataset.loaded = typeof SwaggerUIBundle</script></body></html>"
        )
        dom, _ = render(chromium, page.as_uri(), tmp_path / host)
        found = re.search(r'data-loaded="(\w+)"', dom)
        loaded[host] = found[1] if found else None
    assert loaded == {"127.0.0.1": "function", HOST: "function", "localhost": "undefined"}


def test_swagger_ui_renders_offline(chromium: Path, service: str, tmp_path: Path) -> None:
    document = httpx.get(f"{service}/openapi.json").json()
    _assert_self_contained(service, "/docs")
    named = service.replace("127.0.0.1", HOST)
    dom, requested = render(chromium, f"{named}/docs", tmp_path)
    _assert_only_the_service(requested)
    assert (
        f"{named}/docs/static/swagger-ui-bundle.js" in requested
    )  # the log was read (an empty one would pass any check)
    assert "<title>coso - Swagger UI</title>" in dom
    assert re.search(r'<button class="btn authorize[^"]*"[^>]*><span>Authorize</span>', dom), dom[-2000:]
    # Every path of the document, rendered as an operation block (tags are expanded by default).
    rendered = set(re.findall(r'class="opblock-summary-path" data-path="([^"]+)"', dom))
    assert rendered == set(document["paths"])
    # The pages are no operations of the API.
    assert not {"/docs", "/redoc", "/docs/oauth2-redirect"} & set(document["paths"])


def test_redoc_renders_offline(chromium: Path, service: str, tmp_path: Path) -> None:
    document = httpx.get(f"{service}/openapi.json").json()
    _assert_self_contained(service, "/redoc")
    named = service.replace("127.0.0.1", HOST)
    dom, requested = render(chromium, f"{named}/redoc", tmp_path)
    _assert_only_the_service(requested)
    assert (
        f"{named}/docs/static/redoc.standalone.js" in requested
    )  # the log was read (an empty one would pass any check)
    assert "<title>coso - ReDoc</title>" in dom
    operations = {
        op["operationId"]
        for item in document["paths"].values()
        for op in item.values()
        if isinstance(op, dict) and "operationId" in op
    }
    rendered = set(re.findall(r'data-section-id="operation/([^"]+)"', dom))
    assert rendered == operations


def test_swagger_oauth2_redirect_is_served(service: str) -> None:
    """FastAPI's own /docs comes with this page (OAuth2 flows of Swagger UI land on it); ours must too."""
    response = httpx.get(f"{service}/docs/oauth2-redirect")
    assert response.status_code == 200
    assert "oauth2" in response.text.lower()
