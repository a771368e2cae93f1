"""The member import: rows → the rules of POST /members and PATCH /members/{id}, in the caller's transaction:
set-wise per batch (batch.py), with the per-row path (member_rows.py: each row in a savepoint) as its fallback
and oracle.

`run` is a function of (transaction, rows): the synchronous endpoint calls it after parsing the upload; a background
worker will call it with rows it reads back from where the job keeps them (ARCHITECTURE.md, "Imports")."""

import asyncio
from collections.abc import Mapping
from dataclasses import dataclass

from app.db.scope import Scope
from app.domain.access.callers import Actor, Forbidden
from app.domain.imports import batch, columns, files
from app.domain.imports.annotate import annotated
from app.domain.imports.member_rows import LIFECYCLE as LIFECYCLE
from app.domain.imports.member_rows import REGISTRATION_ONLY as REGISTRATION_ONLY
from app.domain.imports.member_rows import Options as Options
from app.domain.imports.member_rows import run_rows_one_by_one as run_rows_one_by_one
from app.domain.imports.report import ImportRejected, Report
from app.domain.imports.rows import Checked as Checked
from app.domain.imports.rows import Problem as Problem
from app.domain.imports.rows import RowChecker as RowChecker
from app.domain.tx import Tx


@dataclass(frozen=True)
class Imported:
    report: Report
    file: bytes | None = None  # the file as sent, with each row's errors in a column of their own


async def import_file(
    tx: Tx,
    *,
    actor: Actor,
    scope: Scope,
    data: bytes,
    content_type: str | None,
    check: RowChecker,
    options: Options,
    max_rows: int,
    annotate: bool = False,
) -> Imported:
    """Read the file (in a thread: parsing is CPU work) and run its rows; with `annotate`, also the file with a
    column of each row's errors."""
    media = files.media_type(content_type, data)
    table = await asyncio.to_thread(files.read_table, data, media, max_rows=max_rows)
    _sensitive_columns_need_pii(actor, columns.header_fields(table.header))
    rows = await asyncio.to_thread(columns.member_rows, table)
    report = await run(tx, actor=actor, scope=scope, rows=rows, check=check, options=options, media=media)
    if not annotate:
        return Imported(report=report)
    return Imported(report=report, file=await asyncio.to_thread(annotated, table, media, report.errors))


async def run(
    tx: Tx,
    *,
    actor: Actor,
    scope: Scope,
    rows: list[columns.MemberRow],
    check: RowChecker,
    options: Options,
    media: str,
) -> Report:
    """A whole file in one transaction (the synchronous answer): the rows marked for duplicates within the file,
    run, and the transaction's end decided by the mode (`finish`)."""
    report = new_report(options, media)
    mark_duplicates_in_file(rows)
    await run_rows(tx, actor=actor, scope=scope, rows=rows, check=check, options=options, report=report)
    return finish(tx, report, options)


def new_report(options: Options, media: str) -> Report:
    return Report(kind="members", format=media, mode=options.mode, atomic=options.atomic)


async def run_rows(
    tx: Tx,
    *,
    actor: Actor,
    scope: Scope,
    rows: list[columns.MemberRow],
    check: RowChecker,
    options: Options,
    report: Report,
) -> None:
    """A batch of rows, counted into `report`, decided and written set-wise (batch.py), with exactly the outcome
    of the per-row path (`run_rows_one_by_one`: each row in a savepoint). A background job calls this once per
    batch of its rows, in one transaction or one per batch."""
    await batch.run_rows(tx, actor=actor, scope=scope, rows=rows, check=check, options=options, report=report)


def finish(tx: Tx, report: Report, options: Options) -> Report:
    """The end of an import's transaction. Validate: rolled back (`tx.unchanged`), so the report is what a commit
    would do. Atomic commit with a bad row: `ImportRejected` (nothing written, the report in the problem)."""
    written = report.counts.created + report.counts.updated
    if options.mode == "validate":
        tx.unchanged = True  # everything was done, and is rolled back: the report is exact
    elif report.counts.failed and options.atomic:
        raise ImportRejected(
            f"{report.counts.failed} of {report.counts.rows} rows cannot be imported, and the import is atomic: "
            "nothing was written. Correct the rows listed in `report.errors` (or import with atomic=false to "
            "write the good rows).",
            report=report.as_dict(),
        )
    else:
        report.committed = True
        if written == 0:
            tx.unchanged = True
    return report


def _sensitive_columns_need_pii(actor: Actor, mapping: dict[str, str]) -> None:
    """Writing a sensitive column is reading it too: whether a row is `unchanged` says whether the stored value is
    the one sent, and a citizen ID that matches says who holds it. Without pii such a file is refused."""
    sensitive = [header for header, name in mapping.items() if name in columns.SENSITIVE]
    if sensitive and not actor.caller.pii:
        raise Forbidden(
            f"The columns {', '.join(repr(s) for s in sensitive)} hold sensitive personal data (Law 91/2025/QH15): "
            "importing them needs the pii permission. Remove them, or import with a key that has it.",
            code="pii_required",
        )


def duplicate_keys(row: columns.MemberRow) -> list[tuple[str, str]]:
    """The keys a person is found by (id, citizen ID, external ids), in the row's order."""
    keys: list[tuple[str, str]] = [(f, str(row.values[f])) for f in ("id", "citizen_id") if f in row.values]
    keys += [("external_ids", e) for e in row.values.get("external_ids", [])]
    return keys


def key_text(key: tuple[str, str]) -> str:
    return f"{key[0]}:{key[1]}"


def mark_duplicates_in_file(rows: list[columns.MemberRow], earlier: Mapping[str, int] | None = None) -> None:
    """A person is in a file once: a second row with the same id, citizen ID or external id is an error (it would
    otherwise update the record the first row wrote). `earlier`: keys (`key_text`) that rows before these claimed,
    with the row of the first (a background job's earlier batches)."""
    first: dict[str, int] = dict(earlier or {})
    for row in rows:
        for key in duplicate_keys(row):
            text = key_text(key)
            if text in first:
                column = row.columns.get(key[0], key[0])
                row.errors.append(
                    columns.CellError(
                        key[0],
                        column,
                        "duplicate_in_file",
                        f"{column}: row {first[text]} of this file has the same value; a person is listed once.",
                    )
                )
            else:
                first[text] = row.row
