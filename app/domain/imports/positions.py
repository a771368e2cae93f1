"""The import of leadership seats (bí thư, phó bí thư, cấp ủy viên, tổ trưởng …, with their terms): each row →
the same domain function as POST /organizations/{id}/positions, with every rule of the composition; a seat
already recorded (same member, unit, position and start) is `unchanged`, or ended when the row gives the end an
open seat lacks (as POST …/positions/{id}/end). Rows run by start date, so that a term ends before the next
begins when the file says both."""

import uuid
from dataclasses import dataclass
from typing import Any

from app.db.positions import queries as db
from app.db.scope import Scope
from app.domain.access.callers import Actor
from app.domain.imports import people
from app.domain.imports.report import Mode, Report
from app.domain.imports.rows import Outcome, RowChecker, RowFailed, each_row, finish
from app.domain.imports.sheet import Column, ImportRow, Layout
from app.domain.positions import service
from app.domain.positions.composition import POSITION_LABELS, Position, SeatRules
from app.domain.tx import Tx

__all__ = ["LAYOUT", "Options", "finish", "in_resolve_order", "new_report", "run_rows"]

LAYOUT = Layout(
    kind="positions",
    noun="position",
    template="/api/v1/organizations/positions/import/template",
    sheet="Cấp ủy",
    columns=(
        *people.MEMBER_KEY_COLUMNS,
        Column(
            "organization",
            ("organization_id", "organization_code", "Tổ chức đảng", "Mã tổ chức", "Chi bộ"),
            kind="organization",
            example="CB-01",
        ),
        Column("position", ("Chức vụ", "Chức vụ đảng", "Chức danh"), kind="code", example="Bí thư"),
        Column("valid_from", ("Từ ngày", "Ngày bắt đầu"), kind="date", example="01/08/2025"),
        Column("valid_to", ("Đến ngày", "Ngày kết thúc"), kind="date"),
        Column("decision_ref", ("Số quyết định", "Quyết định chuẩn y"), example="125-QĐ/ĐU"),
    ),
    labels={"position": {p.value: label for p, label in POSITION_LABELS.items()}},
    read_past=("full_name",),
)
RULE_FIELDS = {
    **people.RULE_FIELDS,
    "organization_not_found": "organization",
    "invalid_period": "valid_to",
    "one_secretary_at_a_time": "position",
    "probationary_member_cannot_hold_seat": "member_id",
    "not_a_member_of_organization": "member_id",
    "cell_committee_too_large": "position",
    "too_many_deputy_secretaries": "position",
    "too_many_group_deputy_leaders": "position",
    "party_group_has_leader_not_secretary": "position",
    "group_seat_outside_party_group": "position",
}


@dataclass(frozen=True)
class Options:
    mode: Mode
    atomic: bool
    rules: SeatRules


def new_report(options: Options, media: str) -> Report:
    return Report(kind="positions", format=media, mode=options.mode, atomic=options.atomic)


def in_resolve_order(rows: list[ImportRow]) -> list[ImportRow]:
    return sorted(rows, key=lambda r: str(r.values.get("valid_from", "")))


async def _write(tx: Tx, *, actor: Actor, scope: Scope, row: ImportRow, check: RowChecker, options: Options) -> Outcome:
    values: dict[str, Any] = {k: v for k, v in row.values.items() if k not in (*people.MEMBER_KEYS, "full_name")}
    await people.unit_named(tx, scope, values, "organization", "organization_id")
    checked = check(values)
    if checked.errors or checked.missing:
        said = {"organization_id": "organization"}
        raise RowFailed([(said.get(n, n), rule, m) for n, rule, m in checked.errors + checked.missing])
    given = checked.values
    member_id = await people.member_named(tx, scope, row.values)
    organization_id: uuid.UUID = given["organization_id"]
    position = Position(given["position"])
    seat = await db.find_seat(
        tx.conn,
        member_id=member_id,
        organization_id=organization_id,
        position=position.value,
        valid_from=given["valid_from"],
    )
    if seat is None:
        await service.add_position(
            tx,
            actor=actor,
            scope=scope,
            organization_id=organization_id,
            member_id=member_id,
            position=position,
            valid_from=given["valid_from"],
            valid_to=given.get("valid_to"),
            decision_ref=given.get("decision_ref"),
            rules=options.rules,
        )
        return "created"
    end = given.get("valid_to")
    if end is None or end == seat["valid_to"]:
        return "unchanged"
    if seat["valid_to"] is not None:
        raise RowFailed(
            [
                (
                    "valid_to",
                    "seat_ended_otherwise",
                    "valid_to: this seat is recorded with another end; an import does not move an end (correct it "
                    "through the API).",
                )
            ]
        )
    await service.end_position(
        tx,
        actor=actor,
        scope=scope,
        organization_id=organization_id,
        position_id=seat["id"],
        valid_to=end,
        end_decision_ref=given.get("decision_ref"),
    )
    return "updated"


# Each row through `_write` in its savepoint (rows.run_each).
run_rows = each_row(_write, rule_fields=RULE_FIELDS, sensitive=LAYOUT.sensitive)
