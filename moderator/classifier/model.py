"""Saving, verifying, loading and using one model: `models/<name>/<version>/`.

A model directory holds `model.npz` and `card.json`. The artifact is data only: the
hashing settings, one IDF value and one weight per hashed column, the bias and the
sigmoid calibration, read with `numpy.load(allow_pickle=False)`. Loading it can give
wrong scores if someone edits it, but it can never run code, which a pickled
scikit-learn pipeline can (see the README's trust model). The card's sha256 catches
accidental damage and half-copied files, and the card itself is validated
(`moderator.classifier.card`) so a bad threshold is refused at save, promote and load.
"""

from __future__ import annotations

import hashlib
import io
import json
import math
import platform
import zipfile
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import regex

from moderator.classifier.card import validate_card
from moderator.classifier.hashing import (
    CountRows,
    Grams,
    NgramSpec,
    count_matrix,
    count_rows,
    grams,
    lowercase,
)
from moderator.errors import ModelError

if TYPE_CHECKING:  # scoring imports neither scipy nor the text normaliser
    import scipy.sparse as sp

    from moderator.text import NormalizedText

ARTIFACT = "model.npz"
CARD = "card.json"
FORMAT = "moderator-linear-ngrams-v1"
#: Arrays a model.npz must hold, with their dtypes' kind.
_ARRAYS = {"idf": "f", "coef": "f", "scalars": "f"}
#: A sanity bound on the artifact before it is read into memory (the shipped one is ~8 MB).
MAX_ARTIFACT_BYTES = 64 << 20


@dataclass(frozen=True)
class Contribution:
    """One word or phrase and how much it pushed the score (log-odds); span into the original."""

    term: str
    weight: float
    start: int
    end: int

    def to_dict(self) -> dict[str, Any]:
        return {"term": self.term, "weight": self.weight, "start": self.start, "end": self.end}


@dataclass(frozen=True)
class LinearNgramModel:
    """What a trained model is: n-gram settings plus per-column IDF and weights."""

    spec: NgramSpec
    idf: np.ndarray   # float32, spec.width
    coef: np.ndarray  # float32, spec.width
    bias: float
    slope: float = 1.0   # calibrated probability = sigmoid(slope * margin + offset)
    offset: float = 0.0

    def tfidf(self, texts: Sequence[str]) -> sp.csr_matrix:
        """Sublinear TF-IDF rows, each block (words, characters) scaled to unit length."""
        return tfidf_rows(count_matrix(texts, self.spec), self.idf, self.spec.n_features)

    def margins(self, texts: Sequence[str]) -> np.ndarray:
        """Log-odds of every text before calibration, by numpy on the CSR arrays of
        `count_rows`: the numbers of `tfidf(texts) @ coef + bias` (a test holds them
        within 1e-9) without building a scipy matrix.

        Per row and block, sum(v * coef) / sqrt(sum(v * v)) with v = (1 + log tf) * idf:
        the unit-length scaling is applied once per block instead of to every value.
        """
        rows = count_rows(texts, self.spec)
        v = np.log(rows.data, dtype=np.float64)
        v += 1.0
        v *= self.idf[rows.indices]
        dots = v * self.coef[rows.indices]
        v *= v
        squares, dots = _block_sums((v, dots), rows, self.spec.n_features)
        norms = np.sqrt(squares)
        per_block = np.divide(dots, norms, out=np.zeros_like(dots), where=norms > 0)
        return per_block.sum(axis=1) + self.bias

    def row(self, text: str) -> tuple[np.ndarray, np.ndarray]:
        """(columns, TF-IDF values) of one text, exactly as `margins` computes them."""
        rows = count_rows([text], self.spec)
        return rows.indices, tfidf_values(rows, self.idf, self.spec.n_features)

    def probabilities(self, texts: Sequence[str]) -> np.ndarray:
        if len(texts) == 1:  # a check scores one comment: the same sums, fewer calls
            return _sigmoid(np.array([self.slope * self.margin_of_one(texts[0]) + self.offset]))
        return _sigmoid(self.slope * self.margins(texts) + self.offset)

    def margin_of_one(self, text: str) -> float:
        """`margins([text])[0]`, bit for bit, in a third of the numpy calls.

        The values and the two block sums are the same numpy operations (`reduceat` over
        the same segments); what `_block_sums` spends on a batch's bounds, and the
        square root, division and final sum on a two-element array, are plain floats
        here (IEEE square root and division round alike). tests/classifier/
        test_margin_of_one.py compares the two on every shared-data row.
        """
        rows = count_rows([text], self.spec)
        m = len(rows.indices)
        if not m:
            return 0.0 + 0.0 + self.bias
        v = np.log(rows.data, dtype=np.float64)
        v += 1.0
        v *= self.idf[rows.indices]
        dots = v * self.coef[rows.indices]
        v *= v
        words = int(np.searchsorted(rows.indices, self.spec.n_features))  # words first
        bounds = [0, words] if 0 < words < m else [0]
        squares = np.add.reduceat(v, bounds).tolist()
        sums = np.add.reduceat(dots, bounds).tolist()
        if words == 0:
            squares, sums = [0.0, *squares], [0.0, *sums]
        elif words == m:
            squares, sums = [*squares, 0.0], [*sums, 0.0]
        per_block = [d / math.sqrt(q) if q > 0 else 0.0 for d, q in zip(sums, squares,
                                                                     strict=True)]
        return per_block[0] + per_block[1] + self.bias


def _block_sums(arrays: Sequence[np.ndarray], rows: CountRows,
                n_features: int) -> list[np.ndarray]:
    """Per row, the sums of each array's values over the word and the character block:
    (rows, 2) each. Columns are sorted within a row, words first, so every block is one
    contiguous segment and one `reduceat` sums them all."""
    if not len(rows.indices):
        return [np.zeros((len(rows), 2)) for _ in arrays]
    starts = rows.indptr[:-1]
    words = np.zeros(len(rows.indices) + 1, dtype=np.int64)
    np.cumsum(rows.indices < n_features, out=words[1:])
    bounds = np.empty(2 * len(rows), dtype=np.int64)
    bounds[0::2] = starts
    bounds[1::2] = starts + words[rows.indptr[1:]] - words[starts]
    empty = np.diff(bounds, append=rows.indptr[-1]) == 0
    # reduceat takes indices inside the array: blocks that start at its end are empty.
    inside = int(np.searchsorted(bounds, len(rows.indices)))
    out = []
    for a in arrays:
        sums = np.zeros(len(bounds))
        sums[:inside] = np.add.reduceat(a, bounds[:inside])
        sums[empty] = 0.0  # reduceat gives an empty segment the value at its start
        out.append(sums.reshape(-1, 2))
    return out


def tfidf_values(rows: CountRows, idf: np.ndarray, n_features: int) -> np.ndarray:
    """TF-IDF values of `rows.data`, as `tfidf_rows` computes them."""
    return _tfidf(rows.data, rows.indices, rows.indptr, idf, n_features)


def tfidf_rows(counts: sp.csr_matrix, idf: np.ndarray, n_features: int) -> sp.csr_matrix:
    """`counts` -> 1 + log(tf), times IDF, each block normalised to unit L2 length."""
    X = counts.astype(np.float64, copy=True)
    X.data = _tfidf(X.data, X.indices, X.indptr, idf, n_features)
    return X


def _tfidf(data: np.ndarray, indices: np.ndarray, indptr: np.ndarray, idf: np.ndarray,
           n_features: int) -> np.ndarray:
    """1 + log(count), times IDF, each row's two blocks (words, characters) scaled to unit
    L2 length; float64. One sum per (row, block), in the order of the values."""
    values = np.log(data, dtype=np.float64)
    values += 1.0
    values *= idf[indices]
    block = 2 * np.repeat(np.arange(len(indptr) - 1), np.diff(indptr)) + (indices >= n_features)
    norms = np.sqrt(np.bincount(block, weights=values * values, minlength=2 * (len(indptr) - 1)))
    norms = norms[block]
    values /= np.where(norms > 0, norms, 1.0)
    return values


def sha256_bytes(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def runtime_versions() -> dict[str, str]:
    """Versions at training time (informative: the artifact does not depend on them)."""
    import sklearn

    return {"python": platform.python_version(), "sklearn": sklearn.__version__,
            "numpy": np.__version__}


def save_model(linear: LinearNgramModel, card: Mapping[str, Any], out: Path) -> Path:
    """Write the artifact and its card (format, sha256, versions) into `out`."""
    full = dict(card)
    full["format"] = FORMAT
    full["features"] = linear.spec.to_dict()
    full["versions"] = runtime_versions()
    validate_card({**full, "artifact": {"file": ARTIFACT, "sha256": "0" * 64}})
    out.mkdir(parents=True, exist_ok=True)
    artifact = out / ARTIFACT
    buffer = io.BytesIO()
    np.savez_compressed(
        buffer, idf=linear.idf.astype(np.float32), coef=linear.coef.astype(np.float32),
        scalars=np.array([linear.bias, linear.slope, linear.offset], dtype=np.float64))
    artifact.write_bytes(buffer.getvalue())
    full["artifact"] = {"file": ARTIFACT, "sha256": sha256_bytes(artifact),
                        "bytes": artifact.stat().st_size}
    (out / CARD).write_text(json.dumps(full, indent=2, ensure_ascii=False) + "\n",
                            encoding="utf-8")
    return out


def read_card(path: Path) -> dict[str, Any]:
    """The card of the model in `path`, validated; a ModelError says what is wrong."""
    card_path = path / CARD
    if not card_path.is_file():
        raise ModelError(f"no {CARD} in model directory {path.name}")
    try:
        card = json.loads(card_path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise ModelError(f"{path.name}/{CARD}: unreadable model card: "
                         f"{type(exc).__name__}") from exc
    validate_card(card, where=f"{path.name}/{CARD}")
    return card


def verify(path: Path, card: Mapping[str, Any]) -> Path:
    """Refuse an artifact that is missing, too big, or whose bytes differ from the card's."""
    return _read_verified(path, card)[0]


def _read_verified(path: Path, card: Mapping[str, Any]) -> tuple[Path, bytes]:
    """The artifact's bytes, read once: the bytes checked are the bytes then parsed."""
    artifact = path / card["artifact"]["file"]
    if not artifact.is_file():
        raise ModelError(f"model artifact missing: {path.name}/{artifact.name}")
    if artifact.stat().st_size > MAX_ARTIFACT_BYTES:
        raise ModelError(f"{path.name}/{artifact.name}: larger than {MAX_ARTIFACT_BYTES} bytes")
    data = artifact.read_bytes()
    actual = hashlib.sha256(data).hexdigest()
    if actual != card["artifact"]["sha256"]:
        raise ModelError(
            f"{path.name}/{artifact.name}: sha256 {actual} does not match the model card; "
            "the file was changed or damaged"
        )
    return artifact, data


def _read_arrays(artifact: Path, data: bytes, spec: NgramSpec) -> LinearNgramModel:
    try:
        with np.load(io.BytesIO(data), allow_pickle=False) as npz:
            arrays = {name: npz[name] for name in _ARRAYS}
    except (OSError, ValueError, KeyError, zipfile.BadZipFile, EOFError) as exc:
        raise ModelError(f"{artifact.name}: not a model array file: "
                         f"{type(exc).__name__}") from exc
    for name, kind in _ARRAYS.items():
        if arrays[name].dtype.kind != kind:
            raise ModelError(f"{artifact.name}: array {name!r} is not floating point")
    if arrays["idf"].shape != (spec.width,) or arrays["coef"].shape != (spec.width,) \
            or arrays["scalars"].shape != (3,):
        raise ModelError(f"{artifact.name}: array shapes do not match the card's features")
    if not all(np.isfinite(a).all() for a in arrays.values()):
        raise ModelError(f"{artifact.name}: holds NaN or infinite values")
    bias, slope, offset = (float(x) for x in arrays["scalars"])
    return LinearNgramModel(spec, np.asarray(arrays["idf"], dtype=np.float32),
                            np.asarray(arrays["coef"], dtype=np.float32), bias, slope, offset)


def load_model(path: Path) -> Model:
    """Validate the card, check the artifact's sha256, then read the arrays (no unpickling)."""
    path = Path(path)
    card = read_card(path)
    artifact, data = _read_verified(path, card)
    try:
        spec = NgramSpec.from_dict(card["features"])
    except (KeyError, TypeError, ValueError) as exc:
        raise ModelError(f"{path.name}/{CARD}: bad 'features': {exc}") from exc
    return Model(_read_arrays(artifact, data, spec), card)


class Model:
    """A loaded propaganda classifier: batched scores, thresholds and explanations."""

    def __init__(self, linear: LinearNgramModel, card: Mapping[str, Any]) -> None:
        self.linear = linear
        self.card = card
        self.version = str(card.get("version", "unknown"))
        self.thresholds: Mapping[str, float] = dict(card.get("thresholds", {}))
        #: (typed text, normalised text, their two scores) of the last single comment
        #: `score_normalized` read both ways: `explain` of a held comment asks for the same
        #: two scores again. One tuple, replaced whole, so threads never see half of one.
        self._last_readings: tuple[str, str, float, float] | None = None

    def score(self, texts: Sequence[str]) -> list[float]:
        """Probability of propaganda for every text, in one batch."""
        if not texts:
            return []
        return [float(p) for p in self.linear.probabilities(list(texts))]

    def score_normalized(self, texts: Sequence[NormalizedText]) -> list[float]:
        """Scores of comments the rule engine has normalised: the higher of the typed text's
        and, where the normaliser changed more than letter case, the normalised text's.

        The model was trained on typed text, so ordinary comments score exactly as in
        `score`. A commenter who writes `J o i n  t h e  K h i l a f a h` or swaps in
        lookalike letters changes the typed n-grams but not the normalised ones; taking
        the higher score means evasion cannot lower it.
        """
        typed = self.score([t.original for t in texts])
        changed = [i for i, t in enumerate(texts) if _rewritten(t)]
        if changed:
            folded = self.score([texts[i].text for i in changed])
            if len(texts) == 1:
                self._last_readings = (texts[0].original, texts[0].text, typed[0], folded[0])
            for i, score in zip(changed, folded, strict=True):
                typed[i] = max(typed[i], score)
        return typed

    def explain(self, text: str, top_k: int = 5,
                normalized: NormalizedText | None = None) -> list[Contribution]:
        """Words and word pairs that pushed the score up most, with spans into `text`.

        With `normalized`, explains whichever reading `score_normalized` took the score
        from; spans of the normalised reading are mapped back to what was typed.
        """
        if normalized is not None and _rewritten(normalized):
            typed, folded = self._readings(text, normalized.text)
            if folded > typed:
                out = []
                for c in self._explain(normalized.text, top_k):
                    span = normalized.span(c.start, c.end)
                    out.append(Contribution(text[span.start:span.end], c.weight,
                                            span.start, span.end))
                return out
        return self._explain(text, top_k)

    def _readings(self, typed: str, folded: str) -> tuple[float, float]:
        """`score([typed, folded])`: kept from `score_normalized` when it just read them
        (a one-comment batch scores as the same row of a two-comment one)."""
        last = self._last_readings
        if last is not None and last[0] == typed and last[1] == folded:
            return last[2], last[3]
        both = self.score([typed, folded])
        return both[0], both[1]

    def _explain(self, text: str, top_k: int) -> list[Contribution]:
        linear = self.linear
        g = grams(text, linear.spec, with_spans=True)
        assert isinstance(g, Grams)
        if not len(g.columns):
            return []
        cols, values = linear.row(text)
        uniq, inverse, counts = np.unique(g.columns, return_inverse=True, return_counts=True)
        words = [(m.start(), m.end()) for m in _words(text)]
        if not words:
            return []
        at = np.searchsorted(cols, uniq)
        if at[-1] >= len(cols) or not np.array_equal(cols[at], uniq):
            raise KeyError("an n-gram of the text has no column in its row")
        unit_starts, unit_ends = _units(words, g.starts, g.ends)
        # Each occurrence's share of its column's push, as the float division
        # `push / count` would give it one by one.
        shares = ((values * linear.coef[cols] * linear.slope)[at] / counts)[inverse.ravel()]
        terms, first_spans, term_of = _terms(text, unit_starts, unit_ends)
        # -0.0 is the additive identity: the first share is kept bit for bit, and `add.at`
        # adds the rest one at a time in occurrence order, as a running sum would.
        totals = np.full(len(terms), -0.0)
        np.add.at(totals, term_of, shares)
        weights = totals.tolist()
        chosen: list[Contribution] = []
        # Most pushing first; ties keep the order of first occurrence (a stable sort).
        for t in sorted(range(len(terms)), key=[-w for w in weights].__getitem__):
            w = weights[t]
            if w <= 0 or len(chosen) >= top_k:
                break
            start, end = first_spans[t]
            if any(start < c.end and c.start < end for c in chosen):
                continue
            chosen.append(Contribution(terms[t], round(w, 4), start, end))
        return chosen


def _terms(text: str, starts: np.ndarray, ends: np.ndarray,
           ) -> tuple[list[str], list[tuple[int, int]], np.ndarray]:
    """The distinct terms `text[start:end]` of the occurrences, numbered in the order each
    first occurs, with that first occurrence's span, and every occurrence's term number.

    Spans are grouped first (many n-grams share one word), so only the distinct spans
    are sliced out of the text."""
    keys = starts * (len(text) + 1) + ends
    _, first, span_of = np.unique(keys, return_index=True, return_inverse=True)
    numbers: dict[str, int] = {}
    spans: list[tuple[int, int]] = []
    term_of_span = np.empty(len(first), dtype=np.int64)
    first_list = first.tolist()
    span_starts, span_ends = starts[first].tolist(), ends[first].tolist()
    for span in sorted(range(len(first_list)), key=first_list.__getitem__):
        start, end = span_starts[span], span_ends[span]
        term = text[start:end]
        number = numbers.get(term)
        if number is None:
            number = numbers[term] = len(spans)
            spans.append((start, end))
        term_of_span[span] = number
    return list(numbers), spans, term_of_span[span_of.ravel()]


def _rewritten(text: NormalizedText) -> bool:
    """Did the normaliser change more than letter case (joined letters, folded lookalikes)?"""
    return text.text != lowercase(text.original)


#: The units an explanation names: words, with inner apostrophes and hyphens kept.
_EXPLAINED_WORD = regex.compile(r"\w[\w'’-]*\w|\w")


def _words(text: str) -> Iterator[regex.Match[str]]:
    return _EXPLAINED_WORD.finditer(text)


def _units(words: list[tuple[int, int]], starts: np.ndarray,
           ends: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The word (or, for a word pair, the two words) each n-gram occurrence belongs to,
    as start and end arrays: one search over all occurrences, not one per n-gram."""
    word_starts = np.array([a for a, _ in words], dtype=np.int64)
    word_ends = np.array([b for _, b in words], dtype=np.int64)
    starts = np.asarray(starts, dtype=np.int64)
    ends = np.asarray(ends, dtype=np.int64)
    i = np.maximum(np.searchsorted(word_starts, starts, side="right") - 1, 0)
    j = np.searchsorted(word_starts, np.maximum(ends - 1, starts), side="right") - 1
    j = np.maximum(j, i)
    # An n-gram that starts in the space before a word belongs to that word.
    has_next = i + 1 < len(words)
    next_start = word_starts[np.minimum(i + 1, len(words) - 1)]
    first = np.where((word_ends[i] <= starts) & has_next & (next_start < ends), i + 1, i)
    return word_starts[first], np.maximum(word_ends[j], word_ends[first])


def _sigmoid(x: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-np.asarray(x, dtype=np.float64)))
