"""Finding the held comment an Akismet submit is about: by guid, else by its text."""

from __future__ import annotations

from moderator.store import Store
from moderator.store.akismet import MATCH_WINDOW
from moderator.types import Comment, Decision, Verdict

VERDICT = Verdict(Decision.REVIEW, (), {}, "s@1", None)


def hold(store: Store, text: str, site: str = "s") -> str:
    return store.hold(Comment({"comment": text}, site=site), VERDICT, "comment")


def test_by_guid_only_within_the_site(store: Store) -> None:
    ident = hold(store, "first")
    assert store.find_held("s", "unrelated", guid=ident) == (ident, "pending")
    assert store.find_held("t", "unrelated", guid=ident) is None


def test_by_text_a_pending_match_wins_over_a_decided_one(store: Store) -> None:
    old = hold(store, "same words")
    store.decide(old, "approve", "other", "alice")
    new = hold(store, "same words")
    hold(store, "same words", site="t")
    assert store.find_held("s", "same words") == (new, "pending")
    store.decide(new, "reject", "propaganda", "alice")
    assert store.find_held("s", "same words") in {(new, "rejected"), (old, "approved")}
    assert store.find_held("s", "other words") is None


def test_only_the_most_recent_window_is_scanned(store: Store) -> None:
    hold(store, "oldest")
    for n in range(MATCH_WINDOW):
        hold(store, f"filler {n}")
    assert store.find_held("s", "oldest") is None
    assert store.find_held("s", "filler 0") is not None
