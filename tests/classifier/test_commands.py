"""`moderator score` as a process: what it imports and what it prints."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from moderator.classifier import load_model, resolve_current

MODELS = Path(__file__).resolve().parents[2] / "models"
TEXTS = ["Join the caravan of the mujahideen, brothers", "The council met on Tuesday.", ""]

PROBE = """
import json, sys
from moderator.cli import main
try:
    main(["score", "--batch-size", "2"], standalone_mode=False)
finally:
    heavy = sorted(m for m in ("sklearn", "scipy", "moderator.text", "moderator.service")
                   if m in sys.modules)
    sys.stdout.write(json.dumps({"imported": heavy}) + "\\n")
"""


@pytest.mark.parametrize("pure", ["", "1"])
def test_score_needs_neither_scikit_learn_nor_scipy(pure: str) -> None:
    """A batch-scoring process starts in a fraction of the time when it imports only
    numpy: the weights are plain arrays, the features CSR arrays."""
    lines = "".join(json.dumps({"text": t}) + "\n" for t in TEXTS)
    env = {"MODERATOR_PURE_PYTHON": pure, "PATH": "/usr/bin:/bin"}
    done = subprocess.run([sys.executable, "-c", PROBE], input=lines, capture_output=True,
                          text=True, env=env, timeout=120)
    assert done.returncode == 0, done.stderr[-2000:]
    *scores, last = done.stdout.splitlines()
    assert json.loads(last) == {"imported": []}
    expected = load_model(resolve_current(MODELS)).score(TEXTS)
    assert [json.loads(s)["score"] for s in scores] == [round(s, 6) for s in expected]
