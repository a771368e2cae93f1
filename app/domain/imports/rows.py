"""What every kind's import shares around its rows: the row checker's answer (the API's models), the loop that
runs each row in a savepoint and counts it into the report, the problems said in the file's words, and the end of
the transaction by mode. A kind's module (organizations.py, member_events.py, ratings.py) supplies only how one
row is written; members.py keeps its own loop (its rows are marked for in-file duplicates its own way)."""

from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal, Protocol

import asyncpg

from app.domain.access.callers import Actor, Forbidden
from app.domain.errors import DomainError
from app.domain.imports.report import ImportRejected, Mode, Report, RowError
from app.domain.imports.sheet import CellError, ImportRow, Layout
from app.domain.tx import Tx

Outcome = Literal["created", "updated", "unchanged"]
# (field, rule, message): what is wrong with a row, before it is said in the file's words.
Problem = tuple[str, str, str]


@dataclass(frozen=True)
class Checked:
    """A row's values as the API's models read them (app/api/imports/checks.py): `values` valid for an update;
    `missing` what a creation would still lack (required fields)."""

    values: dict[str, Any]
    errors: list[Problem] = field(default_factory=list)
    missing: list[Problem] = field(default_factory=list)


RowChecker = Callable[[dict[str, Any]], Checked]


class RunOptions(Protocol):
    """What `finish` needs of a kind's options (each kind's `Options` dataclass has these and its own)."""

    @property
    def mode(self) -> Mode: ...

    @property
    def atomic(self) -> bool: ...


class RowFailed(Exception):
    def __init__(self, problems: list[Problem]) -> None:
        super().__init__(problems)
        self.problems = problems


# What the database refuses of one row's values (caught past the domain's checks): that row's error, not the file's.
ROW_DATABASE_ERRORS = (asyncpg.IntegrityConstraintViolationError, asyncpg.DataError)


def problems_of(failure: Exception, rule_fields: Mapping[str, str]) -> list[Problem]:
    if isinstance(failure, RowFailed):
        return failure.problems
    if isinstance(failure, DomainError):
        return [(rule_fields.get(failure.code, ""), failure.code, failure.detail)]
    if isinstance(failure, asyncpg.DataError):
        return [("", "invalid_value", "The database cannot store a value of this row; check its dates and lengths.")]
    return [("", "conflict", "The row conflicts with a record written at the same time; import it again.")]


def said(row: ImportRow, problem: Problem, *, sensitive: frozenset[str], raw: bool = False) -> RowError:
    """The problem in the file's words (its header for the field), without any sensitive value of the row."""
    name, rule, message = problem
    column = row.columns.get(name, name) or None
    if not raw and column and rule in ("validation_error", "required"):
        message = f"{column}: {message}"
    for secret in sensitive:
        value = row.values.get(secret)
        if isinstance(value, str | int) and len(str(value)) >= 3:
            message = message.replace(str(value), f"<{row.columns.get(secret, secret)}>")
    return RowError(row=row.row, record=row.record, column=column, rule=rule, message=message)


async def run_each(
    tx: Tx,
    *,
    rows: Sequence[ImportRow],
    report: Report,
    write: Callable[[ImportRow], Awaitable[Outcome]],
    rule_fields: Mapping[str, str],
    sensitive: frozenset[str],
) -> None:
    """Each row through `write` in a savepoint (a bad row is rolled back alone, its audit flag with it), counted
    into `report`."""
    for row in rows:
        report.counts.rows += 1
        if row.errors:
            report.errors += [
                said(row, (e.field, e.rule, e.message), sensitive=sensitive, raw=True) for e in row.errors
            ]
            report.counts.failed += 1
            continue
        savepoint = tx.conn.transaction()
        await savepoint.start()
        audited = tx.audited
        try:
            outcome = await write(row)
        except (RowFailed, DomainError, *ROW_DATABASE_ERRORS) as failure:
            await savepoint.rollback()
            tx.audited = audited
            report.errors += [said(row, p, sensitive=sensitive) for p in problems_of(failure, rule_fields)]
            report.counts.failed += 1
            continue
        await savepoint.commit()
        setattr(report.counts, outcome, getattr(report.counts, outcome) + 1)


def each_row(
    write: Callable[..., Awaitable[Outcome]], *, rule_fields: Mapping[str, str], sensitive: frozenset[str]
) -> Callable[..., Awaitable[None]]:
    """A kind's `run_rows(tx, *, actor, scope, rows, check, options, report)`: each row through `write(tx, *, actor,
    scope, row, check, options)` in `run_each`'s savepoints."""

    async def run_rows(
        tx: Tx, *, actor: Actor, scope: Any, rows: Sequence[ImportRow], check: RowChecker, options: Any, report: Report
    ) -> None:
        async def one(row: ImportRow) -> Outcome:
            return await write(tx, actor=actor, scope=scope, row=row, check=check, options=options)

        await run_each(tx, rows=rows, report=report, write=one, rule_fields=rule_fields, sensitive=sensitive)

    return run_rows


def finish(tx: Tx, report: Report, options: RunOptions) -> Report:
    """The end of an import's transaction. Validate: rolled back (`tx.unchanged`), so the report is what a commit
    would do. Atomic commit with a bad row: `ImportRejected` (nothing written, the report in the problem)."""
    report.errors.sort(key=lambda e: e.record)  # rows may run in another order (parents first, dates in order)
    if options.mode == "validate":
        tx.unchanged = True
    elif report.counts.failed and options.atomic:
        raise ImportRejected(
            f"{report.counts.failed} of {report.counts.rows} rows cannot be imported, and the import is atomic: "
            "nothing was written. Correct the rows listed in `report.errors` (or import with atomic=false to "
            "write the good rows).",
            report=report.as_dict(),
        )
    else:
        report.committed = True
        if report.counts.created + report.counts.updated == 0:
            tx.unchanged = True
    return report


def sensitive_columns_need_pii(actor: Actor, layout: Layout, mapping: dict[str, str]) -> None:
    """Writing a sensitive column is reading it too (an `unchanged` row says the stored value is the one sent):
    without pii such a file is refused."""
    sensitive = [header for header, name in mapping.items() if name in layout.sensitive]
    if sensitive and not actor.caller.pii:
        raise Forbidden(
            f"The columns {', '.join(repr(s) for s in sensitive)} hold sensitive personal data (Law 91/2025/QH15): "
            "importing them needs the pii permission. Remove them, or import with a key that has it.",
            code="pii_required",
        )


def mark_duplicates_in_file(rows: Sequence[ImportRow], keys: Callable[[ImportRow], list[tuple[str, str]]]) -> None:
    """A record is in a file once: a second row with the same key is an error (it would otherwise rewrite what
    the first row wrote). `keys`: a row's (field, value) keys."""
    first: dict[tuple[str, str], int] = {}
    for row in rows:
        for key in keys(row):
            if key in first:
                column = row.columns.get(key[0], key[0])
                row.errors.append(
                    CellError(
                        key[0],
                        column,
                        "duplicate_in_file",
                        f"{column}: row {first[key]} of this file has the same value; a record is listed once.",
                    )
                )
            else:
                first[key] = row.row
