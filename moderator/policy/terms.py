"""Banned and suspect word/phrase lists, compiled into one word-bounded regex.

Entries are normalised with the same normaliser as the comments, so `jih@d`
written by a commenter and `jihad` written by an editor meet in the middle.
Entry syntax, one per line in a word list:

* a word: ``jihad``;
* a phrase: ``join the caliphate``; between its words the text may hold any short
  run of spaces and punctuation (``join...the -- caliphate``) or none (``#jointhecaliphate``);
* a stem: ``террорист*`` matches the word and any ending (``террористы``,
  ``террористов``); ``*`` only at the end of a word, after at least three letters.

Matches are whole words in any script: a letter, mark or digit on either side
means no match, so ``ass`` never fires inside ``classic``. Each letter of an entry is a
class of what may stand for it (moderator.policy.readings): its look-alike in the other
script (``cmeptь``, ``кіке``), the digits typed for it (``4ll``, ``7he``, ``$1eg``), the
ambiguous leetspeak twins (``1`` for i or l, ``3`` for е or з; an entry's а also matches
``4`` and ч, but its ч stays ч, so ``хаа`` is not ``хач``); a typed capital L stands for
an l only (``SPLC`` is not ``spic``). A single letter of an entry also matches a doubled
one (the normaliser cuts ``kiiilll`` to ``kiill``). The text scanned is the normalised
text with typed digits and capital Ls put back and spaced single letters closed up
(moderator.policy.view: ``d e a t h   t o``). A one-word entry of letters
never matches what reads as a number (``209``, ``20g`` are not ``zog``, Latin ``x44``
is not ``хач``).

Most comments hold no entry, so the regex is not run where it cannot match: an exact
prefilter (`AnchorFilter`, an Aho-Corasick automaton over one "anchor" per entry word,
read in groups of the characters the units accept) rules the text out first; off inside
`moderator.gates.ungated()`, the reference tests/policy/test_term_prefilter.py and
tests/test_gates.py compare it with.
"""

from __future__ import annotations

import re
import time
from collections import OrderedDict
from collections.abc import Iterable, Sequence
from contextlib import suppress
from dataclasses import dataclass
from itertools import groupby
from pathlib import Path
from typing import Any

import numpy as np
import regex
from ahocorasick_rs import AhoCorasick

from moderator import gates
from moderator.errors import PolicyError
from moderator.policy import view
from moderator.policy.readings import CAPITAL_L, letter_class, may_double, run_key
from moderator.text import SHORT_TEXT, NormalizedText, normalize

# `\b` first: the regex engine skips non-boundaries fast (3x quicker than the
# lookbehind alone); the normaliser turns `_` into a space, so `\b` loses nothing.
_LEFT = r"\b(?<![\p{L}\p{M}\p{N}])"
_RIGHT = r"(?![\p{L}\p{M}\p{N}])"
# Between the words of a phrase: any short run of non-letters, or nothing at all, so the
# hashtag `#killalljews` and `k i l l a l l j e w s` (joined into one run) still match.
_GAP = r"[^\p{L}\p{M}\p{N}]{0,16}"
_STEM_TAIL = r"[\p{L}\p{M}\p{N}]*+"
# A stem inside a phrase gives letters back, so `вступай* в игил` also matches it glued
# (`вступайвигил`, from `в с т у п а й в и г и л`): the gap between words may be empty.
_INNER_STEM_TAIL = r"[\p{L}\p{M}\p{N}]*"
_WORD = regex.compile(r"[\p{L}\p{M}\p{N}]+")
# What a one-word entry of letters must not match: a number, a number and a unit (`20g`),
# or a Latin letter and a two-digit number (`x44`, `z09`: models, like the normaliser's
# `g7`; Cyrillic `х44` is no model). The view writes a typed capital L as `L` (`L10`).
_NUMBER_LIKE = regex.compile(r"[\d$@]+(?:[.,]\d+)*\p{L}{0,2}|[a-zL][\d$@]{1,2}")
_BAD_STAR = regex.compile(r"(?<![\p{L}\p{M}\p{N}])\*|\*(?![\s\p{P}]|$)")
_MIN_STEM = 3
_END = ""  # trie key marking the end of an entry (no unit is empty)


#: Caps that keep a word list from becoming a denial of service: 100,000 entries took
#: 128 s to compile, ~800 MB a worker, and made nearly every comment time out to review.
#: 2,000 entries that share no prefix (a worst case; real lists share many) compiled in
#: 3.4 s and scanned a 1,500-character comment in 20 ms on a two-core machine.
MAX_ENTRIES_PER_RULE = 2000
MAX_WORDLIST_BYTES = 64 * 1024


@dataclass(frozen=True)
class TermMatch:
    """One hit: the entry as written in the list, and its range in `NormalizedText.text`."""

    entry: str
    start: int
    end: int


def load_wordlist(path: Path) -> list[str]:
    """Read a word list: UTF-8, one entry per line, `#` starts a comment line, blanks skipped.

    Every entry is compiled here too, so a bad line is reported with its line number
    when the policy loads, not when a comment first reaches it.
    """
    size = path.stat().st_size
    if size > MAX_WORDLIST_BYTES:
        raise PolicyError(str(path), "(file)", f"is {size} bytes; a word list may hold at most "
                                               f"{MAX_WORDLIST_BYTES} bytes")
    data = path.read_bytes()
    try:
        content = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise PolicyError(str(path), f"line {line}", "invalid UTF-8") from exc
    entries: list[str] = []
    for number, line in enumerate(content.removeprefix("\ufeff").splitlines(), start=1):
        entry = line.strip()
        if not entry or entry.startswith("#"):
            continue
        try:
            _entry_units(entry)
        except ValueError as exc:
            raise PolicyError(str(path), f"line {number}", str(exc)) from exc
        entries.append(entry)
        if len(entries) > MAX_ENTRIES_PER_RULE:
            raise PolicyError(str(path), f"line {number}", "a word list may hold at most "
                                                           f"{MAX_ENTRIES_PER_RULE} entries")
    return entries


#: Hits in values up to SHORT_TEXT characters (names, one-line comments: the ones the
#: normaliser also keeps) are kept per matcher: commenters sign with the same name every
#: time. At most SHORT_CACHE_SIZE values, oldest dropped.
SHORT_CACHE_SIZE = 4096


class TermMatcher:
    """All entries of a rule in one compiled regex, run under a timeout."""

    def __init__(self, pattern: regex.Pattern[str] | None, entries: tuple[str, ...],
                 words: frozenset[int] = frozenset(),
                 prefilter: AnchorFilter | None = None) -> None:
        self._pattern = pattern
        self._entries = entries
        self._words = words  # one-word entries of letters only: never a number
        self._prefilter = prefilter  # None: every text goes to the regex
        self._short: OrderedDict[NormalizedText, tuple[TermMatch, ...]] = OrderedDict()

    @classmethod
    def from_entries(cls, entries: Iterable[str], *, source: str) -> TermMatcher:
        """Compile once at load; an entry that cannot be matched is a `PolicyError` now.

        The entries are merged into a trie-shaped regex (shared prefixes written once),
        so at each word start the engine tests one character class, not every entry.
        """
        entries = list(entries)
        if len(entries) > MAX_ENTRIES_PER_RULE:
            raise PolicyError(source, "words", f"{len(entries)} entries; a rule may hold at "
                                               f"most {MAX_ENTRIES_PER_RULE}")
        units_of: dict[tuple[str, ...], str] = {}
        for entry in entries:
            raw = entry.strip()
            try:
                units = _entry_units(raw)
            except ValueError as exc:
                raise PolicyError(source, entry, str(exc)) from exc
            units_of.setdefault(units, raw)
        kept = tuple(units_of.values())
        if not kept:
            return cls(None, kept)
        trie: dict[str, Any] = {}
        for index, units in enumerate(units_of):
            node = trie
            for unit in units:
                node = node.setdefault(unit, {})
            node[_END] = index
        words = frozenset(i for i, entry in enumerate(kept)
                          if _WORD.fullmatch(entry.rstrip("*")) and not regex.search(r"\d", entry))
        return cls(regex.compile(f"{_LEFT}{_emit(trie)}{_RIGHT}"), kept, words,
                   AnchorFilter.build([_entry_words(entry) for entry in kept]))

    @property
    def entries(self) -> tuple[str, ...]:
        return self._entries

    def find(self, text: NormalizedText, *, timeout: float) -> list[TermMatch]:
        """Every non-overlapping hit, left to right; a regex `TimeoutError` propagates.

        A one-letter word glued onto a split word (`с м е р т ь н е в е р н ы м и`, see
        `NormalizedText.glued_letters`) is read as a word of its own first: the text is
        scanned with the glued first and last letters blanked out (same length, so offsets
        hold), then with only the last ones, only the first ones, and as normalised, so a
        real ending (`у б и л и`) still matches when nothing shorter does. A hit of a later
        scan counts where it overlaps no earlier one. The timeout covers all scans together.
        """
        if self._pattern is None:
            return []
        if len(text.original) > SHORT_TEXT:
            return self._find(text, timeout)
        # Keyed by the whole normalised value (text, offsets), not by what was typed: a
        # caller may build its own NormalizedText for the same input (a bench does).
        hits = self._short.get(text)
        if hits is None:
            hits = tuple(self._find(text, timeout))  # a timeout raises: nothing is kept
            self._short[text] = hits
        with suppress(KeyError):  # another thread may have dropped it (or emptied it) meanwhile
            self._short.move_to_end(text)
            while len(self._short) > SHORT_CACHE_SIZE:
                self._short.popitem(last=False)
        return list(hits)

    def _find(self, text: NormalizedText, timeout: float) -> list[TermMatch]:
        assert self._pattern is not None
        deadline = time.monotonic() + timeout
        leading, trailing = text.glued_letters()
        if not (leading or trailing):
            return self._scan(text, text.text, deadline)
        found: list[TermMatch] = []
        for blanked in dict.fromkeys((leading + trailing, trailing, leading, ())):
            chars = list(text.text)
            for position in blanked:
                chars[position] = " "
            for hit in self._scan(text, "".join(chars), deadline):
                if not any(hit.start < kept.end and kept.start < hit.end for kept in found):
                    found.append(hit)
        return sorted(found, key=lambda hit: hit.start)

    def _scan(self, text: NormalizedText, scanned: str, deadline: float) -> list[TermMatch]:
        """Hits in `scanned` (the normalised text, maybe blanked), through the matcher's view."""
        assert self._pattern is not None
        prefilter = self._prefilter if gates.active() else None
        if prefilter is not None:
            if deadline - time.monotonic() <= 0:
                raise TimeoutError("regex timed out")  # what the scan would say
            # The view's last step only drops separators between single letters, which
            # leaves the filter's reading unchanged: it reads the view before that step.
            if not prefilter.may_match(view.typed(text, scanned)[0]):
                return []
        seen, index = view.build(text, scanned)
        matches = self._matches(seen, deadline)
        if matches:
            # Typed capital Ls only take matches away (`SPLC` is not `spic`); where none
            # is inside a match, the matches stay as they are. Most texts have no match.
            capitals, capitals_index = view.with_capitals(text, scanned)
            if capitals is not seen and any(capitals[m.start() : m.end()] != m.group()
                                            for m in matches):
                seen, index = capitals, capitals_index
                matches = self._matches(seen, deadline)
        return self._hits(matches, index)

    def _matches(self, seen: str, deadline: float) -> list[regex.Match[str]]:
        """Every match of the pattern in a view, numbers included."""
        assert self._pattern is not None
        return list(self._pattern.finditer(seen, timeout=max(deadline - time.monotonic(), 0.0)))

    def _hits(self, matches: list[regex.Match[str]], index: Sequence[int]) -> list[TermMatch]:
        """The matches that are not numbers, mapped to the normalised text by `index`."""
        hits = []
        for m in matches:
            entry = int(m.lastgroup[1:])
            if entry in self._words and _NUMBER_LIKE.fullmatch(m.group()):
                continue
            hits.append(TermMatch(self._entries[entry], index[m.start()], index[m.end() - 1] + 1))
        return hits


def _emit(node: dict[str, Any]) -> str:
    """Regex for a trie node; the end of an entry comes last, so longer entries win."""
    branches = [unit + _emit(child) for unit, child in node.items() if unit != _END]
    if _END in node:
        branches.append(f"(?P<e{node[_END]}>)")
    return branches[0] if len(branches) == 1 else "(?:" + "|".join(branches) + ")"


def _entry_words(entry: str) -> list[tuple[str, bool]]:
    """The entry's words as its units are built from them: (normalised word, is a stem).

    ValueError names what is wrong.
    """
    if not entry:
        raise ValueError("empty entry")
    if _BAD_STAR.search(entry) or "**" in entry:
        raise ValueError("'*' is allowed only once, at the end of a word")
    # A newline stands in for '*': the normaliser never joins or drops it.
    normalized = normalize(entry.replace("*", "\n"))
    words: list[tuple[str, bool]] = []
    for match in _WORD.finditer(normalized.text):
        original_end = normalized.span(match.start(), match.end()).end
        stem = entry[original_end : original_end + 1] == "*"
        if stem and len(match.group()) < _MIN_STEM:
            raise ValueError(f"stem {match.group()!r} is shorter than {_MIN_STEM} letters")
        words.append((_four_as_a(entry, normalized, match), stem))
    return words


def _entry_units(entry: str) -> tuple[str, ...]:
    """Regex units (one per letter run, gap or stem tail); ValueError names what is wrong."""
    units: list[str] = []
    for word, stem in _entry_words(entry):
        if units:
            units.append(_GAP)
        units.extend(_word_units(word, stem))
    if not units:
        raise ValueError("no letters or digits to match")
    inner = [_INNER_STEM_TAIL if unit == _STEM_TAIL else unit for unit in units[:-1]]
    return (*inner, units[-1])


def _word_units(word: str, stem: bool) -> list[str]:
    """One unit per run of a letter (or of twin letters such as i/l, whose runs merge)."""
    parts = []
    for _key, run in groupby(word, key=lambda ch: run_key(ch) if ch.isalpha() else ch):
        letters = list(run)
        count = len(letters)
        if not letters[0].isalpha():
            parts.append(regex.escape(letters[0]) * count)
        elif may_double(letters[0]):
            # Each may be doubled or a twin; three or more may be one letter's run, which the
            # normaliser cuts to two (`кіll` folds to `кііі`, then `кіі`).
            parts.append(_run_unit(letters, min(count, 2), 2 * count))
        else:
            low, high = (1, 2) if count == 1 else (count, count)
            parts.append(_run_unit(letters, low, high))
    if stem:
        parts.append(_STEM_TAIL)
    return parts


def _run_unit(letters: list[str], low: int, high: int) -> str:
    """`low` to `high` characters that may stand for the run's letters.

    A typed capital L (`CAPITAL_L`) stands for an l only: a run of i has no L in its class
    (`SPLC` is not `spic`), and one of i and l (`kill`, `heil`) holds at least one other
    character, written as one branch per number of Ls before it.
    """
    classes = [letter_class(ch) for ch in dict.fromkeys(letters)]
    chars = frozenset().union(*classes)
    if CAPITAL_L not in chars or all(CAPITAL_L in c for c in classes):
        return _repeat(_class(chars), low, high)
    other, capital, any_char = _class(chars - {CAPITAL_L}), regex.escape(CAPITAL_L), _class(chars)
    branches = (capital * j + other + _repeat(any_char, max(low - j - 1, 0), high - j - 1)
                for j in range(high))
    return "(?:" + "|".join(branches) + ")"


def _repeat(unit: str, low: int, high: int) -> str:
    """`unit` repeated `low` to `high` times, written as briefly as the regex allows."""
    if high == 0:
        return ""
    if high == 1:
        return unit if low == 1 else f"{unit}?"
    return f"{unit}{{{low}}}" if low == high else f"{unit}{{{low},{high}}}"


def _class(chars: frozenset[str]) -> str:
    """The regex class of `chars`: what may stand for a run's letters."""
    return "[" + "".join(regex.escape(ch) for ch in sorted(chars)) + "]"


def _four_as_a(entry: str, normalized: NormalizedText, match: regex.Match[str]) -> str:
    """The word, with a `ч` the entry wrote as `4` read as `а` (whose unit accepts both)."""
    word = match.group()
    if "ч" not in word or "4" not in entry:
        return word
    return "".join(
        "а" if ch == "ч" and entry[normalized.starts[i]] == "4" else ch
        for i, ch in enumerate(word, start=match.start())
    )



# -- the exact prefilter --------------------------------------------------------------
# Every character a letter's unit accepts (its class, moderator.policy.readings) is put in
# one group with the letter, and groups that share a character are merged, so each unit
# reads as one group symbol. A match's word, read symbol by symbol with runs of one symbol
# cut to one (a unit matches one to four characters), is then exactly its entry word read
# the same way: the entry word's "anchor". Reading the whole text the same way, with every
# character of no group dropped, keeps each match's reading whole (dropping and cutting
# runs keep what a substring reads as a substring), so a text whose reading holds, for
# every entry, not all of its word anchors cannot match: the regex is not run.
_RUN = re.compile(r"(.)\1+", re.DOTALL)  # for entries only: texts are cut with numpy
_DROPPED = "\x00"  # what a character of no group reads as, before it is dropped
#: A group character must be one that `view.close_spaced` never drops (a word character
#: or `$ @`): then the view and the normalised text read alike when no digit was typed.
_KEPT_BY_VIEW = regex.compile(r"[\w$@]")


class AnchorFilter:
    """Says "no match possible" for a text that lacks an anchor of every entry (exact)."""

    def __init__(self, table: str, needs: list[tuple[str, ...]]) -> None:
        self._table = table  # BMP code point -> group symbol, or _DROPPED
        # Per entry, the anchors every match of it holds (one per word). Its longest one
        # is its trigger, searched for all at once; the rest are checked where it is found.
        triggers: dict[str, int] = {}
        self._rest: list[set[tuple[str, ...]]] = []
        for need in needs:
            trigger = max(need, key=len)
            index = triggers.setdefault(trigger, len(triggers))
            if index == len(self._rest):
                self._rest.append(set())
            self._rest[index].add(tuple(sorted(set(need) - {trigger})))
        self._triggers = AhoCorasick(list(triggers))

    @classmethod
    def build(cls, entries: list[list[tuple[str, bool]]]) -> AnchorFilter | None:
        """From each entry's words (`_entry_words`); None where no exact filter exists."""
        parent: dict[str, str] = {}

        def root(ch: str) -> str:
            parent.setdefault(ch, ch)
            while parent[ch] != ch:
                parent[ch] = parent[parent[ch]]
                ch = parent[ch]
            return ch

        def join(a: str, b: str) -> None:
            parent[root(a)] = root(b)

        for words in entries:
            for word, _stem in words:
                for ch in word:
                    members = sorted(letter_class(ch)) if ch.isalpha() else [ch]
                    for member in members:
                        join(member, ch)
        # The view reads a `$` or `@` first in a word as s or a: the same symbol either way.
        join("$", "s")
        join("@", "a")
        if any(ord(ch) > 0xFFFF or not _KEPT_BY_VIEW.match(ch) for ch in parent):
            return None
        roots = sorted({root(ch) for ch in parent})
        if len(roots) > 0x7F - 0x21:
            return None  # more groups than ASCII symbols: no filter rather than a miss
        symbol = {r: chr(0x21 + i) for i, r in enumerate(roots)}
        table = [_DROPPED] * 0x10000
        for ch in parent:
            table[ord(ch)] = symbol[root(ch)]
        needs = []
        for words in entries:
            need = tuple(_RUN.sub(r"\1", "".join(symbol[root(ch)] for ch in word))
                         for word, _stem in words)
            if not need:
                return None  # cannot happen for a loaded entry; no filter rather than a miss
            needs.append(need)
        return cls("".join(table), needs)

    def reading(self, text: str) -> str:
        """`text` as group symbols, characters of no group dropped, runs cut to one."""
        # Symbols are ASCII; astral characters (no group: the table leaves them as they
        # are) and every other non-ASCII character are dropped by the encoding.
        kept = text.translate(self._table).encode("ascii", "ignore").replace(b"\x00", b"")
        if len(kept) < 2:
            return kept.decode("ascii")
        symbols = np.frombuffer(kept, dtype=np.uint8)
        first = np.empty(len(symbols), dtype=bool)
        first[0] = True
        np.not_equal(symbols[1:], symbols[:-1], out=first[1:])
        return symbols[first].tobytes().decode("ascii")

    def may_match(self, text: str) -> bool:
        """False only when no entry can match anywhere in `text`."""
        reading = self.reading(text)
        found = self._triggers.find_matches_as_indexes(reading, overlapping=True)
        for index in {index for index, _start, _end in found}:
            for rest in self._rest[index]:
                if all(anchor in reading for anchor in rest):
                    return True
        return False
