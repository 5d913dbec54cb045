"""Artifact round trip, refusal to load tampered or foreign artifacts, determinism, spans."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pytest

from moderator.classifier import load_model
from moderator.classifier.model import ARTIFACT, CARD, sha256_bytes
from moderator.classifier.recipe import train_and_save
from moderator.classifier.train import Params
from moderator.errors import ModelError
from moderator.text import normalize

TEXTS = [
    "The brothers of the Khilafah will crush the kuffar, may Allah accept our martyrs",
    "Police say the terrorist attack in Boston killed three; the city mourns",
    "My flight was delayed again, great service as usual",
    "",
]


def copy_model(src: Path, tmp_path: Path) -> Path:
    dst = tmp_path / "propaganda" / "copy"
    shutil.copytree(src, dst)
    return dst


def test_round_trip(tiny_model_dir: Path) -> None:
    model = load_model(tiny_model_dir)
    assert model.version == "propaganda/tiny"
    assert set(model.thresholds) == {"review", "reject"}
    assert 0 < model.thresholds["review"] <= model.thresholds["reject"] <= 1
    scores = model.score(TEXTS)
    assert len(scores) == len(TEXTS) and all(0.0 <= s <= 1.0 for s in scores)
    # The fast path computes exactly what the saved Pipeline computes.
    expected = model.pipeline.predict_proba(TEXTS)[:, 1]
    np.testing.assert_allclose(scores, expected, rtol=1e-5, atol=1e-7)
    assert model.score([]) == []


def test_card_describes_data_and_versions(tiny_model_dir: Path, tiny_params: Params) -> None:
    card = json.loads((tiny_model_dir / CARD).read_text(encoding="utf-8"))
    assert card["artifact"]["sha256"] == sha256_bytes(tiny_model_dir / ARTIFACT)
    assert {"python", "sklearn", "joblib"} <= set(card["versions"])
    files = card["data"]["files"]
    assert all(len(f["sha256"]) == 64 and f["rows"] > 0 for f in files)
    assert all({"labels", "sources", "langs"} <= set(f) for f in files)
    assert set(card["data"]["licences"]) == {f["name"] for f in files}
    assert card["hyperparameters"]["n_features"] == tiny_params.n_features
    assert card["normalizer"]["probe_sha256"]


def test_tampered_artifact_is_refused(tiny_model_dir: Path, tmp_path: Path) -> None:
    path = copy_model(tiny_model_dir, tmp_path)
    with (path / ARTIFACT).open("ab") as fh:
        fh.write(b"\0")
    with pytest.raises(ModelError, match="sha256"):
        load_model(path)


def test_other_sklearn_version_is_refused(tiny_model_dir: Path, tmp_path: Path) -> None:
    path = copy_model(tiny_model_dir, tmp_path)
    card = json.loads((path / CARD).read_text(encoding="utf-8"))
    card["versions"]["sklearn"] = "0.24.2"
    (path / CARD).write_text(json.dumps(card), encoding="utf-8")
    with pytest.raises(ModelError, match=r"scikit-learn 0\.24\.2"):
        load_model(path)


def test_missing_card_is_refused(tiny_model_dir: Path, tmp_path: Path) -> None:
    path = copy_model(tiny_model_dir, tmp_path)
    (path / CARD).unlink()
    with pytest.raises(ModelError, match="card"):
        load_model(path)


def test_training_is_deterministic(sample_csvs: list[Path], tiny_model_dir: Path,
                                   tiny_params: Params, tmp_path: Path) -> None:
    again = tmp_path / "propaganda" / "tiny"
    train_and_save(sample_csvs, again, tiny_params)
    assert sha256_bytes(again / ARTIFACT) == sha256_bytes(tiny_model_dir / ARTIFACT)
    assert (again / CARD).read_text(encoding="utf-8") == \
        (tiny_model_dir / CARD).read_text(encoding="utf-8")


@pytest.mark.parametrize("text", [
    TEXTS[0],
    "ＴＨＥ　ＫＵＦＦＡＲ will fall. RT @someone https://t.co/x #Khilafah",
    "Cafe\u0301 talk: brothers, the Mujahideen ﬁght for the ummah &amp; the dawlah",
    "Не верьте боевикам: это пропаганда, а не ислам",
])
def test_explanation_spans_index_the_original_text(tiny_model_dir: Path, text: str) -> None:
    model = load_model(tiny_model_dir)
    contributions = model.explain(text, top_k=5)
    assert len(contributions) <= 5
    for c in contributions:
        assert 0 <= c.start < c.end <= len(text)
        assert normalize(text[c.start : c.end]).text == c.term
        assert c.weight > 0
    weights = [c.weight for c in contributions]
    assert weights == sorted(weights, reverse=True)


def test_explain_empty_and_formless_text(tiny_model_dir: Path) -> None:
    model = load_model(tiny_model_dir)
    assert model.explain("") == []
    assert model.explain("@user https://t.co/abc 🙂") == []
