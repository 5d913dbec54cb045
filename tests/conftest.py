"""Fixtures shared by the whole suite."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parent.parent


def shared_data_path() -> Path:
    """Where the labelled data lives: $MODERATOR_SHARED_DATA or ../shared/data beside the repo."""
    configured = os.environ.get("MODERATOR_SHARED_DATA")
    return Path(configured) if configured else REPO_ROOT.parent / "shared" / "data"


@pytest.fixture(scope="session")
def shared_data() -> Path:
    """The shared labelled CSVs; tests that need them skip with a reason where they are absent."""
    path = shared_data_path()
    if not (path / "README.md").is_file():
        pytest.skip(f"shared labelled data not found at {path} (set MODERATOR_SHARED_DATA)")
    return path
