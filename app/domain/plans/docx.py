"""A plan as a Word file (.docx) → the same lines as its plain-text form → ParsedPlan.

Each paragraph becomes one line (a manual line break starts another), in reading order, including the paragraphs of
tables (a plan's header often sits in a two-column table) and of content controls. Italic and bold runs are written
back as "*…*" and "**…**", the markers of the text form, so both forms go through one parser.

Word's automatic list numbering (numbering.xml) is rendered as the text Word shows ("2.1.8. ", "a) ", a bullet as
"- "), so a plan numbered by Word reads like one whose numbers are typed (app/domain/plans/numbering.py).

Plain CPU work: callers on the event loop run it in a thread."""

import io
import zipfile
from collections.abc import Iterator
from typing import Any

import docx
from docx.opc.exceptions import PackageNotFoundError
from docx.oxml.ns import qn
from docx.text.run import Run

from app.domain.errors import DomainError
from app.domain.plans.document import ParsedPlan
from app.domain.plans.numbering import VIETNAMESE_LETTERS, Numbering
from app.domain.plans.parsing import parse_plan_text

MAX_UNPACKED_BYTES = 64 * 1024 * 1024  # a plan is a few hundred kB unpacked; refuse zip bombs before parsing

_P, _TBL, _TR, _TC, _SDT, _SDT_CONTENT = (qn(tag) for tag in ("w:p", "w:tbl", "w:tr", "w:tc", "w:sdt", "w:sdtContent"))
_RUNS = "./w:r | ./w:hyperlink/w:r | ./w:ins/w:r | ./w:smartTag/w:r | ./w:sdt/w:sdtContent/w:r | ./w:fldSimple/w:r"


class UnreadableDocument(DomainError):
    code = "unreadable_document"
    title = "The document cannot be read"


def parse_plan_docx(data: bytes) -> ParsedPlan:
    """Read a plan from the bytes of a .docx file; UnreadableDocument when they are not one."""
    return parse_plan_text(docx_text(data))


def docx_text(data: bytes, *, max_unpacked_bytes: int = MAX_UNPACKED_BYTES, alphabet: str = VIETNAMESE_LETTERS) -> str:
    """The document's text, one paragraph a line, italic and bold marked as in the plain-text form, list numbers
    as Word shows them (lettered lists in `alphabet`)."""
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            unpacked = sum(info.file_size for info in archive.infolist())
    except (zipfile.BadZipFile, ValueError) as error:
        raise UnreadableDocument("This is not a Word (.docx) file.") from error
    if unpacked > max_unpacked_bytes:
        raise UnreadableDocument(
            f"The file unpacks to {unpacked} bytes, more than a plan can be ({max_unpacked_bytes})."
        )
    try:
        document = docx.Document(io.BytesIO(data))
    except (PackageNotFoundError, zipfile.BadZipFile, KeyError, ValueError, SyntaxError) as error:
        raise UnreadableDocument("This is not a Word (.docx) file, or it is damaged.") from error
    return "\n".join(_block_lines(document.element.body, document, Numbering.of(document, alphabet=alphabet)))


def _block_lines(container: Any, parent: Any, numbering: Numbering) -> Iterator[str]:
    for child in container.iterchildren():
        if child.tag == _P:
            yield from _paragraph_lines(child, parent, numbering)
        elif child.tag == _TBL:
            for row in child.iterchildren(_TR):
                for cell in row.iterchildren(_TC):  # a merged span is one w:tc, so nothing repeats
                    yield from _block_lines(cell, parent, numbering)
        elif child.tag == _SDT:
            for content in child.iterchildren(_SDT_CONTENT):
                yield from _block_lines(content, parent, numbering)


def _paragraph_lines(paragraph: Any, parent: Any, numbering: Numbering) -> Iterator[str]:
    spans: list[tuple[str, bool, bool]] = []
    for element in paragraph.xpath(_RUNS):
        run = Run(element, parent)
        text = run.text
        if not text:
            continue
        span = (text, run.bold is True, run.italic is True)
        if spans and spans[-1][1:] == span[1:]:
            spans[-1] = (spans[-1][0] + text, *span[1:])
        else:
            spans.append(span)
    lines = [""]
    for text, bold, italic in spans:
        for index, piece in enumerate(text.replace("\r", "\n").split("\n")):
            if index:
                lines.append("")
            lines[-1] += _marked(piece.replace("\t", " "), bold=bold, italic=italic)
    label = numbering.label(paragraph)
    if label is not None and any(line.strip() for line in lines):
        lines[0] = label + lines[0]
    yield from lines


def _marked(text: str, *, bold: bool, italic: bool) -> str:
    core = text.strip()
    if not core or not (bold or italic):
        return text
    marker = ("**" if bold else "") + ("*" if italic else "")
    lead, trail = text[: len(text) - len(text.lstrip())], text[len(text.rstrip()) :]
    return f"{lead}{marker}{core}{marker[::-1]}{trail}"
