"""How many seats of each kind a unit's leadership may hold at once, and who may hold one.

QĐ 294-QĐ/TW (2025, carrying over QĐ 29-QĐ/TW 2016, point 24): "Chi bộ có 9 đảng viên chính thức trở lên bầu chi ủy;
chi bộ đông đảng viên bầu không quá 7 chi ủy viên. Chi bộ trực tiếp bầu chi ủy trước, sau đó bầu bí thư, bầu một phó
bí thư trong số chi ủy viên." Charter art. 24.1: "tổ đảng bầu tổ trưởng, nếu cần thì bầu tổ phó". The figures are
configured (`SeatRules`); the same rules are reported for existing seats by the compliance check."""

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any


@dataclass(frozen=True)
class SeatRules:
    cell_committee_max_members: int = 7
    cell_max_deputy_secretaries: int = 1
    group_max_deputy_leaders: int = 1


def most_at_once(rows: Sequence[Any], valid_from: date, valid_to: date | None) -> int:
    """The largest number of `rows` (valid_from, valid_to half-open) held on one day of [valid_from, valid_to)."""
    days = {valid_from} | {r["valid_from"] for r in rows if r["valid_from"] > valid_from}
    days = {d for d in days if valid_to is None or d < valid_to}
    return max(
        (sum(1 for r in rows if r["valid_from"] <= d and (r["valid_to"] is None or r["valid_to"] > d)) for d in days),
        default=0,
    )
