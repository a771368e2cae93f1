"""Reference data of member records, with Vietnamese labels (served by GET /api/v1/reference/members)."""

ETHNICITIES: dict[str, str] = {
    "01": "Kinh",
    "02": "Tày",
    "03": "Thái",
    "04": "Hoa",
    "05": "Khơ-me",
    "06": "Mường",
    "07": "Nùng",
    "08": "HMông",
    "09": "Dao",
    "10": "Gia-rai",
    "11": "Ngái",
    "12": "Ê-đê",
    "13": "Ba-na",
    "14": "Xơ-đăng",
    "15": "Sán Chay",
    "16": "Cơ-ho",
    "17": "Chăm",
    "18": "Sán Dìu",
    "19": "Hrê",
    "20": "Mnông",
    "21": "Ra-glai",
    "22": "Xtiêng",
    "23": "Bru-Vân Kiều",
    "24": "Thổ",
    "25": "Giáy",
    "26": "Cơ-tu",
    "27": "Gié-Triêng",
    "28": "Mạ",
    "29": "Khơ-mú",
    "30": "Co",
    "31": "Tà-ôi",
    "32": "Chơ-ro",
    "33": "Kháng",
    "34": "Xinh-mun",
    "35": "Hà Nhì",
    "36": "Chu-ru",
    "37": "Lào",
    "38": "La Chí",
    "39": "La Ha",
    "40": "Phù Lá",
    "41": "La Hủ",
    "42": "Lự",
    "43": "Lô Lô",
    "44": "Chứt",
    "45": "Mảng",
    "46": "Pà Thẻn",
    "47": "Cơ Lao",
    "48": "Cống",
    "49": "Bố Y",
    "50": "Si La",
    "51": "Pu Péo",
    "52": "Brâu",
    "53": "Ơ Đu",
    "54": "Rơ-măm",
    "99": "Khác (người nước ngoài, …)",
}

RELIGIONS: dict[str, str] = {
    "none": "Không",
    "buddhism": "Phật giáo",
    "catholicism": "Công giáo",
    "protestantism": "Tin Lành",
    "cao_dai": "Cao Đài",
    "hoa_hao": "Phật giáo Hòa Hảo",
    "islam": "Hồi giáo",
    "bahai": "Baha'i",
    "tinh_do_cu_si": "Tịnh độ Cư sĩ Phật hội Việt Nam",
    "buu_son_ky_huong": "Bửu Sơn Kỳ Hương",
    "other": "Khác",
}

POLITICAL_THEORY_LEVELS: dict[str, str] = {
    "none": "Chưa qua đào tạo",
    "elementary": "Sơ cấp",
    "intermediate": "Trung cấp",
    "advanced": "Cao cấp",
    "bachelor": "Cử nhân",
}

EDUCATION_LEVELS: dict[str, str] = {
    "primary": "Tiểu học",
    "lower_secondary": "Trung học cơ sở",
    "upper_secondary": "Trung học phổ thông",
}

PROFESSIONAL_LEVELS: dict[str, str] = {
    "none": "Chưa qua đào tạo",
    "vocational": "Sơ cấp, trung cấp nghề",
    "college": "Cao đẳng",
    "bachelor": "Đại học",
    "master": "Thạc sĩ",
    "doctorate": "Tiến sĩ",
}

STATUSES: dict[str, str] = {
    "candidate": "Quần chúng ưu tú (cảm tình Đảng)",
    "probationary": "Đảng viên dự bị",
    "official": "Đảng viên chính thức",
    "transferred_out": "Đã chuyển sinh hoạt đi",
    "expelled": "Khai trừ",
    "struck_off": "Xóa tên",
    "resigned": "Cho ra khỏi Đảng",
    "deceased": "Từ trần",
}

GENDERS: dict[str, str] = {"male": "Nam", "female": "Nữ"}

CATALOGUES: dict[str, dict[str, str]] = {
    "ethnicity": ETHNICITIES,
    "religion": RELIGIONS,
    "political_theory_level": POLITICAL_THEORY_LEVELS,
    "education": EDUCATION_LEVELS,
    "professional_level": PROFESSIONAL_LEVELS,
    "status": STATUSES,
    "gender": GENDERS,
}
