"""/v1/check under a `[flood]` policy: 429 with Retry-After past a rate, a held repeat, and
Redis down giving the policy's failure action (never a 500, never a silent accept)."""

from __future__ import annotations

import logging
from collections.abc import Callable
from pathlib import Path

import pytest
from flask import Flask
from werkzeug.test import TestResponse

from moderator.servertest import free_port

POLICY = """
[policy]
site = "flood"
version = "t1"

[fields.comment]
required = true

[fields.name]
required = true

[fields.email]
type = "email"

[flood]
repeat_window_minutes = 5
per_commenter = "2 per 60 seconds"
per_ip = "4 per 60 seconds"
message = "Too fast: please wait {wait}."

[failure]
on_flood_error = "{on_error}"
"""
#: Words that appear nowhere but in what is sent, so finding them in a log is a leak.
SECRETS = ("Qzvxkw", "Wkvqzx", "qzvx@example.org", "198.51.100.77")
Conforms = Callable[[TestResponse], TestResponse]


def make_app(tmp_path: Path, redis_url: str | None = None, prefix: str = "moderator",
             on_error: str = "review") -> Flask:
    from moderator.http import create_app

    policy = tmp_path / f"flood-{on_error}.toml"
    policy.write_text(POLICY.replace("{on_error}", on_error), encoding="utf-8")
    return create_app({"POLICY_DIR": str(policy), "MODELS_DIR": str(tmp_path),
                       "TESTING": True, "REDIS_URL": redis_url or "",
                       "REDIS_KEY_PREFIX": prefix, "HASH_KEY": "0123456789abcdef" * 2,
                       "DATABASE_URL": f"sqlite:///{tmp_path / 'store.sqlite3'}"})


def post(client: object, text: str, email: str = "qzvx@example.org",
         ip: str = "198.51.100.77") -> TestResponse:
    body = {"site": "flood", "fields": {"comment": text, "name": "Wkvqzx", "email": email},
            "context": {"ip": ip}}
    return client.post("/v1/check", json=body)  # type: ignore[attr-defined, no-any-return]


@pytest.fixture(params=["memory", "redis"])
def app(request: pytest.FixtureRequest, tmp_path: Path) -> Flask:
    if request.param == "memory":
        return make_app(tmp_path)
    url, prefix = request.getfixturevalue("redis_prefix")
    return make_app(tmp_path, url, prefix)


def test_past_the_commenter_rate_is_a_429_with_retry_after(app: Flask,
                                                           conforms: Conforms) -> None:
    client = app.test_client()
    assert conforms(post(client, "First Qzvxkw")).get_json()["decision"] == "accept"
    assert conforms(post(client, "Second Qzvxkw")).status_code == 200
    refused = conforms(post(client, "Third Qzvxkw"))
    assert refused.status_code == 429
    retry = int(refused.headers["Retry-After"])
    assert 1 <= retry <= 60
    assert refused.get_json() == {"error": {
        "status": 429, "code": "too_many_comments",
        "message": f"Too fast: please wait {retry} seconds."}}
    assert post(client, "Fourth", email="other@example.org").status_code == 200


def test_past_the_ip_rate_is_a_429(app: Flask, conforms: Conforms) -> None:
    client = app.test_client()
    for i in range(4):
        assert post(client, f"text {i}", email=f"c{i}@example.org").status_code == 200
    refused = conforms(post(client, "text 4", email="c4@example.org"))
    assert refused.status_code == 429 and refused.get_json()["error"]["code"] == \
        "too_many_comments"


def test_a_repeat_is_held_for_review(app: Flask, conforms: Conforms) -> None:
    client = app.test_client()
    assert post(client, "Same words Qzvxkw").get_json()["decision"] == "accept"
    again = conforms(post(client, "same  words qzvxkw")).get_json()
    assert again["decision"] == "review" and "id" in again  # held in the queue
    assert [f["code"] for f in again["findings"]] == ["flood.repeat"]


@pytest.mark.parametrize("on_error", ["review", "reject"])
def test_redis_down_gives_the_failure_action_not_a_500(
        tmp_path: Path, on_error: str, conforms: Conforms,
        caplog: pytest.LogCaptureFixture) -> None:
    app = make_app(tmp_path, f"redis://127.0.0.1:{free_port()}/0", on_error=on_error)
    client = app.test_client()
    with caplog.at_level(logging.DEBUG):
        responses = [conforms(post(client, f"Words Qzvxkw {i}")) for i in range(4)]
    assert {r.status_code for r in responses} == {200}  # no rate can be enforced either
    for response in responses:
        verdict = response.get_json()
        assert verdict["decision"] == on_error
        assert [f["code"] for f in verdict["findings"]] == ["system.flood_error"]
    health = client.get("/healthz").get_json()
    assert health["status"] == "degraded"
    assert any(p.startswith("flood limits: ") for p in health["problems"])
    for secret in SECRETS:
        assert secret not in caplog.text


def test_healthz_ok_while_redis_answers(redis_prefix: tuple[str, str], tmp_path: Path) -> None:
    url, prefix = redis_prefix
    health = make_app(tmp_path, url, prefix).test_client().get("/healthz").get_json()
    assert health["status"] == "ok", health["problems"]


def test_a_bad_redis_url_stops_the_app(tmp_path: Path) -> None:
    from moderator.flood import FloodConfigError

    with pytest.raises(FloodConfigError, match="MODERATOR_REDIS_URL"):
        make_app(tmp_path, "http://127.0.0.1:6379")
