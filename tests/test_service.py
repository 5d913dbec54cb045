"""Moderator.from_paths: the Python API a host app embeds (README "Embedding in your app")."""

from __future__ import annotations

from pathlib import Path

import pytest

from moderator import Comment, Decision
from moderator.service import Moderator

FIXTURES = Path(__file__).resolve().parent / "fixtures" / "policies"
HELD = Comment(fields={"comment": "a martyr", "name": "Ann"}, site="strict")


def test_a_database_url_keeps_held_comments_for_moderators(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'store.sqlite3'}"
    service = Moderator.from_paths(FIXTURES, tmp_path, database_url=url)
    verdict = service.check(HELD)
    assert verdict.decision is Decision.REVIEW and verdict.id
    assert service.store is not None
    [item], _ = service.store.queue("strict", "pending", 10, 0)
    assert item.id == verdict.id
    service.store.close()


def test_without_a_database_nothing_is_kept(tmp_path: Path) -> None:
    service = Moderator.from_paths(FIXTURES, tmp_path)
    verdict = service.check(HELD)
    assert verdict.decision is Decision.REVIEW and verdict.id is None
    assert service.store is None


def test_a_database_url_and_a_store_are_one_too_many(tmp_path: Path) -> None:
    store = object()
    with pytest.raises(ValueError, match="not both"):
        Moderator.from_paths(FIXTURES, tmp_path, "sqlite://", store=store)  # type: ignore[arg-type]
