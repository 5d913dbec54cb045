"""Akismet requests as real clients send them, read into a flat field -> text mapping.

Form-encoded (WordPress adds `; charset=<blog charset>`, Nekmo's client sends the
charset as a `charset` field) or JSON (Coral's own submit calls). Unknown fields, PHP
array keys (`comment_context[0]`) and every spelling of `is_test` are accepted; only what
cannot be read at all (bad encoding, NUL characters, too many fields) is refused.
"""

from __future__ import annotations

import codecs
import json
from typing import Any
from urllib.parse import parse_qsl

from flask import Request

from moderator.http.errors import InvalidRequest
from moderator.http.requests import parse_json, read_body

#: WordPress sends every HTTP_* header and POST_* field as well: room for them, no more.
MAX_FIELDS = 1000
_TRUE = {"1", "true", "yes", "on"}
_CHARSET_FIELDS = ("blog_charset", "charset")
#: Fields with a meaning here: in a JSON body each must be a string, number or boolean.
NAMED_FIELDS = ("api_key", "key", "blog", "user_ip", "user_agent", "referrer", "permalink",
                "comment_type", "content_type", "comment_author", "comment_author_email",
                "comment_author_url", "comment_content", "is_test", "user_role", "guid",
                "akismet_guid", "blog_charset", "charset")


def read_form(request: Request) -> dict[str, str]:
    """The request's Akismet fields; InvalidRequest (400) when they cannot be read."""
    body = read_body(request)
    if request.mimetype == "application/json":
        return _from_json(parse_json(body))
    if request.mimetype not in ("", "application/x-www-form-urlencoded"):
        raise InvalidRequest("Send the fields form-encoded "
                             "(application/x-www-form-urlencoded) or as a JSON object.")
    return _from_form(body, request.mimetype_params.get("charset"))


def _from_form(body: bytes, header_charset: str | None) -> dict[str, str]:
    try:  # latin-1 keeps every byte as it is until the charset is known
        pairs = parse_qsl(body.decode("latin-1"), keep_blank_values=True, encoding="latin-1",
                          max_num_fields=MAX_FIELDS)
    except ValueError as exc:
        raise InvalidRequest(f"The body has more than {MAX_FIELDS} fields.") from exc
    raw: dict[str, str] = {}
    for key, value in pairs:
        raw.setdefault(key, value)
    charset = header_charset or next((raw[k] for k in _CHARSET_FIELDS if raw.get(k)), "utf-8")
    try:
        codecs.lookup(charset)
    except LookupError as exc:
        raise InvalidRequest(f"Unknown charset {charset[:40]!r}.") from exc
    fields: dict[str, str] = {}
    for key, value in raw.items():
        try:
            name = key.encode("latin-1").decode(charset)
            text = value.encode("latin-1").decode(charset)
        except (UnicodeDecodeError, UnicodeEncodeError) as exc:
            raise InvalidRequest(f"A field is not valid {charset[:40]}.") from exc
        fields[name] = _checked(name, text)
    return fields


def _from_json(payload: Any) -> dict[str, str]:
    if not isinstance(payload, dict):
        raise InvalidRequest("The JSON body must be an object of Akismet fields.")
    if len(payload) > MAX_FIELDS:
        raise InvalidRequest(f"The body has more than {MAX_FIELDS} fields.")
    fields: dict[str, str] = {}
    for key, value in payload.items():
        if value is None:
            continue
        if isinstance(value, bool):
            text = "true" if value else "false"
        elif isinstance(value, str | int | float):
            text = str(value)
        elif key in NAMED_FIELDS:
            raise InvalidRequest(f"Field {key!r} must be a string, number or boolean.")
        else:  # e.g. comment_context as an array: context for Akismet, nothing to check
            text = json.dumps(value, ensure_ascii=False)
        fields[_checked("field name", key)] = _checked(key, text)
    return fields


def _checked(name: str, value: str) -> str:
    try:
        value.encode("utf-8")
    except UnicodeEncodeError as exc:
        raise InvalidRequest(f"Field {name[:60]!r} contains a lone surrogate.") from exc
    if "\x00" in value:
        raise InvalidRequest(f"Field {name[:60]!r} contains a NUL character.")
    return value


def truthy(value: str | None) -> bool:
    """`is_test` as clients spell it: WP `true`, Nekmo `True`/`False`, callers `1`."""
    return value is not None and value.strip().lower() in _TRUE


def host_label(host: str) -> str | None:
    """The first label of the Host name (`{KEY}.rest.example.org`), or None for an IP."""
    name = host.rsplit(":", 1)[0] if not host.endswith("]") else host
    labels = name.split(".")
    if len(labels) < 2 or name.startswith("[") or all(p.isdigit() for p in labels):
        return None
    return labels[0]
