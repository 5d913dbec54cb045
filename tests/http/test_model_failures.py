"""A model with a bad card or a broken score gives the policy's failure action, never a 500."""

from __future__ import annotations

import json
import math
import shutil
import time
from pathlib import Path
from typing import Any

import pytest
from flask import Flask

from moderator.classifier.model import CARD
from moderator.policy.engine import run_policy
from moderator.policy.loader import load_policy
from moderator.types import Comment

POLICY = """
[policy]
site = "news"
version = "t-1"
[fields.comment]
label = "Comment"
required = true
max_length = 1500
[classifier]
enabled = true
model = "propaganda"
field = "comment"
message = "held"
[failure]
on_classifier_error = "review"
"""


def _models(tiny_model_dir: Path, root: Path) -> Path:
    models = root / "models"
    shutil.copytree(tiny_model_dir, models / "propaganda" / "good")
    shutil.copytree(tiny_model_dir, models / "propaganda" / "bad")
    card_path = models / "propaganda" / "bad" / CARD
    card = json.loads(card_path.read_text(encoding="utf-8"))
    card["thresholds"] = {"review": 1.7, "reject": 2.0}  # would switch the classifier off
    card_path.write_text(json.dumps(card), encoding="utf-8")
    return models


def _app(models: Path, root: Path) -> Flask:
    from moderator.http import create_app

    (root / "policies").mkdir(exist_ok=True)
    (root / "policies" / "news.toml").write_text(POLICY, encoding="utf-8")
    return create_app({"POLICY_DIR": str(root / "policies"), "MODELS_DIR": str(models),
                       "TESTING": True,
                       "DATABASE_URL": f"sqlite:///{root / 'store.sqlite3'}"})


def _check(app: Flask) -> Any:
    response = app.test_client().post(
        "/v1/check", json={"site": "news", "fields": {"comment": "brothers join us"}})
    assert response.status_code == 200, response.get_data(as_text=True)
    return response.get_json()


def test_a_bad_card_at_start_holds_and_healthz_says_why(tiny_model_dir: Path,
                                                        tmp_path: Path) -> None:
    models = _models(tiny_model_dir, tmp_path)
    (models / "propaganda" / "CURRENT").write_text("bad\n", encoding="utf-8")
    app = _app(models, tmp_path)
    verdict = _check(app)
    assert verdict["decision"] == "review"
    assert [f["code"] for f in verdict["findings"]] == ["system.classifier_unavailable"]
    health = app.test_client().get("/healthz").get_json()
    assert health["status"] == "degraded"
    assert any("thresholds.review" in p for p in health["problems"])


def test_promoting_a_bad_card_under_a_running_server_keeps_the_good_model(
        tiny_model_dir: Path, tmp_path: Path) -> None:
    models = _models(tiny_model_dir, tmp_path)
    (models / "propaganda" / "CURRENT").write_text("good\n", encoding="utf-8")
    app = _app(models, tmp_path)
    assert _check(app)["model"] == "propaganda/tiny"
    (models / "propaganda" / "CURRENT.tmp").write_text("bad\n", encoding="utf-8")
    (models / "propaganda" / "CURRENT.tmp").rename(models / "propaganda" / "CURRENT")
    time.sleep(1.1)  # the watcher looks at CURRENT at most once a second
    verdict = _check(app)
    assert verdict["model"] == "propaganda/tiny" and "propaganda" in verdict["scores"]
    health = app.test_client().get("/healthz").get_json()
    assert any("kept" in p and "thresholds" in p for p in health["problems"])


def _policy(root: Path) -> Any:
    (root / "news.toml").write_text(POLICY, encoding="utf-8")
    return load_policy(root / "news.toml")


class _Broken:
    """A model whose scores or thresholds went wrong after it was loaded."""

    version = "broken"

    def __init__(self, score: float, thresholds: dict[str, Any]) -> None:
        self._score, self.thresholds = score, thresholds

    def score_normalized(self, texts: list[Any]) -> list[float]:
        return [self._score] * len(texts)

    def explain(self, *_: Any, **__: Any) -> list[Any]:
        raise RuntimeError("explanations broke too")


@pytest.mark.parametrize(("score", "thresholds"), [
    (math.nan, {"review": 0.5, "reject": 0.9}),
    (0.7, {}),
    (0.7, {"review": "x", "reject": 0.9}),
    (0.7, {"review": 1.5, "reject": 2.0}),
    (0.7, {"review": -1.0, "reject": -0.5}),
])
def test_a_broken_model_gives_the_failure_action(score: float, thresholds: dict[str, Any],
                                                 tmp_path: Path) -> None:
    policy = _policy(tmp_path)
    verdict = run_policy(Comment({"comment": "text"}, site="news"), policy,
                         _Broken(score, thresholds))  # type: ignore[arg-type]
    assert verdict.decision.value == "review"
    assert [f.code for f in verdict.findings] == ["system.classifier_error"]


def test_a_lost_explanation_keeps_the_verdict(tmp_path: Path) -> None:
    policy = _policy(tmp_path)
    verdict = run_policy(Comment({"comment": "text"}, site="news"), policy,
                         _Broken(0.95, {"review": 0.5, "reject": 0.9}))  # type: ignore[arg-type]
    assert verdict.decision.value == "reject"
    assert verdict.findings[0].code == "classifier.propaganda"
