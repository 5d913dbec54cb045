"""What the moderators' page reads and writes beyond the JSON queue: filtered queues and
their counts, statuses to poll, a commenter's history, undo, the audit log, dashboard rows,
and the comments the checker rejected (kept so a wrong rejection can be reversed).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from sqlalchemy import Select, delete, func, select, update
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker

from moderator.store.errors import StoreError
from moderator.store.schema import DecisionLog, HeldComment, Label
from moderator.store.times import aware, iso
from moderator.store.turns import WriteTurns
from moderator.store.webhooks import Notify, add_outgoing

if TYPE_CHECKING:
    from moderator.store.store import QueueItem
    from moderator.types import Comment, Verdict

log = logging.getLogger(__name__)

#: The page's queues and the statuses each shows.
QUEUES: dict[str, tuple[str, ...]] = {
    "pending": ("pending",),
    "rejected_by_rules": ("auto_rejected",),
    "decided": ("approved", "rejected"),
}
_UNDECIDED = {"review": "pending", "reject": "auto_rejected"}


class UndoRefused(StoreError):
    """An undo that cannot be done: `why` is not_decided, not_yours or expired."""

    def __init__(self, comment_id: str, why: str) -> None:
        self.comment_id = comment_id
        self.why = why
        super().__init__(f"the decision on {comment_id!r} cannot be undone ({why})")


@dataclass(frozen=True, slots=True)
class QueueFilter:
    """Which comments a queue shows; None everywhere: all of them."""

    site: str | None = None
    article: str | None = None
    language: str | None = None
    code: str | None = None
    min_score: float | None = None
    max_score: float | None = None

    def apply(self, query: Select[Any]) -> Select[Any]:
        if self.site is not None:
            query = query.where(HeldComment.site == self.site)
        if self.article is not None:
            query = query.where(HeldComment.article_url == self.article)
        if self.language is not None:
            query = query.where(HeldComment.language == self.language)
        if self.code is not None:
            # `codes` is " a b c ": a whole code matches, or a family (`banned` -> banned.*).
            pattern = _like(self.code)
            suffix = " %" if "." in self.code else ".%"
            query = query.where(HeldComment.codes.like(f"% {pattern}{suffix}", escape="\\"))
        if self.min_score is not None:
            query = query.where(HeldComment.score >= self.min_score)
        if self.max_score is not None:
            query = query.where(HeldComment.score <= self.max_score)
        return query


def _like(value: str) -> str:
    return value.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


@dataclass(frozen=True, slots=True)
class AuditEntry:
    """One row of the audit log."""

    id: int
    at: datetime
    moderator: str
    action: str
    comment_id: str
    site: str
    label: str | None
    reason: str | None
    note: str | None
    overrode: str
    score: float | None
    codes: tuple[str, ...]

    @classmethod
    def from_row(cls, row: DecisionLog) -> AuditEntry:
        return cls(row.id, aware(row.at), row.moderator, row.action,  # type: ignore[arg-type]
                   row.comment_id, row.site, row.label, row.reason, row.note, row.overrode,
                   row.score, tuple((row.codes or "").split()))

    def to_dict(self) -> dict[str, Any]:
        return {"id": self.id, "at": iso(self.at), "moderator": self.moderator,
                "action": self.action, "comment_id": self.comment_id, "site": self.site,
                "label": self.label, "reason": self.reason, "note": self.note,
                "overrode": self.overrode, "score": self.score, "codes": list(self.codes)}


@dataclass(frozen=True, slots=True)
class DecidedRow:
    """What the dashboard needs of one comment: no text, no commenter."""

    created_at: datetime
    decided_at: datetime | None
    status: str
    verdict: str
    codes: tuple[str, ...]
    score: float | None
    label: str | None


class ModerationMixin:
    """The page's methods of `Store` (it provides the sessions, the clock and the key)."""

    _session: sessionmaker[Session]
    _clock: Callable[[], datetime]
    max_rejected: int | None
    _turns: WriteTurns

    def _tx(self) -> AbstractContextManager[Session]:
        raise NotImplementedError  # Store's: writes go through its write sessions

    def _row(self, comment: Comment, verdict: Verdict, text_field: str,
             email_fields: tuple[str, ...], status: str) -> HeldComment:
        raise NotImplementedError  # Store builds the row

    # -- the checker's rejections ------------------------------------------------------

    def keep_rejected(self, comment: Comment, verdict: Verdict, text_field: str,
                      email_fields: tuple[str, ...] = ()) -> str | None:
        """Keep a comment the checker rejected, so a moderator can reverse a wrong rejection.

        Best effort: the comment is rejected whether or not it is kept, so a database
        error is logged (its class only) and answered with None instead of a 503. Past
        `max_rejected` per site the oldest kept rejections are dropped.
        """
        from moderator.store.store import store_error_name

        if self.max_rejected is None:
            return None
        row = self._row(comment, verdict, text_field, email_fields, "auto_rejected")
        keep = self.max_rejected

        def write(session: Session) -> None:
            session.add(row)
            session.flush()
            _trim_rejected(session, comment.site, keep)

        try:
            self._turns.together(write)
        except SQLAlchemyError as exc:
            log.warning("rejected comment not kept: %s", store_error_name(exc))
            return None
        return row.id

    # -- queues --------------------------------------------------------------------------

    def search(self, statuses: Sequence[str], where: QueueFilter = QueueFilter(), *,
               newest_first: bool = False, limit: int = 50, cursor: int | None = None
               ) -> tuple[list[QueueItem], int | None]:
        """One page of a queue in arrival order (or newest first); returns the next cursor."""
        from moderator.store.store import QueueItem

        query = where.apply(select(HeldComment).where(HeldComment.status.in_(statuses)))
        if cursor is not None:
            query = query.where(HeldComment.seq < cursor if newest_first
                                else HeldComment.seq > cursor)
        order = HeldComment.seq.desc() if newest_first else HeldComment.seq
        with self._session() as session:
            rows = list(session.scalars(query.order_by(order).limit(limit + 1)))
        more = len(rows) > limit
        rows = rows[:limit]
        return [QueueItem.from_row(r) for r in rows], (rows[-1].seq if more else None)

    def queue_counts(self, where: QueueFilter = QueueFilter()) -> dict[str, int]:
        """How many comments each page queue holds under `where`."""
        query = where.apply(select(HeldComment.status, func.count())
                            .select_from(HeldComment)).group_by(HeldComment.status)
        with self._session() as session:
            by_status = {s: n for s, n in session.execute(query)}
        return {queue: sum(by_status.get(s, 0) for s in statuses)
                for queue, statuses in QUEUES.items()}

    def statuses(self, ids: Sequence[str]) -> dict[str, tuple[str, str | None, str | None]]:
        """id -> (status, decided_by, decided_at ISO) for the comments a page shows."""
        if not ids:
            return {}
        query = select(HeldComment.id, HeldComment.status, HeldComment.decided_by,
                       HeldComment.decided_at).where(HeldComment.id.in_(list(ids)))
        with self._session() as session:
            return {i: (s, by, iso(at)) for i, s, by, at in session.execute(query)}

    def history(self, site: str, commenter_hash: str | None) -> dict[str, int]:
        """The commenter's comments on `site` by status, counted by their email's keyed hash."""
        if not commenter_hash:
            return {}
        query = (select(HeldComment.status, func.count()).select_from(HeldComment)
                 .where(HeldComment.site == site, HeldComment.commenter_hash == commenter_hash)
                 .group_by(HeldComment.status))
        with self._session() as session:
            return {s: n for s, n in session.execute(query)}

    def known_codes(self, site: str | None = None, sample: int = 2000) -> list[str]:
        """Finding codes among the newest `sample` comments (the page's reason filter)."""
        query = select(HeldComment.codes).order_by(HeldComment.seq.desc()).limit(sample)
        if site is not None:
            query = query.where(HeldComment.site == site)
        with self._session() as session:
            return sorted({c for row in session.scalars(query) for c in (row or "").split()})

    def articles(self, site: str | None = None, limit: int = 200) -> list[tuple[str, str | None]]:
        """(url, title) of the articles with comments waiting, most waiting first."""
        query = (select(HeldComment.article_url, func.max(HeldComment.article_title))
                 .where(HeldComment.article_url.is_not(None),
                        HeldComment.status.in_(("pending", "auto_rejected")))
                 .group_by(HeldComment.article_url)
                 .order_by(func.count().desc()).limit(limit))
        if site is not None:
            query = query.where(HeldComment.site == site)
        with self._session() as session:
            return [(url, title) for url, title in session.execute(query)]

    # -- undo ------------------------------------------------------------------------------

    def undo(self, comment_id: str, moderator: str, window_seconds: float, *,
             notify: Notify | None = None) -> QueueItem:
        """Take back `moderator`'s own decision within `window_seconds` of taking it.

        The comment goes back to its queue, the label the decision made is removed (it
        never trains), and the audit log gets an `undo` row naming the decision undone.
        `notify` (given the comment as it was decided and as it now stands) writes the
        site's webhook message in the same transaction.
        """
        from moderator.store.store import NotFound, QueueItem

        now = self._clock()
        with self._tx() as session:
            row = session.scalar(select(HeldComment).where(HeldComment.id == comment_id))
            if row is None:
                raise NotFound(comment_id)
            if row.status not in ("approved", "rejected"):
                raise UndoRefused(comment_id, "not_decided")
            if row.decided_by != moderator:
                raise UndoRefused(comment_id, "not_yours")
            decided_at = aware(row.decided_at)
            if decided_at is None or now - decided_at > timedelta(seconds=window_seconds):
                raise UndoRefused(comment_id, "expired")
            undone = f"{row.decision} by {row.decided_by}"
            decided = QueueItem.from_row(row)
            back = _UNDECIDED.get(row.verdict or "review", "pending")
            won = session.execute(
                update(HeldComment)
                .where(HeldComment.id == comment_id, HeldComment.status == row.status,
                       HeldComment.decided_by == moderator)
                .values(status=back, decision=None, label=None, decided_by=None,
                        decided_at=None, reason=None, note=None)
                .execution_options(synchronize_session=False))
            if won.rowcount != 1:  # type: ignore[attr-defined]
                raise UndoRefused(comment_id, "not_decided")  # a double click's second undo
            session.execute(delete(Label).where(Label.comment_id == comment_id,
                                                Label.origin == "queue")
                            .execution_options(synchronize_session=False))
            session.add(DecisionLog(at=now, moderator=moderator, action="undo",
                                    comment_id=comment_id, site=row.site, overrode=undone,
                                    score=row.score, codes=row.codes or " "))
            session.expire(row)
            row = session.scalar(select(HeldComment).where(HeldComment.id == comment_id))
            assert row is not None
            item = QueueItem.from_row(row)
            message = notify((decided, item)) if notify is not None else None
            if message is not None:
                add_outgoing(session, message, now)
        return item

    # -- the audit log and the dashboard ---------------------------------------------------

    def audit(self, site: str | None = None, limit: int = 100, before: int | None = None
              ) -> list[AuditEntry]:
        """The newest audit rows first (`before`: ids below it, for the next page)."""
        query = select(DecisionLog).order_by(DecisionLog.id.desc()).limit(limit)
        if site is not None:
            query = query.where(DecisionLog.site == site)
        if before is not None:
            query = query.where(DecisionLog.id < before)
        with self._session() as session:
            return [AuditEntry.from_row(r) for r in session.scalars(query)]

    def iter_audit(self, site: str | None = None, batch: int = 1000) -> Iterator[AuditEntry]:
        """Every audit row oldest first, read `batch` at a time (the CSV export)."""
        after = 0
        while True:
            query = select(DecisionLog).where(DecisionLog.id > after)
            if site is not None:
                query = query.where(DecisionLog.site == site)
            with self._session() as session:
                rows = list(session.scalars(query.order_by(DecisionLog.id).limit(batch)))
            if not rows:
                return
            yield from (AuditEntry.from_row(r) for r in rows)
            after = rows[-1].id

    def dashboard_rows(self, since: datetime, site: str | None = None) -> list[DecidedRow]:
        """Every comment that came in since `since` (text and commenter left out)."""
        query = select(HeldComment.created_at, HeldComment.decided_at, HeldComment.status,
                       HeldComment.verdict, HeldComment.codes, HeldComment.score,
                       HeldComment.label).where(HeldComment.created_at >= since)
        if site is not None:
            query = query.where(HeldComment.site == site)
        with self._session() as session:
            return [DecidedRow(aware(c) or since, aware(d), s, v or "review",  # type: ignore[arg-type]
                               tuple((codes or "").split()), score, label)
                    for c, d, s, v, codes, score, label in session.execute(query)]


def _trim_rejected(session: Session, site: str, keep: int) -> None:
    """Drop the site's oldest kept rejections beyond the newest `keep`."""
    cutoff = session.scalar(
        select(HeldComment.seq)
        .where(HeldComment.site == site, HeldComment.status == "auto_rejected")
        .order_by(HeldComment.seq.desc()).offset(keep).limit(1))
    if cutoff is not None:
        session.execute(delete(HeldComment).where(
            HeldComment.site == site, HeldComment.status == "auto_rejected",
            HeldComment.seq <= cutoff).execution_options(synchronize_session=False))
