"""Each worker's view of the promoted models, swapped when `models/<name>/CURRENT` changes.

Promotion rewrites CURRENT by rename, so its inode changes; every worker stats the
file (and the card and artifact of the version it names) at most once per `interval`
and, on a change, loads the named version *before* swapping it in with one assignment.
A request takes one snapshot at its start and uses it to the end, so it never mixes
models, and nothing waits for a restart. A new
version that fails to load is reported and the running model stays; it is tried again
when its files change, so a models folder synced to each host may deliver CURRENT before
the version's files (see README, "Several hosts").
"""

from __future__ import annotations

import logging
import os
import threading
import time
from collections.abc import Iterable, Mapping
from pathlib import Path

from moderator.classifier.model import ARTIFACT, CARD
from moderator.classifier.registry import model_dir
from moderator.errors import ModelError

log = logging.getLogger(__name__)
DEFAULT_INTERVAL = 1.0

Snapshot = tuple[Mapping[str, object | None], Mapping[str, str]]
Signature = tuple[object, ...] | None


def _stat(path: Path) -> tuple[int, int, int] | None:
    try:
        st = os.stat(path)
    except OSError:
        return None
    return (st.st_ino, st.st_mtime_ns, st.st_size)


def _signature(pointer: Path) -> Signature:
    """CURRENT's stat and the stats of the named version's card and artifact: a version
    whose files arrive after CURRENT (a sync, a slow copy) changes it, and is loaded then."""
    stat = _stat(pointer)
    if stat is None:
        return None
    try:
        version = pointer.read_text(encoding="utf-8").strip()
    except (OSError, UnicodeDecodeError):
        return (stat,)
    try:
        folder = model_dir(pointer.parent.parent, pointer.parent.name, version)
    except ModelError:
        return (stat, version)  # the load refuses it and says why
    return (stat, version, _stat(folder / CARD), _stat(folder / ARTIFACT))


class ModelWatcher:
    """Models by name as of the last look at their CURRENT files."""

    def __init__(self, models_dir: Path, names: Iterable[str],
                 interval: float = DEFAULT_INTERVAL) -> None:
        self.models_dir = Path(models_dir)
        self.names = tuple(sorted(set(names)))
        self.interval = interval
        self._lock = threading.Lock()
        self._seen: dict[str, Signature] = {}
        self._snapshot: Snapshot = ({}, {})
        self._next_check = 0.0
        self.refresh()

    def snapshot(self) -> Snapshot:
        """(models, errors) to use for one whole request; refreshed when due."""
        if time.monotonic() >= self._next_check:
            self.refresh()
        return self._snapshot

    def refresh(self) -> None:
        """Look at every CURRENT now; load and swap in whatever changed."""
        if not self._lock.acquire(blocking=False):
            return  # another thread of this process is already refreshing
        try:
            self._next_check = time.monotonic() + self.interval
            models, errors = dict(self._snapshot[0]), dict(self._snapshot[1])
            changed = False
            for name in self.names:
                pointer = self.models_dir / name / "CURRENT"
                signature = _signature(pointer)
                if name in self._seen and signature == self._seen[name]:
                    continue
                self._seen[name] = signature
                changed |= self._load(name, models, errors)
            if changed:
                self._snapshot = (models, errors)  # one assignment: the atomic swap
        finally:
            self._lock.release()

    def _load(self, name: str, models: dict[str, object | None],
              errors: dict[str, str]) -> bool:
        from moderator.service import load_current_model

        running = models.get(name)
        try:
            model = load_current_model(self.models_dir, name)
        except ModelError as exc:
            if running is None:
                errors[name] = str(exc)
                models[name] = None
            else:  # keep serving what works; say why the promotion did not take
                errors[name] = f"kept {running.version}: {exc}"  # type: ignore[attr-defined]
            log.warning("model %s not swapped: %s", name, exc)
            return True
        if running is not None and running.version == model.version:  # type: ignore[attr-defined]
            return errors.pop(name, None) is not None
        models[name] = model
        errors.pop(name, None)
        log.info("model %s now %s", name, model.version)
        return True
