"""Tables of the store. Alembic migrations (store/migrations) create them; this is the map.

Privacy by construction: no column holds an email address or an IP address in clear,
only `*_hash` columns with a keyed hash (see `moderator.store.privacy`). Held comments
keep their text only until the retention purge; labels keep text, label and language,
which is what training needs, and nothing that identifies the commenter.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, ClassVar

from sqlalchemy import JSON, DateTime, Float, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column


class Base(DeclarativeBase):
    type_annotation_map: ClassVar[dict[Any, Any]] = {dict[str, Any]: JSON, list[Any]: JSON}


class HeldComment(Base):
    """A comment the checker held for review, and the moderator's decision once taken."""

    __tablename__ = "held_comments"

    seq: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    id: Mapped[str] = mapped_column(String(32), unique=True)
    site: Mapped[str] = mapped_column(String(200))
    status: Mapped[str] = mapped_column(String(16), default="pending")
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    text_field: Mapped[str] = mapped_column(String(200))
    #: Text fields as typed (emails excluded); NULL after the retention purge.
    fields: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)
    #: Email field name -> keyed hash of the normalised address.
    email_hashes: Mapped[dict[str, Any]] = mapped_column(JSON)
    ip_hash: Mapped[str | None] = mapped_column(String(64), nullable=True)
    findings: Mapped[list[Any]] = mapped_column(JSON)
    scores: Mapped[dict[str, Any]] = mapped_column(JSON)
    policy: Mapped[str] = mapped_column(String(200))
    model: Mapped[str | None] = mapped_column(String(200), nullable=True)
    language: Mapped[str | None] = mapped_column(String(16), nullable=True)
    decision: Mapped[str | None] = mapped_column(String(16), nullable=True)
    label: Mapped[str | None] = mapped_column(String(16), nullable=True)
    decided_by: Mapped[str | None] = mapped_column(String(200), nullable=True)
    decided_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    purged_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    #: The checker's own decision: `review` (held, status `pending`) or `reject` (kept as
    #: `auto_rejected` so a moderator can reverse a wrong rejection).
    verdict: Mapped[str] = mapped_column(String(16), default="review", server_default="review")
    #: The request's `context.article_url` and `context.article_title`.
    article_url: Mapped[str | None] = mapped_column(String(2048), nullable=True)
    article_title: Mapped[str | None] = mapped_column(String(2048), nullable=True)
    #: The findings' codes as " code1 code2 " (space on each side), for filtering by code.
    codes: Mapped[str] = mapped_column(String(2000), default=" ", server_default=" ")
    #: The classifier's propaganda score (NULL: not scored), for score filters and bands.
    score: Mapped[float | None] = mapped_column(Float, nullable=True)
    #: The keyed hash of the first email field: the commenter's history on the site.
    commenter_hash: Mapped[str | None] = mapped_column(String(64), nullable=True)
    #: The moderator's rejection reason code and note to the commenter.
    reason: Mapped[str | None] = mapped_column(String(64), nullable=True)
    note: Mapped[str | None] = mapped_column(Text, nullable=True)

    __table_args__ = (Index("ix_held_site_status_seq", "site", "status", "seq"),
                      Index("ix_held_created_at", "created_at"),
                      Index("ix_held_site_ip_status", "site", "ip_hash", "status"),
                      Index("ix_held_status_seq", "status", "seq"),
                      Index("ix_held_site_commenter", "site", "commenter_hash", "status"))


class Label(Base):
    """One labelled text for training: from a moderator's decision or POST /v1/labels."""

    __tablename__ = "labels"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    text: Mapped[str] = mapped_column(Text)
    label: Mapped[str] = mapped_column(String(16))
    lang: Mapped[str] = mapped_column(String(16))
    #: `moderator` (a queue decision) or `api` (POST /v1/labels).
    origin: Mapped[str] = mapped_column(String(16))
    comment_id: Mapped[str | None] = mapped_column(
        String(32), ForeignKey("held_comments.id", ondelete="SET NULL"), nullable=True,
        unique=True)
    created_by: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    #: The site of the held comment it came from (NULL for POST /v1/labels without one).
    site: Mapped[str | None] = mapped_column(String(200), nullable=True)
    #: `active` (trains), `flagged` (retrain's cross-check disagreed: excluded from training
    #: until a moderator confirms it) or `confirmed` (a moderator looked again; never flagged).
    status: Mapped[str] = mapped_column(String(16), default="active", server_default="active")
    #: The cross-validated probability of propaganda that got the label flagged.
    flag_score: Mapped[float | None] = mapped_column(Float, nullable=True)
    flagged_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    confirmed_by: Mapped[str | None] = mapped_column(String(200), nullable=True)
    confirmed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True),
                                                          nullable=True)

    __table_args__ = (Index("ix_labels_status_id", "status", "id"),
                      Index("ix_labels_site_id", "site", "id"))


class RetrainRun(Base):
    """One `moderator retrain`: its number picks the labels' held-back fold (run mod folds)."""

    __tablename__ = "retrain_runs"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    started_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    folds: Mapped[int] = mapped_column(Integer)
    fold: Mapped[int] = mapped_column(Integer)
    candidate: Mapped[str | None] = mapped_column(String(200), nullable=True)
    decision: Mapped[str | None] = mapped_column(String(16), nullable=True)
    finished_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)


class DecisionLog(Base):
    """The audit log: every decision and undo, who took it, when, and what it overrode.

    Rows are never updated or deleted (an undo is a row of its own); the retention purge
    leaves them alone, and they hold no comment text.
    """

    __tablename__ = "decision_log"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    moderator: Mapped[str] = mapped_column(String(200))
    #: `approve`, `reject` or `undo`.
    action: Mapped[str] = mapped_column(String(16))
    comment_id: Mapped[str] = mapped_column(String(32))
    site: Mapped[str] = mapped_column(String(200))
    label: Mapped[str | None] = mapped_column(String(16), nullable=True)
    reason: Mapped[str | None] = mapped_column(String(64), nullable=True)
    note: Mapped[str | None] = mapped_column(Text, nullable=True)
    #: What the entry overrode: `checker:review`, `checker:reject`, or for an undo the
    #: decision undone (`approve by alice`).
    overrode: Mapped[str] = mapped_column(String(300))
    #: The comment's propaganda score and finding codes when it was decided.
    score: Mapped[float | None] = mapped_column(Float, nullable=True)
    codes: Mapped[str] = mapped_column(String(2000), default=" ")

    __table_args__ = (Index("ix_decision_log_site_id", "site", "id"),
                      Index("ix_decision_log_comment", "comment_id"))


class AdminSession(Base):
    """A signed-in moderator of the page: the cookie holds a random token, this its digest."""

    __tablename__ = "admin_sessions"

    token_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    #: The admin key's name and its digest's first 16 hex digits: a key removed from the
    #: config (or given a new secret) ends its sessions.
    moderator: Mapped[str] = mapped_column(String(200))
    key_fingerprint: Mapped[str] = mapped_column(String(16))
    csrf_token: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    expires_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))

    __table_args__ = (Index("ix_admin_sessions_expires", "expires_at"),)


class WebhookDelivery(Base):
    """The outbox: one message to a site's webhook, written in the transaction of the
    decision it tells of, so neither exists without the other. Holds no comment text."""

    __tablename__ = "webhook_deliveries"

    seq: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    #: Sent as X-Moderator-Delivery: a receiver can drop a delivery it has already seen.
    id: Mapped[str] = mapped_column(String(32), unique=True)
    site: Mapped[str] = mapped_column(String(200))
    #: `comment.approved`, `comment.rejected`, `comment.undone` or `ping`.
    event: Mapped[str] = mapped_column(String(32))
    comment_id: Mapped[str | None] = mapped_column(String(32), nullable=True)
    url: Mapped[str] = mapped_column(String(2048))
    #: The JSON body exactly as it is signed and sent.
    body: Mapped[str] = mapped_column(Text)
    #: `pending` (due at next_attempt_at), `sending` (claimed until lease_until),
    #: `delivered` or `failed` (gave up after max_attempts).
    status: Mapped[str] = mapped_column(String(16))
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    max_attempts: Mapped[int] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    next_attempt_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    lease_until: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    lease_token: Mapped[str | None] = mapped_column(String(32), nullable=True)
    delivered_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True),
                                                          nullable=True)
    last_status_code: Mapped[int | None] = mapped_column(Integer, nullable=True)
    last_error: Mapped[str | None] = mapped_column(String(300), nullable=True)

    __table_args__ = (Index("ix_webhook_due", "status", "next_attempt_at"),
                      Index("ix_webhook_site_seq", "site", "seq"))


class WebhookAttempt(Base):
    """One try of a delivery: when, the receiver's status code or why there was none."""

    __tablename__ = "webhook_attempts"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    delivery_id: Mapped[str] = mapped_column(
        String(32), ForeignKey("webhook_deliveries.id", ondelete="CASCADE"))
    number: Mapped[int] = mapped_column(Integer)
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    status_code: Mapped[int | None] = mapped_column(Integer, nullable=True)
    #: `timeout`, `connection refused`, `HTTP 500`...: never the receiver's answer body.
    error: Mapped[str | None] = mapped_column(String(300), nullable=True)
    duration_ms: Mapped[int] = mapped_column(Integer)

    __table_args__ = (Index("ix_webhook_attempts_delivery", "delivery_id", "id"),)
