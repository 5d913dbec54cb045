"""Text normalisation with an offset map back to what the user typed.

Rules and the classifier match against the normalised text; every span they
report is mapped back through `NormalizedText.span` so a finding always points
at the exact characters in the original field.

The steps, in order (each keeps the offset map):

1. drop invisible characters: zero-width, bidi controls, other format (Cf) and
   default-ignorable characters, C0/C1 controls other than whitespace;
2. NFKC and case folding (full-width, mathematical and circled letters become
   plain letters);
3. one-to-one folds: Latin letters with diacritics or hooks become their base
   letter (``ʝ`` -> ``j``, ``é`` -> ``e``), Russian ``ё`` -> ``е``, connector
   punctuation (``_``) becomes a space;
4. letters split by spaces, dots, dashes or underscores are joined
   (``j.i.h.a.d`` -> ``jihad``) when at least three single letters stand alone; a
   one-letter word spaced like them is joined too (``с м е р т ь и`` -> ``смертьи``),
   and ``NormalizedText.glued_letters`` tells the matcher where that may have happened;
5. per word: confusable look-alikes are folded when the word mixes scripts
   (Unicode's confusables table via ``confusable_homoglyphs``), then leetspeak
   digits and symbols inside the word become letters (plain numbers, prices,
   ordinals and names like ``mp3`` or ``covid19`` are left alone);
6. runs of three or more of the same letter are cut: to one for a letter that
   rarely doubles in real words (Latin ``a h i j k q u v w x y``, Cyrillic
   ``а ы э ю я й ь ъ х ч ш щ ц``: ``jiiiihad`` -> ``jihad``), unless the run is the
   whole word (``kkk``, ``www``, ``ааа`` keep two); to two for any other letter
   (``kiiilllll`` -> ``kill``; the term matcher tolerates one doubled letter, so
   ``kill`` and ``ass`` keep their real double letters). A doubled letter is
   never cut: ``летняя``, ``raqqa``, ``hajj``, ``shiite`` and ``ii`` are real words.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from functools import lru_cache

import numpy as np
import regex

from moderator import _chars, _scan, gates
from moderator._chars import (
    DIGIT,
    FOLD,
    INVISIBLE,
    LETTER,
    SYMBOL,
    TOKEN,
)
from moderator.types import Span

#: Bumped on every behaviour change: model cards record it, and a model trained
#: on another normaliser's output must be retrained.
NORMALIZER_VERSION = "5"


@dataclass(frozen=True, slots=True)
class NormalizedText:
    """Normalised text plus, for each of its characters, the original range it came from."""

    original: str
    text: str
    starts: tuple[int, ...]
    ends: tuple[int, ...]
    #: Were letters split by separators joined (`j i h a d`)? Saves `glued_letters` a scan.
    joined: bool = True

    def span(self, start: int, end: int) -> Span:
        """Map the normalised range [start, end) to the original text."""
        if start >= end or not self.text:
            anchor = self.starts[start] if start < len(self.starts) else len(self.original)
            return Span(anchor, anchor)
        return Span(self.starts[start], self.ends[end - 1])

    def glued_letters(self) -> tuple[tuple[int, ...], tuple[int, ...]]:
        """Positions of one-letter words the letter-joiner may have glued onto a split word.

        `смерть неверным и` typed as `с м е р т ь н е в е р н ы м и` is one run of single
        letters: the normaliser cannot tell the conjunction `и` from an ending (`у б и л и`)
        and keeps it in the word. Returned here, as (first letters, last letters) of
        normalised words, are such letters: a common one-letter word (`и в с к у о а я`,
        `a i o`) at a word edge, joined to its neighbour across spaces or underscores the
        commenter typed, with at least three more letters in the word; a last letter only
        when another word follows it (`ж и д у.` ends in `у`). The matcher also tries the
        word without them; the text itself is unchanged.
        """
        leading: list[int] = []
        trailing: list[int] = []
        if not self.joined:
            return (), ()
        for match in _EDGE_LETTER.finditer(self.text):
            p = match.start()
            if match.group("lead") and self._joined(p, p + 1):
                leading.append(p)
            elif match.group("trail") and self._joined(p - 1, p):
                trailing.append(p)
        return tuple(leading), tuple(trailing)

    def _joined(self, left: int, right: int) -> bool:
        """Were normalised characters `left` and `right` typed apart, split by a separator?"""
        if self.ends[left] == self.starts[right]:
            return False  # typed side by side: nearly every candidate stops here
        gap = _INVISIBLE.sub("", self.original[self.ends[left] : self.starts[right]])
        return _WORD_GAP.fullmatch(gap) is not None


# Internal state: text plus, per character, the original [start, end).
_State = tuple[str, "list[int] | range", "list[int] | range"]
# A replacement: (piece, a, b, exact): `piece` stands for current-text indices [a, b),
# character for character if `exact`, else every character of it for the whole range.
_Piece = tuple[str, int, int, bool]

_INVISIBLE = regex.compile(
    r"[\p{Default_Ignorable_Code_Point}\p{Cf}\p{Cc}--[\t\n\r\f\v]]+", regex.V1
)
_NON_ASCII_RUN = regex.compile(r"(?:[\x00-\x7f](?=\p{M}))?[^\x00-\x7f]+")
_X = rf"{gates.SPLIT_CHAR}\p{{M}}*"
_SEP = rf"[^\S\r\n]{{0,2}}[{gates.SPLIT_PUNCTUATION}][^\S\r\n]{{0,2}}|[^\S\r\n]{{1,3}}"
_SPLIT = regex.compile(
    rf"(?<![\p{{L}}\p{{M}}\p{{N}}@$]){_X}({_SEP}){_X}(?:\1{_X})+(?![\p{{L}}\p{{M}}\p{{N}}])"
)
# Three spaced one-letter words (`а я в`, `и с о`) are ordinary text, not a split word.
_ONE_LETTER_WORDS = frozenset("aiоиваяскуoж")
_ONE_LETTER_CLASS = "[" + "".join(sorted(_ONE_LETTER_WORDS)) + "]"
# A one-letter word at the start or end of a word of four or more letters.
_EDGE_LETTER = regex.compile(
    rf"(?<![\p{{L}}\p{{M}}\p{{N}}])(?P<lead>{_ONE_LETTER_CLASS})(?=[\p{{L}}\p{{N}}]{{3}})"
    rf"|(?<=[\p{{L}}\p{{N}}]{{3}})(?P<trail>{_ONE_LETTER_CLASS})(?=[^\S\r\n]+[\p{{L}}\p{{N}}])"
)
# Only a gap that could stand between words: spaces or `_` (`с.м.е.р.т.ь` is one word).
_WORD_GAP = regex.compile(r"[\s\p{Pc}]+")
_SPLIT_KEEP = regex.compile(_X)
_REPEAT = regex.compile(r"(\p{L})\1{2,}")
_HAS_LETTER = regex.compile(r"\p{L}")
_WORD_CHAR = regex.compile(r"[\p{L}\p{M}]")
# Tokens whose digits are a number, not leetspeak: 5th, 10am, 2024г, g7, x86, mp3, covid19,
# 1985john (two different digits at an end); d34th and j3ws are leetspeak.
_NUMBERISH = regex.compile(
    r"[$€£]?\d+(?:[.,]\d+)*\p{L}{1,3}|\p{L}\d+|mp[34]|.*(\d)(?!\1)\d+|(\d)(?!\2)\d+.*"
)
_LEET_SYMBOLS = frozenset(_chars.LEET_SYMBOLS)
_ASCII_LOWER = str.maketrans("ABCDEFGHIJKLMNOPQRSTUVWXYZ", "abcdefghijklmnopqrstuvwxyz")


#: Values this short (names, emails, one-line comments) are kept normalised: commenters
#: sign with the same name every time, and the steps cost ~30 us even on six letters.
SHORT_TEXT = 64


def normalize(text: str) -> NormalizedText:
    """Normalise once per comment; see the module docstring for the steps and their order."""
    if len(text) <= SHORT_TEXT:
        return _normalize_short(text)
    return normalize_uncached(text)


@lru_cache(maxsize=8192)
def _normalize_short(text: str) -> NormalizedText:
    return normalize_uncached(text)


def normalize_uncached(text: str) -> NormalizedText:
    """`normalize` without the cache of short values.

    Each step first asks the character-class array whether it has anything to do:
    ordinary text skips the per-position regex scans, which dominate the cost.
    """
    n = len(text)
    state: _State = (text, range(n), range(1, n + 1))  # type: ignore[assignment]
    # `scan` answers for the text whose classes the steps read, which is not always the
    # current one: the one-for-one letter folds keep the classes of the text before them.
    scan = _scan.scan(text)
    if scan.bits() & INVISIBLE:
        state = _rewrite(state, _INVISIBLE.finditer(text), lambda m: [])
    state = _fold_case(state)
    if state[0] != text:
        scan = _scan.scan(state[0])
    folds = scan.positions(FOLD)
    if folds:
        state = (_replace_at(state[0], folds, _chars.LETTER_FOLD), state[1], state[2])
    joined = False
    if _may_be_split(scan):
        before = state[0]
        state = _rewrite(state, _SPLIT.finditer(before), _join_split)
        joined = len(state[0]) < len(before)  # a join drops separators, nothing else does
        if state[0] is not before:
            scan = _scan.scan(state[0])
    folded = _fold_words(state[0], scan.fold_spans())
    if folded is not state[0]:  # leetspeak may have made a run (`j111had`, `jih@@@d`)
        scan = _scan.scan(folded)
    state = (folded, state[1], state[2])
    if scan.has_triple():
        state = _rewrite(state, _REPEAT.finditer(state[0]), _cut_repeat)
    out, starts, ends = state
    return NormalizedText(text, out, tuple(starts), tuple(ends), joined)


def _replace_at(text: str, positions: list[int], table: dict[int, str]) -> str:
    """One-for-one character replacement at the given positions (offsets unchanged)."""
    chars = list(text)
    for i in positions:
        chars[i] = table[ord(chars[i])]
    return "".join(chars)


def _may_be_split(scan: _scan.Scan) -> bool:
    """Can the letter-joining scan find anything? Most comments say no here, cheaply.

    `gates.may_join` asks for three evenly spaced characters with separators; where it
    has no opinion (combining marks) or is off (`gates.ungated`), the looser test below:
    two stand-alone letters within six characters of each other (`j i h`).
    """
    strict = scan.may_join()
    if strict is not None:
        return strict
    _codes, cls = scan.arrays()
    x = (cls & (LETTER | DIGIT)).astype(bool)
    x[np.flatnonzero(cls & SYMBOL)] = True
    tok = (cls & TOKEN).astype(bool)
    alone = x.copy()
    alone[1:] &= ~tok[:-1]
    alone[:-1] &= ~tok[1:]
    return any((alone[:-gap] & alone[gap:]).any() for gap in range(2, 7) if gap < len(alone))


def _rewrite(
    state: _State,
    matches: Iterable[regex.Match[str]],
    repl: Callable[[regex.Match[str]], list[_Piece]],
) -> _State:
    """Replace each match by pieces, copying the untouched stretches (and their offsets) whole."""
    text, starts, ends = state
    out: list[str] = []
    new_starts: list[int] = []
    new_ends: list[int] = []
    pos = 0
    for match in matches:
        a, b = match.span()
        out.append(text[pos:a])
        new_starts += starts[pos:a]
        new_ends += ends[pos:a]
        for piece, pa, pb, exact in repl(match):
            out.append(piece)
            if exact:
                new_starts += starts[pa:pb]
                new_ends += ends[pa:pb]
            else:
                new_starts += [starts[pa]] * len(piece)
                new_ends += [ends[pb - 1]] * len(piece)
        pos = b
    if not pos:
        return state
    out.append(text[pos:])
    new_starts += starts[pos:]
    new_ends += ends[pos:]
    return "".join(out), new_starts, new_ends


def _fold_case(state: _State) -> _State:
    """NFKC + casefold; ASCII stretches in bulk, other runs per base+combining-marks cluster."""
    text, starts, ends = state
    if text.isascii():
        return text.lower(), starts, ends
    folded = text.casefold()
    if len(folded) == len(text) and unicodedata.is_normalized("NFKC", text):
        return folded, starts, ends  # nearly all real text: one character for one
    text = text.translate(_ASCII_LOWER)
    state = (text, starts, ends)
    return _rewrite(state, _NON_ASCII_RUN.finditer(text), _fold_run)


def _fold_run(match: regex.Match[str]) -> list[_Piece]:
    run = match.group()
    base = match.start()
    folded = run.casefold()
    if len(folded) == len(run) and unicodedata.is_normalized("NFKC", run):
        return [(folded, base, base + len(run), True)]
    pieces: list[_Piece] = []
    start = 0
    for i in range(1, len(run) + 1):
        if i == len(run) or not unicodedata.combining(run[i]):
            cluster = unicodedata.normalize("NFKC", run[start:i])
            cluster = unicodedata.normalize("NFKC", cluster.casefold()).replace("i\u0307", "i")
            pieces.append((cluster, base + start, base + i, False))
            start = i
    return pieces


def _join_split(match: regex.Match[str]) -> list[_Piece]:
    """Keep the single letters of `j.i.h.a.d`, drop the separators, if two or more are letters."""
    kept = [(m.group(), m.start(), m.end()) for m in _SPLIT_KEEP.finditer(match.group())]
    letters = [piece[0] for piece, _, _ in kept if piece[0].isalpha()]
    spaced = match.group(1).isspace()
    if len(letters) < 2 or (
        spaced and len(kept) == 3 and all(ch in _ONE_LETTER_WORDS for ch in letters)
    ):
        return [(match.group(), match.start(), match.end(), True)]
    base = match.start()
    return [(piece, base + a, base + b, True) for piece, a, b in kept]


def _cut_repeat(match: regex.Match[str]) -> list[_Piece]:
    """One letter (a rarely doubled one inside a word) or two stand for the run.

    One letter maps to the whole run; of two, the second maps to the rest of it, so
    spans stay whole either way.
    """
    a, b = match.span()
    ch = match.group(1)
    text = match.string
    if ch in _chars.RARELY_DOUBLED and (
        (a and _WORD_CHAR.match(text, a - 1)) or _WORD_CHAR.match(text, b)
    ):
        return [(ch, a, b, False)]
    return [(ch, a, a + 1, False), (ch, a + 1, b, False)]


def _fold_words(text: str, spans: list[tuple[int, int]]) -> str:
    """Confusable and leetspeak folds; both are one character for one, so offsets stay put.

    Only the words `spans` names are looked at (`_scan`'s `fold_spans`: those with a
    trigger, a look-alike letter, a digit or symbol touching a letter, or Latin touching
    Cyrillic).
    """
    if not spans:
        return text
    out: list[str] = []
    pos = 0
    for a, b in spans:
        token = text[a:b]
        folded = _fold_token(token)
        if folded != token:
            out.append(text[pos:a])
            out.append(folded)
            pos = b
    if not pos:
        return text
    out.append(text[pos:])
    return "".join(out)


def _fold_token(token: str) -> str:
    script = _chars.target_script(token)
    if script is not None:
        token = token.translate(_chars.TO_SCRIPT[script])
    if token.isalpha() or not _HAS_LETTER.search(token) or _NUMBERISH.fullmatch(token):
        return token
    cyrillic = script == "cyrillic" or (script is None and _chars.has_cyrillic(token))
    return _unleet(token, cyrillic)


def _unleet(token: str, cyrillic: bool) -> str:
    """Digits and symbols between or beside letters become the letters they stand for."""
    table = _chars.LEET_CYRILLIC if cyrillic else _chars.LEET_LATIN
    chars = list(token)
    lo, hi = 0, len(chars)
    while lo < hi and chars[lo] in "@!|":  # a mention or punctuation, not a letter
        lo += 1
    while hi > lo and chars[hi - 1] in "!|":
        hi -= 1
    for i in range(lo, hi):
        ch = chars[i]
        if ch.isalpha() or ch not in table:
            continue
        if ch in _LEET_SYMBOLS and not _beside_letter(chars, i, lo, hi):
            continue
        if ch == "1" and not cyrillic and i > lo and chars[i - 1] in "aeiouyl":
            chars[i] = "l"  # ki11, a11ah, mus1im: after a vowel or l, 1 is an l
        else:
            chars[i] = table[ch]
    return "".join(chars)


def _beside_letter(chars: list[str], i: int, lo: int, hi: int) -> bool:
    return (i > lo and chars[i - 1].isalpha()) or (i + 1 < hi and chars[i + 1].isalpha())
