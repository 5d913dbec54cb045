"""The `moderator` command: `check` on stdin, and `serve` as a real gunicorn process."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner

from moderator.cli import main

REPO = Path(__file__).resolve().parents[1]
STRICT = REPO / "tests" / "fixtures" / "policies" / "strict.toml"
GOOD = {"comment": "Thanks!", "name": "Ann", "email": "ann@example.com"}


def run_check(stdin: str, *args: str) -> tuple[int, str]:
    result = CliRunner().invoke(main, ["check", "--policy", str(STRICT), *args], input=stdin)
    return result.exit_code, result.output


def test_check_prints_the_verdict() -> None:
    code, output = run_check(json.dumps({"site": "strict", "fields": {**GOOD, "comment": "kill"}}))
    assert code == 0
    verdict = json.loads(output)
    assert verdict["decision"] == "reject"
    assert verdict["findings"][0]["code"] == "banned.word"


def test_check_site_option_overrides_the_request() -> None:
    code, output = run_check(json.dumps({"site": "other", "fields": GOOD}), "--site", "strict")
    assert code == 0 and json.loads(output)["decision"] == "accept"


@pytest.mark.parametrize(
    ("stdin", "words"),
    [
        ("{oops", "not valid JSON"),
        (json.dumps({"site": "nope", "fields": GOOD}), "no policy for site 'nope'"),
        (json.dumps({"site": "strict", "fields": {"comment": 1}}), "must be a string"),
    ],
)
def test_check_errors_exit_nonzero_with_a_message(stdin: str, words: str) -> None:
    code, output = run_check(stdin)
    assert code == 1
    assert words in output


def test_check_reports_a_broken_policy(tmp_path: Path) -> None:
    bad = tmp_path / "bad.toml"
    bad.write_text("[policy]\nsite='s'\n", encoding="utf-8")
    result = CliRunner().invoke(main, ["check", "--policy", str(bad)], input="{}")
    assert result.exit_code == 1
    assert "policy.version: is required" in result.output


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def server(tmp_path: Path) -> Iterator[str]:
    """`moderator serve` as a real process (gunicorn, 2 workers) on a free port."""
    port = free_port()
    env = {**os.environ, "MODERATOR_POLICY_DIR": str(STRICT.parent),
           "MODERATOR_MODELS_DIR": str(tmp_path),
           "MODERATOR_DATABASE_URL": f"sqlite:///{tmp_path / 'store.sqlite3'}"}
    process = subprocess.Popen(
        [sys.executable, "-m", "moderator", "serve", "--port", str(port), "--workers", "2"],
        env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                with urllib.request.urlopen(f"{base}/healthz", timeout=2):
                    break
            except (urllib.error.URLError, ConnectionError, TimeoutError):
                if process.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(process.stderr.read().decode()) from None
                time.sleep(0.2)
        yield base
    finally:
        process.terminate()
        process.wait(timeout=30)
        process.stderr.close()


def post(url: str, body: bytes, content_type: str = "application/json") -> tuple[int, dict]:
    request = urllib.request.Request(url, data=body, headers={"Content-Type": content_type})
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, json.load(response)
    except urllib.error.HTTPError as exc:
        return exc.code, json.load(exc)


@pytest.mark.slow
def test_serve_answers_over_http(server: str) -> None:
    request = {"site": "strict", "fields": {**GOOD, "comment": "a ass"}}
    status, body = post(f"{server}/v1/check", json.dumps(request).encode())
    assert status == 200 and body["decision"] == "reject"
    assert body["findings"][0]["span"] == {"start": 2, "end": 5}
    status, body = post(f"{server}/v1/check", b"{broken")
    assert status == 400 and "not valid JSON" in body["error"]["message"]
    status, body = post(f"{server}/v1/check", b"x" * 70_000)
    assert status == 413


@pytest.mark.slow
def test_serve_refuses_a_10mb_body_without_reading_it(server: str) -> None:
    """Announce 10 MB, send 100 bytes: a 413 must come back at once, not after a read."""
    port = int(server.rsplit(":", 1)[1])
    with socket.create_connection(("127.0.0.1", port), timeout=5) as sock:
        sock.sendall(b"POST /v1/check HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                     b"Content-Length: 10485760\r\n\r\n" + b"x" * 100)
        reply = b""
        while chunk := sock.recv(4096):  # the server closes the connection after a 413
            reply += chunk
    assert reply.startswith(b"HTTP/1.1 413")
    assert b"request_entity_too_large" in reply
