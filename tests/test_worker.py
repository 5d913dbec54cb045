"""The bounded worker under a real `moderator serve`: slow clients and request framing.

Slow-client run: bounded in count (8 idle + 8 trickling connections against 2 workers) and
time (a 2 s request deadline, the whole run well under a minute), 127.0.0.1 only.
"""

from __future__ import annotations

import json
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from moderator.servertest import ACCEPTED, LiveServer, copy_site

pytestmark = pytest.mark.slow
DEADLINE = 2  # MODERATOR_REQUEST_DEADLINE for these servers, in seconds
IDLE = TRICKLING = 8


@pytest.fixture
def server(tmp_path: Path) -> Iterator[LiveServer]:
    policies, models = copy_site(tmp_path)
    server = LiveServer(tmp_path, {
        "MODERATOR_POLICY_DIR": str(policies), "MODERATOR_MODELS_DIR": str(models),
        "MODERATOR_DATABASE_URL": f"sqlite:///{tmp_path / 'store.sqlite3'}",
        "MODERATOR_REQUEST_DEADLINE": str(DEADLINE)}, workers=2)
    try:
        yield server.start()
    finally:
        server.stop()


def trickle(port: int, cut: list[bool], stop: threading.Event) -> None:
    """Send a request one byte every 0.2 s; record whether the server cut us off first."""
    body = json.dumps(ACCEPTED).encode()
    data = (b"POST /v1/check HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
            b"Content-Length: %d\r\n\r\n%s" % (len(body), body))
    with socket.create_connection(("127.0.0.1", port), timeout=5) as sock:
        for byte in data:  # ~40 s to send it all: far past the deadline
            if stop.is_set():
                cut.append(False)
                return
            try:
                sock.sendall(bytes([byte]))
                time.sleep(0.2)
                sock.setblocking(False)
                try:
                    if sock.recv(1) == b"":  # the server closed the connection
                        cut.append(True)
                        return
                except BlockingIOError:
                    pass
                finally:
                    sock.setblocking(True)
            except OSError:  # reset by the server
                cut.append(True)
                return
        cut.append(False)


def test_idle_and_trickling_clients_neither_block_others_nor_stay(server: LiveServer) -> None:
    idle = [socket.create_connection(("127.0.0.1", server.port)) for _ in range(IDLE)]
    stop = threading.Event()
    cut: list[bool] = []
    tricklers = [threading.Thread(target=trickle, args=(server.port, cut, stop))
                 for _ in range(TRICKLING)]
    try:
        for t in tricklers:
            t.start()
        time.sleep(1)  # every slow connection is open and has sent something
        statuses = [server.check(ACCEPTED, timeout=5).status for _ in range(20)]
        assert statuses == [200] * 20  # served beside 16 slow connections on 2 workers
        for t in tricklers:
            t.join(timeout=10 * DEADLINE)
        assert cut == [True] * TRICKLING  # each cut long before it could finish sending
        for sock in idle:  # idle ones are closed after the keep-alive time
            sock.settimeout(10)
            assert sock.recv(1) == b""
    finally:
        stop.set()
        for sock in idle:
            sock.close()
        for t in tricklers:
            t.join(timeout=10)


def chunked(body: bytes, *, size: str | None = None, te: str = "chunked") -> bytes:
    head = (b"POST /v1/check HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
            b"Connection: close\r\nTransfer-Encoding: " + te.encode() + b"\r\n\r\n")
    line = (size or f"{len(body):x}").encode()
    return head + line + b"\r\n" + body + b"\r\n0\r\n\r\n"


def status_of(reply: bytes) -> int:
    return int(reply.split(b" ", 2)[1])


def test_chunked_bodies_are_framed_like_content_length_ones(server: LiveServer) -> None:
    good = json.dumps(ACCEPTED).encode()
    assert status_of(server.raw(chunked(good))) == 200
    # Bad chunk sizes and codings are the client's mistake: 400, never a 500 or 501.
    assert status_of(server.raw(chunked(good, size="zz"))) == 400
    assert status_of(server.raw(chunked(good, size="-5"))) == 400
    assert status_of(server.raw(chunked(good, te="chunked, chunked"))) == 400
    assert status_of(server.raw(chunked(good, te="gzip, chunked"))) == 400
    # Over the 64 KiB limit: 413 as with Content-Length, not cut and then parsed.
    comment = "word " * 14_000
    big = json.dumps({**ACCEPTED, "fields": {**ACCEPTED["fields"], "comment": comment}})
    reply = server.raw(chunked(big.encode()))
    assert status_of(reply) == 413, reply[:300]
    # Cut exactly at the limit the body would still be valid JSON: it must not be parsed.
    limit = 64 * 1024
    exact = b'{"site": "default", "fields": {}}'.ljust(limit) + b" "
    assert status_of(server.raw(chunked(exact))) == 413
