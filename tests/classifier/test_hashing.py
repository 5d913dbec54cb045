"""The numpy n-gram hasher makes the n-grams scikit-learn's analysers make, batch or not."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sklearn.feature_extraction.text import HashingVectorizer

from moderator.classifier.hashing import NgramSpec, count_matrix, count_row, grams

SPEC = NgramSpec(n_features=1 << 18)
TEXTS = ["Kill the police, brothers! Join us", "  a  b\tc  x", "x", "", "   ",
         "Убивайте полицейских и чиновников", "word\nnext line", "🙂 emoji 𝕏 ok",
         "Полицейлерді өлтіріңдер, үкіметті құлатамыз"]


def sklearn_gram_count(text: str) -> int:
    common = {"n_features": 1 << 18, "alternate_sign": False, "norm": None}
    word = HashingVectorizer(analyzer="word", ngram_range=(1, 2), **common)
    char = HashingVectorizer(analyzer="char_wb", ngram_range=(2, 5), **common)
    return int(word.transform([text]).sum() + char.transform([text]).sum())


@pytest.mark.parametrize("text", TEXTS)
def test_as_many_ngrams_as_scikit_learn(text: str) -> None:
    assert len(grams(text, SPEC)) == sklearn_gram_count(text)


@settings(max_examples=60, deadline=None)
@given(st.lists(st.text(alphabet=st.characters(codec="utf-8"), max_size=80), max_size=12))
def test_a_batch_counts_each_text_as_alone(texts: list[str]) -> None:
    matrix = count_matrix(texts, SPEC)
    for i, text in enumerate(texts):
        cols, counts = count_row(text, SPEC)
        row = matrix[i]
        assert np.array_equal(row.indices, cols) and np.array_equal(row.data, counts)


def test_spans_cover_the_ngram_in_the_typed_text() -> None:
    text = "Join US now"
    g = grams(text, SPEC, with_spans=True)
    words = {text[s:e] for s, e, c in zip(g.starts, g.ends, g.is_char, strict=True) if not c}
    assert words == {"Join", "US", "now", "Join US", "US now"}
    chars = [text[s:e] for s, e, c in zip(g.starts, g.ends, g.is_char, strict=True) if c]
    assert "Jo" in chars and "now" in chars and all(" " not in c for c in chars)
