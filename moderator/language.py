"""Which language a comment is in: en, ru, kk or other, from scripts and letters.

Good enough to pick word lists and to report in the verdict; no model, no
dependency, and fast on the hot path. Kazakh is told from Russian by its own
letters (ә ғ қ ң ө ұ ү һ і), which ordinary Kazakh text uses in nearly every
sentence and Russian never does.
"""

from __future__ import annotations

import regex

_LATIN = regex.compile(r"\p{Latin}")
_CYRILLIC = regex.compile(r"\p{Cyrillic}")
_LETTER = regex.compile(r"\p{L}")
_ASCII_LETTER = regex.compile(r"[A-Za-z]")
_KAZAKH = regex.compile(r"[әғқңөұүһіӘҒҚҢӨҰҮҺІ]")
# Letters of other Cyrillic alphabets (Ukrainian, Belarusian, Serbian, ...): not ru, not kk.
_OTHER_CYRILLIC = regex.compile(r"[їєґўјљњћџђѓќѕЇЄҐЎЈЉЊЋЏЂЃЌЅ]")
# Latin letters outside English (ä ñ ç ...): a text full of them is another language.
_NON_ENGLISH_LATIN = regex.compile(r"[\p{Latin}--[a-zA-Z]]", regex.V1)


def detect(text: str) -> str:
    """Return "en", "ru", "kk" or "other" for the dominant script and its telltale letters."""
    if text.isascii():  # every letter is plain Latin: the counts below can only say "en"
        return "en" if _ASCII_LETTER.search(text) else "other"
    return detect_by_counts(text)


def detect_by_counts(text: str) -> str:
    """`detect` for any text, from letter counts per script (what the ASCII shortcut skips)."""
    letters = len(_LETTER.findall(text))
    if not letters:
        return "other"
    return decide(letters, len(_CYRILLIC.findall(text)), len(_LATIN.findall(text)),
                  len(_KAZAKH.findall(text)), len(_OTHER_CYRILLIC.findall(text)),
                  len(_NON_ENGLISH_LATIN.findall(text)))


def decide(letters: int, cyrillic: int, latin: int, kazakh: int, other_cyrillic: int,
           non_english: int) -> str:
    """The language the letter counts point to (`moderator.gates` counts them in one pass)."""
    if not letters:
        return "other"
    if cyrillic >= latin and cyrillic * 2 > letters:
        # One stray і or ү is a typo or a quote; Kazakh prose has several per 100 letters.
        if kazakh and kazakh * 100 >= cyrillic:
            return "kk"
        if other_cyrillic * 100 >= cyrillic:
            return "other"
        return "ru"
    if latin * 2 > letters:
        if non_english * 50 > latin:
            return "other"
        return "en"
    return "other"
