"""The delivery worker: a thread in each server process that sends what the outbox holds.

Each gunicorn worker runs one (started when the app is built, in the worker, never in
the master); they share the outbox through claims with a lease (`moderator.store.webhooks`),
so a delivery is sent by one of them at a time. A decision wakes its process's thread at
once; otherwise it looks every `poll_seconds` with a read (no write transaction while
nothing is due). Failures are retried with exponential back-off and jitter until the
delivery's `max_attempts`, then it is `failed` (an admin can retry it by hand).
"""

from __future__ import annotations

import logging
import os
import random
import threading
from collections.abc import Callable, Mapping
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from moderator.policy.webhook import DEFAULT_TIMEOUT_SECONDS, MAX_TIMEOUT_SECONDS
from moderator.store.times import utcnow
from moderator.webhooks import sender, signing
from moderator.webhooks.messages import webhook_of

if TYPE_CHECKING:
    from moderator.policy.loader import PolicySet
    from moderator.store import DeliveryJob, Outgoing, Store

log = logging.getLogger(__name__)

BATCH = 5
POLL_SECONDS = 2.0
BACKOFF_BASE_SECONDS = 10.0
BACKOFF_CAP_SECONDS = 3600.0
NO_SECRET = "no signing secret for this site (MODERATOR_WEBHOOK_SECRETS)"


def backoff(attempt: int, base: float, cap: float, rng: Callable[[], float]) -> float:
    """Seconds before try `attempt + 1`: base * 2^(attempt-1), capped, times 0.5-1.0
    ("equal jitter": never sooner than half the step, so a dead receiver is not hammered,
    and retries from many deliveries spread out instead of arriving together)."""
    step = min(cap, base * 2 ** max(0, attempt - 1))
    return step * (0.5 + rng() / 2)


class WebhookDispatcher:
    """Sends due deliveries, signed with each site's secret."""

    def __init__(self, store_of: Callable[[], Store | None],
                 policies_of: Callable[[], PolicySet],
                 secrets: Mapping[str, tuple[bytes, ...]], *,
                 backoff_base: float = BACKOFF_BASE_SECONDS,
                 backoff_cap: float = BACKOFF_CAP_SECONDS,
                 poll_seconds: float = POLL_SECONDS,
                 clock: Callable[[], datetime] = utcnow,
                 rng: Callable[[], float] = random.random) -> None:
        self._store_of = store_of
        self._policies_of = policies_of
        self.secrets = dict(secrets)
        self.backoff_base = backoff_base
        self.backoff_cap = backoff_cap
        self.poll_seconds = poll_seconds
        self._clock = clock
        self._rng = rng
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._pid: int | None = None
        self._lock = threading.Lock()

    # -- sending -----------------------------------------------------------------------

    def _timeout(self, site: str) -> float:
        settings = webhook_of(self._policies_of(), site)
        return settings.timeout_seconds if settings else DEFAULT_TIMEOUT_SECONDS

    def lease_seconds(self) -> float:
        """Long enough for a whole batch of sends at the longest timeout, and some."""
        timeouts = [p.webhook.timeout_seconds for p in self._policies_of() if p.webhook]
        return BATCH * max(timeouts or [MAX_TIMEOUT_SECONDS]) + 30

    def send(self, store: Store, job: DeliveryJob) -> sender.Sent:
        """One try of a claimed delivery, recorded with what comes next."""
        secrets = signing.secrets_for(self.secrets, job.site)
        if not secrets:
            result = sender.Sent(None, NO_SECRET, 0)
        else:
            body = job.body.encode("utf-8")
            headers = {signing.SIGNATURE_HEADER: signing.sign(secrets, body),
                       signing.EVENT_HEADER: job.event, signing.DELIVERY_HEADER: job.id}
            result = sender.post(job.url, body, headers, self._timeout(job.site))
        now = self._clock()
        retry_at = now + timedelta(seconds=backoff(job.attempts + 1, self.backoff_base,
                                                   self.backoff_cap, self._rng))
        status = store.finish_attempt(job, result.status_code, result.error,
                                      result.duration_ms, retry_at, at=now)
        # Ids, codes and classes only: a delivery's body holds no text, but logs get less.
        log.log(logging.INFO if result.ok else logging.WARNING, "webhook delivery",
                extra={"delivery": job.id, "site": job.site, "event": job.event,
                       "attempt": job.attempts + 1, "status_code": result.status_code,
                       "error": result.error, "outcome": status})
        return result

    def deliver_due(self, limit: int = 100) -> int:
        """Claim and send due deliveries until none are due (or `limit` were sent)."""
        store = self._store_of()
        if store is None:
            return 0
        sent = 0
        while sent < limit:
            if not store.has_due_deliveries(self._clock()):
                break
            jobs = store.claim_deliveries(min(BATCH, limit - sent), self.lease_seconds(),
                                          self._clock())
            if not jobs:
                break
            for job in jobs:
                self.send(store, job)
                sent += 1
        return sent

    def send_now(self, store: Store, message: Outgoing) -> sender.Sent:
        """Write `message` as a claimed delivery and send it at once (the test button)."""
        job = store.start_delivery(message, self.lease_seconds())
        return self.send(store, job)

    # -- the thread --------------------------------------------------------------------

    def start(self) -> None:
        """Start this process's thread (again after a fork: threads do not survive one)."""
        with self._lock:
            alive = self._thread is not None and self._thread.is_alive()
            if alive and self._pid == os.getpid():
                return
            self._pid = os.getpid()
            self._stop.clear()
            self._thread = threading.Thread(target=self._run, name="webhook-delivery",
                                            daemon=True)
            self._thread.start()

    def wake(self) -> None:
        """A decision was just recorded: send it now rather than at the next poll."""
        if self._thread is not None:
            self.start()
            self._wake.set()

    def stop(self, timeout: float = 5.0) -> None:
        self._stop.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout)

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                self.deliver_due()
            except Exception as exc:  # a store outage: try again at the next poll
                log.warning("webhook delivery round failed: %s", type(exc).__name__)
            self._wake.wait(self.poll_seconds)
            self._wake.clear()
