"""The page's webhook panel over the Flask client, with a real receiver on 127.0.0.1."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient

from moderator.webhooks import signing
from tests.moderate.conftest import ALICE, REPO, sign_in
from tests.webhooks.conftest import SECRET, write_policy
from tests.webhooks.receiver import Receiver


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    with Receiver() as running:
        yield running


@pytest.fixture
def app(tmp_path: Path, receiver: Receiver) -> Iterator[Flask]:
    from moderator.http import create_app

    policies = write_policy(tmp_path / "policies", receiver.url)
    shutil.copy(REPO / "tests" / "fixtures" / "policies" / "strict.toml", policies)
    app = create_app({"POLICY_DIR": str(policies), "MODELS_DIR": str(tmp_path),
                      "TESTING": True, "DATABASE_URL": f"sqlite:///{tmp_path / 'db.sqlite3'}",
                      "ADMIN_KEYS": f"alice={ALICE}", "WEBHOOK_WORKER": "false",
                      "WEBHOOK_SECRETS": f"news={SECRET.decode()}"})
    yield app
    app.extensions["moderator"].store.close()


@pytest.fixture
def alice(app: Flask) -> tuple[FlaskClient, str]:
    client = app.test_client()
    return client, sign_in(client, ALICE)


def test_the_panel_shows_the_site_settings(alice: tuple[FlaskClient, str],
                                           receiver: Receiver) -> None:
    client, _ = alice
    page = client.get("/moderate/webhooks")
    assert page.status_code == 200
    assert receiver.url in page.text and "Send a test" in page.text and "set" in page.text
    assert 'href="/moderate/webhooks"' in page.text  # in the header's sections
    bare = client.get("/moderate/webhooks?site=strict")
    assert "no [webhook] section" in bare.text and "Send a test" not in bare.text
    assert client.get("/moderate/webhooks?site=nowhere").status_code == 400


def test_the_test_button_needs_the_csrf_token(alice: tuple[FlaskClient, str],
                                              receiver: Receiver) -> None:
    client, _ = alice
    assert client.post("/moderate/webhooks/test", data={"site": "news"}).status_code == 403
    assert receiver.received == []


def test_the_test_button_shows_the_receiver_s_answer_in_each_language(
        alice: tuple[FlaskClient, str], receiver: Receiver) -> None:
    client, csrf = alice
    receiver.answers.extend([202, 500])
    page = client.post("/moderate/webhooks/test", data={"csrf": csrf, "site": "news"})
    assert page.status_code == 200
    assert "Test sent: the receiver answered 202 in" in page.text
    [ping] = receiver.wait_for(1)
    assert signing.verify(SECRET, ping.headers["X-Moderator-Signature"], ping.body)
    assert 'data-status="delivered"' in page.text and "<code>ping</code>" in page.text
    ru = client.post("/moderate/webhooks/test?lang=ru", data={"csrf": csrf, "site": "news"})
    assert "Проверка не прошла: HTTP 500." in ru.text
    assert 'data-status="failed"' in ru.text and "Отправить снова" in ru.text
    receiver.default = 200
    failed = ru.text.split('data-status="failed"')[0].rsplit('data-delivery="', 1)[1][:32]
    kk = client.post("/moderate/webhooks/retry?lang=kk",
                     data={"csrf": csrf, "site": "news", "delivery": failed})
    assert "Жіберілім қайта жіберіледі." in kk.text
    again = client.post("/moderate/webhooks/retry?lang=en",
                        data={"csrf": csrf, "site": "news", "delivery": failed})
    assert again.status_code == 409 and "Only a failed delivery" in again.text


def test_a_test_without_a_webhook_or_a_secret_says_why(app: Flask,
                                                       alice: tuple[FlaskClient, str]) -> None:
    client, csrf = alice
    none = client.post("/moderate/webhooks/test", data={"csrf": csrf, "site": "strict"})
    assert none.status_code == 409 and "no [webhook] section" in none.text
    app.extensions["webhooks"].secrets.clear()
    unsigned = client.post("/moderate/webhooks/test?lang=kk",
                           data={"csrf": csrf, "site": "news"})
    assert unsigned.status_code == 409 and "қол қою құпиясы берілмеген" in unsigned.text
