"""Engine settings: a held lock makes waiters give up in seconds, well before a worker dies."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest
from flask import Flask
from sqlalchemy import text

from moderator.store import Store
from moderator.store.engine import DEFAULT_TIMEOUT_SECONDS

REPO = Path(__file__).resolve().parents[2]
#: gunicorn's worker timeout under `moderator serve` and api/gunicorn.conf.py.
WORKER_TIMEOUT_SECONDS = 30


def test_lock_waits_end_well_before_the_worker_timeout(store: Store) -> None:
    assert DEFAULT_TIMEOUT_SECONDS <= WORKER_TIMEOUT_SECONDS / 4
    with store.engine.connect() as conn:
        if conn.dialect.name == "sqlite":
            waited_ms = conn.execute(text("PRAGMA busy_timeout")).scalar()
        else:
            waited_ms = conn.execute(text(
                "SELECT setting::int FROM pg_settings WHERE name = 'lock_timeout'")).scalar()
    assert waited_ms == DEFAULT_TIMEOUT_SECONDS * 1000


def test_a_held_sqlite_lock_gives_503_with_retry_after(tmp_path: Path) -> None:
    from moderator.http import create_app

    db = tmp_path / "store.sqlite3"
    app: Flask = create_app({"POLICY_DIR": str(REPO / "tests" / "fixtures" / "policies"),
                             "MODELS_DIR": str(tmp_path), "DATABASE_URL": f"sqlite:///{db}",
                             "STORE_TIMEOUT_SECONDS": 0.2})
    holder = sqlite3.connect(db, isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")  # another process holding the write lock
    try:
        response = app.test_client().post("/v1/check", json={
            "site": "strict", "fields": {"comment": "a martyr", "name": "Ann"}})
    finally:
        holder.execute("ROLLBACK")
        holder.close()
        app.extensions["moderator"].store.close()
    assert response.status_code == 503 and response.headers["Retry-After"] == "5"


def test_reads_go_on_while_another_process_writes_but_writes_wait(tmp_path: Path) -> None:
    """Under WAL a read takes no write lock: the queue, counts and health stay readable
    while another process holds the lock (and nothing a read does queues its writers)."""
    from sqlalchemy.exc import OperationalError

    from moderator.types import Comment, Decision, Verdict

    db = tmp_path / "store.sqlite3"
    store = Store.open(f"sqlite:///{db}", b"k" * 32, timeout=0.2)
    review = Verdict(Decision.REVIEW, (), {}, "default@1", None, "en")
    comment_id = store.hold(Comment({"comment": "first"}, site="default"), review, "comment")
    holder = sqlite3.connect(db, isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")  # another process writing
    try:
        assert store.get(comment_id).text == "first"
        assert [i.id for i in store.queue("default")[0]] == [comment_id]
        assert store.pending("default") == 1 and store.count()["held_pending"] == 1
        assert store.problem() is None
        with pytest.raises(OperationalError):  # a write still waits for the lock
            store.hold(Comment({"comment": "second"}, site="default"), review, "comment")
    finally:
        holder.execute("ROLLBACK")
        holder.close()
        store.close()
