"""The gates are exact: with them and without them (`ungated()`), the same verdicts.

Unit properties first (each gate says "skip" only where its step finds nothing), then
every row of ../shared/data and every variant of the two obfuscation generators through
the whole policy check, gated against ungated. The classifier is left out of that run
(it is the slowest step and no gate touches it): what it reads, the normalised text, is
compared instead, so its score cannot differ either.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from moderator import gates, language
from moderator.paths import DEFAULT_POLICY_DIR
from moderator.policy import PolicySet
from moderator.policy.engine import CheckContext, verdict_of
from moderator.policy.links import link_bound
from moderator.text import _SPLIT, normalize_uncached
from moderator.types import Comment
from tests.conftest import shared_texts

REPO = Path(__file__).resolve().parent.parent
DATA = REPO.parent / "shared" / "data"
PHONE = r"(?<!\d)(?:\+?\d[\s\-()]{0,2}){10,14}(?!\d)"
LINK_PIECES = ["http://", "www.", "WWW.", "example", ".com", ".рф", "пример", "a", ".", "/",
               ":", " ", "\n", "x.y", "1.2", "e.g.", "w.", "mailto:", "end.Next", "-.", "ab",
               "\u0345", "\u212a", "ẘ", "W"]
TEXT_PIECES = ["j", "i", "h", "a", "d", " ", ".", "-", "_", "·", "*", "/", "~", "  ", " . ",
               "с", "м", "е", "р", "т", "ь", "і", "ә", "é", "\u0301", "1", "@", "$", "!",
               "word", "слово", "\u00a0", "\t", "\n", "ї", "ñ", "٣", "𝐣", "İ"]


def _policy():  # type: ignore[no-untyped-def]
    """The default policy without its classifier, and with a regex budget no machine spends
    (a budget of wall-clock time would make a loaded machine's verdicts differ)."""
    policy = PolicySet.from_path(DEFAULT_POLICY_DIR).get("default")
    return replace(policy, classifier=replace(policy.classifier, enabled=False),
                   failure=replace(policy.failure, regex_timeout_seconds=600.0))


def test_ungated_turns_every_gate_off_and_back_on() -> None:
    assert gates.active()
    with gates.ungated():
        assert not gates.active()
        with gates.ungated():
            assert not gates.active()
        assert not gates.active()
    assert gates.active()


@settings(max_examples=500, derandomize=True)
@given(st.lists(st.sampled_from(LINK_PIECES), max_size=30).map("".join))
def test_no_link_candidate_means_a_bound_of_zero(text: str) -> None:
    if not gates.may_hold_link(text):
        assert link_bound(text) == 0


@pytest.mark.parametrize(("source", "digits"), [
    (PHONE, 10), (r"\d{3}-\d{4}", 7), (r"\d{3}|a\d", 1), (r"[0-9]{4}", 4), (r"[0-z]{4}", 0),
    (r"(?:\d\d)+", 2), (r"\d*x", 0), (r"(\d)\1", 1), (r"[^\d]\d", 1), (r"[\p{Nd}]{5}", 0),
    (r"[[0-9]--[5]]{3}", 0), (r"(?>\d{2})", 2), (r"7{3}", 3), (r"(", 0),
    (r"[0-9[x]5]", 0), (r"(?:12345){e<=1}", 0), (r"\d{2}\{", 0), (r"\d\d(?=[a\[])", 0),
])
def test_min_digits_is_never_above_what_a_match_needs(source: str, digits: int) -> None:
    assert gates.min_digits(source) == digits


def test_fewer_digits_counts_every_unicode_digit() -> None:
    assert gates.fewer_digits("call 123", 4)
    assert not gates.fewer_digits("call 1234", 4)
    assert not gates.fewer_digits("call ١٢٣٤", 4)  # Arabic-Indic digits are \d too
    assert gates.fewer_digits("ⅠⅡⅢⅣ ½", 1)  # numbers, not decimal digits


@settings(max_examples=800, derandomize=True)
@given(st.lists(st.sampled_from(TEXT_PIECES), max_size=40).map("".join))
def test_language_gate_answers_what_the_detector_answers(text: str) -> None:
    assert gates.detect_language(text) == language.detect(text)


def test_language_gate_agrees_on_every_bmp_character() -> None:
    for start in range(0, 0x10000, 4096):
        block = "".join(map(chr, range(start, start + 4096)))
        for ch in block[::7]:
            assert gates.detect_language(ch * 3 + "я") == language.detect(ch * 3 + "я")


@settings(max_examples=800, derandomize=True)
@given(st.lists(st.sampled_from(TEXT_PIECES), max_size=40).map("".join))
def test_letter_join_gate_never_hides_a_split_word(text: str) -> None:
    with gates.ungated():
        reference = normalize_uncached(text)
    assert normalize_uncached(text) == reference


def test_letter_join_gate_says_no_for_prose_and_yes_for_spaced_letters() -> None:
    from moderator import _chars

    def may_join(text: str) -> bool | None:
        return gates.may_join(*_chars.classes(text))

    assert may_join("an ordinary sentence, with a word or two.") is False
    assert may_join("j i h a d") is True
    assert may_join("j_i_h_a_d") is True  # `_` becomes a space before the scan
    assert may_join("a\u0301 b c") is None  # a combining mark: no opinion
    assert _SPLIT.search("an ordinary sentence") is None


# -- every row and variant, gated against ungated ------------------------------------------


def _variants() -> Iterator[str]:
    sys.path.insert(0, str(REPO / "bench"))
    try:
        import bench_obfuscation as first
    finally:
        sys.path.remove(str(REPO / "bench"))
    for lang, _entry, _name, variant in first._generator_1(4, 5):
        yield first.FRAME[lang].format(variant)
    for lang, _entry, _name, variant in first._generator_2(4, 4):
        yield first.FRAME_2[lang].format(variant)


def _check(policy, text: str) -> tuple[object, object, object]:  # type: ignore[no-untyped-def]
    """Verdict (classifier off), normalised text, and language of the whole text."""
    comment = Comment(fields={"comment": text[:1500], "name": "Reader",
                              "email": "reader@example.com"}, site="default")
    ctx = CheckContext(comment, policy)
    verdict = verdict_of(ctx).to_dict()
    return verdict, ctx._normalized.get("comment"), gates.detect_language(text)


def _assert_same(texts: Iterator[str]) -> int:
    policy = _policy()
    count = 0
    for text in texts:
        gated = _check(policy, text)
        with gates.ungated():
            reference = _check(policy, text)
        assert gated == reference, f"gated and ungated differ on text #{count}"
        count += 1
    return count


def test_gates_are_exact_on_every_obfuscation_variant() -> None:
    assert _assert_same(_variants()) > 1000


@pytest.mark.slow
@pytest.mark.skipif(not (DATA / "README.md").is_file(),
                    reason=f"labelled data not found at {DATA} (../shared/data)")
def test_gates_are_exact_on_every_shared_data_row() -> None:
    assert _assert_same(shared_texts(DATA)) > 100_000
