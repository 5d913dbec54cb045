"""The one blueprint: /v1/check, /v1/policy, /healthz."""

from __future__ import annotations

from flask import Blueprint, Response, current_app, g, jsonify, request
from werkzeug.exceptions import UnsupportedMediaType

from moderator.http.extension import require_mounted
from moderator.http.fastjson import json_response
from moderator.http.observability import metrics
from moderator.http.requests import parse_check, parse_json, read_body
from moderator.paths import strip_paths
from moderator.policy.model import LENGTH_UNIT, LENGTH_UNIT_DESCRIPTION
from moderator.service import Moderator, StoreUnavailable

api = Blueprint("api", __name__)
api.record_once(require_mounted)


def moderator() -> Moderator:
    return current_app.extensions["moderator"]


@api.post("/v1/check")
def check() -> Response:
    # The exact header most clients send is JSON without parsing it; anything else is
    # left to werkzeug's parse (parameters, case, application/*+json).
    if request.environ.get("CONTENT_TYPE") != "application/json" and not request.is_json:
        raise UnsupportedMediaType("Send the comment as JSON with Content-Type: application/json.")
    payload = parse_json(read_body(request))
    service = moderator()
    comment = parse_check(payload, service.policy)
    verdict = service.check(comment)
    g.site, g.verdict = comment.site, verdict
    metrics().record_verdict(comment.site, verdict)
    return json_response(verdict.to_dict())


@api.get("/v1/policy")
def policy() -> Response:
    policy = moderator().policy(request.args.get("site", "default"))
    body = {
        "site": policy.site,
        "policy": policy.label,
        "length_unit": LENGTH_UNIT,
        "length_unit_description": LENGTH_UNIT_DESCRIPTION,
        "fields": [spec.to_dict() for spec in policy.fields.values()],
        "links": (
            {"max": policy.links.max_links, "fields": list(policy.links.fields)}
            if policy.links
            else None
        ),
    }
    return jsonify(body)


@api.get("/healthz")
def healthz() -> Response:
    """ok, or degraded with the reasons: a model, the store, or a policy edit not taken."""
    service = moderator()
    models = [
        {"name": s.name, "version": s.version,
         "error": strip_paths(s.error) if s.error else None}
        for s in service.model_status()
    ]
    problems = [f"model {m['name']}: {m['error']}" for m in models if m["error"]]
    problems += [strip_paths(p) for p in service.problems()]
    body: dict[str, object] = {
        "sites": service.policies.sites(),
        "policies": [p.label for p in service.policies],
        "policy_sha256": service.policy_digest,
        "models": models,
    }
    try:
        store = service.store
    except StoreUnavailable:  # not opened yet: problems() above already says why
        body["store"] = {"status": "unavailable", "error": "the store cannot be opened"}
    else:
        if store is not None:
            problem = store.problem()
            body["store"] = {"status": "unavailable" if problem else "ok", "error": problem}
            if problem:
                problems.append(f"store: {problem}")
    return jsonify({"status": "degraded" if problems else "ok", **body, "problems": problems})
