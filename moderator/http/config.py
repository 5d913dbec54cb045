"""Configuration layers: defaults, then MODERATOR_* environment variables, then test config."""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Any

from moderator.service import DEFAULT_MODELS_DIR, DEFAULT_POLICY_DIR

DEFAULTS: dict[str, Any] = {
    "POLICY_DIR": str(DEFAULT_POLICY_DIR),
    "MODELS_DIR": str(DEFAULT_MODELS_DIR),
    "MAX_BODY_BYTES": 64 * 1024,
}

_ENV_CASTS: dict[str, type] = {"POLICY_DIR": str, "MODELS_DIR": str, "MAX_BODY_BYTES": int}


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
            raise ValueError(f"MODERATOR_{key}={raw!r} is not a valid {cast.__name__}") from exc
    return found
