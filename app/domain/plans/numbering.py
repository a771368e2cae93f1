"""Word's automatic list numbering, rendered as the text a reader sees: "a)", "2.1.", "- ".

A paragraph is numbered by a `w:numPr` (its own, or its style's, following `w:basedOn`): a list instance
(`w:num`) and a level (`w:ilvl`). The instance points to an abstract list (`w:abstractNum`) whose levels say the
format (`w:numFmt`: decimal, lowerLetter, upperRoman, bullet …), the text around the counters (`w:lvlText`: "%1.",
"%1.%2.", "%1)") and where to start. Counters belong to the abstract list, so two instances of one list continue each
other unless an instance restarts a level (`w:lvlOverride/w:startOverride`, Word's "Restart numbering"); a level
restarts when a higher level of the same list is used (`w:lvlRestart` aside, which plans do not use).

Lettered points: seed 004 letters them with the Vietnamese alphabet ("a, b, c, d, đ, e, g, h … k"), while Word's
lowerLetter counts a–z (Word cannot letter "đ"). Lettered lists are therefore read with the Vietnamese alphabet
(`alphabet`), so a lettered list in Word gets the codes the typed text gives; pass LATIN_LETTERS to read them as Word
displays. (That Party documents must letter so is the usual practice, not a rule found in the regulations at hand.)"""

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from docx.oxml.ns import qn

VIETNAMESE_LETTERS = "abcdđeghiklmnopqrstuvxy"
LATIN_LETTERS = "abcdefghijklmnopqrstuvwxyz"
_ROMAN: tuple[tuple[int, str], ...] = (
    (1000, "m"), (900, "cm"), (500, "d"), (400, "cd"), (100, "c"), (90, "xc"), (50, "l"), (40, "xl"),
    (10, "x"), (9, "ix"), (5, "v"), (4, "iv"), (1, "i"),
)  # fmt: skip


def _val(element: Any, tag: str) -> str | None:
    found = element.find(qn(tag)) if element is not None else None
    return found.get(qn("w:val")) if found is not None else None


@dataclass(frozen=True)
class _Level:
    fmt: str
    text: str
    start: int


@dataclass
class Numbering:
    """The list definitions of one document and the counters as its paragraphs are read in order (a level a
    style gives is the style's; a paragraph's own `w:numPr` wins)."""

    alphabet: str = VIETNAMESE_LETTERS
    abstract_of: dict[str, str] = field(default_factory=dict)  # numId → abstractNumId
    levels: dict[str, dict[int, _Level]] = field(default_factory=dict)  # abstractNumId → ilvl → level
    overrides: dict[str, dict[int, int]] = field(default_factory=dict)  # numId → ilvl → start
    style_numbering: dict[str, tuple[str | None, int | None]] = field(default_factory=dict)
    counters: dict[str, dict[int, int]] = field(default_factory=dict)  # abstractNumId → ilvl → current value
    restarted: set[tuple[str, int]] = field(default_factory=set)  # (numId, ilvl) overrides already applied

    @classmethod
    def of(cls, document: Any, *, alphabet: str = VIETNAMESE_LETTERS) -> "Numbering":
        numbering = cls(alphabet=alphabet)
        part = document.part
        try:
            root = part.numbering_part.element
        except (KeyError, NotImplementedError, AttributeError):
            root = None
        if root is not None:
            for abstract in root.iterchildren(qn("w:abstractNum")):
                levels = {}
                for lvl in abstract.iterchildren(qn("w:lvl")):
                    start = _val(lvl, "w:start")
                    levels[int(lvl.get(qn("w:ilvl"), "0"))] = _Level(
                        fmt=_val(lvl, "w:numFmt") or "decimal",
                        text=_val(lvl, "w:lvlText") or "",
                        start=int(start) if start and start.lstrip("-").isdigit() else 1,
                    )
                numbering.levels[abstract.get(qn("w:abstractNumId"), "")] = levels
            for num in root.iterchildren(qn("w:num")):
                num_id = num.get(qn("w:numId"), "")
                numbering.abstract_of[num_id] = _val(num, "w:abstractNumId") or ""
                for override in num.iterchildren(qn("w:lvlOverride")):
                    start = _val(override, "w:startOverride")
                    if start is not None and start.isdigit():
                        level = int(override.get(qn("w:ilvl"), "0"))
                        numbering.overrides.setdefault(num_id, {})[level] = int(start)
        numbering._read_styles(document)
        return numbering

    def _read_styles(self, document: Any) -> None:
        try:
            styles = document.styles.element
        except (KeyError, NotImplementedError, AttributeError):
            return
        own: dict[str, tuple[str | None, int | None, str | None]] = {}
        for style in styles.iterchildren(qn("w:style")):
            num_pr = style.find(f"{qn('w:pPr')}/{qn('w:numPr')}")
            level = _val(num_pr, "w:ilvl")
            own[style.get(qn("w:styleId"), "")] = (
                _val(num_pr, "w:numId"),
                int(level) if level and level.isdigit() else None,
                _val(style, "w:basedOn"),
            )
        for style_id in own:
            num_id: str | None = None
            ilvl: int | None = None
            seen, current = set(), style_id
            while current in own and current not in seen and (num_id is None or ilvl is None):
                seen.add(current)
                found_id, found_level, based_on = own[current]
                num_id = num_id if num_id is not None else found_id
                ilvl = ilvl if ilvl is not None else found_level
                current = based_on or ""
            self.style_numbering[style_id] = (num_id, ilvl)

    def label(self, paragraph: Any) -> str | None:
        """The number or bullet Word shows before this paragraph ("2.1.", "a)", "- "), advancing the counters;
        None for a paragraph that is not in a list."""
        p_pr = paragraph.find(qn("w:pPr"))
        num_pr = p_pr.find(qn("w:numPr")) if p_pr is not None else None
        num_id, level = _val(num_pr, "w:numId"), _val(num_pr, "w:ilvl")
        style = _val(p_pr, "w:pStyle")
        if style is not None and (num_id is None or level is None):
            style_id, style_level = self.style_numbering.get(style, (None, None))
            num_id = num_id if num_id is not None else style_id
            if level is None and style_level is not None:
                level = str(style_level)
        if num_id is None or num_id == "0" or num_id not in self.abstract_of:
            return None
        ilvl = int(level) if level and level.isdigit() else 0
        abstract = self.abstract_of[num_id]
        levels = self.levels.get(abstract, {})
        if ilvl not in levels:
            return None
        counters = self.counters.setdefault(abstract, {})
        start = self.overrides.get(num_id, {}).get(ilvl)
        if start is not None and (num_id, ilvl) not in self.restarted:
            self.restarted.add((num_id, ilvl))
            counters[ilvl] = start
        elif ilvl in counters:
            counters[ilvl] += 1
        else:
            counters[ilvl] = levels[ilvl].start
        for deeper in [key for key in counters if key > ilvl]:
            del counters[deeper]  # a higher level restarts the levels under it
        if levels[ilvl].fmt == "bullet":
            return "- "
        if levels[ilvl].fmt == "none":
            return None
        return self._render(levels, counters, ilvl) + " "

    def _render(self, levels: dict[int, _Level], counters: dict[int, int], ilvl: int) -> str:
        text = levels[ilvl].text
        for index in range(ilvl, -1, -1):
            placeholder = f"%{index + 1}"
            if placeholder in text:
                level = levels.get(index, levels[ilvl])
                value = counters.get(index, level.start)
                text = text.replace(placeholder, self._format(value, level.fmt))
        return text

    def _format(self, value: int, fmt: str) -> str:
        if fmt in ("lowerLetter", "upperLetter"):
            letters = self.alphabet
            count, index = (value - 1) // len(letters) + 1, (value - 1) % len(letters)
            letter = letters[index] * count
            return letter.upper() if fmt == "upperLetter" else letter
        if fmt in ("lowerRoman", "upperRoman"):
            roman = "".join(_roman(value))
            return roman.upper() if fmt == "upperRoman" else roman
        if fmt == "decimalZero":
            return f"{value:02d}"
        return str(value)


def _roman(value: int) -> Iterator[str]:
    for amount, numeral in _ROMAN:
        while value >= amount:
            value -= amount
            yield numeral
