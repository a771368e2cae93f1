"""The per-row path of the member import: each row through the same domain functions as POST /members and
PATCH /members/{id}, in its own savepoint. The synchronous answer for small files, the fallback of the set-based
path (batch.py) for a row it cannot decide, and the oracle that path is tested against."""

import uuid
from dataclasses import dataclass
from datetime import date
from typing import Any

from app.db.members import matching
from app.db.members import reads as member_reads
from app.db.scope import Scope
from app.domain.access.callers import Actor
from app.domain.errors import DomainError, NotFound
from app.domain.imports import columns, rows
from app.domain.imports.report import Mode, Report, RowError
from app.domain.imports.rows import ROW_DATABASE_ERRORS, Outcome, Problem, RowChecker, RowFailed
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


async def run_rows_one_by_one(
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
            report.errors += [said(row, (e.field, e.rule, e.message), raw=True) for e in row.errors]
            report.counts.failed += 1
            continue
        outcome, errors = await run_one(tx, actor=actor, scope=scope, row=row, check=check, options=options)
        report.errors += errors
        if outcome is None:
            report.counts.failed += 1
        else:
            setattr(report.counts, outcome, getattr(report.counts, outcome) + 1)


async def run_one(
    tx: Tx, *, actor: Actor, scope: Scope, row: columns.MemberRow, check: RowChecker, options: Options
) -> tuple[Outcome | None, list[RowError]]:
    """One row (without cell errors) in its savepoint: its outcome, or None and its errors."""
    savepoint = tx.conn.transaction()
    await savepoint.start()
    audited = tx.audited
    try:
        outcome = await _write(tx, actor=actor, scope=scope, row=row, check=check, options=options)
    except (RowFailed, DomainError, *ROW_DATABASE_ERRORS) as failure:
        await savepoint.rollback()
        tx.audited = audited  # the rolled-back row's audit entry is gone with it
        return None, [said(row, p) for p in problems_of(failure)]
    await savepoint.commit()
    return outcome, []


def problems_of(failure: Exception) -> list[Problem]:
    return rows.problems_of(failure, RULE_FIELDS)


def said(row: columns.MemberRow, problem: Problem, *, raw: bool = False) -> RowError:
    """The problem in the file's words (the organisation's column for `organization_id`)."""
    name, rule, message = problem
    name = "organization" if name == "organization_id" else name
    return rows.said(row, (name, rule, message), sensitive=columns.SENSITIVE, raw=raw)


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
        raise RowFailed(problems)
    given = checked.values
    target = member_id or await _match(tx, scope, given)
    if target is not None:
        return await _update(
            tx, actor=actor, scope=scope, member_id=target, given=given, row_columns=row.columns, options=options
        )
    if checked.missing:
        raise RowFailed(checked.missing)
    await records.create_member(
        tx,
        actor=actor,
        scope=scope,
        values=record_values(given),
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
    return chosen_match(found, visible)


def chosen_match(found: list[tuple[uuid.UUID, str]], visible: set[uuid.UUID]) -> uuid.UUID | None:
    """Of the records the row's keys name, the one in scope; two different ones: the row is ambiguous."""
    named = {member_id for member_id, _ in found if member_id in visible}
    if len(named) > 1:
        raise RowFailed(
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
    if value is None or type(value) is str:  # most cells: no conversion (a re-import compares every one)
        return value
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
    changes = changes_of(member_id, given, await records.full_record(tx, member_id), row_columns)
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


# What a correction leaves alone: the lifecycle (events), the registration's own fields, the external ids (added).
_NOT_CORRECTED = frozenset((*LIFECYCLE, *REGISTRATION_ONLY, "external_ids"))


def changes_of(
    member_id: uuid.UUID, given: dict[str, Any], stored: dict[str, Any], row_columns: dict[str, str]
) -> dict[str, Any]:
    """The fields of a matched row that differ from the stored record (none: the row is unchanged). A row that
    moves the member (status, cell, admission) fails: that is the events' business."""
    moved = [f for f in LIFECYCLE if f in given and _plain(given[f]) != _plain(stored.get(f))]
    if moved:
        raise RowFailed(
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
    changes = {f: v for f, v in given.items() if f not in _NOT_CORRECTED and _plain(v) != _plain(stored.get(f))}
    # External ids are added, never dropped: another system's id of the person is not the file's to remove.
    known: list[str] = stored.get("external_ids") or []
    added = [e for e in given.get("external_ids", []) if e not in known]
    if added:
        changes["external_ids"] = [*known, *added]
    return changes


def record_values(given: dict[str, Any]) -> dict[str, Any]:
    """A new row's values as the record takes them (external ids, `since` and `decision_ref` go elsewhere)."""
    return {k: v for k, v in given.items() if k not in ("external_ids", *REGISTRATION_ONLY)}
