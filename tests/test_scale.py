"""Several hosts: two real `moderator serve` (2 workers each) on two ports, sharing one
PostgreSQL database, one Redis (a key prefix of this test's own) and one models folder.

What README's "Several hosts" promises, tried: a flood limit holds across both servers, a
comment held on one is in the other's queue and decided once, and one `moderator models
promote` on the shared folder reaches every worker of both.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from moderator.servertest import HELD, LiveServer, Response, copy_site
from moderator.store.testing import PostgresUnavailable, own_database

pytestmark = pytest.mark.slow
HASH_KEY = "5ca1e" * 8
ADMIN_KEY = "alice-secret-0123456789"
AUTH = {"Authorization": f"Bearer {ADMIN_KEY}"}
NEW_VERSION = "scale-2"


@pytest.fixture
def shared_database() -> Iterator[str]:
    """A database of this test's own on the shared PostgreSQL, dropped afterwards."""
    try:
        with own_database("moderator_scale") as url:
            yield url
    except PostgresUnavailable as exc:
        if os.environ.get("CI"):
            raise
        pytest.skip(str(exc))


def shared_models(root: Path) -> tuple[Path, str]:
    """The repo's promoted model, plus a copy of it under NEW_VERSION (its card says so):
    two loadable versions, so a promotion shows in every verdict's `model`."""
    _, models = copy_site(root)
    folder = models / "propaganda"
    current = (folder / "CURRENT").read_text(encoding="utf-8").strip()
    shutil.copytree(folder / current, folder / NEW_VERSION)
    card_path = folder / NEW_VERSION / "card.json"
    card = json.loads(card_path.read_text(encoding="utf-8"))
    card["version"] = f"propaganda/{NEW_VERSION}"
    card_path.write_text(json.dumps(card), encoding="utf-8")
    return models, f"propaganda/{current}"


@pytest.fixture
def hosts(tmp_path: Path, shared_database: str,
          redis_prefix: tuple[str, str]) -> Iterator[tuple[LiveServer, LiveServer, Path, str]]:
    """Two hosts: each its own copy of rules/ (flood at 3 per commenter per 10 minutes) and
    working folder; database, Redis, models, hash key and admin keys shared."""
    models, running = shared_models(tmp_path / "shared")
    url, prefix = redis_prefix
    servers = []
    for name in ("host-a", "host-b"):
        root = tmp_path / name
        root.mkdir()
        policies, _ = copy_site(root, flood=True)
        policy = policies / "default.toml"
        policy.write_text(policy.read_text(encoding="utf-8").replace(
            'per_commenter = "5 per 60 seconds; 30 per hour"',
            'per_commenter = "3 per 600 seconds"'), encoding="utf-8")
        servers.append(LiveServer(root, {
            "MODERATOR_POLICY_DIR": str(policies), "MODERATOR_MODELS_DIR": str(models),
            "MODERATOR_DATABASE_URL": shared_database,
            "MODERATOR_REDIS_URL": url, "MODERATOR_REDIS_KEY_PREFIX": prefix,
            "MODERATOR_HASH_KEY": HASH_KEY, "MODERATOR_ADMIN_KEYS": f"alice={ADMIN_KEY}",
            "HOME": str(root), "XDG_RUNTIME_DIR": ""}, workers=2))
    try:
        for server in servers:
            server.start()
        yield servers[0], servers[1], models, running
    finally:
        for server in servers:
            server.stop()


def payload(text: str, email: str) -> dict[str, object]:
    return {"site": "default", "context": {"ip": "198.51.100.30"},
            "fields": {"comment": text, "name": "Reader", "email": email}}


def decision(response: Response) -> str:
    assert response.status == 200, response.body
    return str(response.json()["decision"])


def assert_limited(response: Response) -> None:
    assert response.status == 429, response.body
    assert response.json()["error"]["code"] == "too_many_comments"


def model_versions(server: LiveServer) -> set[str]:
    health = server.request("GET", "/healthz").json()
    return {m["version"] for m in health["models"]}


def test_flood_limit_holds_across_both_hosts(
        hosts: tuple[LiveServer, LiveServer, Path, str]) -> None:
    a, b, _, _ = hosts
    email = "flood@example.org"
    assert a.port != b.port
    assert decision(a.check(payload("Said on the first host.", email))) == "accept"
    repeat = b.check(payload("said on the FIRST host.", email))
    assert decision(repeat) == "review"
    assert [f["code"] for f in repeat.json()["findings"]] == ["flood.repeat"]
    assert decision(a.check(payload("A third comment.", email))) == "accept"  # 3 of 3
    assert_limited(b.check(payload("A fourth comment.", email)))
    assert_limited(a.check(payload("A fifth comment.", email)))
    assert decision(b.check(payload("Someone else.", "other@example.org"))) == "accept"


def test_held_on_one_host_is_decided_once_on_either(
        hosts: tuple[LiveServer, LiveServer, Path, str]) -> None:
    a, b, _, _ = hosts
    held = a.check(HELD)
    assert decision(held) == "review"
    comment_id = held.json()["id"]
    queue = b.request("GET", "/v1/queue?site=default", headers=AUTH)
    assert queue.status == 200, queue.body
    assert comment_id in [item["id"] for item in queue.json()["items"]]
    decided = b.request("POST", f"/v1/queue/{comment_id}/decision",
                        {"decision": "reject", "label": "other"}, headers=AUTH)
    assert decided.status == 200, decided.body
    seen = a.request("GET", "/v1/queue?site=default&status=rejected", headers=AUTH).json()
    [item] = [i for i in seen["items"] if i["id"] == comment_id]
    assert item["decision"]["decided_by"] == "alice"
    pending = a.request("GET", "/v1/queue?site=default", headers=AUTH).json()
    assert comment_id not in [i["id"] for i in pending["items"]]
    again = a.request("POST", f"/v1/queue/{comment_id}/decision",
                      {"decision": "approve", "label": "other"}, headers=AUTH)
    assert again.status == 409, again.body
    assert again.json()["error"]["code"] == "already_decided"


def test_one_promotion_reaches_every_worker_of_both_hosts(
        hosts: tuple[LiveServer, LiveServer, Path, str]) -> None:
    a, b, models, running = hosts
    new = f"propaganda/{NEW_VERSION}"
    assert model_versions(a) == model_versions(b) == {running}
    env = {**os.environ, "MODERATOR_MODELS_DIR": str(models)}
    promoted = subprocess.run([sys.executable, "-m", "moderator", "models", "promote",
                               NEW_VERSION], env=env, capture_output=True, text=True,
                              timeout=120, check=False)
    assert promoted.returncode == 0, promoted.stderr
    deadline = time.monotonic() + 30  # a bound for a slow machine, not a measurement
    while not model_versions(a) == model_versions(b) == {new}:
        assert time.monotonic() < deadline, (model_versions(a), model_versions(b))
        time.sleep(0.2)
    time.sleep(1.5)  # past the watcher's 1 s interval: every worker has looked at CURRENT
    for server in (a, b):
        for i in range(8):  # two workers a host: both answer some of these
            verdict = server.check(payload(f"The bus was late again, day {i}.",
                                           f"reader{server.port}-{i}@example.org"))
            assert verdict.status == 200, verdict.body
            assert verdict.json()["model"] == new
        assert model_versions(server) == {new}
