"""The comment-form widget's server side: its script and stylesheet, the pre-check, CORS.

A site adds one tag, `<script src=".../v1/widget.js" data-form="#comment-form" defer>`;
the script reads GET /v1/policy and, on submit, POST /v1/precheck. Both files are served
from the package (no build step, no CDN), under whatever prefix `init_app` mounts us at.
A site on another origin than this server is let read those two endpoints when
WIDGET_ORIGINS names it (CORS); nothing else of ours is opened to other origins.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Any

import regex
from flask import Blueprint, Response, current_app, jsonify, request
from werkzeug.exceptions import UnsupportedMediaType

from moderator.errors import ModeratorError
from moderator.http.extension import require_mounted, settings_of
from moderator.http.requests import parse_check, parse_json, read_body
from moderator.service import Moderator
from moderator.types import Action, Verdict

widget = Blueprint("widget", __name__)
widget.record_once(require_mounted)

STATIC = Path(__file__).with_name("static")
#: Browsers may keep the files an hour; a site that pins a version can add `?v=...`.
STATIC_MAX_AGE = 3600
#: `app.extensions` key of the origins parsed from WIDGET_ORIGINS.
ORIGINS = "moderator.widget_origins"
#: The endpoints a widget on another origin calls.
CROSS_ORIGIN = frozenset({"moderator.api.policy", "moderator.widget.precheck"})
_ORIGIN = regex.compile(r"https?://[a-z0-9.-]+(?::[0-9]{1,5})?|\*")


class WidgetOriginsError(ModeratorError):
    """WIDGET_ORIGINS holds something that is not an origin."""


def parse_origins(raw: str | None) -> frozenset[str]:
    """`https://news.example,https://www.news.example` (or `*`: any site) -> the set."""
    origins = set()
    for entry in (raw or "").split(","):
        origin = entry.strip().rstrip("/").lower()
        if not origin:
            continue
        if not _ORIGIN.fullmatch(origin):
            raise WidgetOriginsError(f"{entry.strip()!r} is not an origin (scheme://host[:port], "
                                     "or * for any)")
        origins.add(origin)
    return frozenset(origins)


@widget.record_once
def _read_origins(state: Any) -> None:
    settings = settings_of(state.app)
    state.app.extensions[ORIGINS] = parse_origins(settings.get("WIDGET_ORIGINS"))


@widget.after_app_request
def _cross_origin(response: Response) -> Response:
    """Let a listed site read /v1/policy and /v1/precheck (its preflight included)."""
    if request.endpoint not in CROSS_ORIGIN:  # before the header: most requests stop here
        return response
    origin = request.headers.get("Origin")
    if not origin:
        return response
    allowed: frozenset[str] = current_app.extensions.get(ORIGINS, frozenset())
    response.vary.add("Origin")
    if origin.lower() not in allowed and "*" not in allowed:
        return response
    response.headers["Access-Control-Allow-Origin"] = origin
    if request.method == "OPTIONS":
        response.headers["Access-Control-Allow-Methods"] = "GET, POST"
        response.headers["Access-Control-Allow-Headers"] = "Content-Type"
        response.headers["Access-Control-Max-Age"] = "600"
    return response


@widget.get("/v1/widget.js")
def script() -> Response:
    return static_file("widget.js", "text/javascript")


@widget.get("/v1/widget.css")
def stylesheet() -> Response:
    return static_file("widget.css", "text/css")


def static_file(name: str, mimetype: str) -> Response:
    """A file of the package, with an ETag so a browser's revalidation costs no body."""
    response = Response(read_static(name), mimetype=mimetype)
    response.cache_control.public = True
    response.cache_control.max_age = STATIC_MAX_AGE
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.add_etag()
    return response.make_conditional(request)


@lru_cache(maxsize=8)
def read_static(name: str) -> bytes:
    """Read once per worker: the files change only with a new release."""
    return (STATIC / name).read_bytes()


@widget.post("/v1/precheck")
def precheck() -> Response:
    """The policy's verdict for a comment not yet sent: nothing is stored or counted.

    Called by the commenter's browser, so it answers only what the form shows: the
    decision and, per finding that asks for something, its code, field, action and
    message. Scores, spans and rule evidence stay server-side: they would teach a
    writer how to word a call to violence so that it passes.
    """
    if not request.is_json:
        raise UnsupportedMediaType("Send the comment as JSON with Content-Type: application/json.")
    service: Moderator = current_app.extensions["moderator"]
    comment = parse_check(parse_json(read_body(request)), service.policy)
    response = jsonify(precheck_body(service.precheck(comment)))
    response.headers["Cache-Control"] = "no-store"
    return response


def precheck_body(verdict: Verdict) -> dict[str, Any]:
    """The commenter-facing part of a verdict (flags are notes for moderators: left out)."""
    return {
        "decision": verdict.decision.value,
        "findings": [
            {"code": f.code, "field": f.field, "action": f.action.value, "message": f.message}
            for f in verdict.findings
            if f.action is not Action.FLAG
        ],
        "policy": verdict.policy,
        "language": verdict.language,
    }
