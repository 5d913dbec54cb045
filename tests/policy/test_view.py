"""The matcher's view of a comment: typed digits back, spaced single letters closed up."""

from __future__ import annotations

import sys
import unicodedata

import pytest

from moderator.policy import view
from moderator.text import normalize


def seen(text: str) -> str:
    normalized = normalize(text)
    out, index = view.build(normalized, normalized.text)
    assert len(index) == len(out)
    assert all(0 <= i < len(normalized.text) for i in index)
    return out


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("j3ws", "j3ws"),  # the normaliser reads 3 as e; the matcher sees the 3
        ("k1ll 4ll", "k1ll 4ll"),
        ("$1eg @ll", "s1eg all"),  # a symbol first in a word is read as its letter
        ("хa4aм", "xa4am"),  # a cut run with a digit in it comes back as typed
        ("t o", "to"),
        ("d e a t h   t o   j e w s", "death   to   jews"),
        ("х . 4 . ч и всё", "х4ч и все"),  # a different gap ends the run: `и` stays apart
        ("і$1$", "і$1$"),  # `$` inside a word is no gap
        ("plain text, 2024", "plain text, 2024"),
    ],
)
def test_view(text: str, expected: str) -> None:
    assert seen(text) == expected


def test_the_index_points_at_the_normalised_characters() -> None:
    normalized = normalize("so t o it")
    out, index = view.build(normalized, normalized.text)
    assert out == "so to it"
    assert [normalized.text[i] for i in index] == list(out)


def test_the_view_is_reused_for_the_same_text() -> None:
    normalized = normalize("d e a t h   t o")
    assert view.build(normalized, normalized.text) is view.build(normalized, normalized.text)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # A typed capital L stays one (an i's twin only as an l), also in another font or
        # folded to і in a Cyrillic word; not where a lower-case l was cut into it.
        ("SPLC", "spLc"), ("Ｓ𝐏𝐋C", "spLc"), ("кLке", "кLке"), ("S P L C", "spLc"),
        ("K1LL", "k1LL"), ("LLL", "LL"), ("lLl", "ll"), ("Ll", "Ll"), ("$L1L", "sL1l"),
        ("plain text", "plain text"),
    ],
)
def test_the_view_with_capitals(text: str, expected: str) -> None:
    normalized = normalize(text)
    out, index = view.with_capitals(normalized, normalized.text)
    assert out == expected
    assert list(index) == list(view.build(normalized, normalized.text)[1])


def test_a_view_without_a_capital_l_is_the_same_object() -> None:
    # What tells the matcher it need not scan again.
    normalized = normalize("SPlC, kill")
    assert view.with_capitals(normalized, normalized.text)[0] is view.build(
        normalized, normalized.text)[0]


def test_capital_ls_are_every_character_whose_nfkc_form_is_l() -> None:
    found = {chr(c) for c in range(sys.maxunicode + 1)
             if unicodedata.normalize("NFKC", chr(c)) == "L"}
    assert set(view.CAPITAL_LS) == found
