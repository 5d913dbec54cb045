"""JSON error responses: every client mistake is a 4xx that says what is wrong."""

from __future__ import annotations

import logging
import sqlite3

import psycopg
from flask import Blueprint, Flask, Response, current_app, jsonify
from sqlalchemy.exc import SQLAlchemyError
from werkzeug.exceptions import HTTPException

from moderator.errors import UnknownSiteError
from moderator.flood import FloodLimited
from moderator.service import StoreUnavailable
from moderator.store import QueueFull, TooManyPending, store_error_name

log = logging.getLogger(__name__)
#: Every error a database driver or SQLAlchemy can raise: read-only or failed-over
#: PostgreSQL, a corrupt or locked SQLite file, a full disk, a lost connection.
STORE_ERRORS = (SQLAlchemyError, sqlite3.Error, psycopg.Error)
STORE_RETRY_AFTER = "5"
QUEUE_FULL_RETRY_AFTER = "60"


class InvalidRequest(HTTPException):
    """400 with a message naming the offending member of the request body."""

    code = 400

    def __init__(self, message: str, *, pointer: str | None = None) -> None:
        super().__init__(message)
        self.pointer = pointer


def error_response(status: int, code: str, message: str, pointer: str | None = None) -> Response:
    body: dict[str, object] = {"status": status, "code": code, "message": message}
    if pointer is not None:
        body["pointer"] = pointer
    response = jsonify({"error": body})
    response.status_code = status
    return response


def _http_error(exc: HTTPException) -> Response:
    status = exc.code or 500
    code = (exc.name or "error").lower().replace(" ", "_")
    response = error_response(status, code, exc.description or exc.name,
                              getattr(exc, "pointer", None))
    if status == 405 and exc.get_response().headers.get("Allow"):
        response.headers["Allow"] = exc.get_response().headers["Allow"]
    return response


def _unknown_site(exc: UnknownSiteError) -> Response:
    return error_response(404, "unknown_site", f"No policy is configured for site {exc.site!r}.")


def _store_unavailable(exc: Exception) -> Response:
    """Our own outage: 503 with Retry-After, never a 500, and never Flask's traceback log.

    Only the exception's class is logged: the message of a driver error can quote the
    row it failed on (PostgreSQL's "Failing row contains (...)"), comment text included.
    """
    log.error("store unavailable: %s", store_error_name(exc))
    service = current_app.extensions.get("moderator")
    if service is not None and service.store is not None:
        service.store.recheck_health()
    response = error_response(503, "store_unavailable",
                              "The review store is unavailable; try again shortly.")
    response.headers["Retry-After"] = STORE_RETRY_AFTER
    return response


def _store_not_open(exc: StoreUnavailable) -> Response:
    """Our own outage: say so and when to retry; the comment was neither held nor accepted."""
    response = error_response(503, "store_unavailable",
                              "The review store is unavailable, so this comment cannot be "
                              "held for review; try again shortly.")
    response.headers["Retry-After"] = STORE_RETRY_AFTER
    return response


def _queue_full(exc: QueueFull) -> Response:
    log.warning("review queue full: site %s holds %d pending", exc.site, exc.limit)
    response = error_response(503, "queue_full",
                              "Too many comments are waiting for a moderator; try again later.")
    response.headers["Retry-After"] = QUEUE_FULL_RETRY_AFTER
    return response


def _too_many_pending(exc: TooManyPending) -> Response:
    log.warning("pending cap per address reached on site %s", exc.site)
    response = error_response(429, "too_many_pending",
                              "Too many of your comments are waiting for a moderator; "
                              "try again later.")
    response.headers["Retry-After"] = QUEUE_FULL_RETRY_AFTER
    return response


def _flood_limited(exc: FloodLimited) -> Response:
    """Past a [flood] rate: 429, the wait in Retry-After and in words for the commenter."""
    response = error_response(429, "too_many_comments", exc.message)
    response.headers["Retry-After"] = str(exc.retry_after)
    return response


def register_error_handlers(app: Flask | Blueprint) -> None:
    """On the whole app (`create_app`), or on the mounted blueprint only (`init_app`)."""
    app.register_error_handler(HTTPException, _http_error)
    app.register_error_handler(UnknownSiteError, _unknown_site)
    app.register_error_handler(QueueFull, _queue_full)
    app.register_error_handler(TooManyPending, _too_many_pending)
    app.register_error_handler(FloodLimited, _flood_limited)
    app.register_error_handler(StoreUnavailable, _store_not_open)
    for kind in STORE_ERRORS:
        app.register_error_handler(kind, _store_unavailable)
