"""A real `moderator serve` on a free 127.0.0.1 port, for process-level tests and bench/.

Used by the tests of serving (worker restarts, slow clients, reloads, orphans) and by
bench/fault_injection.py: one subprocess, its own policy and model folders, its own
database, always stopped (and its workers with it) by `stop()`.
"""

from __future__ import annotations

import http.client
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from moderator.paths import PROJECT_ROOT

#: A comment the default policy holds for review (a phone number), so it is written.
HELD = {"site": "default",
        "fields": {"comment": "Selling my bike, call me on +7 701 234 5678 after six.",
                   "name": "Reader", "email": "reader@example.org"}}
#: A comment the default policy accepts: needs no database.
ACCEPTED = {"site": "default", "fields": {"comment": "The bus was late again this morning.",
                                          "name": "Reader", "email": "reader@example.org"}}


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def copy_site(root: Path, *, flood: bool = False) -> tuple[Path, Path]:
    """Copies of the repo's rules/ and models/ (only the promoted version) under `root`.

    The default policy's `[flood]` limits are switched off unless `flood`: tests and bench
    post the same comment from the same commenter many times on purpose.
    """
    rules = root / "rules"
    shutil.copytree(PROJECT_ROOT / "rules", rules)
    if not flood:
        policy = rules / "policies" / "default.toml"
        text = policy.read_text(encoding="utf-8")
        policy.write_text(text.replace("[flood]\nenabled = true", "[flood]\nenabled = false"),
                          encoding="utf-8")
    models = root / "models"
    for name_dir in (PROJECT_ROOT / "models").iterdir():
        current = (name_dir / "CURRENT").read_text(encoding="utf-8").strip()
        (models / name_dir.name).mkdir(parents=True)
        shutil.copytree(name_dir / current, models / name_dir.name / current)
        shutil.copy2(name_dir / "CURRENT", models / name_dir.name / "CURRENT")
    return rules / "policies", models


def children(pid: int) -> list[int]:
    """The direct children of `pid` (its gunicorn workers), from /proc."""
    try:
        text = Path(f"/proc/{pid}/task/{pid}/children").read_text()
    except OSError:
        return []
    return [int(p) for p in text.split()]


def alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    try:  # a zombie is not serving
        return Path(f"/proc/{pid}/stat").read_text().split(") ", 1)[1][0] != "Z"
    except (OSError, IndexError):
        return False


class Response:
    def __init__(self, status: int, headers: dict[str, str], body: bytes) -> None:
        self.status, self.headers, self.body = status, headers, body

    def json(self) -> Any:
        return json.loads(self.body)


class LiveServer:
    """`python -m moderator serve` with the given environment, on a free port."""

    def __init__(self, root: Path, env: dict[str, str], workers: int = 2,
                 port: int | None = None) -> None:
        self.root = Path(root)
        self.env = {**os.environ, **env}
        self.env.pop("PROMETHEUS_MULTIPROC_DIR", None)
        self.workers = workers
        self.port = port or free_port()
        self.process: subprocess.Popen[bytes] | None = None
        self.log_path = self.root / f"server-{self.port}.log"

    @property
    def pid(self) -> int:
        assert self.process is not None
        return self.process.pid

    def start(self, wait: bool = True, timeout: float = 60) -> LiveServer:
        log = self.log_path.open("ab")
        self.process = subprocess.Popen(
            [sys.executable, "-m", "moderator", "serve", "--port", str(self.port),
             "--workers", str(self.workers)],
            env=self.env, stdout=log, stderr=subprocess.STDOUT, cwd=self.root)
        log.close()
        if wait:
            self.wait_ready(timeout)
        return self

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")

    def wait_ready(self, timeout: float = 60) -> dict[str, Any]:
        """Until /healthz answers and every worker is up; raises with the log if not."""
        deadline = time.monotonic() + timeout
        while True:
            try:
                response = self.request("GET", "/healthz", timeout=5)
                if response.status == 200 and len(self.worker_pids()) >= self.workers:
                    return response.json()  # type: ignore[no-any-return]
            except OSError:
                pass
            if (self.process is not None and self.process.poll() is not None) \
                    or time.monotonic() > deadline:
                raise RuntimeError(f"server not ready:\n{self.log()[-4000:]}")
            time.sleep(0.2)

    def worker_pids(self) -> list[int]:
        return [p for p in children(self.pid) if alive(p)]

    def request(self, method: str, path: str, body: Any = None, timeout: float = 10,
                headers: dict[str, str] | None = None) -> Response:
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=timeout)
        try:
            data = None if body is None else (body if isinstance(body, bytes)
                                              else json.dumps(body).encode())
            sent = {"Content-Type": "application/json", **(headers or {})}
            conn.request(method, path, body=data, headers=sent)
            reply = conn.getresponse()
            return Response(reply.status, dict(reply.getheaders()), reply.read())
        finally:
            conn.close()

    def check(self, payload: Any, timeout: float = 10) -> Response:
        return self.request("POST", "/v1/check", payload, timeout=timeout)

    def raw(self, data: bytes, timeout: float = 10) -> bytes:
        """Send bytes as they are; the reply's bytes up to the server closing or `timeout`."""
        with socket.create_connection(("127.0.0.1", self.port), timeout=timeout) as sock:
            sock.sendall(data)
            sock.shutdown(socket.SHUT_WR)
            chunks = []
            try:
                while chunk := sock.recv(65536):
                    chunks.append(chunk)
            except TimeoutError:
                pass
            return b"".join(chunks)

    def signal(self, sig: int) -> None:
        os.kill(self.pid, sig)

    def stop(self, timeout: float = 20) -> None:
        """TERM the master, then KILL whatever of it and its workers is left."""
        if self.process is None:
            return
        workers = children(self.pid)
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=10)
        for pid in workers:
            if alive(pid):
                os.kill(pid, signal.SIGKILL)
