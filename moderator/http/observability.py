"""Request ids, JSON request logs and Prometheus metrics.

Logs and metrics carry what happened (path, status, site, decision, finding codes,
duration) and never what was written: no comment text, names or emails.
Under gunicorn, `moderator serve` sets PROMETHEUS_MULTIPROC_DIR before any worker
starts, so /metrics adds up every worker.
"""

from __future__ import annotations

import json
import logging
import os
import time
from functools import lru_cache
from typing import TYPE_CHECKING, Any

import regex
from flask import Blueprint, Flask, Response, g, request
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    generate_latest,
    multiprocess,
)
from pythonjsonlogger.core import merge_record_extra
from pythonjsonlogger.json import JsonFormatter

from moderator.types import Verdict

if TYPE_CHECKING:
    from moderator.service import Moderator

LOGGER_NAME = "moderator.requests"
_METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})
_REQUEST_ID = regex.compile(r"[A-Za-z0-9._-]{1,64}")
_LOG = logging.getLogger(LOGGER_NAME)


class Metrics:
    """The service's metric families, created once per process."""

    def __init__(self) -> None:
        self.requests = Counter("moderator_http_requests_total", "HTTP requests",
                                ["endpoint", "method", "status"])
        self.latency = Histogram(
            "moderator_http_request_duration_seconds", "Time to answer a request", ["endpoint"],
            buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5),
        )
        self.decisions = Counter("moderator_decisions_total", "Verdicts by site and decision",
                                 ["site", "decision"])
        self.findings = Counter("moderator_findings_total", "Findings by code and action",
                                ["code", "action"])
        self.model = Gauge("moderator_model_info", "1 for each model version a worker serves",
                           ["name", "version"], multiprocess_mode="liveall")

        self._serving: dict[str, str] = {}
        # Labelled children by label values: `labels()` validates and locks on every call,
        # a dictionary lookup does not, and the set of label values is small.
        self._children: dict[tuple[str, ...], Any] = {}

    def _child(self, family: str, *values: str) -> Any:
        key = (family, *values)
        child = self._children.get(key)
        if child is None:
            child = self._children[key] = getattr(self, family).labels(*values)
        return child

    def request(self, endpoint: str, method: str, status: int, seconds: float) -> None:
        method = method if method in _METHODS else "other"  # a client picks it: keep it bounded
        self._child("requests", endpoint, method, str(status)).inc()
        self._child("latency", endpoint).observe(seconds)

    def serving(self, name: str, version: str) -> None:
        """Mark `version` as the one this worker serves for `name` (0 for the one it replaced)."""
        previous = self._serving.get(name)
        if previous == version:
            return
        if previous is not None:
            self.model.labels(name, previous).set(0)
        self.model.labels(name, version).set(1)
        self._serving[name] = version

    def record_verdict(self, site: str, verdict: Verdict) -> None:
        self._child("decisions", site, verdict.decision.value).inc()
        for finding in verdict.findings:
            self._child("findings", finding.code, finding.action.value).inc()
        if verdict.model:  # "<name>/<version>": a hot swap shows up with the first verdict
            self.serving(verdict.model.split("/", 1)[0], verdict.model)


@lru_cache(maxsize=1)
def metrics() -> Metrics:
    """One set per process: prometheus_client's registry is global."""
    return Metrics()


def render_metrics() -> Response:
    """Every worker's metrics when running multi-process, else this process's."""
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)
        payload = generate_latest(registry)
    else:
        from prometheus_client import REGISTRY

        payload = generate_latest(REGISTRY)
    return Response(payload, mimetype=CONTENT_TYPE_LATEST)


class RequestLogFormatter(JsonFormatter):
    """`JsonFormatter("%(asctime)s %(levelname)s %(name)s %(message)s")`, byte for byte,
    without its general machinery for the one kind of record every request logs.

    A plain record (a string message, no exception or stack) is built here: the four
    fields, then the record's extras exactly as JsonFormatter merges them, through one
    JSON encoder made once. Anything else goes the general way. Worth it because every
    request pays for this line (about a fifth of the HTTP layer's own cost).
    """

    FORMAT = "%(asctime)s %(levelname)s %(name)s %(message)s"

    def __init__(self) -> None:
        super().__init__(self.FORMAT)
        self._encoder = json.JSONEncoder(ensure_ascii=True)
        self._plain = self._required_fields == ["asctime", "levelname", "name", "message"]
        self._second: tuple[int, str] = (-1, "")  # a second and its local time's text

    def format(self, record: logging.LogRecord) -> str:
        if (not self._plain or record.exc_info or record.exc_text or record.stack_info
                or not isinstance(record.msg, str) or self.prefix):
            return super().format(record)
        record.message = record.getMessage()
        record.asctime = self._asctime(record)
        data: dict[str, Any] = {"asctime": record.asctime, "levelname": record.levelname,
                                "name": record.name, "message": record.message}
        merge_record_extra(record, data, reserved=self._skip_fields)
        try:
            return self._encoder.encode(data)
        except (TypeError, ValueError):  # a value only JsonFormatter's encoder knows
            return super().format(record)


    def _asctime(self, record: logging.LogRecord) -> str:
        """`formatTime(record, datefmt)`, with the seconds' text kept while they last.

        Every request of one second formats the same local time; only the milliseconds
        differ. Anything but the default format and converter goes the general way.
        """
        if (self.datefmt is not None or self.converter is not time.localtime
                or not self.default_msec_format):
            return self.formatTime(record, self.datefmt)
        second = int(record.created)  # what localtime(created) reads of it
        cached = self._second  # one tuple, so threads sharing the formatter agree
        if cached[0] != second:
            cached = self._second = (
                second, time.strftime(self.default_time_format, time.localtime(second)))
        return self.default_msec_format % (cached[1], record.msecs)


def configure_logging() -> logging.Logger:
    """JSON lines on stderr for the request logger (idempotent across app instances)."""
    logger = logging.getLogger(LOGGER_NAME)
    if not logger.handlers:
        handler = logging.StreamHandler()
        handler.setFormatter(RequestLogFormatter())
        logger.addHandler(handler)
        logger.setLevel(logging.INFO)
        logger.propagate = False
    return logger


def request_id(random: bytes) -> str:
    """`uuid.UUID(bytes=random, version=4).hex` from 16 random bytes, without the object."""
    raw = bytearray(random)
    raw[6] = (raw[6] & 0x0F) | 0x40  # version 4
    raw[8] = (raw[8] & 0x3F) | 0x80  # the RFC 4122 variant
    return raw.hex()


def _before() -> None:
    # Werkzeug's request.headers.get("X-Request-Id") reads this environ key.
    supplied = request.environ.get("HTTP_X_REQUEST_ID", "")
    state = g._get_current_object()  # type: ignore[attr-defined]
    state.request_id = (supplied if _REQUEST_ID.fullmatch(supplied)
                        else request_id(os.urandom(16)))
    state.started = time.perf_counter()


def _after(response: Response) -> Response:
    # The request and g once each: every `request.x` or `g.x` goes through a context
    # lookup, and this runs on every request.
    now = time.perf_counter()
    state = g._get_current_object()  # type: ignore[attr-defined]
    req = request._get_current_object()  # type: ignore[attr-defined]
    started = state.get("started")
    elapsed = now - (started if started is not None else time.perf_counter())
    rule = req.url_rule
    endpoint = rule.rule if rule else "unmatched"
    method, status = req.method, response.status_code
    metrics().request(endpoint, method, status, elapsed)
    rid = state.get("request_id")
    response.headers["X-Request-Id"] = rid if rid is not None else ""
    verdict: Verdict | None = state.get("verdict")
    fields = {
        "request_id": rid,
        "method": method,
        "endpoint": endpoint,
        "status": status,
        "duration_ms": round(elapsed * 1000, 3),
    }
    if verdict is not None:
        fields.update(site=state.get("site"), decision=verdict.decision.value,
                      codes=[f.code for f in verdict.findings], policy=verdict.policy,
                      model=verdict.model)
    _LOG.info("request", extra=fields)
    return response


def install(app: Flask | Blueprint, service: Moderator) -> None:
    """Wire request ids, the request log and metrics into `app` (or only a mounted blueprint)."""
    configure_logging()
    m = metrics()
    for status in service.model_status():
        if status.version:
            m.serving(status.name, status.version)
    app.before_request(_before)
    app.after_request(_after)
    app.add_url_rule("/metrics", "metrics", render_metrics, methods=["GET"])
