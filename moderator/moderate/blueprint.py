"""The moderators' page blueprint: who is signed in, CSRF checks, page headers,
and error pages (HTML for the browser, JSON for the page's own script).

A session is a random token in an HttpOnly, SameSite=Strict cookie (Secure over https)
whose digest the store keeps with the moderator's name, their key's fingerprint and a
CSRF token. Every POST but the sign-in must carry that CSRF token (form field `csrf` or
header X-CSRF-Token); the sign-in form carries a token of its own, doubled in a cookie.
"""

from __future__ import annotations

import hmac
import logging
import secrets
from datetime import datetime
from typing import Any
from urllib.parse import urlencode

from flask import Blueprint, Response, current_app, g, jsonify, render_template, request, url_for
from werkzeug.exceptions import HTTPException

from moderator.auth import AdminKeys
from moderator.http.errors import STORE_ERRORS
from moderator.http.extension import require_mounted
from moderator.moderate import i18n
from moderator.service import Moderator, StoreUnavailable
from moderator.store import SessionRecord, Store, store_error_name
from moderator.store.times import iso

log = logging.getLogger(__name__)

moderate = Blueprint("moderate", __name__, template_folder="templates",
                     static_folder="static", static_url_path="/moderate/static")
moderate.record_once(require_mounted)

SESSION_COOKIE = "moderator_session"
SIGN_IN_COOKIE = "moderator_sign_in"
#: Endpoints a stranger may reach: the sign-in form and the static files.
PUBLIC = {"sign_in_form", "sign_in", "static"}
_CSP = ("default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; "
        "connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'")


class PageError(HTTPException):
    """An error with a message key of the page's catalog (shown in the reader's language)."""

    def __init__(self, code: int, key: str, **values: Any) -> None:
        super().__init__(key)
        self.code = code
        self.key = key
        self.values = values


def service() -> Moderator:
    return current_app.extensions["moderator"]  # type: ignore[no-any-return]


def store() -> Store:
    """The review store; a checker that keeps none has no page to show (404)."""
    found = service().store
    if found is None:
        raise PageError(404, "page_not_found")
    return found


def t(key: str, **values: Any) -> str:
    return i18n.translate(g.get("lang", "en"), key, **values)


def wants_json() -> bool:
    best = request.accept_mimetypes.best_match(["text/html", "application/json"])
    return best == "application/json"


def setting(name: str, default: Any) -> Any:
    from moderator.http.extension import settings_of

    value = settings_of(current_app).get(name, default)
    return default if value in (None, "") else value


def cookie_path() -> str:
    return url_for(".queue").rstrip("/") or "/"


def render(template: str, status: int = 200, **context: Any) -> Response:
    body = render_template(f"moderate/{template}", t=t, lang=g.get("lang", "en"),
                           languages=i18n.LANGUAGE_NAMES, me=g.get("moderator"),
                           csrf=g.get("csrf"), **context)
    return Response(body, status=status, mimetype="text/html")


def sign_in_page(status: int, message: str | None = None) -> Response:
    """The sign-in form with a fresh sign-in token (also in a cookie, to be doubled back)."""
    token = secrets.token_urlsafe(24)
    keys: AdminKeys = current_app.extensions["admin_keys"]
    response = render("sign_in.html", status, message=message, sign_in_token=token,
                      no_keys=not keys)
    response.set_cookie(SIGN_IN_COOKIE, token, max_age=600, path=cookie_path(),
                        httponly=True, samesite="Strict", secure=request.is_secure)
    return response


def _session() -> SessionRecord | None:
    record = store().find_session(request.cookies.get(SESSION_COOKIE))
    if record is None:
        return None
    keys: AdminKeys = current_app.extensions["admin_keys"]
    if keys.fingerprint(record.moderator) != record.key_fingerprint:
        return None  # the key was removed from the config, or given a new secret
    return record


def when(value: datetime | None) -> str:
    """A stored time as moderators read it: minutes, in UTC (what the audit log says)."""
    return value.strftime("%Y-%m-%d %H:%M UTC") if value else ""


def here_with(**changes: Any) -> str:
    """This page's URL with some query parameters changed (None or "": removed)."""
    args = {**request.args.to_dict(), **changes}
    args = {k: v for k, v in args.items() if v not in (None, "")}
    if request.endpoint:
        return url_for(request.endpoint, **(request.view_args or {}), **args)
    return request.path + ("?" + urlencode(args) if args else "")


def language_name(code: str | None) -> str:
    return t(f"lang_{code}") if code in ("en", "ru", "kk", "other") else t("lang_none")


@moderate.context_processor
def _helpers() -> dict[str, Any]:
    return {"here_with": here_with, "when": when, "iso": iso, "language_name": language_name}


@moderate.before_request
def _guard() -> Response | None:
    g.lang = i18n.pick(request)
    if request.endpoint and request.endpoint.rsplit(".", 1)[-1] in PUBLIC:
        return None
    record = _session()
    if record is None:
        if wants_json():
            return _json_error(401, "unauthorized", t("session_ended"))
        return sign_in_page(401, t("unauthorized"))
    g.moderator, g.csrf = record.moderator, record.csrf_token
    if request.method == "POST":
        sent = request.headers.get("X-CSRF-Token") or request.form.get("csrf") or ""
        if not hmac.compare_digest(sent.encode(), record.csrf_token.encode()):
            log.warning("csrf token missing or wrong", extra={"moderator": record.moderator})
            raise PageError(403, "csrf_failed")
    return None


@moderate.after_request
def _headers(response: Response) -> Response:
    if request.endpoint and request.endpoint.endswith(".static"):
        return response
    response.headers["Content-Security-Policy"] = _CSP
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["X-Frame-Options"] = "DENY"
    response.headers["Referrer-Policy"] = "no-referrer"
    response.headers["Cache-Control"] = "no-store"
    chosen = request.args.get("lang")
    if chosen in i18n.LANGUAGES:
        response.set_cookie(i18n.COOKIE, chosen, max_age=365 * 86400, path=cookie_path(),
                            samesite="Strict", secure=request.is_secure)
    return response


def _json_error(status: int, code: str, message: str) -> Response:
    response = jsonify({"error": {"status": status, "code": code, "message": message}})
    response.status_code = status
    return response


def _error_page(status: int, code: str, message: str) -> Response:
    if wants_json():
        return _json_error(status, code, message)
    return render("error.html", status, status_code=status, message=message)


@moderate.errorhandler(PageError)
def _page_error(exc: PageError) -> Response:
    return _error_page(exc.code or 400, exc.key, t(exc.key, **exc.values))


@moderate.errorhandler(HTTPException)
def _http_error(exc: HTTPException) -> Response:
    status = exc.code or 500
    message = t("page_not_found") if status == 404 else exc.description or exc.name
    return _error_page(status, (exc.name or "error").lower().replace(" ", "_"), message)


def _store_down(exc: Exception) -> Response:
    log.error("store unavailable: %s", store_error_name(exc))
    response = _error_page(503, "store_unavailable", t("store_unavailable"))
    response.headers["Retry-After"] = "5"
    return response


moderate.register_error_handler(StoreUnavailable, _store_down)
for _kind in STORE_ERRORS:
    moderate.register_error_handler(_kind, _store_down)
