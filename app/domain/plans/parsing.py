"""A plan's text → ParsedPlan: the header (code, title, what it implements, who issues it) and the task tree of the
part that holds the tasks ("B. NỘI DUNG THỰC HIỆN"), each task with its bodies per role and its deadline.

Tasks written as prose are tasks too: a section of the tasks part whose only content is a sentence assigning work
(seed 004's "I- Tổ chức triển khai, quán triệt" → task "B.I"), and the numbered paragraphs of the part that organises
the implementation ("C. TỔ CHỨC THỰC HIỆN" → "C.1", "C.2", …; app/domain/plans/prose.py).

Plain CPU work: callers on the event loop run it in a thread. Every line of the tasks part is either understood or
reported in `unparsed` with the reason; part A is prose and is neither."""

import re
import unicodedata
from dataclasses import dataclass, field
from datetime import date

from app.domain.plans.bodies import (
    clean_name,
    is_collective,
    is_deadline_label,
    normalise_body_name,
    read_bodies,
    read_role_label,
)
from app.domain.plans.deadlines import clean_text, read_deadline
from app.domain.plans.document import (
    ROLE_ORDER,
    DeadlineKind,
    ParsedAssignment,
    ParsedDeadline,
    ParsedPlan,
    ParsedTask,
    TaskRole,
    UnparsedLine,
)
from app.domain.plans.goals import read_goals
from app.domain.plans.prose import read_prose

_PART = re.compile(r"(?:[A-ZĐ]|[IVX]{1,4})\s*[.\-–)]\s*(?P<title>\S.*)")
_SECTION = re.compile(r"[IVX]{1,4}\s*[.\-–)]\s*\S.*")
_NUMBERED = re.compile(r"(?P<code>\d{1,2}(?:\.\d{1,2})+)\.?\s+(?P<text>\S.*)|(?P<top>\d{1,2})\.\s+(?P<top_text>\S.*)")
_LETTERED = re.compile(r"(?P<letter>[a-zđ])\)\s*(?P<text>\S.*)")
_BULLET = re.compile(r"[-–—+•·▪◦]\s*(?P<rest>.*)")
_LABELLED = re.compile(r"(?P<label>[^:]{2,90}?)\s*:\s*(?P<value>.*)")
_TASK_PART = ("nội dung", "nhiệm vụ", "giải pháp")
_FOLLOW_UP_PART = "tổ chức thực hiện"
_SECTION_PARTS = re.compile(r"(?P<roman>[IVX]{1,4})\s*[.\-–)]\s*(?P<title>\S.*)")
_TOP = re.compile(r"(?P<number>\d{1,2})\.\s+(?P<text>\S.*)")
_END = re.compile(r"nơi nhận\s*:?|t/m\s.*", re.IGNORECASE)
_plain = clean_text

_DOCUMENT_HEADING = re.compile(r"KẾ HOẠCH|CHƯƠNG TRÌNH(?: HÀNH ĐỘNG)?|ĐỀ ÁN")
_CODE = re.compile(r"Số\s*:?\s*(?P<number>[0-9]*)\s*-\s*(?P<kind>[A-ZĐ]{1,6}(?:/[A-ZĐ]{1,8})*)\b")
_ISSUED = re.compile(r"ngày\s+(\d{1,2})\s+tháng\s+(\d{1,2})\s+năm\s+(\d{4})", re.IGNORECASE)
_REFERENCE = re.compile(
    r"\b(?:Nghị quyết|Kế hoạch|Đề án|Chỉ thị|Kết luận|Quy định|Hướng dẫn|Chương trình|Quyết định|Thông báo)"
    r"\s+số\s*:?\s*(?:\d+[a-z]?)?\s*-\s*[A-ZĐ]{1,6}(?:/[A-ZĐ]{1,8})*"
)
_ISSUER = re.compile(
    r"(?:^|[,;.:]\s*)(?P<issuer>[^,;.:]+?)\s+(?:ban hành|xây dựng)\s+(?:kế hoạch|chương trình)", re.IGNORECASE
)


_NOT_A_TASK = (
    "paragraph in the tasks part that is not a numbered task: it may assign work, but names no task code, roles or "
    "deadline, nor bodies followed by what they do"
)


@dataclass
class _Entry:
    """A role or deadline line of a task, with the lines that continue it."""

    line: int
    text: str
    label: str | None
    value: str


@dataclass
class _Draft:
    code: str
    parent_code: str | None
    line: int
    title: list[str]
    entries: list[_Entry] = field(default_factory=list)


@dataclass
class _Header:
    code: str | None = None
    title: str = ""
    issuer: str | None = None
    issued_on: date | None = None
    implements: tuple[str, ...] = ()
    draft: bool = False


def parse_plan_text(text: str) -> ParsedPlan:
    lines = _lines(text)
    parts = [(index, _part_title(line)) for index, line in enumerate(lines)]
    headings = [(index, title) for index, title in parts if title is not None]
    start, end = _task_area(lines, headings)
    header_end = headings[0][0] if headings else start
    header = _read_header(lines[:header_end])
    unparsed: list[UnparsedLine] = []
    if not header.title:
        unparsed.append(UnparsedLine(0, "", "no plan title found (expected a “KẾ HOẠCH” heading and its title)"))
    drafts = _read_tree(lines, start, end, unparsed, part=_part_letter(lines, start))
    drafts += _read_follow_up(lines, headings, end, unparsed, taken={draft.code for draft in drafts})
    tasks = [_finish(draft, header.issued_on, unparsed) for draft in drafts]
    return ParsedPlan(
        code=header.code,
        title=header.title,
        issuer=header.issuer,
        issued_on=header.issued_on,
        implements=header.implements,
        tasks=tuple(tasks),
        unparsed=tuple(sorted(unparsed, key=lambda item: item.line)),
        draft=header.draft,
        goals=read_goals(tasks, lines[header_end:start], header_end + 1, header.issued_on),
    )


def _lines(text: str) -> list[str]:
    text = unicodedata.normalize("NFC", text)
    for invisible in ("\ufeff", "\u200b", "\u200c", "\u200d"):
        text = text.replace(invisible, "")
    return [" ".join(line.replace("\u00a0", " ").split()) for line in text.splitlines()]


def _part_title(line: str) -> str | None:
    """ "B. NỘI DUNG THỰC HIỆN" → its title; a heading is written in capitals (sections "I- Mục đích" are not)."""
    match = _PART.fullmatch(_plain(line))
    if match is None:
        return None
    title = match["title"]
    return title if title == title.upper() and any(char.isalpha() for char in title) else None


def _task_area(lines: list[str], headings: list[tuple[int, str]]) -> tuple[int, int]:
    """Lines [start, end) that hold the tasks: the part named for its content or tasks; with no such part, all
    after the first numbered item. The list of recipients and the signature end it."""
    start = end = None
    for position, (index, title) in enumerate(headings):
        if any(word in title.casefold() for word in _TASK_PART):
            start = index + 1
            end = headings[position + 1][0] if position + 1 < len(headings) else len(lines)
            break
    if start is None or end is None:
        numbered = [index for index, line in enumerate(lines) if _NUMBERED.fullmatch(_plain(line))]
        start, end = (numbered[0], len(lines)) if numbered else (len(lines), len(lines))
    for index in range(start, end):
        if _END.fullmatch(_plain(lines[index])):
            return start, index
    return start, end


def _part_letter(lines: list[str], start: int) -> str | None:
    """ "B" when the tasks part starts under "B. NỘI DUNG THỰC HIỆN"."""
    heading = _plain(lines[start - 1]) if 0 < start <= len(lines) else ""
    return heading[0] if _part_title(heading) is not None else None


def _prose_draft(code: str, number: int, title: str, text: str) -> _Draft | None:
    """A task from a sentence that assigns work, its bodies and deadline as role and deadline entries."""
    prose = read_prose(text)
    if prose is None:
        return None
    entries = [_Entry(number, text, prose.role_label, prose.bodies)]
    if prose.deadline is not None:
        entries.append(_Entry(number, text, "Thời gian thực hiện", prose.deadline))
    return _Draft(code=code, parent_code=None, line=number, title=[title], entries=entries)


def _read_follow_up(
    lines: list[str], headings: list[tuple[int, str]], after: int, unparsed: list[UnparsedLine], taken: set[str]
) -> list[_Draft]:
    """The numbered paragraphs of "C. TỔ CHỨC THỰC HIỆN": who issues their own plan, who directs, who follows up
    and reports. Unnumbered prose there ("Căn cứ …, Ban Thường vụ Thị ủy yêu cầu:") is an introduction."""
    found = [i for i, title in headings if i >= after - 1 and _FOLLOW_UP_PART in title.casefold()]
    if not found:
        return []
    index, letter = found[0], _plain(lines[found[0]])[0]
    end = next((i for i, _ in headings if i > index), len(lines))
    drafts = []
    for position in range(index + 1, end):
        plain, number = _plain(lines[position]), position + 1
        if _END.fullmatch(plain):
            break
        item = _TOP.fullmatch(plain)
        if item is None:
            continue
        code = f"{letter}.{item['number']}"
        draft = _prose_draft(code, number, item["text"], item["text"]) if code not in taken else None
        if draft is None:
            unparsed.append(UnparsedLine(number, plain, f"paragraph {code} names no body followed by what it does"))
        else:
            taken.add(code)
            drafts.append(draft)
    return drafts


def _read_header(lines: list[str]) -> _Header:
    header = _Header()
    heading = next((index for index, line in enumerate(lines) if _DOCUMENT_HEADING.fullmatch(_plain(line))), None)
    before = lines if heading is None else lines[:heading]
    for line in before:
        plain = _plain(line)
        code = _CODE.search(plain)
        if code is not None and header.code is None:
            header.code = f"{code['number']}-{code['kind']}" if code["number"] else None
        issued = _ISSUED.search(plain)
        if issued is not None and header.issued_on is None:
            header.issued_on = _date(int(issued[3]), int(issued[2]), int(issued[1]))
    header.draft = any(_plain(line).casefold() == "dự thảo" for line in lines)
    if heading is None:
        return header
    title_end = _title_end(lines, heading + 1)
    header.title = clean_text(" ".join(lines[heading + 1 : title_end]))
    preamble = clean_text(" ".join(lines[title_end:]))
    references = [match[0] for match in _REFERENCE.finditer(preamble)]
    references += [match[0] for match in _REFERENCE.finditer(header.title)]
    header.implements = tuple(dict.fromkeys(" ".join(reference.split()) for reference in references))
    issuers = [match["issuer"] for match in _ISSUER.finditer(preamble)]
    if issuers:
        header.issuer = clean_name(issuers[-1])
    return header


def _title_end(lines: list[str], first: int) -> int:
    """The title is the bold block under the heading (its lines may each be bold, or one bold span may run over
    them); unformatted, it runs to the first blank line or the preamble ("Thực hiện …", "Căn cứ …")."""
    index = first
    while index < len(lines) and not lines[index]:
        index += 1
    start, bold = index, False
    while index < len(lines) and lines[index]:
        line = lines[index]
        if index > start:
            if lines[start].startswith("**") and not (bold or line.startswith("**")):
                break
            if line.startswith(("Thực hiện", "Căn cứ")) or _part_title(line) is not None:
                break
        bold ^= line.count("**") % 2 == 1
        index += 1
        if index - start >= 8:
            break
    return index if index > start else start


def _date(year: int, month: int, day: int) -> date | None:
    try:
        return date(year, month, day)
    except ValueError:
        return None


def _read_tree(
    lines: list[str], start: int, end: int, unparsed: list[UnparsedLine], *, part: str | None
) -> list[_Draft]:
    drafts: list[_Draft] = []
    codes: set[str] = set()
    current: _Draft | None = None  # the task receiving lines
    numbered: _Draft | None = None  # the nearest numbered item, parent of lettered ones
    section: tuple[str, str] | None = None  # ("I", "Tổ chức triển khai, quán triệt") while it has no item yet

    def begin(code: str, parent: str | None, number: int, text: str) -> _Draft | None:
        if code in codes:
            unparsed.append(UnparsedLine(number, text, f"task code {code} appears twice; its lines are skipped"))
            return None
        codes.add(code)
        draft = _Draft(code=code, parent_code=parent, line=number, title=[text])
        drafts.append(draft)
        return draft

    for index in range(start, end):
        plain, number = _plain(lines[index]), index + 1
        if not plain:
            continue
        item = _NUMBERED.fullmatch(plain)
        letter = _LETTERED.fullmatch(plain)
        if item is not None or letter is not None:
            section = None
        if item is not None:
            code = item["code"] or item["top"]
            parent = code.rpartition(".")[0] or None
            current = numbered = begin(
                code, parent if parent in codes else None, number, item["text"] or item["top_text"]
            )
        elif letter is not None:
            if numbered is None:
                unparsed.append(UnparsedLine(number, plain, "lettered item outside any numbered task"))
                current = None
            else:
                current = begin(f"{numbered.code}.{letter['letter']}", numbered.code, number, letter["text"])
        elif _SECTION.fullmatch(plain) and _part_title(plain) is None:
            current = numbered = None  # "II- Nội dung thực hiện": numbering starts again
            heading = _SECTION_PARTS.fullmatch(plain)
            section = (heading["roman"], heading["title"]) if heading is not None else None
        elif current is None and section is not None and _entry(plain, number) is None:
            roman, title = section
            code = f"{part}.{roman}" if part else roman
            draft = _prose_draft(code, number, f"{title}: {plain}", plain) if code not in codes else None
            if draft is None:
                unparsed.append(UnparsedLine(number, plain, _NOT_A_TASK))
            else:
                codes.add(code)
                drafts.append(draft)
            section = None
        elif (entry := _entry(plain, number)) is not None:
            if current is None:
                unparsed.append(UnparsedLine(number, plain, "role or deadline line outside any task"))
            else:
                current.entries.append(entry)
        elif current is None:
            unparsed.append(UnparsedLine(number, plain, _NOT_A_TASK))
        elif not current.entries:
            current.title.append(plain)  # the item's text goes on (a page break split it)
        elif plain[:1].islower() and not current.entries[-1].value.endswith("."):
            current.entries[-1].value += " " + plain  # a role line broken by a page
        else:
            unparsed.append(UnparsedLine(number, plain, f"text after the roles and deadline of task {current.code}"))
    return drafts


def _entry(plain: str, number: int) -> _Entry | None:
    """A role or deadline line: a bullet ("- *Cơ quan chỉ đạo*: …") or, without one, a known label."""
    bullet = _BULLET.fullmatch(plain)
    rest = bullet["rest"] if bullet is not None else plain
    labelled = _LABELLED.fullmatch(rest)
    if labelled is not None:
        label = labelled["label"].strip()
        known = read_role_label(label) is not None or is_deadline_label(label)
        if known or bullet is not None:
            return _Entry(number, plain, label, labelled["value"].strip())
    if bullet is not None:
        return _Entry(number, plain, None, rest)
    return None


def _finish(draft: _Draft, issued_on: date | None, unparsed: list[UnparsedLine]) -> ParsedTask:
    bodies: dict[str, tuple[str, set[TaskRole]]] = {}
    deadlines: list[ParsedDeadline] = []
    labels: list[str] = []
    for entry in draft.entries:
        if entry.label is None:
            unparsed.append(
                UnparsedLine(entry.line, entry.text, f"line in task {draft.code} is neither a role nor a deadline")
            )
            continue
        if is_deadline_label(entry.label):
            deadline, reason = read_deadline(entry.value, issued_on=issued_on)
            deadlines.append(deadline)
            labels.append(entry.label)
            if reason is not None:
                unparsed.append(UnparsedLine(entry.line, entry.text, f"task {draft.code}: {reason}"))
            continue
        roles = read_role_label(entry.label)
        if roles is None:
            unparsed.append(
                UnparsedLine(entry.line, entry.text, f"task {draft.code}: unknown role label “{entry.label}”")
            )
            continue
        found = read_bodies(entry.value, roles)
        if not found:
            unparsed.append(UnparsedLine(entry.line, entry.text, f"task {draft.code}: no body named"))
        for name, held in found:
            key = normalise_body_name(name)
            _, already = bodies.setdefault(key, (name, set()))
            already.update(held)
    assignments = tuple(
        ParsedAssignment(
            body=name, roles=tuple(role for role in ROLE_ORDER if role in held), collective=is_collective(name)
        )
        for name, held in bodies.values()
    )
    return ParsedTask(
        code=draft.code,
        parent_code=draft.parent_code,
        title=clean_text(" ".join(draft.title)),
        assignments=assignments,
        deadline=_one_deadline(deadlines),
        line=draft.line,
        deadline_label=clean_text("; ".join(labels)) or None,
    )


def _one_deadline(deadlines: list[ParsedDeadline]) -> ParsedDeadline | None:
    """Two deadline lines in one task ("… kế hoạch: Quý I/2023", "… thực hiện: Thường xuyên") hold together."""
    if len(deadlines) <= 1:
        return deadlines[0] if deadlines else None
    parts = tuple(
        part
        for deadline in deadlines
        for part in (deadline.parts if deadline.kind is DeadlineKind.compound else (deadline,))
    )
    return ParsedDeadline(
        kind=DeadlineKind.compound, text="; ".join(deadline.text for deadline in deadlines), parts=parts
    )
