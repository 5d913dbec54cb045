"""Page sessions on both databases: only the token's digest is kept; expiry and sign-out."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import text

from moderator.store import Store
from moderator.store.sessions import token_digest


def test_a_session_is_found_by_its_token_and_ends_at_sign_out(store: Store) -> None:
    token, record = store.start_session("alice", "0123456789abcdef", timedelta(hours=1))
    found = store.find_session(token)
    assert found is not None
    assert (found.moderator, found.key_fingerprint, found.csrf_token) == \
        ("alice", "0123456789abcdef", record.csrf_token)
    assert len(record.csrf_token) >= 32 and record.csrf_token != token
    with store.engine.connect() as conn:
        stored = conn.execute(text("SELECT token_hash FROM admin_sessions")).scalars().all()
    assert stored == [token_digest(token)] and token not in stored
    assert store.find_session(token[:-1] + ("A" if token[-1] != "A" else "B")) is None
    assert store.find_session("") is None and store.find_session("x" * 500) is None
    store.end_session(token)
    assert store.find_session(token) is None


def test_an_expired_session_is_refused_and_dropped_by_the_next_sign_in(store: Store) -> None:
    now = [datetime(2026, 12, 1, 12, 0, tzinfo=UTC)]
    store._clock = lambda: now[0]
    token, _ = store.start_session("alice", "f" * 16, timedelta(hours=12))
    now[0] += timedelta(hours=12, seconds=1)
    assert store.find_session(token) is None
    store.start_session("bob", "e" * 16, timedelta(hours=12))
    with store.engine.connect() as conn:
        names = conn.execute(text("SELECT moderator FROM admin_sessions")).scalars().all()
    assert names == ["bob"]
