"""`jsonify` for the hot path, byte for byte, without building a JSON encoder per call.

`flask.jsonify` goes through `DefaultJSONProvider.response` and `dumps`, which fill in a
dictionary of options and call `json.dumps` with them; with any option set, `json.dumps`
builds a new `JSONEncoder` on every call. Every /v1/check answer pays for that. Here the
encoder is built once for the provider's options and reused; the options are read from
the provider on each call, so a host that changes them (or debug mode's indented output)
gets what `jsonify` would give. A provider other than Flask's default goes to `jsonify`.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from flask import Response, current_app, jsonify
from flask.json.provider import DefaultJSONProvider

#: Encoders by (default, ensure_ascii, sort_keys): the provider's options, compact output.
_ENCODERS: dict[tuple[Callable[[Any], Any], bool, bool], json.JSONEncoder] = {}


def _encoder(default: Callable[[Any], Any], ensure_ascii: bool,
             sort_keys: bool) -> json.JSONEncoder:
    key = (default, ensure_ascii, sort_keys)
    encoder = _ENCODERS.get(key)
    if encoder is None:
        # Exactly what json.dumps(obj, default=..., ensure_ascii=..., sort_keys=...,
        # separators=(",", ":")) builds for each call.
        encoder = _ENCODERS[key] = json.JSONEncoder(
            ensure_ascii=ensure_ascii, separators=(",", ":"), default=default,
            sort_keys=sort_keys)
    return encoder


def json_response(obj: Any) -> Response:
    """What `jsonify(obj)` answers (same body, status and headers) for one JSON value."""
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    provider = app.json
    if (type(provider) is not DefaultJSONProvider
            or (provider.compact is None and app.debug) or provider.compact is False):
        return jsonify(obj)
    encoder = _encoder(provider.default, provider.ensure_ascii, provider.sort_keys)
    return app.response_class(f"{encoder.encode(obj)}\n",  # type: ignore[no-any-return]
                              mimetype=provider.mimetype)
