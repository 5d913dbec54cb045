"""The queue and labels on both databases: hold, list, decide, label, purge, privacy."""

from __future__ import annotations

import multiprocessing
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import text

from moderator.store import AlreadyDecided, NotFound, QueueFull, Store, TooManyPending
from moderator.store.engine import schema_revisions
from moderator.store.testing import decide_many, migrate_once
from moderator.types import Action, Comment, Decision, Finding, Span, Verdict

EMAIL = "Reader.One@Example.KZ"
IP = "203.0.113.77"


def held(store: Store, text: str = "join us, brothers", site: str = "default",
         ip: str = IP) -> str:
    comment = Comment({"comment": text, "name": "Aigerim", "email": EMAIL}, site=site,
                      context={"ip": ip, "article_url": "https://news.example/a"})
    finding = Finding("suspect.word", "comment", Action.REVIEW, "Held.", Span(0, 4))
    verdict = Verdict(Decision.REVIEW, (finding,), {"propaganda": 0.7}, f"{site}@1", "m/v1",
                      "en")
    return store.hold(comment, verdict, "comment", ("email",))


def test_hold_then_list_oldest_first_with_findings_and_pages(store: Store) -> None:
    ids = [held(store, f"comment {i}") for i in range(5)]
    held(store, "elsewhere", site="other")
    page, cursor = store.queue("default", limit=2)
    assert [i.id for i in page] == ids[:2]
    assert page[0].to_dict()["findings"][0]["code"] == "suspect.word"
    assert page[0].to_dict()["text"] == "comment 0"
    page2, cursor2 = store.queue("default", limit=2, after=cursor or 0)
    page3, cursor3 = store.queue("default", limit=2, after=cursor2 or 0)
    assert [i.id for i in page2 + page3] == ids[2:]
    assert cursor3 is None
    assert len(store.queue(None, limit=50)[0]) == 6


def test_decision_records_who_what_when_and_becomes_a_label(store: Store) -> None:
    comment_id = held(store)
    item = store.decide(comment_id, "reject", "propaganda", "alice")
    assert (item.status, item.decision, item.label, item.decided_by) == \
        ("rejected", "reject", "propaganda", "alice")
    assert item.decided_at is not None
    assert store.queue("default")[0] == []
    assert [i.id for i in store.queue("default", status="rejected")[0]] == [comment_id]
    labels = list(store.labels())
    assert [(r.text, r.label, r.source, r.lang) for r in labels] == \
        [("join us, brothers", "propaganda", "moderator_queue", "en")]


def test_second_decision_conflicts_and_unknown_id_is_not_found(store: Store) -> None:
    comment_id = held(store)
    store.decide(comment_id, "approve", "other", "alice")
    with pytest.raises(AlreadyDecided):
        store.decide(comment_id, "reject", "propaganda", "bob")
    with pytest.raises(NotFound):
        store.decide("0" * 32, "approve", "other", "alice")
    assert store.count()["labels"] == 1


def test_emails_and_ips_are_never_stored_in_clear(store: Store) -> None:
    held(store)
    with store.engine.connect() as conn:
        dump = repr(conn.execute(text("SELECT * FROM held_comments")).all())
    assert EMAIL.lower() not in dump.lower()
    assert IP not in dump
    assert dump.count("Aigerim") == 1  # the other text fields stay until the purge


def test_retention_purges_decided_text_but_keeps_decisions_labels_and_pending(
        store: Store) -> None:
    old, unread = held(store, "old text"), held(store, "unread text")
    store.decide(old, "reject", "propaganda", "alice")
    later = datetime.now(UTC) + timedelta(days=31, seconds=-5)
    assert store.purge(days=30, now=later) == 1  # the pending comment nobody read stays
    item = store.get(old)
    assert item.fields is None and item.to_dict()["text"] is None
    assert item.decision == "reject"
    assert [r.text for r in store.labels()] == ["old text"]
    assert store.purge(days=30, now=later) == 0
    with store.engine.connect() as conn:
        dump = repr(conn.execute(text("SELECT * FROM held_comments")).all())
    assert "old text" not in dump and "unread text" in dump
    assert store.get(unread).status == "pending"
    assert store.get(unread).to_dict()["text"] == "unread text"


def test_retention_counts_from_the_decision_not_the_comment(store: Store) -> None:
    comment_id = held(store, "decided late")
    store.decide(comment_id, "approve", "other", "alice")
    assert store.purge(days=30, now=datetime.now(UTC) + timedelta(days=29)) == 0
    assert store.purge(days=30, now=datetime.now(UTC) + timedelta(days=31)) == 1


def test_retention_is_on_by_default() -> None:
    from moderator.http.config import load
    from moderator.store import DEFAULT_RETENTION_DAYS

    assert load({})["RETENTION_DAYS"] == DEFAULT_RETENTION_DAYS == 90


def test_one_address_cannot_take_the_whole_queue(database_url: str) -> None:
    store = Store.open(database_url, b"k" * 32, max_pending_per_ip=2)
    try:
        first = held(store, "one")
        held(store, "two")
        with pytest.raises(TooManyPending):
            held(store, "three")
        held(store, "from elsewhere", ip="198.51.100.9")  # another address still gets in
        held(store, "another site", site="other")  # and the same address on another site
        store.decide(first, "reject", "propaganda", "alice")
        held(store, "three, later")
        assert store.count()["held_pending"] == 4
    finally:
        store.close()


def test_the_pending_queue_of_a_site_is_capped(database_url: str) -> None:
    store = Store.open(database_url, b"k" * 32, max_pending=3)
    try:
        ids = [held(store, f"comment {i}") for i in range(3)]
        with pytest.raises(QueueFull):
            held(store, "one too many")
        store.decide(ids[0], "approve", "other", "alice")  # a moderator read one: room again
        held(store, "now it fits")
        assert store.count()["held_pending"] == 3
    finally:
        store.close()


def test_labels_from_elsewhere(store: Store) -> None:
    store.add_label("Сегодня в городе открыли парк", "other", "ru", "bob")
    store.add_label("no language given", "discusses", None, "bob")
    assert [(r.label, r.source, r.lang) for r in store.labels()] == \
        [("other", "moderator_api", "ru"), ("discusses", "moderator_api", "und")]


def test_four_processes_deciding_concurrently_lose_nothing(store: Store,
                                                           database_url: str) -> None:
    """4 workers race over the same 120 comments: each is decided exactly once."""
    ids = [held(store, f"race {i}") for i in range(120)]
    ctx = multiprocessing.get_context("spawn")
    with ctx.Pool(4) as pool:
        # Every worker walks all ids, each from a different starting point.
        jobs = [ids[k * 30:] + ids[:k * 30] for k in range(4)]
        wins = pool.starmap(decide_many, [(database_url, job, f"mod{k}")
                                          for k, job in enumerate(jobs)])
    assert sum(wins) == 120
    counts = store.count()
    assert counts.get("held_pending", 0) == 0
    assert counts["held_approved"] + counts["held_rejected"] == 120
    assert counts["labels"] == 120


def test_migrations_race_at_start_up(database_url: str) -> None:
    """Four processes opening a fresh database at once: all succeed, schema at head once."""
    ctx = multiprocessing.get_context("spawn")
    with ctx.Pool(4) as pool:
        pool.map(migrate_once, [database_url] * 4)
    store = Store.open(database_url, b"k" * 32)
    head = schema_revisions(store.engine)[1]
    with store.engine.connect() as conn:
        assert conn.execute(text("SELECT version_num FROM alembic_version")).all() == [(head,)]
    store.close()
