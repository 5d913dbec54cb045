"""The incitement finding through the real HTTP path, on the default policy."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from werkzeug.test import TestResponse

Conforms = Callable[[TestResponse], TestResponse]


def test_a_call_to_violence_is_held_with_its_code_and_span(tmp_path: Path,
                                                           conforms: Conforms) -> None:
    from moderator.http import create_app

    app = create_app({"MODELS_DIR": str(tmp_path), "TESTING": True,
                      "DATABASE_URL": f"sqlite:///{tmp_path / 'store.sqlite3'}"})
    comment = "Ну что, братья. Убивайте полицейских и чиновников, Халифат вернется"
    response = app.test_client().post("/v1/check", json={"fields": {
        "comment": comment, "name": "Ann", "email": "ann@example.com"}})
    body = conforms(response).get_json()
    assert body["decision"] == "review"
    [finding] = [f for f in body["findings"] if f["code"].startswith("incitement.")]
    assert finding["code"] == "incitement.violence" and finding["action"] == "review"
    assert finding["detail"] == {"rule": "incitement", "lang": "ru"}
    span = finding["span"]
    assert comment[span["start"]:span["end"]] == "Убивайте полицейских"
