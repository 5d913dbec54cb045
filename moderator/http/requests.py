"""Parse and validate request bodies into core types, naming the exact member at fault."""

from __future__ import annotations

import json
from typing import Any

from flask import Request
from werkzeug.exceptions import HTTPException, RequestEntityTooLarge

from moderator.http.errors import InvalidRequest
from moderator.policy.model import Policy
from moderator.types import Comment

MAX_CONTEXT_KEYS = 32
#: The members of a /v1/check body.
_MEMBERS = frozenset({"site", "fields", "context"})
CONTEXT_STRING_LIMIT = 2048
#: Context members with a meaning of their own, and the types they must have.
KNOWN_CONTEXT: dict[str, tuple[type | tuple[type, ...], str]] = {
    "article_url": (str, "a string"),
    "article_title": (str, "a string"),
    "author_id": ((str, int), "a string or an integer"),
    "language": (str, "a string"),
}


try:  # the framing errors of gunicorn's chunked reader, when serving under gunicorn
    from gunicorn.http.errors import ParseException as _FramingError
except ImportError:  # pragma: no cover - embedded without gunicorn
    class _FramingError(Exception):  # type: ignore[no-redef]
        pass

_READ = 64 * 1024


def read_body(request: Request) -> bytes:
    """The whole body, framed by Content-Length or chunked, or a clear 400/413.

    Werkzeug cuts a chunked body at MAX_CONTENT_LENGTH without a word, and a malformed
    chunk raised from deep in the read would be a 500; here the body is read to one byte
    past the limit, so a body over it is a 413 however it was framed.
    """
    limit = request.max_content_length
    length = request.content_length  # parsed from the header on each read: once here
    if length is not None:
        if limit is not None and length > limit:
            raise _too_large(limit)
        return _guarded(request.get_data)
    codings = [c.strip().lower() for c in request.headers.get("Transfer-Encoding", "").split(",")]
    if codings == [""]:
        return _guarded(request.get_data)
    if codings != ["chunked"]:  # e.g. "gzip, chunked": the body is not what it says
        raise InvalidRequest("Transfer-Encoding must be just chunked (or send Content-Length).")
    stream = request.environ["wsgi.input"]

    def read_all() -> bytes:
        parts, size = [], 0
        while limit is None or size <= limit:
            part = stream.read(_READ if limit is None else min(_READ, limit + 1 - size))
            if not part:
                break
            parts.append(part)
            size += len(part)
        if limit is not None and size > limit:
            raise _too_large(limit)
        return b"".join(parts)

    return _guarded(read_all)


def _too_large(limit: int | None) -> RequestEntityTooLarge:
    """Built only when raised: most bodies are within the limit."""
    return RequestEntityTooLarge(f"The body is larger than the {limit}-byte limit.")


def _guarded(read: Any) -> bytes:
    try:
        return bytes(read())
    except HTTPException:
        raise
    except (_FramingError, OSError, ValueError) as exc:
        # The type only: a framing error's text may quote the body.
        raise InvalidRequest(f"The body's framing is invalid ({type(exc).__name__}); send "
                             "Content-Length or well-formed chunked encoding.") from exc


def parse_json(body: bytes) -> Any:
    """Decode a JSON body; invalid UTF-8, bad syntax or absurd nesting is a 400."""
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise InvalidRequest(f"The body is not valid UTF-8 (byte {exc.start}).") from exc
    try:
        return json.loads(text)
    except RecursionError as exc:
        raise InvalidRequest("The JSON body is nested too deeply.") from exc
    except json.JSONDecodeError as exc:
        raise InvalidRequest(f"The body is not valid JSON: {exc.msg} at line {exc.lineno} "
                             f"column {exc.colno}.") from exc
    except ValueError as exc:  # e.g. an integer literal beyond Python's digit limit
        raise InvalidRequest(f"The body is not valid JSON: {exc}.") from exc


def _check_text(value: str, pointer: str) -> str:
    if not value.isascii():  # ASCII has no surrogates: most fields need no encode
        try:
            value.encode("utf-8")
        except UnicodeEncodeError as exc:
            raise InvalidRequest(f"{pointer} contains a lone surrogate at position "
                                 f"{exc.start}.", pointer=pointer) from exc
    if "\x00" in value:
        raise InvalidRequest(f"{pointer} contains a NUL character.", pointer=pointer)
    return value


def _type_name(value: Any) -> str:
    return {dict: "object", list: "array", str: "string", bool: "boolean", type(None): "null",
            int: "number", float: "number"}.get(type(value), type(value).__name__)


def parse_site(payload: dict[str, Any], default: str = "default") -> str:
    site = payload.get("site", default)
    if not isinstance(site, str):
        raise InvalidRequest(f"/site must be a string, not {_type_name(site)}.", pointer="/site")
    return _check_text(site, "/site")


def parse_check(payload: Any, policy_for: Any) -> Comment:
    """Build a Comment from a /v1/check body; `policy_for(site)` may raise UnknownSiteError."""
    if not isinstance(payload, dict):
        raise InvalidRequest(f"The body must be a JSON object, not {_type_name(payload)}.")
    if not payload.keys() <= _MEMBERS:
        unknown = sorted(set(payload) - _MEMBERS)
        raise InvalidRequest(f"Unknown member /{unknown[0]}; expected site, fields, context.",
                             pointer=f"/{unknown[0]}")
    site = parse_site(payload)
    policy: Policy = policy_for(site)
    fields = _parse_fields(payload.get("fields"), policy)
    context = _parse_context(payload.get("context", {}))
    return Comment(fields=fields, site=site, context=context)


def _parse_fields(raw: Any, policy: Policy) -> dict[str, str]:
    if not isinstance(raw, dict):
        got = "missing" if raw is None else f"a {_type_name(raw)}"
        raise InvalidRequest(f"/fields must be an object of field name to string; it is {got}.",
                             pointer="/fields")
    fields: dict[str, str] = {}
    for name, value in raw.items():
        pointer = f"/fields/{name}"
        if name not in policy.fields:
            known = ", ".join(policy.fields)
            raise InvalidRequest(f"{pointer} is not a field of site {policy.site!r} ({known}).",
                                 pointer=pointer)
        if value is None:
            continue
        if not isinstance(value, str):
            raise InvalidRequest(f"{pointer} must be a string, not {_type_name(value)}.",
                                 pointer=pointer)
        fields[name] = _check_text(value, pointer)
    return fields


def _parse_context(raw: Any) -> dict[str, Any]:
    if not isinstance(raw, dict):
        raise InvalidRequest(f"/context must be an object, not {_type_name(raw)}.",
                             pointer="/context")
    if len(raw) > MAX_CONTEXT_KEYS:
        raise InvalidRequest(f"/context has more than {MAX_CONTEXT_KEYS} members.",
                             pointer="/context")
    context: dict[str, Any] = {}
    for key, value in raw.items():
        pointer = f"/context/{key}"
        expected = KNOWN_CONTEXT.get(key)
        if expected and not (isinstance(value, expected[0]) and not isinstance(value, bool)):
            raise InvalidRequest(f"{pointer} must be {expected[1]}, not {_type_name(value)}.",
                                 pointer=pointer)
        if isinstance(value, str):
            if len(value) > CONTEXT_STRING_LIMIT:
                raise InvalidRequest(f"{pointer} is longer than {CONTEXT_STRING_LIMIT} characters.",
                                     pointer=pointer)
            context[key] = _check_text(value, pointer)
        elif value is None or isinstance(value, bool | int | float):
            context[key] = value
        else:
            raise InvalidRequest(f"{pointer} must be a string, number, boolean or null.",
                                 pointer=pointer)
    return context
