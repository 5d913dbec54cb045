"""Deliveries to a real receiver on 127.0.0.1, from a real store (SQLite and PostgreSQL):
signatures, retries with back-off, giving up, a receiver down or slow, undo, and the
outbox written in the decision's own transaction."""

from __future__ import annotations

import json
from collections.abc import Callable

import pytest
from sqlalchemy.exc import SQLAlchemyError

from moderator.service import Moderator
from moderator.store import AlreadyDecided, NotFound, Outgoing, Store
from moderator.webhooks import WebhookDispatcher, signing
from moderator.webhooks.dispatcher import NO_SECRET
from tests.webhooks.conftest import EMAIL, NAME, SECRET, SITE, TEXT, Clock, hold
from tests.webhooks.receiver import Receiver, closed_port_url

Site = Callable[..., Moderator]
Dispatcher = Callable[..., WebhookDispatcher]


def only_delivery(store: Store) -> dict[str, object]:
    [record], _ = store.deliveries(SITE)
    return record.to_dict()


def test_an_approval_is_delivered_signed_and_names_the_comment(
        store: Store, site: Site, dispatcher: Dispatcher) -> None:
    with Receiver() as receiver:
        service = site(receiver.url, store)
        comment_id = hold(store)
        service.decide(comment_id, "approve", "other", "alice")
        assert dispatcher(service).deliver_due() == 1
        [request] = receiver.wait_for(1)
    header = request.headers["X-Moderator-Signature"]
    assert signing.verify(SECRET, header, request.body)
    assert not signing.verify(b"another-secret-0123456789", header, request.body)
    assert not signing.verify(SECRET, header, request.body.replace(b"alice", b"mallory"))
    body = json.loads(request.body)
    assert request.headers["X-Moderator-Event"] == body["event"] == "comment.approved"
    assert request.headers["X-Moderator-Delivery"] == body["delivery"]
    assert request.headers["Content-Type"] == "application/json"
    assert (body["comment_id"], body["site"], body["decision"], body["status"],
            body["label"], body["moderator"]) == \
        (comment_id, SITE, "approve", "approved", "other", "alice")
    assert body["decided_at"].endswith("Z")
    for private in (TEXT, NAME, EMAIL, "+7 701"):
        assert private.encode() not in request.body
    delivery = only_delivery(store)
    assert (delivery["status"], delivery["attempts"], delivery["last_status_code"]) == \
        ("delivered", 1, 200)


def test_a_rejection_carries_its_reason_and_note(store: Store, site: Site,
                                                 dispatcher: Dispatcher) -> None:
    with Receiver() as receiver:
        service = site(receiver.url, store)
        service.decide(hold(store), "reject", "propaganda", "bob", reason="incitement",
                       note="Calls to violence are not allowed.")
        dispatcher(service).deliver_due()
        [request] = receiver.wait_for(1)
    body = json.loads(request.body)
    assert (body["event"], body["decision"], body["reason"], body["note"]) == \
        ("comment.rejected", "reject", "incitement", "Calls to violence are not allowed.")


def test_a_500_is_retried_after_the_back_off_then_delivered(
        store: Store, site: Site, dispatcher: Dispatcher, clock: Clock) -> None:
    with Receiver(answers=[500]) as receiver:
        service = site(receiver.url, store)
        service.decide(hold(store), "approve", "other", "alice")
        sender = dispatcher(service)
        assert sender.deliver_due() == 1
        first = only_delivery(store)
        assert (first["status"], first["attempts"], first["last_status_code"],
                first["last_error"]) == ("pending", 1, 500, "HTTP 500")
        clock.advance(9)  # the first back-off is 10 s (no jitter in this test)
        assert sender.deliver_due() == 0
        clock.advance(2)
        assert sender.deliver_due() == 1
        requests = receiver.wait_for(2)
    assert len({r.headers["X-Moderator-Delivery"] for r in requests}) == 1
    final = only_delivery(store)
    assert (final["status"], final["attempts"]) == ("delivered", 2)
    assert [a["status_code"] for a in final["history"]] == [500, 200]  # type: ignore[union-attr]


def test_it_gives_up_after_max_attempts(store: Store, site: Site, dispatcher: Dispatcher,
                                        clock: Clock) -> None:
    with Receiver(default=503) as receiver:
        service = site(receiver.url, store, max_attempts=3)
        service.decide(hold(store), "approve", "other", "alice")
        sender = dispatcher(service)
        for _ in range(5):
            sender.deliver_due()
            clock.advance(3600)
        assert len(receiver.received) == 3
    delivery = only_delivery(store)
    assert (delivery["status"], delivery["attempts"], delivery["next_attempt_at"]) == \
        ("failed", 3, None)
    assert [a["error"] for a in delivery["history"]] == ["HTTP 503"] * 3  # type: ignore[union-attr]


def test_back_off_doubles_with_jitter_and_a_cap() -> None:
    from moderator.webhooks.dispatcher import backoff

    assert [backoff(n, 10, 3600, lambda: 1.0) for n in (1, 2, 3, 4)] == [10, 20, 40, 80]
    assert backoff(1, 10, 3600, lambda: 0.0) == 5
    assert backoff(30, 10, 3600, lambda: 1.0) == 3600


def test_a_receiver_that_is_down_is_an_error_and_a_retry(store: Store, site: Site,
                                                         dispatcher: Dispatcher) -> None:
    service = site(closed_port_url(), store)
    service.decide(hold(store), "approve", "other", "alice")
    assert dispatcher(service).deliver_due() == 1
    delivery = only_delivery(store)
    assert (delivery["status"], delivery["last_status_code"], delivery["last_error"]) == \
        ("pending", None, "connection refused")


def test_a_receiver_slower_than_the_timeout_is_a_timeout(store: Store, site: Site,
                                                         dispatcher: Dispatcher) -> None:
    with Receiver(delay=2.0) as receiver:
        service = site(receiver.url, store, timeout_seconds=0.3)
        service.decide(hold(store), "approve", "other", "alice")
        dispatcher(service).deliver_due()
    delivery = only_delivery(store)
    assert (delivery["status"], delivery["last_error"]) == ("pending", "timeout")


def test_without_a_secret_nothing_is_sent_and_the_try_says_why(
        store: Store, site: Site, dispatcher: Dispatcher) -> None:
    with Receiver() as receiver:
        service = site(receiver.url, store)
        service.decide(hold(store), "approve", "other", "alice")
        dispatcher(service, secrets={}).deliver_due()
        assert receiver.received == []
    assert only_delivery(store)["last_error"] == NO_SECRET


def test_undo_sends_comment_undone(store: Store, site: Site, dispatcher: Dispatcher) -> None:
    with Receiver() as receiver:
        service = site(receiver.url, store)
        comment_id = hold(store)
        service.decide(comment_id, "approve", "other", "alice")
        service.undo(comment_id, "alice", 60)
        assert dispatcher(service).deliver_due() == 2
        first, second = receiver.wait_for(2)
    undone = json.loads(second.body)
    assert json.loads(first.body)["event"] == "comment.approved"
    assert (undone["event"], undone["comment_id"], undone["decision"], undone["status"],
            undone["undone"], undone["moderator"]) == \
        ("comment.undone", comment_id, None, "pending", "approve", "alice")
    assert signing.verify(SECRET, second.headers["X-Moderator-Signature"], second.body)


def test_only_the_events_the_policy_names_are_written(store: Store, site: Site) -> None:
    service = site("https://news.example/hook", store, events=["comment.rejected"])
    service.decide(hold(store), "approve", "other", "alice")
    assert store.deliveries(SITE)[0] == []
    service.decide(hold(store), "reject", "other", "alice", reason="spam")
    assert [r.event for r in store.deliveries(SITE)[0]] == ["comment.rejected"]


def test_a_disabled_webhook_writes_nothing(store: Store, site: Site) -> None:
    service = site("https://news.example/hook", store, enabled=False)
    service.decide(hold(store), "approve", "other", "alice")
    assert store.deliveries(SITE)[0] == []


# -- the outbox and the decision are one transaction -----------------------------------------


def test_a_refused_decision_leaves_no_delivery(store: Store, site: Site) -> None:
    service = site("https://news.example/hook", store)
    comment_id = hold(store)
    service.decide(comment_id, "approve", "other", "alice")
    with pytest.raises(AlreadyDecided):
        service.decide(comment_id, "reject", "other", "bob", reason="spam")
    with pytest.raises(NotFound):
        service.decide("0" * 32, "approve", "other", "alice")
    assert [r.event for r in store.deliveries(SITE)[0]] == ["comment.approved"]


def test_a_delivery_that_cannot_be_written_undoes_the_decision(store: Store) -> None:
    """The outbox insert fails inside the decision's transaction (a NULL body breaks the
    table's NOT NULL): the decision, its label and its audit row are rolled back too."""
    comment_id = hold(store)

    def broken(item: object) -> Outgoing:
        return Outgoing(SITE, "comment.approved", comment_id, "https://news.example/hook",
                        None, 3)  # type: ignore[arg-type]

    with pytest.raises(SQLAlchemyError):
        store.decide(comment_id, "approve", "other", "alice", notify=broken)
    assert store.get(comment_id).status == "pending"
    assert store.audit() == []
    assert store.count()["labels"] == 0
    assert store.deliveries(SITE)[0] == []
    store.decide(comment_id, "approve", "other", "alice")  # and it can still be decided


def test_a_failing_message_builder_records_no_decision(store: Store) -> None:
    comment_id = hold(store)

    def boom(item: object) -> Outgoing:
        raise RuntimeError("no message")

    with pytest.raises(RuntimeError):
        store.decide(comment_id, "approve", "other", "alice", notify=boom)
    assert store.get(comment_id).status == "pending"
    assert store.deliveries(SITE)[0] == []
