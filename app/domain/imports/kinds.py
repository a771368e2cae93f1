"""The kinds of import, by name: how a kind's file is read into rows (`read`, pure, then `prepare`: in-file
duplicates marked, rows put in the order they can be written in) and how its rows are run (`new_report`,
`run_rows(tx, *, actor, scope, rows, check, options, report)`, `finish`). A background job looks its kind up here
and calls the same trio on rows read back from where the job keeps them; `import_file` is the synchronous path.

Each kind's `options` is its module's `Options` dataclass (plain values: it serialises into a job's arguments)."""

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from functools import partial
from typing import Any

from app.db.scope import Scope
from app.domain.access.callers import Actor
from app.domain.imports import (
    columns,
    files,
    member_events,
    members,
    organizations,
    positions,
    posts,
    ratings,
    rows,
    sheet,
    task_reports,
)
from app.domain.imports.annotate import annotated
from app.domain.imports.members import Imported
from app.domain.imports.report import Report
from app.domain.imports.sheet import ImportRow, Layout
from app.domain.tx import Tx

RunRows = Callable[..., Awaitable[None]]


def _members_prepare(found: list[ImportRow]) -> list[ImportRow]:
    members.mark_duplicates_in_file(found)
    return found


@dataclass(frozen=True)
class ImportKind:
    name: str
    layout: Layout
    read: Callable[[files.Table], list[ImportRow]]
    prepare: Callable[[list[ImportRow]], list[ImportRow]]
    new_report: Callable[[Any, str], Report]
    run_rows: RunRows
    finish: Callable[[Tx, Report, Any], Report]


KINDS: dict[str, ImportKind] = {
    "members": ImportKind(
        "members",
        columns.MEMBERS,
        columns.member_rows,
        _members_prepare,
        members.new_report,
        members.run_rows,
        members.finish,
    ),
    "organizations": ImportKind(
        "organizations",
        organizations.LAYOUT,
        partial(sheet.read_rows, organizations.LAYOUT),
        organizations.in_resolve_order,
        organizations.new_report,
        organizations.run_rows,
        organizations.finish,
    ),
    "member_events": ImportKind(
        "member_events",
        member_events.LAYOUT,
        partial(sheet.read_rows, member_events.LAYOUT),
        member_events.in_resolve_order,
        member_events.new_report,
        member_events.run_rows,
        member_events.finish,
    ),
    "ratings": ImportKind(
        "ratings",
        ratings.LAYOUT,
        partial(sheet.read_rows, ratings.LAYOUT),
        ratings.in_resolve_order,
        ratings.new_report,
        ratings.run_rows,
        ratings.finish,
    ),
    "positions": ImportKind(
        "positions",
        positions.LAYOUT,
        partial(sheet.read_rows, positions.LAYOUT),
        positions.in_resolve_order,
        positions.new_report,
        positions.run_rows,
        positions.finish,
    ),
    "posts": ImportKind(
        "posts",
        posts.LAYOUT,
        partial(sheet.read_rows, posts.LAYOUT),
        posts.in_resolve_order,
        posts.new_report,
        posts.run_rows,
        posts.finish,
    ),
    "task_reports": ImportKind(
        "task_reports",
        task_reports.LAYOUT,
        partial(sheet.read_rows, task_reports.LAYOUT),
        task_reports.in_resolve_order,
        task_reports.new_report,
        task_reports.run_rows,
        task_reports.finish,
    ),
}


async def import_file(
    tx: Tx,
    *,
    kind: str,
    actor: Actor,
    scope: Scope,
    data: bytes,
    content_type: str | None,
    check: rows.RowChecker,
    options: Any,
    max_rows: int,
    annotate: bool = False,
) -> Imported:
    """Read the file (in a thread: parsing is CPU work), run its rows in one transaction and end it by mode; with
    `annotate`, also the file with a column of each row's errors."""
    chosen = KINDS[kind]
    media = files.media_type(content_type, data)
    table = await asyncio.to_thread(files.read_table, data, media, max_rows=max_rows)
    rows.sensitive_columns_need_pii(actor, chosen.layout, sheet.header_fields(chosen.layout, table.header))
    found = chosen.prepare(await asyncio.to_thread(chosen.read, table))
    report = chosen.new_report(options, media)
    await chosen.run_rows(tx, actor=actor, scope=scope, rows=found, check=check, options=options, report=report)
    chosen.finish(tx, report, options)
    if not annotate:
        return Imported(report=report)
    return Imported(report=report, file=await asyncio.to_thread(annotated, table, media, report.errors))
