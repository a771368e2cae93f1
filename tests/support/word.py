"""Word files made from a plan's text the way people make them: with the numbers typed, or with Word's automatic
numbering (multilevel "1." / "1.1." / "2.1.1." lists, "a)" lettering restarted per list, bullets for the role
lines, "A." parts and "I-" sections as lists too). python-docx writes the file; the list definitions are Word's own
(`w:abstractNum`, `w:num` with `w:startOverride` where a list restarts or skips a value)."""

import io
import re

import docx
from docx.document import Document
from docx.oxml import parse_xml
from docx.oxml.ns import nsdecls, qn
from docx.text.paragraph import Paragraph

from app.domain.plans.numbering import VIETNAMESE_LETTERS

_MARKERS = re.compile(r"\*\*|\*")

_DECIMAL = re.compile(r"(?P<code>\d{1,2}(?:\.\d{1,2})*)\.\s+(?P<text>\S.*)")
_LETTER = re.compile(r"(?P<letter>[a-zđ])\)\s*(?P<text>\S.*)")
_BULLET = re.compile(r"-\s+(?P<text>\S.*)")
_PART = re.compile(r"(?P<letter>[A-C])\.\s+(?P<text>\S.*)")
_SECTION = re.compile(r"(?P<roman>I{1,3})-\s*(?P<text>\S.*)")

_DECIMAL_LIST, _LETTER_LIST, _BULLET_LIST, _PART_LIST, _SECTION_LIST = 90, 91, 92, 93, 94


def add_marked_runs(paragraph: Paragraph, line: str, bold: bool) -> bool:
    """Write `line` into `paragraph`, "**" toggling bold (which may run over lines) and a paired "*" toggling
    italic; a lone "*" is a literal asterisk. Returns whether bold is still on."""
    italic, start = False, 0
    pieces: list[tuple[str, bool, bool]] = []
    for match in _MARKERS.finditer(line):
        if match[0] == "*" and not italic and "*" not in line[match.end() :].replace("**", ""):
            continue
        pieces.append((line[start : match.start()], bold, italic))
        start = match.end()
        if match[0] == "**":
            bold = not bold
        else:
            italic = not italic
    pieces.append((line[start:], bold, italic))
    for text, is_bold, is_italic in pieces:
        if text:
            run = paragraph.add_run(text)
            run.bold, run.italic = is_bold or None, is_italic or None
    return bold


def _saved(document: Document) -> bytes:
    stream = io.BytesIO()
    document.save(stream)
    return stream.getvalue()


def docx_typed(text: str) -> bytes:
    """One paragraph a line, every number and bullet typed."""
    document = docx.Document()
    bold = False
    for line in text.splitlines():
        bold = add_marked_runs(document.add_paragraph(), line, bold)
    return _saved(document)


def _level(ilvl: int, fmt: str, text: str) -> str:
    return (
        f'<w:lvl w:ilvl="{ilvl}"><w:start w:val="1"/><w:numFmt w:val="{fmt}"/>'
        f'<w:lvlText w:val="{text}"/><w:lvlJc w:val="left"/></w:lvl>'
    )


def _abstract(number: int, levels: str) -> str:
    return f'<w:abstractNum {nsdecls("w")} w:abstractNumId="{number}">{levels}</w:abstractNum>'


class _Lists:
    """Word's list definitions of the document, and new list instances as the text needs them."""

    def __init__(self, document: Document, *, bullet: str) -> None:
        self.root = document.part.numbering_part.element
        decimal = "".join(_level(i, "decimal", ".".join(f"%{j + 1}" for j in range(i + 1)) + ".") for i in range(4))
        abstracts = [
            _abstract(_DECIMAL_LIST, decimal),
            _abstract(_LETTER_LIST, _level(0, "lowerLetter", "%1)")),
            _abstract(_BULLET_LIST, _level(0, "bullet", bullet)),
            _abstract(_PART_LIST, _level(0, "upperLetter", "%1.")),
            _abstract(_SECTION_LIST, _level(0, "upperRoman", "%1-")),
        ]
        first_num = self.root.find(qn("w:num"))
        for xml in abstracts:
            element = parse_xml(xml)
            if first_num is not None:
                first_num.addprevious(element)
            else:
                self.root.append(element)
        self.next_id = 900
        self.current: dict[int, int] = {}  # abstract → numId in use
        self.shown: dict[int, list[int]] = {}  # abstract → counters as Word would show them

    def instance(self, abstract: int, values: list[int]) -> int:
        """The list instance that shows `values` (counters of levels 0..n) for the next paragraph: the one in use
        when its counters run on to them, else a new one restarting the last level at its value."""
        shown = self.shown.get(abstract, [])
        ilvl = len(values) - 1
        expected = [*shown[:ilvl], shown[ilvl] + 1 if len(shown) > ilvl else 1]
        if abstract in self.current and expected == values:
            self.shown[abstract] = values
            return self.current[abstract]
        if shown[:ilvl] != values[:ilvl]:
            raise AssertionError(f"cannot number {values} after {shown} in one multilevel list")
        self.next_id += 1
        num = parse_xml(
            f'<w:num {nsdecls("w")} w:numId="{self.next_id}"><w:abstractNumId w:val="{abstract}"/>'
            f'<w:lvlOverride w:ilvl="{ilvl}"><w:startOverride w:val="{values[-1]}"/></w:lvlOverride></w:num>'
        )
        self.root.append(num)
        self.current[abstract] = self.next_id
        self.shown[abstract] = values
        return self.next_id


def _number(paragraph: Paragraph, num_id: int, ilvl: int) -> None:
    p_pr = paragraph._p.get_or_add_pPr()
    p_pr.append(parse_xml(f'<w:numPr {nsdecls("w")}><w:ilvl w:val="{ilvl}"/><w:numId w:val="{num_id}"/></w:numPr>'))


def docx_auto_numbered(text: str, *, bullet: str = "\uf0b7") -> bytes:
    """The same text with every "2.1.1.", "a)", "- ", "B." and "II-" made by Word's list numbering (not typed).
    The bullet defaults to Word's own (U+F0B7 in the Symbol font)."""
    document = docx.Document()
    lists = _Lists(document, bullet=bullet)
    bold = False
    for line in text.splitlines():
        paragraph = document.add_paragraph()
        plain = line.replace("*", "")
        if (match := _DECIMAL.fullmatch(plain)) is not None:
            values = [int(part) for part in match["code"].split(".")]
            _number(paragraph, lists.instance(_DECIMAL_LIST, values), len(values) - 1)
            line = _strip_prefix(line, match["code"] + ".")
        elif (match := _LETTER.fullmatch(plain)) is not None:
            _number(paragraph, lists.instance(_LETTER_LIST, [VIETNAMESE_LETTERS.index(match["letter"]) + 1]), 0)
            line = _strip_prefix(line, match["letter"] + ")")
        elif (match := _BULLET.fullmatch(plain)) is not None:
            _number(paragraph, lists.instance(_BULLET_LIST, [1]), 0)
            lists.shown[_BULLET_LIST] = [0]  # bullets never count
            line = _strip_prefix(line, "-")
        elif (match := _PART.fullmatch(plain)) is not None and match["text"].upper() == match["text"]:
            _number(paragraph, lists.instance(_PART_LIST, ["ABC".index(match["letter"]) + 1]), 0)
            line = _strip_prefix(line, match["letter"] + ".")
        elif (match := _SECTION.fullmatch(plain)) is not None:
            _number(paragraph, lists.instance(_SECTION_LIST, [len(match["roman"])]), 0)
            line = _strip_prefix(line, match["roman"] + "-")
        bold = add_marked_runs(paragraph, line, bold)
    return _saved(document)


def _strip_prefix(line: str, prefix: str) -> str:
    """The line without its typed number, keeping the emphasis markers around what follows."""
    index = line.index(prefix)
    return (line[:index] + line[index + len(prefix) :]).lstrip()
