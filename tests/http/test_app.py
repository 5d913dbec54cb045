"""create_app never fails for the database: it boots degraded and holds nothing it cannot.

init_app mounts the same endpoints in a host app under a prefix, errors and limits included.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient
from werkzeug.test import TestResponse

from moderator.http import create_app, init_app
from moderator.service import Moderator

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "policies"
Conforms = Callable[[TestResponse], TestResponse]
ACCEPTED = {"site": "strict", "fields": {"comment": "Good report.", "name": "Ann"}}
HELD = {"site": "strict", "fields": {"comment": "a martyr", "name": "Ann"}}


def client_with_store_at(url: str, tmp_path: Path) -> FlaskClient:
    return create_app({"POLICY_DIR": str(FIXTURES), "MODELS_DIR": str(tmp_path),
                       "TESTING": True, "DATABASE_URL": url}).test_client()


def test_a_store_that_cannot_be_opened_degrades_and_holds_nothing(
        tmp_path: Path, conforms: Conforms) -> None:
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("x", encoding="utf-8")
    client = client_with_store_at(f"sqlite:///{blocker / 'store.sqlite3'}", tmp_path)
    health = conforms(client.get("/healthz")).get_json()
    assert health["status"] == "degraded"
    assert [p.split(" ", 1)[0] for p in health["problems"]] == ["store:"]
    assert str(tmp_path) not in health["problems"][0]
    accepted = conforms(client.post("/v1/check", json=ACCEPTED))
    assert accepted.status_code == 200 and accepted.get_json()["decision"] == "accept"
    held = conforms(client.post("/v1/check", json=HELD))
    assert held.status_code == 503 and held.headers["Retry-After"] == "5"
    assert held.get_json()["error"]["code"] == "store_unavailable"


def test_the_store_is_opened_once_it_can_be(tmp_path: Path, monkeypatch: object) -> None:
    import moderator.service

    monkeypatch.setattr(moderator.service, "STORE_RETRY_SECONDS", 0.0)  # type: ignore[attr-defined]
    blocker = tmp_path / "later"
    blocker.write_text("x", encoding="utf-8")
    client = client_with_store_at(f"sqlite:///{blocker / 'store.sqlite3'}", tmp_path)
    assert client.post("/v1/check", json=HELD).status_code == 503
    blocker.unlink()
    held = client.post("/v1/check", json=HELD)
    assert held.status_code == 200 and held.get_json()["id"]
    assert client.get("/healthz").get_json()["status"] == "ok"


# --- init_app: the endpoints mounted in a host's own Flask app under a prefix ---

ALICE = "alice-secret-0123456789"


def host_app(tmp_path: Path, **settings: object) -> Flask:
    """A host app with a route of its own and moderator mounted at /moderation."""
    host = Flask("host")

    @host.get("/")
    def home() -> str:
        return "the host's page"

    init_app(host, url_prefix="/moderation", settings={
        "POLICY_DIR": str(FIXTURES), "MODELS_DIR": str(tmp_path),
        "DATABASE_URL": f"sqlite:///{tmp_path / 'store.sqlite3'}", "MAX_BODY_BYTES": 4096,
        "ADMIN_KEYS": f"alice={ALICE}", **settings})
    return host


@pytest.fixture
def host(tmp_path: Path) -> Iterator[Flask]:
    app = host_app(tmp_path)
    yield app
    app.extensions["moderator"].store.close()


def test_mounted_under_a_prefix_checks_and_holds(host: Flask) -> None:
    client = host.test_client()
    accepted = client.post("/moderation/v1/check", json=ACCEPTED)
    assert accepted.status_code == 200 and accepted.get_json()["decision"] == "accept"
    held = client.post("/moderation/v1/check", json=HELD).get_json()
    assert held["decision"] == "review" and held["id"]
    queue = client.get("/moderation/v1/queue", headers={"Authorization": f"Bearer {ALICE}"})
    assert [item["id"] for item in queue.get_json()["items"]] == [held["id"]]
    assert client.get("/moderation/v1/policy?site=strict").get_json()["site"] == "strict"
    assert client.get("/moderation/healthz").get_json()["status"] == "ok"
    assert b"moderator_decisions_total" in client.get("/moderation/metrics").data
    assert client.post("/v1/check", json=ACCEPTED).status_code == 404  # nothing outside it
    assert client.get("/").data == b"the host's page"


def test_mounted_endpoints_answer_their_json_errors(host: Flask) -> None:
    client = host.test_client()
    malformed = client.post("/moderation/v1/check", data="{", content_type="application/json")
    assert malformed.status_code == 400 and malformed.get_json()["error"]["code"]
    unknown = client.post("/moderation/v1/check", json={"site": "nowhere", "fields": {}})
    assert unknown.status_code == 404
    assert unknown.get_json()["error"]["code"] == "unknown_site"
    assert client.post("/moderation/v1/check", data="x").status_code == 415
    big = {"site": "strict", "fields": {"comment": "x" * 5000, "name": "Ann"}}
    assert client.post("/moderation/v1/check", json=big).status_code == 413
    unsigned = client.post("/moderation/v1/coral/moderate", json={})
    assert unsigned.status_code == 401 and unsigned.get_json()["error"]["code"]
    assert client.post("/moderation/1.1/verify-key", data={"key": "x"}).data == b"invalid"


def test_the_host_keeps_its_own_config_and_error_pages(host: Flask) -> None:
    assert host.config["MAX_CONTENT_LENGTH"] is None
    missing = host.test_client().get("/no-such-page")
    assert missing.status_code == 404 and missing.mimetype == "text/html"
    # Only the mounted endpoints are logged and counted, and they never see the host's.
    assert host.test_client().get("/").status_code == 200
    assert "X-Request-Id" not in host.test_client().get("/").headers
    assert "X-Request-Id" in host.test_client().get("/moderation/healthz").headers


def test_a_store_that_cannot_be_opened_is_a_503_under_the_prefix(tmp_path: Path) -> None:
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("x", encoding="utf-8")
    client = host_app(tmp_path,
                      DATABASE_URL=f"sqlite:///{blocker / 'store.sqlite3'}").test_client()
    held = client.post("/moderation/v1/check", json=HELD)
    assert held.status_code == 503 and held.headers["Retry-After"] == "5"
    assert held.get_json()["error"]["code"] == "store_unavailable"


def test_init_app_mounts_the_checker_it_is_given(tmp_path: Path) -> None:
    service = Moderator.from_paths(FIXTURES, tmp_path)
    host = Flask("host")
    assert init_app(host, service) is service
    verdict = host.test_client().post("/v1/check", json=HELD).get_json()
    assert verdict["decision"] == "review" and "id" not in verdict  # no store: nothing kept
