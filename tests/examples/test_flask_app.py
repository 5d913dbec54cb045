"""examples/flask_app.py on the shipped policy and model: its own view and the mounted API."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from types import ModuleType

import pytest
from flask import Flask
from flask.testing import FlaskClient

ADMIN = "editor-secret-0123456789"
GOOD = {"comment": "The men arrested for recording that video should face a fair trial.",
        "name": "Aigerim", "email": "aigerim@example.kz"}


@pytest.fixture
def app(tmp_path: Path, load_example: Callable[[str], ModuleType]) -> Iterator[Flask]:
    example = load_example("flask_app.py")
    app = example.create_app({"DATABASE_URL": f"sqlite:///{tmp_path / 'store.sqlite3'}",
                              "ADMIN_KEYS": f"editor={ADMIN}"})
    yield app
    app.extensions["moderator"].store.close()


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


def test_an_accepted_comment_is_published_on_the_page(client: FlaskClient) -> None:
    page = client.get("/").get_data(as_text=True)
    assert 'name="comment" maxlength=1500 required' in page
    posted = client.post("/comments", data=GOOD)
    assert posted.status_code == 201 and posted.get_json() == {"status": "published"}
    assert "should face a fair trial" in client.get("/").get_data(as_text=True)


def test_a_rejected_comment_gets_its_reasons_beside_each_field(client: FlaskClient) -> None:
    posted = client.post("/comments", data={"comment": "j.o.i.n  t.h.e  c.a.l.i.p.h.a.t.e",
                                            "name": "", "email": "not-an-email"})
    body = posted.get_json()
    assert posted.status_code == 422 and body["status"] == "rejected"
    assert body["errors"]["name"] == ["Name is required."]
    assert body["errors"]["email"][0].startswith("Email is not a valid email address")
    assert "This comment contains language that is not allowed here." in body["errors"]["comment"]
    assert "j.o.i.n" not in client.get("/").get_data(as_text=True)


def test_a_held_comment_waits_in_the_queue_the_mounted_api_serves(client: FlaskClient) -> None:
    posted = client.post("/comments", data={"comment": "Полицейлерді өлтіріңдер",
                                            "name": "Ержан", "email": "erzhan@example.kz"})
    body = posted.get_json()
    assert posted.status_code == 202 and body["status"] == "held" and body["id"]
    queue = client.get("/moderation/v1/queue", headers={"Authorization": f"Bearer {ADMIN}"})
    assert [item["id"] for item in queue.get_json()["items"]] == [body["id"]]


def test_the_mounted_api_answers_under_its_prefix(client: FlaskClient) -> None:
    checked = client.post("/moderation/v1/check", json={"fields": GOOD})
    assert checked.status_code == 200 and checked.get_json()["decision"] == "accept"
    assert checked.get_json()["policy"].startswith("default@")
    assert client.get("/moderation/healthz").get_json()["status"] == "ok"
    bad = client.post("/moderation/v1/check", json={"fields": {"comment": 1}})
    assert bad.status_code == 400 and bad.get_json()["error"]["pointer"] == "/fields/comment"


def test_a_commenter_past_the_flood_limit_is_told_to_wait(client: FlaskClient) -> None:
    for n in range(5):  # the shipped policy: 5 per 60 seconds per commenter
        posted = client.post("/comments", data={**GOOD, "comment": f"Fair point number {n}."})
        assert posted.status_code == 201
    late = client.post("/comments", data={**GOOD, "comment": "One more."})
    assert late.status_code == 429 and int(late.headers["Retry-After"]) > 0
    assert late.get_json()["message"].startswith("You are posting comments too quickly.")
