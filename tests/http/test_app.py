"""create_app never fails for the database: it boots degraded and holds nothing it cannot."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from flask.testing import FlaskClient
from werkzeug.test import TestResponse

from moderator.http import create_app

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
