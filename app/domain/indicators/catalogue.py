"""The indicators every committee reports (docs/indicators.md): what each counts, in words and as measures.

A figure is a numerator over a denominator, each a measure kept by the database (app/db/indicators.MEASURES):
a *stock* is read at the period's end (its last quarter), a *flow* summed over the period's quarters, and a
*previous stock* read at the end of the period before (the members an admission rate is measured against)."""

from dataclasses import dataclass
from decimal import Decimal
from enum import StrEnum


class Comparator(StrEnum):
    gte = "gte"
    gt = "gt"
    lte = "lte"
    lt = "lt"
    between = "between"


class PeriodType(StrEnum):
    year = "year"
    quarter = "quarter"


class Unit(StrEnum):
    percent = "percent"
    number = "count"


@dataclass(frozen=True)
class Term:
    """One side of the fraction: which measure, read how (`stock`, `flow`, `previous_stock`);
    `quarterly` replaces the measure when the period is a quarter (inspections: in the year vs in the quarter)."""

    measure: str
    read: str
    quarterly: str | None = None

    def measure_for(self, period_type: PeriodType) -> str:
        return self.quarterly if period_type == PeriodType.quarter and self.quarterly else self.measure


YEAR_AND_QUARTER = (PeriodType.year, PeriodType.quarter)
YEAR_ONLY = (PeriodType.year,)


@dataclass(frozen=True)
class Target:
    """What a unit aims at, for some years and period types: a yearly ≥ 3 % is no quarter's target (quarters are
    left without one rather than pro-rated: admissions and inspections bunch around anniversaries and
    campaigns, so a quarter's quarter of the year's aim would judge the calendar, not the work)."""

    comparator: Comparator
    value: Decimal
    value_high: Decimal | None = None
    year_from: int = 2021
    year_to: int | None = None
    source: str = ""
    period_types: tuple[PeriodType, ...] = YEAR_ONLY

    def covers(self, year: int, period_type: PeriodType = PeriodType.year) -> bool:
        return (
            self.year_from <= year
            and (self.year_to is None or year <= self.year_to)
            and period_type in self.period_types
        )


@dataclass(frozen=True)
class Indicator:
    code: str
    name_vi: str
    name_en: str
    numerator_vi: str
    numerator_en: str
    denominator_vi: str | None
    denominator_en: str | None
    unit: Unit
    period_types: tuple[PeriodType, ...]
    numerator: Term
    denominator: Term | None
    default_target: Target | None = None
    direction: str = "higher_is_better"
    # what a plan implementing Resolution 21 carries when it names the indicator without figures (seed 004)
    plan_default: Target | None = None


SEED_004 = "Seed 004 (Thị ủy plan implementing Resolution 21-NQ/TW)"

INDICATORS: tuple[Indicator, ...] = (
    Indicator(
        "members",
        "Số đảng viên",
        "Party members",
        "Đảng viên dự bị và chính thức cuối kỳ (kể cả miễn sinh hoạt; đảng viên chuyển sinh hoạt tạm thời tính ở "
        "nơi sinh hoạt chính thức)",
        "Probationary and official members at the period's end (exempt members included; temporarily transferred "
        "members counted at home)",
        None,
        None,
        Unit.number,
        YEAR_AND_QUARTER,
        Term("members", "stock"),
        None,
    ),
    Indicator(
        "village_cells_with_committee",
        "Tỷ lệ chi bộ thôn, tổ dân phố có chi ủy",
        "Village and residential-group cells with a cell committee",
        "Chi bộ thôn, tổ dân phố có chi ủy (ít nhất 3 cấp ủy viên, có bí thư) cuối kỳ",
        "Village/residential-group cells with a cell committee (at least 3 seats, the secretary's among them) at "
        "the period's end",
        "Chi bộ thôn, tổ dân phố cuối kỳ",
        "Village/residential-group cells at the period's end",
        Unit.percent,
        YEAR_AND_QUARTER,
        Term("village_cells_committee", "stock"),
        Term("village_cells", "stock"),
        Target(
            Comparator.gte,
            Decimal(100),
            year_from=2030,
            year_to=2030,
            source="Seed 002: 100 % by 2030 (Resolution 21-NQ/TW)",
            period_types=YEAR_AND_QUARTER,
        ),
        plan_default=Target(
            Comparator.gte,
            Decimal(100),
            year_from=2025,
            source=f"{SEED_004}, 2.1.1.d: 100 % of village and residential-group cells with a committee by 2025",
            period_types=YEAR_AND_QUARTER,
        ),
    ),
    Indicator(
        "grassroots_rated_good",
        "Tỷ lệ tổ chức cơ sở đảng hoàn thành tốt nhiệm vụ trở lên",
        "Grassroots organisations rated good or better",
        "Tổ chức cơ sở đảng xếp loại hoàn thành tốt hoặc xuất sắc nhiệm vụ trong năm",
        "Grassroots organisations rated good or excellent for the year",
        "Tổ chức cơ sở đảng được đánh giá, xếp loại trong năm",
        "Grassroots organisations rated for the year",
        Unit.percent,
        YEAR_ONLY,
        Term("grassroots_rated_good", "flow"),
        Term("grassroots_rated", "flow"),
        Target(Comparator.gt, Decimal(90), source="Resolution 21-NQ/TW: above 90 % every year"),
    ),
    Indicator(
        "members_rated_good",
        "Tỷ lệ đảng viên hoàn thành tốt nhiệm vụ trở lên",
        "Members rated good or better",
        "Đảng viên xếp loại hoàn thành tốt hoặc xuất sắc nhiệm vụ trong năm",
        "Members rated good or excellent for the year",
        "Đảng viên được đánh giá, xếp loại trong năm (không tính đảng viên không xếp loại)",
        "Members rated for the year (members not rated excluded)",
        Unit.percent,
        YEAR_ONLY,
        Term("members_rated_good", "flow"),
        Term("members_rated", "flow"),
        Target(Comparator.gt, Decimal(90), source="Resolution 21-NQ/TW: above 90 % every year"),
    ),
    Indicator(
        "admission_rate",
        "Tỷ lệ kết nạp đảng viên mới",
        "New members admitted, as % of members",
        "Đảng viên được kết nạp trong kỳ",
        "Members admitted during the period",
        "Đảng viên đầu kỳ (cuối kỳ trước)",
        "Members at the start of the period (the previous period's end)",
        Unit.percent,
        YEAR_AND_QUARTER,
        Term("admissions", "flow"),
        Term("members", "previous_stock"),
        Target(Comparator.gte, Decimal(3), source="Resolution 21-NQ/TW and seed 004: at least 3 % a year"),
        plan_default=Target(
            Comparator.between,
            Decimal(3),
            Decimal(4),
            year_from=2023,
            source=f"{SEED_004}, 2.2.6: admissions 3–4 % of members a year",
        ),
    ),
    Indicator(
        "grassroots_inspected",
        "Tỷ lệ tổ chức cơ sở đảng được kiểm tra",
        "Grassroots organisations inspected",
        "Tổ chức cơ sở đảng được kiểm tra trong kỳ (mỗi tổ chức tính một lần)",
        "Grassroots organisations inspected during the period (each counted once)",
        "Tổ chức cơ sở đảng cuối kỳ",
        "Grassroots organisations at the period's end",
        Unit.percent,
        YEAR_AND_QUARTER,
        Term("inspected_year", "flow", quarterly="inspected_quarter"),
        Term("grassroots", "stock"),
        Target(Comparator.between, Decimal(5), Decimal(10), source="5–10 % of grassroots organisations a year"),
    ),
    Indicator(
        "subordinate_cells_with_regulations",
        "Tỷ lệ chi bộ trực thuộc có quy chế làm việc",
        "Subordinate cells with working regulations",
        "Chi bộ trực thuộc đã ban hành quy chế làm việc, cuối kỳ",
        "Subordinate cells that have issued working regulations, at the period's end",
        "Chi bộ trực thuộc cuối kỳ",
        "Subordinate cells at the period's end",
        Unit.percent,
        YEAR_AND_QUARTER,
        Term("subordinate_cells_regulated", "stock"),
        Term("subordinate_cells", "stock"),
        Target(Comparator.gte, Decimal(100), source="100 %", period_types=YEAR_AND_QUARTER),
        plan_default=Target(
            Comparator.gte,
            Decimal(100),
            year_from=2023,
            source=f"{SEED_004}, 2.1.2: 100 % of subordinate cells with working regulations",
            period_types=YEAR_AND_QUARTER,
        ),
    ),
    Indicator(
        "village_heads_members",
        "Tỷ lệ thôn, tổ dân phố có trưởng thôn, tổ trưởng là đảng viên",
        "Villages and residential groups whose head is a party member",
        "Chi bộ thôn, tổ dân phố có trưởng thôn (tổ trưởng tổ dân phố) là đảng viên, cuối kỳ",
        "Village/residential-group cells whose village head is a party member, at the period's end",
        "Chi bộ thôn, tổ dân phố cuối kỳ",
        "Village/residential-group cells at the period's end",
        Unit.percent,
        YEAR_AND_QUARTER,
        Term("village_cells_head_member", "stock"),
        Term("village_cells", "stock"),
    ),
    Indicator(
        "secretary_village_head",
        "Tỷ lệ bí thư chi bộ đồng thời là trưởng thôn, tổ trưởng tổ dân phố",
        "Cells whose secretary is also the village head",
        "Chi bộ thôn, tổ dân phố có bí thư đồng thời là trưởng thôn (tổ trưởng), cuối kỳ",
        "Village/residential-group cells whose secretary is also the village head, at the period's end",
        "Chi bộ thôn, tổ dân phố cuối kỳ",
        "Village/residential-group cells at the period's end",
        Unit.percent,
        YEAR_AND_QUARTER,
        Term("village_cells_secretary_head", "stock"),
        Term("village_cells", "stock"),
    ),
    Indicator(
        "exit_rate",
        "Tỷ lệ đảng viên bị xóa tên, xin ra khỏi Đảng",
        "Members struck off or resigned",
        "Đảng viên bị xóa tên hoặc xin ra khỏi Đảng trong kỳ",
        "Members struck off or resigned during the period",
        "Đảng viên đầu kỳ (cuối kỳ trước)",
        "Members at the start of the period (the previous period's end)",
        Unit.percent,
        YEAR_AND_QUARTER,
        Term("exits", "flow"),
        Term("members", "previous_stock"),
        direction="lower_is_better",
    ),
    Indicator(
        "secretary_front_head",
        "Tỷ lệ bí thư chi bộ đồng thời là trưởng ban công tác Mặt trận thôn, tổ dân phố",
        "Cells whose secretary also heads the village Front committee",
        "Chi bộ thôn, tổ dân phố có bí thư đồng thời là trưởng ban công tác Mặt trận, cuối kỳ",
        "Village/residential-group cells whose secretary also heads the village Front work committee, at the "
        "period's end",
        "Chi bộ thôn, tổ dân phố cuối kỳ",
        "Village/residential-group cells at the period's end",
        Unit.percent,
        YEAR_AND_QUARTER,
        Term("village_cells_secretary_front_head", "stock"),
        Term("village_cells", "stock"),
    ),
    Indicator(
        "military_police_cells_with_committee",
        "Tỷ lệ chi bộ quân sự, chi bộ công an có chi ủy",
        "Military and police cells with a cell committee",
        "Chi bộ quân sự, chi bộ công an có chi ủy (đủ số cấp ủy viên theo cấu hình, có bí thư) cuối kỳ",
        "Military and police cells with a cell committee (the configured seats, the secretary's among them) at the "
        "period's end",
        "Chi bộ quân sự, chi bộ công an cuối kỳ",
        "Military and police cells at the period's end",
        Unit.percent,
        YEAR_AND_QUARTER,
        Term("military_police_cells_committee", "stock"),
        Term("military_police_cells", "stock"),
        plan_default=Target(
            Comparator.gte,
            Decimal(100),
            year_from=2025,
            source=f"{SEED_004}, 2.1.1.d: 100 % of commune military and police cells with a committee by 2025",
            period_types=YEAR_AND_QUARTER,
        ),
    ),
    Indicator(
        "commune_secretary_council_chair",
        "Tỷ lệ bí thư cấp ủy cấp xã đồng thời là chủ tịch HĐND",
        "Commune-level secretaries who also chair the People's Council",
        "Đảng bộ xã, phường, đặc khu có bí thư đồng thời là chủ tịch Hội đồng nhân dân, cuối kỳ",
        "Commune/ward committees whose secretary also chairs the People's Council, at the period's end",
        "Đảng bộ xã, phường, đặc khu cuối kỳ",
        "Commune/ward committees at the period's end",
        Unit.percent,
        YEAR_AND_QUARTER,
        Term("commune_secretary_council_chair", "stock"),
        Term("commune_committees", "stock"),
    ),
    Indicator(
        "commune_secretary_committee_chair",
        "Tỷ lệ bí thư cấp ủy cấp xã đồng thời là chủ tịch UBND",
        "Commune-level secretaries who also chair the People's Committee",
        "Đảng bộ xã, phường, đặc khu có bí thư đồng thời là chủ tịch Ủy ban nhân dân, cuối kỳ",
        "Commune/ward committees whose secretary also chairs the People's Committee, at the period's end",
        "Đảng bộ xã, phường, đặc khu cuối kỳ",
        "Commune/ward committees at the period's end",
        Unit.percent,
        YEAR_AND_QUARTER,
        Term("commune_secretary_committee_chair", "stock"),
        Term("commune_committees", "stock"),
    ),
    Indicator(
        "private_enterprise_organizations",
        "Số tổ chức đảng trong doanh nghiệp tư nhân",
        "Party organisations in private enterprises",
        "Tổ chức đảng (trừ tổ đảng) loại hình doanh nghiệp tư nhân, cuối kỳ",
        "Party organisations (party groups aside) of the private-enterprise category, at the period's end",
        None,
        None,
        Unit.number,
        YEAR_AND_QUARTER,
        Term("private_enterprise_units", "stock"),
        None,
    ),
    Indicator(
        "private_enterprise_members",
        "Số đảng viên trong doanh nghiệp tư nhân",
        "Party members in private enterprises",
        "Đảng viên dự bị và chính thức của tổ chức đảng loại hình doanh nghiệp tư nhân, cuối kỳ",
        "Probationary and official members of organisations of the private-enterprise category, at the period's end",
        None,
        None,
        Unit.number,
        YEAR_AND_QUARTER,
        Term("private_enterprise_members", "stock"),
        None,
    ),
    Indicator(
        "admissions_introduced",
        "Tỷ lệ đảng viên mới do Mặt trận, các đoàn thể giới thiệu",
        "New members introduced by the Front or a mass organisation",
        "Đảng viên được kết nạp trong kỳ do Mặt trận Tổ quốc, Đoàn Thanh niên, Công đoàn, Hội Phụ nữ, Hội Nông dân "
        "hoặc Hội Cựu chiến binh giới thiệu",
        "Members admitted during the period whom the Front, the Youth Union, a trade union, the Women's Union, the "
        "Farmers' or the Veterans' Association introduced",
        "Đảng viên được kết nạp trong kỳ",
        "Members admitted during the period",
        Unit.percent,
        YEAR_AND_QUARTER,
        Term("admissions_introduced", "flow"),
        Term("admissions", "flow"),
    ),
    Indicator(
        "tasks_on_time",
        "Tỷ lệ nhiệm vụ hoàn thành đúng hạn",
        "Plan tasks done on time",
        "Nghĩa vụ (nhiệm vụ, hoặc một năm của nhiệm vụ hằng năm) đến hạn trong kỳ đã hoàn thành đúng hạn",
        "Obligations (a task, or one year of a yearly task) falling due in the period that were done on time",
        "Nghĩa vụ đến hạn trong kỳ (tính đến hôm nay) của các kế hoạch do đơn vị và cấp dưới ban hành",
        "Obligations falling due in the period (up to today) of the plans of the unit and the units below it",
        Unit.percent,
        YEAR_AND_QUARTER,
        Term("tasks_done_on_time", "flow"),
        Term("tasks_due", "flow"),
    ),
)

BY_CODE: dict[str, Indicator] = {i.code: i for i in INDICATORS}
