"""The rule engine hands the classifier text it already normalised.

Ordinary text scores exactly as typed; where the normaliser rewrote more than letter
case (spaced letters, lookalikes), the served score is the higher of the two readings.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from moderator.classifier.model import load_model
from moderator.classifier.registry import resolve_current
from moderator.text import normalize

MODELS = Path(__file__).resolve().parents[2] / "models"
TEXTS = ["Brothers, make hijrah and join the mujahideen", "Ｊ.i.h.a.d news today", "Тынышта"]


def test_ordinary_text_scores_as_typed_and_rewritten_text_never_lower() -> None:
    model = load_model(resolve_current(MODELS, "propaganda"))
    served = model.score_normalized([normalize(t) for t in TEXTS])
    typed = model.score(TEXTS)
    assert served[0] == typed[0] and served[2] == typed[2]  # only case changed
    assert served[1] == max(typed[1], model.score([normalize(TEXTS[1]).text])[0])


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
