"""Store failures other than a lost connection: a read-only PostgreSQL, a corrupt SQLite file.

Each is our own outage: 503 with Retry-After on every endpoint that writes (a comment that
must be held is never accepted instead), /healthz says degraded, and no log line, traceback
included, carries the comment's text, the name or a label's text.
"""

from __future__ import annotations

import json
import logging
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
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import create_engine, make_url, text

from moderator.store.testing import POSTGRES_URL, PostgresUnavailable, own_database

REPO = Path(__file__).resolve().parents[2]
KEY = "alice-secret-0123456789"
#: Words that appear nowhere but in what is sent, so finding them in a log is a leak.
COMMENT = "martyr Zqxwvb"
NAME = "Jkvqzx"
LABEL_TEXT = "Vqzxjk Wplmq label text"
SECRETS = ("Zqxwvb", "Jkvqzx", "Vqzxjk")


def make_app(url: str) -> Flask:
    """Not TESTING: Flask then handles (and logs) unhandled errors as it does in production."""
    from moderator.http import create_app

    return create_app({"POLICY_DIR": str(REPO / "tests" / "fixtures" / "policies"),
                       "DATABASE_URL": url, "ADMIN_KEYS": f"alice={KEY}",
                       "MODELS_DIR": str(REPO / "models")})


def assert_unavailable_everywhere(client: FlaskClient, caplog: pytest.LogCaptureFixture,
                                  capfd: pytest.CaptureFixture[str], reason: str) -> None:
    auth = {"Authorization": f"Bearer {KEY}"}
    with caplog.at_level(logging.DEBUG):
        responses = [
            client.post("/v1/check", json={"site": "strict",
                                           "fields": {"comment": COMMENT, "name": NAME}}),
            client.post("/v1/labels", json={"text": LABEL_TEXT, "label": "other"}, headers=auth),
            client.post(f"/v1/queue/{'0' * 32}/decision",
                        json={"decision": "approve", "label": "other"}, headers=auth),
            client.get("/v1/queue", headers=auth),
            client.get("/v1/admin/labels", headers=auth),
            client.delete("/v1/admin/labels/1", headers=auth),
            client.post("/v1/admin/labels/1/confirm", headers=auth),
        ]
        health = client.get("/healthz").get_json()
    for response in responses:
        assert response.status_code == 503, response.get_data(as_text=True)
        assert response.headers["Retry-After"] == "5"
        assert response.get_json()["error"]["code"] == "store_unavailable"
    assert health["status"] == "degraded"
    assert health["store"]["status"] == "unavailable" and reason in health["store"]["error"]
    out, err = capfd.readouterr()
    logged = caplog.text + out + err
    assert "store unavailable" in logged  # the outage is logged, by class only
    for secret in SECRETS:
        assert secret not in logged


@pytest.fixture
def read_only_postgres() -> Iterator[str]:
    """A database of its own in the shared server, made read-only after migrating, then dropped.

    Only this database is altered (`default_transaction_read_only`), never the shared one.
    """
    try:
        with own_database("moderator_ro") as url:
            yield url
    except PostgresUnavailable as exc:
        if os.environ.get("CI"):
            raise
        pytest.skip(str(exc))


def test_a_read_only_postgresql_is_503_and_logs_no_text(
        read_only_postgres: str, caplog: pytest.LogCaptureFixture,
        capfd: pytest.CaptureFixture[str]) -> None:
    app = make_app(read_only_postgres)  # migrates while the database is still writable
    store = app.extensions["moderator"].store
    try:
        admin = create_engine(POSTGRES_URL, isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:  # a failed-over replica: reads work, writes do not
            name = make_url(read_only_postgres).database
            conn.execute(text(f'ALTER DATABASE "{name}" SET default_transaction_read_only = on'))
        admin.dispose()
        store.engine.dispose()  # new connections see the setting
        client = app.test_client()
        auth = {"Authorization": f"Bearer {KEY}"}
        assert client.get("/v1/queue", headers=auth).status_code == 200  # reads still work
        with caplog.at_level(logging.DEBUG):
            check = client.post("/v1/check", json={"site": "strict", "fields": {
                "comment": COMMENT, "name": NAME}})
            label = client.post("/v1/labels", json={"text": LABEL_TEXT, "label": "other"},
                                headers=auth)
            health = client.get("/healthz").get_json()
        for response in (check, label):
            assert response.status_code == 503, response.get_data(as_text=True)
            assert response.headers["Retry-After"] == "5"
        assert health["status"] == "degraded" and "read-only" in health["store"]["error"]
        out, err = capfd.readouterr()
        logged = caplog.text + out + err
        assert "ReadOnlySqlTransaction" in logged
        for secret in SECRETS:
            assert secret not in logged
    finally:
        store.close()


def test_a_corrupt_sqlite_file_is_503_and_logs_no_text(
        tmp_path: Path, caplog: pytest.LogCaptureFixture,
        capfd: pytest.CaptureFixture[str]) -> None:
    db = tmp_path / "store.sqlite3"
    app = make_app(f"sqlite:///{db}")
    store = app.extensions["moderator"].store
    try:
        store.engine.dispose()
        for leftover in (db.with_name(db.name + "-wal"), db.with_name(db.name + "-shm")):
            leftover.unlink(missing_ok=True)
        db.write_bytes(b"this is not a database, just bytes\x00" * 200)
        assert_unavailable_everywhere(app.test_client(), caplog, capfd, "DatabaseError")
    finally:
        store.close()


def test_a_comment_held_past_the_queue_cap_is_503_never_accepted(tmp_path: Path) -> None:
    from moderator.http import create_app

    app = create_app({"POLICY_DIR": str(REPO / "tests" / "fixtures" / "policies"),
                      "MODELS_DIR": str(tmp_path), "MAX_PENDING_PER_SITE": 2,
                      "DATABASE_URL": f"sqlite:///{tmp_path / 'store.sqlite3'}"})
    client = app.test_client()
    body = {"site": "strict", "fields": {"comment": COMMENT, "name": NAME}}
    assert [client.post("/v1/check", json=body).status_code for _ in range(2)] == [200, 200]
    full = client.post("/v1/check", json=body)
    assert full.status_code == 503 and full.headers["Retry-After"] == "60"
    assert full.get_json()["error"]["code"] == "queue_full"
    fine = client.post("/v1/check", json={"site": "strict", "fields": {"comment": "fine",
                                                                          "name": NAME}})
    assert fine.get_json()["decision"] == "accept"  # only what must be held is refused
    app.extensions["moderator"].store.close()


def test_one_address_over_its_pending_cap_gets_429_never_an_accept(tmp_path: Path) -> None:
    from moderator.http import create_app

    app = create_app({"POLICY_DIR": str(REPO / "tests" / "fixtures" / "policies"),
                      "MODELS_DIR": str(tmp_path), "MAX_PENDING_PER_IP": 1,
                      "DATABASE_URL": f"sqlite:///{tmp_path / 'store.sqlite3'}"})
    client = app.test_client()

    def body(ip: str) -> dict[str, object]:
        return {"site": "strict", "fields": {"comment": COMMENT, "name": NAME},
                "context": {"ip": ip}}

    assert client.post("/v1/check", json=body("203.0.113.5")).status_code == 200
    again = client.post("/v1/check", json=body("203.0.113.5"))
    assert again.status_code == 429 and again.headers["Retry-After"] == "60"
    assert again.get_json()["error"]["code"] == "too_many_pending"
    assert client.post("/v1/check", json=body("203.0.113.6")).status_code == 200
    app.extensions["moderator"].store.close()


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def post(url: str, body: dict[str, object]) -> tuple[int, dict[str, str]]:
    request = urllib.request.Request(url, data=json.dumps(body).encode(),
                                     headers={"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(request, timeout=20) as response:
            return response.status, dict(response.headers)
    except urllib.error.HTTPError as exc:
        return exc.code, dict(exc.headers)


@pytest.mark.slow
def test_a_served_failover_to_a_read_only_database_is_503_and_logs_no_text(
        read_only_postgres: str, tmp_path: Path) -> None:
    """`moderator serve` (gunicorn, 2 workers) on a database of its own: a failover drops
    every connection and the reconnect lands on a read-only server. Every held comment
    then gets 503 with Retry-After, and the server's stderr has no traceback and no text."""
    port = free_port()
    env = {**os.environ, "MODERATOR_POLICY_DIR": str(REPO / "tests" / "fixtures" / "policies"),
           "MODERATOR_MODELS_DIR": str(tmp_path), "MODERATOR_DATABASE_URL": read_only_postgres,
           "MODERATOR_HASH_KEY": "ab" * 16}
    stderr = (tmp_path / "stderr.log").open("wb")
    process = subprocess.Popen([sys.executable, "-m", "moderator", "serve", "--port", str(port),
                                "--workers", "2"], env=env, stdout=subprocess.DEVNULL,
                               stderr=stderr)
    base = f"http://127.0.0.1:{port}"
    body = {"site": "strict", "fields": {"comment": COMMENT, "name": NAME}}
    name = make_url(read_only_postgres).database
    try:
        for _ in range(150):
            try:
                with urllib.request.urlopen(f"{base}/healthz", timeout=2):
                    break
            except (urllib.error.URLError, ConnectionError, TimeoutError):
                assert process.poll() is None, (tmp_path / "stderr.log").read_text()
                time.sleep(0.2)
        before = [post(f"{base}/v1/check", body)[0] for _ in range(4)]
        admin = create_engine(POSTGRES_URL, isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:  # only this test's own database is touched
            conn.execute(text(f'ALTER DATABASE "{name}" SET default_transaction_read_only = on'))
            conn.execute(text("SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                              "WHERE datname = :name AND pid <> pg_backend_pid()"),
                         {"name": name})
        admin.dispose()
        after = [post(f"{base}/v1/check", body) for _ in range(6)]
        with urllib.request.urlopen(f"{base}/healthz", timeout=5) as response:
            health = json.load(response)
    finally:
        process.terminate()
        process.wait(timeout=30)
        stderr.close()
    logged = (tmp_path / "stderr.log").read_text(encoding="utf-8", errors="replace")
    assert before == [200] * 4
    assert [status for status, _ in after] == [503] * 6, logged
    assert all(headers.get("Retry-After") == "5" for _, headers in after)
    assert health["status"] == "degraded" and "read-only" in health["store"]["error"]
    assert "store unavailable" in logged and "Traceback" not in logged
    for secret in SECRETS:
        assert secret not in logged
