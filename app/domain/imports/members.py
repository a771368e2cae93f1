"""The member import: rows → the same domain functions as POST /members and PATCH /members/{id}, in the caller's
transaction, each row in a savepoint.

`run` is a function of (transaction, rows): the synchronous endpoint calls it after parsing the upload; a background
worker will call it with rows it reads back from where the job keeps them (ARCHITECTURE.md, "Imports")."""

import asyncio
import uuid
from dataclasses import dataclass
from datetime import date
from typing import Any

import asyncpg

from app.db.members import matching
from app.db.members import reads as member_reads
from app.db.scope import Scope
from app.domain.access.callers import Actor, Forbidden
from app.domain.errors import DomainError, NotFound
from app.domain.imports import columns, files
from app.domain.imports.annotate import annotated
from app.domain.imports.report import ImportRejected, Mode, Report, RowError
from app.domain.imports.rows import Outcome, Problem, RowChecker
from app.domain.members import records
from app.domain.organizations import tree
from app.domain.tx import Tx


@dataclass(frozen=True)
class Options:
    mode: Mode
    atomic: bool
    allow_same_name: bool
    today: date
    min_age: int
    probation_months: int


# Where a member is and in what status change only by events (POST /members/{id}/events): an import may repeat
# them (an export re-imported) but not change them. `since` and `decision_ref` describe a registration only.
LIFECYCLE = ("status", "organization_id", "admission_decision_date", "official_date")
REGISTRATION_ONLY = ("since", "decision_ref")
# The column a domain rule is about.
RULE_FIELDS = {
    "organization_not_found": "organization",
    "not_a_cell": "organization",
    "organization_dissolved": "organization",
    "before_organization_founded": "organization",
    "member_not_found": "id",
    "invalid_citizen_id": "citizen_id",
    "duplicate_citizen_id": "citizen_id",
    "possible_duplicate": "full_name",
    "duplicate_external_id": "external_ids",
    "ceremony_before_decision": "admission_ceremony_date",
    "admission_date_required": "admission_decision_date",
    "since_before_admission": "since",
    "candidate_too_young": "birth_date",
    "invalid_sponsors": "sponsor_ids",
}


@dataclass(frozen=True)
class Imported:
    report: Report
    file: bytes | None = None  # the file as sent, with each row's errors in a column of their own


# What the database refuses of one row's values (caught past the domain's checks): that row's error, not the file's.
_ROW_DATABASE_ERRORS = (asyncpg.IntegrityConstraintViolationError, asyncpg.DataError)


class _RowFailed(Exception):
    def __init__(self, problems: list[Problem]) -> None:
        super().__init__(problems)
        self.problems = problems


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
    media = files.media_type(content_type)
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
    """Rows through the domain, each in a savepoint (a bad row is rolled back alone), counted into `report`. A
    background job calls this once per batch of its rows, in one transaction or one per batch."""
    for row in rows:
        report.counts.rows += 1
        if row.errors:
            report.errors += [_said(row, (e.field, e.rule, e.message), raw=True) for e in row.errors]
            report.counts.failed += 1
            continue
        savepoint = tx.conn.transaction()
        await savepoint.start()
        audited = tx.audited
        try:
            outcome = await _write(tx, actor=actor, scope=scope, row=row, check=check, options=options)
        except (_RowFailed, DomainError, *_ROW_DATABASE_ERRORS) as failure:
            await savepoint.rollback()
            tx.audited = audited  # the rolled-back row's audit entry is gone with it
            report.errors += [_said(row, p) for p in _problems(failure)]
            report.counts.failed += 1
            continue
        await savepoint.commit()
        setattr(report.counts, outcome, getattr(report.counts, outcome) + 1)


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


def _problems(failure: Exception) -> list[Problem]:
    if isinstance(failure, _RowFailed):
        return failure.problems
    if isinstance(failure, DomainError):
        return [(RULE_FIELDS.get(failure.code, ""), failure.code, failure.detail)]
    if isinstance(failure, asyncpg.DataError):
        return [("", "invalid_value", "The database cannot store a value of this row; check its dates and lengths.")]
    # A uniqueness rule the domain checks could not see (a write of another request at the same moment).
    return [("", "conflict", "The row conflicts with a record written at the same time; import it again.")]


def _said(row: columns.MemberRow, problem: Problem, *, raw: bool = False) -> RowError:
    """The problem in the file's words (its header for the field), without any sensitive value of the row."""
    name, rule, message = problem
    name = "organization" if name == "organization_id" else name
    column = row.columns.get(name, name) or None
    if not raw and column and rule == "validation_error":
        message = f"{column}: {message}"
    for sensitive in columns.SENSITIVE:
        value = row.values.get(sensitive)
        if isinstance(value, str) and len(value) >= 3:
            message = message.replace(value, f"<{row.columns.get(sensitive, sensitive)}>")
    return RowError(row=row.row, record=row.record, column=column, rule=rule, message=message)


def mark_duplicates_in_file(rows: list[columns.MemberRow]) -> None:
    """A person is in a file once: a second row with the same id, citizen ID or external id is an error (it would
    otherwise update the record the first row wrote)."""
    first: dict[tuple[str, str], int] = {}
    for row in rows:
        keys: list[tuple[str, str]] = [(f, str(row.values[f])) for f in ("id", "citizen_id") if f in row.values]
        keys += [("external_ids", e) for e in row.values.get("external_ids", [])]
        for key in keys:
            if key in first:
                column = row.columns.get(key[0], key[0])
                row.errors.append(
                    columns.CellError(
                        key[0],
                        column,
                        "duplicate_in_file",
                        f"{column}: row {first[key]} of this file has the same value; a person is listed once.",
                    )
                )
            else:
                first[key] = row.row


async def _write(
    tx: Tx, *, actor: Actor, scope: Scope, row: columns.MemberRow, check: RowChecker, options: Options
) -> Outcome:
    values = dict(row.values)
    problems: list[Problem] = []
    member_id: uuid.UUID | None = values.pop("id", None)
    reference = values.pop("organization", None)
    if reference is not None:
        try:
            values["organization_id"] = await tree.id_of(tx.conn, str(reference), scope=scope)
        except NotFound as missing:
            problems.append(("organization", missing.code, missing.detail))
    checked = check(values)
    problems += checked.errors
    if problems:
        raise _RowFailed(problems)
    given = checked.values
    target = member_id or await _match(tx, scope, given)
    if target is not None:
        return await _update(
            tx, actor=actor, scope=scope, member_id=target, given=given, row_columns=row.columns, options=options
        )
    if checked.missing:
        raise _RowFailed(checked.missing)
    await records.create_member(
        tx,
        actor=actor,
        scope=scope,
        values={k: v for k, v in given.items() if k not in ("external_ids", *REGISTRATION_ONLY)},
        external_ids=given.get("external_ids", []),
        allow_same_name=options.allow_same_name,
        since=given.get("since"),
        today=options.today,
        min_age=options.min_age,
        probation_months=options.probation_months,
        decision_ref=given.get("decision_ref"),
    )
    return "created"


async def _match(tx: Tx, scope: Scope, given: dict[str, Any]) -> uuid.UUID | None:
    """The record the row's citizen ID or external ids name, among those the caller may change. A record outside
    the scope is no match: the row then registers a person, which the duplicate rules refuse as the API would."""
    found = await matching.members_with_keys(
        tx.conn, citizen_id=given.get("citizen_id"), external_ids=given.get("external_ids", [])
    )
    if not found:
        return None
    visible = await member_reads.members_in_scope(tx.conn, scope, [member_id for member_id, _ in found])
    named = {member_id for member_id, _ in found if member_id in visible}
    if len(named) > 1:
        raise _RowFailed(
            [
                (
                    "external_ids",
                    "ambiguous_match",
                    "The citizen ID and the external ids of this row name different members: correct the row so "
                    "that they name one person.",
                )
            ]
        )
    return next(iter(named), None)


def _column_of(name: str) -> str:
    return "organization" if name == "organization_id" else name


def _plain(value: Any) -> Any:
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, uuid.UUID):
        return str(value)
    if isinstance(value, list):
        return sorted(str(v) for v in value)
    return value


async def _update(
    tx: Tx,
    *,
    actor: Actor,
    scope: Scope,
    member_id: uuid.UUID,
    given: dict[str, Any],
    row_columns: dict[str, str],
    options: Options,
) -> Outcome:
    """PATCH /members/{id} with the fields that differ from the record; none: unchanged (nothing written)."""
    await records.living(tx, scope, member_id)
    stored = await records.full_record(tx, member_id)
    moved = [f for f in LIFECYCLE if f in given and _plain(given[f]) != _plain(stored.get(f))]
    if moved:
        raise _RowFailed(
            [
                (
                    f,
                    "changes_through_events",
                    f"{row_columns.get(_column_of(f), f)} differs from the record: where a member is and in what "
                    "status change through events "
                    f"(POST /api/v1/members/{member_id}/events), not by import. Leave the cell empty or as recorded.",
                )
                for f in moved
            ]
        )
    skipped = (*LIFECYCLE, *REGISTRATION_ONLY, "external_ids")
    changes = {f: v for f, v in given.items() if f not in skipped and _plain(v) != _plain(stored.get(f))}
    # External ids are added, never dropped: another system's id of the person is not the file's to remove.
    known: list[str] = stored.get("external_ids") or []
    added = [e for e in given.get("external_ids", []) if e not in known]
    if added:
        changes["external_ids"] = [*known, *added]
    if not changes:
        return "unchanged"
    await records.update_member(
        tx,
        actor=actor,
        scope=scope,
        member_id=member_id,
        changes=changes,
        expected_version=None,
        allow_same_name=options.allow_same_name,
        probation_months=options.probation_months,
    )
    return "updated"
