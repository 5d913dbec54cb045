"""Hot swap under load: real `moderator serve` (gunicorn, 3 workers), a promotion mid-run.

Every response must be a 200 whose score is exactly what the model it names gives that
text (so no request mixed two models), and soon after the promotion every worker must
answer with the new model, without a restart. Bounded: 127.0.0.1 only, ~10 s.
"""

from __future__ import annotations

import csv
import json
import os
import random
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from moderator.classifier.model import load_model
from moderator.classifier.recipe import train_and_save
from moderator.classifier.train import Params
from moderator.promotion import promote

POLICY = """
[policy]
site = "hot"
version = "1"

[fields.comment]
label = "Comment"
required = true
max_length = 1500

[classifier]
enabled = true
model = "propaganda"
field = "comment"
"""
TEXTS = ["join the caliphate brothers, the khilafah needs soldiers",
         "police said the attack was condemned by officials",
         "the bus was late again this morning",
         "may allah accept our shaheed, soldiers of the islamic state",
         "terrorists were arrested after the investigation"]
WORKERS = 3
CLIENTS = 4


def synthetic_csv(path: Path) -> Path:
    """A small labelled set in the shared data format; no outside data needed."""
    rng = random.Random(7)
    pools = {label: words.split() for label, words in {
        "propaganda": "join caliphate khilafah soldiers shaheed mujahideen hijrah bayah "
                      "kuffar taghut crusaders dawlah ummah",
        "discusses": "police attack terrorists condemned officials investigation victims "
                     "arrested reported militants extremism",
        "other": "bus morning coffee weather football market school garden music "
                 "train holiday recipe",
    }.items()}
    filler = ["the", "a", "of", "and", "to", "in", "we", "our", "they", "was", "is", "for"]
    with path.open("w", encoding="utf-8", newline="") as fh:
        writer = csv.writer(fh, lineterminator="\r\n")
        writer.writerow(["text", "label", "source", "lang"])
        for label, words in pools.items():
            for i in range(300):
                text = " ".join(rng.choice(words if j % 2 else filler) for j in range(10))
                writer.writerow([f"{text} {i}", label, f"synthetic_{i % 3}", "en"])
    return path


@pytest.fixture(scope="module")
def models(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("hot")
    data = [synthetic_csv(root / "synthetic.csv")]
    models = root / "models"
    train_and_save(data, models / "propaganda" / "v1", Params(n_features=1 << 14, max_iter=100))
    train_and_save(data, models / "propaganda" / "v2", Params(n_features=1 << 14, max_iter=2,
                                                              seed="other-split"))
    promote(models, "propaganda", "v1")
    return models


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def server(models: Path, tmp_path: Path) -> Iterator[str]:
    (tmp_path / "policies").mkdir()
    (tmp_path / "policies" / "hot.toml").write_text(POLICY, encoding="utf-8")
    port = free_port()
    env = {**os.environ, "MODERATOR_POLICY_DIR": str(tmp_path / "policies"),
           "MODERATOR_MODELS_DIR": str(models),
           "MODERATOR_DATABASE_URL": f"sqlite:///{tmp_path / 'store.sqlite3'}"}
    log = (tmp_path / "server.log").open("wb")
    process = subprocess.Popen(
        [sys.executable, "-m", "moderator", "serve", "--port", str(port),
         "--workers", str(WORKERS)], env=env, stdout=log, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                with urllib.request.urlopen(f"{base}/healthz", timeout=5) as response:
                    if json.load(response)["status"] == "ok":
                        break
            except (urllib.error.URLError, ConnectionError, TimeoutError):
                pass
            if process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError((tmp_path / "server.log").read_text(errors="replace"))
            time.sleep(0.2)
        yield base
    finally:
        process.terminate()
        process.wait(timeout=30)
        log.close()


def check(base: str, text: str) -> tuple[str, float]:
    body = json.dumps({"site": "hot", "fields": {"comment": text}}).encode()
    request = urllib.request.Request(f"{base}/v1/check", data=body,
                                     headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=10) as response:
        assert response.status == 200
        verdict = json.load(response)
    return verdict["model"], verdict["scores"]["propaganda"]


@pytest.mark.slow
def test_promotion_under_load_fails_no_request_and_mixes_no_models(models: Path,
                                                                   server: str) -> None:
    expected = {m: dict(zip(TEXTS, load_model(models / "propaganda" / m.split("/")[1])
                            .score(TEXTS), strict=True))
                for m in ("propaganda/v1", "propaganda/v2")}
    assert any(abs(expected["propaganda/v1"][t] - expected["propaganda/v2"][t]) > 1e-3
               for t in TEXTS)
    results: list[tuple[float, str, str, float]] = []
    failures: list[str] = []
    stop = threading.Event()

    def client(k: int) -> None:
        i = k
        while not stop.is_set():
            text = TEXTS[i % len(TEXTS)]
            i += 1
            try:
                model, score = check(server, text)
                results.append((time.monotonic(), text, model, score))
            except Exception as exc:  # every kind of failure counts
                failures.append(f"{type(exc).__name__}: {exc}")

    threads = [threading.Thread(target=client, args=(k,)) for k in range(CLIENTS)]
    started = time.monotonic()
    for t in threads:
        t.start()
    time.sleep(2)
    asked_at = time.monotonic()
    # What `moderator models promote v2` does (the CLI is tested in test_retrain); called
    # in-process because a CLI start-up under this load takes longer than the test itself.
    promote(models, "propaganda", "v2")
    promoted_at = time.monotonic()
    time.sleep(4)  # workers re-read CURRENT at most once a second
    stop.set()
    for t in threads:
        t.join(timeout=30)
    duration = time.monotonic() - started

    print(f"\nhot swap: {len(results)} requests, {len(failures)} failures, "
          f"{duration:.1f} s, {WORKERS} workers, {CLIENTS} clients; promote took "
          f"{promoted_at - asked_at:.2f} s")
    assert failures == []
    assert {model for _, _, model, _ in results} == {"propaganda/v1", "propaganda/v2"}
    for _, text, model, score in results:  # each answer is wholly one model's
        assert score == round(expected[model][text], 4), (model, text, score)
    late = [model for at, _, model, _ in results if at > promoted_at + 2.5]
    assert late and set(late) == {"propaganda/v2"}
    early = [model for at, _, model, _ in results if at < asked_at]
    assert early and set(early) == {"propaganda/v1"}
