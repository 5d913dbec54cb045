"""The gunicorn worker `moderator serve` runs: gthread, with every client bounded in time.

Why not the sync worker: it gives one connection the whole process while it reads, so two
idle or byte-a-second connections stop a two-worker server. This worker is gunicorn's
threaded worker with three changes:

* a new connection waits on the worker's poller, not in a thread, until its first bytes
  arrive (gthread would park a thread on it for 5 s first); idle ones are closed after
  `keepalive` seconds;
* a connection a thread is serving gets `REQUEST_DEADLINE` seconds for the whole request
  (headers, body, answer); a client still trickling bytes then has its socket shut down, so a
  slow client costs one thread for a bounded time, never the worker;
* the worker dies with the master (Linux PR_SET_PDEATHSIG), so a killed master leaves no
  orphan serving stale code and holding the port.

A malformed Transfer-Encoding is a 400 like any other framing error (gunicorn says 501).
"""

from __future__ import annotations

import contextlib
import ctypes
import errno
import os
import selectors
import signal
import socket
import threading
import time
from functools import partial
from typing import Any

from gunicorn import util
from gunicorn.http.errors import UnsupportedTransferCoding
from gunicorn.workers.gthread import TConn, ThreadWorker

#: Seconds a client gets to send one whole request and take its answer.
REQUEST_DEADLINE = float(os.environ.get("MODERATOR_REQUEST_DEADLINE", "10"))
_PR_SET_PDEATHSIG = 1
#: An unread body larger than this is not drained for keep-alive: the connection closes.
_DRAIN_LIMIT = 64 * 1024


def die_with_parent(sig: int = signal.SIGTERM) -> None:
    """Ask Linux to send `sig` when the parent (the master) dies; a no-op elsewhere."""
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(_PR_SET_PDEATHSIG, int(sig), 0, 0, 0)
    except (OSError, AttributeError):
        return


class BoundedThreadWorker(ThreadWorker):  # type: ignore[misc]
    """gthread where neither an idle nor a trickling client can hold a thread for long."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._busy: dict[TConn, float] = {}
        self._busy_lock = threading.Lock()

    def init_process(self) -> None:
        die_with_parent()
        if os.getppid() != self.ppid:  # the master died before the line above
            os._exit(0)
        super().init_process()

    def accept(self, listener: socket.socket) -> None:
        """Accept, then wait for the first bytes on the poller instead of in a thread."""
        try:
            client, addr = listener.accept()
        except OSError as exc:
            if exc.errno not in (errno.EAGAIN, errno.ECONNABORTED, errno.EWOULDBLOCK):
                raise
            return
        self.nr_conns += 1
        conn = TConn(self.cfg, client, addr, listener.getsockname())
        conn.timeout = time.monotonic() + self.cfg.keepalive
        self.pending_conns.append(conn)
        self.poller.register(client, selectors.EVENT_READ,
                             partial(self.on_pending_socket_readable, conn))

    def handle(self, conn: TConn) -> Any:
        with self._busy_lock:
            self._busy[conn] = time.monotonic() + REQUEST_DEADLINE
        try:
            return super().handle(conn)
        finally:
            with self._busy_lock:
                self._busy.pop(conn, None)

    def murder_pending(self) -> None:
        """Besides gthread's idle connections, cut the requests past their deadline."""
        super().murder_pending()
        now = time.monotonic()
        with self._busy_lock:
            late = [conn for conn, deadline in self._busy.items() if deadline < now]
            for conn in late:
                del self._busy[conn]
        for conn in late:
            # The serving thread's read or write now fails, and it closes the socket.
            with contextlib.suppress(OSError):
                conn.sock.shutdown(socket.SHUT_RDWR)
            self.log.info("Request from a client too slow to finish in %.0f s; cut",
                          REQUEST_DEADLINE)

    def _keepalive_after(self, conn: TConn, keepalive: bool) -> bool:
        """Close at once when a large body was left unread (a 413); drain a small one briefly.

        gthread would wait up to 5 s for the client to send a body nobody will read.
        """
        if not keepalive:
            return False
        reader = getattr(getattr(conn.parser.mesg, "body", None), "reader", None)
        if getattr(reader, "length", 0) > _DRAIN_LIMIT:
            return False
        return bool(conn.parser.finish_body(deadline=time.monotonic() + 1.0))

    def handle_error(self, req: Any, client: Any, addr: Any, exc: BaseException) -> None:
        if isinstance(exc, UnsupportedTransferCoding):
            self.log.warning("Invalid request: %s", exc)
            try:
                util.write_error(client, 400, "Bad Request",
                                 f"{exc}; send Transfer-Encoding: chunked or Content-Length")
            except Exception:
                self.log.debug("Failed to send error message.")
            return
        super().handle_error(req, client, addr, exc)
