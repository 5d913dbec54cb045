"""The review queue and the labels, behind one `Store` that owns its engine.

Writes that two workers could race on are single conditional statements
(`UPDATE ... WHERE status = 'pending'`), so exactly one decision wins and none is lost.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Engine, and_, func, null, or_, select, text, update
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker

from moderator.store.akismet import AkismetMixin
from moderator.store.engine import (
    DEFAULT_TIMEOUT_SECONDS,
    make_engine,
    reads,
    sqlite_path,
    upgrade,
)
from moderator.store.errors import StoreError
from moderator.store.labels import LabelsMixin
from moderator.store.moderation import ModerationMixin
from moderator.store.privacy import keyed_hash
from moderator.store.schema import DecisionLog, HeldComment, Label
from moderator.store.sessions import SessionsMixin
from moderator.store.times import aware as _aware
from moderator.store.times import iso, utcnow
from moderator.store.turns import WriteTurns
from moderator.store.webhooks import Notify, WebhooksMixin, add_outgoing
from moderator.types import Comment, Verdict

DECISIONS = {"approve": "approved", "reject": "rejected"}
#: `auto_rejected`: the checker rejected it; kept so that a moderator can reverse it.
STATUSES = ("pending", "auto_rejected", "approved", "rejected", "all")
#: Statuses a moderator's decision can still change (the checker's, not a person's).
UNDECIDED = ("pending", "auto_rejected")
#: The status a comment goes back to when its decision is undone, by the checker's verdict.
UNDECIDED_BY_VERDICT = {"review": "pending", "reject": "auto_rejected"}
LABELS = ("propaganda", "discusses", "other")
#: A moderator's reason for rejecting (Coral's rejection codes, narrowed to this checker's).
REASONS = ("propaganda", "incitement", "hate_speech", "harassment", "spam", "personal_data",
           "off_topic", "illegal_content", "other")
#: Longest note to the commenter that goes with a rejection.
MAX_NOTE = 1000
#: Context members that carry a commenter's IP address; stored only as a keyed hash.
IP_KEYS = ("ip", "ip_address", "remote_addr", "client_ip")
PURGE_EVERY_SECONDS = 3600
#: Decided comments keep their text this long by default (0 or None: kept for ever).
DEFAULT_RETENTION_DAYS = 90
#: Pending comments per site by default: past it a comment that must be held gets a 503,
#: so anonymous input cannot grow the queue without bound (at most this many times the
#: body limit per site).
DEFAULT_MAX_PENDING = 10_000
#: Pending comments per site from one IP address (when the site passes it in the context):
#: one address cannot take the whole queue; past it, 429.
DEFAULT_MAX_PENDING_PER_IP = 50
#: Comments the checker rejected, kept per site for a moderator to reverse: past it the
#: oldest are dropped, so rejected input (unbounded by nature) cannot grow the database.
DEFAULT_MAX_REJECTED = 10_000
#: /healthz asks the database at most this often per process.
HEALTH_CACHE_SECONDS = 2.0


class QueueFull(StoreError):
    """The site's queue already holds its cap of pending comments: retry after some are read."""

    def __init__(self, site: str, limit: int) -> None:
        self.site = site
        self.limit = limit
        super().__init__(f"the review queue of site {site!r} holds {limit} pending comments")


class TooManyPending(StoreError):
    """One address already has its cap of pending comments on this site."""

    def __init__(self, site: str, limit: int) -> None:
        self.site = site
        self.limit = limit
        super().__init__(f"an address has {limit} comments pending on site {site!r}")


class NotFound(StoreError):
    def __init__(self, comment_id: str) -> None:
        self.comment_id = comment_id
        super().__init__(f"no held comment with id {comment_id!r}")


class AlreadyDecided(StoreError):
    def __init__(self, comment_id: str, status: str, decided_by: str | None = None,
                 decided_at: datetime | None = None) -> None:
        self.comment_id = comment_id
        self.status = status
        #: Who decided it and when (None for the JSON API's older callers).
        self.decided_by = decided_by
        self.decided_at = decided_at
        super().__init__(f"comment {comment_id!r} was already decided ({status})")


def export_lang(language: str | None) -> str:
    """The data files' `lang` column: ISO 639-1, `und` where the detector said `other`."""
    return language if language and language != "other" else "und"


@dataclass(frozen=True, slots=True)
class QueueItem:
    """One held comment as a moderator sees it."""

    id: str
    site: str
    status: str
    created_at: datetime
    text_field: str
    fields: Mapping[str, str] | None
    findings: list[Any]
    scores: Mapping[str, float]
    policy: str
    model: str | None
    language: str | None
    decision: str | None
    label: str | None
    decided_by: str | None
    decided_at: datetime | None
    #: The checker's decision: `review` (held) or `reject` (kept as `auto_rejected`).
    verdict: str = "review"
    article_url: str | None = None
    article_title: str | None = None
    score: float | None = None
    #: Keyed hash of the commenter's email: for counting their history, never shown.
    commenter_hash: str | None = None
    reason: str | None = None
    note: str | None = None

    @classmethod
    def from_row(cls, row: HeldComment) -> QueueItem:
        return cls(row.id, row.site, row.status, _aware(row.created_at) or utcnow(),
                   row.text_field, row.fields, row.findings, row.scores, row.policy,
                   row.model, row.language, row.decision, row.label, row.decided_by,
                   _aware(row.decided_at), row.verdict or "review", row.article_url,
                   row.article_title, row.score, row.commenter_hash, row.reason, row.note)

    @property
    def text(self) -> str | None:
        """The checked field's text (None once the retention purge removed it)."""
        return (self.fields or {}).get(self.text_field) if self.fields is not None else None

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id, "site": self.site, "status": self.status,
            "created_at": iso(self.created_at),
            "text": (self.fields or {}).get(self.text_field) if self.fields is not None else None,
            "fields": dict(self.fields) if self.fields is not None else None,
            "findings": list(self.findings), "scores": dict(self.scores),
            "policy": self.policy, "model": self.model, "language": self.language,
            "verdict": self.verdict,
            "article": {"url": self.article_url, "title": self.article_title},
            "decision": None if self.decision is None else {
                "decision": self.decision, "label": self.label,
                "decided_by": self.decided_by, "decided_at": iso(self.decided_at),
                "reason": self.reason, "note": self.note},
        }


class Store(LabelsMixin, AkismetMixin, ModerationMixin, SessionsMixin, WebhooksMixin):
    """Held comments and labels in SQLite or PostgreSQL (whatever the URL names)."""

    def __init__(self, engine: Engine, hash_key: bytes, retention_days: int | None = None,
                 clock: Callable[[], datetime] = utcnow, *,
                 max_pending: int | None = None, max_pending_per_ip: int | None = None,
                 max_rejected: int | None = DEFAULT_MAX_REJECTED,
                 timeout: float = DEFAULT_TIMEOUT_SECONDS) -> None:
        self.engine = engine
        #: Reads (`with self._session()`) never wait for a writer's lock, nor hold one.
        self._session = sessionmaker(reads(engine), expire_on_commit=False)
        self._writes = sessionmaker(engine, expire_on_commit=False)
        path = sqlite_path(str(engine.url))
        self._turns = WriteTurns(self._writes.begin, serial=engine.dialect.name == "sqlite",
                                 timeout=timeout,
                                 lock_file=path.with_name(path.name + ".write-lock")
                                 if path else None)
        self._key = hash_key
        #: Days a decided comment keeps its text; None or 0: no automatic purge.
        self.retention_days = retention_days or None
        #: Pending comments per site before `hold` refuses (None: no cap).
        self.max_pending = max_pending
        #: Pending comments per site and IP address hash before `hold` refuses (None: no cap).
        self.max_pending_per_ip = max_pending_per_ip
        #: Comments the checker rejected kept per site (None or 0: none are kept).
        self.max_rejected = max_rejected or None
        self._clock = clock
        self._last_purge: float | None = None
        self._health: tuple[float, str | None] | None = None

    @classmethod
    def open(cls, url: str, hash_key: bytes, retention_days: int | None = None,
             migrate: bool = True, *, max_pending: int | None = None,
             max_pending_per_ip: int | None = None,
             max_rejected: int | None = DEFAULT_MAX_REJECTED,
             timeout: float = DEFAULT_TIMEOUT_SECONDS) -> Store:
        """Connect and (by default) bring the schema to head before the first query."""
        engine = make_engine(url, timeout)
        if migrate:
            upgrade(engine)
        return cls(engine, hash_key, retention_days, max_pending=max_pending,
                   max_pending_per_ip=max_pending_per_ip, max_rejected=max_rejected,
                   timeout=timeout)

    def close(self) -> None:
        self.engine.dispose()
        self._turns.close()

    @contextmanager
    def _tx(self) -> Iterator[Session]:
        """A write transaction: on SQLite it holds the database's write lock throughout,
        taken in this process's turn (moderator.store.turns)."""
        with self._turns.turn(), self._writes.begin() as session:
            yield session

    # -- the queue -------------------------------------------------------------------

    def hold(self, comment: Comment, verdict: Verdict, text_field: str,
             email_fields: tuple[str, ...] = ()) -> str:
        """Store a comment held for review; returns the id that goes into the verdict.

        Raises TooManyPending when the comment's IP address (if the context has one)
        already has `max_pending_per_ip` pending comments on the site, and QueueFull when
        the site has `max_pending` (counts over indexes; racing workers may pass a cap by
        a few).
        """
        self.maybe_purge()
        row = self._row(comment, verdict, text_field, email_fields, "pending")
        if row.ip_hash is not None and self.max_pending_per_ip is not None and \
                self.pending(comment.site, row.ip_hash) >= self.max_pending_per_ip:
            raise TooManyPending(comment.site, self.max_pending_per_ip)
        if self.max_pending is not None and self.pending(comment.site) >= self.max_pending:
            raise QueueFull(comment.site, self.max_pending)
        self._turns.together(lambda session: session.add(row))
        return row.id

    def _row(self, comment: Comment, verdict: Verdict, text_field: str,
             email_fields: tuple[str, ...], status: str) -> HeldComment:
        ip = next((str(comment.context[k]) for k in IP_KEYS if comment.context.get(k)), None)
        fields = {k: v for k, v in comment.fields.items() if k not in email_fields}
        emails = {k: keyed_hash(self._key, "email", v)
                  for k, v in comment.fields.items() if k in email_fields and v}
        codes = sorted({f.code for f in verdict.findings})
        score = verdict.scores.get("propaganda")
        return HeldComment(
            id=uuid.uuid4().hex, site=comment.site, status=status, created_at=self._clock(),
            text_field=text_field, fields=fields, email_hashes=emails,
            ip_hash=keyed_hash(self._key, "ip", ip) if ip else None,
            findings=[f.to_dict() for f in verdict.findings], scores=dict(verdict.scores),
            policy=verdict.policy, model=verdict.model, language=verdict.language,
            verdict=verdict.decision.value,
            article_url=_context_text(comment, "article_url"),
            article_title=_context_text(comment, "article_title"),
            codes=f" {' '.join(codes)} ", score=None if score is None else float(score),
            commenter_hash=next(iter(emails.values()), None))

    def get(self, comment_id: str) -> QueueItem:
        with self._session() as session:
            row = session.scalar(select(HeldComment).where(HeldComment.id == comment_id))
        if row is None:
            raise NotFound(comment_id)
        return QueueItem.from_row(row)

    def queue(self, site: str | None = None, status: str = "pending", limit: int = 50,
              after: int = 0) -> tuple[list[QueueItem], int | None]:
        """Oldest first, `limit` at a time; the second value is the cursor of the next page."""
        query = select(HeldComment).where(HeldComment.seq > after)
        if site is not None:
            query = query.where(HeldComment.site == site)
        if status != "all":
            query = query.where(HeldComment.status == status)
        query = query.order_by(HeldComment.seq).limit(limit + 1)
        with self._session() as session:
            rows = list(session.scalars(query))
        more = len(rows) > limit
        rows = rows[:limit]
        return [QueueItem.from_row(r) for r in rows], (rows[-1].seq if more else None)

    def decide(self, comment_id: str, decision: str, label: str, moderator: str, *,
               reason: str | None = None, note: str | None = None,
               notify: Notify | None = None) -> QueueItem:
        """Record a moderator's decision, its label and its audit entry in one transaction.

        The first decision wins (held and checker-rejected comments can be decided);
        `reason` and `note` (to the commenter) go with a rejection. The one place a
        decision is written: `Moderator.decide` calls it for the JSON API and the page.
        `notify` gives the site's webhook message, written into the outbox in the same
        transaction (if it raises, nothing is recorded).
        """
        status = DECISIONS[decision]
        now = self._clock()
        with self._tx() as session:
            won = session.execute(
                update(HeldComment)
                .where(HeldComment.id == comment_id, HeldComment.status.in_(UNDECIDED))
                .values(status=status, decision=decision, label=label, decided_by=moderator,
                        decided_at=now, reason=reason, note=note)
                .execution_options(synchronize_session=False))
            row = session.scalar(select(HeldComment).where(HeldComment.id == comment_id))
            if row is None:
                raise NotFound(comment_id)
            if won.rowcount != 1:  # type: ignore[attr-defined]
                raise AlreadyDecided(comment_id, row.status, row.decided_by,
                                     _aware(row.decided_at))
            text = (row.fields or {}).get(row.text_field)
            if text:
                session.add(Label(text=text, label=label, lang=export_lang(row.language),
                                  origin="queue", comment_id=comment_id, created_by=moderator,
                                  created_at=now, site=row.site, status="active"))
            session.add(DecisionLog(at=now, moderator=moderator, action=decision,
                                    comment_id=comment_id, site=row.site, label=label,
                                    reason=reason, note=note,
                                    overrode=f"checker:{row.verdict or 'review'}",
                                    score=row.score, codes=row.codes or " "))
            item = QueueItem.from_row(row)
            message = notify(item) if notify is not None else None
            if message is not None:
                add_outgoing(session, message, now)
        return item

    def pending(self, site: str, ip_hash: str | None = None) -> int:
        """Pending comments of one site (from one address hash, if given)."""
        query = select(func.count()).select_from(HeldComment).where(
            HeldComment.site == site, HeldComment.status == "pending")
        if ip_hash is not None:
            query = query.where(HeldComment.ip_hash == ip_hash)
        with self._session() as session:
            return session.scalar(query) or 0

    def count(self) -> dict[str, int]:
        """Row counts by table and status (tests and `moderator store stats`)."""
        with self._session() as session:
            out = {f"held_{status}": n for status, n in session.execute(
                select(HeldComment.status, func.count()).group_by(HeldComment.status))}
            out["labels"] = session.scalar(select(func.count()).select_from(Label)) or 0
        return out

    # -- retention -------------------------------------------------------------------

    def purge(self, days: int, now: datetime | None = None) -> int:
        """Drop the text of comments decided more than `days` ago; decisions and labels stay.

        Pending comments are never purged: nobody has read them yet (the pending cap
        bounds how many there can be). Comments the checker rejected lose their text
        `days` after they came in.
        """
        now = now or self._clock()
        cutoff = now - timedelta(days=days)
        with self._tx() as session:
            result = session.execute(
                update(HeldComment)
                .where(or_(and_(HeldComment.status.in_(DECISIONS.values()),
                                HeldComment.decided_at < cutoff),
                           and_(HeldComment.status == "auto_rejected",
                                HeldComment.created_at < cutoff)),
                       HeldComment.purged_at.is_(None))
                .values(fields=null(), purged_at=now)
                .execution_options(synchronize_session=False))
        return int(result.rowcount)  # type: ignore[attr-defined]

    def maybe_purge(self) -> None:
        """Run the retention purge at most once an hour per process."""
        if self.retention_days is None:
            return
        if self._last_purge is not None and \
                time.monotonic() - self._last_purge < PURGE_EVERY_SECONDS:
            return
        self._last_purge = time.monotonic()
        self.purge(self.retention_days)

    # -- health ----------------------------------------------------------------------

    def recheck_health(self) -> None:
        """Forget the cached health: a request just failed, so /healthz should ask again."""
        self._health = None

    def problem(self) -> str | None:
        """Why the store cannot take writes now (None: it can), asked at most every 2 s.

        Reads the queue table (a corrupt SQLite file fails here, where SELECT 1 would not
        touch it) and, on PostgreSQL, whether the session is read-only (a failed-over
        replica). Only the error's class is reported: its text may hold a path or a value.
        """
        now = time.monotonic()
        if self._health is not None and now - self._health[0] < HEALTH_CACHE_SECONDS:
            return self._health[1]
        problem: str | None = None
        try:
            with reads(self.engine).connect() as conn:
                conn.execute(select(HeldComment.seq).limit(1)).all()
                if conn.dialect.name == "postgresql" and \
                        conn.execute(text("SHOW transaction_read_only")).scalar() == "on":
                    problem = "the database is read-only"
        except (SQLAlchemyError, OSError) as exc:
            problem = f"the database is unavailable ({store_error_name(exc)})"
        self._health = (now, problem)
        return problem


def _context_text(comment: Comment, key: str) -> str | None:
    value = comment.context.get(key)
    return value if isinstance(value, str) and value else None


def store_error_name(exc: BaseException) -> str:
    """`DatabaseError` or `DatabaseError/ReadOnlySqlTransaction`: classes only, never text."""
    orig = getattr(exc, "orig", None)
    return type(exc).__name__ + (f"/{type(orig).__name__}" if orig is not None else "")
