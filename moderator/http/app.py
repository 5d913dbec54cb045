"""`create_app`: config layered from defaults, a TOML file, MODERATOR_* variables, test config."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from flask import Flask

from moderator.auth import AdminKeys
from moderator.http import config, observability
from moderator.http.admin import admin
from moderator.http.api import api
from moderator.http.errors import register_error_handlers
from moderator.service import Moderator
from moderator.store import open_store


def create_app(test_config: Mapping[str, Any] | None = None) -> Flask:
    """Build the app and load policies and models once, onto `app.extensions`."""
    app = Flask(__name__)
    app.config.from_mapping(config.load())
    if test_config:
        app.config.from_mapping(test_config)
    app.config["MAX_CONTENT_LENGTH"] = int(app.config["MAX_BODY_BYTES"])
    app.json.sort_keys = False  # type: ignore[attr-defined]

    service = app.config.get("MODERATOR")
    if service is None:
        service = Moderator.from_paths(Path(app.config["POLICY_DIR"]),
                                       Path(app.config["MODELS_DIR"]),
                                       store=open_store(app.config))
    app.extensions["moderator"] = service
    app.extensions["admin_keys"] = AdminKeys.parse(app.config.get("ADMIN_KEYS"))
    app.register_blueprint(api)
    app.register_blueprint(admin)
    register_error_handlers(app)
    observability.install(app)
    return app
