"""JSON error responses: every client mistake is a 4xx that says what is wrong."""

from __future__ import annotations

from flask import Flask, Response, jsonify
from werkzeug.exceptions import HTTPException

from moderator.errors import UnknownSiteError


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


def register_error_handlers(app: Flask) -> None:
    app.register_error_handler(HTTPException, _http_error)
    app.register_error_handler(UnknownSiteError, _unknown_site)
