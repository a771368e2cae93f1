"""What the organisation tree may look like: kinds, categories and which kind may sit under which.

These are data, not code paths: the reference endpoint serves them and a change of regulation is a change here."""

from enum import StrEnum


class Kind(StrEnum):
    provincial_committee = "provincial_committee"
    upper_level_committee = "upper_level_committee"
    grassroots_committee = "grassroots_committee"
    grassroots_cell = "grassroots_cell"
    partial_committee = "partial_committee"
    subordinate_cell = "subordinate_cell"
    party_group = "party_group"


class Category(StrEnum):
    commune = "commune"
    ward = "ward"
    special_zone = "special_zone"
    village = "village"
    residential_group = "residential_group"
    agency = "agency"
    public_service_unit = "public_service_unit"
    press = "press"
    mass_association = "mass_association"
    state_enterprise = "state_enterprise"
    state_minority_enterprise = "state_minority_enterprise"
    private_enterprise = "private_enterprise"
    cooperative = "cooperative"
    school = "school"
    military = "military"
    police = "police"
    other = "other"


KIND_LABELS: dict[Kind, str] = {
    Kind.provincial_committee: "Đảng bộ tỉnh, thành phố",
    Kind.upper_level_committee: "Cấp trên trực tiếp cơ sở",
    Kind.grassroots_committee: "Đảng bộ cơ sở",
    Kind.grassroots_cell: "Chi bộ cơ sở",
    Kind.partial_committee: "Đảng bộ bộ phận",
    Kind.subordinate_cell: "Chi bộ trực thuộc",
    Kind.party_group: "Tổ đảng",
}

KIND_LABELS_EN: dict[Kind, str] = {
    Kind.provincial_committee: "Provincial committee",
    Kind.upper_level_committee: "Upper-level committee",
    Kind.grassroots_committee: "Grassroots committee",
    Kind.grassroots_cell: "Grassroots cell",
    Kind.partial_committee: "Partial committee",
    Kind.subordinate_cell: "Subordinate cell",
    Kind.party_group: "Party group",
}

CATEGORY_LABELS: dict[Category, str] = {
    Category.commune: "Xã",
    Category.ward: "Phường",
    Category.special_zone: "Đặc khu",
    Category.village: "Thôn",
    Category.residential_group: "Tổ dân phố",
    Category.agency: "Cơ quan",
    Category.public_service_unit: "Đơn vị sự nghiệp",
    Category.press: "Báo chí",
    Category.mass_association: "Hội quần chúng",
    Category.state_enterprise: "Doanh nghiệp nhà nước",
    Category.state_minority_enterprise: "Doanh nghiệp nhà nước nắm giữ không quá 50% vốn",
    Category.private_enterprise: "Doanh nghiệp tư nhân",
    Category.cooperative: "Hợp tác xã",
    Category.school: "Trường học",
    Category.military: "Quân đội",
    Category.police: "Công an",
    Category.other: "Khác",
}

# Which kinds a unit of each kind may sit under. `None` = may be a root of the tree.
ALLOWED_PARENTS: dict[Kind, frozenset[Kind | None]] = {
    Kind.provincial_committee: frozenset({None}),
    Kind.upper_level_committee: frozenset({None, Kind.provincial_committee, Kind.upper_level_committee}),
    Kind.grassroots_committee: frozenset({Kind.provincial_committee, Kind.upper_level_committee}),
    Kind.grassroots_cell: frozenset({Kind.provincial_committee, Kind.upper_level_committee}),
    Kind.partial_committee: frozenset({Kind.grassroots_committee}),
    Kind.subordinate_cell: frozenset({Kind.grassroots_committee, Kind.partial_committee}),
    Kind.party_group: frozenset({Kind.grassroots_cell, Kind.subordinate_cell}),
}

GRASSROOTS_KINDS: frozenset[Kind] = frozenset({Kind.grassroots_committee, Kind.grassroots_cell})


def kind_may_sit_under(kind: Kind, parent_kind: Kind | None) -> bool:
    return parent_kind in ALLOWED_PARENTS[kind]


def describe_allowed_parents(kind: Kind) -> str:
    allowed = ALLOWED_PARENTS[kind]
    names = sorted(k.value for k in allowed if k is not None)
    where = " or ".join(names) if names else ""
    if None in allowed:
        return f"at the root of the tree or under a {where}" if where else "only at the root of the tree"
    return f"only under a {where}"
