"""Shared concept tokens: what the model learns from English calls can carry to Russian and Kazakh.

The model learned propaganda from English (docs/classifier.md, "Languages"): a Russian
or Kazakh word has its own hash columns, which almost no propaganda row ever set. The
incitement lexicons (`rules/incitement/<lang>/`) already name the same concepts in every
language (violence verbs in their calling forms, targets, groups, joining verbs, martyrs,
praise, reporting words), with Russian forms from pymorphy3 and Kazakh forms and stems
from suffix rules. With concept features on, every word whose form is in a concept list
also adds one token such as ``⟨concept:violence⟩`` to the word block, the same column in
every language, and (with pairs) one ``⟨concept:targets+violence⟩`` token for two
concepts within `WINDOW` words of each other: the weight English rows give the column
is what a Russian "убивайте" or a Kazakh "өлтіріңдер" then gets.

Why the lists are embedded in the model card and not read from `rules/` at load: a
model must score exactly as it was validated, whatever a site later edits in its rule
lists, and loading it must need neither pymorphy3 nor the rules folder. The card holds
the expanded forms (about 3,000 words, ~100 KB of the card) and the sha256 of every rules
file they came from; `model.npz` is unchanged. The lexicons are read only when a model
is *trained* with the flag on (`from_rules`), through the incitement rules' own loader.

Cost per comment: one `re.findall` and one set intersection (plus a substring test per
stem); only a comment holding a concept word is walked token by token.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

import numpy as np

if TYPE_CHECKING:
    import scipy.sparse as sp

FORMAT = "incitement-concepts-v1"
#: The lexicon lists that become concepts (the "noun verb" pairs of violence.txt do not:
#: their verbs, "make", "open", are violent only beside their noun).
CONCEPTS = ("violence", "death", "targets", "join", "groups", "martyrs", "praise", "reporting")
#: Two concepts within this many words of each other make a pair token (the incitement
#: grammar's widest window).
WINDOW = 4
LANGUAGES = ("en", "ru", "kk")
DEFAULT_RULES = Path(__file__).resolve().parents[2] / "rules" / "incitement"
_MAX_WORDS = 50_000
_MIN_STEM = 3
_NAME = re.compile(r"[a-z]+")
_WORD = re.compile(r"\w+")
_TOKEN_HASH = "blake2b-64-v1"


def _fold(low: str) -> str:
    """The lexicon's folding of lower-cased text: `ё` is `е`; same length, so spans hold."""
    return low.replace("ё", "е")


def _hash(token: str) -> int:
    return int.from_bytes(hashlib.blake2b(token.encode("utf-8"), digest_size=8).digest(), "little")


class ConceptTable:
    """Concept word lists, looked up as a dict (whole forms) and a 3-letter stem index."""

    def __init__(self, lists: Mapping[str, tuple[Iterable[str], Iterable[str]]], pairs: bool,
                 source: Mapping[str, Any] | None = None) -> None:
        self.names = tuple(sorted(lists))
        self.pairs = pairs
        self.source = dict(source or {})
        self.lists = {name: (tuple(sorted(set(lists[name][0]))), tuple(sorted(set(lists[name][1]))))
                      for name in self.names}
        words: dict[str, list[int]] = {}
        stems: dict[str, list[tuple[str, int]]] = {}
        for index, name in enumerate(self.names):
            forms, prefixes = self.lists[name]
            for word in forms:
                words.setdefault(word, []).append(index)
            for stem in prefixes:
                stems.setdefault(stem[:_MIN_STEM], []).append((stem, index))
        self._words = {w: tuple(ix) for w, ix in words.items()}
        self._word_set = frozenset(self._words)
        self._stem_index = {k: tuple(v) for k, v in stems.items()}
        all_stems = tuple(sorted({s for v in stems.values() for s, _ in v}))
        self._stems = all_stems
        self._ascii_stems = tuple(s for s in all_stems if s.isascii())
        self._unit = np.array([_hash(f"⟨concept:{n}⟩") for n in self.names], dtype=np.uint64)
        k = len(self.names)
        self._pair = np.array([[_hash(f"⟨concept:{self.names[min(a, b)]}+"
                                      f"{self.names[max(a, b)]}⟩") for b in range(k)]
                               for a in range(k)], dtype=np.uint64).reshape(k, k)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, ConceptTable) and self._key() == other._key()

    def __hash__(self) -> int:
        return hash(self._key())

    def _key(self) -> tuple[object, ...]:
        return (self.pairs, tuple(self.lists.items()))

    # -- per comment -----------------------------------------------------------------

    def occurrences(self, low: str) -> list[tuple[int, int, int, int]]:
        """(concept, token index, start, end) of every concept word in lower-cased `low`."""
        text = _fold(low)
        tokens = _WORD.findall(text)
        stems = self._ascii_stems if text.isascii() else self._stems
        if self._word_set.isdisjoint(tokens) and not any(s in text for s in stems):
            return []
        out = []
        for i, m in enumerate(_WORD.finditer(text)):
            token = m.group()
            for index in self._words.get(token, ()):
                out.append((index, i, m.start(), m.end()))
            for stem, index in self._stem_index.get(token[:_MIN_STEM], ()):
                if token.startswith(stem):
                    out.append((index, i, m.start(), m.end()))
        return out

    def spans(self, low: str, n_features: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Word-block columns of the concept tokens of `low`, with the span each covers."""
        found = sorted(set(self.occurrences(low)), key=lambda o: (o[1], o[0]))
        hashes: list[int] = []
        starts: list[int] = []
        ends: list[int] = []
        for a, (ca, ia, sa, ea) in enumerate(found):
            hashes.append(int(self._unit[ca]))
            starts.append(sa)
            ends.append(ea)
            if not self.pairs:
                continue
            for b in range(a + 1, len(found)):
                cb, ib, _sb, eb = found[b]
                if ib - ia > WINDOW:
                    break
                if cb != ca:
                    hashes.append(int(self._pair[ca, cb]))
                    starts.append(sa)
                    ends.append(eb)
        mask = np.uint64(n_features - 1)
        cols = (np.array(hashes, dtype=np.uint64) & mask).astype(np.int64)
        return cols, np.array(starts, dtype=np.int64), np.array(ends, dtype=np.int64)

    def columns(self, low: str, n_features: int) -> np.ndarray:
        return self.spans(low, n_features)[0]

    # -- the card --------------------------------------------------------------------

    def to_dict(self) -> dict[str, Any]:
        return {"format": FORMAT, "token_hash": _TOKEN_HASH, "window": WINDOW,
                "pairs": self.pairs, "source": self.source,
                "lists": {name: {"words": list(forms), "stems": list(prefixes)}
                          for name, (forms, prefixes) in self.lists.items()}}

    @classmethod
    def from_dict(cls, d: Any) -> ConceptTable:
        """The table a card describes; ValueError names what is wrong (loading fails)."""
        if not isinstance(d, Mapping) or d.get("format") != FORMAT \
                or d.get("token_hash") != _TOKEN_HASH or d.get("window") != WINDOW:
            raise ValueError(f"concepts: not a {FORMAT} table with window {WINDOW}")
        if not isinstance(d.get("pairs"), bool) or not isinstance(d.get("lists"), Mapping):
            raise ValueError("concepts: 'pairs' must be true or false, 'lists' an object")
        lists: dict[str, tuple[list[str], list[str]]] = {}
        total = 0
        for name, entry in d["lists"].items():
            if not isinstance(name, str) or not _NAME.fullmatch(name) \
                    or not isinstance(entry, Mapping):
                raise ValueError(f"concepts: bad list {name!r}")
            forms, prefixes = entry.get("words"), entry.get("stems")
            if not _strings(forms) or not _strings(prefixes) \
                    or any(len(s) < _MIN_STEM for s in prefixes):  # type: ignore[union-attr]
                raise ValueError(f"concepts: list {name!r} must hold 'words' and 'stems' "
                                 f"(single words; stems of {_MIN_STEM}+ letters)")
            total += len(forms) + len(prefixes)  # type: ignore[arg-type]
            lists[name] = (forms, prefixes)  # type: ignore[assignment]
        if not lists or total > _MAX_WORDS:
            raise ValueError(f"concepts: between 1 and {_MAX_WORDS} words expected")
        source = d.get("source", {})
        return cls(lists, d["pairs"], source if isinstance(source, Mapping) else {})


def _strings(values: object) -> bool:
    return isinstance(values, list) and all(
        isinstance(v, str) and v and _WORD.fullmatch(v) for v in values)


class TokenSource(Protocol):
    """Anything that hashes extra tokens of a lower-cased text into columns (concepts, stance)."""

    def columns(self, low: str, n_features: int) -> np.ndarray: ...


def token_matrix(texts: Sequence[str], source: TokenSource, n_features: int,
                 width: int) -> sp.csr_matrix:
    """Counts of `source`'s tokens alone: added to n-gram counts, the same matrix
    `count_matrix` makes with the source in its spec (so a bench counts n-grams once)."""
    import scipy.sparse as sp

    from moderator.classifier.hashing import lowercase

    rows: list[np.ndarray] = []
    cols: list[np.ndarray] = []
    for i, text in enumerate(texts):
        c = source.columns(lowercase(text), n_features)
        if len(c):
            rows.append(np.full(len(c), i, dtype=np.int64))
            cols.append(c)
    if not cols:
        return sp.csr_matrix((len(texts), width), dtype=np.float32)
    r, c = np.concatenate(rows), np.concatenate(cols)
    out = sp.csr_matrix((np.ones(len(r), dtype=np.float32), (r, c)), shape=(len(texts), width))
    out.sum_duplicates()
    return out


def concept_matrix(texts: Sequence[str], table: ConceptTable, n_features: int,
                   width: int) -> sp.csr_matrix:
    """Counts of the concept tokens alone (`token_matrix` of the table)."""
    return token_matrix(texts, table, n_features, width)


def from_rules(pairs: bool = True, folder: Path = DEFAULT_RULES,
               languages: Sequence[str] = LANGUAGES) -> ConceptTable:
    """The concept table of the incitement lexicons in `folder`, read by their own loader.

    Imported here, at training time only: serving a model never touches the rules.
    """
    from moderator.policy.incitement_lexicon import LISTS, load_lexicon

    words: dict[str, set[str]] = {name: set() for name in CONCEPTS}
    stems: dict[str, set[str]] = {name: set() for name in CONCEPTS}
    files: dict[str, str] = {}
    for lang in languages:
        lex = load_lexicon(folder / lang, lang)
        words["violence"].update(lex.violence)
        words["death"].update(lex.death)
        words["join"].update(lex.join)
        for name in ("targets", "groups", "martyrs", "praise", "reporting"):
            wordset = getattr(lex, name)
            words[name].update(wordset.words)
            stems[name].update(wordset.stems)
        for name in ("grammar.toml", *(f"{n}.txt" for n in LISTS)):
            path = folder / lang / name
            if path.is_file():
                files[f"{lang}/{name}"] = hashlib.sha256(path.read_bytes()).hexdigest()
    lists = {name: (sorted(w for w in words[name] if _WORD.fullmatch(w)), sorted(stems[name]))
             for name in CONCEPTS}
    source = {"rules": "rules/incitement", "languages": list(languages), "sha256": files}
    return ConceptTable(lists, pairs, source)
