"""Metrics that matter for moderation: false positives on discussion, recall on propaganda.

ROC-AUC hides what a news site feels: how many readers who *talk about* terrorism get
held for review. So every report splits the false-positive rate by label
(`discusses`, `other`), by source and by language.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
from sklearn.metrics import average_precision_score, roc_auc_score

from moderator.classifier.data import LABELS, NEGATIVES, POSITIVE


def threshold_for_fpr(negative_scores: Sequence[float], max_fpr: float) -> float:
    """Lowest threshold t such that the share of negatives with score >= t is <= max_fpr."""
    neg = np.sort(np.asarray(negative_scores, dtype=np.float64))[::-1]
    if len(neg) == 0:
        return 0.0
    allowed = int(np.floor(max_fpr * len(neg)))
    if allowed >= len(neg):
        return float(neg[-1])
    return float(np.nextafter(neg[allowed], np.inf))


def recall_at_fpr(y: Sequence[int], scores: Sequence[float], max_fpr: float) -> float:
    """Share of positives caught at the threshold that keeps FPR on all negatives <= max_fpr."""
    ya, sa = np.asarray(y), np.asarray(scores)
    if ya.sum() == 0 or ya.sum() == len(ya):
        return float("nan")
    t = threshold_for_fpr(sa[ya == 0], max_fpr)
    return float((sa[ya == 1] >= t).mean())


def _safe_auc(y: np.ndarray, s: np.ndarray) -> dict[str, float | None]:
    if 0 < y.sum() < len(y):
        return {
            "roc_auc": round(float(roc_auc_score(y, s)), 4),
            "pr_auc": round(float(average_precision_score(y, s)), 4),
        }
    return {"roc_auc": None, "pr_auc": None}


def _rates(labels: np.ndarray, s: np.ndarray, threshold: float) -> dict[str, Any]:
    """Counts, FPR per negative label and recall/precision at one threshold."""
    flagged = s >= threshold
    out: dict[str, Any] = {}
    pos = labels == POSITIVE
    for label in NEGATIVES:
        mask = labels == label
        out[f"fpr_{label}"] = round(float(flagged[mask].mean()), 4) if mask.any() else None
    out["recall"] = round(float(flagged[pos].mean()), 4) if pos.any() else None
    out["precision"] = round(float(pos[flagged].mean()), 4) if flagged.any() else None
    return out


def _block(labels: np.ndarray, s: np.ndarray, thresholds: Mapping[str, float]) -> dict[str, Any]:
    counts = {lab: int((labels == lab).sum()) for lab in LABELS}
    block: dict[str, Any] = {"rows": counts}
    block.update(_safe_auc((labels == POSITIVE).astype(int), s))
    for name, t in thresholds.items():
        block[name] = _rates(labels, s, t)
    return block


def report(
    scores: Sequence[float],
    labels: Sequence[str],
    sources: Sequence[str],
    langs: Sequence[str],
    thresholds: Mapping[str, float],
) -> dict[str, Any]:
    """Overall, per-source and per-language metrics at the given thresholds."""
    s = np.asarray(scores, dtype=np.float64)
    lab = np.asarray(labels)
    y = (lab == POSITIVE).astype(int)
    out = _block(lab, s, thresholds)
    out["recall_at_1pct_fpr"] = _round(recall_at_fpr(y, s, 0.01))
    for key, groups in (("by_source", np.asarray(sources)), ("by_lang", np.asarray(langs))):
        out[key] = {g: _block(lab[groups == g], s[groups == g], thresholds)
                    for g in sorted(set(groups.tolist()))}
    return out


def _round(x: float) -> float | None:
    return None if np.isnan(x) else round(x, 4)


def _fmt(x: float | None) -> str:
    return "–" if x is None else f"{100 * x:.1f}%"


def loso_markdown(rows: Sequence[Mapping[str, Any]]) -> str:
    """The leave-one-source-out table as markdown (card, docs and the README)."""
    lines = [
        "| left-out source | propaganda | discusses | other | ROC-AUC "
        "| FPR discusses @review | FPR other @review | recall @review | recall @reject |",
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for r in rows:
        n = r["rows"]
        auc = "–" if r["roc_auc"] is None else f"{r['roc_auc']:.3f}"
        lines.append(
            f"| `{r['source']}` | {n['propaganda']} | {n['discusses']} | {n['other']} | {auc} "
            f"| {_fmt(r['review']['fpr_discusses'])} | {_fmt(r['review']['fpr_other'])} "
            f"| {_fmt(r['review']['recall'])} | {_fmt(r['reject']['recall'])} |"
        )
    return "\n".join(lines) + "\n"
