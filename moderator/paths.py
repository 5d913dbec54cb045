"""Where a checkout keeps what a site edits and what training produces."""

from __future__ import annotations

from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_POLICY_DIR = PROJECT_ROOT / "rules" / "policies"
DEFAULT_MODELS_DIR = PROJECT_ROOT / "models"
