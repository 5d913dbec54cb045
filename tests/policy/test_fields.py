"""The form's length unit: UTF-16 code units of the trimmed value, CRLF counted once."""

from __future__ import annotations

import pytest

from moderator.policy.fields import email_problem, form_length, form_value


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("", 0),
        ("hello", 5),
        ("  hello \n\t", 5),  # surrounding whitespace does not count
        ("a\r\nb", 3),  # CRLF is one line break, as in a textarea's value
        ("a\rb", 3),
        ("a\nb", 3),
        ("😀", 2),  # outside the BMP: a surrogate pair, two code units
        ("👍🏽", 4),  # emoji + skin-tone modifier: two astral code points
        ("e\u0301", 2),  # combining mark counts on its own
        ("é", 1),  # precomposed
        ("Қазақ тілі", 10),  # Kazakh letters are in the BMP
        ("привет", 6),
        ("\u200b", 1),  # zero-width space is not whitespace to str.strip, the form counts it
    ],
)
def test_form_length_counts_like_a_textarea(raw: str, expected: int) -> None:
    assert form_length(raw) == expected


def test_form_value_trims_and_normalises_line_breaks() -> None:
    assert form_value("  a\r\nb\rc  ") == "a\nb\nc"


def test_lone_surrogate_does_not_crash_the_counter() -> None:
    assert form_length("a\ud800") == 2


@pytest.mark.parametrize(
    ("address", "valid"),
    [
        ("reader@example.com", True),
        ("айгерім@мысал.қаз", True),
        ("first.last+tag@news.example.kz", True),
        ("no-at-sign.example.com", False),
        ("two@@example.com", False),
        ("reader@", False),
        ("reader@localhost", False),
        ("spaces in@example.com", False),
    ],
)
def test_email_problem(address: str, valid: bool) -> None:
    assert (email_problem(address) is None) is valid
