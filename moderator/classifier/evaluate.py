"""Evaluation: a saved model on labelled files, and leave-one-source-out (LOSO) runs.

LOSO is the number to improve: a news site's comments come from no source we trained
on, so each source in turn is left out of training and used only for testing.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from moderator.classifier.data import Dataset, in_fold
from moderator.classifier.hashing import count_matrix
from moderator.classifier.metrics import recall_at_fpr, report
from moderator.classifier.model import Model, tfidf_rows
from moderator.classifier.train import Params, fit_counts

log = logging.getLogger(__name__)
BATCH = 512


def unseen_rows(model: Model, data: Dataset) -> tuple[np.ndarray, int]:
    """Mask of rows the model did not train on, and how many were dropped.

    Rows of a file the card lists among its training data are kept only when they
    fell into the model's validation split, so `evaluate` on the training files
    reports honest held-out numbers instead of training accuracy.
    """
    trained = {f["sha256"] for f in model.card.get("data", {}).get("files", [])}
    params = model.card.get("hyperparameters", {})
    seed, fraction = params.get("seed"), params.get("validation_fraction")
    keep = np.ones(len(data), dtype=bool)
    if not trained or seed is None or fraction is None:
        return keep, 0
    start = 0
    for info in data.files:
        stop = start + info["rows"]
        if info["sha256"] in trained:
            for i in range(start, stop):
                keep[i] = in_fold(data.texts[i], seed, fraction)
        start = stop
    return keep, int((~keep).sum())


def evaluate_model(model: Model, data: Dataset, include_training_rows: bool = False
                   ) -> dict[str, Any]:
    """Metrics of `model` on `data` at its own thresholds (training rows left out)."""
    keep, dropped = (np.ones(len(data), bool), 0) if include_training_rows else \
        unseen_rows(model, data)
    data = data.subset(keep.tolist())
    scores: list[float] = []
    for i in range(0, len(data), BATCH):
        scores.extend(model.score(data.texts[i : i + BATCH]))
    out = report(scores, data.labels, data.sources, data.langs, model.thresholds)
    out["model"] = model.version
    out["thresholds"] = dict(model.thresholds)
    out["training_rows_dropped"] = dropped
    return out


def loso(data: Dataset, params: Params, progress: Callable[[str], None] | None = None,
         counts: object | None = None) -> list[dict[str, Any]]:
    """Leave each source out in turn: train on the rest (same recipe), test on it.

    The thresholds come from the training sources' validation rows, never from the
    left-out rows, so the numbers are what a site from an unseen source would get.
    """
    X = count_matrix(data.texts, params.spec) if counts is None else counts
    sources = np.asarray(data.sources)
    rows: list[dict[str, Any]] = []
    for source in sorted(set(data.sources)):
        test = sources == source
        fitted = fit_counts(X, data, params, train=~test)  # type: ignore[arg-type]
        m = fitted.model
        margins = tfidf_rows(X[test], m.idf, params.n_features) @ m.coef.astype(np.float64)
        scores = 1.0 / (1.0 + np.exp(-(m.slope * (margins + m.bias) + m.offset)))
        held = data.subset(test.tolist())
        result = report(scores, held.labels, held.sources, held.langs, fitted.thresholds)
        row = {"source": source, "thresholds": fitted.thresholds}
        row.update({k: v for k, v in result.items() if k not in ("by_source",)})
        rows.append(row)
        if progress:
            progress(f"{source}: review {row['review']} reject {row['reject']}")
    return rows


def recall_at_shares(y: Sequence[int], scores: Sequence[float]) -> dict[str, float]:
    """Recall at the thresholds that flag 0.1%, 0.2% and 0.5% of the negatives."""
    return {f"{share:.1%}": recall_at_fpr(y, scores, share) for share in (0.001, 0.002, 0.005)}


def loso_targets(rows: Sequence[dict[str, Any]]) -> list[str]:
    """Which LOSO targets (<= 2% on discusses, <= 1% on other at review) were missed."""
    missed = []
    for r in rows:
        fd, fo = r["review"]["fpr_discusses"], r["review"]["fpr_other"]
        if fd is not None and fd > 0.02:
            missed.append(f"{r['source']}: FPR on discusses {fd:.2%} > 2%")
        if fo is not None and fo > 0.01:
            missed.append(f"{r['source']}: FPR on other {fo:.2%} > 1%")
    return missed
