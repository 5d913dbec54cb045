"""One comment's score (`margin_of_one`) is the batch path's, bit for bit.

A check scores one comment at a time; that path sums the same values over the same
segments with fewer numpy calls. Compared with the batch arithmetic (`margins`) on
generated texts, edge cases (no n-gram, only word or only character n-grams) and
shared-data rows, with the compiled counter and the numpy reference alike.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from moderator.classifier import load_model, resolve_current
from moderator.classifier.model import Model, _sigmoid
from moderator.classifier.native import PURE_PYTHON_ENV
from tests.conftest import shared_texts

REPO = Path(__file__).resolve().parents[2]
DATA = REPO.parent / "shared" / "data"
PIECES = ["allah", "akbar", "jihad", " ", "\n", "-", "'", "the", "of", "и", "смерть", "ақ",
          "1", ".", "!", "É", "İ", "\u0301", "😀", "a", "x"]


@pytest.fixture(scope="module")
def shipped() -> Model:
    return load_model(resolve_current(REPO / "models"))


def _same(model: Model, text: str) -> None:
    linear = model.linear
    batch = linear.margins([text])
    one = linear.margin_of_one(text)
    assert np.float64(one).tobytes() == batch[0].tobytes(), repr(text[:80])
    want = _sigmoid(linear.slope * batch + linear.offset)
    assert linear.probabilities([text]).tobytes() == want.tobytes()


@pytest.mark.parametrize("pure", [False, True])
def test_edge_cases(shipped: Model, pure: bool, monkeypatch: pytest.MonkeyPatch) -> None:
    if pure:
        monkeypatch.setenv(PURE_PYTHON_ENV, "1")
    # nothing; one character (character n-grams only); words; punctuation only
    for text in ["", " ", "a", "!", "ab", "a b c", "jihad", "😀", "x" * 4000, "the of " * 300]:
        _same(shipped, text)


@settings(max_examples=300, derandomize=True, deadline=None)
@given(st.lists(st.sampled_from(PIECES), max_size=60).map("".join))
def test_generated_texts(shipped: Model, text: str) -> None:
    _same(shipped, text)


@pytest.mark.skipif(not (DATA / "README.md").is_file(),
                    reason=f"labelled data not found at {DATA} (../shared/data)")
def test_shared_data_rows(shipped: Model) -> None:
    assert sum(1 for text in shared_texts(DATA, every=20) if _same(shipped, text) is None) > 5_000


@pytest.mark.slow
@pytest.mark.skipif(not (DATA / "README.md").is_file(),
                    reason=f"labelled data not found at {DATA} (../shared/data)")
def test_every_shared_data_row(shipped: Model) -> None:
    assert sum(1 for text in shared_texts(DATA, every=1) if _same(shipped, text) is None) > 100_000


@pytest.mark.skipif(not (DATA / "README.md").is_file(),
                    reason=f"labelled data not found at {DATA} (../shared/data)")
def test_one_comment_scores_as_its_row_of_a_pair(shipped: Model) -> None:
    """`explain` reuses the two scores `score_normalized` took one comment at a time where
    it once scored the typed and normalised text as a batch of two: the same numbers."""
    from moderator.text import normalize

    count = 0
    for text in shared_texts(DATA, every=8):
        normalized = normalize(text[:1500])
        pair = shipped.score([normalized.original, normalized.text])
        assert pair == [shipped.score([normalized.original])[0],
                        shipped.score([normalized.text])[0]]
        shipped._last_readings = None
        fresh = shipped.explain(normalized.original, normalized=normalized)
        shipped.score_normalized([normalized])
        assert shipped.explain(normalized.original, normalized=normalized) == fresh
        count += 1
    assert count > 10_000
