"""Flood limits under real `moderator serve` processes: the counts live in Redis, so they
survive every worker being replaced and are shared by two servers on two ports.

The memory store's contrast is tested too (fresh workers start from nothing), which is
what makes the Redis runs evidence rather than luck of which worker answered.
"""

from __future__ import annotations

import os
import signal
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from moderator.servertest import LiveServer, Response, alive, copy_site

pytestmark = pytest.mark.slow
HASH_KEY = "5eed" * 16
EMAIL = "flood@example.org"
Factory = Callable[..., LiveServer]


def payload(text: str, email: str = EMAIL, ip: str = "198.51.100.20") -> dict[str, object]:
    return {"site": "default", "context": {"ip": ip},
            "fields": {"comment": text, "name": "Reader", "email": email}}


@pytest.fixture
def start(tmp_path: Path) -> Iterator[Factory]:
    """Servers of one site copy each (own database), with the default policy's [flood] on
    at 3 comments per commenter per 10 minutes (a window no slow machine outlasts)."""
    servers: list[LiveServer] = []

    def factory(name: str, env: dict[str, str]) -> LiveServer:
        root = tmp_path / name
        root.mkdir()
        policies, models = copy_site(root, flood=True)
        policy = policies / "default.toml"
        text = policy.read_text(encoding="utf-8")
        policy.write_text(text.replace('per_commenter = "5 per 60 seconds; 30 per hour"',
                                       'per_commenter = "3 per 600 seconds"'), encoding="utf-8")
        server = LiveServer(root, {
            "MODERATOR_POLICY_DIR": str(policies), "MODERATOR_MODELS_DIR": str(models),
            "MODERATOR_DATABASE_URL": f"sqlite:///{root / 'store.sqlite3'}",
            "MODERATOR_HASH_KEY": HASH_KEY, "HOME": str(root), "XDG_RUNTIME_DIR": "", **env},
            workers=2)
        servers.append(server)
        return server.start()

    yield factory
    for server in servers:
        server.stop()


def replace_every_worker(server: LiveServer) -> None:
    """SIGKILL both workers and wait for two new ones: nothing of the old memory is left."""
    old = server.worker_pids()
    assert len(old) == 2
    for pid in old:
        os.kill(pid, signal.SIGKILL)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        pids = server.worker_pids()
        if not any(alive(p) for p in old) and len(pids) == 2 and not set(pids) & set(old):
            server.wait_ready(30)
            return
        time.sleep(0.2)
    raise AssertionError(server.log()[-3000:])


def accepted(response: Response) -> bool:
    return response.status == 200 and response.json()["decision"] == "accept"


def assert_limited(response: Response) -> None:
    assert response.status == 429, response.body
    assert response.json()["error"]["code"] == "too_many_comments"
    assert 1 <= int(response.headers["Retry-After"]) <= 600


def redis_env(redis_prefix: tuple[str, str]) -> dict[str, str]:
    url, prefix = redis_prefix
    return {"MODERATOR_REDIS_URL": url, "MODERATOR_REDIS_KEY_PREFIX": prefix}


def test_with_redis_the_limit_outlives_every_worker(start: Factory,
                                                    redis_prefix: tuple[str, str]) -> None:
    server = start("one", redis_env(redis_prefix))
    assert server.wait_ready()["status"] == "ok"
    assert all(accepted(server.check(payload(f"Comment number {i}."))) for i in range(3))
    replace_every_worker(server)
    assert_limited(server.check(payload("Comment number 3.")))
    assert accepted(server.check(payload("Someone else.", email="other@example.org")))


def test_in_memory_each_new_worker_starts_from_nothing(start: Factory) -> None:
    """The contrast: without Redis the count is per worker (README says so)."""
    server = start("memory", {})
    assert all(accepted(server.check(payload(f"Comment number {i}."))) for i in range(3))
    replace_every_worker(server)
    assert accepted(server.check(payload("Comment number 3.")))


def test_two_servers_on_two_ports_share_one_redis(start: Factory,
                                                  redis_prefix: tuple[str, str]) -> None:
    first = start("first", redis_env(redis_prefix))
    second = start("second", redis_env(redis_prefix))
    assert first.port != second.port
    assert accepted(first.check(payload("Said on the first server.")))
    repeat = second.check(payload("said on the FIRST server."))
    assert repeat.status == 200 and repeat.json()["decision"] == "review"
    assert [f["code"] for f in repeat.json()["findings"]] == ["flood.repeat"]
    assert accepted(first.check(payload("A third comment.")))  # 3 of 3 across both
    assert_limited(second.check(payload("A fourth comment.")))
    assert_limited(first.check(payload("A fifth comment.")))
