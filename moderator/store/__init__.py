"""Review queue and labels: SQLAlchemy 2 on a SQLite file by default, PostgreSQL by URL."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from moderator.store.engine import DEFAULT_TIMEOUT_SECONDS, make_engine, sqlite_path, upgrade
from moderator.store.errors import LabelNotFound, StoreError
from moderator.store.labels import LABEL_STATUSES, TRAINING_STATUSES, LabelRecord, LabelRow
from moderator.store.moderation import QUEUES, AuditEntry, DecidedRow, QueueFilter, UndoRefused
from moderator.store.privacy import keyed_hash, load_or_create_key, parse_key
from moderator.store.sessions import SessionRecord
from moderator.store.store import (
    DECISIONS,
    DEFAULT_MAX_PENDING,
    DEFAULT_MAX_PENDING_PER_IP,
    DEFAULT_MAX_REJECTED,
    DEFAULT_RETENTION_DAYS,
    LABELS,
    MAX_NOTE,
    REASONS,
    STATUSES,
    AlreadyDecided,
    NotFound,
    QueueFull,
    QueueItem,
    Store,
    TooManyPending,
    store_error_name,
)
from moderator.store.webhooks import (
    DELIVERY_STATUSES,
    AttemptRecord,
    DeliveryJob,
    DeliveryNotFound,
    DeliveryRecord,
    Outgoing,
    RetryRefused,
)

VAR_DIR = Path(__file__).resolve().parents[2] / "var"
DEFAULT_DATABASE_URL = f"sqlite:///{VAR_DIR / 'moderator.sqlite3'}"

__all__ = [
    "DECISIONS",
    "DEFAULT_DATABASE_URL",
    "DEFAULT_MAX_PENDING",
    "DEFAULT_MAX_PENDING_PER_IP",
    "DEFAULT_MAX_REJECTED",
    "DEFAULT_RETENTION_DAYS",
    "DELIVERY_STATUSES",
    "LABELS",
    "LABEL_STATUSES",
    "MAX_NOTE",
    "QUEUES",
    "REASONS",
    "STATUSES",
    "TRAINING_STATUSES",
    "AlreadyDecided",
    "AttemptRecord",
    "AuditEntry",
    "DecidedRow",
    "DeliveryJob",
    "DeliveryNotFound",
    "DeliveryRecord",
    "LabelNotFound",
    "LabelRecord",
    "LabelRow",
    "NotFound",
    "Outgoing",
    "QueueFilter",
    "QueueFull",
    "QueueItem",
    "RetryRefused",
    "SessionRecord",
    "Store",
    "StoreError",
    "TooManyPending",
    "UndoRefused",
    "keyed_hash",
    "make_engine",
    "open_store",
    "store_error_name",
    "upgrade",
]


def hash_key_for(config: Mapping[str, Any], url: str) -> bytes:
    """HASH_KEY from config, else a key file beside the SQLite file (or in var/) made once.

    With several hosts on one PostgreSQL, set MODERATOR_HASH_KEY on all of them so
    the same address hashes the same everywhere.
    """
    raw = config.get("HASH_KEY")
    if raw:
        return parse_key(str(raw))
    db_file = sqlite_path(url)
    folder = db_file.parent if db_file else VAR_DIR
    return load_or_create_key(folder / "hash.key")


def _setting(config: Mapping[str, Any], key: str, default: float | None) -> float | None:
    value = config.get(key, default)
    return default if value in (None, "") else float(value)


def open_store(config: Mapping[str, Any], *, migrate: bool = True) -> Store:
    """The store the config names, migrated (unless `migrate` is false).

    Settings: DATABASE_URL, HASH_KEY, RETENTION_DAYS (0: keep text of decided comments
    for ever), MAX_PENDING_PER_SITE and MAX_PENDING_PER_IP (0: no cap),
    MAX_REJECTED_PER_SITE (comments the checker rejected kept for a moderator to reverse;
    0: none), STORE_TIMEOUT_SECONDS.
    """
    url = str(config.get("DATABASE_URL") or DEFAULT_DATABASE_URL)
    retention = _setting(config, "RETENTION_DAYS", DEFAULT_RETENTION_DAYS)
    max_pending = _setting(config, "MAX_PENDING_PER_SITE", DEFAULT_MAX_PENDING)
    per_ip = _setting(config, "MAX_PENDING_PER_IP", DEFAULT_MAX_PENDING_PER_IP)
    rejected = _setting(config, "MAX_REJECTED_PER_SITE", DEFAULT_MAX_REJECTED)
    timeout = _setting(config, "STORE_TIMEOUT_SECONDS", DEFAULT_TIMEOUT_SECONDS)
    return Store.open(url, hash_key_for(config, url), int(retention) if retention else None,
                      migrate, max_pending=int(max_pending) if max_pending else None,
                      max_pending_per_ip=int(per_ip) if per_ip else None,
                      max_rejected=int(rejected) if rejected else None,
                      timeout=timeout or DEFAULT_TIMEOUT_SECONDS)
