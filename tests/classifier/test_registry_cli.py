"""Registry pointer, the score command's JSON lines, thresholds and held-out row selection."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner

from moderator.classifier import load_model, resolve_current
from moderator.classifier.data import load_csvs
from moderator.classifier.evaluate import evaluate_model, unseen_rows
from moderator.classifier.metrics import threshold_for_fpr
from moderator.classifier.registry import model_dir, set_current
from moderator.cli import main
from moderator.errors import ModelError


def test_resolve_current_follows_the_pointer(tiny_model_dir: Path) -> None:
    models = tiny_model_dir.parent.parent
    set_current(models, "propaganda", "tiny")
    assert (models / "propaganda" / "CURRENT").read_text(encoding="utf-8") == "tiny\n"
    assert resolve_current(models) == tiny_model_dir


def test_resolve_current_refuses_bad_pointers(tmp_path: Path) -> None:
    with pytest.raises(ModelError, match="no promoted model"):
        resolve_current(tmp_path)
    (tmp_path / "propaganda").mkdir()
    (tmp_path / "propaganda" / "CURRENT").write_text("../../etc\n", encoding="utf-8")
    with pytest.raises(ModelError, match="invalid"):
        resolve_current(tmp_path)
    (tmp_path / "propaganda" / "CURRENT").write_text("gone\n", encoding="utf-8")
    with pytest.raises(ModelError, match="gone"):
        resolve_current(tmp_path)


def test_score_command_writes_one_score_per_line(tiny_model_dir: Path) -> None:
    lines = [json.dumps({"text": t}) for t in ("first comment", "", "third ＣＯＭＭＥＮＴ")]
    result = CliRunner().invoke(
        main, ["score", "--model", str(tiny_model_dir), "--batch-size", "2"],
        input="\n".join(lines) + "\n",
    )
    assert result.exit_code == 0, result.output
    scores = [json.loads(line)["score"] for line in result.output.splitlines()]
    expected = load_model(tiny_model_dir).score(["first comment", "", "third ＣＯＭＭＥＮＴ"])
    np.testing.assert_allclose(scores, expected, atol=1e-6)


def test_score_command_rejects_bad_lines(tiny_model_dir: Path) -> None:
    result = CliRunner().invoke(main, ["score", "--model", str(tiny_model_dir)],
                                input='{"body": "x"}\n')
    assert result.exit_code != 0
    assert "line 1" in result.output


def test_evaluate_drops_training_rows(tiny_model_dir: Path, sample_csvs: list[Path]) -> None:
    model = load_model(tiny_model_dir)
    data = load_csvs(sample_csvs)
    keep, dropped = unseen_rows(model, data)
    assert dropped == int((~keep).sum()) and 0 < dropped < len(data)
    report = evaluate_model(model, data)
    assert report["training_rows_dropped"] == dropped
    assert {"roc_auc", "pr_auc", "review", "reject", "by_source", "by_lang"} <= set(report)
    assert set(report["review"]) >= {"fpr_discusses", "fpr_other", "recall", "precision"}


@pytest.mark.parametrize(("negatives", "max_fpr", "flagged"), [
    ([0.1, 0.2, 0.3, 0.4], 0.0, 0),
    ([0.1, 0.2, 0.3, 0.4], 0.25, 1),
    ([0.1, 0.2, 0.3, 0.4], 0.49, 1),
    ([0.5, 0.5, 0.5, 0.1], 0.25, 0),
])
def test_threshold_keeps_fpr_within_budget(negatives: list[float], max_fpr: float,
                                           flagged: int) -> None:
    t = threshold_for_fpr(negatives, max_fpr)
    assert sum(s >= t for s in negatives) == flagged


def test_a_version_with_a_trailing_newline_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ModelError, match="invalid"):
        model_dir(tmp_path, "propaganda", "v1\n")


def test_evaluate_baseline_prints_both_recipes_side_by_side(sample_csvs: list[Path]) -> None:
    from click.testing import CliRunner

    from moderator.cli import main

    args = ["evaluate", "--baseline"]
    for path in sample_csvs:
        args += ["--data", str(path)]
    result = CliRunner().invoke(main, [*args, "--json"])
    assert result.exit_code == 0, result.output
    payload = result.output[result.output.index("{"):]
    results = json.loads(payload)
    assert {"baseline", "shipped", "served"} <= set(results)
    for name in ("baseline", "shipped"):
        headline = results[name]["random_split"]["all"]
        assert 0.5 < headline["roc_auc"] <= 1.0 and headline["propaganda"] > 0
