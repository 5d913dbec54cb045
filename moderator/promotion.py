"""Promote and roll back model versions: `CURRENT` says what runs, `HISTORY` what ran before.

`HISTORY` (beside `CURRENT`) is a stack of promoted versions, newest last; rollback
pops the top and points `CURRENT` at the one below. A version is loaded and verified
(sha256, scikit-learn version) before `CURRENT` may name it, so running servers, which
follow `CURRENT` (see `moderator.hotswap`), never get pointed at a model they cannot load.
"""

from __future__ import annotations

import fcntl
import json
import os
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from moderator.classifier.model import CARD, load_model
from moderator.classifier.registry import model_dir, set_current
from moderator.errors import ModelError

HISTORY = "HISTORY"


def current_version(models_dir: Path, name: str) -> str | None:
    try:
        return (Path(models_dir) / name / "CURRENT").read_text(encoding="utf-8").strip() or None
    except OSError:
        return None


def history(models_dir: Path, name: str) -> list[str]:
    try:
        text = (Path(models_dir) / name / HISTORY).read_text(encoding="utf-8")
    except OSError:
        return []
    return [line.strip() for line in text.splitlines() if line.strip()]


def _write_history(models_dir: Path, name: str, versions: list[str]) -> None:
    path = Path(models_dir) / name / HISTORY
    tmp = path.with_suffix(".tmp")
    tmp.write_text("".join(v + "\n" for v in versions), encoding="utf-8")
    os.replace(tmp, path)


@contextmanager
def _locked(models_dir: Path, name: str) -> Iterator[list[str]]:
    """The history under an exclusive lock, with the running version on top of it."""
    folder = Path(models_dir) / name
    folder.mkdir(parents=True, exist_ok=True)
    with (folder / ".lock").open("a") as fh:
        fcntl.flock(fh, fcntl.LOCK_EX)
        stack = history(models_dir, name)
        running = current_version(models_dir, name)
        if running and (not stack or stack[-1] != running):
            stack.append(running)  # CURRENT was set by other means (train --promote)
        yield stack


def promote(models_dir: Path, name: str, version: str) -> str | None:
    """Verify `version` loads, then make it current; returns the version it replaced."""
    load_model(model_dir(models_dir, name, version))  # raises ModelError if unsafe
    with _locked(models_dir, name) as stack:
        previous = stack[-1] if stack else None
        if previous != version:
            stack.append(version)
        _write_history(models_dir, name, stack)
        set_current(models_dir, name, version)
    return previous


def rollback(models_dir: Path, name: str) -> tuple[str, str]:
    """Go back to the version promoted before the current one; returns (from, to)."""
    with _locked(models_dir, name) as stack:
        if len(stack) < 2:
            raise ModelError(f"model {name!r}: no earlier promoted version to roll back to")
        undone = stack.pop()
        target = stack[-1]
        load_model(model_dir(models_dir, name, target))
        _write_history(models_dir, name, stack)
        set_current(models_dir, name, target)
    return undone, target


def list_versions(models_dir: Path, name: str) -> list[dict[str, Any]]:
    """Every version directory with a card: when, headline metrics, gate verdict, current."""
    folder = Path(models_dir) / name
    running = current_version(models_dir, name)
    rows = []
    for card_path in sorted(folder.glob(f"*/{CARD}"), key=lambda p: p.stat().st_mtime):
        version = card_path.parent.name
        try:
            card = json.loads(card_path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            card = {}
        metrics = card.get("metrics", {}).get("random_split_validation", {})
        gate = None
        report = card_path.parent / "comparison.json"
        if report.is_file():
            gate = json.loads(report.read_text(encoding="utf-8")).get("decision")
        rows.append({"version": version, "current": version == running,
                     "created": datetime.fromtimestamp(card_path.stat().st_mtime, UTC)
                     .strftime("%Y-%m-%dT%H:%M:%SZ"), "roc_auc": metrics.get("roc_auc"),
                     "gate": gate})
    return rows
