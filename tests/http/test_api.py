"""The HTTP contract through the Flask test client, every response checked against OpenAPI."""

from __future__ import annotations

import json
from collections.abc import Callable

import pytest
from flask.testing import FlaskClient
from werkzeug.test import TestResponse

Conforms = Callable[[TestResponse], TestResponse]
GOOD = {"comment": "Good report.", "name": "Ann", "email": "ann@example.com"}


def post(client: FlaskClient, body: object, **kwargs: object) -> TestResponse:
    return client.post("/v1/check", json=body, **kwargs)


def test_accept(client: FlaskClient, conforms: Conforms) -> None:
    response = conforms(post(client, {"site": "strict", "fields": GOOD}))
    assert response.status_code == 200
    body = response.get_json()
    assert body["decision"] == "accept"
    assert body["findings"] == []
    assert body["policy"] == "strict@test-1"
    assert body["model"] is None


def test_reject_with_span_into_the_field(client: FlaskClient, conforms: Conforms) -> None:
    fields = {**GOOD, "comment": "go kill"}
    body = conforms(post(client, {"site": "strict", "fields": fields})).get_json()
    assert body["decision"] == "reject"
    [finding] = body["findings"]
    assert finding["code"] == "banned.word" and finding["field"] == "comment"
    span = finding["span"]
    assert fields["comment"][span["start"]:span["end"]] == "kill"


def test_review_for_links(client: FlaskClient, conforms: Conforms) -> None:
    fields = {**GOOD, "comment": "a.com b.com"}
    body = conforms(post(client, {"site": "strict", "fields": fields,
                                  "context": {"article_url": "https://x.kz/a", "author_id": 7}}))
    assert body.get_json()["decision"] == "review"


def test_missing_required_field_is_a_verdict_not_an_error(client: FlaskClient,
                                                          conforms: Conforms) -> None:
    body = conforms(post(client, {"site": "strict", "fields": {"comment": "hi"}})).get_json()
    assert body["decision"] == "reject"
    assert [f["code"] for f in body["findings"]] == ["name.required"]


@pytest.mark.parametrize(
    ("body", "pointer", "words"),
    [
        ([], None, "must be a JSON object"),
        ({"site": "strict", "fields": "text"}, "/fields", "must be an object"),
        ({"site": "strict"}, "/fields", "missing"),
        ({"site": 5, "fields": {}}, "/site", "must be a string"),
        ({"site": "strict", "fields": {"comment": 5}}, "/fields/comment", "must be a string"),
        ({"site": "strict", "fields": {"comment": ["a"]}}, "/fields/comment", "not array"),
        ({"site": "strict", "fields": {"website": "x"}}, "/fields/website", "not a field"),
        ({"site": "strict", "fields": {}, "extra": 1}, "/extra", "Unknown member"),
        ({"site": "strict", "fields": {}, "context": []}, "/context", "must be an object"),
        ({"site": "strict", "fields": {}, "context": {"a": {"b": 1}}}, "/context/a",
         "string, number, boolean or null"),
        ({"site": "strict", "fields": {"comment": "a\u0000b"}}, "/fields/comment", "NUL"),
        ({"site": "strict", "fields": {f"f{i}": "x" for i in range(200)}}, "/fields/f0",
         "not a field"),
    ],
)
def test_wrong_shapes_are_400_naming_the_member(client: FlaskClient, conforms: Conforms,
                                                body: object, pointer: str | None,
                                                words: str) -> None:
    response = conforms(post(client, body))
    assert response.status_code == 400
    error = response.get_json()["error"]
    assert words in error["message"]
    assert error.get("pointer") == pointer


@pytest.mark.parametrize(
    ("raw", "words"),
    [
        (b"{not json", "not valid JSON"),
        (b'{"fields": {"comment": "\xff\xfe"}}', "not valid UTF-8"),
        (b'{"site": "strict", "fields": {"comment": "\\ud800"}}', "lone surrogate"),
        (b"[" * 100_00 + b"]" * 100_00, "nested too deeply"),
        (b'{"site": "strict", "fields": {}, "context": {"n": ' + b"9" * 5000 + b"}}",
         "not valid JSON"),
        (b"", "not valid JSON"),
    ],
)
def test_undecodable_bodies_are_400(client: FlaskClient, raw: bytes, words: str) -> None:
    response = client.post("/v1/check", data=raw, content_type="application/json",
                           environ_overrides={})
    if len(raw) > 4096:  # the test app's body limit
        assert response.status_code == 413
        return
    assert response.status_code == 400
    assert words in response.get_json()["error"]["message"]


def test_deep_nesting_under_the_limit_is_400(app: object) -> None:
    from moderator.http import create_app

    big = create_app({"POLICY_DIR": app.config["POLICY_DIR"], "MODELS_DIR": "/nonexistent",  # type: ignore[attr-defined]
                      "MAX_BODY_BYTES": 1 << 20})
    raw = b"[" * 100_000 + b"]" * 100_000
    response = big.test_client().post("/v1/check", data=raw, content_type="application/json")
    assert response.status_code == 400
    assert "nested too deeply" in response.get_json()["error"]["message"]


def test_not_json_is_415(client: FlaskClient, conforms: Conforms) -> None:
    response = conforms(client.post("/v1/check", data="comment=hi",
                                    content_type="application/x-www-form-urlencoded"))
    assert response.status_code == 415
    assert "application/json" in response.get_json()["error"]["message"]


def test_body_over_the_limit_is_413_before_reading(client: FlaskClient,
                                                   conforms: Conforms) -> None:
    body = json.dumps({"site": "strict", "fields": {"comment": "x" * 10_000}})
    response = conforms(client.post("/v1/check", data=body, content_type="application/json"))
    assert response.status_code == 413
    assert response.get_json()["error"]["code"] == "request_entity_too_large"


def test_unknown_site_is_404(client: FlaskClient, conforms: Conforms) -> None:
    response = conforms(post(client, {"site": "nope", "fields": GOOD}))
    assert response.status_code == 404
    assert "nope" in response.get_json()["error"]["message"]


def test_wrong_method_and_path_are_json(client: FlaskClient) -> None:
    response = client.get("/v1/check")
    assert response.status_code == 405 and "POST" in response.headers["Allow"]
    assert response.get_json()["error"]["status"] == 405
    assert client.get("/v2/nothing").get_json()["error"]["status"] == 404


def test_policy_describes_the_form(client: FlaskClient, conforms: Conforms) -> None:
    body = conforms(client.get("/v1/policy?site=strict")).get_json()
    assert body["length_unit"] == "utf16"
    fields = {f["name"]: f for f in body["fields"]}
    assert fields["comment"]["required"] and fields["comment"]["max_length"] == 20
    assert fields["email"]["type"] == "email" and not fields["email"]["required"]
    assert body["links"] == {"max": 1, "fields": ["comment"]}
    assert conforms(client.get("/v1/policy?site=nope")).status_code == 404


def test_healthz(client: FlaskClient, conforms: Conforms) -> None:
    body = conforms(client.get("/healthz")).get_json()
    digest = body.pop("policy_sha256")
    assert body == {"status": "ok", "sites": ["strict"], "policies": ["strict@test-1"],
                    "models": [], "store": {"status": "ok", "error": None}, "problems": []}
    assert len(digest) == 64


def test_missing_model_degrades_health_and_holds_comments(tmp_path: object,
                                                         openapi: object) -> None:
    """A policy whose model cannot load: /healthz says degraded, comments go to review."""
    from moderator.http import create_app

    app = create_app({"MODELS_DIR": str(tmp_path)})  # the default policy, no models at all
    client = app.test_client()
    health = client.get("/healthz").get_json()
    assert health["status"] == "degraded"
    [model] = health["models"]
    assert model["name"] == "propaganda" and model["version"] is None and model["error"]
    assert "CURRENT" in model["error"] and str(tmp_path) not in json.dumps(health)
    body = post(client, {"fields": {"comment": "A calm, ordinary comment.", "name": "Ann",
                                    "email": "ann@example.com"}}).get_json()
    assert body["decision"] == "review"
    assert [f["code"] for f in body["findings"]] == ["system.classifier_unavailable"]
