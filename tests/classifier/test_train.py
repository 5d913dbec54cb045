"""Threshold rules of the training recipe: pooled budgets and the per-source budget."""

from __future__ import annotations

import numpy as np
from hypothesis import given
from hypothesis import strategies as st

from moderator.classifier.train import Params, choose_thresholds, round_up

POOLED = Params(review_fpr={"discusses": 0.02, "other": 0.02}, review_source_fpr=None)
PER_SOURCE = Params(review_fpr={"discusses": 0.02, "other": 0.02}, review_source_fpr=0.01)


def _validation(hard_rows: int = 200, hard_flagged: int = 20) -> tuple[np.ndarray, ...]:
    """1000 easy `other` rows of one source, and a hard source whose top rows score high."""
    rng = np.random.default_rng(0)
    easy = rng.uniform(0.0, 0.5, 1000)
    hard = np.concatenate([rng.uniform(0.95, 0.99, hard_flagged),
                           rng.uniform(0.0, 0.5, hard_rows - hard_flagged)])
    scores = np.concatenate([easy, hard])
    labels = np.array(["other"] * len(scores))
    sources = np.array(["easy"] * len(easy) + ["hard"] * len(hard))
    return scores, labels, sources


def _flagged(scores: np.ndarray, sources: np.ndarray, source: str, t: float) -> int:
    return int((scores[sources == source] >= t).sum())


def test_pooled_budget_lets_the_hardest_source_be_flagged_many_times() -> None:
    scores, labels, sources = _validation()
    t = choose_thresholds(scores, labels, POOLED, sources)["review"]
    assert _flagged(scores, sources, "hard", t) == 20  # 10% of that source


def test_per_source_budget_holds_every_source_to_it() -> None:
    scores, labels, sources = _validation()
    thresholds = choose_thresholds(scores, labels, PER_SOURCE, sources)
    for source in ("easy", "hard"):
        rows = int((sources == source).sum())
        assert _flagged(scores, sources, source, thresholds["review"]) <= 0.01 * rows
    assert thresholds["reject"] >= thresholds["review"]


def test_small_sources_do_not_set_the_threshold() -> None:
    scores, labels, sources = _validation(hard_rows=50, hard_flagged=5)
    t = choose_thresholds(scores, labels, PER_SOURCE, sources)["review"]
    assert _flagged(scores, sources, "hard", t) == 5  # 50 rows: too few to hold to 1%


def test_without_sources_only_the_pooled_budgets_apply() -> None:
    scores, labels, sources = _validation()
    assert choose_thresholds(scores, labels, PER_SOURCE) == \
        choose_thresholds(scores, labels, POOLED, sources)


@given(st.floats(min_value=0.0, max_value=1.0))
def test_stored_thresholds_are_never_rounded_down(threshold: float) -> None:
    stored = round_up(threshold)
    assert threshold <= stored < threshold + 1.01e-6
    assert stored == round(stored, 6)
