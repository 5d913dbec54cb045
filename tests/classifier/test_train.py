"""Threshold rule of the training recipe: a share of validation negatives, sources equal."""

from __future__ import annotations

import numpy as np
import pytest
import scipy.sparse as sp
from hypothesis import given
from hypothesis import strategies as st

from moderator.classifier.data import Dataset
from moderator.classifier.train import (
    Params,
    choose_thresholds,
    column_scale,
    fit_counts,
    fit_linear,
    nb_ratio,
    params_from,
    round_up,
    row_weights,
    source_weights,
    sources_per_column,
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


def test_square_root_weights_sit_between_plain_and_every_source_equal() -> None:
    """Four rows of source a and one of b: sqrt weights a group by 1/sqrt(n), so a's
    total is sqrt(4) = 2 against b's 1 (plain 4:1, balanced 1:1), and the label keeps
    its 5 rows' worth of weight; another label is scaled on its own."""
    sources = ["a", "a", "a", "a", "b", "a", "b"]
    labels = ["x"] * 5 + ["y"] * 2
    w = row_weights([""] * 7, sources, labels, exponent=0.5)
    assert np.allclose(w[:5], [5 / 6] * 4 + [5 / 3])
    assert w[:4].sum() == pytest.approx(2 * w[4])
    assert np.allclose(w[5:], [1.0, 1.0])
    balanced = row_weights([""] * 5, sources[:5], labels[:5], exponent=1.0)
    assert balanced[:4].sum() == pytest.approx(balanced[4]) and balanced.sum() == 5


def test_plain_weights_are_all_one() -> None:
    assert np.array_equal(row_weights(["a", "a"], ["s", "s"], ["x", "x"]), [1.0, 1.0])


def test_copies_of_one_text_share_one_rows_weight() -> None:
    """A retweet and a relinked copy have the text's split key: the three count as one."""
    texts = ["RT @ann: Join us now http://t.co/a", "join us NOW https://t.co/b",
             "@bob join us now", "Something else entirely"]
    w = row_weights(texts, ["s"] * 4, ["x"] * 4, near_dup=True)
    assert np.allclose(w, [2 / 3, 2 / 3, 2 / 3, 2.0])  # 1/3, 1/3, 1/3, 1, times 4 / 2


def test_with_copies_a_sources_size_counts_each_text_once() -> None:
    """Source a: one text posted four times, b: one text. With copies folded, both have
    one text, so the square-root weighting gives them the same total."""
    texts = ["same words"] * 4 + ["other words"]
    w = row_weights(texts, ["a"] * 4 + ["b"], ["x"] * 5, exponent=0.5, near_dup=True)
    assert w[:4].sum() == pytest.approx(w[4]) and w.sum() == pytest.approx(5)


def _counts() -> tuple[sp.csr_matrix, np.ndarray, np.ndarray]:
    """Four columns of a 2 x 2 hash space (words 0-1, characters 2-3); column 1 occurs in
    source a only, column 3 in no row."""
    counts = sp.csr_matrix(np.array([[1, 2, 1, 0], [1, 0, 1, 0], [1, 1, 0, 0], [0, 0, 2, 0]]))
    return counts, np.array([1, 0, 1, 0]), np.array(["a", "b", "a", "b"])


def test_damped_ratio_keeps_the_sign_and_takes_the_root() -> None:
    counts, y, _ = _counts()
    r = nb_ratio(counts, y)
    damped = column_scale(counts, y, Params(n_features=2, nb_ratio=True, nb_exponent=0.5))
    assert damped is not None
    assert np.allclose(damped, np.sign(r) * np.sqrt(np.abs(r)))
    assert np.array_equal(column_scale(counts, y, Params(n_features=2, nb_ratio=True)), r)


def test_word_scale_touches_the_word_block_only() -> None:
    counts, y, _ = _counts()
    assert column_scale(counts, y, Params(n_features=2)) is None
    scale = column_scale(counts, y, Params(n_features=2, word_scale=2.0))
    assert np.array_equal(scale, [2.0, 2.0, 1.0, 1.0])


def test_columns_of_one_source_are_left_out() -> None:
    counts, y, sources = _counts()
    assert np.array_equal(sources_per_column(counts, sources), [2, 1, 2, 0])
    scale = column_scale(counts, y, Params(n_features=2, min_sources=2), sources)
    assert np.array_equal(scale, [1.0, 0.0, 1.0, 0.0])
    linear = fit_linear(counts, y, Params(n_features=2, min_sources=2), sources=sources)
    assert linear.coef[1] == 0.0 and linear.coef[0] != 0.0
    with pytest.raises(ValueError, match="sources"):
        column_scale(counts, y, Params(n_features=2, min_sources=2))


def test_the_options_stay_off_the_plain_card_and_round_trip() -> None:
    plain = Params().to_dict()
    assert not {"source_exponent", "near_dup", "nb_exponent", "word_scale",
                "min_sources"} & set(plain)
    assert params_from(plain) == Params()
    tuned = Params(source_exponent=0.5, near_dup=True, nb_ratio=True, nb_exponent=0.5,
                   word_scale=2.0, min_sources=2)
    assert params_from(tuned.to_dict()) == tuned


def test_source_balanced_does_not_mix_with_the_other_weightings() -> None:
    counts, _, sources = _counts()
    data = Dataset(["a b", "c d", "e f", "g h"],
                   ["propaganda", "other", "propaganda", "other"], sources.tolist(),
                   ["en"] * 4)
    with pytest.raises(ValueError, match="source_exponent"):
        fit_counts(counts, data, Params(n_features=2, source_balanced=True,
                                        source_exponent=0.5))
