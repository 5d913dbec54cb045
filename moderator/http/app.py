"""`create_app` builds the standalone server; `init_app` mounts the same endpoints in a host app.

Config is layered from defaults, a TOML file, MODERATOR_* variables, then the caller's
mapping (README "Embedding in your app").
"""

from __future__ import annotations

from collections.abc import Mapping
from functools import partial
from pathlib import Path
from typing import Any

from flask import Blueprint, Flask, request

from moderator import webhooks
from moderator.auth import AdminKeys
from moderator.flood import FloodLimiter
from moderator.http import (
    admin_webhooks,  # noqa: F401 (its routes join the admin blueprint)
    config,
    observability,
)
from moderator.http.admin import admin
from moderator.http.akismet import akismet
from moderator.http.api import api
from moderator.http.coral import coral
from moderator.http.demo import demo
from moderator.http.errors import register_error_handlers
from moderator.http.extension import SERVICE, SETTINGS
from moderator.http.widget import widget
from moderator.livepolicy import policy_digest
from moderator.service import Moderator
from moderator.store import DEFAULT_DATABASE_URL, hash_key_for, open_store

#: The blueprint that holds the others; endpoints are named `moderator.api.check` etc.
BLUEPRINT_NAME = "moderator"


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
        service = build_service(app.config)
    app.register_blueprint(_blueprint(app, service, app.config))
    if app.config.get("DEMO_SITE"):  # the article and comment form at /demo
        app.register_blueprint(demo)
    # The whole app is ours: unknown paths and methods answer JSON too, and every
    # request (matched or not) is logged and counted.
    register_error_handlers(app)
    observability.install(app, service)
    return app


def init_app(app: Flask, moderator: Moderator | None = None, *,
             url_prefix: str | None = None,
             settings: Mapping[str, Any] | None = None) -> Moderator:
    """Mount /v1/check, /v1/policy, /healthz, /metrics, admin, Coral and Akismet in `app`.

    Settings are the server's (defaults, MODERATOR_CONFIG, MODERATOR_* variables), then
    `settings` (same keys: POLICY_DIR, DATABASE_URL, ADMIN_KEYS, ...). Without a
    `moderator`, one is built from them as `moderator serve` builds it (store and flood
    limits included). JSON errors, the body limit, request logs and metrics apply to the
    mounted endpoints only; the host's own routes, config and error pages are untouched.
    Returns the checker, for the host's own views to call.
    """
    resolved = {**config.load(), **(settings or {})}
    service = moderator if moderator is not None else build_service(resolved)
    blueprint = _blueprint(app, service, resolved)
    register_error_handlers(blueprint)
    observability.install(blueprint, service)
    app.register_blueprint(blueprint, url_prefix=url_prefix)
    return service


def _blueprint(app: Flask, service: Moderator, settings: Mapping[str, Any]) -> Blueprint:
    """The endpoints under one parent blueprint, with what they read put on `app`."""
    from moderator.moderate import moderate  # the page imports moderator.http's helpers

    app.extensions[SERVICE] = service
    app.extensions[SETTINGS] = settings
    app.extensions["admin_keys"] = AdminKeys.parse(settings.get("ADMIN_KEYS"))
    try:  # the sites' webhooks: secrets checked now, so a typo fails start-up
        app.extensions["webhooks"] = webhooks.attach(service, settings)
    except webhooks.WebhookConfigError as exc:
        raise config.ConfigError(str(exc)) from exc
    limit = int(settings["MAX_BODY_BYTES"])
    parent = Blueprint(BLUEPRINT_NAME, __name__)

    @parent.before_request
    def _body_limit() -> None:
        # Per request: a host's MAX_CONTENT_LENGTH (often none) is not ours to change.
        request.max_content_length = limit

    for child in (api, admin, coral, akismet, moderate, widget):
        parent.register_blueprint(child)
    return parent


def build_service(settings: Mapping[str, Any]) -> Moderator:
    """The checker for these settings; never fails for the database (see Moderator.store).

    Under `moderator serve` the policies and models come from the master (moderator.preload),
    so a worker that boots while the files on disk are broken still serves the last good ones.
    """
    from moderator import preload

    policy_path, models_dir = Path(settings["POLICY_DIR"]), Path(settings["MODELS_DIR"])
    opener = partial(open_store, dict(settings))
    inherited = preload.inherited(policy_path, models_dir)
    if inherited is None:
        service = Moderator.from_paths(policy_path, models_dir)
        service.policy_digest = policy_digest(policy_path)
    else:
        state = inherited.keeper.state
        service = Moderator(state.policies, {}, watcher=inherited.watcher,
                            policy_digest=state.digest, policy_error=state.error)
    service.attach_store(opener)
    service.limiter = build_limiter(settings)
    return service


def build_limiter(settings: Mapping[str, Any]) -> FloodLimiter:
    """Flood counters in REDIS_URL (else memory), commenters named by the store's hash key."""
    url = str(settings.get("DATABASE_URL") or DEFAULT_DATABASE_URL)
    return FloodLimiter(settings.get("REDIS_URL") or None, partial(hash_key_for, settings, url),
                        key_prefix=str(settings.get("REDIS_KEY_PREFIX") or "moderator"))
