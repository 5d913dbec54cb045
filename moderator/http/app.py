"""`create_app`: config layered from defaults, a TOML file, MODERATOR_* variables, test config."""

from __future__ import annotations

from collections.abc import Mapping
from functools import partial
from pathlib import Path
from typing import Any

from flask import Flask, Response

from moderator.auth import AdminKeys
from moderator.flood import FloodLimiter
from moderator.http import akismet, config, observability
from moderator.http.admin import admin
from moderator.http.api import api
from moderator.http.coral import coral
from moderator.http.errors import error_response, register_error_handlers
from moderator.livepolicy import policy_digest
from moderator.service import Moderator, StoreUnavailable
from moderator.store import DEFAULT_DATABASE_URL, hash_key_for, open_store


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
    app.extensions["moderator"] = service
    app.extensions["admin_keys"] = AdminKeys.parse(app.config.get("ADMIN_KEYS"))
    app.register_blueprint(api)
    app.register_blueprint(admin)
    app.register_blueprint(coral)
    akismet.install(app)
    register_error_handlers(app)
    app.register_error_handler(StoreUnavailable, _store_unavailable)
    observability.install(app)
    return app


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


def _store_unavailable(exc: StoreUnavailable) -> Response:
    """Our own outage: say so and when to retry; the comment was neither held nor accepted."""
    response = error_response(503, "store_unavailable",
                              "The review store is unavailable, so this comment cannot be "
                              "held for review; try again shortly.")
    response.headers["Retry-After"] = "5"
    return response
