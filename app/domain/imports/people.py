"""Which member a row of a member's history or rating names: by the member's id, citizen ID or an external id
("system:id"), among the members the caller may change. Outside the scope is the same as missing."""

import uuid
from typing import Any

from app.db.members import matching
from app.db.members import reads as member_reads
from app.db.scope import Scope
from app.domain.errors import NotFound
from app.domain.imports.rows import RowFailed
from app.domain.imports.sheet import Column
from app.domain.organizations import tree
from app.domain.tx import Tx

# The columns naming the member, first in the template of each kind about members. `full_name` is read past: an
# office keeps the name beside the key to read its file; the key decides.
MEMBER_KEY_COLUMNS = (
    Column("member_id", ("Mã đảng viên (id)", "member"), kind="id"),
    Column(
        "citizen_id", ("Số CCCD", "CCCD", "Số căn cước", "Số căn cước công dân", "Số định danh cá nhân"), sensitive=True
    ),
    Column("external_id", ("Mã hệ thống khác", "Mã định danh ngoài"), example="csdl-tinh:DV-000123"),
    Column("full_name", ("Họ và tên", "Họ tên"), example="Nguyễn Thị Hồng Đào"),
)
MEMBER_KEYS = ("member_id", "citizen_id", "external_id")
RULE_FIELDS = {"member_not_found": "member_id", "ambiguous_match": "external_id"}


def key_problem() -> RowFailed:
    return RowFailed(
        [("member_id", "required", "name the member: its id, citizen ID or an external id (one of the three).")]
    )


async def member_named(tx: Tx, scope: Scope, values: dict[str, Any]) -> uuid.UUID:
    """The one member the row's keys name (all of them, when several are given), or a row error."""
    given = [k for k in MEMBER_KEYS if values.get(k)]
    if not given:
        raise key_problem()
    found: set[uuid.UUID] = set()
    member_id: uuid.UUID | None = values.get("member_id")
    if member_id is not None:
        found.add(member_id)
    if values.get("citizen_id") or values.get("external_id"):
        external = [values["external_id"]] if values.get("external_id") else []
        named = await matching.members_with_keys(tx.conn, citizen_id=values.get("citizen_id"), external_ids=external)
        keys = {key for _, key in named}
        if (values.get("citizen_id") and "citizen_id" not in keys) or (external and "external_ids" not in keys):
            raise _missing(values)
        found |= {m for m, _ in named}
    visible = await member_reads.members_in_scope(tx.conn, scope, list(found))
    if not found or found - visible:
        raise _missing(values)
    if len(found) > 1:
        raise RowFailed(
            [
                (
                    "external_id",
                    "ambiguous_match",
                    "the keys of this row name different members: keep one, or correct it.",
                )
            ]
        )
    return next(iter(found))


def _missing(values: dict[str, Any]) -> RowFailed:
    column = next(k for k in MEMBER_KEYS if values.get(k))
    return RowFailed(
        [(column, "member_not_found", "no member you may change has this key; check it (or the member's unit).")]
    )


async def unit_named(tx: Tx, scope: Scope, values: dict[str, Any], column: str, field: str) -> None:
    """The unit a row names in `column` by id or code (`tree.id_of`: a code outside the scope is missing), put
    into `values` as `field` (the API's name), or a row error on the column."""
    reference = values.pop(column, None)
    if reference is None:
        return
    try:
        values[field] = await tree.id_of(tx.conn, str(reference), scope=scope)
    except NotFound as missing:
        raise RowFailed([(column, missing.code, missing.detail)]) from None
