"""The demo's 2025: the bloc committee's organisations move under the two new provincial committees, the bloc ends.

What happened (sources found, cited as read; the search found no page with the date or number of Hưng Yên's own
decisions of early 2025):
- Across the country the provincial bloc committees (Đảng bộ Khối các cơ quan, Đảng bộ Khối doanh nghiệp, or, in
  Hưng Yên since 1 November 2019 by Decision 1761-QĐ/TU of 29/10/2019, one Đảng bộ Khối các cơ quan và doanh nghiệp
  tỉnh: dukcqhungyen.vn, "Khái quát lịch sử") ended in early 2025, and each province founded a committee of its Party
  agencies, Front and mass associations ("Đảng bộ các cơ quan Đảng tỉnh") and one of its People's Committee
  ("Đảng bộ Ủy ban nhân dân tỉnh"), under the provincial committee (e.g. Lai Châu's Party committee discussing on
  22/12/2024 "Đề án kết thúc hoạt động … Đảng bộ Khối các cơ quan và doanh nghiệp tỉnh; thành lập Đảng bộ cơ quan
  Đảng, đoàn thể, HĐND, tư pháp cấp tỉnh và Đảng bộ chính quyền tỉnh": dangcongsan.vn/tinhuylaichau). Hưng Yên's
  Đảng bộ các cơ quan Đảng tỉnh held its first congress (2025–2030) in August 2025 (vienkiemsathungyen.gov.vn,
  13/08/2025) and its Đảng bộ UBND tỉnh its first congress before the provincial one of 2–3 October 2025
  (tienphong.vn, 19/09/2025).
- ASSUMPTION: the day is REORGANISED_ON, 1 February 2025: the province's decisions were not found by the searches
  made (their date and number stay unknown here); the first days of February 2025 are when the provinces made
  these changes, as far as this author knows, not a sourced fact. The two committees are founded that day, the 82
  grassroots organisations move under them that day (each unit's lineage shows a "move"), and the bloc committee
  is dissolved that day, once it has no unit under it.
- Resolution 202/2025/QH15 of 12 June 2025 merged Hưng Yên and Thái Bình into the province of Hưng Yên from 1 July
  2025 (cited in Resolution 1666/NQ-UBTVQH15 on Hưng Yên's communes, below); the Politburo founded the new
  Đảng bộ tỉnh Hưng Yên from that day (cafef.vn, 25/06/2025), and Decision 1788-QĐ/TU of 26/06/2025 handed every
  organisation of the old provincial committee over to it (baomoi, 30/06/2025). The demo keeps one provincial
  committee (code HY, the same name): the merger adds Thái Bình's units, which the demo does not hold, and the
  handover changes no unit of the demo. It is not recorded as a merge of the root.

Where the organisations go (a choice where the sources do not say it unit by unit):
- Committee of Party agencies: mass associations (the Front and mass-organisation side), the press (the provincial
  newspaper and broadcaster were merged in 2025 into one press agency of the provincial Party committee; the literary
  review belongs to the arts association), and the office of the National Assembly delegation and People's Council
  (HĐND, on the Party-agencies side in the national scheme).
- Committee of the People's Committee: state agencies, public service units, state enterprises, enterprises where
  the State holds ≤ 50 %, and private enterprises (in February 2025 they stayed with the province's government
  side; from July 2025 many provinces handed private enterprises to the new commune committees, which the demo does
  not hold).
"""

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import Protocol

from app.domain.organizations.rules import Category

REORGANISED_ON = date(2025, 2, 1)  # ASSUMPTION, see above
PROVINCES_MERGED_ON = date(2025, 7, 1)  # Resolution 202/2025/QH15
PARTY_AGENCIES_CODE, PARTY_AGENCIES_NAME = "DCQD", "Đảng bộ các cơ quan Đảng tỉnh Hưng Yên"
GOVERNMENT_CODE, GOVERNMENT_NAME = "DUBND", "Đảng bộ Ủy ban nhân dân tỉnh Hưng Yên"
# The province's decision numbers were not found: the events carry no decision_ref rather than an invented one.
FOUNDING_REF: str | None = None
DISSOLUTION_REF: str | None = None
MOVE_NOTE = "Sắp xếp tổ chức bộ máy 2025: chuyển về {}"
DISSOLUTION_NOTE = "Kết thúc hoạt động Đảng bộ Khối; các tổ chức đảng chuyển về hai đảng bộ mới của tỉnh"

PARTY_SIDE: frozenset[Category] = frozenset({Category.mass_association, Category.press})
PARTY_SIDE_NAMES: frozenset[str] = frozenset({"Chi bộ Văn phòng Đoàn đại biểu Quốc hội và Hội đồng nhân dân tỉnh"})


class _Unit(Protocol):
    """What the reorganisation needs of a unit (app.demo.load.DemoUnit)."""

    @property
    def code(self) -> str: ...
    @property
    def name(self) -> str: ...
    @property
    def category(self) -> Category | None: ...
    @property
    def parent_code(self) -> str | None: ...


@dataclass(frozen=True)
class Move:
    code: str
    to: str  # the new parent's code


def destination(category: Category | None, name: str) -> str:
    """The code of the committee a grassroots organisation of the bloc moves under."""
    if category in PARTY_SIDE or name in PARTY_SIDE_NAMES:
        return PARTY_AGENCIES_CODE
    return GOVERNMENT_CODE


def moves(units: Sequence[_Unit], bloc_code: str) -> list[Move]:
    """Every unit directly under the bloc committee, with where it goes (its subtree goes along)."""
    return [Move(u.code, destination(u.category, u.name)) for u in units if u.parent_code == bloc_code]
