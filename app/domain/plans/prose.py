"""Tasks written as prose rather than as a numbered item with role lines: part B's "I- Tổ chức triển khai, quán
triệt" paragraph and the numbered paragraphs of part C ("Tổ chức thực hiện"). A sentence names its bodies first and
then what they do: "Ban Tuyên giáo Thị ủy, các chi bộ, đảng ủy trực thuộc Thị ủy triển khai thực hiện … theo Kế
hoạch số 63-KH/TU …", "Cơ quan Tổ chức - Nội vụ thị xã giúp Ban Thường vụ Thị ủy theo dõi … định kỳ hằng năm …
báo cáo". The first verb says the role; a plan it follows or "hằng năm" says the deadline."""

import re
from dataclasses import dataclass

# The verb that ends the subject, and the role label (as a role line would write it) it gives the subject's bodies.
# "giúp việc" is part of a name ("các cơ quan chuyên trách tham mưu, giúp việc Thị ủy"), not the verb "giúp".
_VERBS = (
    (re.compile(r"\s+giúp\s+(?!việc\b)"), "Cơ quan chủ trì tham mưu"),
    (re.compile(r"\s+theo chức năng\b"), "Cơ quan chỉ đạo"),
    (re.compile(r"\s+(?:lãnh đạo,\s+)?chỉ đạo\s+"), "Cơ quan chỉ đạo"),
    (re.compile(r"\s+(?:triển khai|xây dựng|tổ chức thực hiện|thực hiện)\s+"), "Cơ quan tổ chức thực hiện"),
)
_BY_PLAN = re.compile(
    r"\btheo\s+(?P<plan>(?:Kế hoạch|Chương trình|Đề án)\s+số\s*\S+(?:\s+ngày\s+\d{1,2}/\d{1,2}/\d{4})?"
    r"(?:\s+của\s+(?:(?!\s+về\s)[^,;.(])+)?)"
)
# Head nouns a sentence writes in lower case after a comma ("Thường trực HĐND, lãnh đạo UBND thị xã"): a role line
# would capitalise them, and the splitter starts a new body only at a capital.
_LOWER_HEAD = re.compile(r"([,;]\s+)(lãnh đạo|thường trực|ban|ủy ban|văn phòng|trung tâm)\s")
_YEARLY = re.compile(r"\b(?:định kỳ\s+)?(?:hằng|hàng)\s+năm\b", re.IGNORECASE)


@dataclass(frozen=True)
class ProseTask:
    role_label: str  # "Cơ quan tổ chức thực hiện": read by the same reader as a role line's label
    bodies: str  # the subject, as written
    deadline: str | None  # "Theo Kế hoạch số 63-KH/TU …", "Hằng năm"; None when the sentence states none


def read_prose(text: str) -> ProseTask | None:
    """The bodies, role and deadline of a sentence that assigns work; None when it does not start with a name
    followed by one of the verbs above."""
    found = [(match.start(), label) for pattern, label in _VERBS if (match := pattern.search(text)) is not None]
    if not found:
        return None
    position, label = min(found)
    subject = text[:position].strip(" ,;:")
    if not subject[:1].isupper() or len(subject) > 300:
        return None
    rest = text[position:]
    deadline = None
    if (plan := _BY_PLAN.search(rest)) is not None:
        deadline = "Theo " + plan["plan"].strip()
    elif _YEARLY.search(rest) is not None:
        deadline = "Hằng năm"
    subject = _LOWER_HEAD.sub(lambda match: match[1] + match[2].capitalize() + " ", subject)
    return ProseTask(role_label=label, bodies=subject, deadline=deadline)
