"""Two workers sending from one outbox at once never send the same delivery twice."""

from __future__ import annotations

import json
import threading
from collections import Counter
from collections.abc import Callable

from moderator.service import Moderator
from moderator.store import Store
from moderator.webhooks import WebhookDispatcher
from tests.webhooks.conftest import SECRET, SITE, hold
from tests.webhooks.receiver import Receiver

COMMENTS = 30


def worker(own: Store, service: Moderator) -> WebhookDispatcher:
    """A dispatcher on a store of its own, as another gunicorn worker has."""
    return WebhookDispatcher(lambda: own, lambda: service.policies, {SITE: (SECRET,)})


def test_two_claimers_send_each_delivery_exactly_once(
        store: Store, stores: Callable[[], Store], site: Callable[..., Moderator]) -> None:
    with Receiver() as receiver:
        service = site(receiver.url, store)
        for _ in range(COMMENTS):
            service.decide(hold(store), "approve", "other", "alice")
        workers = [worker(stores(), service) for _ in range(2)]
        barrier = threading.Barrier(len(workers))
        sent: list[int] = []

        def run(worker: WebhookDispatcher) -> None:
            barrier.wait()
            sent.append(worker.deliver_due())

        threads = [threading.Thread(target=run, args=(w,)) for w in workers]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(60)
        requests = receiver.wait_for(COMMENTS)
    ids = Counter(r.headers["X-Moderator-Delivery"] for r in requests)
    assert len(receiver.received) == COMMENTS
    assert max(ids.values()) == 1
    assert sum(sent) == COMMENTS
    assert len({json.loads(r.body)["comment_id"] for r in requests}) == COMMENTS
    assert store.delivery_counts(SITE)["delivered"] == COMMENTS
