"""Suspect words as evidence: a hit alone holds nothing, it lowers the classifier's bar."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from moderator.errors import PolicyError
from moderator.policy.engine import run_policy
from moderator.policy.loader import load_policy
from moderator.types import Comment

REPO = Path(__file__).resolve().parents[2]
POLICY = """
[policy]
site = "news"
version = "t-1"
[fields.comment]
label = "Comment"
max_length = 1500
[[terms]]
name = "suspect"
code = "suspect"
words = ["jihad"]
as_evidence = {evidence}
action = "review"
message = "held"
[classifier]
enabled = {enabled}
evidence_review_threshold = 0.4
message = "held"
"""


class Fixed:
    """A model giving one score to every text."""

    version = "fixed"

    def __init__(self, score: float) -> None:
        self._score = score
        self.thresholds = {"review": 0.8, "reject": 0.95}

    def score_normalized(self, texts: list[Any]) -> list[float]:
        return [self._score] * len(texts)

    def explain(self, *_: Any, **__: Any) -> list[Any]:
        return []


def _policy(tmp_path: Path, evidence: str = "true", enabled: str = "true") -> Any:
    path = tmp_path / "news.toml"
    path.write_text(POLICY.format(evidence=evidence, enabled=enabled), encoding="utf-8")
    return load_policy(path)


def _check(policy: Any, text: str, score: float) -> Any:
    return run_policy(Comment({"comment": text}, site="news"), policy, Fixed(score))


def test_a_hit_with_a_low_score_is_accepted_and_noted(tmp_path: Path) -> None:
    verdict = _check(_policy(tmp_path), "calls for jihad are a crime", 0.1)
    assert verdict.decision.value == "accept"
    (finding,) = verdict.findings
    assert finding.code == "suspect.word" and finding.action.value == "flag"
    assert finding.detail["evidence"] is True


def test_a_hit_lowers_the_review_threshold(tmp_path: Path) -> None:
    verdict = _check(_policy(tmp_path), "join the jihad", 0.5)
    assert verdict.decision.value == "review"
    held = [f for f in verdict.findings if f.code == "classifier.propaganda"]
    assert held and held[0].detail["thresholds"]["review"] == 0.4
    assert held[0].detail["evidence"] == ["suspect.word"]


def test_without_a_hit_the_models_threshold_stands(tmp_path: Path) -> None:
    assert _check(_policy(tmp_path), "join us", 0.5).decision.value == "accept"
    assert _check(_policy(tmp_path), "join us", 0.85).decision.value == "review"


def test_the_switch_keeps_holding_every_hit(tmp_path: Path) -> None:
    verdict = _check(_policy(tmp_path, evidence="false"), "calls for jihad are a crime", 0.1)
    assert verdict.decision.value == "review"
    assert verdict.findings[0].action.value == "review"


def test_evidence_without_a_classifier_is_a_load_error(tmp_path: Path) -> None:
    with pytest.raises(PolicyError, match="evidence_review_threshold"):
        _policy(tmp_path, enabled="false")


@pytest.fixture(scope="module")
def default_policy_and_model() -> tuple[Any, Any]:
    from moderator.classifier import load_model, resolve_current

    return (load_policy(REPO / "rules" / "policies" / "default.toml"),
            load_model(resolve_current(REPO / "models")))


READER = {"name": "A reader", "email": "reader@example.org"}


@pytest.mark.parametrize(("text", "decision"), [
    # Written for this test: the same word in a condemnation, a news report, and a call.
    ("Правильно, что их арестовали. Призывы к джихаду не имеют ничего общего с религией",
     "accept"),
    ("Жиһадқа шақыру — қылмыс, оларды дұрыс ұстады.", "accept"),
    ("The court said the group's video called for armed jihad against the police.", "accept"),
    ("Brothers, the time for jihad has come. Join the mujahideen and fight the apostate "
     "police.", "reject"),
])
def test_default_policy_tells_a_mention_from_a_call(default_policy_and_model: tuple[Any, Any],
                                                    text: str, decision: str) -> None:
    policy, model = default_policy_and_model
    verdict = run_policy(Comment({"comment": text, **READER}, site=policy.site), policy, model)
    assert verdict.decision.value == decision, [(f.code, f.detail) for f in verdict.findings]
    assert any(f.code.startswith("suspect.") for f in verdict.findings)
