"""Plans from Word files: numbers typed or made by Word's list numbering (numbering.xml) read alike.

The files are made with python-docx, writing Word's own list definitions. LibreOffice is not installed on the build
machine (`which soffice libreoffice` finds nothing), so no file converted by it is tested here."""

import io
import shutil
import subprocess
from pathlib import Path

import docx
import pytest

from app.demo.plan import plan_text
from app.domain.plans.document import ParsedPlan, ParsedTask
from app.domain.plans.docx import docx_text, parse_plan_docx
from app.domain.plans.numbering import LATIN_LETTERS
from app.domain.plans.parsing import parse_plan_text
from tests.support.word import docx_auto_numbered, docx_typed


@pytest.fixture(autouse=True)
def _empty_tables() -> None:
    """Overrides the suite's table cleaner: these tests touch no database."""


@pytest.fixture(scope="module")
def seed() -> ParsedPlan:
    return parse_plan_text(plan_text())


def _facts(plan: ParsedPlan) -> list[tuple[object, ...]]:
    """What a task is to its users: code, parent, title, bodies with their roles, deadline."""
    return [
        (t.code, t.parent_code, t.title, sorted((a.body, a.roles, a.collective) for a in t.assignments), t.deadline)
        for t in plan.tasks
    ]


def _task(plan: ParsedPlan, code: str) -> ParsedTask:
    (task,) = [task for task in plan.tasks if task.code == code]
    return task


def test_seed_as_text_typed_docx_and_word_numbered_docx_gives_the_same_tasks(seed: ParsedPlan) -> None:
    typed = parse_plan_docx(docx_typed(plan_text()))
    numbered = parse_plan_docx(docx_auto_numbered(plan_text()))
    bullets = parse_plan_docx(docx_auto_numbered(plan_text(), bullet="•"))
    assert _facts(typed) == _facts(seed)
    assert _facts(numbered) == _facts(seed)
    assert _facts(bullets) == _facts(seed)
    assert numbered == seed  # lines, labels and unparsed lines too
    codes = [task.code for task in numbered.tasks]
    assert {"B.I", "C.1", "C.2", "C.3", "2.1.1.a", "3.đ", "3.k"} <= set(codes)
    assert sum(1 for task in numbered.tasks if task.deadline is not None and task.code[0].isdigit()) == 39


def test_word_numbering_is_not_typed_in_the_file_yet_reads_as_typed() -> None:
    data = docx_auto_numbered(plan_text())
    document = docx.Document(io.BytesIO(data))
    texts = [paragraph.text for paragraph in document.paragraphs]
    assert not any(text.startswith(("2.1.1.", "a)", "- ")) for text in texts)  # Word makes them, not the text
    lines = docx_text(data).splitlines()
    assert "2.1.1. Thực hiện nhiệm vụ đổi mới" in "\n".join(lines)
    first_letter = next(line for line in lines if "Kịp thời kiện toàn các chi bộ" in line)
    assert first_letter.startswith("a) Kịp thời kiện toàn")  # the list's first item keeps its letter
    assert any(line.startswith("- *Cơ quan chỉ đạo*") for line in lines)


def test_first_item_of_each_word_list_is_its_own_task_not_part_of_its_parent(seed: ParsedPlan) -> None:
    numbered = parse_plan_docx(docx_auto_numbered(plan_text()))
    assert _task(numbered, "2.1.1.a").parent_code == "2.1.1"
    assert _task(numbered, "2.1.1").title == _task(seed, "2.1.1").title
    assert _task(numbered, "2.1.1").assignments == ()


def test_word_letters_read_with_the_vietnamese_alphabet_or_as_word_shows_them() -> None:
    data = docx_auto_numbered("B. NỘI DUNG THỰC HIỆN\n1. Việc lớn\na) Một\nb) Hai\nc) Ba\nd) Bốn\nđ) Năm\ne) Sáu")
    vietnamese = parse_plan_docx(data)
    assert [task.code for task in vietnamese.tasks] == ["1", "1.a", "1.b", "1.c", "1.d", "1.đ", "1.e"]
    latin = docx_text(data, alphabet=LATIN_LETTERS).splitlines()
    assert [line[:2] for line in latin if line.endswith(("Năm", "Sáu"))] == ["e)", "f)"]


def test_word_list_styles_number_paragraphs_too() -> None:
    """Word's "List Number" and "List Bullet" styles carry the numbering in the style, not the paragraph."""
    document = docx.Document()
    document.add_paragraph("B. NỘI DUNG THỰC HIỆN")
    document.add_paragraph("Việc thứ nhất", style="List Number")
    document.add_paragraph("Cơ quan chủ trì: Văn phòng Thị ủy.", style="List Bullet")
    document.add_paragraph("Thời gian hoàn thành: Hết năm 2023.", style="List Bullet")
    document.add_paragraph("Việc thứ hai", style="List Number")
    document.add_paragraph("Cơ quan tổ chức thực hiện: Ban Tuyên giáo Thị ủy.", style="List Bullet")
    stream = io.BytesIO()
    document.save(stream)
    plan = parse_plan_docx(stream.getvalue())
    assert [(task.code, task.title) for task in plan.tasks] == [("1", "Việc thứ nhất"), ("2", "Việc thứ hai")]
    assert [a.body for a in plan.tasks[0].assignments] == ["Văn phòng Thị ủy"]
    assert plan.tasks[0].deadline is not None and plan.tasks[0].deadline.kind.value == "year_end"
    assert [line.reason[:22] for line in plan.unparsed] == ["no plan title found (e"]  # only the title


SOFFICE = shutil.which("soffice") or shutil.which("libreoffice")


@pytest.mark.skipif(SOFFICE is None, reason="LibreOffice is not installed on this machine")
def test_a_file_converted_by_libreoffice_reads_like_the_text(seed: ParsedPlan, tmp_path: Path) -> None:
    assert SOFFICE is not None
    (tmp_path / "ke-hoach.docx").write_bytes(docx_auto_numbered(plan_text()))
    for source, target in (("ke-hoach.docx", "odt"), ("odt/ke-hoach.odt", "docx")):
        subprocess.run(  # noqa: S603 - LibreOffice on a file the test wrote
            [SOFFICE, "--headless", "--convert-to", target, "--outdir", str(tmp_path / target), str(tmp_path / source)],
            check=True,
            timeout=120,
        )
    converted = parse_plan_docx((tmp_path / "docx" / "ke-hoach.docx").read_bytes())
    assert _facts(converted) == _facts(seed)
