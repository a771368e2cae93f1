"""`coso export`: a list as a file for the operator on the server, through the same domain functions as
`GET /members?format=…` and `GET /organizations?format=…` (same columns, snapshot and file name), with a progress
line on standard error."""

import argparse
import asyncio
import os
import sys
import time
from datetime import date, datetime
from typing import BinaryIO, Literal, cast
from zoneinfo import ZoneInfo

from app.db.database import close_database, open_database
from app.domain.access.callers import WHOLE_TREE, Caller, Role
from app.domain.errors import DomainError
from app.domain.exports import members as member_exports
from app.domain.exports import organizations as organization_exports
from app.domain.exports.files import Export
from app.domain.exports.writers import Format
from app.domain.members.reads import MemberFilters
from app.domain.organizations.tree import OrganizationFilters, id_of
from app.settings import Settings

KINDS = ("members", "organizations")


def add_commands(commands: "argparse._SubParsersAction[argparse.ArgumentParser]") -> None:
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
