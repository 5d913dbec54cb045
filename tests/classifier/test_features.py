"""Feature extraction without a model: folded doubles and spaced-letter tokens (fast)."""

from __future__ import annotations

import pickle

import pytest

from moderator.classifier.features import (
    HashedFeatures,
    SpacedText,
    build_vocabulary,
    features_text,
    fold_doubles,
    normalize_texts,
    pair_features,
    piece_costs,
    segment,
    tokenize,
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


V6 = {**FOLD, "mute_conflict": True, "mute_religion_arabic": True}
# Word-pair settings of version 6 and later (pairs take no topic switches).
PAIRS_V6 = {"lexicon": True, "mute_religion": True, "fold": True, "mute_religion_arabic": True}


@pytest.mark.parametrize("word", ["explosion", "explosions", "blast", "bombing", "hostages",
                                  "rebels", "army", "regime", "soldiers", "fighters",
                                  "civilians", "airstrikes", "militias", "usa", "zionists",
                                  "взрыв", "заложники", "жарылыс"])
def test_conflict_words_are_muted_in_features_version_6(word: str) -> None:
    assert word_features(word, **V6) == []
    assert word_features(word, **FOLD)  # artifacts before version 6 keep their features


def test_conflict_muting_keeps_side_taking_words_pairs_and_the_critics_lexicon() -> None:
    assert "L+" in pair_features("soldiers", "of", **PAIRS_V6)
    assert word_features("killed", **V6)[0] == "wkiled"  # not muted, in the critics' lexicon
    assert "L-" in word_features("killed", **V6)
    for word in ("kuffar", "crusaders", "apostates", "mujahideen", "destroyed", "fight"):
        assert word_features(word, **V6), word


@pytest.mark.parametrize("word", ["الله", "والله", "بالله", "اللهم", "عبدالله"])
def test_arabic_allah_is_muted_in_features_version_6(word: str) -> None:
    assert word_features(word, **V6) == []
    assert pair_features("x", word, **PAIRS_V6) == []
    assert word_features(word, **FOLD)  # artifacts before version 6 keep their features


V7 = {**V6, "mute_news_form": True, "mute_function_words": True}


@pytest.mark.parametrize("word", ["breaking", "via", "video", "videos", "report", "reports",
                                  "watch", "they", "them", "their", "of", "in", "the", "from"])
def test_news_form_and_function_words_are_muted_in_features_version_7(word: str) -> None:
    assert word_features(word, **V7) == []
    assert word_features(word, **V6)  # artifacts before version 7 keep their features


def test_version_7_keeps_pairs_lexicons_and_ordinary_words() -> None:
    assert "L+" in pair_features("soldiers", "of", **PAIRS_V6)
    assert pair_features("against", "them", lexicon=True) == ["bagainst\x01them"]
    assert "L-" in word_features("reported", **V7)  # the critics' lexicon, not muted
    for word in ("reporter", "watching", "viable", "these", "our", "kuffar", "news"):
        assert word_features(word, **V7), word


def test_version_7_features_of_ordinary_text_change_only_for_muted_words() -> None:
    text = normalize("BREAKING: they watch the video via the soldiers of the khilafah").text
    v6 = HashedFeatures(n_features=1 << 16, mute_topic=True, mute_religion=True,
                        fold_doubles=True, mute_conflict=True,
                        mute_religion_arabic=True).fit([])
    v7 = HashedFeatures(n_features=1 << 16, mute_topic=True, mute_religion=True,
                        fold_doubles=True, mute_conflict=True, mute_religion_arabic=True,
                        mute_news_form=True, mute_function_words=True).fit([])
    a, b = v6.transform([text]), v7.transform([text])
    assert b.nnz < a.nnz
    assert set(b.indices) <= set(a.indices)  # nothing new, only muted words' columns gone
    assert v7.index_of("wkhilafah") in set(b.indices)
    assert v7.index_of("wthey") not in set(b.indices)


V8 = {**V7, "mute_factions": True}


@pytest.mark.parametrize("word", ["hasakah", "manbij", "ghouta", "ahrar", "jaysh", "jolani",
                                  "abu", "al", "ibn", "umm", "khawarij", "khawaarij", "khariji",
                                  "kharijites"])
def test_factions_and_name_particles_are_muted_in_features_version_8(word: str) -> None:
    assert [f for f in word_features(word, **V8) if f != "L-"] == []
    assert any(f.startswith("w") for f in word_features(word, **V7))  # older artifacts


def test_version_8_counts_khawarij_for_the_critics() -> None:
    for word in ("khawarij", "khawaarij", "khariji", "kharijites"):
        assert word_features(word, **V8) == ["L-"], word
        assert "L-" not in word_features(word, **V7), word
    assert word_features("hasakah", **V8) == []
    assert "L+" in word_features("khilafah", **V8)  # the supporters' names keep their count
    for word in ("about", "alone", "binary", "kuffar", "islamic"):
        assert word_features(word, **V8), word


def test_version_8_features_of_older_artifacts_are_unchanged() -> None:
    text = normalize("Abu Bakr and the khawarij of Hasakah, said Ahrar").text
    v7 = HashedFeatures(n_features=1 << 16, **{k: v for k, v in V7.items()
                                               if k not in ("char_range", "lexicon", "fold")},
                        fold_doubles=True).fit([])
    v7_old = pickle.loads(pickle.dumps(v7))
    del v7_old.__dict__["mute_factions"]  # as unpickled from a version 7 artifact
    v8 = HashedFeatures(n_features=1 << 16, **{k: v for k, v in V8.items()
                                               if k not in ("char_range", "lexicon", "fold")},
                        fold_doubles=True).fit([])
    a, b, c = v7.transform([text]), v7_old.transform([text]), v8.transform([text])
    assert (a != b).nnz == 0
    assert c.nnz < a.nnz
    assert v8.index_of("L-") in set(c.indices)
    assert v7.index_of("L-") not in set(a.indices)


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


VOCAB = ["the soldiers of the khilafah will conquer rome and our brothers in raqqa"] * 5


def _segmenting() -> HashedFeatures:
    return HashedFeatures(n_features=1 << 16, mute_topic=True, mute_religion=True,
                          fold_doubles=True, segment_spaced=True).fit(normalize_texts(VOCAB))


def test_features_text_marks_letters_typed_apart() -> None:
    assert not isinstance(features_text(normalize("the soldiers of rome")), SpacedText)
    spaced = features_text(normalize("the s o l d i e r s"))
    assert isinstance(spaced, SpacedText)
    assert spaced == "the soldiers"
    assert spaced.spaced == frozenset(range(4, 11))
    dotted = features_text(normalize("the s.o.l.d.i.e.r.s"))  # one word: nothing to cut
    assert not isinstance(dotted, SpacedText)


@pytest.mark.parametrize("sep", [" ", "_"])
def test_spaced_letters_glued_across_words_are_cut_back_into_words(sep: str) -> None:
    hf = _segmenting()
    plain = "the soldiers of the khilafah will conquer rome"
    typed = " ".join(sep.join(w) if len(w) > 2 else w for w in plain.split())
    text = features_text(normalize(typed))
    assert [w for w, _, _ in tokenize(text)] == ["thesoldiers", "of", "thekhilafahwillconquerrome"]
    tokens = hf.tokens(text)
    assert [w for w, _, _ in tokens] == plain.split()
    assert all(text[a:b] == w for w, a, b in tokens)  # spans index the normalised text
    a, b = hf.transform([normalize_texts([plain])[0], text])
    assert (a != b).nnz == 0


def test_ordinary_text_is_never_cut() -> None:
    hf = _segmenting()
    text = normalize_texts(["thesoldiers ofrome"])[0]  # typed glued, not spaced
    assert [w for w, _, _ in hf.tokens(text)] == ["thesoldiers", "ofrome"]
    # Spaced letters with an unknown word stay one token rather than become noise.
    text = normalize_texts(["the x y z q"])[0]
    assert [w for w, _, _ in hf.tokens(text)] == [w for w, _, _ in tokenize(text)]


def test_segment_prefers_known_frequent_words() -> None:
    costs = piece_costs(build_vocabulary(normalize_texts(VOCAB), min_count=5))
    assert segment("ourbrothers", costs) == [(0, 3), (3, 11)]
    assert segment("ourbrothersx", costs) is None
    assert build_vocabulary(normalize_texts(VOCAB), min_count=6) == "the"  # twice a text


def test_vocabulary_cache_is_not_pickled() -> None:
    hf = _segmenting()
    hf.transform([features_text(normalize("t h e s o l d i e r s"))])
    assert "_costs" in hf.__dict__
    again = pickle.loads(pickle.dumps(hf))
    assert "_costs" not in again.__dict__
    assert again.vocabulary_ == hf.vocabulary_
