"""The promotion gate: a candidate must not be worse than the current model on base rows.

Why base rows only: moderators' labels are what a candidate learns from, so scoring it on
more of them rewards agreeing with the labels, right or wrong (issue #12: 300 wrong
labels were promoted with every metric "improved" while recall on real propaganda fell
from 0.99 to 0.05). The gate therefore scores both models on the training recipe's own
validation rows of the base data, which no label can enter; the labels' held-back fold is
reported beside it and decides nothing.

Why a noise floor: on a small evaluation set one row moves a rate by more than the
configured tolerance, so each check allows the larger of its tolerance and two standard
errors of the current model's value on the rows it was measured on.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from moderator.classifier.data import POSITIVE
from moderator.classifier.metrics import threshold_for_fpr

#: Headline metric -> (higher is better, tolerance in absolute units). About two standard
#: errors of each metric on an evaluation set of a few thousand rows: a smaller margin
#: would refuse candidates for noise, a larger one would let a real regression through.
#: FPRs get half the margin of recall because their budgets are tiny (0.5% / 0.2%).
TOLERANCES: dict[str, tuple[bool, float]] = {
    "roc_auc": (True, 0.01),
    "pr_auc": (True, 0.01),
    "recall_at_1pct_fpr": (True, 0.02),
    "recall_at_review_fpr": (True, 0.02),
    "review.recall": (True, 0.02),
    "review.fpr_discusses": (False, 0.005),
    "review.fpr_other": (False, 0.005),
}
#: Standard errors a check allows on top of the metric's own noise.
Z = 2.0


def metric(block: Mapping[str, Any] | None, key: str) -> float | None:
    """`review.recall` -> block["review"]["recall"]; None where missing."""
    value: Any = block
    for part in key.split("."):
        value = value.get(part) if isinstance(value, Mapping) else None
    return None if value is None else float(value)


def _binomial_se(p: float, n: int) -> float:
    if n <= 0:
        return 0.0
    p = min(max(p, 1.0 / n), 1.0 - 1.0 / n) if n > 1 else 0.5
    return math.sqrt(p * (1.0 - p) / n)


def _auc_se(auc: float, n_pos: int, n_neg: int) -> float:
    """Hanley & McNeil (1982): the standard error of a ROC-AUC from the class sizes."""
    if n_pos <= 0 or n_neg <= 0:
        return 0.0
    q1, q2 = auc / (2.0 - auc), 2.0 * auc * auc / (1.0 + auc)
    var = (auc * (1 - auc) + (n_pos - 1) * (q1 - auc * auc)
           + (n_neg - 1) * (q2 - auc * auc)) / (n_pos * n_neg)
    return math.sqrt(max(var, 0.0))


def noise(key: str, value: float, rows: Mapping[str, int]) -> float:
    """One standard error of `key` at `value` on an evaluation set with these label counts."""
    pos = int(rows.get(POSITIVE, 0))
    neg = sum(int(n) for label, n in rows.items() if label != POSITIVE)
    if key == "roc_auc":
        return _auc_se(value, pos, neg)
    if key.startswith("review.fpr_") or key.startswith("reject.fpr_"):
        return _binomial_se(value, int(rows.get(key.split("fpr_", 1)[1], 0)))
    return _binomial_se(value, pos)  # recalls and PR-AUC: a share of the positives


def gate(current: Mapping[str, Any] | None, candidate: Mapping[str, Any],
         tolerances: Mapping[str, tuple[bool, float]] = TOLERANCES,
         rows: Mapping[str, int] | None = None,
         extra: Sequence[Mapping[str, Any]] = ()) -> dict[str, Any]:
    """Per-metric comparison and the overall verdict: promote, or refuse with reasons.

    With `rows` (label -> count of the evaluation set) each tolerance is raised to the
    noise floor of its metric; without, the tolerances apply as given. `extra` checks
    (`group_checks`) count like the others.
    """
    checks = []
    for key, (higher, tol) in tolerances.items():
        new = metric(candidate, key)
        old = metric(current, key)
        allowed = tol
        if old is None or new is None or (isinstance(new, float) and math.isnan(new)):
            ok, delta = True, None  # nothing to compare (no current model, or one class only)
        else:
            if rows is not None:
                allowed = round(max(tol, Z * noise(key, old, rows)), 4)
            delta = round(new - old, 4)
            ok = new >= old - allowed if higher else new <= old + allowed
        checks.append({"metric": key, "current": old, "candidate": new, "delta": delta,
                       "better": "higher" if higher else "lower", "tolerance": allowed,
                       "configured_tolerance": tol, "ok": ok})
    checks.extend(dict(c) for c in extra)
    failed = [c["metric"] for c in checks if not c["ok"]]
    return {"decision": "refuse" if failed else "promote", "worse_beyond_tolerance": failed,
            "checks": checks}


def recall_at_fpr_of(scores: Sequence[float], labels: Sequence[str], fpr: float) -> float | None:
    """Recall at the lowest threshold whose false-positive rate on all negatives is <= fpr.

    The gate's `recall_at_review_fpr` uses the current model's review-threshold FPR for
    both models, so the candidate's own (label-influenced) threshold choice cannot hide a
    loss of ranking.
    """
    s, lab = np.asarray(scores, dtype=np.float64), np.asarray(labels)
    pos, neg = s[lab == POSITIVE], s[lab != POSITIVE]
    if not len(pos) or not len(neg):
        return None
    return round(float((pos >= threshold_for_fpr(neg, fpr)).mean()), 4)


def fpr_at(scores: Sequence[float], labels: Sequence[str], threshold: float) -> float | None:
    """Share of all negatives scored at or above `threshold`."""
    s, lab = np.asarray(scores, dtype=np.float64), np.asarray(labels)
    neg = s[lab != POSITIVE]
    return float((neg >= threshold).mean()) if len(neg) else None


#: A (source, label) group of the evaluation set needs this many rows for its own check.
GROUP_MIN_ROWS = 30
#: How far one group's share held for review may move the wrong way (down for propaganda,
#: up for discussion and other) before the noise floor. A targeted batch of wrong labels
#: moves one source a lot while the pooled metrics move little. Propaganda gets the pooled
#: review recall's margin, the negatives the recipe's per-source FPR budget (1%).
GROUP_TOLERANCE = {"propaganda": 0.02, "negative": 0.01}


def group_checks(old: Sequence[float], new: Sequence[float], labels: Sequence[str],
                 sources: Sequence[str], old_threshold: float, new_threshold: float,
                 min_rows: int = GROUP_MIN_ROWS,
                 tolerance: Mapping[str, float] = GROUP_TOLERANCE) -> list[dict[str, Any]]:
    """Per (source, label) group: the share each model holds for review at its own threshold.

    Decisions, not raw scores: a candidate trained on more propaganda labels scores
    everything a little higher and sets its threshold higher to match, which is no
    regression. Paired on the same rows (McNemar): the noise is that of the rows whose
    decision changed, sqrt(changed) / n, so the floor is two of those standard errors.
    """
    before = np.asarray(old, dtype=np.float64) >= old_threshold
    after = np.asarray(new, dtype=np.float64) >= new_threshold
    lab, src = np.asarray(labels), np.asarray(sources)
    checks = []
    for source in sorted(set(src.tolist())):
        for label in sorted(set(lab[src == source].tolist())):
            members = (src == source) & (lab == label)
            n = int(members.sum())
            if n < min_rows:
                continue
            b, a = before[members], after[members]
            changed = int((b != a).sum())
            old_rate, new_rate = float(b.mean()), float(a.mean())
            positive = label == POSITIVE
            tol = tolerance["propaganda" if positive else "negative"]
            allowed = round(max(tol, Z * math.sqrt(changed) / n), 4)
            wrong_way = old_rate - new_rate if positive else new_rate - old_rate
            checks.append({"metric": f"review_rate[{source}/{label}]",
                           "current": round(old_rate, 4), "candidate": round(new_rate, 4),
                           "delta": round(new_rate - old_rate, 4),
                           "better": "higher" if positive else "lower",
                           "tolerance": allowed, "configured_tolerance": tol,
                           "rows": n, "ok": wrong_way <= allowed})
    return checks
