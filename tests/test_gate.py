"""The promotion gate's rules: per-metric tolerances, noise floors, per-source decisions."""

from __future__ import annotations

import pytest

from moderator.gate import (
    TOLERANCES,
    fpr_at,
    gate,
    group_checks,
    noise,
    recall_at_fpr_of,
)

CURRENT = {"roc_auc": 0.9, "pr_auc": 0.8, "recall_at_1pct_fpr": 0.5,
           "recall_at_review_fpr": 0.6,
           "review": {"recall": 0.6, "fpr_discusses": 0.004, "fpr_other": 0.001}}


def test_gate_tolerance_is_per_metric() -> None:
    within = {"roc_auc": 0.892, "pr_auc": 0.8, "recall_at_1pct_fpr": 0.49,
              "recall_at_review_fpr": 0.59,
              "review": {"recall": 0.6, "fpr_discusses": 0.008, "fpr_other": 0.001}}
    assert gate(CURRENT, within)["decision"] == "promote"
    worse_fpr = {**within, "review": {**within["review"], "fpr_other": 0.0075}}
    verdict = gate(CURRENT, worse_fpr)
    assert verdict["decision"] == "refuse"
    assert verdict["worse_beyond_tolerance"] == ["review.fpr_other"]
    assert gate(None, within)["decision"] == "promote"  # nothing to compare with


def test_noise_floor_widens_tolerance_on_small_sets_only() -> None:
    worse = {**CURRENT, "review": {**CURRENT["review"], "recall": 0.55}}
    small = {"propaganda": 40, "discusses": 50, "other": 60}
    large = {"propaganda": 40_000, "discusses": 50_000, "other": 60_000}
    assert gate(CURRENT, worse, rows=small)["decision"] == "promote"  # 2 of 40 rows: noise
    assert gate(CURRENT, worse, rows=large)["worse_beyond_tolerance"] == ["review.recall"]
    check = next(c for c in gate(CURRENT, worse, rows=small)["checks"]
                 if c["metric"] == "review.recall")
    assert check["tolerance"] > check["configured_tolerance"] == TOLERANCES["review.recall"][1]
    assert noise("roc_auc", 0.9, small) > noise("roc_auc", 0.9, large) > 0
    # An FPR of 0 on 60 rows still has the noise of one row in 60.
    assert noise("review.fpr_other", 0.0, small) == pytest.approx((1 / 60 * 59 / 60 / 60) ** 0.5)


def test_extra_checks_count_like_the_others() -> None:
    failing = {"metric": "review_rate[x/propaganda]", "ok": False}
    verdict = gate(CURRENT, CURRENT, extra=[failing])
    assert verdict["decision"] == "refuse"
    assert verdict["worse_beyond_tolerance"] == ["review_rate[x/propaganda]"]


def test_group_checks_catch_one_source_losing_its_propaganda() -> None:
    labels = ["propaganda"] * 100 + ["other"] * 100
    sources = ["a"] * 50 + ["b"] * 50 + ["c"] * 100
    old = [0.9] * 100 + [0.1] * 100
    new = [0.9] * 50 + [0.2] * 50 + [0.1] * 100  # source b's propaganda now passes
    checks = {c["metric"]: c for c in group_checks(old, new, labels, sources, 0.5, 0.5)}
    assert set(checks) == {"review_rate[a/propaganda]", "review_rate[b/propaganda]",
                           "review_rate[c/other]"}
    assert checks["review_rate[b/propaganda]"]["ok"] is False
    assert (checks["review_rate[b/propaganda]"]["current"],
            checks["review_rate[b/propaganda]"]["candidate"]) == (1.0, 0.0)
    assert checks["review_rate[a/propaganda]"]["ok"] and checks["review_rate[c/other]"]["ok"]


def test_group_checks_compare_decisions_not_raw_scores() -> None:
    """Everything scored higher with a threshold to match is no regression."""
    labels = ["propaganda"] * 40 + ["other"] * 40
    sources = ["a"] * 80
    old = [0.7] * 40 + [0.2] * 40
    new = [0.9] * 40 + [0.45] * 40
    checks = group_checks(old, new, labels, sources, old_threshold=0.5, new_threshold=0.6)
    assert all(c["ok"] for c in checks)
    raised = group_checks(old, new, labels, sources, old_threshold=0.5, new_threshold=0.4)
    assert [c["metric"] for c in raised if not c["ok"]] == ["review_rate[a/other]"]
    assert group_checks(old, new, labels, sources, 0.5, 0.5, min_rows=41) == []


def test_recall_at_a_shared_fpr() -> None:
    labels = ["propaganda"] * 4 + ["other"] * 10
    scores = [0.9, 0.8, 0.3, 0.2] + [0.85] + [0.1] * 9
    assert fpr_at(scores, labels, 0.5) == pytest.approx(0.1)
    assert recall_at_fpr_of(scores, labels, 0.1) == 1.0  # one negative (0.85) may pass
    assert recall_at_fpr_of(scores, labels, 0.0) == 0.25
    assert recall_at_fpr_of(scores[:4], labels[:4], 0.1) is None
