"""Request ids, JSON request logs without comment text or email, Prometheus metrics."""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator

import pytest
from flask.testing import FlaskClient
from pythonjsonlogger.json import JsonFormatter

from moderator.http.observability import LOGGER_NAME

SECRET_TEXT = "private: kill it"
SECRET_EMAIL = "secret.reader@example.com"


class ListHandler(logging.Handler):
    def __init__(self) -> None:
        super().__init__()
        self.setFormatter(JsonFormatter("%(levelname)s %(name)s %(message)s"))
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(self.format(record))


@pytest.fixture
def log_lines() -> Iterator[list[str]]:
    handler = ListHandler()
    logger = logging.getLogger(LOGGER_NAME)
    logger.addHandler(handler)
    try:
        yield handler.lines
    finally:
        logger.removeHandler(handler)


def test_request_log_is_json_with_id_and_no_text_or_email(client: FlaskClient,
                                                          log_lines: list[str]) -> None:
    body = {"site": "strict", "fields": {"comment": SECRET_TEXT[:20], "name": "Ann",
                                         "email": SECRET_EMAIL}}
    response = client.post("/v1/check", json=body, headers={"X-Request-Id": "req-42"})
    assert response.headers["X-Request-Id"] == "req-42"
    [line] = log_lines
    record = json.loads(line)
    assert record["request_id"] == "req-42"
    assert record["status"] == 200 and record["endpoint"] == "/v1/check"
    assert record["decision"] == "reject" and record["codes"] == ["banned.word"]
    assert SECRET_TEXT[:20] not in line and SECRET_EMAIL not in line and "Ann" not in line


def test_bad_request_is_logged_without_the_body(client: FlaskClient,
                                                log_lines: list[str]) -> None:
    raw = b'{"site": "strict", "fields": {"comment": "' + SECRET_EMAIL.encode() + b'"'
    response = client.post("/v1/check", data=raw, content_type="application/json")
    assert response.status_code == 400
    assert SECRET_EMAIL not in log_lines[0] and json.loads(log_lines[0])["status"] == 400


@pytest.mark.parametrize("supplied", ["", "has space", "x" * 65, "semi;colon"])
def test_unusable_request_ids_are_replaced(client: FlaskClient, supplied: str) -> None:
    response = client.get("/healthz", headers={"X-Request-Id": supplied})
    generated = response.headers["X-Request-Id"]
    assert generated != supplied and len(generated) == 32


def test_metrics_count_requests_and_decisions(client: FlaskClient) -> None:
    def sample(text: str, name: str) -> float:
        for line in text.splitlines():
            if line.startswith(name):
                return float(line.rsplit(" ", 1)[1])
        return 0.0

    before = client.get("/metrics").get_data(as_text=True)
    client.post("/v1/check", json={"site": "strict", "fields": {"comment": "kill", "name": "A"}})
    after = client.get("/metrics")
    assert after.headers["Content-Type"].startswith("text/plain")
    text = after.get_data(as_text=True)
    for name in (
        'moderator_decisions_total{decision="reject",site="strict"}',
        'moderator_findings_total{action="reject",code="banned.word"}',
        'moderator_http_requests_total{endpoint="/v1/check",method="POST",status="200"}',
    ):
        assert sample(text, name) == sample(before, name) + 1
    assert "moderator_http_request_duration_seconds_bucket" in text


def test_model_gauge_follows_a_swap() -> None:
    from prometheus_client import REGISTRY, generate_latest

    from moderator.http.observability import metrics

    metrics().serving("swaptest", "swaptest/1")
    metrics().serving("swaptest", "swaptest/2")
    text = generate_latest(REGISTRY).decode()
    assert 'moderator_model_info{name="swaptest",version="swaptest/1"} 0.0' in text
    assert 'moderator_model_info{name="swaptest",version="swaptest/2"} 1.0' in text


def test_unknown_methods_share_one_metrics_label(client: FlaskClient) -> None:
    """A client picks the method; each made-up one must not become a series of its own."""
    for method in ("FROB", "XYZZY"):
        assert client.open("/v1/check", method=method).status_code == 405
    text = client.get("/metrics").get_data(as_text=True)
    assert 'method="other",status="405"' in text
    assert "FROB" not in text and "XYZZY" not in text


@pytest.mark.parametrize("extra", [
    {"request_id": "req-1", "method": "POST", "endpoint": "/v1/check", "status": 200,
     "duration_ms": 1.234, "site": "default", "decision": "review",
     "codes": ["banned.word", "links.too_many"], "policy": "default@1", "model": None},
    {"request_id": "é\u2028\"q\"", "status": 404, "duration_ms": 0.5, "codes": []},
    {},
])
def test_request_log_formatter_writes_what_json_formatter_writes(extra: dict) -> None:
    from moderator.http.observability import RequestLogFormatter

    record = logging.getLogger(LOGGER_NAME).makeRecord(
        LOGGER_NAME, logging.INFO, __file__, 1, "request", (), None, extra=extra)
    reference = JsonFormatter(RequestLogFormatter.FORMAT).format(record)
    assert RequestLogFormatter().format(record) == reference
    assert json.loads(reference)["message"] == "request"


def test_request_log_formatter_takes_the_general_way_for_exceptions() -> None:
    from moderator.http.observability import RequestLogFormatter

    try:
        raise ValueError("boom")
    except ValueError:
        import sys

        record = logging.getLogger(LOGGER_NAME).makeRecord(
            LOGGER_NAME, logging.ERROR, __file__, 1, "failed %s", ("x",), sys.exc_info())
    line = RequestLogFormatter().format(record)
    assert line == JsonFormatter(RequestLogFormatter.FORMAT).format(record)
    assert "ValueError" in json.loads(line)["exc_info"]


def test_request_log_formatter_times_records_of_one_second_and_the_next_alike() -> None:
    """One formatter over a run of times (it keeps the last second's text) writes what
    JsonFormatter writes for each: same second, the next, back again, midnight, a new year."""
    from moderator.http.observability import RequestLogFormatter

    fast, reference = RequestLogFormatter(), JsonFormatter(RequestLogFormatter.FORMAT)
    base = 1_798_761_599.0  # a second before 2027 in UTC; other zones cross other hours
    times = [base + 0.0005, base + 0.4, base + 0.999, base + 1.0, base + 1.001, base + 0.5,
             base + 86_400.25, base + 86_400.75, base + 3_600.0, base - 1e-6]
    for created in times:
        record = logging.getLogger(LOGGER_NAME).makeRecord(
            LOGGER_NAME, logging.INFO, __file__, 1, "request", (), None,
            extra={"status": 200})
        record.created = created
        record.msecs = (created - int(created)) * 1000 // 1 + 0.0
        assert fast.format(record) == reference.format(record), created
