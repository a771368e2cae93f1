"""Whom a body named in a plan stands for, among the party organisations under the plan's organisation.

- "Các cấp ủy, tổ chức đảng trong Đảng bộ thị xã": every organisation under it; "Tổ chức cơ sở đảng": the
  grassroots ones.
- "Các chi bộ, đảng ủy trực thuộc Thị ủy" (or "Các đảng ủy, chi bộ …", one collective whatever the order): the
  organisations directly under it.
- "Đảng ủy các xã, phường": the committees of communes and wards under it.
- "Đảng ủy xã, phường (Phổ Nhơn, Phổ Khánh, Phổ Ninh và Phổ Vinh)": the units named in parentheses.
- "03 chi bộ trường THPT trên địa bàn thị xã": the cells whose name holds "trường THPT".
- A body named like one organisation ("Đảng ủy Quân sự thị xã" for "Đảng bộ Quân sự thị xã", "Chi bộ Trung tâm
  Giáo dục nghề nghiệp - Giáo dục thường xuyên thị xã" for "Chi bộ TT GDNN-GDTX"): that organisation.

Anything else (an agency, "Các cơ quan có liên quan") stands for no organisation. Pure: the caller supplies the
units of the subtree (the plan's organisation first)."""

import re
import uuid
from collections.abc import Sequence
from dataclasses import dataclass

from app.domain.plans.bodies import is_collective, normalise_body_name

_CELLS = ("grassroots_cell", "subordinate_cell")
_GRASSROOTS = ("grassroots_committee", "grassroots_cell")
_PLACE = ("commune", "ward")
# A committee is the executive of its organisation: "Đảng ủy X" names "Đảng bộ X", "Chi ủy X" names "Chi bộ X".
_EXECUTIVE = ((r"^dang uy ", "dang bo "), (r"^chi uy ", "chi bo "))
_PARTY_HEAD = re.compile(r"^(?:dang uy|dang bo|chi bo|chi uy) ")
_COUNTED_CELLS = re.compile(r"^(?:\d+ )?chi bo (?P<which>.+?)(?: (?:tren dia ban|thuoc|trong) .*)?$")


@dataclass(frozen=True)
class Unit:
    id: uuid.UUID
    name: str
    kind: str
    category: str | None
    parent_id: uuid.UUID | None


def _key(name: str) -> str:
    key = normalise_body_name(name)
    for pattern, replacement in _EXECUTIVE:
        key = re.sub(pattern, replacement, key)
    return key


def members(name: str, units: Sequence[Unit]) -> list[uuid.UUID]:
    """The organisations `name` stands for, in the order of `units` (the root first, then the subtree)."""
    if not units:
        return []
    root, below = units[0], list(units[1:])
    text = " ".join(name.split())
    key = normalise_body_name(text)
    named = re.search(r"\(([^)]+)\)", text)
    if named is not None:
        places = [part for part in re.split(r",|\s+và\s+", named[1]) if part.strip(" .…")]
        wanted = [normalise_body_name(part.strip(" .…")) for part in places]
        return [u.id for u in below if any(_key(u.name).endswith(" " + w) for w in wanted if w)]
    if "truc thuoc" in key and key.startswith("cac "):
        return [u.id for u in below if u.parent_id == root.id]
    if re.match(r"^cac cap uy(?: to chuc dang)?\b", key) or key.startswith("cac to chuc dang"):
        return [u.id for u in below]
    if key.startswith(("to chuc co so dang", "cac to chuc co so dang")):
        return [u.id for u in below if u.kind in _GRASSROOTS]
    if re.match(r"^(?:dang uy|dang bo)(?: cac)? xa phuong\b", key):
        return [u.id for u in below if u.category in _PLACE and u.kind not in _CELLS]
    counted = _COUNTED_CELLS.match(key)
    if counted is not None and (key[:1].isdigit() or key.startswith("chi bo cac ")):
        which = counted["which"].removeprefix("cac ")
        return [u.id for u in below if u.kind in _CELLS and which in _key(u.name)]
    if _PARTY_HEAD.match(key):
        return _one_organisation(_key(text), below)
    return []


def body_kind(name: str, kind: str, found: Sequence[uuid.UUID]) -> str:
    """An agency named like one organisation is that organisation; one named as a collective is a collective."""
    if kind != "agency" or not found:
        return kind
    if is_collective(name):
        return "collective"
    return "organization" if len(found) == 1 else kind


def _one_organisation(key: str, units: Sequence[Unit]) -> list[uuid.UUID]:
    """The one organisation named so: the same name, or one name the other's start ("… thị xã" added)."""
    exact = [u.id for u in units if _key(u.name) == key]
    if exact:
        return exact[:1]
    near = [u.id for u in units if key.startswith(_key(u.name) + " ") or _key(u.name).startswith(key + " ")]
    return near if len(near) == 1 else []
