"""The widget's server side: /v1/precheck keeps and counts nothing; the script is served."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from flask import Flask
from flask.testing import FlaskClient
from werkzeug.test import TestResponse

from moderator.servertest import HELD

Conforms = Callable[[TestResponse], TestResponse]
ADMIN_KEY = "widget-test-admin-key-0001"


def test_precheck_answers_what_the_form_shows(client: FlaskClient, conforms: Conforms) -> None:
    body = {"site": "strict", "fields": {"comment": "hmm, a martyr", "name": "", "email": "x@"}}
    answer = conforms(client.post("/v1/precheck", json=body)).get_json()
    assert answer["decision"] == "reject"
    assert answer["policy"] == "strict@test-1"
    findings = {f["code"]: f for f in answer["findings"]}
    assert set(findings) == {"name.required", "email.invalid", "suspect.word"}  # no flag
    assert findings["email.invalid"]["field"] == "email"
    assert findings["email.invalid"]["message"].startswith("Email is not a valid email address")
    assert all(set(f) == {"code", "field", "action", "message"} for f in answer["findings"])
    assert "scores" not in answer
    held = {"site": "strict", "fields": {"comment": "a martyr", "name": "Ann"}}
    answer = conforms(client.post("/v1/precheck", json=held)).get_json()
    assert answer["decision"] == "review"
    assert [(f["code"], f["action"], f["message"]) for f in answer["findings"]] == [
        ("suspect.word", "review", "Held.")]


def test_precheck_refuses_what_check_refuses(client: FlaskClient, conforms: Conforms) -> None:
    not_json = client.post("/v1/precheck", data="comment=hi")
    assert conforms(not_json).status_code == 415
    wrong = conforms(client.post("/v1/precheck", json={"site": "strict", "fields": {"x": "1"}}))
    assert wrong.status_code == 400
    assert wrong.get_json()["error"]["pointer"] == "/fields/x"
    unknown = conforms(client.post("/v1/precheck", json={"site": "nope", "fields": {}}))
    assert unknown.status_code == 404


def default_app(tmp_path: Path) -> Flask:
    """The default policy and shipped model, its flood limits on, a review queue."""
    from moderator.http import create_app

    return create_app({"TESTING": True, "ADMIN_KEYS": ADMIN_KEY,
                       "DATABASE_URL": f"sqlite:///{tmp_path / 'store.sqlite3'}"})


def test_precheck_neither_holds_nor_counts(tmp_path: Path) -> None:
    """A pre-check, then the real post: the post is not a repeat, and only it is queued."""
    client = default_app(tmp_path).test_client()
    auth = {"Authorization": f"Bearer {ADMIN_KEY}"}
    for _ in range(3):
        answer = client.post("/v1/precheck", json=HELD).get_json()
        assert answer["decision"] == "review", answer
        assert "id" not in answer
    assert client.get("/v1/queue", headers=auth).get_json()["items"] == []
    first = client.post("/v1/check", json=HELD).get_json()
    assert "flood.repeat" not in [f["code"] for f in first["findings"]]
    again = client.post("/v1/check", json=HELD).get_json()
    assert "flood.repeat" in [f["code"] for f in again["findings"]]  # the limiter is on
    queued = client.get("/v1/queue", headers=auth).get_json()["items"]
    assert [item["id"] for item in queued] == [first["id"], again["id"]]


def test_the_script_and_stylesheet_are_served(client: FlaskClient, conforms: Conforms) -> None:
    script = conforms(client.get("/v1/widget.js"))
    assert script.status_code == 200
    assert script.mimetype == "text/javascript"
    assert script.headers["X-Content-Type-Options"] == "nosniff"
    text = script.get_data(as_text=True)
    assert "/v1/precheck" in text and "/v1/policy" in text
    assert "http://" not in text and "https://" not in text.replace(
        "https://moderator.example/v1/widget.js", "")  # nothing from any other origin
    style = conforms(client.get("/v1/widget.css"))
    assert style.status_code == 200 and style.mimetype == "text/css"


def test_init_app_mounts_the_widget_under_its_prefix(tmp_path: Path) -> None:
    from moderator.http import init_app

    host = Flask("host")
    init_app(host, url_prefix="/moderation",
             settings={"DATABASE_URL": f"sqlite:///{tmp_path / 'store.sqlite3'}"})
    client = host.test_client()
    assert client.get("/moderation/v1/widget.js").status_code == 200
    answer = client.post("/moderation/v1/precheck", json=HELD).get_json()
    assert answer["decision"] == "review"
    assert client.get("/demo").status_code == 404  # the demo is the standalone server's


def test_listed_sites_may_call_the_widgets_endpoints(tmp_path: Path) -> None:
    """CORS for /v1/policy and /v1/precheck, for WIDGET_ORIGINS only, preflight included."""
    from moderator.http import create_app

    app = create_app({"TESTING": True, "WIDGET_ORIGINS": "https://news.example",
                      "DATABASE_URL": f"sqlite:///{tmp_path / 'store.sqlite3'}"})
    client = app.test_client()
    site = {"Origin": "https://news.example"}
    preflight = client.options("/v1/precheck", headers={
        **site, "Access-Control-Request-Method": "POST",
        "Access-Control-Request-Headers": "content-type"})
    assert preflight.status_code == 200
    assert preflight.headers["Access-Control-Allow-Origin"] == "https://news.example"
    assert "POST" in preflight.headers["Access-Control-Allow-Methods"]
    assert preflight.headers["Access-Control-Allow-Headers"] == "Content-Type"
    answer = client.post("/v1/precheck", json=HELD, headers=site)
    assert answer.headers["Access-Control-Allow-Origin"] == "https://news.example"
    assert "Origin" in answer.headers["Vary"]
    refused = client.post("/v1/precheck", json={"fields": {"nope": "x"}}, headers=site)
    assert refused.status_code == 400  # the widget can read why
    assert refused.headers["Access-Control-Allow-Origin"] == "https://news.example"
    assert client.get("/v1/policy", headers=site).headers[
        "Access-Control-Allow-Origin"] == "https://news.example"

    stranger = {"Origin": "https://elsewhere.example"}
    assert "Access-Control-Allow-Origin" not in client.post(
        "/v1/precheck", json=HELD, headers=stranger).headers
    # Nothing else of ours opens to the listed site.
    assert "Access-Control-Allow-Origin" not in client.post(
        "/v1/check", json=HELD, headers=site).headers
    assert "Access-Control-Allow-Origin" not in client.get("/healthz", headers=site).headers
