"""The webhook admin API over HTTP, with the app's own delivery thread and a real receiver."""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient
from werkzeug.test import TestResponse

from moderator.webhooks import signing
from tests.webhooks.conftest import SECRET, hold, write_policy
from tests.webhooks.receiver import Receiver

Conforms = Callable[[TestResponse], TestResponse]
REPO = Path(__file__).resolve().parents[2]
ALICE = "alice-secret-0123456789"
AUTH = {"Authorization": f"Bearer {ALICE}"}


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    with Receiver() as running:
        yield running


@pytest.fixture
def app(tmp_path: Path, receiver: Receiver) -> Iterator[Flask]:
    from moderator.http import create_app

    policies = write_policy(tmp_path / "policies", receiver.url, max_attempts=2)
    shutil.copy(REPO / "tests" / "fixtures" / "policies" / "strict.toml", policies)
    app = create_app({"POLICY_DIR": str(policies), "MODELS_DIR": str(tmp_path),
                      "TESTING": True, "DATABASE_URL": f"sqlite:///{tmp_path / 'db.sqlite3'}",
                      "ADMIN_KEYS": f"alice={ALICE}",
                      "WEBHOOK_SECRETS": f"news={SECRET.decode()}"})
    yield app
    app.extensions["webhooks"].stop()
    app.extensions["moderator"].store.close()


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


def test_status_says_what_the_policy_sets(client: FlaskClient, receiver: Receiver,
                                          conforms: Conforms) -> None:
    body = conforms(client.get("/v1/sites/news/webhook", headers=AUTH)).get_json()
    assert body == {"site": "news", "configured": True, "url": receiver.url,
                    "events": ["comment.approved", "comment.rejected", "comment.undone"],
                    "enabled": True, "timeout_seconds": 5.0, "max_attempts": 2,
                    "secret_configured": True,
                    "counts": {"pending": 0, "sending": 0, "delivered": 0, "failed": 0}}
    bare = conforms(client.get("/v1/sites/strict/webhook", headers=AUTH)).get_json()
    assert (bare["configured"], bare["url"], bare["secret_configured"]) == (False, None, False)


def test_auth_unknown_sites_and_writes_are_refused(client: FlaskClient,
                                                  conforms: Conforms) -> None:
    for method, path in (("GET", "/v1/sites/news/webhook"),
                         ("POST", "/v1/sites/news/webhook/test"),
                         ("GET", "/v1/sites/news/webhook/deliveries"),
                         ("POST", f"/v1/sites/news/webhook/deliveries/{'a' * 32}/retry")):
        assert conforms(client.open(path, method=method)).status_code == 401
        unknown = conforms(client.open(path.replace("news", "nowhere"), method=method,
                                       headers=AUTH))
        assert unknown.status_code == 404 and "nowhere" in unknown.get_json()["error"]["message"]
    for method in ("PUT", "POST"):
        refused = conforms(client.open("/v1/sites/news/webhook", method=method, headers=AUTH,
                                       json={"url": "https://evil.example"}))
        assert refused.status_code == 405
        assert "policy file" in refused.get_json()["error"]["message"]
    assert client.get("/v1/sites/news/webhook/deliveries?status=lost",
                      headers=AUTH).status_code == 400
    assert client.post("/v1/sites/news/webhook/test", headers=AUTH,
                       data=b"{}").status_code == 400


def test_a_decision_over_the_api_is_delivered_by_the_app_thread(
        app: Flask, client: FlaskClient, receiver: Receiver, conforms: Conforms) -> None:
    comment_id = hold(app.extensions["moderator"].store)
    decided = client.post(f"/v1/queue/{comment_id}/decision", headers=AUTH,
                          json={"decision": "approve", "label": "other"})
    assert decided.status_code == 200
    [request] = receiver.wait_for(1)
    assert signing.verify(SECRET, request.headers["X-Moderator-Signature"], request.body)
    assert json.loads(request.body)["comment_id"] == comment_id
    page = conforms(client.get("/v1/sites/news/webhook/deliveries", headers=AUTH)).get_json()
    [item] = page["items"]
    assert (item["event"], item["comment_id"], item["status"] in ("delivered", "sending")) == \
        ("comment.approved", comment_id, True)


def test_the_test_button_sends_a_signed_ping_and_reports_the_answer(
        client: FlaskClient, receiver: Receiver, conforms: Conforms) -> None:
    receiver.answers.extend([204, 500])
    ok = conforms(client.post("/v1/sites/news/webhook/test", headers=AUTH)).get_json()
    assert (ok["ok"], ok["status_code"], ok["error"], ok["delivery"]["event"],
            ok["delivery"]["status"]) == (True, 204, None, "ping", "delivered")
    bad = conforms(client.post("/v1/sites/news/webhook/test", headers=AUTH)).get_json()
    assert (bad["ok"], bad["status_code"], bad["error"], bad["delivery"]["status"]) == \
        (False, 500, "HTTP 500", "failed")  # a ping is tried once
    first, _ = receiver.wait_for(2)
    assert first.headers["X-Moderator-Event"] == "ping"
    assert signing.verify(SECRET, first.headers["X-Moderator-Signature"], first.body)
    none = conforms(client.post("/v1/sites/strict/webhook/test", headers=AUTH))
    assert none.status_code == 409 and none.get_json()["error"]["code"] == "no_webhook"


def test_a_failed_delivery_can_be_retried(app: Flask, client: FlaskClient,
                                          receiver: Receiver, conforms: Conforms) -> None:
    receiver.answers.extend([500])
    ping = client.post("/v1/sites/news/webhook/test", headers=AUTH).get_json()
    delivery = ping["delivery"]["id"]
    retried = conforms(client.post(f"/v1/sites/news/webhook/deliveries/{delivery}/retry",
                                   headers=AUTH))
    assert retried.status_code == 202 and retried.get_json()["status"] in ("pending", "sending")
    receiver.wait_for(2)  # the app's thread sent it again
    again = conforms(client.post(f"/v1/sites/news/webhook/deliveries/{delivery}/retry",
                                 headers=AUTH))
    assert again.status_code == 409 and again.get_json()["error"]["code"] == "not_failed"
    missing = conforms(client.post(f"/v1/sites/news/webhook/deliveries/{'0' * 32}/retry",
                                   headers=AUTH))
    assert missing.status_code == 404
    assert client.post("/v1/sites/news/webhook/deliveries/nothex/retry",
                       headers=AUTH).status_code == 404
