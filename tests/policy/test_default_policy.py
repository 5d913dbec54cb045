"""The default policy's own rules, as a site gets them: what its phone pattern holds."""

from __future__ import annotations

from dataclasses import replace

import pytest

from moderator import gates
from moderator.paths import DEFAULT_POLICY_DIR
from moderator.policy import PolicySet
from moderator.policy.engine import run_policy
from moderator.policy.model import Policy
from moderator.types import Comment


@pytest.fixture(scope="module")
def default() -> Policy:
    policy = PolicySet.from_path(DEFAULT_POLICY_DIR).get("default")
    return replace(policy, classifier=replace(policy.classifier, enabled=False))


def phone_spans(policy: Policy, comment: str) -> list[str]:
    verdict = run_policy(Comment({"comment": comment, "name": "Ann",
                                  "email": "ann@example.com"}, "default"), policy, None)
    return [comment[f.span.start:f.span.end] for f in verdict.findings
            if f.code == "personal_data.phone" and f.span is not None]


@pytest.mark.parametrize(("comment", "number"), [
    ("Call me on +7 701 234 5678 after six.", "+7 701 234 5678"),
    ("Звоните: 8 (701) 234-56-78", "8 (701) 234-56-78"),
    ("по телефону 8-951-552-04-61.", "8-951-552-04-61"),
    ("тел.87012345678", "87012345678"),
    ("Нөмірім +77011234567, жазыңыз", "+77011234567"),
    ("Phone : +44 81 945 2135 or", "+44 81 945 2135"),
    ("OFFICIAL HOTLINE: (254) 202-1100", "(254) 202-1100"),
    ("Please call me at 310-795-2210.", "310-795-2210"),
    ("we hv no loaner.5084773604 help", "5084773604"),
    ("Darcy Henton780-422-5767Calgary Herald", "780-422-5767"),
])
def test_a_phone_number_is_held_where_it_was_typed(default: Policy, comment: str,
                                                   number: str) -> None:
    assert [s.strip() for s in phone_spans(default, comment)] == [number]


@pytest.mark.parametrize("comment", [
    "https://twitter.com/someone/status/1013798419704 read the thread",
    "In article <pww-190493085759@spac-at1-59.rice.edu> pww writes:",
    "In article <31MAR199321091163@juliet.caltech.edu>, lmh writes",
    "Images: 1535817641898.png",
    "see http://example.com/view?t=1551727020&comments=1",
    "http://paper.li/someone/1410571758#/",
    "https://gab.example/posts/v5-page-028-21069756",
    "my bag claim #3526665682. thanks!",
    "/magazine/content/09_36/b4145036678131.htm",
    "ga=2.107256898.1576974707.1522118416-885662511.1496472199",
])
def test_digits_of_a_link_address_or_file_name_are_not_a_phone_number(
        default: Policy, comment: str) -> None:
    assert phone_spans(default, comment) == []


def test_the_phone_pattern_keeps_its_digit_gate(default: Policy) -> None:
    """The lookarounds must not cost the exact gate that skips digit-poor comments."""
    (pattern,) = [rule.pattern for rule in default.patterns if rule.name == "phone_number"]
    assert gates.min_digits(pattern.pattern) == 10
