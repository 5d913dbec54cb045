"""POST /v1/coral/moderate: Coral Talk's external moderation phase (README "Coral Talk").

Order matters: the signature is checked over the raw bytes before anything is parsed, so
an unsigned request costs one HMAC per configured secret and nothing else. After that
every answer is one Coral acts on: 204 (accept), a hold or a rejection; our own failures
take the policy's failure action, because Coral would publish on a 5xx.
"""

from __future__ import annotations

import logging
from dataclasses import replace
from functools import partial
from typing import Any

from flask import Blueprint, Flask, Response, current_app, g, jsonify, request
from flask.blueprints import BlueprintSetupState
from werkzeug.exceptions import UnsupportedMediaType

from moderator.errors import UnknownSiteError
from moderator.flood import FloodLimited
from moderator.http.errors import InvalidRequest, error_response
from moderator.http.extension import settings_of
from moderator.http.observability import metrics
from moderator.http.requests import parse_json, read_body
from moderator.integrations import coral as adapter
from moderator.policy.model import Policy
from moderator.service import Moderator
from moderator.types import Action, Decision

log = logging.getLogger(__name__)
coral = Blueprint("coral", __name__)
EXTENSION = "coral"
#: The queue id of a held comment, for whoever reads Coral's logs; Coral ignores headers.
ID_HEADER = "X-Moderator-Id"


@coral.record_once
def _configure(state: BlueprintSetupState) -> None:
    """Parse the secrets and the site map once, when the app is built: a typo fails start-up."""
    app: Flask = state.app
    settings = settings_of(app)
    try:
        app.extensions[EXTENSION] = adapter.CoralSettings.parse(
            settings.get("CORAL_SECRETS"), settings.get("CORAL_SITES"))
    except adapter.CoralConfigError as exc:
        from moderator.http.config import ConfigError

        raise ConfigError(str(exc)) from exc


def _settings() -> adapter.CoralSettings:
    return current_app.extensions[EXTENSION]  # type: ignore[no-any-return]


def _unauthorized(message: str) -> Response:
    response = error_response(401, "bad_signature", message)
    response.headers["WWW-Authenticate"] = f'HMAC-SHA256 header="{adapter.SIGNATURE_HEADER}"'
    return response


@coral.post("/v1/coral/moderate")
def moderate() -> Response:
    body = read_body(request)
    settings = _settings()
    header = request.headers.get(adapter.SIGNATURE_HEADER)
    if not header:
        return _unauthorized(f"{adapter.SIGNATURE_HEADER} is missing.")
    if not settings.secrets:
        return _unauthorized("No Coral signing secrets are configured "
                             "(MODERATOR_CORAL_SECRETS).")
    tenants = adapter.signing_tenants(settings, body, header)
    if not tenants:
        return _unauthorized(f"{adapter.SIGNATURE_HEADER} matches no active secret.")
    if not request.is_json:
        raise UnsupportedMediaType("Send Coral's request as JSON (Content-Type: "
                                   "application/json).")
    try:
        parsed = adapter.parse_request(parse_json(body))
    except adapter.CoralRequestError as exc:
        raise InvalidRequest(str(exc), pointer=exc.pointer) from exc
    if parsed.tenant_id not in tenants:
        return _unauthorized("The request is not signed by a secret of its tenantID.")
    return _answer(moderator_service(), settings, parsed)


def moderator_service() -> Moderator:
    return current_app.extensions["moderator"]  # type: ignore[no-any-return]


def coral_view(policy: Policy) -> Policy:
    """The policy with only the field Coral sends: Coral, not the form, knows the author."""
    text_field = policy.classifier.field
    fields = {n: s for n, s in policy.fields.items() if n == text_field}
    return replace(policy, fields=fields)


def _answer(service: Moderator, settings: adapter.CoralSettings,
            parsed: adapter.CoralRequest) -> Response:
    site = settings.policy_site(parsed.site_id, parsed.tenant_id)
    g.site = site
    try:
        policy = service.policy(site)
    except UnknownSiteError:
        log.warning("coral: no policy for site %r; held", site)
        return _json(adapter.failure_reply(Action.REVIEW))
    view = coral_view(policy)
    spec = view.fields.get(policy.classifier.field)
    if adapter.body_too_large(parsed.body, spec.max_length if spec else None):
        log.warning("coral: body of %d characters held unparsed", len(parsed.body))
        return _json(adapter.reply(Decision.REVIEW) or {})
    comment, plain = adapter.to_comment(parsed, site, policy.classifier.field)
    try:
        verdict = service.check(comment, policy=view, annotate=partial(
            adapter.with_body_spans, plain=plain, text_field=policy.classifier.field))
    except FloodLimited as exc:
        return _json(adapter.flood_reply(exc.message))
    except Exception as exc:  # our own outage: Coral publishes on a 5xx, so answer the policy
        _recheck_store(service)
        log.error("coral: check failed (%s); answered with on_classifier_error=%s",
                  type(exc).__name__, policy.failure.on_classifier_error.value)
        return _json(adapter.failure_reply(policy.failure.on_classifier_error))
    g.verdict = verdict
    metrics().record_verdict(site, verdict)
    body = adapter.reply(verdict.decision, verdict.findings)
    if body is None:
        return Response(status=204)
    response = _json(body)
    if verdict.decision is Decision.REVIEW and verdict.id:
        response.headers[ID_HEADER] = verdict.id
    return response


def _recheck_store(service: Moderator) -> None:
    try:
        store = service.store
    except Exception:  # not opened at all: it is retried on its own schedule
        return
    if store is not None:
        store.recheck_health()


def _json(body: dict[str, Any]) -> Response:
    return jsonify(body)
