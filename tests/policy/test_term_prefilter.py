"""The word lists' anchor prefilter is exact: with it and without it (`gates.ungated()`),
the same hits and spans. Whole-policy runs over every shared-data row and the obfuscation
benches' variants are in tests/test_gates.py; here the filter itself, on the shipped lists."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from moderator import gates
from moderator.policy import view
from moderator.policy.terms import AnchorFilter, TermMatcher, load_wordlist
from moderator.text import normalize_uncached

WORDLISTS = Path(__file__).resolve().parents[2] / "rules" / "wordlists"
LISTS = sorted(WORDLISTS.glob("*/*.txt"))
MATCHERS = {f"{p.parent.name}/{p.stem}": TermMatcher.from_entries(load_wordlist(p), source=str(p))
            for p in LISTS}
ALL = TermMatcher.from_entries([e for p in LISTS for e in load_wordlist(p)], source="all")
# Pieces of entries and of what obfuscates them: look-alikes, digits, `$ @`, separators,
# spaced letters, astral and combining characters, stems' endings.
PIECES = ["kill", "all", "jews", "jihad", "j1had", "k1ll", "$", "@", "4", "1", "3", "0", "8",
          "z", "o", "g", "zog", "2", "14", "88", "хач", "х", "а", "ч", "жид", "ов", "джих",
          "ад", "кәпір", "лер", "ді", "өлтір", "sp", "ic", "kі", "ке", " ", "  ", ".", "-",
          "_", "·", "—", "*", "/", "\n", "🙂", "𝐤", "\u0301", "\u200b", "é", "a", "e", "i",
          "the", "death", "to", "d e a t h", "t o", "к і к е", "nigg", "er", "ѕ", "р", "с",
          "L", "I", "l", "SPLC", "Ｌ", "KILL", "HEIL"]
TEXTS = st.lists(st.sampled_from(PIECES), max_size=30).map("".join)


def _hits(matcher: TermMatcher, text: str) -> list[tuple[str, int, int]]:
    """Hits as (entry, original start, original end), never from the matcher's cache."""
    normalized = normalize_uncached(text)
    out = []
    for hit in matcher._find(normalized, 600.0):
        span = normalized.span(hit.start, hit.end)
        out.append((hit.entry, span.start, span.end))
    return out


def _filter(matcher: TermMatcher) -> AnchorFilter:
    prefilter = matcher._prefilter
    assert prefilter is not None  # the shipped lists all get one
    return prefilter


@settings(max_examples=1500, derandomize=True, deadline=None)
@given(TEXTS)
def test_the_prefilter_never_hides_a_hit(text: str) -> None:
    for matcher in (*MATCHERS.values(), ALL):
        gated = _hits(matcher, text)
        with gates.ungated():
            reference = _hits(matcher, text)
        assert gated == reference


@settings(max_examples=500, derandomize=True, deadline=None)
@given(TEXTS)
def test_the_view_and_the_text_before_its_last_step_read_alike(text: str) -> None:
    # Why the filter may read the text before spaced letters are closed up.
    normalized = normalize_uncached(text)
    before, _ = view.digits_typed(normalized, normalized.text)
    seen, _ = view.close_spaced(*view.digits_typed(normalized, normalized.text))
    prefilter = _filter(ALL)
    assert prefilter.reading(seen) == prefilter.reading(before)


@settings(max_examples=500, derandomize=True, deadline=None)
@given(TEXTS)
@example("the SPLC says SPIC")
@example("S P L C")
@example("кLке")
@example("SIEG HELL")
def test_capital_ls_are_put_back_wherever_they_could_change_a_hit(text: str) -> None:
    # The matcher puts typed capital Ls back only where one is inside a match without them.
    normalized = normalize_uncached(text)
    for matcher in (*MATCHERS.values(), ALL):
        deadline = time.monotonic() + 600.0
        with gates.ungated():
            scanned = matcher._scan(normalized, normalized.text, deadline)
        seen, index = view.with_capitals(normalized, normalized.text)
        assert scanned == matcher._hits(matcher._matches(seen, deadline), index)


@pytest.mark.parametrize("name", sorted(MATCHERS))
def test_every_entry_and_its_obfuscations_pass_the_filter(name: str) -> None:
    matcher = MATCHERS[name]
    prefilter = _filter(matcher)
    for entry in matcher.entries:
        written = entry.replace("*", "ами")
        for text in (written, written.upper(), " ".join(written), written.replace("a", "4"),
                     written.replace("i", "1").replace("o", "0"), f"#{written.replace(' ', '')}"):
            reference = _hits(matcher, f"« {text} »")
            if reference:
                normalized = normalize_uncached(f"« {text} »")
                assert prefilter.may_match(view.typed(normalized, normalized.text)[0]), text
            assert _hits(matcher, f"« {text} »") == reference


@pytest.mark.parametrize("text", [
    "The council met on Tuesday to discuss the new budget for schools and roads.",
    "Спасибо за статью, очень интересно было читать про новый мост в городе.",
    "Бүгін ауа райы жақсы, балалар саябаққа барды.",
])
def test_ordinary_prose_is_ruled_out(text: str) -> None:
    # Not a correctness property: the filter is worth having only if it says no here.
    for matcher in MATCHERS.values():
        normalized = normalize_uncached(text)
        assert not _filter(matcher).may_match(view.typed(normalized, normalized.text)[0])


def test_a_spent_budget_still_times_out_where_the_filter_would_skip() -> None:
    text = normalize_uncached("The council met on Tuesday to discuss the new budget. " * 3)
    for active in (True, False):
        with pytest.raises(TimeoutError):
            if active:
                ALL._find(text, 0.0)
            else:
                with gates.ungated():
                    ALL._find(text, 0.0)


def test_reading_drops_what_no_entry_reads_and_cuts_runs() -> None:
    prefilter = _filter(MATCHERS["en/banned"])
    assert prefilter.reading("kiiill") == prefilter.reading("k.i l🙂l")
    assert prefilter.reading("kill") == prefilter.reading("к1ll")  # look-alike, digit twin
    assert prefilter.reading("") == ""
