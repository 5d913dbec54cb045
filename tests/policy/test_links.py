"""The link finder and the cheap bound that lets most comments skip it."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from moderator.policy.links import find_links, link_bound

PIECES = ["http://", "https://", "www.", "example", ".com", ".org", ".рф", "пример", "a", ".",
          "/", "//", "@", "mail", ":", " ", "\n", ",", "-", "x.y", "t.co/", "1.2.3.4", "ru",
          "end.Next", "(", ")", "?q=1", "#top", "_", "ftp://", "mailto:", "e.g.", "i.e."]


@pytest.mark.parametrize(
    ("text", "count"),
    [
        ("no links at all", 0),
        ("see example.com and www.example.org", 2),
        ("http://www.example.com/a http://b.org https://c.net/x?y=1", 3),
        ("write to someone@example.org", 1),
        ("a.com b.org c.net", 3),
        ("пример.рф", 1),
    ],
)
def test_find_links_counts(text: str, count: int) -> None:
    assert len(find_links(text)) == count
    assert link_bound(text) >= count


def test_email_addresses_are_told_apart() -> None:
    links = find_links("joe@example.com, mailto:ann@example.org, http://x.org/a@b, b.org")
    assert [(link.url, link.email) for link in links] == [
        ("mailto:joe@example.com", True), ("mailto:ann@example.org", True),
        ("http://x.org/a@b", False), ("http://b.org", False)]


@settings(max_examples=400, derandomize=True)
@given(st.lists(st.sampled_from(PIECES), max_size=40).map("".join))
def test_bound_is_never_below_the_links_found(text: str) -> None:
    assert link_bound(text) >= len(find_links(text))


def test_bound_on_real_comments_and_tweets(shared_data: Path) -> None:
    """Every text with a link in three sources full of URLs and comments: never undercounted."""
    checked = 0
    for name in ("sfu_ctc_comments.csv", "isextreme_scraped_tweets.csv", "crisislex_tweets.csv"):
        with open(shared_data / name, encoding="utf-8", newline="") as handle:
            for row in csv.DictReader(handle):
                links = find_links(row["text"])
                if links:
                    checked += 1
                    assert link_bound(row["text"]) >= len(links)
    assert checked > 1000
