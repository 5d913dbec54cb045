"""Stance cues: who is speaking, and to whom, as extra tokens in the word block.

The n-grams of "kill the police" are the same whether a comment calls for it or quotes
the call to condemn it (docs/classifier.md: readers who discuss terrorism are the worst
false positives). With stance cues on (`Params(stance=True)`, off as shipped), a comment
also adds tokens that say how its words are used:

* ``⟨stance:quote⟩`` per span inside quotation marks ("...", “...”, «...», „...“, and
  '...' not touching a letter), ``⟨stance:report⟩`` per reporting cue ("said",
  "according to", "заявил", "по словам"; Kazakh "деді", "деп" close the clause they
  report). The words of a quoted or reported span also add ``⟨q:word⟩`` and
  ``⟨q:word word⟩`` tokens, so the model can weigh a quoted call apart from the call.
* ``⟨stance:imp2⟩`` for a second-person imperative or hortative that opens a clause
  outside quotes ("join", "kill", "let us", "вступайте", "давайте"; Kazakh 2nd person
  plural and hortative endings such as "-ңдар", "-йық" anywhere, the verb being last);
  ``⟨stance:qimp2⟩`` for the same inside a quoted or reported span; ``⟨stance:negimp⟩``
  for a negated one ("don't", "не").
* ``⟨stance:condemn⟩`` per condemnation cue ("condemn", "shame on", "осуждаю", "позор",
  "айыптаймын").

The cue lists are data (`CUES`, `SUFFIXES`), embedded in the model card as the concept
lists are, so a model scores as it was validated whatever later edits this module gets.
Cost: one walk over a comment's words in Python, about 0.2 ms a comment over the shared
data on a busy two-core machine (training only: the option is off as shipped).
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:
    import scipy.sparse as sp

FORMAT = "stance-cues-v1"
_TOKEN_HASH = "blake2b-64-v1"
#: A quotation longer than this is taken for an unbalanced quote mark, not a quotation.
MAX_QUOTE = 300
_MAX_ENTRIES = 5_000

#: Phrases (lower-cased, words separated by single spaces) per cue kind. `report` opens
#: a reported span to the clause's end; `report_before` closes one that began at the
#: sentence's start (Kazakh puts the reporting verb last). `imperative` and `hortative`
#: count when they open a clause; `negation` + imperative is a negated call.
CUES: dict[str, tuple[str, ...]] = {
    "report": (
        # en
        "said", "says", "saying", "told", "claimed", "claims", "reported", "reportedly",
        "according to", "called for", "calls for", "calling for", "urged", "urges",
        "urging", "warned", "warns", "stated", "announced", "declared", "quoted",
        "quoting", "wrote", "tweeted", "threatened", "vowed", "allegedly",
        # ru
        "сказал", "сказала", "сказали", "заявил", "заявила", "заявили", "заявляет",
        "сообщил", "сообщила", "сообщили", "сообщает", "сообщается", "призвал",
        "призвала", "призвали", "призывает", "призывают", "по словам", "по данным",
        "по сообщению", "якобы", "пишет", "написал", "цитирует", "утверждает",
        "утверждают", "пригрозил", "пригрозили", "угрожает", "объявил", "объявили",
        # kk (reporting that opens what follows)
        "мәлімдеді", "хабарлады", "хабарлайды", "сөзінше", "мәліметінше",
        "мәлімет бойынша", "шақырды", "шақырады",
    ),
    "report_before": ("деді", "деп", "дейді", "деген", "депті"),
    "imperative": (
        # en: base forms that open a clause are imperatives
        "join", "kill", "fight", "attack", "strike", "slaughter", "behead", "burn",
        "destroy", "bomb", "shoot", "stab", "hunt", "wage", "rise", "arise", "migrate",
        "support", "spread", "share", "pledge", "donate", "prepare", "arm", "avenge",
        "punish", "crush", "exterminate", "eliminate", "execute", "target", "take up",
        "come", "go", "help", "defend", "obey", "follow", "answer", "remember",
        # ru (forms a suffix rule would miss)
        "убей", "бей", "режь", "взорви", "убивай", "вступай", "стреляй", "вставай",
        "иди", "идите",
    ),
    "hortative": (
        "let us", "let's", "let’s", "we must", "you must", "we should", "you should",
        "it is time to", "it's time to", "time to",
        "давайте", "давай", "пора", "мы должны", "вы должны", "пусть",
    ),
    "negation": ("don't", "don’t", "do not", "never", "не", "никогда"),
    "condemn": (
        # en
        "condemn", "condemns", "condemned", "condemning", "condemnation", "shame on",
        "shameful", "disgusting", "disgraceful", "despicable", "deplorable", "abhorrent",
        "heinous", "senseless", "appalling", "sickening", "brought to justice",
        "must be punished", "rest in peace", "rip", "thoughts and prayers",
        "pray for the victims", "praying for the victims", "condolences", "stand with",
        "solidarity with", "not in my name", "nothing to do with islam",
        # ru
        "осуждаю", "осуждаем", "осуждает", "осуждают", "осудить", "осуждение", "позор",
        "позорно", "позорный", "отвратительно", "мерзко", "мерзость", "гнусный",
        "гнусное", "бесчеловечно", "должны быть наказаны", "понести наказание",
        "к ответственности", "соболезную", "соболезнуем", "соболезнования", "скорбим",
        "светлая память", "вечная память", "царство небесное", "нет терроризму",
        "ничего общего с исламом", "не имеет ничего общего",
        # kk
        "айыптаймын", "айыптаймыз", "айыптайды", "айыптау", "ұят", "масқара",
        "жазалануы тиіс", "жазалансын", "көңіл айтамын", "көңіл айтамыз", "қайғырамыз",
        "терроризмге жол жоқ", "исламға қатысы жоқ",
    ),
}
#: Word endings that mark an imperative: Russian 2nd person plural (clause-opening,
#: words of 5+ letters) and Kazakh 2nd person plural and 1st person hortative (anywhere:
#: the verb comes last; words of 6+ letters).
SUFFIXES: dict[str, tuple[str, ...]] = {
    "ru_clause_start": ("йте", "ите", "ьте", "йтесь", "итесь", "ьтесь"),
    "kk_anywhere": ("ңдар", "ңдер", "ңыздар", "ңіздер", "айық", "ейік", "йық", "йік",
                    "алық", "елік"),
}
_MIN_LETTERS = {"ru_clause_start": 5, "kk_anywhere": 6}
#: Words after which the next word still opens a clause ("and join", "so kill").
_OPENERS = frozenset({"and", "so", "now", "then", "please", "o", "oh", "и", "а", "так",
                      "теперь", "ну"})

_WORD = re.compile(r"\w+(?:['’]\w+)*")
_PHRASE = re.compile(r"\w+(?:['’]\w+)*(?: \w+(?:['’]\w+)*)*")
_CLAUSE_BREAK = re.compile(r"[.!?;:,\n()\[\]\"“”«»„—–]|(?:^|\s)-(?:\s|$)")
_SENTENCE_BREAK = re.compile(r"[.!?\n]")
_QUOTE_LEAD = re.compile(r"[\s:,—–-]*[\"“«„'‘]")
_Q = "{1,%s}?" % MAX_QUOTE  # noqa: UP031 (a regex full of braces)
_QUOTES = re.compile(
    '"([^"\\n]' + _Q + ')"|“([^”\\n]' + _Q + ')”|«([^»\\n]' + _Q + ')»|„([^“”\\n]' + _Q
    + ")[“”]|(?<!\\w)'([^'\\n]" + _Q + ")'(?!\\w)|(?<!\\w)‘([^’\\n]" + _Q + ")’(?!\\w)")


def _hash(token: str) -> int:
    return int.from_bytes(hashlib.blake2b(token.encode("utf-8"), digest_size=8).digest(), "little")


@dataclass(frozen=True)
class _Word:
    text: str
    start: int
    end: int
    opens: bool  # first word of a clause


class StanceCues:
    """The cue lists, compiled for lookup; `columns` gives one comment's cue tokens."""

    def __init__(self, cues: Mapping[str, Sequence[str]],
                 suffixes: Mapping[str, Sequence[str]]) -> None:
        self.cues = {k: tuple(sorted(set(cues.get(k, ())))) for k in CUES}
        self.suffixes = {k: tuple(sorted(set(suffixes.get(k, ())), key=lambda s: (-len(s), s)))
                         for k in SUFFIXES}
        self._phrases = {kind: frozenset(tuple(p.split(" ")) for p in phrases)
                         for kind, phrases in self.cues.items()}
        self._longest = max((len(k) for t in self._phrases.values() for k in t), default=1)
        self._first_words = frozenset(k[0] for t in self._phrases.values() for k in t)
        self._token_cache: dict[str, int] = {}

    def __eq__(self, other: object) -> bool:
        return isinstance(other, StanceCues) and (self.cues, self.suffixes) == (
            other.cues, other.suffixes)

    def __hash__(self) -> int:
        return hash((tuple(self.cues.items()), tuple(self.suffixes.items())))

    # -- per comment -----------------------------------------------------------------

    def tokens(self, low: str) -> list[tuple[str, int, int]]:
        """(token, start, end) of every cue token of lower-cased `low`."""
        quotes = [(m.start() + 1, m.end() - 1) for m in _QUOTES.finditer(low)]
        words = self._words(low, quotes)
        if not words:
            return []
        texts = [w.text for w in words]
        if not quotes and self._first_words.isdisjoint(texts) \
                and not any(self._imperative_by_suffix(w) for w in words):
            return []
        out: list[tuple[str, int, int]] = []
        spans = list(quotes)
        quote_opens = {a for a, _ in quotes}
        for a, b in quotes:
            first = next((w for w in words if a <= w.start < b), None)
            if first is not None:
                out.append(("⟨stance:quote⟩", first.start, first.end))
        matches = self._matches(texts)
        # Reported spans first: a Kazakh verb before "деп" is already reported.
        for i, kind, n in matches:
            start, end = words[i].start, words[i + n - 1].end
            if kind == "report":
                out.append(("⟨stance:report⟩", start, end))
                lead = _QUOTE_LEAD.match(low, end)
                if not (lead and lead.end() in quote_opens):  # else the quotation is it
                    stop = _SENTENCE_BREAK.search(low, end)
                    spans.append((end, stop.start() if stop else len(low)))
            elif kind == "report_before":
                out.append(("⟨stance:report⟩", start, end))
                begin = max((m.end() for m in _SENTENCE_BREAK.finditer(low, 0, start)),
                            default=0)
                spans.append((begin, start))
        cue_at = {i: (kind, n) for i, kind, n in matches}
        i = 0
        while i < len(words):
            w = words[i]
            kind, n = cue_at.get(i, (None, 1))
            if kind is None:
                if self._imperative_by_suffix(w):
                    out.append((self._imp_token(words, i, spans), w.start, w.end))
            elif kind == "condemn":
                out.append(("⟨stance:condemn⟩", w.start, words[i + n - 1].end))
            elif kind in ("imperative", "hortative") and w.opens:
                out.append((self._imp_token(words, i, spans), w.start, words[i + n - 1].end))
            elif kind == "negation" and w.opens and i + n < len(words):
                nxt = words[i + n]
                after = cue_at.get(i + n, (None, 1))[0]
                if after == "imperative" or self._imperative_by_suffix(
                        _Word(nxt.text, nxt.start, nxt.end, True)):
                    out.append(("⟨stance:negimp⟩", w.start, nxt.end))
                    i += n + 1
                    continue
            i += n
        inside = [w for w in words if any(a <= w.start and w.end <= b for a, b in spans)]
        for j, w in enumerate(inside):
            out.append((f"⟨q:{w.text}⟩", w.start, w.end))
            if j + 1 < len(inside):
                nxt = inside[j + 1]
                same = any(a <= w.start and nxt.end <= b for a, b in spans)
                if same and not _CLAUSE_BREAK.search(low, w.end, nxt.start):
                    out.append((f"⟨q:{w.text} {nxt.text}⟩", w.start, nxt.end))
        return out

    def _words(self, low: str, quotes: list[tuple[int, int]]) -> list[_Word]:
        out = []
        prev_end, prev_text = 0, ""
        quote_starts = {a for a, _ in quotes}
        for m in _WORD.finditer(low):
            gap_has_break = bool(_CLAUSE_BREAK.search(low, prev_end, m.start())) or any(
                prev_end <= q <= m.start() for q in quote_starts)
            opens = not out or gap_has_break or prev_text in _OPENERS
            out.append(_Word(m.group(), m.start(), m.end(), opens))
            prev_end, prev_text = m.end(), m.group()
        return out

    def _matches(self, texts: list[str]) -> list[tuple[int, str, int]]:
        """(first word, kind, words) of every cue phrase, longest first, not overlapping."""
        out = []
        i = 0
        while i < len(texts):
            kind, n = self._match(texts, i)
            if kind is not None:
                out.append((i, kind, n))
            i += n
        return out

    def _match(self, texts: list[str], i: int) -> tuple[str | None, int]:
        """The longest cue phrase starting at word `i`: (kind, words) or (None, 1)."""
        if texts[i] not in self._first_words:
            return None, 1
        for n in range(min(self._longest, len(texts) - i), 0, -1):
            key = tuple(texts[i:i + n])
            for kind in CUES:
                if key in self._phrases[kind]:
                    return kind, n
        return None, 1

    def _imperative_by_suffix(self, w: _Word) -> bool:
        if len(w.text) >= _MIN_LETTERS["kk_anywhere"] and w.text.endswith(
                self.suffixes["kk_anywhere"]):
            return True
        return w.opens and len(w.text) >= _MIN_LETTERS["ru_clause_start"] \
            and w.text.endswith(self.suffixes["ru_clause_start"]) \
            and not w.text.isascii()

    @staticmethod
    def _imp_token(words: list[_Word], i: int, spans: list[tuple[int, int]]) -> str:
        w = words[i]
        quoted = any(a <= w.start and w.end <= b for a, b in spans)
        return "⟨stance:qimp2⟩" if quoted else "⟨stance:imp2⟩"

    def spans(self, low: str, n_features: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Word-block columns of the cue tokens of `low`, with the span each covers."""
        found = self.tokens(low)
        mask = n_features - 1
        cache = self._token_cache
        cols = []
        for token, _, _ in found:
            h = cache.get(token)
            if h is None:
                h = _hash(token)
                if len(cache) < 200_000:
                    cache[token] = h
            cols.append(h & mask)
        return (np.array(cols, dtype=np.int64),
                np.array([s for _, s, _ in found], dtype=np.int64),
                np.array([e for _, _, e in found], dtype=np.int64))

    def columns(self, low: str, n_features: int) -> np.ndarray:
        return self.spans(low, n_features)[0]

    # -- the card --------------------------------------------------------------------

    def to_dict(self) -> dict[str, Any]:
        return {"format": FORMAT, "token_hash": _TOKEN_HASH, "max_quote": MAX_QUOTE,
                "cues": {k: list(v) for k, v in self.cues.items()},
                "suffixes": {k: list(v) for k, v in self.suffixes.items()}}

    @classmethod
    def from_dict(cls, d: Any) -> StanceCues:
        """The cues a card describes; ValueError names what is wrong (loading fails)."""
        if not isinstance(d, Mapping) or d.get("format") != FORMAT \
                or d.get("token_hash") != _TOKEN_HASH or d.get("max_quote") != MAX_QUOTE:
            raise ValueError(f"stance: not a {FORMAT} table")
        cues, suffixes = d.get("cues"), d.get("suffixes")
        if not isinstance(cues, Mapping) or set(cues) != set(CUES) \
                or not isinstance(suffixes, Mapping) or set(suffixes) != set(SUFFIXES):
            raise ValueError(f"stance: 'cues' must name {sorted(CUES)}, "
                             f"'suffixes' {sorted(SUFFIXES)}")
        total = 0
        for kind, phrases in cues.items():
            if not isinstance(phrases, list) or not all(
                    isinstance(p, str) and _PHRASE.fullmatch(p) for p in phrases):
                raise ValueError(f"stance: cue list {kind!r} must hold phrases of words")
            total += len(phrases)
        for kind, ends in suffixes.items():
            if not isinstance(ends, list) or not all(
                    isinstance(s, str) and s.isalpha() for s in ends):
                raise ValueError(f"stance: suffix list {kind!r} must hold letters")
            total += len(ends)
        if total > _MAX_ENTRIES:
            raise ValueError(f"stance: at most {_MAX_ENTRIES} entries")
        return cls(cues, suffixes)


def default_cues() -> StanceCues:
    """The cues of this module (`CUES`, `SUFFIXES`): what `Params(stance=True)` trains with."""
    return StanceCues(CUES, SUFFIXES)


def stance_matrix(texts: Sequence[str], cues: StanceCues, n_features: int,
                  width: int) -> sp.csr_matrix:
    """Counts of the cue tokens alone (`concepts.token_matrix` of the cues): added to
    n-gram counts, the same matrix `count_matrix` makes with the cues in its spec."""
    from moderator.classifier.concepts import token_matrix

    return token_matrix(texts, cues, n_features, width)
