"""Retraining with the gate, promotion history and rollback, on small samples in temp dirs."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from moderator.classifier.recipe import train_and_save
from moderator.classifier.train import Params
from moderator.cli import main
from moderator.hotswap import ModelWatcher
from moderator.promotion import current_version, history, promote, rollback
from moderator.retrain import HOLDOUT_FRACTION, TOLERANCES, gate, retrain, split_labels
from moderator.store import LabelRow

#: Deliberately worse: 64 hashed columns per block, words and character pairs only, one step.
CRIPPLED = Params(n_features=1 << 6, max_iter=1, word_ngrams=(1, 1), char_ngrams=(2, 2))


@pytest.fixture(scope="module")
def base(sample_csvs: list[Path], tiny_params: Params,
         tmp_path_factory: pytest.TempPathFactory) -> tuple[list[Path], Path]:
    """The shared sample (150 rows per label of five sources) and models whose v1 is current."""
    models = tmp_path_factory.mktemp("base") / "models"
    # Sorted, as retrain orders its files: the same order gives the same model.
    train_and_save(sorted(sample_csvs), models / "propaganda" / "v1", tiny_params)
    promote(models, "propaganda", "v1")
    return sample_csvs, models


@pytest.fixture
def models(base: tuple[list[Path], Path], tmp_path: Path) -> Path:
    """A private copy of the models folder: tests promote and roll back freely."""
    return Path(shutil.copytree(base[1], tmp_path / "models"))


def test_gate_refuses_a_deliberately_worse_candidate(base: tuple[list[Path], Path],
                                                     models: Path) -> None:
    result = retrain(base[0], [], models, params=CRIPPLED, version="worse")
    assert result.report["decision"] == "refuse" and not result.promoted
    assert "roc_auc" in result.report["gate"]["worse_beyond_tolerance"]
    assert current_version(models, "propaganda") == "v1"
    saved = json.loads((result.path / "comparison.json").read_text(encoding="utf-8"))
    assert saved["current"] == "propaganda/v1" and saved["candidate"] == "propaganda/worse"
    auc = next(c for c in saved["gate"]["checks"] if c["metric"] == "roc_auc")
    assert auc["candidate"] < auc["current"] - TOLERANCES["roc_auc"][1]
    assert "**Decision: refuse**" in (result.path / "comparison.md").read_text(encoding="utf-8")
    listed = CliRunner().invoke(main, ["models", "list", "--models", str(models), "--json"])
    assert {r["version"]: r["gate"] for r in json.loads(listed.output)} == \
        {"v1": None, "worse": "refuse"}


def test_an_equally_good_candidate_is_promoted(base: tuple[list[Path], Path],
                                               models: Path, tiny_params: Params) -> None:
    result = retrain(base[0], [], models, params=tiny_params, version="same")
    assert result.report["decision"] == "promote", result.report["gate"]
    assert result.promoted and current_version(models, "propaganda") == "same"
    assert history(models, "propaganda") == ["v1", "same"]


def test_moderator_labels_are_split_once_and_held_back_ones_are_evaluated(
        base: tuple[list[Path], Path], models: Path, tiny_params: Params) -> None:
    rows = [LabelRow(f"join the caliphate brothers number {i}", "propaganda",
                     "moderator_queue", "en") for i in range(60)]
    rows += [LabelRow(f"the attack in the city number {i} was condemned", "discusses",
                      "moderator_api", "en") for i in range(60)]
    train, held = split_labels(rows)
    assert split_labels(rows) == (train, held)  # fixed: the same rows every retrain
    assert 0.15 < len(held) / len(rows) < 0.45 and HOLDOUT_FRACTION == 0.3
    result = retrain(base[0], rows, models, params=tiny_params, version="with-labels",
                     auto_promote=False)
    evaluation = result.report["evaluation"]
    assert (evaluation["held_back_labels"], evaluation["labels_trained_on"]) == \
        (len(held), len(train))
    by_source = result.report["metrics"]["candidate"]["by_source"]
    assert sum(by_source["moderator_queue"]["rows"].values()) + \
        sum(by_source["moderator_api"]["rows"].values()) == len(held)
    assert current_version(models, "propaganda") == "v1"  # --no-promote


def test_gate_tolerance_is_per_metric() -> None:
    current = {"roc_auc": 0.9, "pr_auc": 0.8, "recall_at_1pct_fpr": 0.5,
               "review": {"recall": 0.6, "fpr_discusses": 0.004, "fpr_other": 0.001}}
    within = {"roc_auc": 0.892, "pr_auc": 0.8, "recall_at_1pct_fpr": 0.49,
              "review": {"recall": 0.6, "fpr_discusses": 0.008, "fpr_other": 0.001}}
    assert gate(current, within)["decision"] == "promote"
    worse_fpr = {**within, "review": {**within["review"], "fpr_other": 0.0075}}
    verdict = gate(current, worse_fpr)
    assert verdict["decision"] == "refuse"
    assert verdict["worse_beyond_tolerance"] == ["review.fpr_other"]
    assert gate(None, within)["decision"] == "promote"  # nothing to compare with


def test_rollback_restores_the_previous_model(base: tuple[list[Path], Path],
                                              models: Path) -> None:
    train_and_save(base[0], models / "propaganda" / "v2", Params(n_features=1 << 16, max_iter=3))
    watcher = ModelWatcher(models, ["propaganda"], interval=0)
    assert watcher.snapshot()[0]["propaganda"].version == "propaganda/v1"  # type: ignore[union-attr]
    runner = CliRunner()
    result = runner.invoke(main, ["models", "promote", "v2", "--models", str(models)])
    assert result.exit_code == 0 and "v1 -> v2" in result.output
    assert watcher.snapshot()[0]["propaganda"].version == "propaganda/v2"  # type: ignore[union-attr]
    result = runner.invoke(main, ["models", "rollback", "--models", str(models)])
    assert result.exit_code == 0 and "v2 -> v1" in result.output
    assert current_version(models, "propaganda") == "v1"
    assert watcher.snapshot()[0]["propaganda"].version == "propaganda/v1"  # type: ignore[union-attr]
    result = runner.invoke(main, ["models", "rollback", "--models", str(models)])
    assert result.exit_code == 1 and "no earlier promoted version" in result.output


def test_promote_refuses_a_tampered_model(models: Path) -> None:
    shutil.copytree(models / "propaganda" / "v1", models / "propaganda" / "bad")
    with (models / "propaganda" / "bad" / "model.npz").open("ab") as fh:
        fh.write(b"\0")
    result = CliRunner().invoke(main, ["models", "promote", "bad", "--models", str(models)])
    assert result.exit_code == 1 and "sha256" in result.output
    assert current_version(models, "propaganda") == "v1"
    with pytest.raises(Exception, match="no earlier"):
        rollback(models, "propaganda")
