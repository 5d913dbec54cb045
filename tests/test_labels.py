"""Label folds that rotate, and the cross-check that flags labels before they train."""

from __future__ import annotations

from collections import Counter
from dataclasses import replace
from pathlib import Path

import pytest

from moderator.classifier.data import load_csvs
from moderator.classifier.train import Params
from moderator.labels import (
    FOLDS,
    Bounds,
    CrossCheck,
    bounds,
    check_fold,
    cross_check,
    disagrees,
    fold_of,
    hold_batches,
    rotate,
)
from moderator.store import LabelRow


def rows(n: int, group: str | None = None) -> list[LabelRow]:
    return [LabelRow(f"text {i}", "other", "moderator_api", "en", i + 1, "active", group)
            for i in range(n)]


def test_every_label_is_held_back_once_in_k_runs_and_trains_in_the_others() -> None:
    labels = rows(500)
    held_in: Counter[int] = Counter()
    for run in range(FOLDS):
        train, held = rotate(labels, run)
        assert len(train) + len(held) == len(labels)
        assert not {r.id for r in train} & {r.id for r in held}
        held_in.update(r.id for r in held if r.id is not None)
        assert 0.1 < len(held) / len(labels) < 0.3
    assert set(held_in.values()) == {1} and len(held_in) == len(labels)
    assert rotate(labels, 7) == rotate(labels, 7 + FOLDS)  # run N holds fold N mod k


def test_a_labels_fold_follows_its_id_not_its_text_or_order() -> None:
    a = LabelRow("one text", "other", "s", "en", 42)
    b = LabelRow("another text", "propaganda", "s", "en", 42)
    assert fold_of(a) == fold_of(b)
    assert rotate(rows(50)[::-1], 1)[1] == rotate(rows(50), 1)[1][::-1]
    assert fold_of(LabelRow("t", "other", "s", "en")) == fold_of(LabelRow("t", "x", "y", "z"))


def test_one_submitters_labels_share_a_cross_check_fold() -> None:
    batch = rows(40, group="mallory")
    assert len({check_fold(r) for r in batch}) == 1
    assert len({check_fold(r) for r in rows(40)}) > 1  # no submitter known: by id


def test_bounds_follow_the_models_own_scores_and_never_cross_half() -> None:
    labels = ["propaganda"] * 100 + ["other"] * 100
    scores = [0.3 + 0.006 * i for i in range(100)] + [0.002 * i for i in range(100)]
    limits = bounds(scores, labels)
    assert limits.propaganda == pytest.approx(0.3 + 0.006 * 0.99)  # 1st percentile
    assert limits.negative == 0.5  # 99th percentile 0.198, but never below one half
    assert bounds([0.9] * 10, ["propaganda"] * 10) == Bounds(0.5, 1.0)


@pytest.mark.parametrize(("label", "score", "flag"), [
    ("propaganda", 0.05, True), ("propaganda", 0.2, True), ("propaganda", 0.25, False),
    ("other", 0.85, True), ("discusses", 0.8, True), ("other", 0.7, False),
    ("other", 0.45, False),
])
def test_disagreement_needs_the_bound_and_the_other_side_of_half(label: str, score: float,
                                                                  flag: bool) -> None:
    assert disagrees(label, score, Bounds(propaganda=0.2, negative=0.8)) is flag
    assert not disagrees(label, score, Bounds(propaganda=0.0, negative=1.0))


def test_cross_check_flags_what_the_model_is_sure_is_wrong(sample_csvs: list[Path],
                                                           tiny_params: Params) -> None:
    base = load_csvs(sample_csvs)
    propaganda = [t for t, lab in zip(base.texts, base.labels, strict=True)
                  if lab == "propaganda"][:30]
    # Base propaganda told the other way round by one submitter, the right way by another.
    wrong = [LabelRow(t, "other", "moderator_api", "en", i + 1, "active", "mallory")
             for i, t in enumerate(propaganda)]
    right = [LabelRow(t, "propaganda", "moderator_api", "en", i + 100, "active", "carol")
             for i, t in enumerate(propaganda)]
    # The same wrong labels once more, but confirmed by a moderator after a second look.
    confirmed = [LabelRow(r.text, r.label, r.source, r.lang, r.id + 200, "confirmed",  # type: ignore[operator]
                          "mallory") for r in wrong]
    checks = cross_check(base, wrong + right + confirmed, tiny_params)
    assert [c.index for c in checks] == list(range(3 * len(wrong)))
    n = len(wrong)
    by_score = [c for c in checks[:n] if c.reason == "score"]
    assert len(by_score) >= n // 4  # the small test model is sure of some of them ...
    assert all(c.score >= c.bound > 0.5 for c in by_score)
    assert all(c.flagged for c in checks[:n])  # ... and then holds the whole batch
    assert sum(c.flagged for c in checks[n:2 * n]) < n // 4
    # Confirmed twins: the same fold and score, never flagged.
    assert [c.score for c in checks[2 * n:]] == pytest.approx([c.score for c in checks[:n]])
    assert not any(c.flagged for c in checks[2 * n:])


def test_a_mostly_flagged_batch_is_held_whole() -> None:
    def check(i: int, flagged: bool) -> CrossCheck:
        return CrossCheck(i, i + 1, "other", 0.9 if flagged else 0.2, 0.8, flagged,
                          "score" if flagged else None)

    rows = [LabelRow(f"t{i}", "other", "s", "en", i + 1, "active", group)
            for i, group in enumerate(["mallory"] * 21 + ["carol"] * 20 + ["few"] * 5)]
    rows[20] = replace(rows[20], status="confirmed")
    flags = [i < 5 for i in range(21)] + [i < 4 for i in range(20)] + [True] * 2 + [False] * 3
    out = hold_batches([check(i, f) for i, f in enumerate(flags)], rows)
    # 5 of 20 unconfirmed: a quarter, so the rest is held; the confirmed one is not.
    assert [c.reason for c in out[:21]] == ["score"] * 5 + ["batch"] * 15 + [None]
    assert sum(c.flagged for c in out[21:41]) == 4  # 4 of 20: under a quarter
    assert sum(c.flagged for c in out[41:]) == 2  # 5 labels: too few to judge as a batch
