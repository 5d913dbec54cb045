"""The moderators' blueprint: review queue, decisions and labels, behind Bearer keys.

Authentication runs in `before_request`, before anything reads the body, so a request
with a wrong or missing key is answered 401 without its body being parsed, stored or
logged.
"""

from __future__ import annotations

import logging
import re
from typing import Any

from flask import Blueprint, Response, current_app, g, jsonify, request
from werkzeug.exceptions import NotFound as HTTPNotFound
from werkzeug.exceptions import UnsupportedMediaType

from moderator.auth import AdminKeys, bearer_token
from moderator.errors import UnknownSiteError
from moderator.http.errors import InvalidRequest, error_response
from moderator.http.extension import require_mounted
from moderator.http.requests import parse_json, read_body
from moderator.service import Moderator
from moderator.store import (
    DECISIONS,
    LABELS,
    MAX_NOTE,
    REASONS,
    STATUSES,
    AlreadyDecided,
    LabelNotFound,
    NotFound,
    Store,
)

admin = Blueprint("admin", __name__)
admin.record_once(require_mounted)
log = logging.getLogger(__name__)

MAX_PAGE = 200
DEFAULT_PAGE = 50
MAX_LABEL_TEXT = 20_000
_ID = re.compile(r"[0-9a-f]{32}")
_LANG = re.compile(r"(?:[a-z]{2}|und)")
_LABEL_ID = re.compile(r"[1-9][0-9]{0,17}")
MAX_SITE = 200
_FLAGS = {"true": True, "1": True, "false": False, "0": False}


def _store() -> Store:
    service: Moderator = current_app.extensions["moderator"]
    if service.store is None:
        raise HTTPNotFound("The review queue is not enabled on this server.")
    return service.store


@admin.before_request
def authenticate() -> Response | None:
    keys: AdminKeys = current_app.extensions["admin_keys"]
    name = keys.identify(bearer_token(request.headers.get("Authorization")))
    if name is None:
        # Nothing of the request but its path goes anywhere: the body is never read.
        response = error_response(401, "unauthorized",
                                  "This endpoint needs Authorization: Bearer <admin key>.")
        response.headers["WWW-Authenticate"] = 'Bearer realm="moderator"'
        return response
    g.admin_name = name
    return None


def _json_object(allowed: set[str]) -> dict[str, Any]:
    if not request.is_json:
        raise UnsupportedMediaType("Send JSON with Content-Type: application/json.")
    payload = parse_json(read_body(request))
    if not isinstance(payload, dict):
        raise InvalidRequest("The body must be a JSON object.")
    unknown = sorted(set(payload) - allowed)
    if unknown:
        expected = ", ".join(sorted(allowed))
        raise InvalidRequest(f"Unknown member /{unknown[0]}; expected {expected}.",
                             pointer=f"/{unknown[0]}")
    return payload


def _choice(payload: dict[str, Any], name: str, choices: tuple[str, ...] | list[str],
            required: bool = True) -> str | None:
    value = payload.get(name)
    if value is None and not required:
        return None
    if not isinstance(value, str) or value not in choices:
        raise InvalidRequest(f"/{name} must be one of {', '.join(choices)}.", pointer=f"/{name}")
    return value


def _int_arg(name: str, default: int, low: int, high: int) -> int:
    raw = request.args.get(name)
    if raw is None or raw == "":
        return default
    if not raw.isascii() or not raw.isdigit() or not low <= int(raw) <= high:
        raise InvalidRequest(f"Query parameter {name} must be an integer from {low} to {high}.")
    return int(raw)


@admin.get("/v1/queue")
def queue() -> Response:
    site = request.args.get("site") or None
    if site is not None:
        current_app.extensions["moderator"].policy(site)  # unknown site -> 404
    status = request.args.get("status", "pending")
    if status not in STATUSES:
        raise InvalidRequest(f"Query parameter status must be one of {', '.join(STATUSES)}.")
    limit = _int_arg("limit", DEFAULT_PAGE, 1, MAX_PAGE)
    after = _int_arg("cursor", 0, 0, 2**62)
    items, next_cursor = _store().queue(site, status, limit, after)
    return jsonify({"items": [i.to_dict() for i in items],
                    "next_cursor": None if next_cursor is None else str(next_cursor)})


@admin.post("/v1/queue/<comment_id>/decision")
def decide(comment_id: str) -> Response:
    payload = _json_object({"decision", "label", "reason", "note"})
    decision = _choice(payload, "decision", list(DECISIONS))
    label = _choice(payload, "label", LABELS)
    reason = _choice(payload, "reason", REASONS, required=False)
    if reason is not None and decision != "reject":
        raise InvalidRequest("/reason goes with a rejection only.", pointer="/reason")
    note = payload.get("note")
    if note is not None:
        if not isinstance(note, str) or len(note) > MAX_NOTE or "\x00" in note:
            raise InvalidRequest(f"/note must be a string of at most {MAX_NOTE} characters "
                                 "without NUL.", pointer="/note")
        if decision != "reject":
            raise InvalidRequest("/note goes with a rejection only.", pointer="/note")
        note = note.strip() or None
    if not _ID.fullmatch(comment_id):
        raise HTTPNotFound(f"No held comment has id {comment_id!r}.")
    _store()  # no queue kept: 404
    service: Moderator = current_app.extensions["moderator"]
    try:
        item = service.decide(comment_id, str(decision), str(label), g.admin_name,
                              reason=reason, note=note)
    except NotFound as exc:
        raise HTTPNotFound(f"No held comment has id {comment_id!r}.") from exc
    except AlreadyDecided as exc:
        by = f" by {exc.decided_by}" if exc.decided_by else ""
        return error_response(409, "already_decided",
                              f"This comment was already decided ({exc.status}{by}).")
    log.info("decision", extra={"comment_id": comment_id, "decision": decision,
                                "label": label, "moderator": g.admin_name})
    return jsonify(item.to_dict())


@admin.post("/v1/labels")
def add_label() -> Response:
    payload = _json_object({"text", "label", "lang", "site"})
    text = payload.get("text")
    if not isinstance(text, str) or not text.strip():
        raise InvalidRequest("/text must be a non-empty string.", pointer="/text")
    if len(text) > MAX_LABEL_TEXT:
        raise InvalidRequest(f"/text is longer than {MAX_LABEL_TEXT} characters.",
                             pointer="/text")
    try:
        text.encode("utf-8")
    except UnicodeEncodeError as exc:
        raise InvalidRequest("/text contains a lone surrogate.", pointer="/text") from exc
    if "\x00" in text:
        raise InvalidRequest("/text contains a NUL character.", pointer="/text")
    label = _choice(payload, "label", LABELS)
    lang = payload.get("lang")
    if lang is not None and (not isinstance(lang, str) or not _LANG.fullmatch(lang)):
        raise InvalidRequest("/lang must be a two-letter ISO 639-1 code or und.",
                             pointer="/lang")
    site = payload.get("site")
    if site is not None:
        if not isinstance(site, str):
            raise InvalidRequest("/site must be a string.", pointer="/site")
        try:
            current_app.extensions["moderator"].policy(site)
        except UnknownSiteError as exc:
            raise InvalidRequest(f"No policy is configured for site {site!r}.",
                                 pointer="/site") from exc
    label_id = _store().add_label(text, str(label), lang, g.admin_name, site)
    response = jsonify({"id": label_id, "label": label, "lang": lang or "und", "site": site})
    response.status_code = 201
    return response


def _label_id(raw: str) -> int:
    if not _LABEL_ID.fullmatch(raw):
        raise HTTPNotFound(f"No label has id {raw!r}.")
    return int(raw)


@admin.get("/v1/admin/labels")
def list_labels() -> Response:
    """Labels oldest first, for a second look (`flagged=true`: only the flagged ones)."""
    site = request.args.get("site") or None
    if site is not None and len(site) > MAX_SITE:
        raise InvalidRequest(f"Query parameter site is longer than {MAX_SITE} characters.")
    flagged = request.args.get("flagged", "false")
    if flagged not in _FLAGS:
        raise InvalidRequest("Query parameter flagged must be true or false.")
    limit = _int_arg("limit", DEFAULT_PAGE, 1, MAX_PAGE)
    after = _int_arg("cursor", 0, 0, 2**62)
    records, next_cursor = _store().list_labels(site, "flagged" if _FLAGS[flagged] else None,
                                                limit, after)
    return jsonify({"items": [r.to_dict() for r in records],
                    "next_cursor": None if next_cursor is None else str(next_cursor)})


@admin.delete("/v1/admin/labels/<label_id>")
def delete_label(label_id: str) -> Response:
    ident = _label_id(label_id)
    try:
        _store().delete_label(ident)
    except LabelNotFound as exc:
        raise HTTPNotFound(f"No label has id {label_id!r}.") from exc
    log.info("label deleted", extra={"label_id": ident, "moderator": g.admin_name})
    return Response(status=204)


@admin.post("/v1/admin/labels/<label_id>/confirm")
def confirm_label(label_id: str) -> Response:
    """A moderator's second look: the label trains again and is never flagged again."""
    ident = _label_id(label_id)
    if request.content_length or request.headers.get("Transfer-Encoding"):
        raise InvalidRequest("This endpoint takes no request body.")
    try:
        record = _store().confirm_label(ident, g.admin_name)
    except LabelNotFound as exc:
        raise HTTPNotFound(f"No label has id {label_id!r}.") from exc
    log.info("label confirmed", extra={"label_id": ident, "moderator": g.admin_name})
    return jsonify(record.to_dict())
