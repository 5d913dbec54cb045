"""Exact pre-tests that tell when an expensive step cannot find anything.

Each gate answers "skip" only where the step it guards is certain to come back empty
(or, for language detection, answers exactly what the detector would), so a gated check
gives the same verdict, findings and spans as an ungated one; tests/test_gates.py proves
it over every shared-data row and the obfuscation benches' variants, with `ungated()` as
the reference. Most comments are plain prose: no link, no phone number, one script, no
spaced-out letters, so the gates spare most of the work on most comments.
"""

from __future__ import annotations

import re
import re._constants as sre_c
import re._parser as sre_parse
from collections.abc import Iterator
from contextlib import contextmanager
from functools import lru_cache

import numpy as np
import regex

from moderator import _chars, language
from moderator._chars import MARK

_active = True


@contextmanager
def ungated() -> Iterator[None]:
    """Run every step without its gate (the reference the exactness tests compare to).

    Process-wide, not per thread: meant for tests and benchmarks, never for serving.
    """
    global _active
    before, _active = _active, False
    try:
        yield
    finally:
        _active = before


def active() -> bool:
    """Are the gates on? (They are, except inside `ungated()`.)"""
    return _active


# -- links ------------------------------------------------------------------------------
# `links.link_bound` counts "://", "www." and "<letter|digit|->.<letter><letter>": each of
# them has "://", a "w" before a dot or a letter after one. A text with none of these has a
# bound of 0, so the link finder is never needed.
_DOT_NEAR = regex.compile(r"w\.|\.\p{L}", regex.IGNORECASE)  # the finder's own flags


def may_hold_link(text: str) -> bool:
    """False only when `links.link_bound(text)` is certainly 0."""
    if "." not in text:
        return "://" in text  # a ':' alone is no candidate
    return "://" in text or _DOT_NEAR.search(text) is not None


# -- digits a pattern needs -------------------------------------------------------------
_DIGIT = regex.compile(r"\d", regex.IGNORECASE | regex.VERSION1)  # as the loader compiles
_ASCII_DIGITS = "0123456789"
#: `regex` syntax that Python's parser reads differently (V1 set operations, properties):
#: a pattern using any of it gets no gate.
_FOREIGN_SYNTAX = ("[[", "--", "&&", "||", "~~", "\\p", "\\P", "\\N", "\\X", "(?V", "(?r",
                   "(?|", "(?(", "\\G", "\\K", "(?&", "(?R", "(?P>", "*+", "++", "?+", "}+")


@lru_cache(maxsize=256)
def min_digits(source: object) -> int:
    """How many `\\d` characters every match of the pattern `source` contains, at least.

    Worked out from Python's own parse of the pattern, conservatively: anything not
    surely a digit counts as none, so 0 (no gate) is always a safe answer.
    """
    if not isinstance(source, str) or any(token in source for token in _FOREIGN_SYNTAX):
        return 0
    try:
        parsed = sre_parse.parse(source)
    except (re.error, RecursionError, OverflowError, ValueError):
        return 0
    if _has_literal(list(parsed), _AMBIGUOUS):
        return 0
    return _min_digits(list(parsed))


#: `[` and `{` read as plain characters by Python's parser may mean a nested set or a
#: fuzzy constraint (`{e<=1}`) to `regex`: a pattern that has them gets no gate.
_AMBIGUOUS = frozenset({ord("["), ord("{")})


def _has_literal(items: list[tuple[object, object]], codes: frozenset[int]) -> bool:
    """Does the parse tree hold one of `codes` as a literal anywhere (sets included)?"""
    for op, arg in items:
        if op is sre_c.LITERAL and arg in codes:
            return True
        children: list[object] = []
        if op is sre_c.IN:
            children = [list(arg)]  # type: ignore[call-overload]
        elif op in (sre_c.MAX_REPEAT, sre_c.MIN_REPEAT, sre_c.POSSESSIVE_REPEAT):
            children = [list(arg[2])]  # type: ignore[index]
        elif op is sre_c.SUBPATTERN:
            children = [list(arg[-1])]  # type: ignore[index]
        elif op is sre_c.ATOMIC_GROUP:
            children = [list(arg)]  # type: ignore[call-overload]
        elif op is sre_c.BRANCH:
            children = [list(branch) for branch in arg[1]]  # type: ignore[index]
        elif op in (sre_c.ASSERT, sre_c.ASSERT_NOT):
            children = [list(arg[1])]  # type: ignore[index]
        elif op is sre_c.GROUPREF_EXISTS:
            children = [list(part) for part in arg[1:] if part is not None]  # type: ignore[index]
        if any(_has_literal(child, codes) for child in children):  # type: ignore[arg-type]
            return True
    return False


def _is_digit_set(items: list[tuple[object, object]]) -> bool:
    """A character class every member of which is a decimal digit."""
    for op, arg in items:
        if op is sre_c.CATEGORY and arg is sre_c.CATEGORY_DIGIT:
            continue
        if op is sre_c.LITERAL and chr(arg).isdecimal() and _DIGIT.match(chr(arg)):  # type: ignore[arg-type]
            continue
        if op is sre_c.RANGE:
            lo, hi = arg  # type: ignore[misc]
            if all(_DIGIT.match(chr(c)) for c in range(lo, hi + 1)):
                continue
        return False
    return bool(items)


def _min_digits(items: list[tuple[object, object]]) -> int:
    total = 0
    for op, arg in items:
        if op is sre_c.LITERAL:
            total += 1 if _DIGIT.match(chr(arg)) else 0  # type: ignore[arg-type]
        elif op is sre_c.IN:
            total += 1 if _is_digit_set(list(arg)) else 0  # type: ignore[arg-type]
        elif op in (sre_c.MAX_REPEAT, sre_c.MIN_REPEAT, sre_c.POSSESSIVE_REPEAT):
            lo, _hi, sub = arg  # type: ignore[misc]
            total += lo * _min_digits(list(sub))
        elif op is sre_c.SUBPATTERN:
            total += _min_digits(list(arg[-1]))  # type: ignore[index]
        elif op is sre_c.ATOMIC_GROUP:
            total += _min_digits(list(arg))  # type: ignore[arg-type]
        elif op is sre_c.BRANCH:
            total += min(_min_digits(list(branch)) for branch in arg[1])  # type: ignore[index]
        # Anything else (assertions, anchors, back references, any character) needs none.
    return total


def fewer_digits(text: str, needed: int) -> bool:
    """Has `text` fewer than `needed` characters that `\\d` matches?"""
    if text.isascii():
        count = 0
        for digit in _ASCII_DIGITS:
            count += text.count(digit)
        return count < needed
    return len(_DIGIT.findall(text)) < needed


# -- language ---------------------------------------------------------------------------
# One bit per regex `language.detect_by_counts` counts with, for every BMP code point,
# read from those very regexes: counting the bits gives the detector's counts in one pass.
_LANGUAGE_REGEXES = (language._LETTER, language._CYRILLIC, language._LATIN,
                     language._KAZAKH, language._OTHER_CYRILLIC, language._NON_ENGLISH_LATIN)


_BMP = "".join(map(chr, range(0x10000)))  # every BMP code point, lone surrogates included


def _build_language_table() -> np.ndarray:
    table = np.zeros(0x10000, dtype=np.uint8)
    for bit, pattern in enumerate(_LANGUAGE_REGEXES):
        hits = [m.start() for m in pattern.finditer(_BMP)]
        table[hits] |= 1 << bit
    return table


_LANGUAGE_TABLE = _build_language_table()
#: For each of the 64 bit combinations, which counts it adds to (a 64 x 6 matrix).
_BIT_COUNTS = np.array([[(combo >> bit) & 1 for bit in range(6)] for combo in range(64)],
                       dtype=np.int64)


def detect_language(text: str) -> str:
    """`language.detect(text)`, the same answer for every text, in one counting pass."""
    if not _active or text.isascii():
        return language.detect(text)
    codes = np.frombuffer(text.encode("utf-32-le", "surrogatepass"), dtype=np.uint32)
    if int(codes.max()) >= 0x10000:
        return language.detect_by_counts(text)  # astral letters: let the regexes count
    bins = np.bincount(_LANGUAGE_TABLE[codes], minlength=64)
    letters, cyrillic, latin, kazakh, other_cyrillic, non_english = (
        int(n) for n in bins @ _BIT_COUNTS)
    return language.decide(letters, cyrillic, latin, kazakh, other_cyrillic, non_english)


# -- letter-joining ---------------------------------------------------------------------
# The normaliser's `_SPLIT` needs three stand-alone characters at an equal distance of 2 to
# 6 (one character, then the same separator of 1 to 5 characters, three times or more),
# each but the last followed by a separator's first character. That holds only where no
# combining mark stretches a character, so text with marks keeps the older, looser test.
#: The punctuation that may split a word's letters (`j.i.h.a.d`, `j*i*h*a*d`): the
#: normaliser's `_SEP` is built from it, so the gate and the scan cannot drift apart.
SPLIT_PUNCTUATION = r"._\-‐‑–—·•*/~"
#: A character the scan may keep (before its combining marks): shared with the normaliser.
SPLIT_CHAR = r"[\p{L}\p{N}@$]"
_BMP_FOLDED = _BMP.translate(_chars.LETTER_FOLD)  # the folds are one character for one
_SEPARATOR_FIRST = regex.compile(rf"[^\S\r\n]|[{SPLIT_PUNCTUATION}]")
_SPLIT_CHAR = regex.compile(SPLIT_CHAR)


def _table(pattern: regex.Pattern[str], *, either: bool = True) -> np.ndarray:
    """Code points that match `pattern` as they are and/or after the one-for-one folds.

    The gate reads the class array computed before those folds (`_` becomes a space,
    `é` an `e`); to stay loose (never skip what the scan would match), a character
    counts for a condition the scan needs if it meets it either way (`either`), and
    for one that stops the scan only if it meets it both ways.
    """
    as_is = np.zeros(_chars._ASTRAL + 1, dtype=bool)
    as_is[[m.start() for m in pattern.finditer(_BMP)]] = True  # one-character patterns
    folded = np.zeros(_chars._ASTRAL + 1, dtype=bool)
    folded[[m.start() for m in pattern.finditer(_BMP_FOLDED)]] = True
    return (as_is | folded) if either else (as_is & folded)


_IS_SEPARATOR = _table(_SEPARATOR_FIRST)  # a separator's first or last character
_IS_SPLIT_CHAR = _table(_SPLIT_CHAR)
#: Before the first character, the scan's look-behind refuses these.
_STOPS_START = _table(regex.compile(r"[\p{L}\p{M}\p{N}@$]"), either=False)


def may_join(codes: np.ndarray, cls: np.ndarray) -> bool | None:
    """False when the letter-joining scan cannot match; None: no opinion (marks present)."""
    if not _active:
        return None
    if len(codes) and ((cls & MARK).any() or int(codes.max()) >= _chars._ASTRAL):
        return None  # a mark stretches a character; astral letters have no class bits
    n = len(codes)
    if n < 5:
        return False  # `a.b.c` is the shortest text the scan matches
    capped = np.minimum(codes, _chars._ASTRAL)
    x = _IS_SPLIT_CHAR[capped]
    sep = _IS_SEPARATOR[capped]
    before = np.ones(n, dtype=bool)  # separator before (inner characters)
    before[1:] = sep[:-1]
    before[0] = False
    after = np.zeros(n, dtype=bool)  # separator after
    after[:-1] = sep[1:]
    free = np.ones(n, dtype=bool)  # nothing the look-behind refuses before the first
    free[1:] = ~_STOPS_START[capped][:-1]
    first = x & free & after
    inner = x & before & after
    last = x & before
    for gap in range(2, 7):
        if 2 * gap >= n:
            break
        if (first[: n - 2 * gap] & inner[gap : n - gap] & last[2 * gap :]).any():
            return True
    return False
