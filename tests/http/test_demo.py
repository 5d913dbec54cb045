"""/demo as a form posts to it without JavaScript: the server's decision, in the page."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient

from moderator.servertest import HELD

ADMIN_KEY = "demo-test-admin-key-00001"
AUTH = {"Authorization": f"Bearer {ADMIN_KEY}"}


@pytest.fixture
def demo_app(tmp_path: Path) -> Flask:
    """The default policy and shipped model, with a review queue."""
    from moderator.http import create_app

    return create_app({"TESTING": True, "ADMIN_KEYS": ADMIN_KEY,
                       "DATABASE_URL": f"sqlite:///{tmp_path / 'store.sqlite3'}"})


def messages(html: str) -> dict[str, str]:
    """Field name -> the message shown beside it."""
    return {name: text for name, text in
            re.findall(r'data-moderator-message="(\w+)">([^<]*)<', html) if text}


def test_the_page_is_the_site_form_under_an_article(demo_app: Flask) -> None:
    page = demo_app.test_client().get("/demo")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "<h1>Group detained over video calling for violence</h1>" in html
    for text in ('<label for="comment">Comment</label>', '<label for="name">Name*</label>',
                 '<label for="email">Email*</label>', "* Denotes Required Field",
                 "1500 / 1500", 'method="post"', "/v1/widget.js"):
        assert text in html
    # Nothing may be loaded from, or sent to, another origin.
    csp = page.headers["Content-Security-Policy"]
    assert "default-src 'none'" in csp and "connect-src 'self'" in csp
    assert "form-action 'self'" in csp
    assert not re.search(r'(src|href|action)="(https?:)?//', html)


def test_a_held_comment_is_queued_with_its_article(demo_app: Flask) -> None:
    client = demo_app.test_client()
    form = {**HELD["fields"], "lang": "en", "nudged": "1"}
    page = client.post("/demo", data=form)
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "Your comment will appear after a moderator has read it." in html
    assert "Please do not post phone numbers." in html  # the server's own message
    queued = client.get("/v1/queue", headers=AUTH).get_json()["items"]
    assert [item["fields"]["comment"] for item in queued] == [HELD["fields"]["comment"]]


def test_a_rejected_comment_comes_back_with_messages_beside_fields(demo_app: Flask) -> None:
    client = demo_app.test_client()
    page = client.post("/demo", data={"comment": "  \r\n ", "name": "Ann",
                                      "email": "ann@example"})
    assert page.status_code == 422
    html = page.get_data(as_text=True)
    assert messages(html) == {
        "comment": "Comment is required.",
        "email": "Email is not a valid email address: The part after the @-sign is not "
                 "valid. It should have a period.",
    }
    assert 'value="Ann"' in html and 'value="ann@example"' in html  # kept for editing
    assert 'id="email" name="email" type="email" autocomplete="email" aria-required="true" ' \
        'value="ann@example" aria-invalid="true" aria-describedby="email-message"' in html


def test_crlf_counts_once_as_the_browser_sends_it(demo_app: Flask) -> None:
    client = demo_app.test_client()
    line = "The bus was late again this morning."  # 36 characters and a line break
    counted = "\n".join([line] * 41)[:1500]
    at_limit = counted.replace("\n", "\r\n")  # as a browser posts a textarea
    assert (len(counted), len(at_limit)) == (1500, 1540)
    fields = {"name": "Ann", "email": "ann@example.org"}
    assert client.post("/demo", data={"comment": at_limit, **fields}).status_code == 200
    over = client.post("/demo", data={"comment": at_limit + "!", **fields})
    assert messages(over.get_data(as_text=True)) == {
        "comment": "Comment is 1501 characters long; the limit is 1500."}


def test_the_page_speaks_the_commenters_language(demo_app: Flask) -> None:
    client = demo_app.test_client()
    russian = client.get("/demo", headers={"Accept-Language": "ru-RU,ru;q=0.9"})
    assert '<html lang="ru">' in russian.get_data(as_text=True)
    kazakh = client.post("/demo?lang=kk", data={"comment": "", "name": "", "email": ""})
    html = kazakh.get_data(as_text=True)
    assert "Пікір жарияланбады." in html and 'lang="kk"' in html


def test_an_empty_demo_site_turns_the_page_off(tmp_path: Path) -> None:
    from moderator.http import create_app

    app = create_app({"TESTING": True, "DEMO_SITE": "",
                      "DATABASE_URL": f"sqlite:///{tmp_path / 'store.sqlite3'}"})
    client: FlaskClient = app.test_client()
    assert client.get("/demo").status_code == 404
    assert client.get("/v1/widget.js").status_code == 200  # the widget stays
