"""The import of members' histories (admissions, transfers, exits … with their dates, as another system recorded
them): each row → the same domain function as POST /members/{id}/events, in the caller's transaction, each row in
a savepoint. An event already recorded (same member, kind and date) is `unchanged`: a file imported twice records
nothing twice. Rows run in date order (a history is recorded oldest first), whatever the file's order."""

import uuid
from dataclasses import dataclass
from datetime import date
from typing import Any

from app.db.members import matching
from app.db.scope import Scope
from app.domain.access.callers import Actor
from app.domain.errors import Conflict
from app.domain.imports import people
from app.domain.imports.report import Mode, Report
from app.domain.imports.rows import Outcome, RowChecker, RowFailed, each_row, finish
from app.domain.imports.sheet import Column, ImportRow, Layout
from app.domain.members import events
from app.domain.members.lifecycle import DISCIPLINE, LABELS_VI, EventKind
from app.domain.tx import Tx

__all__ = ["LAYOUT", "Options", "finish", "in_resolve_order", "new_report", "run_rows"]

LAYOUT = Layout(
    kind="member_events",
    noun="member event",
    template="/api/v1/members/events/import/template",
    sheet="Quá trình đảng viên",
    columns=(
        *people.MEMBER_KEY_COLUMNS,
        Column("kind", ("Loại sự kiện", "Sự kiện", "Nội dung"), kind="code", example="Kết nạp"),
        Column("date", ("Ngày", "Ngày quyết định", "Ngày hiệu lực"), kind="date", example="03/02/2015"),
        Column("decision_ref", ("Số quyết định",), example="125-QĐ/ĐU"),
        Column("note", ("Ghi chú",)),
        Column(
            "to_organization",
            ("to_organization_id", "to_organization_code", "Chuyển đến", "Mã chi bộ chuyển đến"),
            kind="organization",
        ),
        Column("destination", ("Nơi chuyển đến ngoài hệ thống", "Nơi đến")),
        Column("age_exception", ("Lý do ngoại lệ về tuổi",)),
        Column("ceremony_date", ("Ngày lễ kết nạp", "Ngày tổ chức lễ kết nạp"), kind="date", example="10/02/2015"),
    ),
    labels={"kind": {k.value: v for k, v in LABELS_VI.items()}},
    read_past=("full_name",),
)
RULE_FIELDS = {
    **people.RULE_FIELDS,
    "organization_not_found": "to_organization",
    "not_a_cell": "to_organization",
    "out_of_order": "date",
    "admission_age": "date",
    "ceremony_before_decision": "ceremony_date",
}


@dataclass(frozen=True)
class Options:
    mode: Mode
    atomic: bool
    min_age: int
    max_age: int
    probation_months: int
    sponsor_min_months: int


def new_report(options: Options, media: str) -> Report:
    return Report(kind="member_events", format=media, mode=options.mode, atomic=options.atomic)


def in_resolve_order(rows: list[ImportRow]) -> list[ImportRow]:
    """Oldest event first (stable: the file's order on one day); rows without a readable date keep their place
    at the front, where they fail."""
    return sorted(rows, key=lambda r: str(r.values.get("date", "")))


async def _write(tx: Tx, *, actor: Actor, scope: Scope, row: ImportRow, check: RowChecker, options: Options) -> Outcome:
    values: dict[str, Any] = {k: v for k, v in row.values.items() if k not in (*people.MEMBER_KEYS, "full_name")}
    await people.unit_named(tx, scope, values, "to_organization", "to_organization_id")
    checked = check(values)
    if checked.errors or checked.missing:
        raise RowFailed(checked.errors + checked.missing)
    given = checked.values
    kind = EventKind(given["kind"])
    if kind in DISCIPLINE and not actor.caller.pii:
        raise RowFailed(
            [("kind", "pii_required", "kind: discipline is sensitive personal data; recording it needs pii.")]
        )
    member_id = await people.member_named(tx, scope, row.values)
    on: date = given["date"]
    if await matching.event_recorded(tx.conn, member_id, kind.value, on):
        return "unchanged"
    try:
        await _record(tx, actor=actor, scope=scope, member_id=member_id, kind=kind, given=given, options=options)
    except Conflict as refused:  # the lifecycle's rules are about the event's kind unless said otherwise
        raise RowFailed([(RULE_FIELDS.get(refused.code, "kind"), refused.code, refused.detail)]) from None
    return "created"


async def _record(
    tx: Tx,
    *,
    actor: Actor,
    scope: Scope,
    member_id: uuid.UUID,
    kind: EventKind,
    given: dict[str, Any],
    options: Options,
) -> None:
    await events.record_event(
        tx,
        actor=actor,
        scope=scope,
        member_id=member_id,
        kind=kind,
        on=given["date"],
        decision_ref=given.get("decision_ref"),
        note=given.get("note"),
        to_organization_id=given.get("to_organization_id"),
        destination=given.get("destination"),
        age_exception=given.get("age_exception"),
        ceremony_date=given.get("ceremony_date"),
        min_age=options.min_age,
        max_age=options.max_age,
        probation_months=options.probation_months,
        sponsor_min_months=options.sponsor_min_months,
    )


# Each row through `_write` in its savepoint (rows.run_each).
run_rows = each_row(_write, rule_fields=RULE_FIELDS, sensitive=LAYOUT.sensitive)
