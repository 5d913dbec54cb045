"""ModelWatcher in one process: what a models folder synced to each host does to it.

A sync (rsync, a deploy tool) may deliver CURRENT before the version it names, or the
artifact half-written; the watcher keeps the running model, says why, and takes the new
version once its files are whole, with no second promotion. (Hot swap under a real
server's load: tests/test_hot_swap.py.)
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from moderator.hotswap import ModelWatcher
from moderator.servertest import copy_site

NEW = "synced-2"


def test_a_version_that_arrives_after_current_is_taken_when_whole(tmp_path: Path) -> None:
    _, models = copy_site(tmp_path)
    folder = models / "propaganda"
    running = (folder / "CURRENT").read_text(encoding="utf-8").strip()
    watcher = ModelWatcher(models, ["propaganda"], interval=0)
    assert watcher.snapshot()[0]["propaganda"].version == f"propaganda/{running}"  # type: ignore[union-attr]

    (folder / "CURRENT").write_text(NEW + "\n", encoding="utf-8")  # CURRENT first
    kept, errors = watcher.snapshot()
    assert kept["propaganda"].version == f"propaganda/{running}"  # type: ignore[union-attr]
    assert errors["propaganda"].startswith(f"kept propaganda/{running}")

    (folder / NEW).mkdir()
    card = json.loads((folder / running / "card.json").read_text(encoding="utf-8"))
    card["version"] = f"propaganda/{NEW}"
    (folder / NEW / "card.json").write_text(json.dumps(card), encoding="utf-8")
    whole = (folder / running / "model.npz").read_bytes()
    (folder / NEW / "model.npz").write_bytes(whole[: len(whole) // 2])  # half copied
    kept, errors = watcher.snapshot()
    assert kept["propaganda"].version == f"propaganda/{running}"  # type: ignore[union-attr]
    assert "sha256" in errors["propaganda"] or "size" in errors["propaganda"]

    shutil.copyfile(folder / running / "model.npz", folder / NEW / "model.npz")
    swapped, errors = watcher.snapshot()
    assert swapped["propaganda"].version == f"propaganda/{NEW}"  # type: ignore[union-attr]
    assert errors == {}
