"""A tiny model trained on a sample of the shared data, in a temp dir (never in the repo)."""

from __future__ import annotations

from pathlib import Path

import pytest

from moderator.classifier.recipe import train_and_save
from moderator.classifier.train import Params


@pytest.fixture(scope="session")
def tiny_model_dir(sample_csvs: list[Path], tiny_params: Params,
                   tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("models") / "propaganda" / "tiny"
    train_and_save(sample_csvs, out, tiny_params)
    return out
