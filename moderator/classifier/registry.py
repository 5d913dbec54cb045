"""Where models live: `models/<name>/<version>/` plus `models/<name>/CURRENT`.

`CURRENT` is one line naming the promoted version, so promoting or rolling back is
one small atomic file write and a server can tell which model it should run.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

from moderator.classifier.model import ARTIFACT, CARD
from moderator.errors import ModelError

DEFAULT_NAME = "propaganda"
_VERSION = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]*")


def model_dir(models_dir: Path, name: str, version: str) -> Path:
    """The directory of one version; refuses names that could escape `models_dir`."""
    for part in (name, version):
        if not _VERSION.fullmatch(part):
            raise ModelError(f"invalid model name or version {part!r}")
    return Path(models_dir) / name / version


def resolve_current(models_dir: Path, name: str = DEFAULT_NAME) -> Path:
    """The directory of the promoted version of `name`, checked to hold a model and card."""
    pointer = Path(models_dir) / name / "CURRENT"
    try:
        version = pointer.read_text(encoding="utf-8").strip()
    except OSError as exc:
        raise ModelError(f"no promoted model: cannot read {pointer}") from exc
    path = model_dir(models_dir, name, version)
    if not (path / ARTIFACT).is_file() or not (path / CARD).is_file():
        raise ModelError(f"{pointer} names {version!r}, but {path} has no {ARTIFACT} and {CARD}")
    return path


def set_current(models_dir: Path, name: str, version: str) -> Path:
    """Point `CURRENT` at `version` atomically (write a temp file, then rename)."""
    path = model_dir(models_dir, name, version)
    if not (path / CARD).is_file():
        raise ModelError(f"cannot promote {version!r}: {path / CARD} is missing")
    pointer = path.parent / "CURRENT"
    tmp = pointer.with_suffix(".tmp")
    tmp.write_text(version + "\n", encoding="utf-8")
    os.replace(tmp, pointer)
    return pointer
