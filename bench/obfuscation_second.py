"""A second obfuscation generator, written apart from the first and from the matcher.

The first generator (bench_obfuscation.py) reuses the normaliser's own look-alike table,
so it can only ask for what the matcher was tuned to. This one has its own hand-written
tables of what commenters type, none imported from `moderator`:

* digits and `$ @` for letters in any position of a word of any length (`4ll`, `7he`,
  `t0`, `$1eg`), leaving at least one letter in each word;
* Latin letters for Cyrillic ones and the reverse, both the pairs in Unicode's confusables
  table and the ones outside it (h/н, m/м, b/в, k/к, t/т, y/у, u/и, r/г, n/п), on some
  letters or on every letter that has one, with zero-width characters mixed in;
* letter-spaced phrases: one separator between letters, another (or a mix) between words;
* dotted phrases (`с.м.е.р.т.ь н.е.в.е.р.н.ы.м`);
* mixes of the above.

Every technique takes the clean text (words split by single spaces) and a seeded
`random.Random`, and returns the text to type.
"""

from __future__ import annotations

import random
from collections.abc import Callable

# What a Cyrillic letter is typed as in Latin (lower case; upper case where only the
# capital looks alike: В is B, Н is H, Т is T).
LATIN_FOR_CYRILLIC = {
    "а": "a", "в": "b", "г": "r", "е": "e", "и": "u", "й": "u", "к": "k", "м": "m", "н": "h",
    "о": "o", "п": "n", "р": "p", "с": "c", "т": "t", "у": "y", "х": "x", "ь": "b",
}
LATIN_CAPITAL_FOR_CYRILLIC = {"в": "B", "н": "H", "т": "T", "м": "M", "к": "K", "а": "A",
                              "е": "E", "о": "O", "р": "P", "с": "C", "х": "X"}
# What a Latin letter is typed as in Cyrillic.
CYRILLIC_FOR_LATIN = {
    "a": "а", "b": "в", "c": "с", "e": "е", "h": "н", "i": "і", "k": "к", "m": "м", "n": "п",
    "o": "о", "p": "р", "r": "г", "s": "ѕ", "t": "т", "u": "и", "x": "х", "y": "у",
}
CYRILLIC_CAPITAL_FOR_LATIN = {"b": "В", "h": "Н", "t": "Т", "m": "М", "k": "К", "a": "А",
                              "e": "Е", "o": "О", "p": "Р", "c": "С", "x": "Х", "y": "У"}
# Digits and symbols people type for letters.
DIGITS = {
    "a": "4@", "b": "86", "e": "3", "g": "96", "i": "1", "l": "1", "o": "0", "s": "5$",
    "t": "7", "z": "2",
    "а": "4@", "б": "6", "в": "8", "е": "3", "з": "3", "о": "0", "т": "7", "ч": "4",
}
ZERO_WIDTH = ("\u200b", "\u200c", "\u200d", "\u2060", "\ufeff", "\u00ad")
LETTER_SEPARATORS = (" ", ".", "-", "_", " . ", "·", "*")
WORD_SEPARATORS = ("   ", "  ", " / ", " | ", " . ", " - ", ", ", " _ ", " ~ ", "\t", " + ")

Technique = Callable[[str, random.Random], str]


def _is_cyrillic(ch: str) -> bool:
    return "\u0400" <= ch <= "\u04ff"


def digits(text: str, rng: random.Random) -> str:
    """Digits or `$ @` for 1..n-1 letters of each word, at any position."""
    words = []
    for word in text.split(" "):
        spots = [i for i, ch in enumerate(word) if ch in DIGITS]
        letters = sum(ch.isalpha() for ch in word)
        if not spots or letters < 2:
            words.append(word)
            continue
        count = rng.randint(1, min(len(spots), letters - 1))
        chars = list(word)
        for i in rng.sample(spots, count):
            chars[i] = rng.choice(DIGITS[chars[i]])
        words.append("".join(chars))
    return " ".join(words)


def digit_first(text: str, rng: random.Random) -> str:
    """A digit or symbol for the first letter of every word that has one (`4ll`, `7he`)."""
    words = []
    for word in text.split(" "):
        if len(word) >= 2 and word[0] in DIGITS:
            word = rng.choice(DIGITS[word[0]]) + word[1:]
        words.append(word)
    return " ".join(words)


def _swap(text: str, rng: random.Random, share: float, zero_width: bool) -> str:
    out = []
    for ch in text:
        if _is_cyrillic(ch):
            small, capital = LATIN_FOR_CYRILLIC, LATIN_CAPITAL_FOR_CYRILLIC
        else:
            small, capital = CYRILLIC_FOR_LATIN, CYRILLIC_CAPITAL_FOR_LATIN
        if ch in small and rng.random() < share:
            ch = capital[ch] if ch in capital and rng.random() < 0.3 else small[ch]
        out.append(ch)
        if zero_width and ch != " " and rng.random() < 0.3:
            out.append(rng.choice(ZERO_WIDTH))
    return "".join(out).rstrip("".join(ZERO_WIDTH))


def lookalike_some(text: str, rng: random.Random) -> str:
    """Other-script look-alikes for about half of the letters that have one."""
    return _swap(text, rng, 0.5, False)


def lookalike_all(text: str, rng: random.Random) -> str:
    """Every letter that has an other-script look-alike is swapped."""
    return _swap(text, rng, 1.0, False)


def lookalike_zero_width(text: str, rng: random.Random) -> str:
    """Look-alikes on some letters, zero-width characters between others."""
    return _swap(text, rng, rng.choice((0.5, 1.0)), True)


def spaced(text: str, rng: random.Random) -> str:
    """Letters apart with one separator, words apart with another (`d e a t h   t o`)."""
    letter_sep = rng.choice(LETTER_SEPARATORS)
    word_seps = [s for s in WORD_SEPARATORS if s != letter_sep]
    words = [letter_sep.join(word) for word in text.split(" ")]
    out = words[0]
    mixed = rng.random() < 0.5  # a different separator between each pair of words
    between = rng.choice(word_seps)
    for word in words[1:]:
        out += (rng.choice(word_seps) if mixed else between) + word
    return out


def dotted(text: str, rng: random.Random) -> str:
    """Letters apart with dots; words apart with a space, a dot and a space, or nothing."""
    words = [".".join(word) for word in text.split(" ")]
    between = rng.choice((" ", ". ", ".", " . ", ".  "))
    out = between.join(words)
    return out + "." if rng.random() < 0.5 else out


def _mix(*steps: Technique) -> Technique:
    def run(text: str, rng: random.Random) -> str:
        for step in steps:
            text = step(text, rng)
        return text
    return run


TECHNIQUES: dict[str, Technique] = {
    "digits": digits,
    "digit-first": digit_first,
    "lookalike-some": lookalike_some,
    "lookalike-all": lookalike_all,
    "lookalike+zw": lookalike_zero_width,
    "spaced-phrase": spaced,
    "dotted": dotted,
    "mix:digits+lookalike": _mix(digits, lookalike_some),
    "mix:lookalike+spaced": _mix(lookalike_some, spaced),
    "mix:digits+spaced": _mix(digits, spaced),
    "mix:digits+dotted": _mix(digits, dotted),
    "mix:lookalike+digits+zw": _mix(lookalike_some, digits, lookalike_zero_width),
}
