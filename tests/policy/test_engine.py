"""Each rule as a parametrised table: fields in, decision and (code, field, span) out."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import pytest

from moderator.policy import load_policy, run_policy
from moderator.policy.model import Policy
from moderator.text import NormalizedText
from moderator.types import Comment, Decision, Verdict

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "policies"
OK = {"comment": "Fine text.", "name": "Ann", "email": "ann@example.com"}


@pytest.fixture(scope="module")
def strict() -> Policy:
    return load_policy(FIXTURES / "strict.toml")


def check(policy: Policy, model: object = None, **fields: str | None) -> Verdict:
    values = {**OK, **fields}
    return run_policy(Comment({k: v for k, v in values.items() if v is not None}, "strict"),
                      policy, model)  # type: ignore[arg-type]


def assert_result(verdict: Verdict, decision: Decision,
                  expected: Sequence[tuple[str, str | None, tuple[int, int] | None]]) -> None:
    got = [(f.code, f.field, (f.span.start, f.span.end) if f.span else None)
           for f in verdict.findings]
    assert got == list(expected)
    assert verdict.decision is decision


def test_clean_comment_is_accepted(strict: Policy) -> None:
    verdict = check(strict)
    assert_result(verdict, Decision.ACCEPT, [])
    assert verdict.policy == "strict@test-1"
    assert verdict.language == "en"


@pytest.mark.parametrize(
    ("fields", "decision", "expected"),
    [
        ({"comment": None}, Decision.REJECT, [("comment.required", "comment", None)]),
        ({"comment": "   \r\n "}, Decision.REJECT, [("comment.required", "comment", None)]),
        ({"name": ""}, Decision.REJECT, [("name.required", "name", None)]),
        ({"email": None}, Decision.ACCEPT, []),  # optional in this policy
        ({"comment": None, "name": None}, Decision.REJECT,
         [("comment.required", "comment", None), ("name.required", "name", None)]),
    ],
)
def test_required(strict: Policy, fields: dict, decision: Decision, expected: list) -> None:
    assert_result(check(strict, **fields), decision, expected)


@pytest.mark.parametrize(
    ("comment", "decision", "expected"),
    [
        ("x" * 20, Decision.ACCEPT, []),
        ("  " + "x" * 20 + "\n\n", Decision.ACCEPT, []),  # surrounding whitespace is free
        ("x" * 21, Decision.REJECT, [("comment.too_long", "comment", None)]),
        ("x" * 18 + "😀", Decision.ACCEPT, []),  # 18 + 2 code units
        ("x" * 19 + "😀", Decision.REJECT, [("comment.too_long", "comment", None)]),
        ("x\r\n" * 6 + "xx", Decision.ACCEPT, []),  # 6 * 2 + 2 = 14 ... CRLF counts once
        ("x\r\n" * 10, Decision.ACCEPT, []),  # trimmed: 10 x + 9 breaks = 19
        ("x\r\n" * 10 + "xx", Decision.REJECT, [("comment.too_long", "comment", None)]),
        ("e\u0301" * 10, Decision.ACCEPT, []),  # 20 code units
        ("e\u0301" * 10 + "e", Decision.REJECT, [("comment.too_long", "comment", None)]),
        # Over the limit: content rules skip the field, only the length reason is given.
        ("kill " * 10, Decision.REJECT, [("comment.too_long", "comment", None)]),
    ],
)
def test_length(strict: Policy, comment: str, decision: Decision, expected: list) -> None:
    assert_result(check(strict, comment=comment), decision, expected)


def test_an_over_limit_comment_is_read_by_no_content_rule_and_not_detected() -> None:
    """Rejected for its length alone: no word list, pattern, link count, classifier (no
    model here, which would otherwise hold it as unavailable) or language detection."""
    policy = load_policy(Path(__file__).resolve().parents[2] / "rules" / "policies"
                         / "default.toml")
    bad = "kill them all, call +1 555 123 4567, see a.com b.org c.net d.io. Это текст. "
    comment = (bad * (30_000 // len(bad) + 1))[:30_000]
    verdict = run_policy(Comment({"comment": comment, "name": "Ann",
                                  "email": "ann@example.com"}, "default"), policy, None)
    assert_result(verdict, Decision.REJECT, [("comment.too_long", "comment", None)])
    assert verdict.language is None and verdict.scores == {}
    within = run_policy(Comment({"comment": bad, "name": "Ann", "email": "ann@example.com"},
                                "default"), policy, None)
    assert within.language == "en" and len(within.findings) > 1  # the same text, in limits


def test_length_finding_carries_numbers(strict: Policy) -> None:
    finding = check(strict, comment="x" * 25).findings[0]
    assert dict(finding.detail) == {"length": 25, "limit": 20}
    assert "25" in finding.message and "20" in finding.message


@pytest.mark.parametrize(
    ("email", "decision", "expected"),
    [
        ("ann@example.com", Decision.ACCEPT, []),
        ("  ann@example.com ", Decision.ACCEPT, []),
        ("ann@", Decision.REJECT, [("email.invalid", "email", None)]),
        ("ann.example.com", Decision.REJECT, [("email.invalid", "email", None)]),
    ],
)
def test_email(strict: Policy, email: str, decision: Decision, expected: list) -> None:
    assert_result(check(strict, email=email), decision, expected)


@pytest.mark.parametrize(
    ("fields", "decision", "expected"),
    [
        ({"comment": "you ass"}, Decision.REJECT, [("banned.word", "comment", (4, 7))]),
        ({"comment": "a classic"}, Decision.ACCEPT, []),
        ({"comment": "skill"}, Decision.ACCEPT, []),
        ({"comment": "KILL them"}, Decision.REJECT, [("banned.word", "comment", (0, 4))]),
        ({"comment": "join  the,caliphate"}, Decision.REJECT,
         [("banned.phrase", "comment", (0, 19))]),
        ({"comment": "они террористы"}, Decision.REJECT, [("banned.word", "comment", (4, 14))]),
        ({"name": "kill"}, Decision.REJECT, [("banned.word", "name", (0, 4))]),
        ({"comment": "a martyr"}, Decision.REVIEW, [("suspect.word", "comment", (2, 8))]),
        ({"comment": "hmm ok"}, Decision.ACCEPT, [("noted.word", "comment", (0, 3))]),
        ({"comment": "martyr ass"}, Decision.REJECT,
         [("banned.word", "comment", (7, 10)), ("suspect.word", "comment", (0, 6))]),
    ],
)
def test_terms(strict: Policy, fields: dict, decision: Decision, expected: list) -> None:
    assert_result(check(strict, **fields), decision, expected)


@pytest.mark.parametrize(
    ("comment", "decision", "expected"),
    [
        ("pay 1234-5678 now", Decision.REVIEW, [("pattern.card", "comment", (4, 13))]),
        ("pay 12345678 now", Decision.ACCEPT, []),
    ],
)
def test_patterns(strict: Policy, comment: str, decision: Decision, expected: list) -> None:
    assert_result(check(strict, comment=comment), decision, expected)


@pytest.mark.parametrize(
    ("comment", "decision", "expected"),
    [
        ("see a.com", Decision.ACCEPT, []),
        ("a.com b.org", Decision.REVIEW, [("links.too_many", "comment", (6, 11))]),
        ("end. Next", Decision.ACCEPT, []),
        # E-mail addresses are not links unless the policy says so (`emails`, below).
        ("a@b.io mailto:c@d.io", Decision.ACCEPT, []),
        ("a.com a@b.io b.org", Decision.REVIEW, [("links.too_many", "comment", (13, 18))]),
    ],
)
def test_links(strict: Policy, comment: str, decision: Decision, expected: list) -> None:
    assert_result(check(strict, comment=comment), decision, expected)


def test_a_policy_may_count_email_addresses_as_links(strict: Policy) -> None:
    import dataclasses

    assert strict.links is not None and not strict.links.emails
    counting = dataclasses.replace(strict, links=dataclasses.replace(strict.links, emails=True))
    verdict = check(counting, comment="a@b.io mailto:c@d.io")
    assert_result(verdict, Decision.REVIEW, [("links.too_many", "comment", (7, 20))])
    assert verdict.findings[0].detail == {"count": 2, "limit": 1}


def test_regex_timeout_follows_failure_policy(strict: Policy) -> None:
    import dataclasses

    import regex

    # A pattern that backtracks for seconds on this input, swapped in after load
    # (the loader itself refuses such patterns).
    slow = dataclasses.replace(strict.patterns[0], pattern=regex.compile(r"(\w+)*\d$"))
    fields = dict(strict.fields)
    fields["comment"] = dataclasses.replace(fields["comment"], max_length=None)
    policy = dataclasses.replace(strict, patterns=(slow,), fields=fields)
    # A digit (apart: `ab1` would be leetspeak) and a last character that fails the match;
    # without a digit the pattern cannot match, and the digit gate rightly skips it.
    verdict = check(policy, comment="ab" * 2000 + " 1!")
    assert [f.code for f in verdict.findings] == ["system.regex_timeout"]
    assert verdict.decision is Decision.REJECT  # the fixture's failure policy says reject


class RecordingPattern:
    """A real compiled pattern that also records the timeout each run was given."""

    def __init__(self, source: str) -> None:
        import regex

        self.pattern = regex.compile(source, regex.IGNORECASE | regex.VERSION1)  # as loaded
        self.timeouts: list[float] = []

    def finditer(self, text: str, *, timeout: float) -> object:
        self.timeouts.append(timeout)
        return self.pattern.finditer(text, timeout=timeout)


def test_one_regex_budget_covers_every_pattern_and_field(strict: Policy) -> None:
    """Three slow patterns on two fields cost one `regex_timeout_ms`, not six of them."""
    import dataclasses

    patterns = [RecordingPattern(r"(\w+)*\d$") for _ in range(3)]
    rules = tuple(dataclasses.replace(strict.patterns[0], name=f"slow{i}", pattern=p,
                                      fields=("comment", "name"))
                  for i, p in enumerate(patterns))
    fields = {name: dataclasses.replace(spec, max_length=None)
              for name, spec in strict.fields.items()}
    policy = dataclasses.replace(strict, patterns=rules, fields=fields)
    verdict = check(policy, comment="ab" * 2000, name="ab" * 2000)
    timeouts = [t for p in patterns for t in p.timeouts]
    budget = policy.failure.regex_timeout_seconds
    assert timeouts and sum(timeouts) <= budget  # the first run got what there was
    assert [(f.code, f.field, f.detail["rule"]) for f in verdict.findings] == [
        ("system.regex_timeout", field, f"slow{i}") for i in range(3)
        for field in ("comment", "name")]  # every rule reports, none is silently skipped
    assert verdict.decision is Decision.REJECT


@dataclass
class FixedScorer:
    """A scorer with a known score, to test how the policy maps scores to actions."""

    value: float
    version: str = "propaganda/test"
    fail: bool = False

    @property
    def thresholds(self) -> dict[str, float]:
        return {"review": 0.5, "reject": 0.9}

    def score_normalized(self, texts: Sequence[NormalizedText]) -> list[float]:
        if self.fail:
            raise RuntimeError("model exploded")
        return [self.value for _ in texts]

    def explain(self, text: str, top_k: int = 5, normalized: object = None) -> list:
        @dataclass
        class C:
            term: str
            weight: float
            start: int
            end: int

        return [C(text[:4], 1.0, 0, 4)]


@pytest.fixture
def with_classifier(strict: Policy) -> Policy:
    import dataclasses

    from moderator.policy.model import ClassifierSettings

    settings = ClassifierSettings(True, "propaganda", "comment", None, None, "Held.")
    return dataclasses.replace(strict, classifier=settings)


@pytest.mark.parametrize(
    ("scorer", "decision", "code"),
    [
        (FixedScorer(0.1), Decision.ACCEPT, None),
        (FixedScorer(0.5), Decision.REVIEW, "classifier.propaganda"),
        (FixedScorer(0.95), Decision.REJECT, "classifier.propaganda"),
        (FixedScorer(0.1, fail=True), Decision.REVIEW, "system.classifier_error"),
        (None, Decision.REVIEW, "system.classifier_unavailable"),
    ],
)
def test_classifier_scores_and_failures(with_classifier: Policy, scorer: FixedScorer | None,
                                        decision: Decision, code: str | None) -> None:
    verdict = check(with_classifier, scorer, comment="Some text here")
    assert verdict.decision is decision
    assert [f.code for f in verdict.findings] == ([code] if code else [])
    if code == "classifier.propaganda":
        finding = verdict.findings[0]
        assert finding.detail["score"] == scorer.value
        assert finding.span is not None and (finding.span.start, finding.span.end) == (0, 4)
    if scorer is not None and not scorer.fail:
        assert verdict.scores == {"propaganda": scorer.value}
        assert verdict.model == "propaganda/test"


def test_huge_comment_is_rejected_by_length_without_running_the_classifier(
    with_classifier: Policy,
) -> None:
    calls: list[int] = []

    class CountingScorer(FixedScorer):
        def score_normalized(self, texts: Sequence[NormalizedText]) -> list[float]:
            calls.append(len(texts))
            return super().score_normalized(texts)

    verdict = check(with_classifier, CountingScorer(0.99), comment="kill " * 20_000)
    assert [f.code for f in verdict.findings] == ["comment.too_long"]
    assert verdict.decision is Decision.REJECT
    assert calls == []
