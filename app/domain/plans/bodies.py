"""Bodies named in a plan: reading a role line's label, splitting its value into bodies as a person reads it, and the
forgiving key under which two spellings of one body meet.

Commas and "và" both separate bodies and occur inside one body's name ("Các cấp ủy, tổ chức đảng trong Đảng bộ thị
xã", "Phòng Văn hóa và Thông tin thị xã"). The rule a reader applies: a new body starts where a new proper name
starts, i.e. a capitalised head noun (Ban, Hội, Ủy ban, UBND, Trung tâm, …); a lower-case continuation ("tổ chức
đảng", "chi bộ trực thuộc Thị ủy", "giúp việc Thị ủy") belongs to the name before it."""

import re
import unicodedata

from app.domain.plans.document import ROLE_ORDER, TaskRole

# Role labels after "Cơ quan"/"Đơn vị" is dropped and punctuation is blanked. Exact readings only: a label that is
# not here is reported, not guessed.
_ROLE_LABELS: dict[str, tuple[TaskRole, ...]] = {
    "chỉ đạo": (TaskRole.directing,),
    "lãnh đạo": (TaskRole.directing,),
    "lãnh đạo chỉ đạo": (TaskRole.directing,),
    "chỉ đạo và thực hiện": (TaskRole.directing, TaskRole.implementing),
    "lãnh đạo chỉ đạo và thực hiện": (TaskRole.directing, TaskRole.implementing),
    "tham mưu": (TaskRole.advisory,),
    "tham mưu chỉ đạo": (TaskRole.advisory,),  # advises the directing body
    "tham mưu giúp việc": (TaskRole.advisory,),
    "chủ trì": (TaskRole.lead,),
    "chủ trì tham mưu": (TaskRole.lead, TaskRole.advisory),
    "chủ trì tham mưu chỉ đạo": (TaskRole.lead, TaskRole.advisory),
    "chủ trì thực hiện": (TaskRole.lead, TaskRole.implementing),
    "chủ trì tổ chức thực hiện": (TaskRole.lead, TaskRole.implementing),
    "phối hợp": (TaskRole.coordinating,),
    "phối hợp tham mưu": (TaskRole.coordinating,),
    "phối hợp thực hiện": (TaskRole.coordinating,),
    "tổ chức thực hiện": (TaskRole.implementing,),
    "thực hiện": (TaskRole.implementing,),
    "triển khai thực hiện": (TaskRole.implementing,),
    "tổ chức triển khai thực hiện": (TaskRole.implementing,),
}
_LABEL_PREFIX = re.compile(r"^(?:cơ quan|đơn vị|bộ phận)\s+")
_DEADLINE_LABEL = re.compile(r"^(?:thời gian|thời hạn|tiến độ)\b")

# Head nouns that start a body's proper name; two-word heads where the first word alone starts ordinary words
# ("Văn hóa", "Công nghệ", "Xã hội", "Thông tin").
_HEADS_1 = frozenset(
    {
        "ban",
        "hội",
        "sở",
        "phòng",
        "trường",
        "cục",
        "đài",
        "báo",
        "hạt",
        "đội",
        "bộ",
        "viện",
        "đoàn",
        "tổ",
        "trạm",
        "ubnd",
        "hđnd",
        "ubmttq",
        "mttq",
        "ubkt",
        "btv",
        "bch",
        "bcđ",
        "lđlđ",
        "hlhpn",
        "thị đoàn",
    }
)
_HEADS_2 = frozenset(
    {
        "văn phòng",
        "trung tâm",
        "công an",
        "công ty",
        "công đoàn",
        "mặt trận",
        "cơ quan",
        "liên đoàn",
        "tòa án",
        "toà án",
        "kho bạc",
        "bảo hiểm",
        "ngân hàng",
        "bệnh viện",
        "hội đồng",
        "thanh tra",
        "doanh nghiệp",
        "hợp tác",
        "lãnh đạo",
        "bí thư",
        "chủ tịch",
        "chi bộ",
        "chi cục",
        "chi hội",
        "chi nhánh",
        "đảng ủy",
        "đảng uỷ",
        "đảng bộ",
        "đảng đoàn",
        "ủy ban",
        "uỷ ban",
        "ủy viên",
        "uỷ viên",
        "thị ủy",
        "thị uỷ",
        "thị đoàn",
        "huyện ủy",
        "huyện uỷ",
        "huyện đoàn",
        "tỉnh ủy",
        "tỉnh uỷ",
        "tỉnh đoàn",
        "thành ủy",
        "thành uỷ",
        "thành đoàn",
        "quận ủy",
        "quận uỷ",
        "thường trực",
        "cấp ủy",
        "cấp uỷ",
        "tổ chức",
        "ban chỉ",
        "bộ chỉ",
        "câu lạc",
    }
)

_ABBREVIATIONS = {
    "UBND": "ủy ban nhân dân",
    "HĐND": "hội đồng nhân dân",
    "UBMTTQ": "ủy ban mặt trận tổ quốc",
    "MTTQ": "mặt trận tổ quốc",
    "UBKT": "ủy ban kiểm tra",
    "BTV": "ban thường vụ",
    "BCH": "ban chấp hành",
    "BCĐ": "ban chỉ đạo",
    "LĐLĐ": "liên đoàn lao động",
    "HLHPN": "hội liên hiệp phụ nữ",
    "CCB": "cựu chiến binh",
    "TX": "thị xã",
    "TP": "thành phố",
    "THPT": "trung học phổ thông",
    "THCS": "trung học cơ sở",
    "VN": "việt nam",
    "TT": "trung tâm",
    "GDNN": "giáo dục nghề nghiệp",
    "GDTX": "giáo dục thường xuyên",
}

_FOLDED_ABBREVIATIONS = {
    "".join(c for c in unicodedata.normalize("NFD", k.casefold().replace("đ", "d")) if not unicodedata.combining(c)): v
    for k, v in _ABBREVIATIONS.items()
}

# "Các chi bộ, đảng ủy trực thuộc …" and "Các đảng ủy, chi bộ trực thuộc …" are one collective: the pair of
# nouns sharing "các" is keyed in one order.
_NOUN = r"(chi bo|dang uy|dang bo|cap uy|to chuc dang|chi uy)"
_PLURAL_PAIR = re.compile(rf"^cac {_NOUN} {_NOUN}\b")

_FILLER = re.compile(
    r"các (?:cơ quan|đơn vị|ngành|địa phương|tổ chức)(?:(?:,| và) (?:cơ quan|đơn vị|ngành|địa phương|"
    r"tổ chức))* (?:có )?liên quan"
)
_COLLECTIVE = re.compile(
    r"^các |^\d+ |\bxã, phường\b|^tổ chức (?:cơ sở )?đảng\b"
    r"|^(?:đảng ủy|đảng uỷ|ubnd|ủy ban nhân dân|uỷ ban nhân dân|hđnd|chi bộ) các "
    r"|\bvà các (?:tổ chức|đồng chí|đoàn thể|hội|cơ quan|đơn vị|chi bộ|cấp ủy|cấp uỷ)\b"
)

_LEAD = re.compile(r"\s+chủ trì(?:\s+tham mưu)?(?:\s+thực hiện)?\s*(?:[,;]\s*|$)", re.IGNORECASE)
_WITH = re.compile(r"^phối hợp\s+(?:với|cùng)\s+", re.IGNORECASE)
_BY = re.compile(r"^(?P<names>.+?)\s+(?:cùng\s+)?phối hợp(?:\s+thực hiện)?$", re.IGNORECASE)
_COORDINATE = re.compile(r"\s*,?\s+phối hợp\s+(?:với|cùng)\s+", re.IGNORECASE)


def clean_name(name: str) -> str:
    """The name as written: NFC, no emphasis markers, one space between words, no trailing punctuation, capital
    first letter (a name standing alone starts with one)."""
    name = " ".join(unicodedata.normalize("NFC", name).replace("*", "").split())
    name = re.sub(r"\(\s+", "(", re.sub(r"\s+\)", ")", name)).strip(" .;,:-–")
    return name[:1].upper() + name[1:]


def normalise_body_name(name: str) -> str:
    """The key bodies are matched by: case, accents, punctuation and spacing ignored, the usual abbreviations
    spelled out in any case ("UBND thị xã" = "ubnd thi xa" = "Ủy ban nhân dân thị xã"), "Việt Nam" after "Mặt
    trận Tổ quốc" optional. Keys of different bodies stay different ("Ban Thường vụ Thị ủy" ≠ "Ban Thường vụ Tỉnh
    ủy")."""
    text = unicodedata.normalize("NFC", name).replace("*", "")
    words = re.findall(r"\w+", text)
    spelled = " ".join(_spelled_out(word) for word in words)
    plain = " ".join(
        _strip_accents(spelled.casefold()).replace("mat tran to quoc viet nam", "mat tran to quoc").split()
    )
    return _PLURAL_PAIR.sub(lambda m: "cac " + " ".join(sorted((m[1], m[2]))), plain)


def _spelled_out(word: str) -> str:
    """ "UBND", "ubnd" → "ủy ban nhân dân"; "HDND" (typed without its Đ) → "hội đồng nhân dân"."""
    found = _ABBREVIATIONS.get(word.upper())
    if found is None:
        found = _FOLDED_ABBREVIATIONS.get(_strip_accents(word.casefold()))
    return found or word


def _strip_accents(text: str) -> str:
    decomposed = unicodedata.normalize("NFD", text.replace("đ", "d").replace("Đ", "D"))
    return "".join(char for char in decomposed if not unicodedata.combining(char))


def is_collective(name: str) -> bool:
    """Whether the name stands for every organisation of a kind in a subtree ("Các cấp ủy, tổ chức đảng trong Đảng
    bộ thị xã", "Đảng ủy các xã, phường", "03 chi bộ trường THPT …") rather than one body. Fillers such as "Các cơ
    quan có liên quan" name no subtree, so they are not collective."""
    text = clean_name(name).casefold()
    if _FILLER.fullmatch(text):
        return False
    return _COLLECTIVE.search(text) is not None


def read_role_label(label: str) -> tuple[TaskRole, ...] | None:
    """The roles a label gives ("Cơ quan chủ trì tham mưu" → lead, advisory); None for a label this reader does
    not know."""
    return _ROLE_LABELS.get(_label_key(label))


def is_deadline_label(label: str) -> bool:
    """ "Thời gian hoàn thành", "Thời gian thực hiện", "Thời gian hoàn thành kế hoạch", "Thời hạn", …"""
    return _DEADLINE_LABEL.match(_label_key(label)) is not None


def _label_key(label: str) -> str:
    text = unicodedata.normalize("NFC", label).replace("*", "").casefold()
    text = " ".join(re.sub(r"[,;.\-–/]", " ", text).split())
    return _LABEL_PREFIX.sub("", text)


def read_bodies(value: str, roles: tuple[TaskRole, ...]) -> list[tuple[str, tuple[TaskRole, ...]]]:
    """The bodies of one role line with the roles each holds. "X chủ trì, phối hợp với Y, Z" and "X chủ trì, Y
    phối hợp" make X lead as well as the line's roles, and Y, Z coordinating."""
    text = clean_name(value)
    lead = _LEAD.search(text)
    if lead is not None:
        leaders, rest = text[: lead.start()], text[lead.end() :]
        found = [(name, _with(roles, TaskRole.lead)) for name in split_names(leaders)]
        with_ = _WITH.match(rest)
        by = _BY.fullmatch(rest)
        if with_ is not None:
            found += [(name, (TaskRole.coordinating,)) for name in split_names(rest[with_.end() :])]
        elif by is not None:
            found += [(name, (TaskRole.coordinating,)) for name in split_names(by["names"])]
        elif rest:
            found += [(name, roles) for name in split_names(rest)]
        return found
    coordinate = _COORDINATE.search(text)
    if coordinate is not None:
        return [(name, roles) for name in split_names(text[: coordinate.start()])] + [
            (name, (TaskRole.coordinating,)) for name in split_names(text[coordinate.end() :])
        ]
    return [(name, roles) for name in split_names(text)]


def _with(roles: tuple[TaskRole, ...], extra: TaskRole) -> tuple[TaskRole, ...]:
    return tuple(role for role in ROLE_ORDER if role in roles or role is extra)


def split_names(text: str) -> list[str]:
    """Split a list of bodies at ";" always, at "," and "và" only where a new proper name starts; text inside
    parentheses is never split ("Đảng ủy xã, phường (Phổ Nhơn, Phổ Khánh, Phổ Ninh và Phổ Vinh)")."""
    names: list[str] = []
    for piece in _split_outside_parentheses(text, ";"):
        segments: list[str] = []
        for segment in _split_outside_parentheses(piece, ","):
            if segments and not _starts_new_body(segment, after=segments[-1]):
                segments[-1] = f"{segments[-1]}, {segment}"
            else:
                segments.append(segment)
        for segment in segments:
            names.extend(_split_at_and(segment))
    names = [clean_name(name) for name in names]
    return _share_qualifiers([name for name in names if name])


def _split_outside_parentheses(text: str, separator: str) -> list[str]:
    parts, depth, start = [], 0, 0
    for index, char in enumerate(text):
        if char in "([":
            depth += 1
        elif char in ")]":
            depth = max(0, depth - 1)
        elif char == separator and depth == 0:
            parts.append(text[start:index].strip())
            start = index + 1
    parts.append(text[start:].strip())
    return [part for part in parts if part]


def _split_at_and(segment: str) -> list[str]:
    parts = [segment]
    while True:
        match = _last_and(parts[-1])
        if match is None:
            return parts
        head, tail = match
        parts[-1:] = [head, tail]


def _last_and(text: str) -> tuple[str, str] | None:
    depth = 0
    for match in re.finditer(r"\(|\)|\s+và\s+", text):
        if match[0] == "(":
            depth += 1
        elif match[0] == ")":
            depth = max(0, depth - 1)
        elif depth == 0 and _starts_proper_name(text[match.end() :]):
            return text[: match.start()], text[match.end() :]
    return None


def _starts_new_body(segment: str, *, after: str) -> bool:
    previous_words = after.casefold().split()
    if previous_words[:1] == ["các"] and len(previous_words) <= 3:
        return False  # "Các cấp ủy, tổ chức đảng …", "Các chi bộ, đảng ủy …": one plural shared by both nouns
    lowered = segment.casefold()
    if previous_words[-1:] == ["xã"] and lowered.startswith(("phường", "thị trấn")):
        return False  # "Đảng ủy các xã, phường"
    return lowered.startswith("các ") or segment[:1].isdigit() or _starts_proper_name(segment)


def _starts_proper_name(text: str) -> bool:
    words = re.findall(r"\w+", text)
    if not words or not text.lstrip()[:1].isupper():
        return False
    first = words[0].casefold()
    return first in _HEADS_1 or " ".join(words[:2]).casefold() in _HEADS_2


def _share_qualifiers(names: list[str]) -> list[str]:
    """ "HĐND, UBND thị xã" reads as "HĐND thị xã" and "UBND thị xã": a bare abbreviation takes the qualifier of
    the name after it."""
    shared = list(names)
    for index in range(len(shared) - 2, -1, -1):
        name, following = shared[index], shared[index + 1].split()
        if (
            name.isupper()
            and " " not in name
            and name.upper() in _ABBREVIATIONS
            and len(following) > 1
            and following[0].isupper()
            and following[0] in _ABBREVIATIONS
        ):
            shared[index] = " ".join([name, *following[1:]])
    return shared
