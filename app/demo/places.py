"""Where the demo's people live: Hưng Yên's districts and communes before 2025, the communes they became from 1 July
2025 (no district any more), and the places elsewhere members come from."""

from datetime import date

COMMUNES = {  # district of Hưng Yên (before 2025) → communes
    "thành phố Hưng Yên": ("phường Lê Lợi", "phường Hiến Nam", "phường Minh Khai", "phường An Tảo", "xã Bảo Khê"),
    "thị xã Mỹ Hào": ("phường Bần Yên Nhân", "phường Nhân Hòa", "phường Dị Sử", "xã Hòa Phong", "xã Cẩm Xá"),
    "huyện Văn Lâm": ("thị trấn Như Quỳnh", "xã Lạc Đạo", "xã Chỉ Đạo", "xã Đại Đồng", "xã Tân Quang"),
    "huyện Văn Giang": ("thị trấn Văn Giang", "xã Xuân Quan", "xã Phụng Công", "xã Cửu Cao", "xã Long Hưng"),
    "huyện Yên Mỹ": ("thị trấn Yên Mỹ", "xã Trung Hưng", "xã Liêu Xá", "xã Giai Phạm", "xã Tân Lập"),
    "huyện Khoái Châu": ("thị trấn Khoái Châu", "xã Bình Minh", "xã Dạ Trạch", "xã Đông Tảo", "xã Tân Dân"),
    "huyện Kim Động": ("thị trấn Lương Bằng", "xã Toàn Thắng", "xã Nghĩa Dân", "xã Đức Hợp"),
    "huyện Ân Thi": ("thị trấn Ân Thi", "xã Phù Ủng", "xã Bãi Sậy", "xã Quảng Lãng"),
    "huyện Phù Cừ": ("thị trấn Trần Cao", "xã Minh Tân", "xã Tống Phan", "xã Đoàn Đào"),
    "huyện Tiên Lữ": ("thị trấn Vương", "xã Hưng Đạo", "xã Thiện Phiến", "xã Lệ Xá"),
}
# From 1 July 2025 there is no district: an address is the village or group, the commune or ward, the province
# (Resolution 1666/NQ-UBTVQH15 of 2025 on Hưng Yên's communes; Resolution 202/2025/QH15 merged Thái Bình into Hưng
# Yên, so the province keeps its name). Old commune → the commune or ward it became. From the sources found (the
# province's plan of April 2025 as published on 21/04/2025 by giadinh.suckhoedoisong.vn and cafeland.vn, whose
# names Resolution 1666 kept where it was read: Tân Hưng, Hoàng Hoa Thám; baomoi.net.vn on Mễ Sở and Hoàn Long):
# Phố Hiến, Sơn Nam, Hoàng Hoa Thám, Tiên Lữ, Tiên Hoa, Quang Hưng, Đoàn Đào, Lương Bằng, Nghĩa Dân, Đức Hợp, Mễ Sở,
# Hoàn Long. ASSUMED (the annex of Resolution 1666 for these was not found): those of Mỹ Hào, Văn Lâm, Văn Giang,
# Yên Mỹ, Ân Thi and the rest of Khoái Châu.
MERGED_COMMUNES = {
    "phường Lê Lợi": "phường Phố Hiến",
    "phường Hiến Nam": "phường Phố Hiến",
    "phường Minh Khai": "phường Phố Hiến",
    "phường An Tảo": "phường Phố Hiến",
    "xã Bảo Khê": "phường Sơn Nam",
    "phường Bần Yên Nhân": "phường Mỹ Hào",
    "phường Nhân Hòa": "phường Thượng Hồng",
    "phường Dị Sử": "phường Đường Hào",
    "xã Hòa Phong": "phường Mỹ Hào",
    "xã Cẩm Xá": "phường Mỹ Hào",
    "thị trấn Như Quỳnh": "xã Như Quỳnh",
    "xã Lạc Đạo": "xã Lạc Đạo",
    "xã Chỉ Đạo": "xã Lạc Đạo",
    "xã Đại Đồng": "xã Đại Đồng",
    "xã Tân Quang": "xã Như Quỳnh",
    "thị trấn Văn Giang": "xã Văn Giang",
    "xã Xuân Quan": "xã Phụng Công",
    "xã Phụng Công": "xã Phụng Công",
    "xã Cửu Cao": "xã Văn Giang",
    "xã Long Hưng": "xã Nghĩa Trụ",
    "thị trấn Yên Mỹ": "xã Yên Mỹ",
    "xã Trung Hưng": "xã Yên Mỹ",
    "xã Liêu Xá": "xã Nguyễn Văn Linh",
    "xã Giai Phạm": "xã Việt Yên",
    "xã Tân Lập": "xã Yên Mỹ",
    "thị trấn Khoái Châu": "xã Khoái Châu",
    "xã Bình Minh": "xã Mễ Sở",
    "xã Dạ Trạch": "xã Triệu Việt Vương",
    "xã Đông Tảo": "xã Hoàn Long",
    "xã Tân Dân": "xã Chí Minh",
    "thị trấn Lương Bằng": "xã Lương Bằng",
    "xã Toàn Thắng": "xã Nghĩa Dân",
    "xã Nghĩa Dân": "xã Nghĩa Dân",
    "xã Đức Hợp": "xã Đức Hợp",
    "thị trấn Ân Thi": "xã Ân Thi",
    "xã Phù Ủng": "xã Phạm Ngũ Lão",
    "xã Bãi Sậy": "xã Ân Thi",
    "xã Quảng Lãng": "xã Nguyễn Trãi",
    "thị trấn Trần Cao": "xã Quang Hưng",
    "xã Minh Tân": "xã Quang Hưng",
    "xã Tống Phan": "xã Quang Hưng",
    "xã Đoàn Đào": "xã Đoàn Đào",
    "thị trấn Vương": "xã Hoàng Hoa Thám",
    "xã Hưng Đạo": "xã Hoàng Hoa Thám",
    "xã Thiện Phiến": "xã Tiên Lữ",
    "xã Lệ Xá": "xã Tiên Hoa",
}
NO_DISTRICTS_FROM = date(2025, 7, 1)
ELSEWHERE = (
    ("huyện Quỳnh Phụ, tỉnh Thái Bình", "034"),
    ("huyện Hưng Hà, tỉnh Thái Bình", "034"),
    ("huyện Bình Giang, tỉnh Hải Dương", "030"),
    ("huyện Thanh Miện, tỉnh Hải Dương", "030"),
    ("huyện Gia Lâm, thành phố Hà Nội", "001"),
    ("huyện Ý Yên, tỉnh Nam Định", "036"),
    ("huyện Lý Nhân, tỉnh Hà Nam", "035"),
)


def without_district(residence: str) -> str:
    """The demo's Hưng Yên address as written from 1 July 2025: "Thôn 3, xã Lạc Đạo, huyện Văn Lâm, tỉnh Hưng Yên"
    becomes "Thôn 3, xã Lạc Đạo, tỉnh Hưng Yên" (the village, the commune it is in now, the province)."""
    village, commune, _district, province = residence.split(", ")
    return f"{village}, {MERGED_COMMUNES[commune]}, {province}"
