"""Where a checkout keeps what a site edits and what training produces."""

from __future__ import annotations

import re
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_POLICY_DIR = PROJECT_ROOT / "rules" / "policies"
DEFAULT_MODELS_DIR = PROJECT_ROOT / "models"

#: An absolute POSIX path (no spaces or quotes): its last part is all a reader needs.
_ABSOLUTE_PATH = re.compile(r"(?<![\w.:/])/(?:[^\s'\"/:]+/)*([^\s'\"/:]*)")


def strip_paths(message: str) -> str:
    """`message` with every absolute path cut to its file name, for public answers.

    /healthz is unauthenticated: a model or policy error must not tell a stranger where
    the deployment lives (`/srv/app/models/propaganda/CURRENT` -> `CURRENT`).
    """
    return _ABSOLUTE_PATH.sub(lambda m: m.group(1) or "/", message)
