"""The team-written evaluation set (tests/fixtures/incitement_eval): catch and hold targets.

Run through the whole default policy, as a comment is checked in production; only the
`incitement.*` findings count. Fails when a change moves either rate past its target.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from moderator.policy import load_policy, run_policy
from moderator.policy.model import Policy
from moderator.text import normalize
from moderator.types import Comment

REPO = Path(__file__).resolve().parents[2]
EVAL = REPO / "tests" / "fixtures" / "incitement_eval"
LABELS = ("violence", "recruitment", "glorification", "benign")
LANGS = sorted(path.stem for path in EVAL.glob("*.tsv"))
CATCH_TARGET = 0.90
HOLD_TARGET = 0.05


def rows(lang: str) -> list[tuple[str, str, str, str]]:
    """(label, kind, pair, text) for every row of one language's file."""
    out = []
    for line in (EVAL / f"{lang}.tsv").read_text(encoding="utf-8").splitlines():
        if line.strip() and not line.startswith("#"):
            label, kind, pair, text = line.split("\t")
            out.append((label, kind, pair, text))
    return out


@pytest.fixture(scope="module")
def policy() -> Policy:
    return load_policy(REPO / "rules" / "policies" / "default.toml")


def flagged(policy: Policy, text: str) -> bool:
    verdict = run_policy(Comment({"comment": text, "name": "A", "email": "a@example.com"}),
                         policy)
    return any(f.code.startswith("incitement.") for f in verdict.findings)


def test_every_language_of_the_default_policy_has_a_set(policy: Policy) -> None:
    assert policy.incitement is not None
    assert set(policy.incitement.matcher.languages) <= set(LANGS)
    assert set(LANGS) >= {"en", "ru", "kk"}


@pytest.mark.parametrize("lang", LANGS)
def test_the_set_is_what_the_issue_asks_for(lang: str) -> None:
    header = (EVAL / f"{lang}.tsv").read_text(encoding="utf-8").splitlines()[:3]
    assert any("WRITTEN BY THE MODERATOR TEAM" in line for line in header)
    data = rows(lang)
    assert len(data) >= 60
    assert {label for label, *_ in data} == set(LABELS)
    calls = sum(label != "benign" for label, *_ in data)
    assert abs(calls - (len(data) - calls)) <= 1
    pairs = {pair for _, _, pair, _ in data if pair != "-"}
    for pair in pairs:  # a minimal pair: one call, one report or quote
        labels = [label for label, _, p, _ in data if p == pair]
        assert len(labels) == 2 and labels.count("benign") == 1, pair


@pytest.mark.parametrize("lang", LANGS)
def test_catch_and_hold_rates_meet_the_targets(policy: Policy, lang: str) -> None:
    data = rows(lang)
    calls = [text for label, _, _, text in data if label != "benign"]
    benign = [text for label, _, _, text in data if label == "benign"]
    caught = sum(flagged(policy, text) for text in calls)
    held = sum(flagged(policy, text) for text in benign)
    assert caught / len(calls) >= CATCH_TARGET, f"{lang}: caught {caught} of {len(calls)}"
    assert held / len(benign) <= HOLD_TARGET, f"{lang}: held {held} of {len(benign)}"


def test_the_issues_own_examples(policy: Policy) -> None:
    for text in ("Убивайте полицейских и чиновников, Халифат вернется",
                 "Полицейлерді өлтіріңдер, үкіметті құлатамыз", "Kill the police dogs..."):
        assert flagged(policy, text), text
    assert not flagged(policy, "Правильно, что их арестовали. Призывы к джихаду не имеют "
                               "ничего общего с религией")


#: Every hit (code, language, start, end, trigger, partner) the matcher found on each
#: variant below when the speed work began: a faster matcher must find exactly these.
#: Regenerate only for a change meant to move findings (bench/incitement_same.py
#: compares with another revision on more texts, the shared data included).
HITS = EVAL / "hits.json"
PAD = 1500


def variants(lang: str) -> list[str]:
    """Each row alone, then after and before everyday rows of its set, to 1,500 chars."""
    texts = [text for *_, text in rows(lang)]
    benign = " ".join(text for label, _, _, text in rows(lang) if label == "benign")
    out = []
    for text in texts:
        out += [text, (text + " " + benign)[:PAD], (benign + " " + text)[-PAD:]]
    return out


@pytest.mark.parametrize("lang", LANGS)
def test_the_matcher_finds_exactly_the_recorded_hits(policy: Policy, lang: str) -> None:
    assert policy.incitement is not None
    expected = json.loads(HITS.read_text(encoding="utf-8"))[lang]
    matcher = policy.incitement.matcher
    got = [[[h.code, h.lang, h.start, h.end, h.trigger, h.partner]
            for h in matcher.find(normalize(text).text)] for text in variants(lang)]
    assert len(got) == len(expected)
    for k, (mine, recorded) in enumerate(zip(got, expected, strict=True)):
        assert mine == recorded, f"{lang} variant {k}"
