"""Shared concept tokens: which words emit them, how they are counted, and the card."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

from moderator.classifier import concepts
from moderator.classifier.concepts import ConceptTable, concept_matrix, from_rules
from moderator.classifier.hashing import NgramSpec, count_matrix, count_row, grams, lowercase
from moderator.classifier.model import load_model
from moderator.classifier.recipe import train_and_save
from moderator.classifier.train import Params

N = 1 << 16


@pytest.fixture(scope="module")
def table() -> ConceptTable:
    return from_rules(pairs=True)


def found(table: ConceptTable, text: str) -> set[tuple[str, str]]:
    """(concept, word) of every concept word in `text`."""
    low = lowercase(text)
    return {(table.names[c], low[a:b]) for c, _, a, b in table.occurrences(low)}


@pytest.mark.parametrize(("text", "expected"), [
    ("Kill the police officers", {("violence", "kill"), ("targets", "police"),
                                  ("targets", "officers")}),
    ("Убивайте полицейских", {("violence", "убивайте"), ("targets", "полицейских")}),
    ("Убей чиновника!", {("violence", "убей"), ("targets", "чиновника")}),
    ("Полицейлерді өлтіріңдер", {("targets", "полицейлерді"), ("violence", "өлтіріңдер")}),
    ("Халифатқа қосылыңдар", {("groups", "халифатқа"), ("join", "қосылыңдар")}),
    ("Шахиды в раю", {("martyrs", "шахиды"), ("praise", "раю")}),
    ("Смерть неверным", {("death", "смерть"), ("targets", "неверным")}),
    ("Убьём их", {("violence", "убьём")}),  # read with ё as е, as the lexicon folds it
])
def test_inflected_forms_of_every_language_emit_their_concept(table: ConceptTable, text: str,
                                                              expected: set) -> None:
    assert found(table, text) == expected


@pytest.mark.parametrize("text", [
    "Lovely weather for a walk in the park",
    "Погода сегодня отличная, гуляем в парке",
    "Бүгін ауа райы жақсы, кітап оқимыз",
    "",
])
def test_unrelated_words_emit_nothing(table: ConceptTable, text: str) -> None:
    assert found(table, text) == set()
    assert len(table.columns(lowercase(text), N)) == 0


def test_one_column_per_concept_in_every_language(table: ConceptTable) -> None:
    """The same concept lands on the same column whatever the language: the transfer."""
    en, ru, kk = (set(table.columns(lowercase(t), N).tolist())
                  for t in ("kill", "убивайте", "өлтіріңдер"))
    assert en == ru == kk and len(en) == 1


def test_pairs_only_within_the_window(table: ConceptTable) -> None:
    near = table.columns("kill the police", N)
    far = table.columns("kill " + "and then " * 3 + "police", N)
    assert len(near) == 3  # violence, targets, violence+targets
    assert len(far) == 2
    no_pairs = ConceptTable(table.lists, pairs=False)
    assert len(no_pairs.columns("kill the police", N)) == 2


def test_concept_counts_add_to_the_ngram_counts(table: ConceptTable) -> None:
    """A bench counts n-grams once and adds the concept matrix: the same as counting both."""
    texts = ["Kill the police now", "Убивайте полицейских", "hello there", "",
             "Полицейлерді өлтіріңдер, үкіметті құлатамыз"]
    plain, with_concepts = NgramSpec(N), NgramSpec(N, concepts=table)
    both = count_matrix(texts, with_concepts).toarray()
    added = (count_matrix(texts, plain)
             + concept_matrix(texts, table, N, plain.width)).toarray()
    assert np.array_equal(both, added)
    cols, counts = count_row(texts[1], with_concepts)
    assert np.array_equal(both[1][cols], counts)
    g = grams(texts[1], with_concepts, with_spans=True)
    assert len(g.columns) == len(g.starts) == len(g.ends)  # type: ignore[union-attr]


def test_the_plain_recipe_card_is_unchanged() -> None:
    assert "concepts" not in NgramSpec().to_dict()
    assert not {"concepts", "concept_pairs"} & set(Params().to_dict())
    assert Params(concepts=True).to_dict()["concepts"] is True


def test_the_table_round_trips_through_json(table: ConceptTable) -> None:
    d = json.loads(json.dumps(table.to_dict(), ensure_ascii=False))
    assert ConceptTable.from_dict(d) == table
    assert d["source"]["sha256"]["ru/violence.txt"]


@pytest.mark.parametrize("damage", [
    lambda d: d.update(format="other"),
    lambda d: d.update(window=7),
    lambda d: d["lists"]["violence"].update(words=["kill the"]),
    lambda d: d["lists"]["targets"].update(stems=["po"]),
    lambda d: d["lists"].update({"Bad Name": {"words": [], "stems": []}}),
    lambda d: d.update(lists={}),
])
def test_a_damaged_table_is_refused(table: ConceptTable, damage) -> None:
    d = json.loads(json.dumps(table.to_dict()))
    damage(d)
    with pytest.raises(ValueError):
        ConceptTable.from_dict(d)


def test_a_model_with_concepts_round_trips_without_the_rules(
        sample_csvs: list[Path], tiny_params: Params, tmp_path: Path,
        monkeypatch: pytest.MonkeyPatch) -> None:
    params = replace(tiny_params, concepts=True)
    out = tmp_path / "propaganda" / "concepts"
    card = train_and_save(sample_csvs, out, params)
    assert card["hyperparameters"]["concepts"] is True
    assert "concept" in card["recipe"]

    def no_rules(*_args: object, **_kwargs: object) -> ConceptTable:
        raise AssertionError("loading a model must not read the rules")

    monkeypatch.setattr(concepts, "from_rules", no_rules)
    model = load_model(out)
    assert model.linear.spec.concepts is not None
    assert model.linear.spec.concepts.pairs is True
    with np.load(out / "model.npz", allow_pickle=False) as npz:
        assert sorted(npz.files) == ["coef", "idf", "scalars"]
    texts = ["Убивайте полицейских", "Kill the police officers", "Nice weather today"]
    batch = model.score(texts)
    single = [model.score([t])[0] for t in texts]
    assert batch == pytest.approx(single)
    for c in model.explain(texts[0], top_k=3):  # spans still point into the text
        assert texts[0][c.start:c.end] == c.term
    # The concept columns carry weight: without them the Russian call scores otherwise.
    plain = replace(model.linear, spec=replace(model.linear.spec, concepts=None))
    assert plain.probabilities([texts[0]])[0] != pytest.approx(batch[0])
