"""Review queue and labels: SQLAlchemy 2 on a SQLite file by default, PostgreSQL by URL."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from moderator.store.engine import make_engine, sqlite_path, upgrade
from moderator.store.privacy import keyed_hash, load_or_create_key, parse_key
from moderator.store.store import (
    DECISIONS,
    LABELS,
    STATUSES,
    AlreadyDecided,
    LabelRow,
    NotFound,
    QueueItem,
    Store,
    StoreError,
)

VAR_DIR = Path(__file__).resolve().parents[2] / "var"
DEFAULT_DATABASE_URL = f"sqlite:///{VAR_DIR / 'moderator.sqlite3'}"

__all__ = [
    "DECISIONS", "DEFAULT_DATABASE_URL", "LABELS", "STATUSES", "AlreadyDecided", "LabelRow",
    "NotFound", "QueueItem", "Store", "StoreError", "keyed_hash", "make_engine",
    "open_store", "upgrade",
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


def open_store(config: Mapping[str, Any]) -> Store:
    """The store the config names (DATABASE_URL, HASH_KEY, RETENTION_DAYS), migrated."""
    url = str(config.get("DATABASE_URL") or DEFAULT_DATABASE_URL)
    retention = config.get("RETENTION_DAYS")
    return Store.open(url, hash_key_for(config, url),
                      int(retention) if retention not in (None, "") else None)
