"""The hot path's JSON answers are the bytes `jsonify` gives, and /v1/check's answers are
exactly the bodies and headers built here independently, for good and bad requests."""

from __future__ import annotations

import datetime
import decimal
import io
import json
import os
import uuid
from typing import Any

import pytest
from flask import Flask, jsonify
from flask.testing import FlaskClient

from moderator.http.fastjson import json_response
from moderator.http.observability import request_id
from moderator.types import Comment

VALUES: list[Any] = [
    {"decision": "accept", "findings": [], "scores": {"propaganda": 0.0056},
     "policy": "default@2026.12.04", "model": "propaganda/2026.12.02.1", "language": "en"},
    {"decision": "review", "findings": [{"code": "banned.term", "field": "comment",
                                         "action": "review", "message": "Полицейлерді «x»",
                                         "span": {"start": 0, "end": 12},
                                         "detail": {"score": 1e-07, "big": 10**30,
                                                    "neg": -0.0, "t": (1, 2.5)}}],
     "scores": {}, "policy": "p@1", "model": None, "language": "kk", "id": "q-1"},
    {"é\u2028": "\x00\"\\/\ud83d", "z": 1, "a": [True, False, None, 0.1, 3.0]},
    {"when": datetime.datetime(2026, 12, 3, 15, 0, tzinfo=datetime.UTC),
     "day": datetime.date(2026, 12, 3), "id": uuid.UUID(int=7), "n": decimal.Decimal("1.50")},
    [], "text", 0, None,
]


def _answer(respond: Any, value: Any) -> tuple[int, list[tuple[str, str]], bytes] | str:
    """The status, headers and body; or the error (a lone surrogate cannot be UTF-8)."""
    try:
        response = respond(value)
    except (TypeError, ValueError) as exc:
        return repr(exc)
    return response.status_code, list(response.headers.items()), response.get_data()


@pytest.mark.parametrize("value", VALUES)
@pytest.mark.parametrize("setup", ["served", "debug", "sorted", "spread", "unicode"])
def test_json_response_is_jsonify_byte_for_byte(value: Any, setup: str) -> None:
    app = Flask(__name__)
    app.json.sort_keys = setup == "sorted"  # type: ignore[attr-defined]
    app.debug = setup == "debug"
    if setup == "spread":
        app.json.compact = False  # type: ignore[attr-defined]
    if setup == "unicode":
        app.json.ensure_ascii = False  # type: ignore[attr-defined]
    with app.app_context():
        assert _answer(json_response, value) == _answer(jsonify, value)


def test_json_response_does_not_encode_what_jsonify_refuses() -> None:
    app = Flask(__name__)
    with app.app_context(), pytest.raises(TypeError):
        json_response({"x": object()})


@pytest.mark.parametrize("random", [bytes(16), b"\xff" * 16, *(os.urandom(16) for _ in range(50))])
def test_request_ids_are_uuid4_hex(random: bytes) -> None:
    assert request_id(random) == uuid.UUID(bytes=random, version=4).hex


def _compact(value: Any) -> bytes:
    """The served JSON, built here: compact, ASCII-escaped, keys in their order, a newline."""
    return (json.dumps(value, ensure_ascii=True, separators=(",", ":")) + "\n").encode()


def _error(status: int, code: str, message: str, pointer: str | None = None) -> bytes:
    body: dict[str, Any] = {"status": status, "code": code, "message": message}
    if pointer is not None:
        body["pointer"] = pointer
    return _compact({"error": body})


def _expect(response: Any, status: int, body: bytes) -> None:
    assert response.status_code == status
    assert response.get_data() == body
    headers = list(response.headers.items())
    assert headers == [("Content-Type", "application/json"),
                       ("Content-Length", str(len(body))),
                       ("X-Request-Id", "req-7")]


def test_a_good_check_answers_the_verdict_exactly(app: Flask, client: FlaskClient) -> None:
    fields = {"comment": "Calm «words» — ok.", "name": "Айгерим", "email": "a@example.kz"}
    verdict = app.extensions["moderator"].check(Comment(fields=fields, site="strict"))
    response = client.post("/v1/check", json={"site": "strict", "fields": fields},
                           headers={"X-Request-Id": "req-7"})
    assert verdict.decision.value == "accept"
    _expect(response, 200, _compact(verdict.to_dict()))


@pytest.mark.parametrize(("raw", "status", "expected"), [
    (b"{not json", 400, _error(400, "bad_request", "The body is not valid JSON: Expecting "
                                                   "property name enclosed in double quotes "
                                                   "at line 1 column 2.")),
    (b'{"fields": {"comment": "\xff"}}', 400,
     _error(400, "bad_request", "The body is not valid UTF-8 (byte 24).")),
    (b'[1]', 400, _error(400, "bad_request", "The body must be a JSON object, not array.")),
    (b'{"site": "strict", "fields": {"comment": 5}}', 400,
     _error(400, "bad_request", "/fields/comment must be a string, not number.",
            "/fields/comment")),
    (b'{"site": "strict", "fields": {"comment": "ab\\ud800"}}', 400,
     _error(400, "bad_request", "/fields/comment contains a lone surrogate at position 2.",
            "/fields/comment")),
    (b'{"site": "strict", "fields": {"comment": "a\\u0000"}}', 400,
     _error(400, "bad_request", "/fields/comment contains a NUL character.", "/fields/comment")),
    (b'{"site": "strict", "fields": {"comment": "\xc3\xa9\\u0000"}}', 400,
     _error(400, "bad_request", "/fields/comment contains a NUL character.", "/fields/comment")),
    (b'{"x": 1, "b": 2, "site": "strict"}', 400,
     _error(400, "bad_request", "Unknown member /b; expected site, fields, context.", "/b")),
    (b'{"site": 1}', 400, _error(400, "bad_request", "/site must be a string, not number.",
                                 "/site")),
    (b'{"site": "strict", "fields": {"comment": "' + b"x" * 5000 + b'"}}', 413,
     _error(413, "request_entity_too_large", "The body is larger than the 4096-byte limit.")),
    (b'{"site": "nope", "fields": {}}', 404,
     _error(404, "unknown_site", "No policy is configured for site 'nope'.")),
])
def test_bad_checks_answer_their_errors_exactly(client: FlaskClient, raw: bytes, status: int,
                                                expected: bytes) -> None:
    response = client.post("/v1/check", data=raw, content_type="application/json",
                           headers={"X-Request-Id": "req-7"})
    _expect(response, status, expected)


def test_a_chunked_body_over_the_limit_is_413_exactly(client: FlaskClient) -> None:
    raw = b'{"site": "strict", "fields": {"comment": "' + b"x" * 5000 + b'"}}'
    response = client.post("/v1/check", input_stream=io.BytesIO(raw),
                           content_type="application/json",
                           headers={"X-Request-Id": "req-7", "Transfer-Encoding": "chunked"})
    _expect(response, 413, _error(413, "request_entity_too_large",
                                  "The body is larger than the 4096-byte limit."))
