"""Labels' review life on both databases: list, flag, confirm, delete, retrain runs, migration."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import text

from moderator.store import LabelNotFound, Store, make_engine, upgrade
from moderator.types import Action, Comment, Decision, Finding, Span, Verdict


def decided_label(store: Store, text_: str, site: str, label: str = "propaganda") -> None:
    comment = Comment({"comment": text_, "name": "Aigerim"}, site=site)
    finding = Finding("suspect.word", "comment", Action.REVIEW, "Held.", Span(0, 4))
    verdict = Verdict(Decision.REVIEW, (finding,), {}, f"{site}@1", None, "en")
    comment_id = store.hold(comment, verdict, "comment")
    store.decide(comment_id, "reject", label, "alice")


def test_labels_list_by_site_and_status_in_pages(store: Store) -> None:
    decided_label(store, "first", "news")
    decided_label(store, "second", "sport")
    api_id = store.add_label("third", "other", "en", "bob")
    decided_label(store, "fourth", "news")
    records, cursor = store.list_labels(limit=2)
    assert [r.text for r in records] == ["first", "second"] and cursor is not None
    rest, end = store.list_labels(limit=2, after=cursor)
    assert [r.text for r in rest] == ["third", "fourth"] and end is None
    news = store.list_labels(site="news")[0]
    assert [(r.text, r.origin, r.site) for r in news] == \
        [("first", "queue", "news"), ("fourth", "queue", "news")]
    assert store.get_label(api_id).site is None
    assert store.list_labels(status="flagged") == ([], None)
    as_dict = news[0].to_dict()
    assert as_dict["status"] == "active" and as_dict["created_at"].endswith("Z")


def test_flagged_labels_leave_training_until_confirmed(store: Store) -> None:
    ids = [store.add_label(f"text {i}", "other", "en", "bob") for i in range(3)]
    assert store.flag_labels({ids[0]: 0.97, ids[1]: 0.91}) == 2
    assert [r.id for r in store.labels()] == [ids[2]]
    flagged = store.list_labels(status="flagged")[0]
    assert [(r.id, r.flag_score) for r in flagged] == [(ids[0], 0.97), (ids[1], 0.91)]
    assert flagged[0].flagged_at is not None
    confirmed = store.confirm_label(ids[0], "carol")
    assert (confirmed.status, confirmed.confirmed_by) == ("confirmed", "carol")
    assert confirmed.confirmed_at is not None
    assert store.flag_labels({ids[0]: 0.99}) == 0  # a human had the second look
    assert [r.id for r in store.labels()] == [ids[0], ids[2]]
    assert [r.id for r in store.labels(("flagged",))] == [ids[1]]
    assert store.label_counts() == {"active": 1, "confirmed": 1, "flagged": 1}


def test_delete_label_and_unknown_ids(store: Store) -> None:
    label_id = store.add_label("to delete", "other", None, "bob")
    store.delete_label(label_id)
    assert list(store.labels()) == []
    with pytest.raises(LabelNotFound):
        store.delete_label(label_id)
    with pytest.raises(LabelNotFound):
        store.confirm_label(label_id, "bob")
    with pytest.raises(LabelNotFound):
        store.get_label(10**9)


def test_retrain_runs_rotate_the_held_back_fold(store: Store) -> None:
    folds = []
    for _ in range(6):
        run_id, fold = store.start_retrain_run(5)
        store.finish_retrain_run(run_id, "propaganda/x", "refuse")
        folds.append(fold)
    assert folds == [0, 1, 2, 3, 4, 0]
    store.start_retrain_run(5)  # crashed: never finished
    assert store.start_retrain_run(5)[1] == 1  # its fold comes round again


def test_migration_gives_queue_labels_their_comments_site(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'old.sqlite3'}"
    engine = make_engine(url)
    upgrade(engine, "0002")
    with engine.begin() as conn:
        conn.execute(text(
            "INSERT INTO held_comments (id, site, status, created_at, text_field, fields, "
            "email_hashes, findings, scores, policy) VALUES ('c1', 'news', 'rejected', "
            "'2026-01-01', 'comment', '{}', '{}', '[]', '{}', 'p')"))
        conn.execute(text(
            "INSERT INTO labels (text, label, lang, origin, comment_id, created_by, created_at) "
            "VALUES ('t', 'other', 'en', 'queue', 'c1', 'a', '2026-01-01'), "
            "('u', 'other', 'en', 'api', NULL, 'a', '2026-01-01')"))
    upgrade(engine)
    with engine.connect() as conn:
        rows = conn.execute(text("SELECT site, status FROM labels ORDER BY id")).all()
    assert rows == [("news", "active"), (None, "active")]
    engine.dispose()
