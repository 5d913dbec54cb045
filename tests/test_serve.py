"""`moderator serve` as a real process: worker exits, a database down, broken files, orphans.

Each test starts its own server (gunicorn, 2 workers) on a free 127.0.0.1 port with copies
of rules/ and models/, and stops it (workers included) whatever happens. Waits are bounded
waits for a state, never assertions on how long something took.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from moderator.paths import PROJECT_ROOT
from moderator.servertest import ACCEPTED, HELD, LiveServer, alive, copy_site, free_port

pytestmark = pytest.mark.slow
Factory = Callable[..., LiveServer]


@pytest.fixture
def site(tmp_path: Path) -> dict[str, str]:
    policies, models = copy_site(tmp_path)
    return {"MODERATOR_POLICY_DIR": str(policies), "MODERATOR_MODELS_DIR": str(models),
            "MODERATOR_DATABASE_URL": f"sqlite:///{tmp_path / 'store.sqlite3'}",
            # gunicorn 27 puts its control socket under $HOME unless told otherwise
            "HOME": str(tmp_path), "XDG_RUNTIME_DIR": ""}


@pytest.fixture
def start(tmp_path: Path, site: dict[str, str]) -> Iterator[Factory]:
    servers: list[LiveServer] = []

    def factory(env: dict[str, str] | None = None, **kwargs: object) -> LiveServer:
        server = LiveServer(tmp_path, {**site, **(env or {})}, **kwargs)  # type: ignore[arg-type]
        servers.append(server)
        return server.start()

    yield factory
    for server in servers:
        server.stop()


def wait_for(condition: Callable[[], bool], seconds: float = 30) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.2)
    return condition()


def replaced(server: LiveServer, old: int) -> Callable[[], bool]:
    """True once `old` is gone and the server has its full count of workers again."""
    return lambda: not alive(old) and len(server.worker_pids()) == server.workers


def answers(server: LiveServer) -> None:
    health = server.wait_ready(timeout=30)
    assert health["status"] == "ok", health
    verdict = server.check(ACCEPTED)
    assert verdict.status == 200 and verdict.json()["decision"] == "accept"
    held = server.check(HELD)
    assert held.status == 200 and held.json()["decision"] == "review" and held.json()["id"]


def test_a_worker_exit_of_any_kind_leaves_the_server_up(start: Factory) -> None:
    server = start()
    for sig in (signal.SIGTERM, signal.SIGKILL):
        worker = server.worker_pids()[0]
        os.kill(worker, sig)
        assert wait_for(replaced(server, worker)), server.log()[-3000:]
        answers(server)
    workers = set(server.worker_pids())
    server.signal(signal.SIGHUP)
    assert wait_for(lambda: not workers & set(server.worker_pids())
                    and len(server.worker_pids()) == 2), server.log()[-3000:]
    answers(server)
    metrics = server.request("GET", "/metrics")
    assert metrics.status == 200 and b"moderator_http_requests_total" in metrics.body
    assert server.process is not None and server.process.poll() is None


def test_the_server_starts_and_answers_with_the_database_down(start: Factory) -> None:
    closed = free_port()  # nothing listens here: every connection is refused
    server = start({"MODERATOR_DATABASE_URL":
                    f"postgresql://nobody@127.0.0.1:{closed}/none?connect_timeout=2"})
    health = server.request("GET", "/healthz").json()
    assert health["status"] == "degraded"
    assert any(p.startswith("store:") for p in health["problems"]), health
    accepted = server.check(ACCEPTED)
    assert accepted.status == 200 and accepted.json()["decision"] == "accept"
    held = server.check(HELD)  # must be held, cannot be: never an accept
    assert held.status == 503 and held.headers.get("Retry-After")
    assert held.json()["error"]["code"] == "store_unavailable"
    worker = server.worker_pids()[0]
    os.kill(worker, signal.SIGKILL)  # a worker booting with the database down boots too
    assert wait_for(replaced(server, worker)), server.log()[-3000:]
    assert server.check(ACCEPTED).status == 200


def test_a_store_that_comes_back_is_picked_up(start: Factory, tmp_path: Path) -> None:
    blocker = tmp_path / "later"
    blocker.write_text("a file where the database's folder should be", encoding="utf-8")
    server = start({"MODERATOR_DATABASE_URL": f"sqlite:///{blocker / 'store.sqlite3'}"})
    assert server.check(HELD).status == 503
    blocker.unlink()
    assert wait_for(lambda: server.check(HELD).status == 200)
    # Each worker retries its store every 2 s: the other worker may answer /healthz first.
    assert wait_for(lambda: server.request("GET", "/healthz").json()["status"] == "ok")


def test_a_worker_boots_on_the_last_good_policy_and_model(start: Factory,
                                                          site: dict[str, str]) -> None:
    server = start()
    before = server.check(HELD).json()
    policy = Path(site["MODERATOR_POLICY_DIR"]) / "default.toml"
    current = Path(site["MODERATOR_MODELS_DIR"]) / "propaganda" / "CURRENT"
    policy.write_text("[policy\nbroken", encoding="utf-8")
    current.write_text("no-such-version\n", encoding="utf-8")
    worker = server.worker_pids()[0]
    os.kill(worker, signal.SIGKILL)
    assert wait_for(replaced(server, worker)), server.log()[-3000:]
    server.signal(signal.SIGHUP)  # a reload that cannot take keeps the running policy
    assert wait_for(lambda: "policy" in " ".join(
        server.request("GET", "/healthz").json()["problems"]))
    for _ in range(10):  # whichever worker answers
        verdict = server.check(HELD).json()
        assert (verdict["decision"], verdict["policy"], verdict["model"]) == (
            before["decision"], before["policy"], before["model"])
    health = server.request("GET", "/healthz").json()
    assert health["status"] == "degraded"
    assert any(p.startswith("policy: kept default@") and "default.toml" in p
               for p in health["problems"]), health
    assert any("kept" in p for p in health["problems"] if p.startswith("model")), health
    assert not any(str(PROJECT_ROOT) in p or "/tmp" in p
                   for p in health["problems"] if p.startswith("policy"))


def test_a_policy_edit_reaches_every_worker_on_hup(start: Factory, site: dict[str, str]) -> None:
    server = start(workers=3)
    policy = Path(site["MODERATOR_POLICY_DIR"]) / "default.toml"
    old = server.check(ACCEPTED).json()["policy"]
    text = policy.read_text(encoding="utf-8")
    policy.write_text(text.replace('version = "2026.12.04"', 'version = "edited"'),
                      encoding="utf-8")
    # Until the signal every worker keeps the running version, even a restarted one.
    worker = server.worker_pids()[0]
    os.kill(worker, signal.SIGKILL)
    assert wait_for(replaced(server, worker))
    assert {server.check(ACCEPTED).json()["policy"] for _ in range(12)} == {old}
    digest = server.request("GET", "/healthz").json()["policy_sha256"]
    workers = set(server.worker_pids())
    server.signal(signal.SIGHUP)
    assert wait_for(lambda: not workers & set(server.worker_pids())
                    and len(server.worker_pids()) == 3)
    server.wait_ready()
    assert {server.check(ACCEPTED).json()["policy"] for _ in range(12)} == {"default@edited"}
    health = server.request("GET", "/healthz").json()
    assert health["policies"] == ["default@edited"] and health["policy_sha256"] != digest


def test_workers_die_with_the_master_and_the_port_is_free_again(start: Factory,
                                                                tmp_path: Path) -> None:
    server = start()
    assert not (tmp_path / ".gunicorn").exists()  # no control socket shared per user
    workers = server.worker_pids()
    stop = threading.Event()

    def load() -> None:  # a busy server: gunicorn's own parent check comes too late here
        while not stop.is_set():
            try:
                server.check(ACCEPTED, timeout=2)
            except OSError:
                time.sleep(0.05)

    clients = [threading.Thread(target=load) for _ in range(3)]
    for client in clients:
        client.start()
    try:
        time.sleep(1)
        server.signal(signal.SIGKILL)
        assert server.process is not None
        server.process.wait(timeout=10)
        assert wait_for(lambda: not any(alive(w) for w in workers), 20), workers
    finally:
        stop.set()
        for client in clients:
            client.join(timeout=10)
    again = start(port=server.port)
    answers(again)


def test_the_plain_gunicorn_command_adds_up_every_worker(site: dict[str, str],
                                                         tmp_path: Path) -> None:
    port = free_port()
    env = {**os.environ, **site, "MODERATOR_BIND": f"127.0.0.1:{port}",
           "MODERATOR_WORKERS": "2"}
    env.pop("PROMETHEUS_MULTIPROC_DIR", None)
    log = (tmp_path / "gunicorn.log").open("wb")
    process = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "-c", "api/gunicorn.conf.py", "api.wsgi:app"],
        cwd=PROJECT_ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
    server = LiveServer(tmp_path, site, workers=2, port=port)
    server.process = process  # type: ignore[assignment]
    try:
        server.wait_ready()

        def gauge_pids() -> set[str]:
            metrics = server.request("GET", "/metrics").body.decode()
            return {line.split('pid="')[1].split('"')[0] for line in metrics.splitlines()
                    if line.startswith("moderator_model_info{") and 'pid="' in line}

        # Every worker's gauge shows, whichever worker answers: the folder is shared.
        workers = {str(p) for p in server.worker_pids()}
        assert wait_for(lambda: gauge_pids() == workers, 20), (gauge_pids(), workers)
    finally:
        server.stop()
        log.close()


_FORKED_AFTER_PRELOAD = """
import gc, os, sys
from pathlib import Path
from moderator import preload, serve
repo = Path(sys.argv[1])
preload.preload(repo / "rules" / "policies", repo / "models")
serve._pre_fork(None, None)
pid = os.fork()
if pid == 0:
    gc.collect()
    print(gc.get_freeze_count(), len(gc.get_objects()), flush=True)
    os._exit(0)
os.waitpid(pid, 0)
"""


def test_a_worker_collects_none_of_what_the_master_preloaded() -> None:
    """What gunicorn's master loaded is frozen before each fork: a worker's full garbage
    collection walks only the objects the worker made itself."""
    out = subprocess.run([sys.executable, "-c", _FORKED_AFTER_PRELOAD, str(PROJECT_ROOT)],
                         capture_output=True, text=True, check=True, timeout=120).stdout
    frozen, walked = map(int, out.split())
    assert frozen > 50_000  # the default policy, its word lists and lexicons, the model
    assert walked < frozen / 10
