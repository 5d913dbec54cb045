"""Configuration layers: defaults, then a TOML file, then MODERATOR_* variables, then test config.

The file is named by MODERATOR_CONFIG (or `--config`); its `[moderator]` table takes the
same keys in lower case (`policy_dir`, `max_body_bytes`, ...). Relative paths in the file
are relative to the file.
"""

from __future__ import annotations

import os
import tomllib
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from moderator.errors import ModeratorError
from moderator.paths import DEFAULT_MODELS_DIR, DEFAULT_POLICY_DIR
from moderator.store import (
    DEFAULT_DATABASE_URL,
    DEFAULT_MAX_PENDING,
    DEFAULT_MAX_PENDING_PER_IP,
    DEFAULT_MAX_REJECTED,
    DEFAULT_RETENTION_DAYS,
)
from moderator.store.engine import DEFAULT_TIMEOUT_SECONDS

DEFAULTS: dict[str, Any] = {
    "POLICY_DIR": str(DEFAULT_POLICY_DIR),
    "MODELS_DIR": str(DEFAULT_MODELS_DIR),
    "MAX_BODY_BYTES": 64 * 1024,
    # The review queue's store: a SQLite file under var/ unless a URL names PostgreSQL.
    "DATABASE_URL": DEFAULT_DATABASE_URL,
    "RETENTION_DAYS": DEFAULT_RETENTION_DAYS,
    "MAX_PENDING_PER_SITE": DEFAULT_MAX_PENDING,
    "MAX_PENDING_PER_IP": DEFAULT_MAX_PENDING_PER_IP,
    "MAX_REJECTED_PER_SITE": DEFAULT_MAX_REJECTED,
    "STORE_TIMEOUT_SECONDS": DEFAULT_TIMEOUT_SECONDS,
    # The moderators' page (/moderate): how long a decision can be undone, a sign-in lasts.
    "UNDO_SECONDS": 30,
    "SESSION_HOURS": 12,
    # Flood limits' counters: Redis shared by every worker and host, else each worker's memory.
    "REDIS_URL": "",
    "REDIS_KEY_PREFIX": "moderator",
    # The site whose policy the demo page at /demo posts to ("": no demo page).
    "DEMO_SITE": "default",
}

_ENV_CASTS: dict[str, type] = {"POLICY_DIR": str, "MODELS_DIR": str, "MAX_BODY_BYTES": int,
                               # Store and moderators: see README "Moderators".
                               "DATABASE_URL": str, "ADMIN_KEYS": str, "HASH_KEY": str,
                               # 12-character key=site pairs: README "Akismet clients".
                               "AKISMET_KEYS": str,
                               "RETENTION_DAYS": int, "MAX_PENDING_PER_SITE": int,
                               "MAX_PENDING_PER_IP": int, "MAX_REJECTED_PER_SITE": int,
                               # The moderators' page: README "The moderators' page".
                               "UNDO_SECONDS": int, "SESSION_HOURS": int,
                               "STORE_TIMEOUT_SECONDS": float,
                               # Flood limits: see README "Flood limits".
                               "REDIS_URL": str, "REDIS_KEY_PREFIX": str,
                               # Coral's external moderation phase: README "Coral Talk".
                               "CORAL_SECRETS": str, "CORAL_SITES": str,
                               # The widget: README "The comment-form widget".
                               "DEMO_SITE": str, "WIDGET_ORIGINS": str,
                               # Sites' webhooks: site=secret pairs, README "Webhooks";
                               # WEBHOOK_WORKER=false: this process sends none.
                               "WEBHOOK_SECRETS": str, "WEBHOOK_WORKER": str}
#: Settings that may not be negative.
_NON_NEGATIVE = {"MAX_BODY_BYTES", "RETENTION_DAYS", "MAX_PENDING_PER_SITE",
                 "MAX_PENDING_PER_IP", "MAX_REJECTED_PER_SITE", "UNDO_SECONDS"}
#: Keys holding paths: resolved against the config file's folder when relative.
_PATH_KEYS = {"POLICY_DIR", "MODELS_DIR"}


class ConfigError(ModeratorError):
    """A setting in the environment or the config file is invalid; names where."""


def from_environment(environ: Mapping[str, str] = os.environ) -> dict[str, Any]:
    """Settings named MODERATOR_<KEY> in the environment, cast to the default's type."""
    found: dict[str, Any] = {}
    for key, cast in _ENV_CASTS.items():
        raw = environ.get(f"MODERATOR_{key}")
        if raw is None:
            continue
        try:
            found[key] = cast(raw)
        except ValueError as exc:
            raise ConfigError(f"MODERATOR_{key}={raw!r} is not a valid {cast.__name__}") from exc
        _check_range(f"MODERATOR_{key}", key, found[key])
    return found


def _check_range(where: str, key: str, value: Any) -> None:
    if key in _NON_NEGATIVE and value < 0:
        raise ConfigError(f"{where}: must not be negative")
    if key == "STORE_TIMEOUT_SECONDS" and not 0 < value <= 60:
        raise ConfigError(f"{where}: must be more than 0 and at most 60 seconds")
    if key == "SESSION_HOURS" and not 1 <= value <= 24 * 30:
        raise ConfigError(f"{where}: must be from 1 to 720 hours")


def from_file(path: Path) -> dict[str, Any]:
    """The `[moderator]` table of a TOML config file, checked key by key."""
    try:
        data = tomllib.loads(Path(path).read_text(encoding="utf-8"))
    except OSError as exc:
        raise ConfigError(f"{path}: cannot be read: {exc.strerror}") from exc
    except (UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise ConfigError(f"{path}: is not valid UTF-8 TOML: {exc}") from exc
    unknown_tables = sorted(set(data) - {"moderator"})
    if unknown_tables:
        raise ConfigError(f"{path}: {unknown_tables[0]}: is not a known table (use [moderator])")
    found: dict[str, Any] = {}
    for name, value in data.get("moderator", {}).items():
        key = name.upper()
        cast = _ENV_CASTS.get(key)
        if cast is None or name != name.lower():
            raise ConfigError(f"{path}: moderator.{name}: is not a known setting")
        if cast is float and isinstance(value, int):
            value = float(value)
        if not isinstance(value, cast) or isinstance(value, bool):
            raise ConfigError(f"{path}: moderator.{name}: must be {cast.__name__}")
        _check_range(f"{path}: moderator.{name}", key, value)
        if key in _PATH_KEYS:
            value = str((Path(path).parent / value).resolve())
        found[key] = value
    return found


def load(
    environ: Mapping[str, str] = os.environ, config_file: Path | None = None
) -> dict[str, Any]:
    """Defaults, then the config file (argument or MODERATOR_CONFIG), then the environment."""
    settings = dict(DEFAULTS)
    file = config_file or environ.get("MODERATOR_CONFIG")
    if file:
        settings.update(from_file(Path(file)))
    settings.update(from_environment(environ))
    return settings
