"""Labels in the store: listing, deleting, flagging for a second look, confirming.

Why a review status at all: a label trains the next model, so one moderator's mistake
(or a deliberate campaign) becomes the model's opinion. `moderator retrain` scores every
label with a cross-validated model first; labels it strongly disagrees with are `flagged`
and leave training until a moderator `confirm`s them (or deletes them). A confirmed label
is never flagged again: a human has had the second look.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from contextlib import AbstractContextManager
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import delete, func, select, update
from sqlalchemy.orm import Session, sessionmaker

from moderator.store.errors import LabelNotFound
from moderator.store.schema import Label, RetrainRun
from moderator.store.times import aware, iso

LABEL_STATUSES = ("active", "flagged", "confirmed")
#: Statuses whose labels train (flagged ones wait for a moderator).
TRAINING_STATUSES = ("active", "confirmed")


@dataclass(frozen=True, slots=True)
class LabelRow:
    """A label in the shape of the shared data files, plus what retrain needs to screen it.

    `id` picks its rotation fold; `group` (who submitted it) keeps one moderator's or one
    key's labels together in the cross-check, so a batch cannot vouch for itself.
    """

    text: str
    label: str
    source: str
    lang: str
    id: int | None = None
    status: str = "active"
    group: str | None = None


@dataclass(frozen=True, slots=True)
class LabelRecord:
    """One label as a moderator reviews it."""

    id: int
    text: str
    label: str
    lang: str
    origin: str
    site: str | None
    status: str
    flag_score: float | None
    created_by: str
    created_at: datetime
    flagged_at: datetime | None
    confirmed_by: str | None
    confirmed_at: datetime | None

    @classmethod
    def from_row(cls, row: Label) -> LabelRecord:
        return cls(row.id, row.text, row.label, row.lang, row.origin, row.site, row.status,
                   row.flag_score, row.created_by, aware(row.created_at),  # type: ignore[arg-type]
                   aware(row.flagged_at), row.confirmed_by, aware(row.confirmed_at))

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id, "text": self.text, "label": self.label, "lang": self.lang,
            "origin": self.origin, "site": self.site, "status": self.status,
            "flag_score": None if self.flag_score is None else round(self.flag_score, 4),
            "created_by": self.created_by, "created_at": iso(self.created_at),
            "flagged_at": iso(self.flagged_at), "confirmed_by": self.confirmed_by,
            "confirmed_at": iso(self.confirmed_at),
        }


class LabelsMixin:
    """The label methods of `Store` (it provides the session factory and the clock)."""

    _session: sessionmaker[Session]
    _clock: Callable[[], datetime]

    def _tx(self) -> AbstractContextManager[Session]:
        raise NotImplementedError  # Store's: writes go through its write sessions

    def add_label(self, text: str, label: str, lang: str | None, moderator: str,
                  site: str | None = None, origin: str = "api") -> int:
        """A label submitted from elsewhere (POST /v1/labels; `akismet`: a submit-spam/ham)."""
        row = Label(text=text, label=label, lang=lang or "und", origin=origin, site=site,
                    status="active", created_by=moderator, created_at=self._clock())
        with self._tx() as session:
            session.add(row)
        return row.id

    def labels(self, statuses: tuple[str, ...] = TRAINING_STATUSES) -> Iterator[LabelRow]:
        """Labels with one of `statuses` (default: those that train), oldest first."""
        query = select(Label).where(Label.status.in_(statuses)).order_by(Label.id)
        with self._session() as session:
            for row in session.scalars(query):
                yield LabelRow(row.text, row.label, f"moderator_{row.origin}", row.lang,
                               row.id, row.status, row.created_by)

    def list_labels(self, site: str | None = None, status: str | None = None,
                    limit: int = 50, after: int = 0) -> tuple[list[LabelRecord], int | None]:
        """Oldest first, `limit` at a time; the second value is the cursor of the next page."""
        query = select(Label).where(Label.id > after)
        if site is not None:
            query = query.where(Label.site == site)
        if status is not None:
            query = query.where(Label.status == status)
        query = query.order_by(Label.id).limit(limit + 1)
        with self._session() as session:
            rows = list(session.scalars(query))
        more = len(rows) > limit
        rows = rows[:limit]
        return [LabelRecord.from_row(r) for r in rows], \
            (rows[-1].id if more else None)

    def get_label(self, label_id: int) -> LabelRecord:
        with self._session() as session:
            row = session.get(Label, label_id)
        if row is None:
            raise LabelNotFound(label_id)
        return LabelRecord.from_row(row)

    def delete_label(self, label_id: int) -> None:
        """Remove a label for good: it trains no later model (the held comment stays)."""
        with self._tx() as session:
            gone = session.execute(delete(Label).where(Label.id == label_id)
                                   .execution_options(synchronize_session=False))
        if gone.rowcount != 1:  # type: ignore[attr-defined]
            raise LabelNotFound(label_id)

    def confirm_label(self, label_id: int, moderator: str) -> LabelRecord:
        """A moderator has looked again: the label trains and is never flagged again."""
        with self._tx() as session:
            done = session.execute(
                update(Label).where(Label.id == label_id)
                .values(status="confirmed", confirmed_by=moderator, confirmed_at=self._clock())
                .execution_options(synchronize_session=False))
        if done.rowcount != 1:  # type: ignore[attr-defined]
            raise LabelNotFound(label_id)
        return self.get_label(label_id)

    def flag_labels(self, scores: Mapping[int, float]) -> int:
        """Flag these labels (id -> cross-validated score); confirmed ones are left alone."""
        now = self._clock()
        n = 0
        with self._tx() as session:
            for label_id, score in scores.items():
                done = session.execute(
                    update(Label).where(Label.id == label_id, Label.status == "active")
                    .values(status="flagged", flag_score=float(score), flagged_at=now)
                    .execution_options(synchronize_session=False))
                n += int(done.rowcount)  # type: ignore[attr-defined]
        return n

    def label_counts(self) -> dict[str, int]:
        """Labels by status (`moderator store stats`, tests)."""
        with self._session() as session:
            return {status: n for status, n in session.execute(
                select(Label.status, func.count()).group_by(Label.status))}

    # -- retrain runs ---------------------------------------------------------------

    def start_retrain_run(self, folds: int) -> tuple[int, int]:
        """Record a retrain run; returns (its id, the labels' fold it holds back).

        The held-back fold is the number of earlier finished runs mod `folds`, so over
        `folds` runs every fold is held back once and trains in all the others (a run that
        crashed does not count: its fold comes round again next time).
        """
        with self._tx() as session:
            earlier = session.scalar(select(func.count()).select_from(RetrainRun).where(
                RetrainRun.decision.is_not(None))) or 0
            row = RetrainRun(started_at=self._clock(), folds=folds, fold=earlier % folds)
            session.add(row)
        return row.id, row.fold

    def finish_retrain_run(self, run_id: int, candidate: str | None,
                           decision: str | None) -> None:
        with self._tx() as session:
            session.execute(update(RetrainRun).where(RetrainRun.id == run_id)
                            .values(candidate=candidate, decision=decision,
                                    finished_at=self._clock())
                            .execution_options(synchronize_session=False))
