"""Threshold rule of the training recipe: a share of validation negatives, sources equal."""

from __future__ import annotations

import numpy as np
from hypothesis import given
from hypothesis import strategies as st

from moderator.classifier.train import (
    Params,
    choose_thresholds,
    round_up,
    source_weights,
    weighted_share_threshold,
)

RULE = Params(review_share=0.01, reject_share=0.001)


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


def test_each_source_counts_equally_however_many_rows_it_has() -> None:
    """Pooled over rows, 1% of 1,200 would allow 12 of the 200 hard rows; with the two
    sources weighted equally 1% allows 2% of one source: 4 hard rows."""
    scores, labels, sources = _validation()
    t = choose_thresholds(scores, labels, sources, RULE)["review"]
    assert _flagged(scores, sources, "hard", t) == 4
    assert _flagged(scores, sources, "easy", t) == 0


def test_reject_flags_the_smaller_share_and_is_never_below_review() -> None:
    scores, labels, sources = _validation()
    thresholds = choose_thresholds(scores, labels, sources, RULE)
    assert thresholds["reject"] >= thresholds["review"]
    assert 0 < thresholds["review"] < 1 and 0 < thresholds["reject"] < 1


def test_positives_do_not_count_as_flagged_negatives() -> None:
    scores, labels, sources = _validation()
    labels = labels.copy()
    labels[sources == "hard"] = "propaganda"
    t = choose_thresholds(scores, labels, sources, RULE)["review"]
    assert _flagged(scores, sources, "easy", t) == 10  # 1% of the only negative source


def test_ties_at_the_cut_are_all_left_out() -> None:
    scores = np.array([0.9, 0.8, 0.8, 0.8, 0.1])
    t = weighted_share_threshold(scores, np.ones(5), 0.5)
    assert (scores >= t).sum() == 1


def test_source_weights_sum_to_one_per_label() -> None:
    w = source_weights(["a", "a", "a", "b"], ["x", "x", "x", "x"])
    assert np.allclose(w, [1 / 6, 1 / 6, 1 / 6, 1 / 2])


@given(st.floats(min_value=0.0, max_value=1.0))
def test_stored_thresholds_are_never_rounded_down(threshold: float) -> None:
    stored = round_up(threshold)
    assert threshold <= stored < threshold + 1.01e-6
    assert stored == round(stored, 6)
