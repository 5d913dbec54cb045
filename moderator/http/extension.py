"""Where the mounted moderator keeps its state on a Flask app, and the guard on mounting.

The blueprints read the checker and their settings from `app.extensions`, which only
`create_app` and `init_app` fill in. A host app that registers a blueprint itself gets
an error at start-up naming `init_app`, not a 500 on the first request.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from flask import Flask
from flask.blueprints import BlueprintSetupState

#: `app.extensions` keys: the `Moderator`, and the settings it was mounted with.
SERVICE = "moderator"
SETTINGS = "moderator.settings"


class NotMounted(RuntimeError):
    """A moderator blueprint was registered without `create_app` or `init_app`."""


def settings_of(app: Flask) -> Mapping[str, Any]:
    """The settings `init_app` (or `create_app`) mounted the blueprints with."""
    try:
        return app.extensions[SETTINGS]  # type: ignore[no-any-return]
    except KeyError:
        raise NotMounted(
            "moderator's blueprints need the checker on the app: mount them with "
            "moderator.http.init_app(app, url_prefix=...) instead of register_blueprint"
        ) from None


def require_mounted(state: BlueprintSetupState) -> None:
    """A `record_once` hook: fail the host's start-up rather than its first request."""
    settings_of(state.app)
