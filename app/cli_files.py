"""`coso import` and `coso export`: files for the operator on the server, through the same code as the API.

`coso import FILE --kind members` submits the file as a background job (`POST /members/import` with
`Prefer: respond-async`: the job, its upload and its queue entry in one transaction) and runs it in this process
with the worker's own function (a worker elsewhere that takes it first runs it instead; one attempt at a time),
drawing a progress bar from the job's counts; the job is then in `GET /jobs` like any other. `coso export` writes
the file of `GET /members?format=…` or `GET /organizations?format=…` (same columns, snapshot and file name)."""

import argparse
import asyncio
import json
import os
import sys
import time
from collections.abc import AsyncIterator
from datetime import date, datetime
from pathlib import Path
from typing import Any, BinaryIO, Literal, cast
from zoneinfo import ZoneInfo

from app.api.imports.checks import check_member_row
from app.db.database import close_database, open_database
from app.db.jobs import queries as job_queries
from app.domain.access.callers import WHOLE_TREE, Actor, Caller, Role
from app.domain.errors import DomainError
from app.domain.exports import members as member_exports
from app.domain.exports import organizations as organization_exports
from app.domain.exports.files import Export
from app.domain.exports.writers import Format
from app.domain.imports import members as member_imports
from app.domain.imports.files import CSV as CSV_MEDIA
from app.domain.imports.files import NDJSON as NDJSON_MEDIA
from app.domain.imports.files import XLSX as XLSX_MEDIA
from app.domain.jobs import runner
from app.domain.jobs import service as jobs
from app.domain.members.reads import MemberFilters
from app.domain.organizations.tree import OrganizationFilters, id_of
from app.domain.tx import transaction
from app.settings import Settings

KINDS = ("members", "organizations")
MEDIA = {"csv": CSV_MEDIA, "txt": CSV_MEDIA, "xlsx": XLSX_MEDIA, "ndjson": NDJSON_MEDIA, "jsonl": NDJSON_MEDIA}
SHOWN_ERRORS = 20


def add_commands(commands: "argparse._SubParsersAction[argparse.ArgumentParser]") -> None:
    load = commands.add_parser(
        "import",
        help="import a file (CSV, XLSX, NDJSON) as a background job run here, with a progress bar",
        description="The same job as POST /api/v1/members/import with Prefer: respond-async. Exit status: 0 when "
        "every row went through, 2 when rows failed (listed; atomic: nothing written), 1 when the file is refused.",
    )
    load.add_argument("file", type=Path)
    load.add_argument("--kind", required=True, choices=("members",), help="what the file holds")
    load.add_argument("--mode", choices=("validate", "commit"), default="validate", help="default: validate")
    load.add_argument("--atomic", action=argparse.BooleanOptionalAction, default=True, help="all rows or none")
    load.add_argument("--allow-same-name", action="store_true", help="register people with a recorded name+birth")
    load.add_argument("--report", type=Path, metavar="FILE", help="write the job and all its row errors (JSON)")
    export = commands.add_parser(
        "export",
        help="write a list (members, organizations) as CSV, XLSX or NDJSON to standard output or a file",
        description="The same file as GET /api/v1/<kind>?format=…, for the whole tree or a subtree.",
    )
    export.add_argument("--kind", required=True, choices=KINDS)
    export.add_argument("--within", metavar="ORG", help="a unit's id or code: its subtree only")
    export.add_argument("--format", dest="file_format", choices=("csv", "xlsx", "ndjson"), default=None)
    export.add_argument("--headers", choices=("vi", "en"), default="vi", help="column headers (members; default vi)")
    export.add_argument("--as-of", type=date.fromisoformat, default=None, help="the list as it stood on that day")
    export.add_argument("--pii", action="store_true", help="include the sensitive columns (members)")
    export.add_argument("-o", "--output", metavar="FILE", help="write here (default: standard output)")


def file_format(args: argparse.Namespace) -> Format:
    """--format, else the output file's extension, else CSV."""
    if args.file_format:
        return cast(Format, args.file_format)
    if args.output and "." in args.output:
        extension = args.output.rsplit(".", 1)[1].lower()
        if extension in ("csv", "xlsx", "ndjson"):
            return cast(Format, extension)
    return "csv"


def run_export(args: argparse.Namespace, settings: Settings, url: str) -> None:
    fmt = file_format(args)
    if args.output is None and fmt == "xlsx" and sys.stdout.isatty():
        raise SystemExit("coso export: an .xlsx file is binary; redirect standard output or give --output FILE.")
    try:
        asyncio.run(_export(args, settings, url, fmt))
    except DomainError as refused:
        raise SystemExit(f"coso export: {refused.detail}") from None
    except BrokenPipeError:  # `coso export … | head`: the reader has what it wanted
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())  # no second error when Python flushes at exit
        raise SystemExit(141) from None


async def _export(args: argparse.Namespace, settings: Settings, url: str, fmt: Format) -> None:
    caller = Caller(kind="system", id="cli", name="coso export (command line)", role=Role.admin, pii=args.pii)
    today = datetime.now(ZoneInfo(settings.timezone)).date()
    # An hour per statement: a national export's cursor is one long read, not a request.
    pool = await open_database(url, statement_timeout_ms=3_600_000, pool_size=2)
    try:
        within = await id_of(pool, args.within, scope=WHOLE_TREE) if args.within else None
        export: Export
        if args.kind == "members":
            export = await member_exports.export_members(
                pool,
                caller=caller,
                scope=WHOLE_TREE,
                filters=MemberFilters(as_of=args.as_of, within=within),
                fmt=fmt,
                headers=cast(Literal["vi", "en"], args.headers),
                today=today,
                request_id=None,
            )
        else:
            export = await organization_exports.export_organizations(
                pool,
                scope=WHOLE_TREE,
                filters=OrganizationFilters(as_of=args.as_of, within=within),
                fmt=fmt,
                today=today,
            )
        with _output(args.output) as out:
            await _write(export, out, name=args.output or export.filename)
    finally:
        await close_database(pool)


def _output(path: str | None) -> BinaryIO:
    """The file, or standard output as bytes (left open when closed). The CLI writes with blocking calls: it has
    nothing else to do meanwhile."""
    return open(path, "wb") if path else open(sys.stdout.fileno(), "wb", closefd=False)


async def _write(export: Export, out: BinaryIO, *, name: str) -> None:
    """The body as it is produced, with a progress line (bytes, time) redrawn at most every half second."""
    started = last = time.monotonic()
    written = 0
    async for chunk in export.body:
        out.write(chunk)
        written += len(chunk)
        now = time.monotonic()
        if now - last >= 0.5:
            _progress(name, written, now - started, end="\r")
            last = now
    out.flush()
    _progress(name, written, time.monotonic() - started, end="\n")


def _progress(name: str, written: int, seconds: float, *, end: str) -> None:
    sys.stderr.write(f"coso export: {name}: {written / 1e6:,.1f} MB in {seconds:,.1f} s{end}")
    sys.stderr.flush()


# --- import -----------------------------------------------------------------------------------------------------


def run_import(args: argparse.Namespace, settings: Settings, url: str) -> None:
    path: Path = args.file
    media = MEDIA.get(path.suffix.lower().lstrip("."))
    if media is None:
        raise SystemExit(f"coso import: {path.name}: name a .csv, .xlsx or .ndjson file.")
    if not path.is_file():
        raise SystemExit(f"coso import: {path}: no such file.")
    try:
        job = asyncio.run(_import(args, settings, url, path, media))
    except DomainError as refused:
        raise SystemExit(f"coso import: {refused.detail}") from None
    counts = job["counts"]
    print(json.dumps({"job": job["id"], "status": job["status"], "counts": counts}, ensure_ascii=False))
    if job["status"] != "succeeded":
        problem = job.get("problem") or {}
        sys.stderr.write(f"coso import: the job {job['status']}: {problem.get('detail', '')}\n")
        raise SystemExit(2 if problem.get("type", "").endswith(":import_rejected") else 1)
    if counts.get("failed"):
        raise SystemExit(2)


async def _import(args: argparse.Namespace, settings: Settings, url: str, path: Path, media: str) -> dict[str, Any]:
    caller = Caller(kind="system", id="cli", name="coso import (command line)", role=Role.admin, pii=True)
    options = member_imports.Options(
        mode=args.mode,
        atomic=args.atomic,
        allow_same_name=args.allow_same_name,
        today=datetime.now(ZoneInfo(settings.timezone)).date(),
        min_age=settings.admission_min_age,
        probation_months=settings.probation_months,
    )
    pool = await open_database(url, statement_timeout_ms=3_600_000, pool_size=4)
    try:
        async with transaction(pool) as tx:
            submitted = await jobs.submit(
                tx,
                actor=Actor(caller=caller),
                media=media,
                head=b"",
                rest=_read(path),
                options=options,
                file_name=path.name,
            )
        limits = runner.Limits(batch_rows=settings.job_batch_rows, max_attempts=settings.job_max_attempts)
        work = asyncio.create_task(runner.run_job(pool, submitted.job_id, check=check_member_row, limits=limits))
        job = await _follow(pool, caller, submitted.job_id, work)
        if args.report:
            rows = await job_queries.job_errors(pool, submitted.job_id, after=None, limit=10_000_000)
            report = {"job": job, "errors": [json.loads(r["doc"]) for r in rows]}
            args.report.write_text(json.dumps(report, ensure_ascii=False, indent=2) + "\n")
        shown = await job_queries.job_errors(pool, submitted.job_id, after=None, limit=SHOWN_ERRORS)
        for row in shown:
            error = json.loads(row["doc"])
            sys.stderr.write(f"row {error['row']}, {error['column'] or '-'}: {error['rule']}: {error['message']}\n")
        if len(shown) == SHOWN_ERRORS and job["counts"].get("failed", 0) > SHOWN_ERRORS:
            sys.stderr.write(f"… (all the errors: --report FILE, or GET /api/v1/jobs/{job['id']}/errors)\n")
        return job
    finally:
        await close_database(pool)


async def _read(path: Path) -> AsyncIterator[bytes]:
    with path.open("rb") as file:
        while chunk := file.read(1 << 20):
            yield chunk


async def _follow(pool: Any, caller: Caller, job_id: Any, work: "asyncio.Task[None]") -> dict[str, Any]:
    """The job's progress as a bar on standard error until it ends (run here, or by a worker that took it)."""
    started = time.monotonic()
    while True:
        job: dict[str, Any] = json.loads(await jobs.get(pool, caller, job_id))
        ended = job["status"] in ("succeeded", "failed", "cancelled")
        _bar(job, time.monotonic() - started, end="\n" if ended else "\r")
        if ended:
            await work
            return job
        if work.done() and work.exception() is not None:
            raise work.exception()  # type: ignore[misc]
        await asyncio.sleep(0.5)


def _bar(job: dict[str, Any], seconds: float, *, end: str) -> None:
    total, done = job.get("rows_total"), job.get("rows_done") or 0
    width = 30
    if total:
        filled = int(width * done / total)
        bar = f"[{'#' * filled}{'.' * (width - filled)}] {100 * done / total:3.0f}% {done:,}/{total:,} rows"
    else:
        bar = f"[{'.' * width}] reading the file"
    rate = f", {done / seconds:,.0f} rows/s" if seconds > 0 and done else ""
    sys.stderr.write(f"coso import: {bar} in {seconds:,.1f} s{rate} ({job['status']}){end}")
    sys.stderr.flush()
