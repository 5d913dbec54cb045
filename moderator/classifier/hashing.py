"""Hashed word 1-2 grams and char_wb 2-5 grams, computed with numpy instead of per-n-gram Python.

The features are those of scikit-learn's `HashingVectorizer` with `analyzer="word",
ngram_range=(1, 2)` and `analyzer="char_wb", ngram_range=(2, 5)` (the plain baseline of
docs/classifier.md), but a 1,500-character comment makes ~6,000 character n-grams and
scikit-learn builds each as a Python string. Here every n-gram's hash comes from prefix
sums of a polynomial rolling hash over the code points, for all windows of one length in
one array operation: the same feature space (different hash function) at a fraction of
the cost. Training and scoring use this one module, so they always agree.

`count_rows` is the batch path: CSR arrays of counts, numpy only, from the compiled
counter (`_ngrams.c`, see `native.py`) when it was built, else from the numpy code
here, which stays the reference the compiled one is tested against row by row.

Column layout: [0, n) word n-grams, [n, 2n) character n-grams, n = `n_features`. With a
concept table in the spec (`concepts.py`, off in the shipped recipe), its shared concept
tokens are counted in the word block too, as are stance cue tokens (`stance.py`, off).
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
import regex

from moderator.classifier import native
from moderator.classifier.concepts import ConceptTable
from moderator.classifier.stance import StanceCues

if TYPE_CHECKING:
    import scipy.sparse as sp

_WORD_CHAR = regex.compile(r"\w")
_NON_WORD_RUN = regex.compile(r"\W+")
_SPACE, _WORDCHAR = np.uint8(1), np.uint8(2)


def char_class(code: int) -> int:
    """2 = a regex word character (`\\w`), 1 = what `str.split()` splits on, 0 = else.
    Tokens are runs of 2+ word characters, as scikit-learn's default `token_pattern`;
    `char_wb` words are what lies between whitespace."""
    ch = chr(code)
    return int(_SPACE) if ch.isspace() else int(_WORDCHAR) if _WORD_CHAR.match(ch) else 0


def _char_classes() -> np.ndarray:
    """`char_class` of every BMP code point, from two scans of one string by C code (a
    loop of 65,536 calls would cost every process that scores ~40 ms at start-up)."""
    every = np.arange(0x10000, dtype="<u4").tobytes().decode("utf-32-le", "surrogatepass")
    table = np.zeros(0x10000, dtype=np.uint8)
    table[_code_points(_NON_WORD_RUN.sub("", every))] = _WORDCHAR
    not_space = np.zeros(0x10000, dtype=bool)
    not_space[_code_points("".join(every.split()))] = True
    table[~not_space] = _SPACE  # tested first in `char_class`, so it wins
    return table


def _code_points(text: str) -> np.ndarray:
    return np.frombuffer(text.encode("utf-32-le", "surrogatepass"), dtype=np.uint32)


_CLASSES = _char_classes()
_CLASS_BYTES = _CLASSES.tobytes()


def _classes(codes: np.ndarray) -> np.ndarray:
    out = _CLASSES[np.minimum(codes, 0xFFFF)]
    astral = np.flatnonzero(codes > 0xFFFF)
    for i in astral:  # rare: emoji are neither; some scripts are word characters
        out[i] = char_class(int(codes[i]))
    return out


def _runs(mask: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Start and end of every run of True in `mask`."""
    edges = np.flatnonzero(np.diff(np.concatenate(([0], mask.astype(np.int8), [0]))))
    return edges[0::2], edges[1::2]

_BASE = np.uint64(0x100000001B3)  # odd, so invertible modulo 2**64
_BASE_INV = np.uint64(pow(0x100000001B3, -1, 1 << 64))
_PAIR = np.uint64(0x9E3779B97F4A7C15)
_MIX1 = np.uint64(0xBF58476D1CE4E5B9)
_MIX2 = np.uint64(0x94D049BB133111EB)
_LENGTH_SALT = np.uint64(0xD6E8FEB86659FD93)


def _powers(base: np.uint64, n: int) -> np.ndarray:
    out = np.empty(n, dtype=np.uint64)
    out[0] = 1
    if n > 1:
        with np.errstate(over="ignore"):
            out[1:] = base
            np.multiply.accumulate(out, out=out)
    return out


#: Powers kept for texts up to this many characters (2 x 8 bytes each: 4 MiB); a longer
#: text gets its own, freed with it, so no input can grow what a worker keeps.
_KEPT_POWERS = 1 << 18


@functools.cache
def _kept_powers() -> tuple[np.ndarray, np.ndarray]:
    """Made on first use: a process that scores with the compiled counter never needs them."""
    return _powers(_BASE, _KEPT_POWERS), _powers(_BASE_INV, _KEPT_POWERS)


def _power_tables(n: int) -> tuple[np.ndarray, np.ndarray]:
    """BASE**i and BASE**-i modulo 2**64 for i < n."""
    if n <= _KEPT_POWERS:
        return _kept_powers()
    return _powers(_BASE, n), _powers(_BASE_INV, n)


def _mix(h: np.ndarray) -> np.ndarray:
    """splitmix64's finaliser: spreads the polynomial hash over all bits before the modulo."""
    with np.errstate(over="ignore"):
        h = (h ^ (h >> np.uint64(30))) * _MIX1
        h = (h ^ (h >> np.uint64(27))) * _MIX2
        return h ^ (h >> np.uint64(31))


def lowercase(text: str) -> str:
    """`text.lower()` with one character per character, so positions stay positions."""
    low = text.lower()
    if len(low) == len(text):
        return low
    return "".join(c.lower() if len(c.lower()) == 1 else c for c in text)


def _prefix(codes: np.ndarray, up: np.ndarray) -> np.ndarray:
    """H[i] = sum_{k<i} (code_k + 1) * BASE**k  (mod 2**64)."""
    out = np.zeros(len(codes) + 1, dtype=np.uint64)
    with np.errstate(over="ignore"):
        np.cumsum((codes.astype(np.uint64) + np.uint64(1)) * up[: len(codes)], out=out[1:])
    return out


def _span_hashes(prefix: np.ndarray, down: np.ndarray, starts: np.ndarray,
                 ends: np.ndarray) -> np.ndarray:
    """Position-independent hash of every substring [start, end), salted by its length."""
    with np.errstate(over="ignore"):
        h = (prefix[ends] - prefix[starts]) * down[starts]
        return _mix(h + (ends - starts).astype(np.uint64) * _LENGTH_SALT)


@dataclass(frozen=True)
class NgramSpec:
    """Which n-grams and how many hash columns per block: recorded in the model card."""

    n_features: int = 1 << 20
    word_ngrams: tuple[int, int] = (1, 2)
    char_ngrams: tuple[int, int] = (2, 5)
    #: Shared concept tokens in the word block (None: the plain recipe, as shipped).
    concepts: ConceptTable | None = None
    #: Stance cue tokens in the word block (None: the plain recipe, as shipped).
    stance: StanceCues | None = None

    def to_dict(self) -> dict[str, object]:
        out: dict[str, object] = {
            "n_features": self.n_features, "word_ngrams": list(self.word_ngrams),
            "char_ngrams": list(self.char_ngrams), "hash": "polynomial-splitmix64-v1",
            "lowercase": True, "char_analyzer": "char_wb"}
        if self.concepts is not None:
            out["concepts"] = self.concepts.to_dict()
        if self.stance is not None:
            out["stance"] = self.stance.to_dict()
        return out

    @classmethod
    def from_dict(cls, d: dict[str, object]) -> NgramSpec:
        if d.get("hash") != "polynomial-splitmix64-v1":
            raise ValueError(f"unknown n-gram hash {d.get('hash')!r}")
        n = int(d["n_features"])  # type: ignore[call-overload]
        if n <= 0 or n & (n - 1):
            raise ValueError("n_features must be a power of two")
        word = tuple(int(x) for x in d["word_ngrams"])  # type: ignore[attr-defined]
        char = tuple(int(x) for x in d["char_ngrams"])  # type: ignore[attr-defined]
        if len(word) != 2 or len(char) != 2 or not (1 <= word[0] <= word[1] <= 2) \
                or not (1 <= char[0] <= char[1] <= 8):
            raise ValueError("n-gram ranges out of bounds")
        concepts = ConceptTable.from_dict(d["concepts"]) if "concepts" in d else None
        stance = StanceCues.from_dict(d["stance"]) if "stance" in d else None
        return cls(n, word, char, concepts, stance)  # type: ignore[arg-type]

    def extra_columns(self, low: str) -> np.ndarray:
        """Word-block columns of the concept and stance tokens of lower-cased `low`."""
        parts = [t.columns(low, self.n_features) for t in (self.concepts, self.stance)
                 if t is not None]
        return np.concatenate(parts) if parts else np.zeros(0, np.int64)

    @property
    def has_extras(self) -> bool:
        return self.concepts is not None or self.stance is not None

    @property
    def width(self) -> int:
        return 2 * self.n_features


@dataclass(frozen=True)
class Grams:
    """The hashed n-grams of one text: columns, and where in the text each came from."""

    columns: np.ndarray  # int64, one per n-gram occurrence
    starts: np.ndarray   # span into the lowercased (= typed) text
    ends: np.ndarray
    is_char: np.ndarray  # bool: character n-gram (else word n-gram)


def grams(text: str, spec: NgramSpec, with_spans: bool = False) -> Grams | np.ndarray:
    """Hash columns of every n-gram occurrence of `text` (and their spans if asked)."""
    low = lowercase(text)
    counter = native.counter()
    if with_spans and counter is not None and native.handles(spec.n_features, spec.char_ngrams):
        cols, starts, ends = compiled_spans(low, spec, counter)
    else:
        cols, starts, ends, _ = _occurrences(low, spec, None, with_spans)
    for table in (spec.concepts, spec.stance):
        if table is None:
            continue
        c_cols, c_starts, c_ends = table.spans(low, spec.n_features)
        cols = np.concatenate((cols, c_cols))
        if with_spans:
            starts, ends = np.concatenate((starts, c_starts)), np.concatenate((ends, c_ends))
    if not with_spans:
        return cols
    return Grams(cols, starts, ends, cols >= spec.n_features)


def compiled_spans(low: str, spec: NgramSpec,
                   counter: object) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """`_occurrences(low, spec, None, True)`'s columns and spans, by the compiled counter:
    the explanation of a held comment reads every occurrence, and on a long comment
    numpy's dozens of passes over thousands of n-grams are most of its cost."""
    cols, starts, ends = counter.gram_spans(  # type: ignore[attr-defined]
        low, spec.n_features, *spec.word_ngrams, *spec.char_ngrams, _constants(),
        _CLASS_BYTES, char_class)
    return (np.frombuffer(cols, dtype=np.int64), np.frombuffer(starts, dtype=np.int64),
            np.frombuffer(ends, dtype=np.int64))


def _occurrences(low: str, spec: NgramSpec, text_starts: np.ndarray | None,
                 with_spans: bool) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Columns of every n-gram of `low`, their spans (if asked) and, when `low` is several
    texts joined by newlines starting at `text_starts`, which text each belongs to."""
    codes = _code_points(low)
    # Padded for char_wb, the text grows by at most 2 characters a word: 3x bounds it.
    up, down = _power_tables(3 * len(codes) + 2)
    prefix = _prefix(codes, up)
    mask = np.uint64(spec.n_features - 1)
    cols: list[np.ndarray] = []
    firsts: list[np.ndarray] = []  # typed position of each occurrence's first character
    lasts: list[np.ndarray] = []
    char_words: list[np.ndarray] = []  # for character n-grams: the word they lie in

    def owner(positions: np.ndarray) -> np.ndarray:
        if text_starts is None:
            return np.zeros(len(positions), dtype=np.int64)
        return np.searchsorted(text_starts, positions, side="right") - 1

    classes = _classes(codes)
    ts, te = _runs(classes == _WORDCHAR)
    long_enough = te - ts >= 2
    ts, te = ts[long_enough], te[long_enough]
    if len(ts):
        th = _span_hashes(prefix, down, ts, te)
        lo, hi = spec.word_ngrams
        if lo <= 1 <= hi:
            cols.append((th & mask).astype(np.int64))
            firsts.append(ts)
            lasts.append(te)
        if hi >= 2 and len(ts) > 1:
            with np.errstate(over="ignore"):
                ph = _mix(th[:-1] * _PAIR + th[1:])
            same = owner(ts[:-1]) == owner(ts[1:])  # never a pair across two texts
            cols.append((ph[same] & mask).astype(np.int64))
            firsts.append(ts[:-1][same])
            lasts.append(te[1:][same])

    space = classes == _SPACE
    a, b = _runs(~space)
    if len(a):
        # " w1 " " w2 " ...: each whitespace-separated word padded by one space each side;
        # n-grams never cross two words.
        lengths = b - a + 2
        offsets = np.concatenate(([0], np.cumsum(lengths)))
        padded = np.full(offsets[-1], 32, dtype=np.uint32)
        inner = np.flatnonzero(~space)
        slots = inner + np.repeat(offsets[:-1] + 1 - a, b - a)
        padded[slots] = codes[inner]
        pprefix = _prefix(padded, up)
        word_of = np.repeat(np.arange(len(a)), lengths)
        word_end = offsets[1:][word_of]
        word_start = offsets[:-1][word_of]
        per_pos_len = lengths[word_of]
        pos = np.arange(len(padded), dtype=np.int64)
        lo, hi = spec.char_ngrams
        for n in range(lo, hi + 1):
            # Every window inside one padded word; a padded word shorter than the smallest
            # n counts once, whole (as scikit-learn's char_wb does).
            s = pos[pos + n <= word_end]
            e = s + n
            if n == lo:
                short = (pos == word_start) & (per_pos_len < lo)
                if short.any():
                    s = np.concatenate((s, pos[short]))
                    e = np.concatenate((e, word_end[short]))
            if not len(s):
                continue
            h = _span_hashes(pprefix, down, s, e)
            cols.append(((h & mask) + np.uint64(spec.n_features)).astype(np.int64))
            w = word_of[s]
            if with_spans:  # typed span: the padding spaces map to the word's letters
                inside = s - offsets[:-1][w] - 1  # the window's start, within the word
                firsts.append(a[w] + np.clip(inside, 0, None))
                lasts.append(np.minimum(a[w] + inside + n, b[w]))
            char_words.append(w)
    if not cols:
        empty = np.zeros(0, dtype=np.int64)
        return empty, empty, empty, empty
    columns = np.concatenate(cols)
    owners = np.concatenate(
        [owner(f) for f in firsts[: len(cols) - len(char_words)]]
        + ([owner(a)[np.concatenate(char_words)]] if char_words else []))
    if not with_spans:
        empty = np.zeros(0, dtype=np.int64)
        return columns, empty, empty, owners
    return columns, np.concatenate(firsts), np.concatenate(lasts), owners


@dataclass(frozen=True)
class CountRows:
    """Raw n-gram counts of a batch of texts as CSR arrays: row i holds the sorted
    columns `indices[indptr[i]:indptr[i + 1]]` with their counts in `data`."""

    indptr: np.ndarray   # int64, one more than there are rows
    indices: np.ndarray  # int32 or int64 columns, sorted within each row
    data: np.ndarray     # float32 counts
    width: int

    def __len__(self) -> int:
        return len(self.indptr) - 1

    def row(self, i: int) -> tuple[np.ndarray, np.ndarray]:
        a, b = self.indptr[i], self.indptr[i + 1]
        return self.indices[a:b], self.data[a:b]

    def row_ids(self) -> np.ndarray:
        """The row of every stored count."""
        return np.repeat(np.arange(len(self)), np.diff(self.indptr))

    def to_csr(self) -> sp.csr_matrix:
        """A scipy matrix, for training (scoring never imports scipy)."""
        import scipy.sparse as sp

        return sp.csr_matrix((self.data, self.indices, self.indptr),
                             shape=(len(self), self.width))


def count_rows(texts: Sequence[str], spec: NgramSpec) -> CountRows:
    """Raw n-gram counts of every text: compiled where built and allowed (`native.py`),
    else the numpy reference; both give the same arrays."""
    counter = native.counter()
    if counter is None or not native.handles(spec.n_features, spec.char_ngrams):
        return reference_rows(texts, spec)
    return compiled_rows(texts, spec, counter)


def _constants() -> tuple[int, ...]:
    """The hash constants as the compiled code takes them, read at each call (a bench
    re-salts the hash to measure collisions)."""
    return tuple(int(c) for c in (_BASE, _PAIR, _MIX1, _MIX2, _LENGTH_SALT))


def compiled_rows(texts: Sequence[str], spec: NgramSpec, counter: object) -> CountRows:
    """`count_rows` by the compiled counter (a module with `count_rows`)."""
    lows = [lowercase(t) for t in texts]
    indptr, indices, data = counter.count_rows(  # type: ignore[attr-defined]
        lows, spec.n_features, *spec.word_ngrams, *spec.char_ngrams, _constants(),
        _CLASS_BYTES, char_class)
    rows = CountRows(np.frombuffer(indptr, dtype=np.int64),
                     np.frombuffer(indices, dtype=np.int32),
                     np.frombuffer(data, dtype=np.float32), spec.width)
    if not spec.has_extras:
        return rows
    extra = [spec.extra_columns(low) for low in lows]
    owner = np.repeat(np.arange(len(lows)), [len(e) for e in extra])
    concept_cols = np.concatenate(extra) if extra else np.zeros(0, np.int64)
    keys = np.concatenate((rows.row_ids() * spec.width + rows.indices,
                           owner * spec.width + concept_cols))
    weights = np.concatenate((rows.data, np.ones(len(owner), np.float32)))
    return _from_keys(keys, weights, len(lows), spec.width)


def _from_keys(keys: np.ndarray, weights: np.ndarray | None, n_rows: int,
               width: int) -> CountRows:
    """CountRows from `row * width + column` keys (each weighted, default 1), summed."""
    if weights is None:
        uniq, counts = np.unique(keys, return_counts=True)
        data = counts.astype(np.float32)
    else:
        uniq, inverse = np.unique(keys, return_inverse=True)
        data = np.bincount(inverse, weights=weights, minlength=len(uniq)).astype(np.float32)
    row, col = np.divmod(uniq, np.asarray(width, dtype=uniq.dtype))
    indptr = np.zeros(n_rows + 1, dtype=np.int64)
    np.cumsum(np.bincount(row, minlength=n_rows), out=indptr[1:])
    return CountRows(indptr, col.astype(np.int64), data, width)


def count_row(text: str, spec: NgramSpec) -> tuple[np.ndarray, np.ndarray]:
    """(sorted unique columns, their counts) for one text."""
    return count_rows([text], spec).row(0)


#: Texts hashed together in one pass: one set of array operations for the whole chunk
#: (small enough that its padded form fits the kept power tables).
_CHUNK_CHARS = 1 << 16


def reference_rows(texts: Sequence[str], spec: NgramSpec) -> CountRows:
    """`count_rows` by numpy alone: the reference and the fallback.

    Texts are joined by newlines (whitespace: no n-gram crosses it) and hashed a chunk at
    a time, so a batch of short comments costs a few array operations, not a few per text.
    """
    parts: list[CountRows] = []
    start = 0
    # Few enough texts a chunk that (text, column) fits 32 bits: a 32-bit sort is faster.
    most = max(1, (1 << 32) // spec.width)
    while start < len(texts):
        stop, size = start, 0
        while stop < len(texts) and (stop == start or (
                size + len(texts[stop]) < _CHUNK_CHARS and stop - start < most)):
            size += len(texts[stop]) + 1
            stop += 1
        parts.append(_count_chunk(texts[start:stop], spec))
        start = stop
    if not parts:
        return CountRows(np.zeros(1, np.int64), np.zeros(0, np.int64),
                         np.zeros(0, np.float32), spec.width)
    offsets = np.cumsum([0] + [p.indptr[-1] for p in parts[:-1]])
    return CountRows(
        np.concatenate([parts[0].indptr[:1]]
                       + [p.indptr[1:] + o for p, o in zip(parts, offsets, strict=True)]),
        np.concatenate([p.indices for p in parts]),
        np.concatenate([p.data for p in parts]), spec.width)


def count_matrix(texts: Sequence[str], spec: NgramSpec) -> sp.csr_matrix:
    """Raw n-gram counts of every text: a scipy CSR matrix of `spec.width` columns."""
    return count_rows(texts, spec).to_csr()


def _count_chunk(texts: Sequence[str], spec: NgramSpec) -> CountRows:
    lows = [lowercase(t) for t in texts]
    lengths = np.array([len(t) + 1 for t in lows], dtype=np.int64)
    text_starts = np.concatenate(([0], np.cumsum(lengths)[:-1]))
    cols, _, _, owner = _occurrences("\n".join(lows), spec, text_starts, False)
    if spec.has_extras:
        extra = [spec.extra_columns(low) for low in lows]
        owner = np.concatenate((owner, np.repeat(np.arange(len(lows)), [len(e) for e in extra])))
        cols = np.concatenate((cols, *extra))
    keys = owner * spec.width + cols
    if len(texts) * spec.width <= 1 << 32:
        keys = keys.astype(np.uint32)
    return _from_keys(keys, None, len(texts), spec.width)
