"""The bloc's catalogue for the demo: its grassroots committees and cells by category (seed 003), and the pools of
subordinate-cell names each kind of organisation draws from. Pure data; load.py builds the tree from it."""

from collections.abc import Sequence
from dataclasses import dataclass

from app.domain.organizations.rules import Category

DISTRICTS = (
    "Thành phố Hưng Yên",
    "Mỹ Hào",
    "Văn Lâm",
    "Văn Giang",
    "Yên Mỹ",
    "Khoái Châu",
    "Kim Động",
    "Ân Thi",
    "Phù Cừ",
    "Tiên Lữ",
)


def _branches(head: Sequence[str], branch: str) -> tuple[str, ...]:
    return (*head, *(branch.format(d) for d in DISTRICTS))


# Pools of subordinate-cell names ("Chi bộ " + name), in their natural order; the first is always used.
POOLS: dict[str, tuple[str, ...]] = {
    "agency": (
        "Văn phòng",
        "Thanh tra",
        "Phòng Kế hoạch - Tài chính",
        "Phòng Tổ chức cán bộ",
        "Phòng Pháp chế",
        "Phòng Quản lý chuyên ngành",
        "Phòng Nghiệp vụ",
        "Trung tâm Thông tin",
        "Trung tâm Dịch vụ công",
        "Ban Quản lý dự án",
        "Đơn vị sự nghiệp trực thuộc",
    ),
    "finance": (
        "Văn phòng Sở",
        "Thanh tra Sở",
        "Phòng Quản lý ngân sách",
        "Phòng Tài chính đầu tư",
        "Phòng Quản lý giá và công sản",
        "Phòng Tài chính doanh nghiệp",
        "Phòng Tài chính hành chính sự nghiệp",
        "Phòng Tin học và Thống kê",
    ),
    "home_affairs": ("1", "2", "3", "Ban Thi đua - Khen thưởng", "Ban Tôn giáo", "Chi cục Văn thư - Lưu trữ"),
    "labour": (
        "Văn phòng Sở",
        "Thanh tra Sở",
        "Phòng Lao động - Việc làm",
        "Phòng Người có công",
        "Phòng Bảo trợ xã hội",
        "Phòng Giáo dục nghề nghiệp",
        "Trung tâm Bảo trợ xã hội",
        "Trung tâm Dịch vụ việc làm",
        "Trung tâm Điều dưỡng người có công",
    ),
    "agriculture": (
        "Văn phòng Sở",
        "Thanh tra Sở",
        "Chi cục Trồng trọt và Bảo vệ thực vật",
        "Chi cục Chăn nuôi và Thú y",
        "Chi cục Thủy lợi",
        "Chi cục Phát triển nông thôn",
        "Trung tâm Khuyến nông",
        "Trung tâm Nước sạch và Vệ sinh môi trường nông thôn",
        "Trung tâm Giống cây trồng, vật nuôi",
    ),
    "health": (
        "Văn phòng Sở",
        "Thanh tra Sở",
        "Phòng Nghiệp vụ Y",
        "Phòng Nghiệp vụ Dược",
        "Chi cục Dân số - Kế hoạch hóa gia đình",
        "Chi cục An toàn vệ sinh thực phẩm",
        "Trung tâm Giám định y khoa",
        "Trung tâm Pháp y",
        "Trung tâm Kiểm nghiệm",
    ),
    "tax": _branches(("Văn phòng Cục", "Phòng Kiểm tra", "Phòng Thanh tra"), "Chi cục Thuế {}"),
    "treasury": _branches(("Văn phòng", "Phòng Kế toán nhà nước", "Phòng Kiểm soát chi"), "Kho bạc Nhà nước {}"),
    "insurance": _branches(("Văn phòng", "Phòng Thu", "Phòng Giám định"), "Bảo hiểm xã hội {}"),
    "bank": _branches(("Phòng Tổng hợp", "Phòng Kế toán - Ngân quỹ", "Phòng Khách hàng"), "Phòng Giao dịch {}"),
    "hospital": (
        "Phòng Kế hoạch tổng hợp",
        "Phòng Tổ chức cán bộ",
        "Phòng Tài chính - Kế toán",
        "Phòng Điều dưỡng",
        "Khoa Khám bệnh",
        "Khoa Cấp cứu",
        "Khoa Dược",
        "Khoa Xét nghiệm",
        "Khoa Chẩn đoán hình ảnh",
        "Khoa Dinh dưỡng",
        "Khoa Kiểm soát nhiễm khuẩn",
        "Khoa Nhi",
        "Khoa Sản",
    ),
    "internal_medicine": (
        "Khoa Nội tổng hợp",
        "Khoa Tim mạch",
        "Khoa Thần kinh",
        "Khoa Truyền nhiễm",
        "Khoa Hồi sức tích cực",
        "Khoa Ung bướu",
        "Khoa Y học cổ truyền",
    ),
    "surgery": (
        "Khoa Ngoại tổng hợp",
        "Khoa Chấn thương chỉnh hình",
        "Khoa Phẫu thuật - Gây mê hồi sức",
        "Khoa Tai Mũi Họng",
        "Khoa Răng Hàm Mặt",
        "Khoa Mắt",
        "Khoa Tiết niệu",
        "Khoa Ngoại thần kinh",
    ),
    "college": (
        "Phòng Đào tạo",
        "Phòng Tổ chức - Hành chính",
        "Khoa Khoa học cơ bản",
        "Khoa Kinh tế",
        "Khoa Công nghệ thông tin",
        "Khoa Cơ khí",
        "Khoa Điện - Điện tử",
        "Khoa Điều dưỡng",
        "Khoa Dược",
        "Khoa Y",
        "Sinh viên",
    ),
    "broadcaster": (
        "Phòng Hành chính - Tổng hợp",
        "Phòng Thời sự",
        "Phòng Biên tập",
        "Phòng Chuyên đề",
        "Phòng Văn nghệ - Giải trí",
        "Phòng Kỹ thuật - Công nghệ",
        "Phòng Quảng cáo - Dịch vụ",
        "Phòng Phát thanh",
        "Phòng Thông tin điện tử",
    ),
    # The first cell of the electricity company is the one of 121 members, split into party groups.
    "electricity": _branches(
        (
            "Đội Quản lý vận hành lưới điện cao thế",
            "Văn phòng Công ty",
            "Phòng Kỹ thuật",
            "Phòng Kinh doanh",
            "Phòng Điều độ",
            "Phòng An toàn",
            "Phòng Kế hoạch - Vật tư",
            "Đội Sửa chữa - Thí nghiệm điện",
        ),
        "Điện lực {}",
    ),
    "irrigation": _branches(("Văn phòng Công ty", "Phòng Kỹ thuật"), "Xí nghiệp Khai thác công trình thủy lợi {}"),
    "post": _branches(("Văn phòng", "Trung tâm Khai thác vận chuyển"), "Bưu điện {}"),
    "telecom": _branches(("Văn phòng", "Trung tâm Điều hành thông tin"), "Trung tâm Viễn thông {}"),
    "garment": (
        "Văn phòng Tổng công ty",
        "Phòng Kỹ thuật - Công nghệ",
        "Phòng Kế hoạch - Xuất nhập khẩu",
        "Phòng Kế toán",
        "Phòng Tổ chức - Hành chính",
        "Xí nghiệp May 1",
        "Xí nghiệp May 2",
        "Xí nghiệp May 3",
        "Xí nghiệp May 4",
        "Xí nghiệp Giặt - Hoàn thiện",
    ),
    "garment_company": (
        "Văn phòng Công ty",
        "Phòng Kỹ thuật",
        "Phòng Kế hoạch",
        "Phòng Kế toán",
        "Phân xưởng Cắt",
        "Phân xưởng May 1",
        "Phân xưởng May 2",
        "Phân xưởng May 3",
        "Phân xưởng May 4",
        "Phân xưởng May 5",
        "Phân xưởng May 6",
        "Phân xưởng Hoàn thiện",
        "Kho vận",
    ),
    "association": (
        "Văn phòng",
        "Ban Kiểm tra",
        "Ban Tuyên truyền - Thi đua",
        "Ban Hỗ trợ phát triển hợp tác xã",
        "Trung tâm Tư vấn và Hỗ trợ hợp tác xã",
        "Quỹ Hỗ trợ phát triển hợp tác xã",
    ),
    "enterprise": (
        "Phòng Tổ chức - Hành chính",
        "Phòng Kế toán",
        "Phòng Kinh doanh",
        "Phòng Kỹ thuật",
        "Phòng Kế hoạch - Vật tư",
        "Phân xưởng 1",
        "Phân xưởng 2",
        "Phân xưởng 3",
        "Đội Xe",
        "Xí nghiệp 1",
        "Xí nghiệp 2",
    ),
}


@dataclass(frozen=True)
class Partial:
    name: str
    pool: str
    weight: int = 3


@dataclass(frozen=True)
class Grassroots:
    """A grassroots committee or cell of the bloc; only committees have subordinate cells (from `pool`)."""

    name: str
    category: Category
    pool: str = "agency"
    weight: int = 1  # how strongly it draws the subordinate cells beyond the minimum
    partials: tuple[Partial, ...] = ()


A, P, PRESS = Category.agency, Category.public_service_unit, Category.press
SE, SME, PE = Category.state_enterprise, Category.state_minority_enterprise, Category.private_enterprise
MASS = Category.mass_association

COMMITTEES: tuple[Grassroots, ...] = (
    Grassroots("Sở Tài chính", A, "finance", 2),
    Grassroots("Sở Kế hoạch và Đầu tư", A),
    Grassroots("Sở Nội vụ", A, "home_affairs"),
    Grassroots("Sở Công Thương", A, weight=2),
    Grassroots("Sở Nông nghiệp và Phát triển nông thôn", A, "agriculture", 3),
    Grassroots("Sở Tài nguyên và Môi trường", A, weight=2),
    Grassroots("Sở Xây dựng", A),
    Grassroots("Sở Giao thông vận tải", A, weight=2),
    Grassroots("Sở Giáo dục và Đào tạo", A),
    Grassroots("Sở Y tế", A, "health", 2),
    Grassroots("Sở Lao động - Thương binh và Xã hội", A, "labour", 3),
    Grassroots("Sở Văn hóa, Thể thao và Du lịch", A, weight=2),
    Grassroots("Sở Thông tin và Truyền thông", A),
    Grassroots("Văn phòng Ủy ban nhân dân tỉnh", A),
    Grassroots("Ban Quản lý các khu công nghiệp tỉnh", A),
    Grassroots("Cục Thuế tỉnh Hưng Yên", A, "tax", 6),
    Grassroots("Kho bạc Nhà nước Hưng Yên", A, "treasury", 4),
    Grassroots("Bảo hiểm xã hội tỉnh Hưng Yên", A, "insurance", 4),
    Grassroots("Ngân hàng Nhà nước chi nhánh tỉnh Hưng Yên", A),
    Grassroots(
        "Bệnh viện Đa khoa tỉnh Hưng Yên",
        P,
        "hospital",
        4,
        (Partial("Khối Nội", "internal_medicine"), Partial("Khối Ngoại", "surgery")),
    ),
    Grassroots("Bệnh viện Sản - Nhi Hưng Yên", P, "hospital", 4),
    Grassroots("Trung tâm Kiểm soát bệnh tật tỉnh Hưng Yên", P, weight=2),
    Grassroots("Trường Cao đẳng Y tế Hưng Yên", P, "college", 2),
    Grassroots("Trường Cao đẳng Cộng đồng Hưng Yên", P, "college", 2),
    Grassroots("Trường Đại học Sư phạm Kỹ thuật Hưng Yên", P, "college", 4),
    Grassroots("Đài Phát thanh và Truyền hình Hưng Yên", PRESS, "broadcaster", 2),
    Grassroots("Công ty Điện lực Hưng Yên", SE, "electricity", 6),
    Grassroots("Công ty TNHH Một thành viên Khai thác công trình thủy lợi Hưng Yên", SE, "irrigation", 4),
    Grassroots("Ngân hàng Nông nghiệp và Phát triển nông thôn chi nhánh tỉnh Hưng Yên", SE, "bank", 5),
    Grassroots("Ngân hàng TMCP Công thương Việt Nam chi nhánh Hưng Yên", SE, "bank", 2),
    Grassroots("Viễn thông Hưng Yên", SE, "telecom", 4),
    Grassroots("Bưu điện tỉnh Hưng Yên", SE, "post", 4),
    Grassroots(
        "Tổng Công ty May Hưng Yên - Công ty cổ phần",
        SME,
        "garment",
        4,
        (Partial("Công ty May Phố Hiến", "garment_company"), Partial("Công ty May Hưng Việt", "garment_company")),
    ),
    Grassroots("Công ty Cổ phần Nước sạch Hưng Yên", SME, "enterprise", 2),
    Grassroots("Công ty Cổ phần Môi trường và Công trình đô thị Hưng Yên", SME, "enterprise", 2),
    Grassroots("Công ty Cổ phần Tập đoàn Phố Hiến", PE, "enterprise", 3),
    Grassroots("Công ty TNHH Thực phẩm Phố Nối", PE, "enterprise", 2),
    Grassroots("Liên minh Hợp tác xã tỉnh Hưng Yên", MASS, "association"),
)

CELLS: tuple[Grassroots, ...] = tuple(
    Grassroots(name, category)
    for category, names in (
        (
            A,
            (
                "Sở Tư pháp",
                "Sở Khoa học và Công nghệ",
                "Thanh tra tỉnh",
                "Văn phòng Đoàn đại biểu Quốc hội và Hội đồng nhân dân tỉnh",
                "Cục Thống kê tỉnh Hưng Yên",
                "Cục Quản lý thị trường tỉnh Hưng Yên",
                "Chi cục Hải quan Hưng Yên",
                "Cục Thi hành án dân sự tỉnh",
            ),
        ),
        (
            P,
            (
                "Bệnh viện Mắt Hưng Yên",
                "Bệnh viện Phổi Hưng Yên",
                "Bệnh viện Tâm thần kinh Hưng Yên",
                "Bệnh viện Y dược cổ truyền Hưng Yên",
                "Ban Quản lý dự án đầu tư xây dựng tỉnh",
                "Quỹ Đầu tư phát triển tỉnh Hưng Yên",
                "Trường Cao đẳng Kinh tế - Kỹ thuật Tô Hiệu Hưng Yên",
                "Trung tâm Xúc tiến đầu tư và Hỗ trợ doanh nghiệp tỉnh",
                "Trường Cao đẳng Cơ điện và Thủy lợi",
            ),
        ),
        (PRESS, ("Báo Hưng Yên", "Tạp chí Văn nghệ Phố Hiến")),
        (
            MASS,
            (
                "Hội Chữ thập đỏ tỉnh",
                "Liên hiệp các Hội Khoa học và Kỹ thuật tỉnh",
                "Hội Văn học Nghệ thuật tỉnh",
                "Hội Luật gia tỉnh",
                "Hội Người mù tỉnh",
                "Liên hiệp các tổ chức hữu nghị tỉnh",
                "Hội Đông y tỉnh",
            ),
        ),
        (
            SE,
            (
                "Công ty TNHH Một thành viên Xổ số kiến thiết Hưng Yên",
                "Ngân hàng TMCP Ngoại thương Việt Nam chi nhánh Hưng Yên",
                "Ngân hàng TMCP Đầu tư và Phát triển Việt Nam chi nhánh Hưng Yên",
                "Ngân hàng Chính sách xã hội chi nhánh tỉnh Hưng Yên",
                "Công ty Xăng dầu Hưng Yên",
                "Công ty TNHH Một thành viên Quản lý và khai thác công trình giao thông Hưng Yên",
            ),
        ),
        (
            SME,
            (
                "Công ty Cổ phần Xây dựng Giao thông Hưng Yên",
                "Công ty Cổ phần Sách và Thiết bị trường học Hưng Yên",
                "Công ty Cổ phần Dược phẩm Hưng Yên",
                "Công ty Cổ phần In Hưng Yên",
                "Công ty Cổ phần Tư vấn xây dựng Hưng Yên",
            ),
        ),
        (
            PE,
            (
                "Công ty TNHH May mặc Văn Lâm",
                "Công ty Cổ phần Nhựa Mỹ Hào",
                "Công ty TNHH Cơ khí chính xác Yên Mỹ",
                "Công ty Cổ phần Thực phẩm Nhãn lồng Hưng Yên",
                "Công ty TNHH Bao bì Khoái Châu",
                "Công ty Cổ phần Đầu tư và Phát triển đô thị Văn Giang",
                "Công ty TNHH Điện tử Phố Nối",
            ),
        ),
    )
    for name in names
)

# The cell of 121 members that meets in party groups: the first cell of the electricity company.
