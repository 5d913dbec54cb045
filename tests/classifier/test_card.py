"""A card with a bad threshold, version or artifact entry never reaches a request."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pytest

from moderator.classifier import load_model
from moderator.classifier.card import validate_card
from moderator.classifier.model import CARD, save_model
from moderator.errors import ModelError
from moderator.promotion import current_version, promote

GOOD: dict[str, Any] = {
    "version": "propaganda/x", "format": "moderator-linear-ngrams-v1",
    "features": {"n_features": 16}, "thresholds": {"review": 0.5, "reject": 0.9},
    "artifact": {"file": "model.npz", "sha256": "a" * 64},
}

BAD = [
    ({"thresholds": {"reject": 0.9}}, "thresholds.review must be a number"),
    ({"thresholds": {"review": "0.5", "reject": 0.9}}, "must be a number"),
    ({"thresholds": {"review": True, "reject": 0.9}}, "must be a number"),
    ({"thresholds": {"review": 1.5, "reject": 2.0}}, "strictly between 0 and 1"),
    ({"thresholds": {"review": -0.1, "reject": 0.9}}, "strictly between 0 and 1"),
    ({"thresholds": {"review": 0.0, "reject": 0.9}}, "strictly between 0 and 1"),
    ({"thresholds": {"review": float("nan"), "reject": 0.9}}, "strictly between 0 and 1"),
    ({"thresholds": {"review": 0.95, "reject": 0.9}}, "above thresholds.reject"),
    ({"thresholds": None}, "'thresholds' must be an object"),
    ({"version": ""}, "'version'"),
    ({"version": 7}, "'version'"),
    ({"artifact": {"file": "../../etc/passwd", "sha256": "a" * 64}}, "plain file name"),
    ({"artifact": {"file": "model.npz", "sha256": "xyz"}}, "sha256"),
    ({"format": "joblib"}, "pickles"),
]


def test_a_good_card_passes() -> None:
    validate_card(GOOD)


@pytest.mark.parametrize(("change", "message"), BAD)
def test_each_bad_card_is_named(change: dict[str, Any], message: str) -> None:
    with pytest.raises(ModelError, match=message):
        validate_card({**GOOD, **change})


def _edited(src: Path, tmp_path: Path, thresholds: dict[str, Any]) -> Path:
    models = tmp_path / "models"
    shutil.copytree(src, models / "propaganda" / "bad")
    card_path = models / "propaganda" / "bad" / CARD
    card = json.loads(card_path.read_text(encoding="utf-8"))
    card["thresholds"] = thresholds
    card_path.write_text(json.dumps(card), encoding="utf-8")
    return models


@pytest.mark.parametrize("thresholds", [{}, {"review": "high", "reject": 0.9},
                                        {"review": 1.2, "reject": 1.5},
                                        {"review": -1, "reject": -0.5}])
def test_load_and_promote_refuse_a_bad_card(tiny_model_dir: Path, tmp_path: Path,
                                            thresholds: dict[str, Any]) -> None:
    models = _edited(tiny_model_dir, tmp_path, thresholds)
    with pytest.raises(ModelError, match="thresholds"):
        load_model(models / "propaganda" / "bad")
    with pytest.raises(ModelError, match="thresholds"):
        promote(models, "propaganda", "bad")
    assert current_version(models, "propaganda") is None


def test_save_refuses_a_bad_card(tiny_model_dir: Path, tmp_path: Path) -> None:
    model = load_model(tiny_model_dir)
    card = {**model.card, "thresholds": {"review": 0.9, "reject": 0.1}}
    with pytest.raises(ModelError, match="above"):
        save_model(model.linear, card, tmp_path / "propaganda" / "never")
    assert not (tmp_path / "propaganda" / "never").exists()
