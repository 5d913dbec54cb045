"""Form generation: every calling form of a verb, made once at load."""

from __future__ import annotations

import pytest

from moderator.policy.incitement_forms import Form, noun_forms, verb_forms


def test_russian_verbs_keep_imperative_hortative_and_infinitive() -> None:
    forms = verb_forms("ru", "убить")
    assert forms["убейте"] is Form.IMPERATIVE and forms["убей"] is Form.IMPERATIVE
    assert forms["убьем"] is Form.BASE  # ё is folded as the normaliser folds it
    assert forms["убить"] is Form.BASE
    assert "убил" not in forms  # a past tense reports, it never calls


def test_russian_nouns_have_every_case() -> None:
    assert {"полицейских", "полицейским", "полицейского"} <= noun_forms("ru", "полицейский")


@pytest.mark.parametrize(
    ("stem", "wanted"),
    [
        ("өлтір", {"өлтіріңдер", "өлтіріңіз", "өлтірейік", "өлтірсін", "өлтіру", "өлтір",
                   "өлтіріңдерші", "өлтіріңіздер"}),
        ("жой", {"жойыңдар", "жояйық", "жою", "жоюымыз", "жойыңдаршы"}),
        ("өрте", {"өртеңдер", "өртейік", "өртеу"}),
        ("шап", {"шабыңдар", "шабайық", "шабу"}),
        ("соқ", {"соғыңдар", "соғайық"}),
    ],
)
def test_kazakh_suffixes_follow_vowel_harmony(stem: str, wanted: set[str]) -> None:
    assert wanted <= set(verb_forms("kk", stem))


def test_kazakh_necessity_and_short_stems() -> None:
    forms = verb_forms("kk", "ат")
    assert forms["ату"] is Form.NECESSITY and forms["атыңдар"] is Form.IMPERATIVE
    assert "ат" not in forms  # a bare short stem is also a noun (name, horse)


def test_english_and_listed() -> None:
    assert verb_forms("en", "Kill") == {"kill": Form.BASE}
    assert noun_forms("en", "judge") >= {"judge", "judges"}
    assert noun_forms("en", "authority") >= {"authorities"}
    assert verb_forms("listed", "ubij = imperative") == {"ubij": Form.IMPERATIVE}
    assert verb_forms("listed", "ubiti = base") == {"ubiti": Form.BASE}
