"""The `coso` command: serve, worker, migrate, demo-data, openapi, indicators, keys, import, export."""

import argparse
import asyncio
import logging
import signal
import sys

from app.settings import Settings

log = logging.getLogger("coso")


def database_url(settings: Settings) -> str:
    if settings.database_url:
        return settings.database_url
    try:
        from app.db.embedded import start_embedded

        url = start_embedded(settings.data_dir)
    except ImportError as exc:
        raise SystemExit(
            "coso: DATABASE_URL is not set and the embedded PostgreSQL is not installed "
            "(pip install 'coso[embedded]', or set DATABASE_URL)."
        ) from exc
    log.warning("DATABASE_URL is unset: using the embedded PostgreSQL in %s", settings.data_dir)
    return url


def _exit_on_signal(signum: int, frame: object) -> None:
    raise SystemExit(128 + signum)


def _serve(args: argparse.Namespace, settings: Settings) -> None:
    import uvicorn

    from app.db.migrations import upgrade
    from app.logs import configure
    from app.main import create_app

    log_config = configure(settings.log_level, json_logs=settings.json_logs)
    url = database_url(settings)
    upgrade(url)
    _announce_first_key(url, embedded=not settings.database_url)
    host = args.host or settings.host
    port = args.port or settings.port
    log.warning("serving on http://%s:%s (Swagger UI at /docs)", host, port)
    # uvicorn re-raises SIGTERM after its graceful shutdown; exit normally then, so that the embedded
    # PostgreSQL is stopped by its exit hook instead of being left running.
    signal.signal(signal.SIGTERM, _exit_on_signal)
    uvicorn.run(
        create_app(settings, database_url=url),
        host=host,
        port=port,
        log_config=log_config,
        proxy_headers=True,
        server_header=False,
        access_log=False,
    )


def _announce_first_key(url: str, *, embedded: bool) -> None:
    import asyncpg

    from app.cli_keys import ensure_first_key
    from app.db.urls import asyncpg_dsn

    token = asyncio.run(ensure_first_key(url, embedded=embedded))
    if token:
        # The warning goes to the log; the key alone on a line of stdout, to be copied (and kept out of log files).
        log.warning(
            "LOCAL DEMO ONLY: created an admin key for this embedded database; it is printed once, alone on "
            "the next line of standard output (lost it? `coso keys create --name admin --role admin --pii`)"
        )
        sys.stderr.flush()
        print(token, flush=True)
        return

    async def has_keys() -> bool:
        conn = await asyncpg.connect(asyncpg_dsn(url))
        try:
            found: bool = await conn.fetchval("SELECT EXISTS (SELECT 1 FROM api_keys WHERE revoked_at IS NULL)")
            return found
        finally:
            await conn.close()

    if not asyncio.run(has_keys()):
        log.warning(
            "no API keys yet: every call will get 401. Create the first admin key with "
            "`coso keys create --name admin --role admin --pii` (same DATABASE_URL)."
        )


def _worker(args: argparse.Namespace, settings: Settings) -> None:
    """Background jobs (large imports) taken from the queue until SIGTERM or SIGINT; any number of these may run, on
    any machine that reaches the database."""
    from app.db.migrations import upgrade
    from app.logs import configure
    from app.worker import start_worker

    configure(settings.log_level, json_logs=settings.json_logs)
    url = database_url(settings)
    upgrade(url)

    async def run() -> None:
        running = await start_worker(url, settings, concurrency=args.concurrency)
        stopping = asyncio.Event()
        loop = asyncio.get_running_loop()
        for signum in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(signum, stopping.set)
        log.warning("worker ready: taking background jobs")
        done = asyncio.ensure_future(stopping.wait())
        await asyncio.wait({done, running.task}, return_when=asyncio.FIRST_COMPLETED)
        done.cancel()
        await running.stop()
        log.warning("worker stopped")

    asyncio.run(run())


def _keys(args: argparse.Namespace, settings: Settings) -> None:
    from app.cli_keys import run
    from app.db.migrations import upgrade

    url = database_url(settings)
    upgrade(url)
    run(args, url)


def _migrate(args: argparse.Namespace, settings: Settings) -> None:
    from app.db.migrations import upgrade
    from app.logs import configure

    configure(settings.log_level, json_logs=False)
    upgrade(database_url(settings))
    print("migrations applied")


def _demo_data(args: argparse.Namespace, settings: Settings) -> None:
    from app.db.migrations import upgrade
    from app.demo.load import load_demo_data
    from app.logs import configure

    configure(settings.log_level, json_logs=False)
    url = database_url(settings)
    upgrade(url)
    summary = asyncio.run(load_demo_data(url))
    print(summary)


def _indicators(args: argparse.Namespace, settings: Settings) -> None:
    """Recompute every indicator figure from the raw tables (after a bulk load with the triggers off)."""
    import time

    import asyncpg

    from app.db.migrations import upgrade
    from app.db.urls import asyncpg_dsn

    url = database_url(settings)
    upgrade(url)

    async def rebuild() -> None:
        conn = await asyncpg.connect(asyncpg_dsn(url))
        try:
            await conn.execute("SET statement_timeout = 0")
            await conn.execute(
                "SELECT coso_indicators_configure('cell_committee_min_positions', $1)",
                settings.cell_committee_min_positions,
            )
            await conn.execute("SELECT coso_indicators_rebuild()")
            rows = await conn.fetchval("SELECT count(*) FROM indicator_own")
            print(f"indicator figures rebuilt: {rows} unit-quarters in {time.perf_counter() - start:.1f} s")
        finally:
            await conn.close()

    start = time.perf_counter()
    asyncio.run(rebuild())


def _changes(args: argparse.Namespace, settings: Settings) -> None:
    """Collapse each record's changes older than --older-than-days into one (the feed's retention)."""
    import asyncpg

    from app.db.migrations import upgrade
    from app.db.urls import asyncpg_dsn
    from app.domain.changes.retention import compact

    url = database_url(settings)
    upgrade(url)

    async def run() -> int:
        pool = await asyncpg.create_pool(asyncpg_dsn(url), min_size=1, max_size=1)
        try:
            return await compact(pool, older_than_days=args.older_than_days)
        finally:
            await pool.close()

    removed = asyncio.run(run())
    print(f"change feed compacted: {removed} changes older than {args.older_than_days} days folded into later ones")


def _export(args: argparse.Namespace, settings: Settings) -> None:
    from app.cli_files import run_export
    from app.db.migrations import upgrade

    url = database_url(settings)
    upgrade(url)
    run_export(args, settings, url)


def _import(args: argparse.Namespace, settings: Settings) -> None:
    from app.cli_files import run_import
    from app.db.migrations import upgrade
    from app.logs import configure

    configure(settings.log_level, json_logs=False)
    url = database_url(settings)
    upgrade(url)
    run_import(args, settings, url)


def _openapi(args: argparse.Namespace, settings: Settings) -> None:
    from app.openapi import render

    sys.stdout.write(render())


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="coso", description="Party organisations, members, plans, indicators")
    commands = parser.add_subparsers(dest="command", required=True)
    serve = commands.add_parser("serve", help="apply pending migrations, then serve the API")
    serve.add_argument("--host", default=None)
    serve.add_argument("--port", type=int, default=None)
    serve.set_defaults(run=_serve)
    worker = commands.add_parser("worker", help="run background jobs (large imports) until stopped")
    worker.add_argument("--concurrency", type=int, default=None, help="jobs at once (COSO_WORKER_CONCURRENCY)")
    worker.set_defaults(run=_worker)
    commands.add_parser("migrate", help="apply pending migrations and exit").set_defaults(run=_migrate)
    commands.add_parser("demo-data", help="load the sample bloc committee (idempotent)").set_defaults(run=_demo_data)
    commands.add_parser("openapi", help="print the OpenAPI document (YAML)").set_defaults(run=_openapi)
    indicators = commands.add_parser("indicators", help="indicator upkeep").add_subparsers(dest="action", required=True)
    indicators.add_parser(
        "rebuild",
        help="recompute every indicator figure from the raw tables (after a bulk "
        "load with COSO_INDICATOR_UPKEEP=false or coso.indicators=off)",
    ).set_defaults(run=_indicators)
    changes = commands.add_parser("changes", help="the change feed").add_subparsers(dest="action", required=True)
    compact = changes.add_parser(
        "compact",
        help="collapse each record's changes older than N days into one (a follower older than that still ends "
        "with the exact copy)",
    )
    compact.add_argument("--older-than-days", type=int, default=90, help="the horizon in days (default 90)")
    compact.set_defaults(run=_changes)
    from app.cli_keys import add_commands

    add_commands(commands)
    commands.choices["keys"].set_defaults(run=_keys)
    from app.cli_files import add_commands as add_file_commands

    add_file_commands(commands)
    commands.choices["export"].set_defaults(run=_export)
    commands.choices["import"].set_defaults(run=_import)
    args = parser.parse_args(argv)
    args.run(args, Settings())


if __name__ == "__main__":
    main()
