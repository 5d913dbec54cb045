"""What a model card must say before a model may be saved, promoted or served.

A card with a missing or out-of-range threshold used to load fine and then turn every
classified check into a 500 (missing), switch the classifier off (above 1) or reject
every comment (negative). The card is checked at save, at promote and at every load,
so a model that fails never reaches a request.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from typing import Any

from moderator.errors import ModelError

_SHA256 = re.compile(r"[0-9a-f]{64}")
_FILE = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]*")


def _threshold(card: Mapping[str, Any], name: str, where: str) -> float:
    value = card["thresholds"].get(name)
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ModelError(f"{where}: thresholds.{name} must be a number, got {value!r}")
    if not math.isfinite(value) or not 0.0 < value < 1.0:
        raise ModelError(f"{where}: thresholds.{name} must lie strictly between 0 and 1, "
                         f"got {value!r}")
    return float(value)


def validate_card(card: Any, where: str = "model card") -> None:
    """Raise ModelError naming the first thing wrong with `card`."""
    if not isinstance(card, Mapping):
        raise ModelError(f"{where}: not a JSON object")
    version = card.get("version")
    if not isinstance(version, str) or not version.strip():
        raise ModelError(f"{where}: 'version' must be a non-empty string")
    if not isinstance(card.get("thresholds"), Mapping):
        raise ModelError(f"{where}: 'thresholds' must be an object with review and reject")
    review = _threshold(card, "review", where)
    reject = _threshold(card, "reject", where)
    if review > reject:
        raise ModelError(f"{where}: thresholds.review ({review}) is above thresholds.reject "
                         f"({reject})")
    artifact = card.get("artifact")
    if not isinstance(artifact, Mapping):
        raise ModelError(f"{where}: 'artifact' must be an object with file and sha256")
    if not isinstance(artifact.get("file"), str) or not _FILE.fullmatch(artifact["file"]):
        raise ModelError(f"{where}: artifact.file must be a plain file name")
    if not isinstance(artifact.get("sha256"), str) or not _SHA256.fullmatch(artifact["sha256"]):
        raise ModelError(f"{where}: artifact.sha256 must be 64 lower-case hex digits")
    if card.get("format") != "moderator-linear-ngrams-v1":
        raise ModelError(
            f"{where}: format {card.get('format')!r} is not 'moderator-linear-ngrams-v1'; "
            "older models were pickles, which can run code when loaded: retrain with "
            "`moderator train` (docs/classifier.md)"
        )
    if not isinstance(card.get("features"), Mapping):
        raise ModelError(f"{where}: 'features' must describe the n-gram hashing")
