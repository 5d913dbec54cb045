"""The comment-form widget's server side: its script and stylesheet, and the pre-check.

A site adds one tag, `<script src=".../v1/widget.js" data-form="#comment-form" defer>`;
the script reads GET /v1/policy and, on submit, POST /v1/precheck. Both files are served
from the package (no build step, no CDN), under whatever prefix `init_app` mounts us at.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Any

from flask import Blueprint, Response, current_app, jsonify, request
from werkzeug.exceptions import UnsupportedMediaType

from moderator.http.extension import require_mounted
from moderator.http.requests import parse_check, parse_json, read_body
from moderator.service import Moderator
from moderator.types import Action, Verdict

widget = Blueprint("widget", __name__)
widget.record_once(require_mounted)

STATIC = Path(__file__).with_name("static")
#: Browsers may keep the files an hour; a site that pins a version can add `?v=...`.
STATIC_MAX_AGE = 3600


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
