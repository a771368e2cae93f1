"""The import of public posts members hold concurrently (trưởng thôn, chủ tịch UBND xã, …): each row → the same
domain function as POST /members/{id}/posts; a post already recorded (same member, post and start) is
`unchanged`, or ended when the row gives the end an open post lacks (as POST …/posts/{id}/end). Rows by start
date."""

from dataclasses import dataclass
from typing import Any

from app.db.positions import queries as db
from app.db.scope import Scope
from app.domain.access.callers import Actor
from app.domain.imports import people
from app.domain.imports.report import Mode, Report
from app.domain.imports.rows import Outcome, RowChecker, RowFailed, each_row, finish
from app.domain.imports.sheet import Column, ImportRow, Layout
from app.domain.positions import posts
from app.domain.positions.service import POST_LABELS, Post
from app.domain.tx import Tx

__all__ = ["LAYOUT", "Options", "finish", "in_resolve_order", "new_report", "run_rows"]

LAYOUT = Layout(
    kind="posts",
    noun="post",
    template="/api/v1/members/posts/import/template",
    sheet="Chức vụ chính quyền, đoàn thể",
    columns=(
        *people.MEMBER_KEY_COLUMNS,
        Column(
            "post",
            ("Chức vụ", "Chức vụ chính quyền, đoàn thể", "Chức danh"),
            kind="code",
            example="Trưởng thôn (bản, ấp, buôn, làng)",
        ),
        Column("place", ("Nơi đảm nhiệm", "Địa bàn", "Đơn vị"), example="Thôn Đông, xã An Bình"),
        Column("organization", ("organization_id", "organization_code", "Chi bộ", "Mã chi bộ"), kind="organization"),
        Column("valid_from", ("Từ ngày", "Ngày bắt đầu"), kind="date", example="01/08/2025"),
        Column("valid_to", ("Đến ngày", "Ngày kết thúc"), kind="date"),
        Column("decision_ref", ("Số quyết định",), example="125-QĐ/UBND"),
    ),
    labels={"post": {p.value: label for p, label in POST_LABELS.items()}},
    read_past=("full_name",),
)
RULE_FIELDS = {
    **people.RULE_FIELDS,
    "organization_not_found": "organization",
    "post_place": "place",
    "post_taken": "post",
    "invalid_period": "valid_to",
    "not_a_member_on_date": "valid_from",
}


@dataclass(frozen=True)
class Options:
    mode: Mode
    atomic: bool


def new_report(options: Options, media: str) -> Report:
    return Report(kind="posts", format=media, mode=options.mode, atomic=options.atomic)


def in_resolve_order(rows: list[ImportRow]) -> list[ImportRow]:
    return sorted(rows, key=lambda r: str(r.values.get("valid_from", "")))


async def _write(tx: Tx, *, actor: Actor, scope: Scope, row: ImportRow, check: RowChecker, options: Options) -> Outcome:
    values: dict[str, Any] = {k: v for k, v in row.values.items() if k not in (*people.MEMBER_KEYS, "full_name")}
    await people.unit_named(tx, scope, values, "organization", "organization_id")
    checked = check(values)
    if checked.errors or checked.missing:
        raise RowFailed(checked.errors + checked.missing)
    given = checked.values
    member_id = await people.member_named(tx, scope, row.values)
    post = Post(given["post"])
    held = await db.find_post(tx.conn, member_id=member_id, post=post.value, valid_from=given["valid_from"])
    if held is None:
        await posts.add_post(
            tx,
            actor=actor,
            scope=scope,
            member_id=member_id,
            post=post,
            place=given.get("place"),
            organization_id=given.get("organization_id"),
            valid_from=given["valid_from"],
            valid_to=given.get("valid_to"),
            decision_ref=given.get("decision_ref"),
        )
        return "created"
    end = given.get("valid_to")
    if end is None or end == held["valid_to"]:
        return "unchanged"
    if held["valid_to"] is not None:
        raise RowFailed(
            [
                (
                    "valid_to",
                    "post_ended_otherwise",
                    "valid_to: this post is recorded with another end; an import does not move an end (correct it "
                    "through the API).",
                )
            ]
        )
    await posts.end_post(tx, actor=actor, scope=scope, member_id=member_id, post_id=held["id"], valid_to=end)
    return "updated"


# Each row through `_write` in its savepoint (rows.run_each).
run_rows = each_row(_write, rule_fields=RULE_FIELDS, sensitive=LAYOUT.sensitive)
