"""Property tests: any text, however hostile, gets a verdict whose spans lie inside the field."""

from __future__ import annotations

from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from moderator.policy import load_policy, run_policy
from moderator.types import Comment, Decision

REPO = Path(__file__).resolve().parents[2]
DEFAULT = load_policy(REPO / "rules" / "policies" / "default.toml")

# Text from every Unicode category, weighted towards the characters evaders use.
EVASIVE = st.sampled_from(list("jihadкиллjіһаd0134@$!.-_ \u200b\u200d\u202e\ufeff\u0301ｊ𝐣😀\r\n"))
TEXT = st.lists(st.one_of(EVASIVE, st.characters()), max_size=300).map("".join)


@given(comment=TEXT, name=TEXT)
@settings(max_examples=300, deadline=None, derandomize=True,
          suppress_health_check=[HealthCheck.too_slow])
def test_any_text_gets_a_verdict_with_spans_inside_the_field(comment: str, name: str) -> None:
    fields = {"comment": comment, "name": name, "email": "reader@example.com"}
    verdict = run_policy(Comment(fields), DEFAULT, None)
    assert verdict.decision in set(Decision)
    for finding in verdict.findings:
        if finding.span is not None:
            assert finding.field is not None
            value = fields[finding.field]
            assert 0 <= finding.span.start <= finding.span.end <= len(value)
    # Without a model the classifier's failure policy holds every non-empty comment.
    if comment.strip():
        assert verdict.decision is not Decision.ACCEPT
