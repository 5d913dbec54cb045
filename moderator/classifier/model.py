"""Saving, verifying, loading and using one model: `models/<name>/<version>/`.

A model directory holds `model.joblib` (one scikit-learn Pipeline: normalise -> hashed
features -> linear model with sigmoid calibration) and `card.json`. Unpickling runs
code, so `load_model` checks the card's sha256 of the artifact and the scikit-learn
version *before* it unpickles; a mismatch is a `ModelError`, never a silent load.
"""

from __future__ import annotations

import hashlib
import itertools
import json
import logging
import platform
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import joblib
import numpy as np
import sklearn
from sklearn.pipeline import Pipeline

from moderator.classifier.features import (
    HashedFeatures,
    features_text,
    normalizer_fingerprint,
    tokenize,
)
from moderator.errors import ModelError
from moderator.text import NormalizedText, normalize

log = logging.getLogger(__name__)

ARTIFACT = "model.joblib"
CARD = "card.json"


@dataclass(frozen=True)
class Contribution:
    """One word or phrase and how much it pushed the score (log-odds); span into the original."""

    term: str
    weight: float
    start: int
    end: int

    def to_dict(self) -> dict[str, Any]:
        return {"term": self.term, "weight": self.weight, "start": self.start, "end": self.end}


def sha256_bytes(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def runtime_versions() -> dict[str, str]:
    """Versions that must match between training and loading (python is informative)."""
    return {
        "python": platform.python_version(),
        "sklearn": sklearn.__version__,
        "joblib": joblib.__version__,
        "numpy": np.__version__,
    }


def save_model(pipeline: Pipeline, card: Mapping[str, Any], out: Path) -> Path:
    """Write the artifact and its card (with sha256 and versions) into `out`."""
    out.mkdir(parents=True, exist_ok=True)
    artifact = out / ARTIFACT
    joblib.dump(pipeline, artifact, compress=("zlib", 6))
    full = dict(card)
    full["artifact"] = {"file": ARTIFACT, "sha256": sha256_bytes(artifact),
                        "bytes": artifact.stat().st_size}
    full["versions"] = runtime_versions()
    (out / CARD).write_text(json.dumps(full, indent=2, ensure_ascii=False) + "\n",
                            encoding="utf-8")
    return out


def read_card(path: Path) -> dict[str, Any]:
    card_path = path / CARD
    if not card_path.is_file():
        raise ModelError(f"no {CARD} in model directory {path}")
    try:
        card = json.loads(card_path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise ModelError(f"{card_path}: unreadable model card: {exc}") from exc
    if not isinstance(card, dict) or "artifact" not in card or "versions" not in card:
        raise ModelError(f"{card_path}: model card lacks 'artifact' or 'versions'")
    return card


def verify(path: Path, card: Mapping[str, Any]) -> Path:
    """Refuse an artifact whose bytes or scikit-learn version differ from the card's."""
    artifact = path / card["artifact"].get("file", ARTIFACT)
    if not artifact.is_file():
        raise ModelError(f"model artifact missing: {artifact}")
    expected = card["artifact"].get("sha256")
    actual = sha256_bytes(artifact)
    if actual != expected:
        raise ModelError(
            f"{artifact}: sha256 {actual} does not match the model card ({expected}); "
            "the file was changed or replaced, refusing to unpickle it"
        )
    trained_with = card["versions"].get("sklearn")
    if trained_with != sklearn.__version__:
        raise ModelError(
            f"{path}: trained with scikit-learn {trained_with}, running {sklearn.__version__}; "
            "retrain the model (see docs/classifier.md) or install the matching version"
        )
    return artifact


def load_model(path: Path) -> Model:
    """Verify the card's sha256 and scikit-learn version, then unpickle the pipeline."""
    path = Path(path)
    card = read_card(path)
    artifact = verify(path, card)
    try:
        pipeline = joblib.load(artifact)
    except Exception as exc:  # unpickling errors come in many types
        raise ModelError(f"{artifact}: cannot load model: {type(exc).__name__}") from exc
    if not isinstance(pipeline, Pipeline):
        raise ModelError(f"{artifact}: not a scikit-learn Pipeline")
    trained = card.get("normalizer", {}).get("probe_sha256")
    if trained and trained != normalizer_fingerprint()["probe_sha256"]:
        # Not fatal (scores stay usable), but the model sees text slightly differently
        # from how it was trained: retrain with the documented command.
        log.warning("model %s was trained with another text normaliser; retrain it",
                    card.get("version"))
    return Model(pipeline, card)


class Model:
    """A loaded propaganda classifier: batched scores, thresholds and explanations."""

    def __init__(self, pipeline: Pipeline, card: Mapping[str, Any]) -> None:
        self.pipeline = pipeline
        self.card = card
        self.version = str(card.get("version", "unknown"))
        self.thresholds: Mapping[str, float] = dict(card.get("thresholds", {}))
        self._features: HashedFeatures = pipeline.named_steps["features"]
        self._weights, self._bias, self._slope, self._offset = _linear_parts(pipeline)

    def score(self, texts: Sequence[str]) -> list[float]:
        """Probability of propaganda for every text, in one batch."""
        return self.score_normalized([normalize(t) for t in texts])

    def score_normalized(self, texts: Sequence[NormalizedText]) -> list[float]:
        """`score` for texts the caller has already normalised (the rule engine has)."""
        if not texts:
            return []
        if len(texts) == 1:  # the per-request path: a dot product, no sparse matrix
            cols, values = self._features.row(features_text(texts[0]))
            margin = np.array([np.dot(values, self._weights[cols]) + self._bias])
        else:
            X = self._features.transform([features_text(t) for t in texts])
            margin = X @ self._weights + self._bias
        return [float(p) for p in _sigmoid(self._slope * margin + self._offset)]

    def explain(self, text: str, top_k: int = 5,
                normalized: NormalizedText | None = None) -> list[Contribution]:
        """Words and word pairs that pushed the score up most, with spans into `text`."""
        norm = normalized if normalized is not None else normalize(text)
        feats = self._features
        ftext = features_text(norm)
        tokens = feats.tokens(ftext) if hasattr(feats, "tokens") else tokenize(norm.text)
        if not tokens:
            return []
        row = feats.transform([ftext])
        value = dict(zip(row.indices.tolist(), row.data.tolist(), strict=True))
        # How many times each column occurs in this text, so shared columns are split fairly.
        occurrences: dict[int, int] = {}
        units: list[tuple[str, int, int, list[int]]] = []
        for word, start, end in tokens:
            cols = [feats.index_of(f) for f in feats.word_feature_strings(word)]
            units.append((norm.text[start:end], start, end, cols))
        if feats.pairs:
            for (w1, s1, _), (w2, _, e2) in itertools.pairwise(tokens):
                cols = [feats.index_of(f) for f in feats.pair_feature_strings(w1, w2)]
                units.append((norm.text[s1:e2], s1, e2, cols))
        for _, _, _, cols in units:
            for c in cols:
                occurrences[c] = occurrences.get(c, 0) + 1
        # Contributions in calibrated log-odds, summed over all occurrences of a term.
        totals: dict[str, tuple[float, int, int]] = {}
        for term, start, end, cols in units:
            w = sum(value.get(c, 0.0) * float(self._weights[c]) / occurrences[c] for c in cols)
            w *= self._slope
            prev = totals.get(term)
            totals[term] = (prev[0] + w, prev[1], prev[2]) if prev else (w, start, end)
        chosen: list[Contribution] = []
        for term, (w, start, end) in sorted(totals.items(), key=lambda kv: -kv[1][0]):
            if w <= 0 or len(chosen) >= top_k:
                break
            span = norm.span(start, end)
            if any(span.start < c.end and c.start < span.end for c in chosen):
                continue
            chosen.append(Contribution(term, round(w, 4), span.start, span.end))
        return chosen


def _sigmoid(x: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-np.asarray(x, dtype=np.float64)))


def _linear_parts(pipeline: Pipeline) -> tuple[np.ndarray, float, float, float]:
    """Weights, bias and the sigmoid calibration of the final step, for fast scoring.

    `score` computes exactly `pipeline.predict_proba(texts)[:, 1]` without scikit-learn's
    per-call validation, which costs more than the arithmetic for one comment.
    """
    clf = pipeline.named_steps["classifier"]
    try:
        (calibrated,) = clf.calibrated_classifiers_
        linear = calibrated.estimator
        linear = getattr(linear, "estimator", linear)  # FrozenEstimator
        (sigmoid,) = calibrated.calibrators
        weights = np.asarray(linear.coef_, dtype=np.float32).ravel()
        bias = float(np.asarray(linear.intercept_).ravel()[0])
        # sklearn's sigmoid calibration: p = 1 / (1 + exp(a * f + b))
        return weights, bias, -float(sigmoid.a_), -float(sigmoid.b_)
    except (AttributeError, ValueError) as exc:
        raise ModelError("model is not a calibrated linear pipeline") from exc
