"""Text normalisation with an offset map back to what the user typed.

Rules and the classifier match against the normalised text; every span they
report is mapped back through `NormalizedText.span` so a finding always points
at the exact characters in the original field.

The steps, in order (each keeps the offset map):

1. drop invisible characters: zero-width, bidi controls, other format (Cf) and
   default-ignorable characters, C0/C1 controls other than whitespace;
2. NFKC and case folding (full-width, mathematical and circled letters become
   plain letters);
3. one-to-one letter folds: Latin letters with diacritics or hooks become their
   base letter (``ʝ`` -> ``j``, ``é`` -> ``e``), Russian ``ё`` -> ``е``;
4. letters split by spaces, dots, dashes or underscores are joined
   (``j.i.h.a.d`` -> ``jihad``) when at least three single letters stand alone;
5. per word: confusable look-alikes are folded when the word mixes scripts
   (Unicode's confusables table via ``confusable_homoglyphs``), then leetspeak
   digits and symbols inside the word become letters (plain numbers, prices,
   ordinals and names like ``mp3`` or ``covid19`` are left alone);
6. runs of three or more of the same letter are cut to two (``jiiiihad`` ->
   ``jiihad``; the term matcher tolerates one doubled letter, so ``kill`` and
   ``ass`` keep their real double letters).
"""

from __future__ import annotations

import unicodedata
from collections.abc import Callable, Iterable
from dataclasses import dataclass

import regex

from moderator import _confusables
from moderator.types import Span

#: Bumped on every behaviour change: model cards record it, and a model trained
#: on another normaliser's output must be retrained.
NORMALIZER_VERSION = "2"


@dataclass(frozen=True, slots=True)
class NormalizedText:
    """Normalised text plus, for each of its characters, the original range it came from."""

    original: str
    text: str
    starts: tuple[int, ...]
    ends: tuple[int, ...]

    def span(self, start: int, end: int) -> Span:
        """Map the normalised range [start, end) to the original text."""
        if start >= end or not self.text:
            anchor = self.starts[start] if start < len(self.starts) else len(self.original)
            return Span(anchor, anchor)
        return Span(self.starts[start], self.ends[end - 1])


# Internal state: text plus, per character, the original [start, end).
_State = tuple[str, list[int], list[int]]
# A replacement: (piece, a, b) = `piece` stands for current-text indices [a, b).
_Piece = tuple[str, int, int]

_INVISIBLE = regex.compile(
    r"[\p{Default_Ignorable_Code_Point}\p{Cf}\p{Cc}--[\t\n\r\f\v]]+", regex.V1
)
_NON_ASCII_RUN = regex.compile(r"(?:[\x00-\x7f](?=\p{M}))?[^\x00-\x7f]+")
_X = r"[\p{L}\p{N}@$]\p{M}*"
_SEP = r"[^\S\r\n]{0,2}[._\-‐‑–—·•*/~][^\S\r\n]{0,2}|[^\S\r\n]{1,3}"
_SPLIT = regex.compile(
    rf"(?<![\p{{L}}\p{{M}}\p{{N}}@$]){_X}({_SEP}){_X}(?:\1{_X})+(?![\p{{L}}\p{{M}}\p{{N}}])"
)
# Three spaced one-letter words (`а я в`, `и с о`) are ordinary text, not a split word.
_ONE_LETTER_WORDS = frozenset("aiоиваяскуoж")
_SPLIT_KEEP = regex.compile(_X)
_TOKEN = regex.compile(r"[\p{L}\p{M}\p{N}@$!|€]+")
_REPEAT = regex.compile(r"(\p{L})\1{2,}")
_HAS_LETTER = regex.compile(r"\p{L}")
# Tokens whose digits are a number, not leetspeak: 5th, 10am, 2024г, mp3, g7, covid19, 1985.
_NUMBERISH = regex.compile(r"[$€£]?\d+(?:[.,]\d+)*\p{L}{1,3}|\p{L}{1,2}\d|.*(\d)(?!\1)\d.*")
_LEET_SYMBOLS = frozenset("@$!|€")
_ASCII_LOWER = str.maketrans("ABCDEFGHIJKLMNOPQRSTUVWXYZ", "abcdefghijklmnopqrstuvwxyz")


def normalize(text: str) -> NormalizedText:
    """Normalise once per comment; see the module docstring for the steps and their order."""
    n = len(text)
    state: _State = (text, list(range(n)), list(range(1, n + 1)))
    state = _rewrite(state, _INVISIBLE.finditer(text), lambda m: [])
    state = _fold_case(state)
    state = (state[0].translate(_confusables.LETTER_FOLD), state[1], state[2])
    state = _rewrite(state, _SPLIT.finditer(state[0]), _join_split)
    state = (_fold_words(state[0]), state[1], state[2])
    state = _rewrite(state, _REPEAT.finditer(state[0]), _cut_repeat)
    out, starts, ends = state
    return NormalizedText(text, out, tuple(starts), tuple(ends))


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
        for piece, pa, pb in repl(match):
            out.append(piece)
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
    text = text.translate(_ASCII_LOWER)
    if text.isascii():
        return text, starts, ends
    state = (text, starts, ends)
    return _rewrite(state, _NON_ASCII_RUN.finditer(text), _fold_run)


def _fold_run(match: regex.Match[str]) -> list[_Piece]:
    run = match.group()
    base = match.start()
    folded = run.casefold()
    if len(folded) == len(run) and unicodedata.is_normalized("NFKC", run):
        return [(ch, base + i, base + i + 1) for i, ch in enumerate(folded)]
    pieces: list[_Piece] = []
    start = 0
    for i in range(1, len(run) + 1):
        if i == len(run) or not unicodedata.combining(run[i]):
            cluster = unicodedata.normalize("NFKC", run[start:i])
            cluster = unicodedata.normalize("NFKC", cluster.casefold())
            pieces.extend((ch, base + start, base + i) for ch in cluster)
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
        return [(match.group()[i], match.start() + i, match.start() + i + 1)
                for i in range(len(match.group()))]
    base = match.start()
    return [(ch, base + a + i, base + a + i + 1) for piece, a, _ in kept
            for i, ch in enumerate(piece)]


def _cut_repeat(match: regex.Match[str]) -> list[_Piece]:
    """Two letters stand for the run; the second maps to the rest of it so spans stay whole."""
    a, b = match.span()
    ch = match.group(1)
    return [(ch, a, a + 1), (ch, a + 1, b)]


def _fold_words(text: str) -> str:
    """Confusable and leetspeak folds; both are one character for one, so offsets stay put."""
    out: list[str] = []
    pos = 0
    for match in _TOKEN.finditer(text):
        token = match.group()
        if token.isalpha() and (token.isascii() or _confusables.plain_cyrillic(token)):
            continue
        folded = _fold_token(token)
        if folded != token:
            a = match.start()
            out.append(text[pos:a])
            out.append(folded)
            pos = match.end()
    if not pos:
        return text
    out.append(text[pos:])
    return "".join(out)


def _fold_token(token: str) -> str:
    script = _confusables.target_script(token)
    if script is not None:
        token = token.translate(_confusables.TO_SCRIPT[script])
    if token.isalpha() or not _HAS_LETTER.search(token) or _NUMBERISH.fullmatch(token):
        return token
    cyrillic = script == "cyrillic" or (script is None and _confusables.has_cyrillic(token))
    return _unleet(token, cyrillic)


def _unleet(token: str, cyrillic: bool) -> str:
    """Digits and symbols between or beside letters become the letters they stand for."""
    table = _confusables.LEET_CYRILLIC if cyrillic else _confusables.LEET_LATIN
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
