"""Letter classes of the term matcher: what may stand for each letter of an entry."""

from __future__ import annotations

import pytest

from moderator.policy.readings import CAPITAL_L, letter_class, may_double, run_key


@pytest.mark.parametrize(
    ("letter", "stand_ins"),
    [
        # Latin for Cyrillic outside Unicode's confusables table, and the reverse.
        ("н", "h"), ("м", "m"), ("в", "b8"), ("к", "k"), ("т", "t7"), ("у", "y"), ("и", "u"),
        ("г", "r"), ("п", "n"), ("й", "uи"), ("ь", "b6"),
        ("h", "нһ"), ("m", "м"), ("b", "вь8"), ("k", "к"), ("t", "т7"), ("y", "у"), ("u", "и"),
        ("r", "г"), ("n", "п"),
        # Digits and symbols.
        ("a", "4@"), ("e", "3"), ("i", "1l"), ("l", "1i"), ("o", "0"), ("s", "5$"),
        ("а", "4@aч"), ("е", "3eз"), ("о", "0o"), ("ч", "4"),
    ],
)
def test_stand_ins(letter: str, stand_ins: str) -> None:
    assert set(stand_ins) <= letter_class(letter)


@pytest.mark.parametrize(
    ("letter", "not_for_it"),
    [("ч", "аa"), ("в", "6"), ("i", "!|"), ("s", "z"), ("и", "й"), ("х", "ж")],
)
def test_what_does_not_stand_for_a_letter(letter: str, not_for_it: str) -> None:
    assert not set(not_for_it) & letter_class(letter)


def test_classes_hold_only_what_the_view_can_hold() -> None:
    # Normalised text is case-folded; the view puts back only a typed capital L.
    for letter in "abcdefghijklmnopqrstuvwxyzабвгдежзийклмнопрстуфхцчшщъыьэюяі":
        for ch in letter_class(letter) - {CAPITAL_L}:
            assert ch == ch.casefold(), (letter, ch)


def test_twins_share_a_class_and_may_double() -> None:
    assert run_key("i") == run_key("l") == letter_class("i")
    assert letter_class("е") == letter_class("з")
    assert may_double("i") and may_double("а") and not may_double("ч")


def test_a_typed_capital_l_stands_for_l_only() -> None:
    assert letter_class("l") == letter_class("i") | {CAPITAL_L}
    assert not {CAPITAL_L} & (letter_class("i") | letter_class("і"))
    # The term prefilter reads l or і where the view has `L`: a class that holds `L` holds both.
    for letter in "abcdefghijklmnopqrstuvwxyzабвгдежзийклмнопрстуфхцчшщъыьэюяіәғқңөұүһ":
        assert CAPITAL_L not in letter_class(letter) or set("lі") <= letter_class(letter)
