"""The rule engine hands the classifier text it already normalised; the result must not change."""

from __future__ import annotations

from pathlib import Path

import pytest

from moderator.classifier.model import load_model
from moderator.classifier.registry import resolve_current
from moderator.text import normalize

MODELS = Path(__file__).resolve().parents[2] / "models"
TEXTS = ["Brothers, make hijrah and join the mujahideen", "Ｊ.i.h.a.d news today", "Тынышта"]


def test_score_normalized_equals_score_on_raw_text() -> None:
    model = load_model(resolve_current(MODELS, "propaganda"))
    assert model.score_normalized([normalize(t) for t in TEXTS]) == model.score(TEXTS)


def test_explain_with_a_given_normalisation_gives_the_same_spans() -> None:
    model = load_model(resolve_current(MODELS, "propaganda"))
    text = TEXTS[0]
    assert model.explain(text, normalized=normalize(text)) == model.explain(text)


def test_one_text_scores_as_in_a_batch() -> None:
    """A single comment takes a path without a sparse matrix; it must agree with batches."""
    model = load_model(resolve_current(MODELS, "propaganda"))
    batch = model.score_normalized([normalize(t) for t in TEXTS])
    singles = [model.score_normalized([normalize(t)])[0] for t in TEXTS]
    assert singles == pytest.approx(batch, abs=1e-6)
