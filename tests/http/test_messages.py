"""/v1/check and /v1/precheck answer in the request's context.language (ru, kk), English
otherwise; the review queue keeps the English the moderators read."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from werkzeug.test import TestResponse

Conforms = Callable[[TestResponse], TestResponse]
REPO = Path(__file__).resolve().parents[2]
ALICE = "alice-secret-0123456789"
MESSAGES = ('\n[messages.ru]\nbanned = "Так писать здесь нельзя."\n\n'
            '[messages.ru.labels]\nname = "Имя"\n\n'
            '[messages.kk]\nsuspect = "Модератор оқиды."\n')


@pytest.fixture
def app(tmp_path: Path) -> Iterator[Flask]:
    from moderator.http import create_app

    policies = tmp_path / "policies"
    policies.mkdir()
    strict = (REPO / "tests" / "fixtures" / "policies" / "strict.toml").read_text("utf-8")
    (policies / "strict.toml").write_text(strict + MESSAGES, encoding="utf-8")
    app = create_app({"POLICY_DIR": str(policies), "MODELS_DIR": str(tmp_path),
                      "TESTING": True, "ADMIN_KEYS": f"alice={ALICE}",
                      "DATABASE_URL": f"sqlite:///{tmp_path / 'store.sqlite3'}"})
    yield app
    app.extensions["moderator"].store.close()


def check(client: FlaskClient, fields: dict[str, str], language: str | None,
          path: str = "/v1/check") -> TestResponse:
    body: dict[str, Any] = {"site": "strict", "fields": fields}
    if language is not None:
        body["context"] = {"language": language}
    return client.post(path, json=body)


def messages(response: TestResponse) -> list[tuple[str, str]]:
    return [(f["code"], f["message"]) for f in response.get_json()["findings"]]


@pytest.mark.parametrize("path", ["/v1/check", "/v1/precheck"])
def test_russian_and_kazakh_with_english_as_the_fallback(app: Flask, conforms: Conforms,
                                                         path: str) -> None:
    client = app.test_client()
    rejected = {"comment": "ass", "name": ""}
    assert messages(conforms(check(client, rejected, "ru", path))) == [
        ("name.required", "Поле «Имя» обязательно."),
        ("banned.word", "Так писать здесь нельзя.")]
    assert messages(conforms(check(client, rejected, "kk", path))) == [
        ("name.required", "«Name» өрісін толтыру міндетті."),  # no Kazakh label: as set
        ("banned.word", "Not allowed.")]  # no Kazakh for this rule: its English
    english = [("name.required", "Name is required."), ("banned.word", "Not allowed.")]
    for language in (None, "en", "de", "zz-top"):
        assert messages(conforms(check(client, rejected, language, path))) == english


def test_the_queue_keeps_english_while_the_commenter_reads_kazakh(app: Flask) -> None:
    client = app.test_client()
    verdict = check(client, {"comment": "a martyr", "name": "Ann"}, "kk").get_json()
    assert verdict["decision"] == "review"
    assert [f["message"] for f in verdict["findings"]] == ["Модератор оқиды."]
    queue = client.get("/v1/queue", headers={"Authorization": f"Bearer {ALICE}"}).get_json()
    [item] = queue["items"]
    assert item["id"] == verdict["id"] and item["findings"][0]["message"] == "Held."
