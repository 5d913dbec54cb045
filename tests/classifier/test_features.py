"""Feature extraction without a model: folded doubles (fast, no training)."""

from __future__ import annotations

import pytest

from moderator.classifier.features import (
    HashedFeatures,
    fold_doubles,
    pair_features,
    word_features,
)
from moderator.text import normalize

FOLD = {"char_range": (3, 5), "lexicon": True, "mute_topic": True, "mute_religion": True,
        "fold": True}


@pytest.mark.parametrize(("typed", "plain"), [
    ("ssoldiers", "soldiers"), ("sooldierss", "soldiers"), ("kuffar", "kufar"),
    ("khilaaffah", "khilafah"), ("raqqa", "raqa"), ("летняя", "летня"), ("0000", "0"),
])
def test_fold_doubles(typed: str, plain: str) -> None:
    assert fold_doubles(typed) == plain


@pytest.mark.parametrize(("typed", "plain"), [
    ("ssoldiers", "soldiers"), ("khillaffah", "khilafah"), ("kuffar", "kufar"),
    ("crussaders", "crusaders"), ("brotherrs", "brothers"), ("sttate", "state"),
])
def test_a_word_with_repeated_letters_has_the_plain_words_features(typed: str,
                                                                    plain: str) -> None:
    assert word_features(typed, **FOLD) == word_features(plain, **FOLD)
    assert pair_features("the", typed, lexicon=True, mute_religion=True, fold=True) == \
        pair_features("the", plain, lexicon=True, mute_religion=True, fold=True)


def test_folded_words_keep_their_lexicon_and_mutes() -> None:
    assert "L+" in word_features("kuffaar", **FOLD)
    assert "L+" in pair_features("ssoldiers", "of", lexicon=True, fold=True)
    assert word_features("isiss", **FOLD) == ["L-"]  # a topic word, muted: lexicon only
    assert word_features("aamiin", **FOLD) == []  # faith, muted
    assert word_features("hammas", **FOLD) == []
    # `good` folds to `god` but is an ordinary word: it keeps its features.
    assert word_features("good", **FOLD)[0] == "wgod"
    assert word_features("god", **FOLD) == []


def test_without_fold_features_are_as_before() -> None:
    assert word_features("kuffar", (3, 5), lexicon=True)[0] == "wkuffar"
    assert pair_features("ssoldiers", "of", lexicon=True) == ["bssoldiers\x01of"]


def test_repeated_letters_score_like_the_plain_text() -> None:
    hf = HashedFeatures(n_features=1 << 16, mute_topic=True, mute_religion=True,
                        fold_doubles=True).fit([])
    plain = normalize("The soldiers of the khilafah will conquer Rome").text
    typed = normalize("TTThe sooooolllldiers of thhhhhe Khilllllaaafah wiiiill conqueeeeer "
                      "Rommmmme").text
    a, b = hf.transform([plain, typed])
    assert (a != b).nnz == 0
