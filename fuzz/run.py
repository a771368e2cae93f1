"""Schemathesis against a real `coso serve` process on a seeded database: every operation of openapi.yaml, with
real ids from the demo data (and random ones), an administrator's key with pii, and stateful sequences along
the OpenAPI links. Zero server errors and zero schema violations are the bar.

    python fuzz/run.py --max-examples 100 --phases examples,coverage,fuzzing,stateful   # make fuzz
    python fuzz/run.py --database-url postgresql://…/db                                  # a migrated database

Without --database-url the run gets a fresh embedded PostgreSQL of its own (or a throwaway database on
DATABASE_URL's server). The demo data is loaded into it, then the service is started on a free port."""

import argparse
import asyncio
import os
import secrets
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import asyncpg

ROOT = Path(__file__).resolve().parents[1]
CHECKS = (
    "not_a_server_error",
    "status_code_conformance",
    "content_type_conformance",
    "response_schema_conformance",
    "response_headers_conformance",
    "negative_data_rejection",
    "ignored_auth",
    "missing_required_header",
    "unsupported_method",
    "use_after_free",
    "ensure_resource_availability",
)

# Path parameters bound to ids of the seeded data (the generator also tries values of its own).
ID_QUERIES = {
    "organization_id": "SELECT id FROM organizations ORDER BY node LIMIT 40",
    "member_id": "SELECT id FROM members ORDER BY sort_key LIMIT 40",
    "plan_id": "SELECT id FROM plans",
    "task_id": "SELECT id FROM tasks ORDER BY position LIMIT 40",
    "body_id": "SELECT id FROM bodies LIMIT 40",
    "event_id": "SELECT id FROM plan_events",
    "key_id": "SELECT id FROM api_keys WHERE name <> 'schemathesis'",  # its own key must survive the revokes
    "position_id": "SELECT id FROM party_positions LIMIT 40",
    "post_id": "SELECT id FROM public_posts LIMIT 40",
    "target_id": "SELECT id FROM indicator_targets",
}


# Ids in bodies and query parameters, from the same dictionaries.
BODY_AND_QUERY = {
    "body.organization_id": "organization_id",
    "body.parent_id": "organization_id",
    "body.to_organization_id": "organization_id",
    "body.into_id": "organization_id",
    "body.member_id": "member_id",
    "body.body_id": "body_id",
    "query.organization_id": "organization_id",
    "query.within": "organization_id",
    "query.parent_id": "organization_id",
    "query.body_id": "body_id",
}


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def _coso(*args: str, env: dict[str, str]) -> str:
    done = subprocess.run(  # noqa: S603 - our own command line
        [sys.executable, "-m", "app.cli", *args], env=env, cwd=ROOT, capture_output=True, text=True, check=False
    )
    if done.returncode != 0:
        raise SystemExit(f"coso {' '.join(args)} failed:\n{done.stdout}\n{done.stderr}")
    return done.stdout


@contextmanager
def _database(url: str | None) -> Iterator[str]:
    """A migrated database: the one given, a throwaway one on DATABASE_URL's server, or a fresh embedded one."""
    if url:
        yield url
        return
    server = os.environ.get("DATABASE_URL")
    if server:
        name = f"coso_fuzz_{secrets.token_hex(4)}"
        asyncio.run(_admin(server, f'CREATE DATABASE "{name}"'))
        base, _, query = server.partition("?")
        throwaway = f"{base.rpartition('/')[0]}/{name}" + (f"?{query}" if query else "")
        try:
            yield throwaway
        finally:
            asyncio.run(_admin(server, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        return
    from app.db.embedded import start_embedded

    with tempfile.TemporaryDirectory(prefix="coso-fuzz-") as tmp:
        Path(tmp).chmod(0o755)
        yield start_embedded(Path(tmp), cleanup="delete")


async def _admin(server: str, sql: str) -> None:
    from app.db.urls import asyncpg_dsn

    conn = await asyncpg.connect(asyncpg_dsn(server))
    try:
        await conn.execute(sql)
    finally:
        await conn.close()


async def _ids(url: str) -> dict[str, list[str]]:
    from app.db.urls import asyncpg_dsn

    conn = await asyncpg.connect(asyncpg_dsn(url))
    try:
        return {name: [str(r[0]) for r in await conn.fetch(sql)] for name, sql in ID_QUERIES.items()}
    finally:
        await conn.close()


def _workers() -> int:
    """Schemathesis's worker threads. One on Python 3.11: its threads describe Hypothesis strategies with ast.parse
    at the same time, and CPython 3.11's AST constructor keeps one recursion counter for all threads, so that now and
    then one of them fails with "SystemError: AST constructor recursion depth mismatch" (python/cpython#106905; seen
    in CI on 3.11.7), which schemathesis reports as an error of the operation it was generating for."""
    return 1 if sys.version_info < (3, 12) else min(4, os.cpu_count() or 1)


def _config(base_url: str, ids: dict[str, list[str]], *, max_examples: int, phases: list[str], seed: int | None) -> str:
    lines = [
        f'base-url = "{base_url}"',
        f"workers = {_workers()}",
        "request-timeout = 30",
        f"generation.max-examples = {max_examples}",
    ]
    if seed is not None:
        lines.append(f"seed = {seed}")
    lines.append("[phases]")
    for phase in ("examples", "coverage", "fuzzing", "stateful"):
        lines.append(f"{phase}.enabled = {'true' if phase in phases else 'false'}")
    lines.append("[checks]")
    lines.append("enabled = false")
    for check in CHECKS:
        lines.append(f"{check}.enabled = true")
    lines.append("[parameters]")
    for name, values in ids.items():
        if values:
            lines.append(f'"path.{name}" = {{ dictionary = "{name}", probability = 0.8 }}')
    for where, dictionary in BODY_AND_QUERY.items():
        if ids.get(dictionary):
            lines.append(f'"{where}" = {{ dictionary = "{dictionary}", probability = 0.7 }}')
    for name, values in ids.items():
        if values:
            lines.append(f"[dictionaries.{name}]")
            lines.append("values = [" + ", ".join(f'"{v}"' for v in values) + "]")
    return "\n".join(lines) + "\n"


def _wait_ready(base: str, process: subprocess.Popen[bytes], log: Path, seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit(f"coso serve exited with {process.returncode}:\n{log.read_text()}")
        try:
            with urllib.request.urlopen(f"{base}/readyz", timeout=2) as answer:  # noqa: S310 - our own server
                if answer.status == 200:
                    return
        except OSError:
            time.sleep(0.2)
    raise SystemExit(f"coso serve was not ready within {seconds} s:\n{log.read_text()}")


def run(
    *,
    database_url: str | None,
    max_examples: int,
    phases: list[str],
    seed: int | None = None,
    max_time: int | None = None,
) -> int:
    """Seed, serve, fuzz; schemathesis's exit code (0: no failure)."""
    with _database(database_url) as url, tempfile.TemporaryDirectory(prefix="coso-fuzz-run-") as tmp:
        env = {**os.environ, "DATABASE_URL": url, "COSO_JSON_LOGS": "false", "COSO_LOG_LEVEL": "WARNING"}
        _coso("migrate", env=env)
        _coso("demo-data", env=env)
        token = (
            _coso("keys", "create", "--name", "schemathesis", "--role", "admin", "--pii", env=env)
            .strip()
            .splitlines()[-1]
        )
        for role in ("viewer", "editor"):  # keys for the run to read, edit and revoke
            _coso("keys", "create", "--name", f"fuzzed {role}", "--role", role, env=env)
        port = _free_port()
        base = f"http://127.0.0.1:{port}"
        log = Path(tmp) / "serve.log"
        with log.open("wb") as out:
            server = subprocess.Popen(  # noqa: S603 - our own command line
                [sys.executable, "-m", "app.cli", "serve", "--host", "127.0.0.1", "--port", str(port)],
                env=env,
                cwd=ROOT,
                stdout=out,
                stderr=subprocess.STDOUT,
            )
        try:
            _wait_ready(base, server, log)
            config = Path(tmp) / "schemathesis.toml"
            config.write_text(
                _config(base, asyncio.run(_ids(url)), max_examples=max_examples, phases=phases, seed=seed)
            )
            command = [
                str(Path(sys.executable).with_name("schemathesis")),
                "--config-file",
                str(config),
                "run",
                f"{base}/openapi.json",
                "--header",
                f"Authorization: Bearer {token}",
                "--report",
                "junit",
                "--report-dir",
                str(ROOT / "fuzz" / "report"),
            ]
            if max_time is not None:
                command += ["--max-time", str(max_time)]
            done = subprocess.run(command, cwd=tmp, check=False)  # noqa: S603
            errors = [line for line in log.read_text().splitlines() if "Traceback" in line or "ERROR" in line]
            if errors:
                print(f"the server logged {len(errors)} errors:\n" + log.read_text()[-20_000:])
                return done.returncode or 1
            return done.returncode
        finally:
            server.terminate()
            try:
                server.wait(timeout=20)
            except subprocess.TimeoutExpired:
                server.kill()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--database-url", help="a migrated database to seed and fuzz (default: a fresh one)")
    parser.add_argument("--max-examples", type=int, default=100)
    parser.add_argument("--phases", default="examples,coverage,fuzzing,stateful")
    parser.add_argument("--seed", type=int)
    parser.add_argument("--max-time", type=int, help="seconds for the whole run")
    args = parser.parse_args()
    sys.path.insert(0, str(ROOT))
    raise SystemExit(
        run(
            database_url=args.database_url,
            max_examples=args.max_examples,
            phases=args.phases.split(","),
            seed=args.seed,
            max_time=args.max_time,
        )
    )


if __name__ == "__main__":
    main()
