"""The organisation import: rows → the same domain functions as POST /organizations and PATCH
/organizations/{id}, in the caller's transaction, each row in a savepoint.

A row names its unit by id, else by code, else by an external id; a unit it names is corrected (the fields that
differ), another is created under the parent the row names by id or code (`parent_id`, `parent_code`: the export
writes both). Parents created by the same file are created first (`in_resolve_order`). Where a unit sits and
whether it exists are a reorganisation's (move, dissolve, merge, split: they keep the lineage), never a file's."""

import uuid
from dataclasses import dataclass
from datetime import date
from typing import Any

import orjson

from app.db.scope import WHOLE_TREE, Scope
from app.domain.access.callers import Actor
from app.domain.errors import NotFound
from app.domain.imports.report import Mode, Report
from app.domain.imports.rows import (
    Outcome,
    Problem,
    RowChecker,
    RowFailed,
    each_row,
    finish,
    mark_duplicates_in_file,
)
from app.domain.imports.sheet import Column, ImportRow, Layout
from app.domain.organizations import changes, tree
from app.domain.organizations.rules import CATEGORY_LABELS, KIND_LABELS
from app.domain.tx import Tx

__all__ = ["LAYOUT", "Options", "finish", "in_resolve_order", "new_report", "run_rows"]

# The columns of the organisation export (app/domain/exports/organizations.py), in its order, then what only a
# creation takes. `depth` is derived (read past).
LAYOUT = Layout(
    kind="organizations",
    noun="organisation",
    template="/api/v1/organizations/import/template",
    sheet="Tổ chức đảng",
    columns=(
        Column("id", kind="id"),
        Column("code", ("Mã tổ chức", "Mã đơn vị", "Mã"), example="DU-XA-TANLAP-CB01"),
        Column("name", ("Tên tổ chức đảng", "Tên tổ chức", "Tên"), example="Chi bộ Thôn Đồng Xuân"),
        Column("kind", ("Loại tổ chức đảng", "Loại tổ chức", "Cấp tổ chức"), kind="code", example="Chi bộ trực thuộc"),
        Column("category", ("Loại hình", "Lĩnh vực", "Loại hình tổ chức"), kind="code", example="Thôn"),
        Column("parent_id", ("parent",), kind="organization"),
        Column(
            "parent_code",
            ("Mã tổ chức cấp trên", "Mã cấp trên", "Cấp trên trực tiếp", "Trực thuộc"),
            kind="organization",
            example="DU-XA-TANLAP",
        ),
        Column("depth", ("Cấp trong cây",), kind="number"),
        Column("valid_from", ("Ngày thành lập",), kind="date", example="01/07/2025"),
        Column("valid_to", ("Ngày giải thể", "Ngày kết thúc"), kind="date"),
        Column("external_ids", ("Mã hệ thống khác", "Mã định danh ngoài"), kind="list", example="csdl-tinh:TC-0042"),
        Column("decision_ref", ("Số quyết định thành lập", "Quyết định thành lập"), example="125-QĐ/ĐU"),
        Column("note", ("Ghi chú",)),
    ),
    labels={
        "kind": {k.value: v for k, v in KIND_LABELS.items()},
        "category": {c.value: v for c, v in CATEGORY_LABELS.items()},
    },
    read_past=("depth",),
)
RULE_FIELDS = {
    "organization_not_found": "id",
    "parent_not_found": "parent_code",
    "parent_kind_not_allowed": "kind",
    "duplicate_code": "code",
    "code_taken": "code",
    "duplicate_external_id": "external_ids",
    "external_id_taken": "external_ids",
    "forbidden": "parent_code",
}
# What a creation only takes (a correction cannot change them: PATCH has no such field).
CREATION_ONLY = ("decision_ref", "note")


@dataclass(frozen=True)
class Options:
    mode: Mode
    atomic: bool
    today: date


def new_report(options: Options, media: str) -> Report:
    return Report(kind="organizations", format=media, mode=options.mode, atomic=options.atomic)


def _keys(row: ImportRow) -> list[tuple[str, str]]:
    keys = [(f, str(row.values[f])) for f in ("id", "code") if f in row.values]
    return keys + [("external_ids", e) for e in row.values.get("external_ids", [])]


def in_resolve_order(rows: list[ImportRow]) -> list[ImportRow]:
    """The rows marked for in-file duplicates, and ordered so that a unit comes after the parent another row of
    the file creates (otherwise in file order; a cycle is left to fail as a parent not found)."""
    mark_duplicates_in_file(rows, _keys)
    by_code = {str(r.values["code"]): r for r in rows if "code" in r.values}
    ordered: list[ImportRow] = []
    placed: set[int] = set()
    visiting: set[int] = set()

    def place(row: ImportRow) -> None:
        if row.record in placed or row.record in visiting:
            return
        visiting.add(row.record)
        parent = by_code.get(str(row.values.get("parent_code") or row.values.get("parent_id") or ""))
        if parent is not None and parent is not row:
            place(parent)
        visiting.discard(row.record)
        placed.add(row.record)
        ordered.append(row)

    for row in rows:
        place(row)
    return ordered


async def _parent(tx: Tx, scope: Scope, row: ImportRow) -> uuid.UUID | None:
    """The parent the row names by id or code (both: they must name the same unit)."""
    found: dict[str, uuid.UUID] = {}
    for name in ("parent_id", "parent_code"):
        if name in row.values:
            try:
                found[name] = await tree.id_of(tx.conn, str(row.values[name]), scope=scope)
            except NotFound as missing:
                said = f"{row.columns.get(name, name)}: {missing.detail} Its parent is named by id or code."
                raise RowFailed([(name, "parent_not_found", said)]) from None
    if len(set(found.values())) > 1:
        raise RowFailed([("parent_code", "parent_mismatch", "parent_id and parent_code name different units.")])
    return next(iter(found.values()), None)


async def _named(tx: Tx, scope: Scope, values: dict[str, Any]) -> dict[str, Any] | None:
    """The unit the row names (id, else code, else an external id) as the API shows it, or None. An id names a
    unit or fails (outside the scope is missing); a code or an external id naming none is a new unit."""
    if "id" in values:
        doc = await tree.read_organization(tx.conn, scope=scope, as_of=None, org_id=values["id"])
        found: dict[str, Any] = orjson.loads(doc.json)
        return found
    keys = [("code", values["code"])] if "code" in values else []
    keys += [("external_id", e) for e in values.get("external_ids", [])]
    for name, key in keys:
        try:
            doc = await tree.read_organization(tx.conn, scope=scope, as_of=None, **{name: key})
        except NotFound:
            continue
        named: dict[str, Any] = orjson.loads(doc.json)
        return named
    return None


def _through(column: str, what: str, endpoint: str) -> Problem:
    return (
        column,
        "changes_through_reorganization",
        f"{column}: {what} changes by a reorganisation ({endpoint}), which keeps the unit's lineage; not by import. "
        "Leave the cell empty or as recorded.",
    )


async def _write(tx: Tx, *, actor: Actor, scope: Scope, row: ImportRow, check: RowChecker, options: Options) -> Outcome:
    checked = check({k: v for k, v in row.values.items() if k not in ("id", "parent_id", "parent_code")})
    if checked.errors:
        raise RowFailed(checked.errors)
    given = checked.values
    stored = await _named(tx, scope, row.values)
    # A unit's parent is compared, not written, when the row names a unit: the top of the caller's scope has a
    # parent outside it, which its export names and its re-import must find the same.
    parent_id = await _parent(tx, scope if stored is None else WHOLE_TREE, row)
    if stored is None:
        if "valid_to" in given:
            raise RowFailed([_through("valid_to", "the end of a unit", "POST /api/v1/organizations/{id}/dissolve")])
        if checked.missing:
            raise RowFailed(checked.missing)
        await changes.create_organization(
            tx,
            actor=actor,
            scope=scope,
            code=given["code"],
            name=given["name"],
            kind=given["kind"],
            category=given.get("category"),
            parent_id=parent_id,
            valid_from=given.get("valid_from") or options.today,
            external_ids=given.get("external_ids", []),
            decision_ref=given.get("decision_ref"),
            note=given.get("note"),
        )
        return "created"
    org_id = uuid.UUID(stored["id"])
    moved: list[Problem] = []
    if parent_id is not None and str(parent_id) != str(stored["parent_id"]):
        column = "parent_code" if "parent_code" in row.values else "parent_id"
        moved.append(_through(column, "where a unit sits", f"POST /api/v1/organizations/{org_id}/move"))
    if "valid_to" in given and given["valid_to"].isoformat() != stored["valid_to"]:
        moved.append(_through("valid_to", "the end of a unit", f"POST /api/v1/organizations/{org_id}/dissolve"))
    if "valid_from" in given and given["valid_from"].isoformat() != stored["valid_from"]:
        moved.append(_through("valid_from", "the founding date", "it is set when the unit is created"))
    if moved:
        raise RowFailed(moved)
    fields = ("code", "name", "kind", "category")
    corrections = {f: given[f] for f in fields if f in given and str(given[f]) != str(stored[f])}
    # External ids are added, never dropped: another system's id of the unit is not the file's to remove.
    added = [e for e in given.get("external_ids", []) if e not in stored["external_ids"]]
    if added:
        corrections["external_ids"] = [*stored["external_ids"], *added]
    if not corrections:
        return "unchanged"
    await changes.update_organization(
        tx, actor=actor, scope=scope, org_id=org_id, changes=corrections, expected_version=None
    )
    return "updated"


# Each row through `_write` in its savepoint (rows.run_each).
run_rows = each_row(_write, rule_fields=RULE_FIELDS, sensitive=LAYOUT.sensitive)
