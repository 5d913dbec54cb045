"""Calls to violence, recruitment and glorification, found by a small grammar per language.

Why a grammar and not a word list: "kill" and "police" are in every news story; only
a verb in a *calling* form (imperative, "let's", "must", a command infinitive, Kazakh
"-у керек") with a target within a few words is a call, and not when it stands inside
quotes or in a sentence that reports what someone said.

Speed is the design: one Aho-Corasick automaton (ahocorasick-rs, in Rust) over every
language's trigger words finds each trigger in the text in one pass, plus a substring
search per martyr stem. Nearly every comment stops there; for the rest only the sentences
around a trigger (in text order, every one) are split into words with positions and
walked, so a partner word is looked for only in a trigger's window. Nothing here calls a
morphological analyser: the forms were all made at load (`incitement_forms.py`).

* `incitement.violence`: a violence verb in a calling form with a target in the window,
  or a short "death to ..." clause with a target;
* `incitement.recruitment`: a joining verb in a calling form with a group in the window;
* `incitement.glorification`: a martyr word with a praise word in the window.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from itertools import repeat

from ahocorasick_rs import AhoCorasick, BytesAhoCorasick, Implementation, MatchKind

from moderator.policy.incitement_forms import Form
from moderator.policy.incitement_lexicon import Lexicon, Phrase, WordSet

CODES = ("violence", "recruitment", "glorification")
_WORD = re.compile(r"\w+")
_CLAUSE_BREAK = frozenset(".!?;\n,:—–([«»\"“”„‘")
_SENTENCE_MARKS = ".!?;\n"
_SENTENCE_MARK = re.compile("[.!?;\n]")
#: How the automaton reads a text (`IncitementMatcher._haystack`): Kazakh's code page.
_HAYSTACK = "kz1048"
#: Quote marks count within this many characters of a word (a stray one covers no more).
_QUOTE_REACH = 600
_QUOTE_PAIRS = (("«", "»"), ("“", "”"), ("„", "“”"), ("‘", "’"))
# An ASCII apostrophe opens a quote before a word and closes one after it; inside a word
# (don't, cops') it is neither.
_APOSTROPHE_OPEN = re.compile(r"(?<!\w)'(?=\w)")
_APOSTROPHE_CLOSE = re.compile(r"(?<=[\w.!?,])'(?!\w)")
#: A "death to ..." clause is a call only when short: "Death to the infidels!", "Смерть
#: неверным!"; "the death of a police officer shocked the town" is news.
_DEATH_CLAUSE = 5
_NEGATION_REACH = 3
#: How near its noun a "noun verb" pair's verb must stand: `carry out attacks`.
_LIGHT_REACH = 2
_CALLING_REACH = 3
#: "Take up arms and kill ...": at most this many words from the clause's opening verb.
_COORDINATED_REACH = 6


@dataclass(frozen=True, slots=True)
class Hit:
    """One finding: its code, its range in the normalised text, and the words behind it."""

    code: str
    lang: str
    start: int
    end: int
    trigger: str
    partner: str


class IncitementMatcher:
    """All enabled languages' lexicons; `find` returns every hit in one normalised text."""

    def __init__(self, lexicons: Sequence[Lexicon]) -> None:
        self.lexicons = tuple(lexicons)
        #: Every language's trigger words (only whole `\\w+` words can match a word) and
        #: martyr stems (a stem matches where a word starts).
        triggers = sorted(w for w in frozenset().union(*(lex.triggers for lex in self.lexicons))
                          if _WORD.fullmatch(w))
        self._stems = tuple(sorted({s for lex in self.lexicons for s in lex.trigger_stems}))
        patterns = sorted({*triggers, *self._stems})
        self._patterns = patterns
        self._is_trigger = [p in set(triggers) for p in patterns]
        self._is_stem = [p in set(self._stems) for p in patterns]
        #: One automaton finds every trigger and stem in one pass (in Rust), over the text
        #: encoded one byte per character where the code page holds every pattern
        #: (`_haystack`). Leftmost-longest, so a word that is a trigger is found whole (see
        #: `_scan`). A DFA: the most memory and the fewest instructions per byte, half the
        #: NFA's on Russian text.
        one_byte = all(_encodes(p, _HAYSTACK) for p in patterns)
        self._encoding = _HAYSTACK if one_byte else None
        automaton = BytesAhoCorasick if one_byte else AhoCorasick
        self._automaton = automaton(
            [p.encode(_HAYSTACK) for p in patterns] if one_byte else patterns,
            matchkind=MatchKind.LeftmostLongest,
            implementation=Implementation.DFA) if patterns else None
        self._trigger_words = triggers

    @property
    def languages(self) -> tuple[str, ...]:
        return tuple(lex.lang for lex in self.lexicons)

    def find(self, text: str) -> list[Hit]:
        positions, found, stems = self._scan(text)
        if not positions:
            return []
        present = frozenset(stems)
        candidates = [lex for lex in self.lexicons
                      if not lex.triggers.isdisjoint(found) or not present.isdisjoint(
                          lex.trigger_stems)]
        quotes = _Quotes(text)
        hits: dict[tuple[str, int, int], Hit] = {}
        for start, chunk in _sentences_at(text, positions):
            doc = None
            for lex in candidates:
                # Only a language whose trigger (or martyr stem) is in this sentence.
                if len(candidates) > 1 and not _in_sentence(lex, found, present, chunk):
                    continue
                doc = doc or _Doc(chunk, start, quotes)
                for hit in _Walker(doc, lex, present).hits():
                    hits.setdefault((hit.code, hit.start, hit.end), hit)
        return sorted(hits.values(), key=lambda h: (h.start, h.code))

    def _haystack(self, text: str) -> bytes | str:
        """`text` as the automaton reads it: a byte per character, so a match's offsets are
        the text's own. Kazakh's code page holds every Latin, Russian and Kazakh letter;
        any other character becomes one `?`, which no pattern holds (patterns are
        letters). Half the bytes of UTF-8 for Cyrillic, and no offsets to convert: a fifth
        less time than the str search of ahocorasick-rs, which maps every byte of the
        UTF-8 text to its character on each call. That search stays for a lexicon with a
        letter outside the code page."""
        if self._encoding is None:
            return text
        return text.encode("ascii") if text.isascii() else text.encode(self._encoding, "replace")

    def _trigger_positions(self, text: str) -> tuple[list[int], set[str]]:
        """Where each trigger word starts (text order), and which triggers occur."""
        positions, found, _ = self._scan(text, stems=False)
        return positions, found

    def _scan(self, text: str, *, stems: bool = True) -> tuple[list[int], set[str], set[str]]:
        """Where a trigger word or a martyr stem starts a word (text order), the trigger
        words, and the stems found.

        The automaton's leftmost-longest matches, kept where a word starts: exact, because
        a pattern is all word characters, so a match that starts inside a word can hide
        no other (a word's start follows a non-word character, never one inside the
        match), and a word that is a trigger is the longest match where it starts. Any
        stem that starts a word there too is looked up at that one place."""
        if self._automaton is None:
            return [], set(), set()
        positions: list[int] = []
        found: set[str] = set()
        stems_found: set[str] = set()
        patterns, is_trigger, is_stem = self._patterns, self._is_trigger, self._is_stem
        last = len(text)
        for index, start, end in self._automaton.find_matches_as_indexes(self._haystack(text)):
            if start and _is_word(text[start - 1]):
                continue
            at_word = False
            if is_trigger[index] and (end == last or not _is_word(text[end])):
                found.add(patterns[index])
                at_word = True
            if stems and (is_stem[index] or text.startswith(self._stems, start)):
                stems_found.update(s for s in self._stems if text.startswith(s, start))
                at_word = True
            if at_word:
                positions.append(start)
        return positions, found, stems_found


def _encodes(pattern: str, encoding: str) -> bool:
    """Has `encoding` a byte for every character of `pattern`?"""
    try:
        pattern.encode(encoding)
    except UnicodeEncodeError:
        return False
    return True


def _in_sentence(lex: Lexicon, found: set[str], stems: frozenset[str], chunk: str) -> bool:
    """May `lex` hit in `chunk`: one of its triggers found in the text is in it (as a
    substring: a superset of the words), or one of its martyr stems?"""
    return any(word in chunk for word in found if word in lex.triggers) or any(
        stem in chunk for stem in lex.trigger_stems if stem in stems)


def _is_word(char: str) -> bool:
    """What `\\w` matches: a letter, digit or number, or the underscore."""
    return char.isalnum() or char == "_"


def _sentences_at(text: str, positions: list[int]) -> list[tuple[int, str]]:
    """The sentences (start, text) around `positions` (sorted): `rfind`/`find` of the
    sentence marks around each (a comment of links has hundreds of dots, so walking every
    sentence would cost more than the rest)."""
    spans: list[tuple[int, int]] = []
    end = -1
    for at in positions:
        if at < end:  # in the last sentence: the sentences come in order and never overlap
            continue
        start = max(map(text.rfind, _SENTENCE_MARKS, repeat(0), repeat(at))) + 1
        stop = _SENTENCE_MARK.search(text, at)
        end = stop.start() if stop else len(text)
        spans.append((start, end))
    return [(start, text[start:end]) for start, end in spans]


class _Quotes:
    """Is a position inside quotes? Looked up only for a candidate hit, from the marks
    within `_QUOTE_REACH` characters on either side."""

    def __init__(self, text: str) -> None:
        self._text = text

    def covers(self, position: int) -> bool:
        text = self._text
        before = text[max(0, position - _QUOTE_REACH):position]
        after = text[position:position + _QUOTE_REACH]
        for opening, closings in _QUOTE_PAIRS:
            at = before.rfind(opening)
            if at != -1 and all(before.rfind(c) < at for c in closings) \
                    and any(c in after for c in closings):
                return True
        if before.count('"') % 2 and '"' in after:
            return True
        if "'" not in before:
            return False
        openers = [m.start() for m in _APOSTROPHE_OPEN.finditer(before)]
        if openers and _APOSTROPHE_CLOSE.search(after):
            last_close = [m.start() for m in _APOSTROPHE_CLOSE.finditer(before)]
            return not last_close or last_close[-1] < openers[-1]
        return False


class _Doc:
    """One sentence split into words with positions (in the whole text) and clause starts."""

    def __init__(self, chunk: str, offset: int, quotes: _Quotes) -> None:
        self._chunk = self.chunk = chunk
        self._matches = list(_WORD.finditer(chunk))
        self.words: list[str] = list(map(re.Match.group, self._matches))
        self._offset = offset
        self._quotes = quotes

    def start(self, index: int) -> int:
        return self._matches[index].start() + self._offset

    def end(self, index: int) -> int:
        return self._matches[index].end() + self._offset

    def starts_clause(self, index: int) -> bool:
        """First word, or after a comma, colon, dash, bracket or quote mark."""
        if not index:
            return True
        gap = self._chunk[self._matches[index - 1].end():self._matches[index].start()]
        return gap != " " and not _CLAUSE_BREAK.isdisjoint(gap)

    def quoted(self, index: int) -> bool:
        return self._quotes.covers(self.start(index))

    def clause_range(self, index: int) -> range:
        lo = index
        while lo > 0 and not self.starts_clause(lo):
            lo -= 1
        hi = index
        while hi + 1 < len(self.words) and not self.starts_clause(hi + 1):
            hi += 1
        return range(lo, hi + 1)


class _Walker:
    """One language's grammar over one document."""

    def __init__(self, doc: _Doc, lex: Lexicon, stems: frozenset[str]) -> None:
        self.doc = doc
        self.lex = lex
        #: The martyr stems that occur in the text at all: no other can start a word here.
        self._stems = tuple(stem for stem in lex.martyrs.stems if stem in stems)
        self._reported: list[int] | None = None

    def hits(self) -> list[Hit]:
        found = []
        lex, words = self.lex, self.doc.words
        triggers, stems = lex.triggers, self._stems
        if stems:
            at = [i for i, word in enumerate(words)
                  if word in triggers or word.startswith(stems)]
        else:
            at = [i for i, word in enumerate(words) if word in triggers]
        for i in at:
            word = words[i]
            form = lex.violence.get(word)
            light = form is None and word in lex.light
            if light:
                form = self._light(i)
            # The partner first: cheaper than the calling form, and most often absent.
            # "open fire on the police": the preposition belongs to the pair.
            pair = None if form is None else self._partner(i, lex.targets, blocked=not light)
            if pair is not None and self._calling(i, form) and self._stands(i, pair[1]):
                found.append(self._hit("violence", i, *pair))
            if word in lex.death:
                partner = self._death_target(i)
                if partner is not None and self._stands(i, partner):
                    found.append(self._hit("violence", i, partner))
            form = lex.join.get(word)
            pair = None if form is None else self._partner(i, lex.groups)
            if pair is not None and self._calling(i, form) and self._stands(i, pair[1]):
                found.append(self._hit("recruitment", i, *pair))
            if lex.martyrs.has(word):
                partner = self._praise(i)
                if partner is not None and self._stands(i, partner):
                    found.append(self._hit("glorification", i, partner))
        return found

    def _light(self, i: int) -> Form | None:
        """The form of a verb violent only near its noun (`шабуыл жасаңдар`), if it is."""
        form, nouns = self.lex.light[self.doc.words[i]]
        words = self.doc.words
        near = words[max(i - _LIGHT_REACH, 0):i] + words[i + 1:i + 1 + _LIGHT_REACH]
        return form if any(nouns.has(word) for word in near) else None

    def _hit(self, code: str, i: int, j: int, far: int | None = None) -> Hit:
        """Trigger `i`, partner `j`; a partner phrase runs from `j` to `far`."""
        doc = self.doc
        far = j if far is None else far
        a, b = min(i, j, far), max(i, j, far)
        partner = " ".join(doc.words[min(j, far):max(j, far) + 1])
        return Hit(code, self.lex.lang, doc.start(a), doc.end(b), doc.words[i], partner)

    def _calling(self, i: int, form: Form) -> bool:
        """Is the verb at `i` a call: imperative, or a base form where a call puts one?"""
        doc, lex = self.doc, self.lex
        if self._negated(i):
            return False
        if form is Form.IMPERATIVE:
            return True
        if form is Form.NECESSITY:
            for k in range(i + 1, min(i + 3, len(doc.words))):
                if lex.necessity.has(doc.words[k]):
                    after = doc.words[k + 1] if k + 1 < len(doc.words) else ""
                    return after not in lex.negation_after
            return False
        if doc.starts_clause(i):
            return True
        lo = i
        while lo > 0 and i - lo < _CALLING_REACH and not doc.starts_clause(lo):
            lo -= 1
            if _phrase_ends(doc.words, lo + 1, lex.calling):
                return not self._negated(lo)
        return self._coordinated(i)

    def _coordinated(self, i: int) -> bool:
        """A base verb joined by `and`/`then` to an imperative that opens its clause: "Rise
        up and kill", "take up arms and slaughter" (but "they take up arms and kill" is a
        description: its clause opens with a subject). The opener may follow a calling
        word: "let's go out and kill"."""
        doc, lex = self.doc, self.lex
        if not lex.openers or not _phrase_ends(doc.words, i, lex.coordinators):
            return False
        lo = i
        while lo > 0 and not doc.starts_clause(lo):
            lo -= 1
        if i - lo > _COORDINATED_REACH:
            return False
        words = doc.words
        for k in range(lo, i):
            if words[k] in lex.openers or lex.violence.get(words[k]) is Form.BASE:
                return k == lo or _phrase_ends(words, k, lex.calling)
        return False

    def _negated(self, i: int) -> bool:
        """A negation within a few words before `i`, in its clause (`don't`, `не`, `нельзя`)."""
        doc, lex = self.doc, self.lex
        for end in range(i, max(i - _NEGATION_REACH, 0) - 1, -1):
            if doc.starts_clause(end):
                break
            if _phrase_ends(doc.words, end, lex.negation_before):
                return True
        return False

    def _partner(self, i: int, wanted: WordSet, *,
                 blocked: bool = True) -> tuple[int, int] | None:
        """The nearest wanted word or phrase in the window, within the sentence, not past a
        blocker, as (its index nearest `i`, its far end); on a tie, the side the language
        puts its objects on."""
        doc, lex = self.doc, self.lex
        words = doc.words
        after = None
        for k in range(i + 1, min(i + 1 + lex.after, len(words))):
            if blocked and words[k] in lex.blockers and not self._unblocked(k):
                break
            end = wanted.reach(words, k, True)
            if end is not None:
                after = (k, end)
                break
        before = None
        for k in range(i - 1, max(i - 1 - lex.before, -1), -1):
            end = wanted.reach(words, k, False)
            if end is not None:
                before = (k, end)
                break
        if after is None or before is None:
            return after if before is None else before
        object_first = lex.before > lex.after
        return before if (i - before[0], not object_first) <= (after[0] - i,
                                                                object_first) else after

    def _unblocked(self, k: int) -> bool:
        """Is the blocker at `k` the first or last word of an unblocking phrase ("at least")?"""
        words, phrases = self.doc.words, self.lex.unblocking
        return bool(phrases) and (_phrase_ends(words, k + 1, phrases)
                                  or _phrase_ends(words, k + 2, phrases))

    def _death_target(self, i: int) -> int | None:
        """A target in the short clause of a "death" word; "Death to the police and death
        to the judges!" is two clauses, each cut at the next "death"."""
        words, death = self.doc.words, self.lex.death
        clause = self.doc.clause_range(i)
        lo = clause.start if not any(words[k] in death for k in range(clause.start, i)) else i
        hi = next((k for k in range(i + 1, clause.stop) if words[k] in death), clause.stop)
        if hi - lo > _DEATH_CLAUSE:
            return None
        for k in range(lo, hi):
            if k != i and self.lex.targets.has(words[k]):
                return k
        return None

    def _praise(self, i: int) -> int | None:
        """The praise word near a martyr word: within the window, or within `praise_reach`
        in the martyr word's own clause ("the shaheed who blew himself up ... is in jannah";
        not past a comma: "shaheed go to firdaus, the highest level of jannah")."""
        doc, lex = self.doc, self.lex
        near = max(lex.before, lex.after) + 1
        reach = max(lex.praise_reach, near)
        clause: range | None = None
        for k in range(max(i - reach, 0), min(i + reach + 1, len(doc.words))):
            if k != i and lex.praise.has(doc.words[k]):
                if abs(k - i) > near:
                    clause = clause or doc.clause_range(i)
                    if k not in clause:
                        continue
                lo, hi = min(i, k), max(i, k)
                if any(self._negated(m) for m in range(lo, hi + 1)):
                    return None
                if any(doc.words[m] in lex.negation_after for m in range(lo, hi + 2)
                       if m < len(doc.words)):
                    return None
                return k
        return None

    def _reporting_words(self) -> list[int]:
        """Where the sentence's reporting words are; most sentences have none, which one
        set test (and a substring test per stem) tells without a look-up per word."""
        doc, reporting = self.doc, self.lex.reporting
        if reporting.words.isdisjoint(doc.words) and not any(
                stem in doc.chunk for stem in reporting.stems):
            return []
        return [k for k, word in enumerate(doc.words) if reporting.has(word)]

    def _stands(self, i: int, j: int) -> bool:
        """Not quoted and not reported: no reporting word in the sentence, but for one that
        opens a relative clause past the hit ("the judges who jailed our brothers")."""
        doc, lex = self.doc, self.lex
        if doc.quoted(i) or doc.quoted(j):
            return False
        if self._reported is None:  # once per sentence, not per candidate hit
            self._reported = self._reporting_words()
        end = max(i, j)
        words, relative = doc.words, lex.relative
        return all(k > end and k > 0 and words[k - 1] in relative for k in self._reported)


def _phrase_ends(words: list[str], end: int, phrases: dict[str, tuple[Phrase, ...]]) -> bool:
    """Does one of `phrases` (keyed by their last word) end just before index `end`?"""
    if not 0 < end <= len(words):
        return False
    for phrase in phrases.get(words[end - 1], ()):
        start = end - len(phrase)
        if start >= 0 and tuple(words[start:end]) == phrase:
            return True
    return False
