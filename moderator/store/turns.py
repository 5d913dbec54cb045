"""Write turns on SQLite: one write transaction at a time per process, comments committed together.

SQLite has one write lock per database, and with `synchronous = FULL` every commit holds
it through an fsync (about 4 ms on a plain disk). Left to themselves, a process's threads
wait for it in SQLite's busy handler, which polls with growing sleeps (up to 100 ms each):
the thread that has waited longest sleeps through the moments the lock is free and loses
it to newcomers again and again, so under load a few writes waited over a second, and a
request past the client's timeout failed (docs/performance.md, "The tail of held
comments"). Here the threads of a process queue for a turn instead, woken as soon as the
writer before them is done, and the holder of the turn takes a lock file beside the
database (tried every millisecond) before SQLite's lock, so the workers take turns too.

The comments the checker holds or keeps are the writes of nearly every request that
writes: those queued while a turn is taken are written by the next writer in one
transaction, each in its own savepoint (one comment's failure fails only its request),
with one commit and one fsync. Every request still answers only after its comment is
committed. On PostgreSQL none of this applies: each write is its own transaction, as the
server queues writers fairly itself.
"""

from __future__ import annotations

import fcntl
import os
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from pathlib import Path
from typing import Any, TypeVar, cast

from sqlalchemy import exc
from sqlalchemy.orm import Session

T = TypeVar("T")
#: Most comments one transaction writes together.
MAX_TOGETHER = 64
#: Seconds between tries for the lock between processes.
_POLL_SECONDS = 0.001


class _Job:
    """One request's writes, waiting for (or done in) a writer's transaction."""

    __slots__ = ("deadline", "done", "error", "result", "taken", "work")

    def __init__(self, work: Callable[[Session], Any], deadline: float) -> None:
        self.work = work
        self.deadline = deadline  # for the turn and the lock between processes
        self.taken = False  # in a writer's transaction: its outcome is on the way
        self.done = False
        self.result: Any = None
        self.error: BaseException | None = None

    def outcome(self) -> Any:
        if self.error is not None:
            raise self.error
        return self.result


class WriteTurns:
    """Turns at the write lock of one store, for the threads of this process.

    `begin` opens a write transaction. `serial` (SQLite): one writer at a time in this
    process, and, with a `lock_file`, in all processes: the writer holds the file's lock
    for its transaction, tried every millisecond (SQLite's own wait sleeps up to 100 ms
    between tries, and a process that keeps writing would starve the other). A write
    that has not got both within `timeout` raises sqlalchemy's TimeoutError (a store
    error: 503), so it waits at most about twice the store timeout, here and then in
    SQLite's handler (for writers other than this code). Turns are not reentrant: a
    write inside another times out, as it would on SQLite's own lock.
    """

    def __init__(self, begin: Callable[[], AbstractContextManager[Session]], *, serial: bool,
                 timeout: float, lock_file: Path | None = None) -> None:
        self._begin = begin
        self._serial = serial
        self._timeout = timeout
        self._lock_file = lock_file
        self._fd: tuple[int, int] | None = None  # (pid, descriptor): never one a fork shares
        self._changed = threading.Condition()
        self._writing = False
        self._queued: list[_Job] = []

    @contextmanager
    def turn(self) -> Iterator[None]:
        """Hold the write turn (for a transaction of any kind)."""
        if not self._serial:
            yield
            return
        deadline = time.monotonic() + self._timeout
        with self._changed:
            while self._writing:
                self._wait_until(deadline)
            self._writing = True
        try:
            with self._between_processes(deadline):
                yield
        finally:
            self._give_back()

    def together(self, work: Callable[[Session], T]) -> T:
        """`work(session)` committed, possibly in one transaction with other threads' work.

        Returns what `work` returned, or raises what it (or the transaction) raised.
        """
        if not self._serial:
            with self._begin() as session:
                return work(session)
        job = _Job(work, time.monotonic() + self._timeout)
        with self._changed:
            self._queued.append(job)
        while True:
            with self._changed:
                while self._writing and not job.done:
                    if job.taken:
                        self._changed.wait()
                        continue
                    try:
                        self._wait_until(job.deadline)
                    except exc.TimeoutError:
                        self._queued.remove(job)
                        raise
                if job.done:
                    return cast(T, job.outcome())
                self._writing = True  # this thread writes what is queued, oldest first
                batch, self._queued = self._queued[:MAX_TOGETHER], self._queued[MAX_TOGETHER:]
                for queued in batch:
                    queued.taken = True
            try:
                self._write(batch)
            finally:
                self._give_back()

    def _wait_until(self, deadline: float) -> None:
        """Wait for a change (the condition held); TimeoutError once `deadline` is past."""
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            raise exc.TimeoutError(f"no write turn within {self._timeout:g} s")
        self._changed.wait(remaining)

    def _write(self, batch: list[_Job]) -> None:
        """One transaction for the batch; a savepoint each when there are several."""
        try:
            with self._between_processes(min(job.deadline for job in batch)), \
                    self._begin() as session:
                for job in batch:
                    if len(batch) == 1:
                        job.result = job.work(session)
                        continue
                    try:
                        with session.begin_nested():
                            job.result = job.work(session)
                    except Exception as error:  # that request's answer, not the others'
                        job.error = error
        except BaseException as error:  # the transaction failed: none of it is stored
            for job in batch:
                job.error = job.error or error
            if not isinstance(error, Exception):
                raise
        finally:
            for job in batch:
                job.done = True

    @contextmanager
    def _between_processes(self, deadline: float) -> Iterator[None]:
        """The lock file's exclusive lock, tried every millisecond until `deadline`."""
        if self._lock_file is None:
            yield
            return
        try:
            fd = self._descriptor()
            while True:
                try:
                    fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                    break
                except BlockingIOError:
                    if time.monotonic() >= deadline:
                        raise exc.TimeoutError(
                            f"no write turn within {self._timeout:g} s") from None
                    time.sleep(_POLL_SECONDS)
        except OSError as error:  # an unwritable folder: a store outage (503), as SQLite's
            raise exc.OperationalError(None, None, error) from error
        try:
            yield
        finally:
            fcntl.flock(fd, fcntl.LOCK_UN)

    def _descriptor(self) -> int:
        assert self._lock_file is not None
        if self._fd is None or self._fd[0] != os.getpid():
            fd = os.open(self._lock_file, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o666)
            self._fd = (os.getpid(), fd)
        return self._fd[1]

    def close(self) -> None:
        """Close this process's descriptor of the lock file (a fork's copy is left alone)."""
        if self._fd is not None and self._fd[0] == os.getpid():
            os.close(self._fd[1])
        self._fd = None

    def _give_back(self) -> None:
        with self._changed:
            self._writing = False
            self._changed.notify_all()
