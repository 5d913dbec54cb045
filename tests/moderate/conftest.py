"""The real app on the test policies with two admin keys, and signed-in clients."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient

REPO = Path(__file__).resolve().parents[2]
ALICE = "alice-secret-0123456789"
BOB = "bob-secret-9876543210xyz"
FIELDS = {"comment": "a martyr", "name": "Ann", "email": "ann@example.com"}


@pytest.fixture
def app(tmp_path: Path) -> Iterator[Flask]:
    from moderator.http import create_app

    app = create_app({
        "POLICY_DIR": str(REPO / "tests" / "fixtures" / "policies"),
        "MODELS_DIR": str(tmp_path), "TESTING": True,
        "DATABASE_URL": f"sqlite:///{tmp_path / 'store.sqlite3'}",
        "ADMIN_KEYS": f"alice={ALICE}, bob={BOB}",
    })
    yield app
    app.extensions["moderator"].store.close()


@pytest.fixture
def client_factory(app: Flask) -> Callable[[], FlaskClient]:
    return app.test_client


def sign_in(client: FlaskClient, key: str = ALICE) -> str:
    """Sign `client` in with `key`; returns the session's CSRF token."""
    form = client.get("/moderate/sign-in")
    token = re.search(r'name="sign_in_token" value="([^"]+)"', form.text)
    assert token is not None
    response = client.post("/moderate/sign-in", data={"sign_in_token": token.group(1),
                                                      "key": key})
    assert response.status_code == 303, response.text
    page = client.get("/moderate")
    assert page.status_code == 200
    csrf = re.search(r'name="csrf" value="([^"]+)"', page.text)
    assert csrf is not None
    return csrf.group(1)


@pytest.fixture
def alice(app: Flask) -> tuple[FlaskClient, str]:
    client = app.test_client()
    return client, sign_in(client, ALICE)


@pytest.fixture
def bob(app: Flask) -> tuple[FlaskClient, str]:
    client = app.test_client()
    return client, sign_in(client, BOB)


@pytest.fixture
def hold(app: Flask) -> Callable[..., str]:
    """Send a comment through /v1/check; returns the id of the held (or kept) comment."""
    sender = app.test_client()

    def send(comment: str = "a martyr", expect: str = "review", **context: str) -> str:
        verdict = sender.post("/v1/check", json={
            "site": "strict", "fields": {**FIELDS, "comment": comment},
            "context": context}).get_json()
        assert verdict["decision"] == expect, verdict
        return str(verdict["id"])

    return send


JSON = {"Accept": "application/json"}
