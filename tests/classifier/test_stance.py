"""Stance cue tokens: which texts emit them, how they are counted, and the card."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

from moderator.classifier.hashing import NgramSpec, count_matrix, count_row, grams, lowercase
from moderator.classifier.model import load_model
from moderator.classifier.recipe import train_and_save
from moderator.classifier.sidebyside import side_by_side
from moderator.classifier.stance import StanceCues, default_cues, stance_matrix
from moderator.classifier.train import Params, params_from

N = 1 << 16


@pytest.fixture(scope="module")
def cues() -> StanceCues:
    return default_cues()


def kinds(cues: StanceCues, text: str) -> list[str]:
    """The `⟨stance:...⟩` tokens of `text`, in order."""
    return [t for t, _, _ in cues.tokens(lowercase(text)) if t.startswith("⟨stance:")]


def quoted(cues: StanceCues, text: str) -> set[str]:
    """The words of `text` that got a `⟨q:...⟩` unigram token."""
    return {t[3:-1] for t, _, _ in cues.tokens(lowercase(text))
            if t.startswith("⟨q:") and " " not in t}


# Per language: a plain call, the same call quoted to condemn it, the call reported.
CALLS = {
    "en": ("Kill the police officers tonight!",
           'He wrote "kill the police officers tonight" and I condemn it.',
           "The preacher called for attacks on police officers."),
    "ru": ("Убивайте полицейских этой ночью!",
           "Он написал «убивайте полицейских этой ночью». Позор!",
           "Проповедник призвал к нападениям на полицейских."),
    "kk": ("Полицейлерді бүгін түнде өлтіріңдер!",
           "«Полицейлерді бүгін түнде өлтіріңдер» деді ол. Айыптаймын!",
           "Полицейлерді өлтіріңдер деп жазды."),
}


@pytest.mark.parametrize("lang", sorted(CALLS))
def test_a_plain_call_is_an_imperative_and_nothing_is_quoted(cues: StanceCues,
                                                             lang: str) -> None:
    plain, _, _ = CALLS[lang]
    assert kinds(cues, plain) == ["⟨stance:imp2⟩"]
    assert quoted(cues, plain) == set()


@pytest.mark.parametrize("lang", sorted(CALLS))
def test_a_quoted_call_is_a_quoted_imperative_and_its_words_are_marked(
        cues: StanceCues, lang: str) -> None:
    plain, quote, _ = CALLS[lang]
    found = kinds(cues, quote)
    assert "⟨stance:quote⟩" in found and "⟨stance:qimp2⟩" in found
    assert "⟨stance:imp2⟩" not in found
    assert "⟨stance:condemn⟩" in found
    call_words = {w for w in lowercase(plain).replace("!", "").split()}
    assert quoted(cues, quote) == call_words  # the condemnation is outside the quote
    # The call's word n-grams are there too: the cues add to them, they do not replace.
    spec = NgramSpec(N)
    words_of_call = {c for c in count_row(plain, spec)[0].tolist() if c < N}
    assert words_of_call <= set(count_row(quote, spec)[0].tolist())


@pytest.mark.parametrize("lang", sorted(CALLS))
def test_reported_speech_marks_what_is_reported(cues: StanceCues, lang: str) -> None:
    _, _, reported = CALLS[lang]
    found = kinds(cues, reported)
    assert "⟨stance:report⟩" in found and "⟨stance:imp2⟩" not in found
    assert quoted(cues, reported)


@pytest.mark.parametrize(("text", "expected"), [
    ("Brothers, join the ranks and fight.", ["⟨stance:imp2⟩", "⟨stance:imp2⟩"]),
    ("Let us strike them where they sleep", ["⟨stance:imp2⟩"]),
    ("Don't kill anyone, please.", ["⟨stance:negimp⟩"]),
    ("Давайте вступать в ряды", ["⟨stance:imp2⟩"]),
    ("Не убивайте людей", ["⟨stance:negimp⟩"]),
    ("Бәріміз бірге күресейік", ["⟨stance:imp2⟩"]),
    ("I condemn this attack, shame on them", ["⟨stance:condemn⟩", "⟨stance:condemn⟩"]),
    ("Осуждаю нападение", ["⟨stance:condemn⟩"]),
])
def test_imperatives_hortatives_and_condemnation(cues: StanceCues, text: str,
                                                 expected: list[str]) -> None:
    assert kinds(cues, text) == expected


@pytest.mark.parametrize("text", [
    "They kill and they support each other",  # the verbs do not open a clause
    "Lovely weather for a walk in the park",
    "Погода сегодня отличная, гуляем в парке",
    "Бүгін ауа райы жақсы, кітап оқимыз",
    "It's the neighbours' dog, isn't it",  # apostrophes are not quotation marks
    "",
])
def test_ordinary_text_emits_nothing(cues: StanceCues, text: str) -> None:
    assert cues.tokens(lowercase(text)) == []
    assert len(cues.columns(lowercase(text), N)) == 0


def test_an_unbalanced_or_overlong_quote_quotes_nothing(cues: StanceCues) -> None:
    assert quoted(cues, 'A 6" pipe, then a long walk home') == set()
    assert quoted(cues, 'Look "' + "at the long road " * 20 + '" ok') == set()  # > MAX_QUOTE
    assert quoted(cues, 'Look "at the road" ok') == {"at", "the", "road"}


def test_stance_counts_add_to_the_ngram_counts(cues: StanceCues) -> None:
    """A bench counts n-grams once and adds the stance matrix: the same as counting both."""
    texts = [*(t for triple in CALLS.values() for t in triple), "hello there", ""]
    plain, with_stance = NgramSpec(N), NgramSpec(N, stance=cues)
    both = count_matrix(texts, with_stance).toarray()
    added = (count_matrix(texts, plain) + stance_matrix(texts, cues, N, plain.width)).toarray()
    assert np.array_equal(both, added)
    assert (both != count_matrix(texts, plain).toarray()).any()
    g = grams(texts[1], with_stance, with_spans=True)
    assert len(g.columns) == len(g.starts) == len(g.ends)  # type: ignore[union-attr]
    assert int(cues.columns(lowercase(texts[1]), N).max()) < N  # in the word block


def test_params_round_trip_and_the_plain_card_is_unchanged() -> None:
    assert "stance" not in Params().to_dict()
    assert "stance" not in NgramSpec().to_dict()
    on = Params(stance=True)
    d = json.loads(json.dumps(on.to_dict()))
    assert d["stance"] is True
    assert params_from(d) == on
    assert params_from(Params().to_dict()) == Params()
    assert on.spec.stance == default_cues() and Params().spec.stance is None


def test_the_cues_round_trip_through_json(cues: StanceCues) -> None:
    spec = NgramSpec(N, stance=cues)
    d = json.loads(json.dumps(spec.to_dict(), ensure_ascii=False))
    assert NgramSpec.from_dict(d) == spec


@pytest.mark.parametrize("damage", [
    lambda d: d.update(format="other"),
    lambda d: d.update(max_quote=10),
    lambda d: d["cues"].update(condemn=["shame  on"]),
    lambda d: d["cues"].pop("report"),
    lambda d: d["suffixes"].update(kk_anywhere=["-ңдар"]),
])
def test_damaged_cues_are_refused(cues: StanceCues, damage) -> None:
    d = json.loads(json.dumps(cues.to_dict()))
    damage(d)
    with pytest.raises(ValueError):
        StanceCues.from_dict(d)


def test_a_model_with_stance_cues_round_trips(sample_csvs: list[Path], tiny_params: Params,
                                              tmp_path: Path) -> None:
    params = replace(tiny_params, stance=True)
    out = tmp_path / "propaganda" / "stance"
    card = train_and_save(sample_csvs, out, params)
    assert card["hyperparameters"]["stance"] is True
    assert "stance" in card["recipe"]
    model = load_model(out)
    assert model.linear.spec.stance == default_cues()
    texts = [CALLS["en"][1], CALLS["en"][0], "Nice weather today"]
    batch = model.score(texts)
    assert batch == pytest.approx([model.score([t])[0] for t in texts])
    for c in model.explain(texts[0], top_k=5):  # spans still point into the text
        assert texts[0][c.start:c.end] == c.term
    plain = replace(model.linear, spec=replace(model.linear.spec, stance=None))
    assert plain.probabilities([texts[0]])[0] != pytest.approx(batch[0])


def test_only_trains_the_named_ablation_beside_baseline_and_shipped(
        sample_csvs: list[Path]) -> None:
    from moderator.classifier.data import load_csvs

    data = load_csvs(sample_csvs)
    results = side_by_side(data, only=["stance"], with_loso=False)
    assert set(results) == {"baseline", "shipped", "served", "stance"}
    assert results["stance"]["random_split"]["all"]["rows"] == \
        results["shipped"]["random_split"]["all"]["rows"]
    with pytest.raises(ValueError, match="unknown ablations"):
        side_by_side(data, only=["nope"], with_loso=False)
