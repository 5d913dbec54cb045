"""The webhook outbox: deliveries written with their decisions, claimed under a lease.

A claim is one transaction. On PostgreSQL it selects due rows `FOR UPDATE SKIP LOCKED`,
so two workers claiming at once each get different rows and neither waits, then marks
them; on SQLite it is one UPDATE over a sub-select of due rows, and every write
transaction starts with BEGIN IMMEDIATE (see `engine`), so it runs alone. A claimed
row carries a random lease token until `lease_until`: a worker that dies mid-send
leaves a lease that expires, and the row is claimed again (a receiver may so see a
delivery twice, never none; the X-Moderator-Delivery id lets it drop the second).
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from contextlib import AbstractContextManager
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import and_, func, or_, select, update
from sqlalchemy.orm import Session, sessionmaker

from moderator.store.errors import StoreError
from moderator.store.schema import WebhookAttempt, WebhookDelivery
from moderator.store.times import aware, iso

DELIVERY_STATUSES = ("pending", "sending", "delivered", "failed")
#: Longest error text kept per attempt.
MAX_ERROR = 300


class DeliveryNotFound(StoreError):
    def __init__(self, delivery_id: str) -> None:
        self.delivery_id = delivery_id
        super().__init__(f"no webhook delivery with id {delivery_id!r}")


class RetryRefused(StoreError):
    """Only a delivery that gave up (`failed`) can be sent again by hand."""

    def __init__(self, delivery_id: str, status: str) -> None:
        self.delivery_id = delivery_id
        self.status = status
        super().__init__(f"webhook delivery {delivery_id!r} is {status}, not failed")


@dataclass(frozen=True, slots=True)
class Outgoing:
    """A message for a site's webhook, to be written into the outbox."""

    site: str
    event: str
    comment_id: str | None
    url: str
    body: str
    max_attempts: int
    id: str = ""

    def with_id(self) -> Outgoing:
        if self.id:
            return self
        return Outgoing(self.site, self.event, self.comment_id, self.url, self.body,
                        self.max_attempts, uuid.uuid4().hex)


#: Called inside the decision's transaction with the comment as it now stands: the
#: message to write with it, or None (the site has no webhook for this event).
Notify = Callable[[Any], Outgoing | None]


@dataclass(frozen=True, slots=True)
class DeliveryJob:
    """A claimed delivery: what a sender needs, and the lease that proves the claim."""

    id: str
    site: str
    event: str
    url: str
    body: str
    attempts: int
    max_attempts: int
    lease_token: str


@dataclass(frozen=True, slots=True)
class AttemptRecord:
    number: int
    at: datetime
    status_code: int | None
    error: str | None
    duration_ms: int

    def to_dict(self) -> dict[str, Any]:
        return {"number": self.number, "at": iso(self.at), "status_code": self.status_code,
                "error": self.error, "duration_ms": self.duration_ms}


@dataclass(frozen=True, slots=True)
class DeliveryRecord:
    """A delivery as the admin API and the page show it (the body holds no comment text)."""

    id: str
    site: str
    event: str
    comment_id: str | None
    url: str
    status: str
    attempts: int
    max_attempts: int
    created_at: datetime
    next_attempt_at: datetime | None
    delivered_at: datetime | None
    last_status_code: int | None
    last_error: str | None
    history: tuple[AttemptRecord, ...] = ()

    @classmethod
    def from_row(cls, row: WebhookDelivery,
                 history: tuple[AttemptRecord, ...] = ()) -> DeliveryRecord:
        waiting = row.status == "pending"
        return cls(row.id, row.site, row.event, row.comment_id, row.url, row.status,
                   row.attempts, row.max_attempts, aware(row.created_at),  # type: ignore[arg-type]
                   aware(row.next_attempt_at) if waiting else None, aware(row.delivered_at),
                   row.last_status_code, row.last_error, history)

    def to_dict(self) -> dict[str, Any]:
        return {"id": self.id, "site": self.site, "event": self.event,
                "comment_id": self.comment_id, "url": self.url, "status": self.status,
                "attempts": self.attempts, "max_attempts": self.max_attempts,
                "created_at": iso(self.created_at),
                "next_attempt_at": iso(self.next_attempt_at),
                "delivered_at": iso(self.delivered_at),
                "last_status_code": self.last_status_code, "last_error": self.last_error,
                "history": [a.to_dict() for a in self.history]}


def add_outgoing(session: Session, message: Outgoing, now: datetime) -> str:
    """Write `message` into the outbox within the caller's transaction; returns its id."""
    message = message.with_id()
    session.add(WebhookDelivery(
        id=message.id, site=message.site, event=message.event, comment_id=message.comment_id,
        url=message.url, body=message.body, status="pending", attempts=0,
        max_attempts=message.max_attempts, created_at=now, next_attempt_at=now))
    return message.id


def _due(now: datetime) -> Any:
    return or_(and_(WebhookDelivery.status == "pending", WebhookDelivery.next_attempt_at <= now),
               and_(WebhookDelivery.status == "sending", WebhookDelivery.lease_until < now))


class WebhooksMixin:
    """The outbox methods of `Store` (it provides the sessions and the clock)."""

    _session: sessionmaker[Session]
    _clock: Callable[[], datetime]

    def _tx(self) -> AbstractContextManager[Session]:
        raise NotImplementedError  # Store's: writes go through its write sessions

    def has_due_deliveries(self, now: datetime | None = None) -> bool:
        """A read only: whether a claim would find anything (the worker's idle poll)."""
        now = now or self._clock()
        query = select(WebhookDelivery.seq).where(_due(now)).limit(1)
        with self._session() as session:
            return session.scalar(query) is not None

    def claim_deliveries(self, limit: int, lease_seconds: float,
                         now: datetime | None = None) -> list[DeliveryJob]:
        """Take up to `limit` due deliveries (oldest due first) for `lease_seconds`."""
        now = now or self._clock()
        token = uuid.uuid4().hex
        due = (select(WebhookDelivery.seq).where(_due(now))
               .order_by(WebhookDelivery.next_attempt_at, WebhookDelivery.seq).limit(limit))
        with self._tx() as session:
            if session.get_bind().dialect.name == "postgresql":
                # Lock the rows first, skipping those another claimer holds; an IN over a
                # LIMITed sub-select may be re-planned as a rescan that takes more rows.
                seqs = list(session.scalars(due.with_for_update(skip_locked=True)))
                chosen: Any = WebhookDelivery.seq.in_(seqs)
            else:  # one statement: BEGIN IMMEDIATE already keeps other writers out
                chosen = WebhookDelivery.seq.in_(due.scalar_subquery())
            session.execute(
                update(WebhookDelivery)
                .where(chosen, _due(now))
                .values(status="sending", lease_token=token,
                        lease_until=now + timedelta(seconds=lease_seconds))
                .execution_options(synchronize_session=False))
            rows = list(session.scalars(select(WebhookDelivery)
                                        .where(WebhookDelivery.lease_token == token)
                                        .order_by(WebhookDelivery.seq)))
            return [DeliveryJob(r.id, r.site, r.event, r.url, r.body, r.attempts,
                                r.max_attempts, token) for r in rows]

    def start_delivery(self, message: Outgoing, lease_seconds: float) -> DeliveryJob:
        """Write a delivery already claimed by the caller (a test ping sent at once)."""
        now = self._clock()
        message = message.with_id()
        token = uuid.uuid4().hex
        with self._tx() as session:
            session.add(WebhookDelivery(
                id=message.id, site=message.site, event=message.event,
                comment_id=message.comment_id, url=message.url, body=message.body,
                status="sending", attempts=0, max_attempts=message.max_attempts,
                created_at=now, next_attempt_at=now, lease_token=token,
                lease_until=now + timedelta(seconds=lease_seconds)))
        return DeliveryJob(message.id, message.site, message.event, message.url, message.body,
                           0, message.max_attempts, token)

    def finish_attempt(self, job: DeliveryJob, status_code: int | None, error: str | None,
                       duration_ms: int, retry_at: datetime | None,
                       at: datetime | None = None) -> str:
        """Record one try of a claimed delivery and what comes next; returns the new status.

        Delivered on a 2xx; otherwise pending again at `retry_at`, or failed once
        `max_attempts` tries were made (or `retry_at` is None). A worker whose lease ran
        out and was claimed again by another records its attempt but leaves the status to
        the new claimer.
        """
        now = at or self._clock()
        number = job.attempts + 1
        ok = status_code is not None and 200 <= status_code < 300 and error is None
        if ok:
            status, values = "delivered", {"delivered_at": now}
        elif number >= job.max_attempts or retry_at is None:
            status, values = "failed", {}
        else:
            status, values = "pending", {"next_attempt_at": retry_at}
        with self._tx() as session:
            session.add(WebhookAttempt(delivery_id=job.id, number=number, at=now,
                                       status_code=status_code,
                                       error=error[:MAX_ERROR] if error else None,
                                       duration_ms=duration_ms))
            won = session.execute(
                update(WebhookDelivery)
                .where(WebhookDelivery.id == job.id, WebhookDelivery.lease_token == job.lease_token)
                .values(status=status, attempts=number, lease_token=None, lease_until=None,
                        last_status_code=status_code,
                        last_error=error[:MAX_ERROR] if error else None, **values)
                .execution_options(synchronize_session=False))
        if won.rowcount != 1:  # type: ignore[attr-defined]
            return "sending"
        return status

    def deliveries(self, site: str, limit: int = 50, before: int | None = None,
                   status: str | None = None) -> tuple[list[DeliveryRecord], int | None]:
        """A site's deliveries newest first, each with its attempts; and the next cursor."""
        query = select(WebhookDelivery).where(WebhookDelivery.site == site)
        if before is not None:
            query = query.where(WebhookDelivery.seq < before)
        if status is not None:
            query = query.where(WebhookDelivery.status == status)
        with self._session() as session:
            rows = list(session.scalars(query.order_by(WebhookDelivery.seq.desc())
                                        .limit(limit + 1)))
            more = len(rows) > limit
            rows = rows[:limit]
            attempts: dict[str, list[AttemptRecord]] = {r.id: [] for r in rows}
            if rows:
                for a in session.scalars(select(WebhookAttempt)
                                         .where(WebhookAttempt.delivery_id.in_(list(attempts)))
                                         .order_by(WebhookAttempt.id)):
                    attempts[a.delivery_id].append(_attempt(a))
        records = [DeliveryRecord.from_row(r, tuple(attempts[r.id])) for r in rows]
        return records, (rows[-1].seq if more else None)

    def delivery(self, delivery_id: str) -> DeliveryRecord:
        with self._session() as session:
            row = session.scalar(select(WebhookDelivery).where(WebhookDelivery.id == delivery_id))
            if row is None:
                raise DeliveryNotFound(delivery_id)
            history = tuple(_attempt(a) for a in session.scalars(
                select(WebhookAttempt).where(WebhookAttempt.delivery_id == delivery_id)
                .order_by(WebhookAttempt.id)))
        return DeliveryRecord.from_row(row, history)

    def delivery_counts(self, site: str) -> dict[str, int]:
        query = (select(WebhookDelivery.status, func.count()).select_from(WebhookDelivery)
                 .where(WebhookDelivery.site == site).group_by(WebhookDelivery.status))
        with self._session() as session:
            found = {s: n for s, n in session.execute(query)}
        return {s: found.get(s, 0) for s in DELIVERY_STATUSES}

    def retry_delivery(self, site: str, delivery_id: str, max_attempts: int) -> DeliveryRecord:
        """Send a failed delivery again now, with `max_attempts` more tries."""
        now = self._clock()
        with self._tx() as session:
            row = session.scalar(select(WebhookDelivery).where(
                WebhookDelivery.id == delivery_id, WebhookDelivery.site == site))
            if row is None:
                raise DeliveryNotFound(delivery_id)
            won = session.execute(
                update(WebhookDelivery)
                .where(WebhookDelivery.id == delivery_id, WebhookDelivery.status == "failed")
                .values(status="pending", next_attempt_at=now,
                        max_attempts=row.attempts + max_attempts)
                .execution_options(synchronize_session=False))
            if won.rowcount != 1:  # type: ignore[attr-defined]
                raise RetryRefused(delivery_id, row.status)
        return self.delivery(delivery_id)


def _attempt(row: WebhookAttempt) -> AttemptRecord:
    return AttemptRecord(row.number, aware(row.at), row.status_code,  # type: ignore[arg-type]
                         row.error, row.duration_ms)
