"""`Model._explain` gives what one running sum per term gives, bit for bit.

The explanation sums each n-gram occurrence's share of its column's push into its term,
in occurrence order. It is now a few array operations; the loop it replaced is kept here
as the reference and compared on generated texts and on shared-data rows (terms,
weights, spans, order), so no verdict's explanation changes.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from moderator.classifier import load_model, resolve_current
from moderator.classifier.hashing import Grams, grams
from moderator.classifier.model import Contribution, Model, _units, _words
from tests.conftest import shared_texts

REPO = Path(__file__).resolve().parents[2]
DATA = REPO.parent / "shared" / "data"
PIECES = ["allah", "akbar", "jihad", " ", "  ", "\n", "-", "'", "’", "aa", "the", "of", "и",
          "смерть", "кафир", "ақ", "1", "42", ".", ",", "!", "É", "ß", "İ", "\u0301", "😀",
          "𝐣", "_", "x"]


@pytest.fixture(scope="module")
def shipped() -> Model:
    return load_model(resolve_current(REPO / "models"))


def explain_by_loop(model: Model, text: str, top_k: int) -> list[Contribution]:
    """The explanation as a loop over every n-gram occurrence (the reference)."""
    linear = model.linear
    g = grams(text, linear.spec, with_spans=True)
    assert isinstance(g, Grams)
    if not len(g.columns):
        return []
    cols, values = linear.row(text)
    push = dict(zip(cols.tolist(), (values * linear.coef[cols] * linear.slope).tolist(),
                    strict=True))
    uniq, counts = np.unique(g.columns, return_counts=True)
    share = dict(zip(uniq.tolist(), counts.tolist(), strict=True))
    words = [(m.start(), m.end()) for m in _words(text)]
    if not words:
        return []
    unit_starts, unit_ends = _units(words, g.starts, g.ends)
    totals: dict[str, list[float]] = {}
    for col, start, end in zip(g.columns.tolist(), unit_starts.tolist(), unit_ends.tolist(),
                               strict=True):
        term = text[start:end]
        w = push[col] / share[col]
        prev = totals.get(term)
        if prev:
            prev[0] += w
        else:
            totals[term] = [w, start, end]
    chosen: list[Contribution] = []
    for term, (w, start, end) in sorted(totals.items(), key=lambda kv: -kv[1][0]):
        if w <= 0 or len(chosen) >= top_k:
            break
        if any(start < c.end and c.start < end for c in chosen):
            continue
        chosen.append(Contribution(term, round(w, 4), int(start), int(end)))
    return chosen


def _same(model: Model, text: str, top_k: int = 5) -> None:
    got = model._explain(text, top_k)
    want = explain_by_loop(model, text, top_k)
    assert [c.to_dict() for c in got] == [c.to_dict() for c in want]
    assert all(type(c.start) is int and type(c.end) is int for c in got)


@settings(max_examples=300, derandomize=True, deadline=None)
@given(st.lists(st.sampled_from(PIECES), max_size=60).map("".join),
       st.integers(min_value=1, max_value=12))
def test_explanation_is_the_running_sum_on_generated_texts(shipped: Model, text: str,
                                                           top_k: int) -> None:
    _same(shipped, text, top_k)


def test_explanation_of_repeated_words_and_ties(shipped: Model) -> None:
    for text in ["jihad jihad jihad", "a b c d e f g", "", "!!!", "the the the of of",
                 "Allah akbar, allah AKBAR; ALLAH akbar", "x" * 3000]:
        _same(shipped, text, 12)


@pytest.mark.skipif(not (DATA / "README.md").is_file(),
                    reason=f"labelled data not found at {DATA} (../shared/data)")
def test_explanation_is_the_running_sum_on_shared_data_rows(shipped: Model) -> None:
    count = 0
    for text in shared_texts(DATA, every=50, length=1500):
        _same(shipped, text)
        count += 1
    assert count > 2_000


@pytest.mark.slow
@pytest.mark.skipif(not (DATA / "README.md").is_file(),
                    reason=f"labelled data not found at {DATA} (../shared/data)")
def test_explanation_is_the_running_sum_on_every_shared_data_row(shipped: Model) -> None:
    texts = shared_texts(DATA, every=1, length=1500)
    assert sum(1 for text in texts if _same(shipped, text) is None) > 100_000
