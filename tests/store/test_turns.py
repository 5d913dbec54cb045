"""Write turns: comments written together are each stored or each refused, never lost."""

from __future__ import annotations

import fcntl
import os
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from sqlalchemy import event
from sqlalchemy.exc import OperationalError, SQLAlchemyError
from sqlalchemy.orm import Session

from moderator.store import Store
from moderator.store.turns import WriteTurns
from moderator.types import Action, Comment, Decision, Finding, Span, Verdict

from .conftest import KEY


def comment(text: str) -> Comment:
    return Comment({"comment": text, "name": "Aigerim"}, site="default")


def verdict(decision: Decision) -> Verdict:
    finding = Finding("suspect.word", "comment", Action(decision.value), "Held.", Span(0, 4))
    return Verdict(decision, (finding,), {"propaganda": 0.7}, "default@1", "m/v1", "en")


def sqlite_store(tmp_path: Path, timeout: float = 5.0) -> Store:
    return Store.open(f"sqlite:///{tmp_path / 'store.sqlite3'}", KEY, timeout=timeout)


def wait_for(condition: Callable[[], bool]) -> None:
    deadline = time.monotonic() + 10
    while not condition():
        assert time.monotonic() < deadline, "the threads never queued"
        time.sleep(0.005)


def in_threads(count: int, work: Callable[[int], object]) -> list[object]:
    """`work(i)` in `count` threads at once; each one's return value or exception."""
    results: list[object] = [None] * count

    def run(i: int) -> None:
        try:
            results[i] = work(i)
        except Exception as exc:  # the test looks at it
            results[i] = exc

    threads = [threading.Thread(target=run, args=(i,)) for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    return results


def test_comments_held_and_kept_by_many_threads_are_all_stored(store: Store) -> None:
    def write(i: int) -> str | None:
        if i % 2:
            return store.keep_rejected(comment(f"rejected {i}"), verdict(Decision.REJECT),
                                       "comment")
        return store.hold(comment(f"held {i}"), verdict(Decision.REVIEW), "comment")

    ids = in_threads(24, write)
    assert all(isinstance(i, str) for i in ids), ids
    assert len(set(ids)) == 24
    texts = {store.get(str(i)).text for i in ids}
    assert texts == {f"{'rejected' if i % 2 else 'held'} {i}" for i in range(24)}
    assert store.count()["held_pending"] == 12 and store.count()["held_auto_rejected"] == 12


def test_writes_queued_behind_a_turn_share_one_transaction_and_fail_alone(
        tmp_path: Path) -> None:
    store = sqlite_store(tmp_path)
    transactions: list[object] = []
    event.listen(store.engine, "begin", lambda conn: transactions.append(conn))
    turns = store._turns

    def fails(session: Session) -> None:
        session.add(store._row(comment("half written"), verdict(Decision.REVIEW), "comment",
                               (), "pending"))
        session.flush()
        raise ValueError("this request's own failure")

    def work(i: int) -> object:
        if i == 1:
            return turns.together(fails)
        return store.hold(comment(f"held {i}"), verdict(Decision.REVIEW), "comment")

    with turns.turn():  # another write of this process is under way
        results: list[object] = []
        worker = threading.Thread(target=lambda: results.extend(in_threads(3, work)))
        worker.start()
        wait_for(lambda: len(turns._queued) == 3)
        transactions.clear()
    worker.join(30)
    assert len(transactions) == 1  # three requests, one transaction and one commit
    assert isinstance(results[1], ValueError)
    assert [store.get(str(results[i])).text for i in (0, 2)] == ["held 0", "held 2"]
    assert store.count()["held_pending"] == 2  # not the failed request's row
    store.close()


def test_a_write_that_waits_too_long_for_its_turn_is_refused_and_never_stored(
        tmp_path: Path) -> None:
    store = sqlite_store(tmp_path, timeout=0.2)
    with store._turns.turn():
        [refused] = in_threads(1, lambda i: store.hold(comment("late"), verdict(Decision.REVIEW),
                                                       "comment"))
        kept = store.keep_rejected(comment("late too"), verdict(Decision.REJECT), "comment")
    assert isinstance(refused, SQLAlchemyError)  # a store error: the HTTP layer's 503
    assert kept is None  # best effort: the comment is rejected either way
    store.hold(comment("on time"), verdict(Decision.REVIEW), "comment")
    assert store.count()["held_pending"] == 1 and "held_auto_rejected" not in store.count()
    store.close()


def test_a_failed_transaction_refuses_every_write_in_it_and_gives_the_turn_back() -> None:
    @contextmanager
    def failing() -> Iterator[Session]:
        raise OperationalError("COMMIT", {}, Exception("disk I/O error"))
        yield  # pragma: no cover

    turns = WriteTurns(failing, serial=True, timeout=5.0)
    results = in_threads(4, lambda i: turns.together(lambda session: i))
    assert all(isinstance(r, OperationalError) for r in results), results
    with turns.turn():  # nothing is left holding it
        pass


def test_another_process_writing_holds_the_turn_until_it_is_done(tmp_path: Path) -> None:
    store = sqlite_store(tmp_path, timeout=0.2)
    other = os.open(tmp_path / "store.sqlite3.write-lock", os.O_RDWR | os.O_CREAT)
    fcntl.flock(other, fcntl.LOCK_EX)  # as another worker's open file holds it
    try:
        with pytest.raises(SQLAlchemyError):
            store.hold(comment("waits"), verdict(Decision.REVIEW), "comment")
    finally:
        fcntl.flock(other, fcntl.LOCK_UN)
        os.close(other)
    store.hold(comment("after"), verdict(Decision.REVIEW), "comment")
    assert store.count()["held_pending"] == 1
    store.close()


def test_without_serial_turns_a_writer_never_waits() -> None:
    calls: list[int] = []

    @contextmanager
    def begin() -> Iterator[Session]:
        calls.append(1)
        yield None  # type: ignore[misc]

    turns = WriteTurns(begin, serial=False, timeout=0.01)  # PostgreSQL's
    with turns.turn():  # no turn to wait for: a second writer goes straight on
        assert turns.together(lambda session: "written") == "written"
    assert calls == [1]



def test_a_lock_file_that_cannot_be_made_is_a_store_outage(tmp_path: Path) -> None:
    @contextmanager
    def begin() -> Iterator[Session]:
        yield None  # type: ignore[misc]

    turns = WriteTurns(begin, serial=True, timeout=1.0,
                       lock_file=tmp_path / "gone" / "store.sqlite3.write-lock")
    with pytest.raises(OperationalError):  # a 503 like SQLite's own errors, never a 500
        turns.together(lambda session: None)
