"""The page's side of the store on both databases: kept rejections, filtered queues,
counts, a commenter's history, undo, the audit log, dashboard rows, the 0004 backfill."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import text

from moderator.store import NotFound, QueueFilter, Store, UndoRefused, upgrade
from moderator.store.privacy import keyed_hash
from moderator.types import Action, Comment, Decision, Finding, Span, Verdict
from tests.store.conftest import KEY

EMAIL = "Reader.One@Example.KZ"


def comment(body: str = "join us, brothers", *, site: str = "default",
            email: str = EMAIL, article: str | None = "https://news.example/a",
            title: str | None = "Elections") -> Comment:
    context = {k: v for k, v in (("article_url", article), ("article_title", title)) if v}
    return Comment({"comment": body, "name": "Aigerim", "email": email}, site=site,
                   context=context)


def verdict(decision: Decision = Decision.REVIEW, codes: tuple[str, ...] = ("suspect.word",),
            score: float | None = 0.7, language: str = "en") -> Verdict:
    action = Action.REJECT if decision is Decision.REJECT else Action.REVIEW
    findings = tuple(Finding(c, "comment", action, "Why.", Span(0, 4)) for c in codes)
    scores = {} if score is None else {"propaganda": score}
    return Verdict(decision, findings, scores, "default@1", "m/v1", language)


def hold(store: Store, body: str = "join us, brothers", **kwargs: object) -> str:
    v = kwargs.pop("verdict", None) or verdict()
    return store.hold(comment(body, **kwargs), v, "comment", ("email",))  # type: ignore[arg-type]


def reject(store: Store, body: str = "banned words", **kwargs: object) -> str:
    kept = store.keep_rejected(comment(body, **kwargs),  # type: ignore[arg-type]
                               verdict(Decision.REJECT, ("banned.word",), 0.99),
                               "comment", ("email",))
    assert kept is not None
    return kept


def test_a_rejected_comment_is_kept_with_its_article_and_can_be_reversed(store: Store) -> None:
    comment_id = reject(store, "a wrong rejection")
    [item], _ = store.search(("auto_rejected",))
    assert (item.id, item.status, item.verdict, item.text) == \
        (comment_id, "auto_rejected", "reject", "a wrong rejection")
    assert (item.article_url, item.article_title) == ("https://news.example/a", "Elections")
    assert item.commenter_hash == keyed_hash(KEY, "email", EMAIL)
    assert "email" not in (item.fields or {})
    assert store.pending("default") == 0  # the pending cap does not count rejections

    item = store.decide(comment_id, "approve", "other", "alice")
    assert item.status == "approved"
    [entry] = store.audit()
    assert (entry.action, entry.moderator, entry.overrode, entry.codes) == \
        ("approve", "alice", "checker:reject", ("banned.word",))


def test_kept_rejections_are_capped_per_site_dropping_the_oldest(store: Store) -> None:
    store.max_rejected = 3
    ids = [reject(store, f"rejected {i}") for i in range(5)]
    other = reject(store, "other site", site="other")
    kept, _ = store.search(("auto_rejected",), QueueFilter(site="default"))
    assert [i.id for i in kept] == ids[2:]
    assert [i.id for i in store.search(("auto_rejected",), QueueFilter(site="other"))[0]] == \
        [other]
    store.max_rejected = None
    assert store.keep_rejected(comment("x"), verdict(Decision.REJECT), "comment") is None


def test_filters_by_site_article_language_code_and_score(store: Store) -> None:
    a = hold(store, "a", verdict=verdict(codes=("banned.phrase", "incitement.violence"),
                                         score=0.9))
    b = hold(store, "b", article="https://news.example/b",
             verdict=verdict(codes=("personal_data.phone",), score=0.1, language="ru"))
    c = hold(store, "c", site="other", verdict=verdict(codes=("links.too_many",), score=None))
    pending = ("pending",)

    def ids(**where: object) -> list[str]:
        return [i.id for i in store.search(pending, QueueFilter(**where))[0]]  # type: ignore[arg-type]

    assert ids() == [a, b, c]
    assert ids(site="other") == [c]
    assert ids(article="https://news.example/b") == [b]
    assert ids(language="ru") == [b]
    assert ids(code="incitement.violence") == [a]
    assert ids(code="banned") == [a]  # a family
    assert ids(code="incitement.viol") == []  # not a prefix of a code
    assert ids(code="personal_data.phone") == [b]
    assert ids(code="personal%") == []  # LIKE wildcards are literal
    assert ids(min_score=0.5) == [a]
    assert ids(max_score=0.5) == [b]
    assert ids(min_score=0.05, max_score=0.95) == [a, b]


def test_newest_first_pages_and_counts_per_queue(store: Store) -> None:
    ids = [hold(store, f"c{i}") for i in range(5)]
    reject(store)
    store.decide(ids[0], "approve", "other", "alice")
    page, cursor = store.search(("pending",), newest_first=True, limit=2)
    assert [i.id for i in page] == [ids[4], ids[3]]
    page2, _ = store.search(("pending",), newest_first=True, limit=2, cursor=cursor)
    assert [i.id for i in page2] == [ids[2], ids[1]]
    assert store.queue_counts() == {"pending": 4, "rejected_by_rules": 1, "decided": 1}
    assert store.queue_counts(QueueFilter(site="other")) == \
        {"pending": 0, "rejected_by_rules": 0, "decided": 0}


def test_history_counts_one_commenter_on_one_site_by_keyed_hash(store: Store) -> None:
    first = hold(store, "one")
    hold(store, "two")
    reject(store, "three")
    hold(store, "someone else", email="other@example.org")
    hold(store, "elsewhere", site="other")
    store.decide(first, "reject", "propaganda", "alice")
    [item], _ = store.search(("rejected",))
    assert store.history("default", item.commenter_hash) == \
        {"rejected": 1, "pending": 1, "auto_rejected": 1}
    assert store.history("default", None) == {}


def test_statuses_say_who_decided(store: Store) -> None:
    a, b = hold(store, "a"), hold(store, "b")
    store.decide(a, "approve", "other", "bob")
    found = store.statuses([a, b, "0" * 32])
    assert found[a][:2] == ("approved", "bob") and found[a][2].endswith("Z")
    assert found[b] == ("pending", None, None)
    assert "0" * 32 not in found


def test_undo_within_the_window_restores_the_queue_and_drops_the_label(store: Store) -> None:
    held_id, rejected_id = hold(store), reject(store)
    store.decide(held_id, "reject", "propaganda", "alice", reason="propaganda", note="No.")
    store.decide(rejected_id, "approve", "other", "alice")
    assert len(list(store.labels())) == 2
    assert store.undo(held_id, "alice", 30).status == "pending"
    back = store.undo(rejected_id, "alice", 30)
    assert (back.status, back.decided_by, back.label, back.reason) == \
        ("auto_rejected", None, None, None)
    assert list(store.labels()) == []
    actions = [(e.action, e.overrode) for e in reversed(store.audit())]
    assert actions == [("reject", "checker:review"), ("approve", "checker:reject"),
                       ("undo", "reject by alice"), ("undo", "approve by alice")]
    assert store.decide(held_id, "approve", "other", "bob").decided_by == "bob"


def test_undo_is_refused_for_others_after_the_window_and_when_undecided(store: Store) -> None:
    now = [datetime(2026, 12, 1, 12, 0, tzinfo=UTC)]
    store._clock = lambda: now[0]
    comment_id = hold(store)
    with pytest.raises(UndoRefused) as undecided:
        store.undo(comment_id, "alice", 30)
    assert undecided.value.why == "not_decided"
    store.decide(comment_id, "approve", "other", "alice")
    with pytest.raises(UndoRefused) as others:
        store.undo(comment_id, "bob", 30)
    assert others.value.why == "not_yours"
    now[0] += timedelta(seconds=31)
    with pytest.raises(UndoRefused) as late:
        store.undo(comment_id, "alice", 30)
    assert late.value.why == "expired"
    with pytest.raises(NotFound):
        store.undo("f" * 32, "alice", 30)
    assert store.get(comment_id).status == "approved"


def test_audit_pages_newest_first_and_exports_oldest_first(store: Store) -> None:
    ids = [hold(store, f"c{i}") for i in range(5)]
    for i, comment_id in enumerate(ids):
        store.decide(comment_id, "approve" if i % 2 else "reject", "other", "alice",
                     reason=None if i % 2 else "spam")
    newest = store.audit(limit=2)
    assert [e.comment_id for e in newest] == [ids[4], ids[3]]
    older = store.audit(limit=10, before=newest[-1].id)
    assert [e.comment_id for e in older] == [ids[2], ids[1], ids[0]]
    exported = list(store.iter_audit(batch=2))
    assert [e.comment_id for e in exported] == ids
    assert exported[0].reason == "spam" and exported[0].to_dict()["at"].endswith("Z")
    assert list(store.iter_audit("other")) == []


def test_dashboard_rows_leave_text_and_commenter_out(store: Store) -> None:
    a = hold(store, verdict=verdict(score=0.9))
    reject(store)
    store.decide(a, "approve", "discusses", "alice")
    rows = store.dashboard_rows(datetime.now(UTC) - timedelta(days=1))
    assert sorted((r.status, r.verdict, r.label) for r in rows) == \
        [("approved", "review", "discusses"), ("auto_rejected", "reject", None)]
    assert all(not hasattr(r, "text") and not hasattr(r, "commenter_hash") for r in rows)
    assert store.dashboard_rows(datetime.now(UTC) + timedelta(days=1)) == []


def test_the_purge_drops_text_of_old_kept_rejections(store: Store) -> None:
    old = reject(store, "old rejection")
    now = datetime.now(UTC) + timedelta(days=100)
    assert store.purge(90, now=now) == 1
    assert store.get(old).text is None


def test_known_codes_and_articles_feed_the_filters(store: Store) -> None:
    hold(store, verdict=verdict(codes=("suspect.word", "links.too_many")))
    hold(store, article="https://news.example/b", title=None)
    reject(store)
    assert store.known_codes() == ["banned.word", "links.too_many", "suspect.word"]
    assert sorted(store.articles()) == [("https://news.example/a", "Elections"),
                                        ("https://news.example/b", None)]


def test_migration_0004_fills_codes_score_and_commenter_of_older_rows(
        database_url: str) -> None:
    store = Store.open(database_url, KEY, migrate=False)
    try:
        upgrade(store.engine, "0003")
        with store.engine.begin() as conn:
            conn.execute(text(
                "INSERT INTO held_comments (id, site, status, created_at, text_field, fields,"
                " email_hashes, findings, scores, policy) VALUES ('a', 'default', 'pending',"
                " :at, 'comment', '{\"comment\": \"old\"}', '{\"email\": \"h1\"}',"
                " '[{\"code\": \"banned.word\"}, {\"code\": \"suspect.word\"}]',"
                " '{\"propaganda\": 0.42}', 'default@1')"), {"at": datetime.now(UTC)})
        upgrade(store.engine)
        item = store.get("a")
        assert (item.verdict, item.score, item.commenter_hash) == ("review", 0.42, "h1")
        assert [i.id for i in store.search(("pending",), QueueFilter(code="banned"))[0]] == \
            ["a"]
    finally:
        store.close()


def test_keeping_a_rejection_is_best_effort(store: Store, monkeypatch: pytest.MonkeyPatch
                                            ) -> None:
    from sqlalchemy.exc import OperationalError

    from moderator.store import moderation

    def broken(*_args: object) -> None:
        raise OperationalError("DELETE", {}, Exception("disk I/O error"))

    monkeypatch.setattr(moderation, "_trim_rejected", broken)
    assert store.keep_rejected(comment("x"), verdict(Decision.REJECT), "comment") is None
    assert store.count().get("held_auto_rejected", 0) == 0  # the insert was rolled back
