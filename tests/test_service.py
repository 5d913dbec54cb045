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


def test_a_rejected_comment_is_kept_only_when_it_has_text_and_a_store_answers(
        tmp_path: Path) -> None:
    from moderator.service import StoreUnavailable

    url = f"sqlite:///{tmp_path / 'store.sqlite3'}"
    service = Moderator.from_paths(FIXTURES, tmp_path, database_url=url)
    rejected = service.check(Comment(fields={"comment": "kill", "name": "Ann"}, site="strict"))
    assert rejected.decision is Decision.REJECT and rejected.id
    assert service.store is not None
    assert service.store.get(rejected.id).status == "auto_rejected"
    empty = service.check(Comment(fields={"comment": " ", "name": "kill"}, site="strict"))
    assert empty.decision is Decision.REJECT and empty.id is None
    assert service.check(Comment(fields={"comment": "kill", "name": "Ann"}, site="strict"),
                         hold=False).id is None
    assert service.store.count() == {"held_auto_rejected": 1, "labels": 0}
    kept, service._store = service._store, None

    def failing() -> object:
        raise StoreUnavailable("down")

    service._store_opener, service._store_next_try = failing, 0.0  # type: ignore[assignment]
    down = service.check(Comment(fields={"comment": "kill", "name": "Ann"}, site="strict"))
    assert down.decision is Decision.REJECT and down.id is None  # rejected all the same
    kept.close()  # type: ignore[union-attr]
