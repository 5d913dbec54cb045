"""Character tables for the normaliser, built once at import.

Look-alikes come from Unicode's confusables table as shipped (and kept current)
by ``confusable_homoglyphs``; its ``is_dangerous``/``is_confusable`` helpers are
per-string checks that walk JSON for every character, far too slow for the hot
path, so the tables are read once here and applied with ``str.translate``.
A few pairs the table lacks (Cyrillic к/м/п against Latin k/m/n) are added by hand.
"""

from __future__ import annotations

import unicodedata

import numpy as np
import regex
from confusable_homoglyphs.confusables import confusables_data

# Letters of the Cyrillic alphabets we treat as ordinary text (Russian, Kazakh,
# Ukrainian, Belarusian): a word made only of these is never re-scripted.
PLAIN_CYRILLIC = frozenset("абвгдеёжзийклмнопрстуфхцчшщъыьэюяәғқңөұүһіїєґў")
_PLAIN_CYRILLIC_RE = regex.compile(r"[абвгдеёжзийклмнопрстуфхцчшщъыьэюяәғқңөұүһіїєґў\p{M}]+")
_CYRILLIC_RE = regex.compile(r"\p{Cyrillic}")
_RUSSIAN_FIRST = "аеорсухкмтвнпьі"  # preferred Cyrillic target when a Latin letter has several

_LATIN_BLOCKS = (
    (0x00C0, 0x024F), (0x0250, 0x02AF), (0x1D00, 0x1DBF), (0x1E00, 0x1EFF),
    (0x2C60, 0x2C7F), (0xA720, 0xA7FF), (0xAB30, 0xAB6F),
)
_NAMED_BASE = regex.compile(
    r"LATIN (?:SMALL|CAPITAL) LETTER (?:DOTLESS |SCRIPT |CLOSED )?([A-Z])(?: WITH .*)?"
    r"|LATIN LETTER SMALL CAPITAL ([A-Z])"
)

LEET_LATIN = {
    "0": "o", "1": "i", "3": "e", "4": "a", "5": "s", "7": "t", "8": "b", "9": "g",
    "@": "a", "$": "s", "!": "i", "|": "l", "€": "e",
}
# `4` is `ч` here; the term matcher also reads it as `а` (`джих4д`), as it reads `3` as `е`.
LEET_CYRILLIC = {"0": "о", "3": "з", "4": "ч", "6": "б", "7": "т", "@": "а"}
# Letters that rarely double in real words: a long run of one is cut to a single letter.
RARELY_DOUBLED = frozenset("ahijkquvwxy" "аыэюяйьъхчшщц")


def _latin_base(ch: str) -> str | None:
    """The plain a-z letter a Latin letter is drawn from (`é`, `ʝ`, `ı`, `ᴛ`), if any."""
    decomposed = unicodedata.normalize("NFD", ch)[0]
    if decomposed.isascii() and decomposed.isalpha():
        return decomposed.lower()
    found = _NAMED_BASE.fullmatch(unicodedata.name(ch, ""))
    if found:
        return (found.group(1) or found.group(2)).lower()
    return None


def _build_letter_fold() -> dict[int, str]:
    fold: dict[int, str] = {}
    for lo, hi in _LATIN_BLOCKS:
        for code in range(lo, hi + 1):
            ch = chr(code)
            if ch.isalpha() and (base := _latin_base(ch)):
                fold[code] = base
    for ch, glyphs in confusables_data.items():
        if len(ch) == 1 and ord(ch) not in fold and unicodedata.name(ch, "").startswith("LATIN"):
            for glyph in glyphs:
                if len(glyph["c"]) == 1 and "a" <= glyph["c"] <= "z":
                    fold[ord(ch)] = glyph["c"]
                    break
    fold[ord("ё")] = "е"
    # Connector punctuation (`_`, `‿`) separates words: `_jihad_` is the word jihad.
    for code in range(0x10000):
        if unicodedata.category(chr(code)) == "Pc":
            fold[code] = " "
    return fold


LETTER_FOLD = _build_letter_fold()


def _to_ascii(glyph: str) -> str | None:
    if len(glyph) != 1:
        return None
    if "a" <= glyph <= "z":
        return glyph
    folded = LETTER_FOLD.get(ord(glyph))
    return folded if folded and "a" <= folded <= "z" else None


def _build_to_latin() -> dict[int, str]:
    """Non-Latin letters that look like a plain Latin letter (Cyrillic а, Greek ο, ...)."""
    table: dict[int, str] = {}
    for ch, glyphs in confusables_data.items():
        if len(ch) != 1 or not ch.isalpha() or unicodedata.name(ch, "").startswith("LATIN"):
            continue
        targets = [t for g in glyphs if (t := _to_ascii(g["c"]))]
        if targets:
            table[ord(ch)] = targets[0]
    table.update({ord("к"): "k", ord("м"): "m", ord("п"): "n"})
    return table


def _build_to_cyrillic(to_latin: dict[int, str]) -> dict[int, str]:
    """Latin (and other) letters that look like a Russian or Kazakh letter."""
    table: dict[int, str] = {}
    for code in range(ord("a"), ord("z") + 1):
        ch = chr(code)
        candidates = [
            g["c"].casefold() for g in confusables_data.get(ch, ())
            if len(g["c"]) == 1 and g["c"].casefold() in PLAIN_CYRILLIC
        ]
        candidates.sort(key=lambda c: (c not in _RUSSIAN_FIRST, _RUSSIAN_FIRST.find(c)))
        if candidates:
            table[code] = candidates[0]
    table.update({ord("k"): "к", ord("m"): "м", ord("t"): "т"})
    for code, latin in to_latin.items():
        if chr(code) not in PLAIN_CYRILLIC and ord(latin) in table:
            table.setdefault(code, table[ord(latin)])
    return table


TO_LATIN = _build_to_latin()
TO_CYRILLIC = _build_to_cyrillic(TO_LATIN)
# Every Cyrillic stand-in for a Latin letter folds back (ь for b is only in this direction).
for _code, _cyr in TO_CYRILLIC.items():
    if _code <= ord("z"):
        TO_LATIN.setdefault(ord(_cyr), chr(_code))
TO_SCRIPT = {"latin": TO_LATIN, "cyrillic": TO_CYRILLIC}


def plain_cyrillic(token: str) -> bool:
    """True for an ordinary Russian/Kazakh word, which stays exactly as written."""
    return _PLAIN_CYRILLIC_RE.fullmatch(token) is not None


def has_cyrillic(token: str) -> bool:
    return _CYRILLIC_RE.search(token) is not None


def target_script(token: str) -> str | None:
    """The script a mixed-script word is folded into, or None to leave it as it is.

    A word is folded only if every letter outside the target script has a
    look-alike in it; when both Latin and Cyrillic would do, the script most of
    its letter runs already use wins (ties go to Latin). A word wholly in Cyrillic is
    re-scripted only if it uses letters from outside Russian/Kazakh (`јіһаԁ`).
    """
    latin = cyrillic = other = 0
    exotic = False
    previous = ""
    for ch in token:
        if ch == previous:
            continue  # count runs, not letters: `tһһһһһe` is mostly Latin
        previous = ch
        if "a" <= ch <= "z":
            latin += 1
        elif "\u0400" <= ch <= "\u052f":
            cyrillic += 1
            exotic = exotic or ch not in PLAIN_CYRILLIC
        elif ch.isalpha():
            other += 1
    scripts = (latin > 0) + (cyrillic > 0) + (other > 0)
    if scripts < 2 and not (cyrillic and exotic):
        return None
    latin_ok = all(ord(ch) in TO_LATIN for ch in token if ch.isalpha() and not "a" <= ch <= "z")
    if cyrillic and exotic and latin_ok:
        return "latin"  # ј, ԁ, ѕ are in no Russian or Kazakh word: they are there to look Latin
    if scripts < 2:
        return None
    cyrillic_ok = all(
        ord(ch) in TO_CYRILLIC for ch in token if ch.isalpha() and not "\u0400" <= ch <= "\u052f"
    )
    if latin_ok and cyrillic_ok:
        return "cyrillic" if cyrillic > latin else "latin"
    if latin_ok:
        return "latin"
    return "cyrillic" if cyrillic_ok else None


# ---------------------------------------------------------------------------
# Character classes for the normaliser's cheap pre-checks: one array lookup per
# comment tells which (rare) steps have anything to do, so ordinary text skips
# the per-position regex scans.
LETTER, MARK, DIGIT, SYMBOL, ASCII_LETTER, PLAIN_CYR, CYRILLIC, FOLD, INVISIBLE, LOOKALIKE = (
    1 << i for i in range(10)
)
TOKEN = LETTER | MARK | DIGIT | SYMBOL
LEET_SYMBOLS = "@$!|€"
_ASTRAL = 0x10000  # every character above the BMP shares this slot


def _build_classes() -> np.ndarray:
    table = np.zeros(_ASTRAL + 1, dtype=np.uint16)
    invisible = regex.compile(r"[\p{Default_Ignorable_Code_Point}\p{Cf}\p{Cc}--[\t\n\r\f\v]]",
                              regex.V1)
    for code in range(_ASTRAL):
        ch = chr(code)
        cat = unicodedata.category(ch)
        bits = 0
        if cat[0] == "L":
            bits |= LETTER
        elif cat[0] == "M":
            bits |= MARK
        elif cat[0] == "N":
            bits |= DIGIT
        if "a" <= ch.lower() <= "z" and ch.isascii():
            bits |= ASCII_LETTER
        if 0x400 <= code <= 0x52F:
            bits |= CYRILLIC
            if ch.lower() in PLAIN_CYRILLIC:
                bits |= PLAIN_CYR
        if code in LETTER_FOLD:
            bits |= FOLD
        if code in TO_LATIN:
            bits |= LOOKALIKE
        if invisible.match(ch):
            bits |= INVISIBLE
        table[code] = bits
    for ch in LEET_SYMBOLS:
        table[ord(ch)] |= SYMBOL
    table[_ASTRAL] = INVISIBLE  # tags and other astral format characters: let the regex decide
    return table


_CLASSES = _build_classes()


def classes(text: str) -> tuple[np.ndarray, np.ndarray]:
    """Code points and class bits of every character of `text` (lone surrogates included)."""
    codes = np.frombuffer(text.encode("utf-32-le", "surrogatepass"), dtype=np.uint32)
    return codes, _CLASSES[np.minimum(codes, _ASTRAL)]
