"""Fault injection against a real `moderator serve`, during a bounded write burst.

    .venv/bin/python bench/fault_injection.py [--backend sqlite|postgres|both] [--clients 4]

Clients POST comments the default policy holds for review (each answer with an `id` is an
acknowledged write) while the script, one fault every few seconds: SIGTERMs and SIGKILLs a
worker, HUPs the master, breaks the policy file and HUPs (then restores it), breaks
models/propaganda/CURRENT and kills a worker (then restores it), breaks the database and
restores it, and kill -9s the master and starts the server again on the same port.

The database: SQLite in a temp folder (broken = another process holds its write lock for
a few seconds), and a PostgreSQL of the script's own on a free port, in a temp folder, run
as the `postgres` user when started as root (broken = stopped with pg_ctl, then started).
Never the machine's shared PostgreSQL. Everything works on temp copies of rules/ and
models/ (MODERATOR_POLICY_DIR / MODERATOR_MODELS_DIR), never the repository's own files.

At the end every acknowledged id is looked up in the store. Printed per backend: requests,
acknowledged writes, acknowledged-but-lost (must be 0), 5xx other than 503 (must be 0),
503s, requests with no answer (connection refused or reset while the master was down), and
whether the server is still up. Exit status 1 if a must-be-0 number is not 0 or the server
is down. Bounded: loopback only, about a minute per backend.
"""

from __future__ import annotations

import argparse
import contextlib
import http.client
import json
import os
import shutil
import signal
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from pathlib import Path

from sqlalchemy import select

from moderator.servertest import HELD, LiveServer, alive, copy_site, free_port
from moderator.store import make_engine
from moderator.store.schema import HeldComment

PAUSE = 3.0  # seconds between faults: the burst runs on through each


class Burst:
    """Client threads posting held comments until stopped; counts every outcome."""

    def __init__(self, port: int, clients: int) -> None:
        self.port = port
        self.clients = clients
        self.stop = threading.Event()
        self.outcomes: Counter[str] = Counter()
        #: The fault in progress, and the outcomes seen during each.
        self.phase = "start"
        self.by_phase: dict[str, Counter[str]] = {}
        self.acknowledged: list[str] = []
        self._lock = threading.Lock()
        self._threads = [threading.Thread(target=self._run, args=(k,), daemon=True)
                         for k in range(clients)]

    def __enter__(self) -> Burst:
        for t in self._threads:
            t.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop.set()
        for t in self._threads:
            t.join(timeout=30)

    def _run(self, k: int) -> None:
        n = 0
        while not self.stop.is_set():
            n += 1
            body = json.loads(json.dumps(HELD))
            body["fields"]["comment"] += f" ({k}-{n})"
            outcome, comment_id = self._post(body)
            with self._lock:
                self.outcomes[outcome] += 1
                self.by_phase.setdefault(self.phase, Counter())[outcome] += 1
                if comment_id:
                    self.acknowledged.append(comment_id)
            if outcome == "no answer":
                time.sleep(0.1)  # the master is being restarted

    def _post(self, body: dict[str, object]) -> tuple[str, str | None]:
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=15)
        try:
            conn.request("POST", "/v1/check", json.dumps(body).encode(),
                         {"Content-Type": "application/json"})
            reply = conn.getresponse()
            data = reply.read()
        except (OSError, http.client.HTTPException):
            return "no answer", None
        finally:
            conn.close()
        if reply.status == 200:
            verdict = json.loads(data)
            return ("acknowledged", verdict["id"]) if verdict.get("id") else (
                f"200 {verdict['decision']}", None)
        if reply.status == 503 and not reply.getheader("Retry-After"):
            return "503 without Retry-After", None
        return str(reply.status), None


# -- the databases ---------------------------------------------------------------------

class SqliteDb:
    name = "sqlite"

    def __init__(self, root: Path) -> None:
        self.path = root / "store.sqlite3"
        self.url = f"sqlite:///{self.path}"

    @contextlib.contextmanager
    def broken(self) -> Iterator[None]:
        """Another process holds the write lock: writers wait on the busy timeout."""
        conn = sqlite3.connect(self.path, timeout=30, isolation_level=None)
        conn.execute("BEGIN EXCLUSIVE")
        try:
            yield
        finally:
            conn.execute("ROLLBACK")
            conn.close()

    def close(self) -> None:
        pass


class PostgresDb:
    """A PostgreSQL of our own: initdb into a temp folder, a free port, trust on loopback."""

    name = "postgres"

    def __init__(self, root: Path) -> None:
        bins = sorted(Path("/usr/lib/postgresql").glob("*/bin/initdb"))
        if not bins:
            raise RuntimeError("no initdb under /usr/lib/postgresql/*/bin")
        self.bin = bins[-1].parent
        self.data = root / "pgdata"
        self.port = free_port()
        self.as_user: list[str] = []
        if os.geteuid() == 0:  # PostgreSQL refuses to run as root
            self.as_user = ["runuser", "-u", "postgres", "--"]
            os.chmod(root, 0o755)
            self.data.mkdir()
            shutil.chown(self.data, "postgres", "postgres")
        self._run("initdb", "-D", str(self.data), "-A", "trust", "-U", "postgres",
                  "--no-sync")
        self.start()
        self.url = f"postgresql://postgres@127.0.0.1:{self.port}/postgres"

    def _run(self, tool: str, *args: str) -> None:
        subprocess.run([*self.as_user, str(self.bin / tool), *args], check=True,
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, timeout=60)

    def start(self) -> None:
        options = f"-p {self.port} -c listen_addresses=127.0.0.1 -k {self.data} -c fsync=off"
        self._run("pg_ctl", "-D", str(self.data), "-o", options, "-w", "-l",
                  str(self.data / "log"), "start")

    def stop(self) -> None:
        self._run("pg_ctl", "-D", str(self.data), "-m", "fast", "-w", "stop")

    @contextlib.contextmanager
    def broken(self) -> Iterator[None]:
        self.stop()
        try:
            yield
        finally:
            self.start()

    def close(self) -> None:
        with contextlib.suppress(subprocess.SubprocessError, OSError):
            self.stop()


# -- one run ---------------------------------------------------------------------------

def stored_ids(url: str) -> set[str]:
    engine = make_engine(url)
    try:
        with engine.connect() as conn:
            return set(conn.execute(select(HeldComment.id)).scalars())
    finally:
        engine.dispose()


def faults(server: LiveServer, db: SqliteDb | PostgresDb, policies: Path,
           models: Path) -> Iterator[tuple[str, Callable[[], None]]]:
    """(name, action) in order; the caller sleeps PAUSE between them."""
    policy = policies / "default.toml"
    current = models / "propaganda" / "CURRENT"
    good_policy, good_current = policy.read_bytes(), current.read_bytes()

    def kill_worker(sig: int) -> Callable[[], None]:
        return lambda: os.kill(server.worker_pids()[0], sig)

    yield "SIGTERM a worker", kill_worker(signal.SIGTERM)
    yield "SIGKILL a worker", kill_worker(signal.SIGKILL)
    yield "SIGHUP the master", lambda: server.signal(signal.SIGHUP)

    def break_policy() -> None:
        policy.write_text("[policy\nnot toml", encoding="utf-8")
        server.signal(signal.SIGHUP)

    def restore_policy() -> None:
        policy.write_bytes(good_policy)
        server.signal(signal.SIGHUP)

    yield "break the policy file, SIGHUP", break_policy
    yield "restore the policy file, SIGHUP", restore_policy

    def break_current() -> None:
        current.write_text("no-such-version\n", encoding="utf-8")
        os.kill(server.worker_pids()[0], signal.SIGKILL)

    yield "break CURRENT, SIGKILL a worker", break_current
    yield "restore CURRENT", lambda: current.write_bytes(good_current)

    def database_outage() -> None:
        with db.broken():
            time.sleep(PAUSE)

    yield f"break the database ({db.name}) for {PAUSE:.0f} s, restore", database_outage

    def kill_master_and_restart() -> None:
        workers = server.worker_pids()
        server.signal(signal.SIGKILL)
        assert server.process is not None
        server.process.wait(timeout=10)
        deadline = time.monotonic() + 30
        while any(alive(w) for w in workers) and time.monotonic() < deadline:
            time.sleep(0.1)
        server.start(wait=True)

    yield "SIGKILL the master, start again", kill_master_and_restart


def run(backend: str, clients: int, workers: int) -> bool:
    root = Path(tempfile.mkdtemp(prefix="moderator-faults-"))
    db: SqliteDb | PostgresDb | None = None
    server: LiveServer | None = None
    try:
        db = SqliteDb(root) if backend == "sqlite" else PostgresDb(root)
        policies, models = copy_site(root)
        server = LiveServer(root, {"MODERATOR_POLICY_DIR": str(policies),
                                   "MODERATOR_MODELS_DIR": str(models),
                                   "MODERATOR_DATABASE_URL": db.url,
                                   "HOME": str(root)}, workers=workers)
        server.start()
        started = time.monotonic()
        with Burst(server.port, clients) as burst:
            time.sleep(PAUSE)
            for name, action in faults(server, db, policies, models):
                print(f"  [{time.monotonic() - started:5.1f} s] {name}", flush=True)
                burst.phase = name
                action()
                time.sleep(PAUSE)
        for name, counts in burst.by_phase.items():
            print(f"    during {name!r}: {dict(counts)}")
        up = False
        with contextlib.suppress(RuntimeError):
            health = server.wait_ready(timeout=20)
            up = True
            print(f"  /healthz at the end: {health['status']} {health['problems']}")
        seconds = time.monotonic() - started
        lost = set(burst.acknowledged) - stored_ids(db.url)
        outcomes = burst.outcomes
        bad_5xx = sum(n for k, n in outcomes.items() if k.startswith("5") and k != "503")
        # (a 503 without Retry-After counts among them)
        print(f"{backend}: {sum(outcomes.values())} requests in {seconds:.0f} s, "
              f"{clients} clients, {workers} workers")
        print(f"  acknowledged writes:       {len(burst.acknowledged)}")
        print(f"  acknowledged but lost:     {len(lost)} (must be 0)")
        print(f"  5xx other than 503:        {bad_5xx} (must be 0)")
        print(f"  503 with Retry-After:      {outcomes['503']}")
        print(f"  no answer (master down):   {outcomes['no answer']}")
        others = {k: n for k, n in outcomes.items()
                  if k not in ("acknowledged", "503", "no answer") and not k.startswith("5")}
        print(f"  other answers:             {others or 'none'}")
        print(f"  server up at the end:      {'yes' if up else 'NO'}")
        return not lost and bad_5xx == 0 and up
    finally:
        if server is not None:
            server.stop()
        if db is not None:
            db.close()
        shutil.rmtree(root, ignore_errors=True)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--backend", choices=("sqlite", "postgres", "both"), default="both")
    parser.add_argument("--clients", type=int, default=4)
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args()
    backends = ("sqlite", "postgres") if args.backend == "both" else (args.backend,)
    ok = True
    for backend in backends:
        print(f"== {backend}", flush=True)
        try:
            ok &= run(backend, args.clients, args.workers)
        except (RuntimeError, subprocess.SubprocessError, OSError) as exc:
            if backend == "postgres" and args.backend == "both":
                print(f"postgres: skipped, cannot run a PostgreSQL of our own: {exc}")
                continue
            raise
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
