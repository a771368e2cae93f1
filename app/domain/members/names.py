"""Vietnamese names: the order lists are sorted in, and citizen ID checks."""

import unicodedata
from functools import lru_cache

# The Vietnamese alphabet in dictionary order; other Latin letters slot in where English has them.
_ALPHABET = "aăâbcdđeêfghijklmnoôơpqrstuưvwxyz"
_RANK = {letter: i for i, letter in enumerate(_ALPHABET)}
_MODIFIERS = {"\u0306": "ă", "\u0302": "â", "\u031b": "ơ"}  # breve, circumflex, horn (û→ư, ô… handled below)
# Tone order of dictionaries: ngang, huyền, hỏi, ngã, sắc, nặng.
_TONES = {"\u0300": 1, "\u0309": 2, "\u0303": 3, "\u0301": 4, "\u0323": 5}


@lru_cache(maxsize=65536)  # a register repeats its words (Nguyễn, Văn, Thị …): each is ranked once
def _letters(word: str) -> tuple[str, str]:
    """(primary key: one character per letter, by alphabet rank; secondary: the tones)."""
    primary, tones = [], []
    for char in unicodedata.normalize("NFC", word.lower()):
        if char == "đ":
            primary.append(chr(0x30 + _RANK["đ"]))
            tones.append("0")
            continue
        parts = unicodedata.normalize("NFD", char)
        base, marks = parts[0], parts[1:]
        letter = base
        tone = 0
        for mark in marks:
            if mark in _TONES:
                tone = _TONES[mark]
            elif mark == "\u0302":
                letter = {"a": "â", "e": "ê", "o": "ô"}.get(base, base)
            elif mark == "\u0306":
                letter = "ă" if base == "a" else base
            elif mark == "\u031b":
                letter = {"o": "ơ", "u": "ư"}.get(base, base)
        rank = _RANK.get(letter)
        primary.append(chr(0x30 + rank) if rank is not None else char)
        tones.append(str(tone))
    return "".join(primary), "".join(tones)


def sort_key(full_name: str) -> str:
    """Lists are in Vietnamese order: by given name (the last word), then family and middle names, letter by
    letter in the Vietnamese alphabet (a < ă < â < b …, d < đ), tones deciding only between otherwise equal names.
    Byte order of the key ("C" collation) is that order."""
    words = full_name.split()
    if not words:
        return ""
    ordered = [words[-1], *words[:-1]]
    keys = [_letters(w) for w in ordered]
    return " ".join(k[0] for k in keys) + "\x01" + " ".join(k[1] for k in keys)


def valid_citizen_id(value: str) -> bool:
    """A CCCD has 12 digits: province code (001–096), a century/gender digit, two birth-year digits, six more."""
    if len(value) != 12 or not value.isdigit():
        return False
    province = int(value[:3])
    return 1 <= province <= 96
