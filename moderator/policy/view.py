"""The text the term matcher scans: normalised text, with three changes only it can afford.

1. Digits are put back where the commenter typed them. The normaliser reads a digit as
   one letter, chosen by the word's script (`4` is a in Latin, ч in Cyrillic) and only in
   a word that is not a number (`4ll` and `7he` look like `5th`); the matcher's letter
   classes (moderator.policy.readings) accept a digit for every letter it may stand for,
   so it sees the digit itself and the whole entry decides. A `$` or `@` the normaliser
   left at the start of a word (`$1eg` is a price to it) is read as s or a.
2. Runs of two or more single letters or digits, each pair split by the same short gap
   of any separators, are closed up (`t o`, `t / o`, `х . 4 . 4`): the normaliser joins
   only three or more letters, two of them letters, with a separator from its own list,
   so a spaced two-letter word of a phrase (`d e a t h   t o   ...`) stays apart.
3. A typed capital L is written `L` (readings.CAPITAL_L) where the normaliser made it an
   l (or an і, in a Cyrillic word): case folding made it an i's twin, which it does not
   look like (`SPLC` is not `spic`); only l's class holds `L`. Every class that holds
   `L` holds the l and і it replaces, so this step only takes matches away: the matcher
   asks for it (`with_capitals`) only where the view of steps 1 and 2 has a match, and
   scans again only where a typed capital L falls inside one.

All keep an index from each character of the view to the normalised text.
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from collections.abc import Callable, Sequence
from functools import wraps

import regex

from moderator.policy.readings import CAPITAL_L
from moderator.text import NormalizedText

_DIGIT = regex.compile(r"[0-9]")
# A stand-alone character, the same gap, another: `\b` first, which the engine skips
# along fast (the normaliser made `_` a space, so `\w` is a letter, mark or digit here).
# `$ @` inside a word (`і$1$`) are letters, not gaps.
_SPACED = regex.compile(
    r"\b(?<![$@])\w\b(?![$@])([^\w$@\r\n]{1,3})\w\b(?![$@])(?:\1\w\b(?![$@]))*")
_WORD_CHAR = regex.compile(r"\w")
_TYPED = regex.compile(r"[\p{L}\p{N}$@]")
_LONG_RUN = regex.compile(r"(.)\1{2,}")
# `$` or `@` the normaliser left at the start of a word (`$1eg` is a price to it).
_SYMBOL_FIRST = regex.compile(r"(?<!\w)[$@]")
#: What a commenter types for a capital L: every character whose NFKC form is `L`
#: (`Ｌ`, `𝐋`, `Ⅼ`, `Ⓛ`; tests/policy/test_view.py checks the list against Unicode).
CAPITAL_LS = "L\u1d38\u2112\u216c\u24c1\uff2c" + "".join(map(chr, (
    0x1D40B, 0x1D43F, 0x1D473, 0x1D4DB, 0x1D50F, 0x1D543, 0x1D577, 0x1D5AB, 0x1D5DF, 0x1D613,
    0x1D647, 0x1D67B, 0x1F13B)))
# What the normaliser makes of a capital L: l, or і inside a Cyrillic word (`кLке`).
_L_IMAGES = "lі"


def capitals_typed(text: NormalizedText, seen: str,
                   index: Sequence[int]) -> tuple[str, Sequence[int]]:
    """`seen` (a view of the normalised text, maybe blanked; `index` maps it there, never
    decreasing) with `CAPITAL_L` for each l or і typed as a capital L, and its index: the
    same objects where there is none.

    A character the normaliser made of several typed ones (`LLL` cut to `ll`) is an `L`
    only if they are all capital Ls: a lower-case l among them may be a capital I's twin.
    """
    original = text.original
    typed_at = _find_all(original, "L")
    if not original.isascii():
        for other in CAPITAL_LS[1:]:  # `find` gives up at once on an astral one in BMP text
            typed_at += _find_all(original, other)
    marks: set[int] = set()
    starts, ends = text.starts, text.ends
    same = isinstance(index, range)  # no digit piece longer than one character
    for p in typed_at:
        i = bisect_right(starts, p) - 1
        if i < 0 or ends[i] <= p:
            continue
        if ends[i] - starts[i] > 1 and any(
                ch.isalnum() and ch not in CAPITAL_LS for ch in original[starts[i] : ends[i]]):
            continue  # so no digit was put back here either
        j = i if same else bisect_left(index, i)
        if j < len(seen) and index[j] == i and seen[j] in _L_IMAGES:
            marks.add(j)  # not blanked, and an l (not a `$` read as s)
    if not marks:
        return seen, index  # most comments: no capital L, or none in a word
    pieces, pos = [], 0
    for j in sorted(marks):
        pieces += (seen[pos:j], CAPITAL_L)
        pos = j + 1
    pieces.append(seen[pos:])
    return "".join(pieces), index


def _find_all(text: str, ch: str) -> list[int]:
    """Every position of `ch` in `text` (`str.find` is far quicker than a regex here)."""
    found = []
    p = text.find(ch)
    while p != -1:
        found.append(p)
        p = text.find(ch, p + 1)
    return found


def digits_typed(text: NormalizedText, scanned: str) -> tuple[str, Sequence[int]]:
    """`scanned` (the normalised text, maybe blanked) with typed digits back, and its index.

    A digit the normaliser read one for one goes back in its place. One that went into a
    cut run together with letters (`xa4am`: Latin leetspeak makes `xaaam`, cut to `xam`)
    brings the run back as typed, so `а 4 а` can be read as `а ч а`. A `$` or `@` left at
    the start of a word is read as the letter (`$1eg`, `@ll`).
    """
    original = text.original
    if "$" in scanned or "@" in scanned:
        scanned = _SYMBOL_FIRST.sub(lambda m: "s" if m.group() == "$" else "a", scanned)
    if _DIGIT.search(original) is None:
        return scanned, range(len(scanned))
    pieces: dict[int, str] = {}
    starts, ends = text.starts, text.ends
    for match in _DIGIT.finditer(original):
        p = match.start()
        i = bisect_right(starts, p) - 1
        if i < 0 or i >= len(scanned) or scanned[i] == " " or not starts[i] <= p < ends[i]:
            continue
        if ends[i] == p + 1 and starts[i] == p:
            pieces[i] = original[p]
            continue
        typed = _TYPED.findall(original[starts[i] : ends[i]].lower())
        if any(ch.isalpha() for ch in typed):
            pieces[i] = _LONG_RUN.sub(r"\1\1", "".join(typed))  # `4чччч` as `4чч`
    if not pieces:
        return scanned, range(len(scanned))
    out: list[str] = []
    pos = 0
    for i in sorted(pieces):
        out += (scanned[pos:i], pieces[i])
        pos = i + 1
    out.append(scanned[pos:])
    if all(len(piece) == 1 for piece in pieces.values()):
        return "".join(out), range(len(scanned))
    index = [i for i in range(len(scanned)) for _ in pieces.get(i, "x")]
    return "".join(out), index


def close_spaced(view: str, index: Sequence[int]) -> tuple[str, Sequence[int]]:
    """`view` with separators between stand-alone single letters dropped, and its index."""
    runs = list(_SPACED.finditer(view))
    if not runs:
        return view, index
    out: list[str] = []
    kept: list[int] = []
    pos = 0
    for run in runs:
        out.append(view[pos : run.start()])
        kept.extend(index[pos : run.start()])
        for letter in _WORD_CHAR.finditer(run.group()):
            out.append(letter.group())
            kept.extend(index[run.start() + letter.start() : run.start() + letter.end()])
        pos = run.end()
    out.append(view[pos:])
    kept.extend(index[pos:])
    return "".join(out), kept


View = tuple[str, Sequence[int]]


def _kept_for_the_next_rule(make: Callable[[NormalizedText, str], View]) -> Callable[
        [NormalizedText, str], View]:
    """`make`, with its last result kept: the banned and suspect rules scan the same comment
    one after the other. One slot, keyed by the identity of both arguments and replaced
    whole, so threads at worst build a view twice."""
    last: list[tuple[NormalizedText, str, View]] = []

    @wraps(make)
    def kept(text: NormalizedText, scanned: str) -> View:
        slot = last[0] if last else None
        if slot is not None and slot[0] is text and slot[1] is scanned:
            return slot[2]
        result = make(text, scanned)
        last[:] = [(text, scanned, result)]
        return result

    return kept


@_kept_for_the_next_rule
def typed(text: NormalizedText, scanned: str) -> View:
    """`digits_typed(text, scanned)`: the view before its last step."""
    return digits_typed(text, scanned)


@_kept_for_the_next_rule
def build(text: NormalizedText, scanned: str) -> View:
    """The view of `scanned` (digits back, spaced letters closed up) and its index."""
    return close_spaced(*typed(text, scanned))


@_kept_for_the_next_rule
def with_capitals(text: NormalizedText, scanned: str) -> View:
    """`build(text, scanned)` with typed capital Ls back (`capitals_typed`): the whole view,
    asked for where `build`'s has a match."""
    return capitals_typed(text, *build(text, scanned))
