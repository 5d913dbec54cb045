"""Retraining with the gate, promotion history and rollback, on small samples in temp dirs.

The attack of issue #12 runs here on a small sample: 300 recruitment tweets labelled
`other` by one key. The old gate scored the candidate on more of those labels and
promoted it; this one scores it on base validation rows and refuses it.
"""

from __future__ import annotations

import csv
import json
import logging
import shutil
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

import pytest
from click.testing import CliRunner

from moderator.classifier.model import load_model
from moderator.classifier.recipe import train_and_save
from moderator.classifier.train import Params
from moderator.cli import main
from moderator.hotswap import ModelWatcher
from moderator.labels import FOLDS, rotate
from moderator.promotion import current_version, history, promote, rollback
from moderator.retrain import TOLERANCES, retrain
from moderator.store import LabelRow

#: Deliberately worse: 64 hashed columns per block, words and character pairs only, one step.
CRIPPLED = Params(n_features=1 << 6, max_iter=1, word_ngrams=(1, 1), char_ngrams=(2, 2))
#: For the attack: one propaganda source against news tweets and comments, 300 rows per
#: label, so the small model is good enough for an attack to have something to break.
ATTACK_FILES = ("fifthtribe_isis_tweets", "crisislex_tweets", "sfu_ctc_comments",
                "pheme_terror_tweets")
ATTACK_PER_LABEL = 300
ATTACK_ROWS = 300
#: Review budgets a validation split of a few hundred rows can resolve (the shipped
#: 0.2% / 0.02% would be "no false positive at all" here, and recall near zero).
ATTACK_PARAMS = replace(Params(n_features=1 << 16, max_iter=100),
                        review_share=0.02, reject_share=0.005)


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


def test_labels_rotate_and_the_held_back_fold_is_reported_not_gated(
        base: tuple[list[Path], Path], models: Path, tiny_params: Params) -> None:
    rows = [LabelRow(f"join the caliphate brothers number {i}", "propaganda",
                     "moderator_queue", "en", i + 1) for i in range(60)]
    rows += [LabelRow(f"the attack in the city number {i} was condemned", "discusses",
                      "moderator_api", "en", i + 61) for i in range(60)]
    train, held = rotate(rows, 3)
    result = retrain(base[0], rows, models, params=tiny_params, version="with-labels",
                     auto_promote=False, held_fold=3, check_labels=False)
    labels = result.report["labels"]
    assert (labels["held_back"], labels["trained_on"], labels["held_back_fold"]) == \
        (len(held), len(train), 3)
    assert result.report["label_report"]["rows"] == len(held)
    assert "not part of the gate" in result.report["label_report"]["note"]
    # The gate's rows are base rows only: no moderator source among them.
    by_source = result.report["metrics"]["candidate"]["by_source"]
    assert not {s for s in by_source if s.startswith("moderator_")}
    assert result.report["evaluation"]["rows"] == sum(
        result.report["evaluation"]["by_label"].values())
    card = json.loads((result.path / "card.json").read_text(encoding="utf-8"))
    [label_file] = [f for f in card["data"]["files"] if f["name"] == "moderator_labels.csv"]
    assert label_file["rows"] == len(train)
    assert current_version(models, "propaganda") == "v1"  # --no-promote
    assert "## Moderators' labels (reported, not gated on)" in \
        (result.path / "comparison.md").read_text(encoding="utf-8")


def test_flagged_labels_never_train(base: tuple[list[Path], Path], models: Path,
                                    tiny_params: Params) -> None:
    rows = [LabelRow(f"ordinary words number {i}", "other", "moderator_api", "en", i + 1,
                     "flagged" if i < 10 else "active") for i in range(20)]
    result = retrain(base[0], rows, models, params=tiny_params, version="some-flagged",
                     auto_promote=False, check_labels=False)
    labels = result.report["labels"]
    assert labels["flagged_before"] == 10
    assert labels["trained_on"] + labels["held_back"] == 10


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


# -- the attack of issue #12 ----------------------------------------------------------


def _fifthtribe_beyond_the_sample(shared: Path, n: int) -> list[str]:
    """Recruitment tweets the base sample does not hold (read at test time, never stored)."""
    texts: list[str] = []
    seen = 0
    with (shared / "fifthtribe_isis_tweets.csv").open(encoding="utf-8", newline="") as fh:
        for row in csv.DictReader(fh):
            if row["label"] != "propaganda":
                continue
            seen += 1
            if seen > ATTACK_PER_LABEL:
                texts.append(row["text"])
            if len(texts) == n:
                break
    return texts


@pytest.fixture(scope="module")
def attack(shared_data: Path, tmp_path_factory: pytest.TempPathFactory,
           sample_writer: Callable[..., list[Path]]) -> tuple[list[Path], Path, list[str]]:
    """Base sample, models whose v1 is current, and 300 unseen recruitment tweets."""
    folder = tmp_path_factory.mktemp("attack")
    paths = sample_writer(shared_data, folder / "sample", ATTACK_PER_LABEL, ATTACK_FILES)
    train_and_save(sorted(paths), folder / "models" / "propaganda" / "v1", ATTACK_PARAMS)
    promote(folder / "models", "propaganda", "v1")
    return paths, folder / "models", _fifthtribe_beyond_the_sample(shared_data, ATTACK_ROWS)


@pytest.fixture
def attack_models(attack: tuple[list[Path], Path, list[str]], tmp_path: Path) -> Path:
    return Path(shutil.copytree(attack[1], tmp_path / "models"))


def _labels(texts: list[str], label: str, group: str) -> list[LabelRow]:
    return [LabelRow(t, label, "moderator_api", "en", i + 1, "active", group)
            for i, t in enumerate(texts)]


def _check(report: dict[str, object], metric: str) -> dict[str, object]:
    return next(c for c in report["gate"]["checks"]  # type: ignore[index, attr-defined]
                if c["metric"] == metric)


def test_300_wrong_labels_are_refused_by_the_gate(
        attack: tuple[list[Path], Path, list[str]], attack_models: Path) -> None:
    """The cross-check off: the gate alone must hold the line."""
    paths, _, texts = attack
    wrong = _labels(texts, "other", "mallory")
    result = retrain(paths, wrong, attack_models, params=ATTACK_PARAMS, version="poisoned",
                     check_labels=False)
    report = result.report
    assert report["decision"] == "refuse" and not result.promoted
    assert current_version(attack_models, "propaganda") == "v1"
    failed = report["gate"]["worse_beyond_tolerance"]
    assert {"review.recall", "review_rate[fifthtribe_isis_tweets/propaganda]"} <= set(failed)
    recall = _check(report, "review.recall")
    assert recall["candidate"] < recall["current"] / 2  # type: ignore[operator]
    # What the old gate looked at: the held-back wrong labels. There the candidate agrees
    # with them better than the current model does, so it looked "improved".
    held = report["label_report"]
    assert held["rows"] > 30
    assert held["candidate"]["review"]["fpr_other"] < held["current"]["review"]["fpr_other"]
    # And the harm is real: the candidate scores recruitment far lower.
    current = load_model(attack_models / "propaganda" / "v1")
    candidate = load_model(result.path)
    probe = texts[:100]
    assert sum(candidate.score(probe)) < 0.6 * sum(current.score(probe))


def test_300_wrong_labels_are_mostly_flagged_before_they_train(
        attack: tuple[list[Path], Path, list[str]], attack_models: Path,
        caplog: pytest.LogCaptureFixture) -> None:
    paths, _, texts = attack
    wrong = _labels(texts, "other", "mallory")
    seen: list[dict[int, float]] = []
    said: list[str] = []
    caplog.set_level(logging.DEBUG)
    result = retrain(paths, wrong, attack_models, params=ATTACK_PARAMS, version="screened",
                     on_flagged=seen.append, auto_promote=False, progress=said.append)
    told = "\n".join(said) + caplog.text + \
        (result.path / "comparison.json").read_text(encoding="utf-8")
    assert "cross-check fold" in told
    assert not any(t[:40] in told for t in texts)  # ids and counts only, never text
    # Most of them look wrong to the cross-check, so the whole batch is held.
    assert seen == [result.flagged] and len(result.flagged) == ATTACK_ROWS
    labels = result.report["labels"]
    assert labels["flagged_now"] == len(result.flagged)
    assert labels["trained_on"] + labels["held_back"] + labels["flagged_now"] == ATTACK_ROWS


def test_300_honest_labels_are_promoted(
        attack: tuple[list[Path], Path, list[str]], attack_models: Path) -> None:
    paths, _, texts = attack
    honest = _labels(texts, "propaganda", "carol")
    result = retrain(paths, honest, attack_models, params=ATTACK_PARAMS, version="honest")
    failed = result.report["gate"]["worse_beyond_tolerance"]
    assert result.report["decision"] == "promote", failed
    assert result.promoted and current_version(attack_models, "propaganda") == "honest"


def test_every_label_trains_in_all_runs_but_one(
        attack: tuple[list[Path], Path, list[str]]) -> None:
    """Run N holds back fold N mod k; over k runs each label is held back exactly once."""
    honest = _labels(attack[2], "propaganda", "carol")
    held = [set(r.id for r in rotate(honest, run)[1]) for run in range(FOLDS)]
    assert all(held) and set().union(*held) == {r.id for r in honest}
    assert sum(len(h) for h in held) == len(honest)
