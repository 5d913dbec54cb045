"""What each letter of a word-list entry may look like in a normalised comment.

The normaliser (moderator.text) folds look-alikes only in words that mix scripts, and
reads digits as letters only where a word is not a number; it also feeds the classifier,
so it stays cautious. The term matcher can afford more, because a reading only counts
where a whole listed entry comes out: each letter of an entry becomes a character class
of what a commenter may have typed for it, as it stands after normalisation:

* the letter, and its look-alike in the other script, from Unicode's confusables table
  and the pairs outside it (Latin h m b k t y u r n for Cyrillic н м в к т у и г п, and
  the reverse), so a word typed wholly in the other script still matches (`cmeptь`,
  `кіке`);
* digits and `$ @` typed for it (`4ll`, `7he`, `t0`, `$1eg`): the matcher scans the text
  with typed digits put back (see moderator.policy.view), so a digit is one character
  whatever the normaliser made of it;
* what the normaliser writes for any of these (its look-alike folds, its leetspeak letter
  where a run of digits was cut), so no context of the normaliser's makes a miss.

The twins the normaliser cannot tell apart (`1` for i or l, `3` for е or з) share one
class, so their runs merge; `4` is ч or а, so Cyrillic а's class holds ч (`джих4д`), but
ч's does not hold а (`хаа` is not `хач`).

Case folding makes a typed capital L an l, and so an i's twin, though it looks like
neither i nor I: `SPLC` read as `spic`. The view keeps it as `L` (`CAPITAL_L`), and only
l's class holds it. A lower-case l stays a twin (it is what a capital I looks like:
`KlKE`), and so does a capital I (it is what an l looks like: `aII`, also `KIIL`).
"""

from __future__ import annotations

import unicodedata
from functools import lru_cache

from moderator import _chars

# Look-alike pairs (Latin, Cyrillic) beyond what the normaliser's tables hold in either
# direction: lower-case forms of capitals that look alike (В/B, Н/H, Т/T, М/M, К/K), and
# handwriting look-alikes (и/u, г/r, п/n, й/u).
_PAIRS = (
    "aа", "bв", "bь", "cс", "eе", "hн", "hһ", "iі", "kк", "mм", "nп", "oо", "pр", "rг",
    "tт", "uи", "uй", "xх", "yу", "sѕ", "jј", "dԁ",
)
# Digits and symbols typed for a letter. `! |` are left out: the normaliser reads them
# inside a word, and at its end they are punctuation a class would swallow (`kill!`).
_TYPED_FOR = {
    "a": "4@", "b": "86", "e": "3", "g": "96", "i": "1", "l": "1", "o": "0", "s": "5$",
    "t": "7", "z": "2",
    "а": "4@", "б": "6", "в": "8", "е": "3", "з": "3", "о": "0", "т": "7", "ч": "4",
    "ь": "6",
}
# Letters typed for another letter of the same script: й without its breve (`убеи`).
_SAME_SCRIPT = {"й": "и"}
_TWINS = ("il", "ез")
_TWIN_OF = {ch: pair for pair in _TWINS for ch in pair}
#: What the view (moderator.policy.view) writes for a typed capital L, in place of the l
#: (or, in a Cyrillic word, the і) the normaliser made of it; only l's class holds it.
CAPITAL_L = "L"


def _stable(ch: str) -> bool:
    """Can `ch` stand in normalised text (NFKC and case folding leave it), and is it a
    character commenters type for a Latin or Cyrillic letter (ASCII, Greek, Cyrillic)?

    Cherokee, Armenian or Lisu look-alikes typed for a whole word are left out: each class
    stays a small range of code points, which keeps the compiled pattern fast.
    """
    return (unicodedata.normalize("NFKC", ch) == ch and ch.casefold() == ch
            and (ch.isascii() or "\u0370" <= ch <= "\u052f"))


def _lookalikes(letter: str) -> set[str]:
    found = {letter}
    for latin, cyrillic in _PAIRS:
        if letter in (latin, cyrillic):
            found |= {latin, cyrillic}
    code = ord(letter)
    for table in (_chars.TO_LATIN, _chars.TO_CYRILLIC):
        if code in table:
            found.add(table[code])
        found |= {chr(k) for k, v in table.items() if v == letter and chr(k).isalpha()}
    return {ch for ch in found if _stable(ch)}


@lru_cache(maxsize=512)
def letter_class(letter: str) -> frozenset[str]:
    """Every character that may stand for `letter` in the matcher's view (the normalised
    text with typed digits and capital Ls back)."""
    own = set(_TWIN_OF.get(letter, letter))
    letters = set().union(*(_lookalikes(ch) for ch in own)) | set(_SAME_SCRIPT.get(letter, ""))
    leet = _chars.LEET_CYRILLIC if "\u0400" <= letter <= "\u04ff" else _chars.LEET_LATIN
    # A digit typed for a look-alike counts unless this script reads it as another
    # letter: `8` is в as it is b, but `6` (b in Latin) is б, not в.
    typed = {d for ch in letters for d in _TYPED_FOR.get(ch, "")
             if leet.get(d, letter) in own or d in _TYPED_FOR.get(letter, "")}
    images = letters | typed
    for ch in letters | typed:
        for table in (_chars.TO_LATIN, _chars.TO_CYRILLIC):
            if ord(ch) in table:
                images.add(table[ord(ch)])
        if ch in leet:
            images.add(leet[ch])  # where a cut run left no digit to put back (`х44д`)
    if letter == "l":
        images.add(CAPITAL_L)
    return frozenset(images)


def run_key(letter: str) -> frozenset[str]:
    """What runs of letters merge on: their classes, but for `CAPITAL_L` (i and l merge)."""
    return letter_class(letter) - {CAPITAL_L}


def may_double(letter: str) -> bool:
    """May each letter of a run of `letter` stand twice (a twin swapped in, or `а` as `ч`)?"""
    return letter in _TWIN_OF or letter == "а"

