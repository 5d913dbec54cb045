"""The webhook outbox on both databases: claims under a lease, SKIP LOCKED on PostgreSQL,
expired leases claimed again, attempts recorded, a failed delivery retried by hand."""

from __future__ import annotations

import time
from datetime import timedelta

import pytest
from sqlalchemy import text

from moderator.store import DeliveryNotFound, Outgoing, RetryRefused, Store
from moderator.store.times import utcnow
from moderator.store.webhooks import add_outgoing


def enqueue(store: Store, count: int, site: str = "news") -> list[str]:
    ids = []
    with store._tx() as session:
        for n in range(count):
            ids.append(add_outgoing(session, Outgoing(site, "comment.approved", None,
                                                      "https://news.example/hook",
                                                      f'{{"n":{n}}}', 3), utcnow()))
    return ids


def test_a_claim_takes_due_rows_once_and_in_order(store: Store) -> None:
    ids = enqueue(store, 4)
    first = store.claim_deliveries(3, 60)
    assert [j.id for j in first] == ids[:3]
    assert len({j.lease_token for j in first}) == 1
    second = store.claim_deliveries(3, 60)
    assert [j.id for j in second] == ids[3:]
    assert store.claim_deliveries(3, 60) == []
    assert store.delivery_counts("news")["sending"] == 4


def test_an_expired_lease_is_claimed_again_and_the_late_worker_changes_nothing(
        store: Store) -> None:
    [delivery] = enqueue(store, 1)
    [late] = store.claim_deliveries(1, 60)
    assert store.claim_deliveries(1, 60) == []
    [again] = store.claim_deliveries(1, 60, now=utcnow() + timedelta(seconds=61))
    assert again.id == delivery and again.lease_token != late.lease_token
    assert store.finish_attempt(late, 200, None, 5, None) == "sending"  # lease lost
    assert store.finish_attempt(again, 200, None, 5, None) == "delivered"
    record = store.delivery(delivery)
    assert record.status == "delivered"
    assert [a.number for a in record.history] == [1, 1]  # both tries are on record


def test_attempts_then_failed_then_retried_by_hand(store: Store) -> None:
    [delivery] = enqueue(store, 1)
    for n in range(3):
        [job] = store.claim_deliveries(1, 60, now=utcnow() + timedelta(hours=n))
        status = store.finish_attempt(job, 500, "HTTP 500", 3, utcnow() + timedelta(hours=n))
    assert status == "failed"
    assert store.claim_deliveries(1, 60, now=utcnow() + timedelta(days=1)) == []
    with pytest.raises(RetryRefused):
        store.retry_delivery("news", enqueue(store, 1)[0], 3)  # pending, not failed
    with pytest.raises(DeliveryNotFound):
        store.retry_delivery("other-site", delivery, 3)
    record = store.retry_delivery("news", delivery, 2)
    assert (record.status, record.attempts, record.max_attempts) == ("pending", 3, 5)
    assert delivery in [j.id for j in store.claim_deliveries(5, 60)]


def test_postgresql_claims_skip_rows_another_claimer_has_locked(store: Store,
                                                                database_url: str) -> None:
    if not database_url.startswith("postgresql"):
        pytest.skip("FOR UPDATE SKIP LOCKED is PostgreSQL's; SQLite serialises writers")
    ids = enqueue(store, 6)
    other = Store.open(database_url, b"k" * 32, migrate=False)
    try:
        with other.engine.connect() as conn, conn.begin():
            locked = conn.execute(text(
                "SELECT id FROM webhook_deliveries ORDER BY seq LIMIT 3 FOR UPDATE")).scalars()
            assert list(locked) == ids[:3]
            started = time.monotonic()
            claimed = store.claim_deliveries(6, 60)  # would wait out lock_timeout without SKIP
            waited = time.monotonic() - started
        assert [j.id for j in claimed] == ids[3:]
        assert waited < 2.0, "the claim waited on the locked rows"
        assert [j.id for j in store.claim_deliveries(6, 60)] == ids[:3]
    finally:
        other.close()
