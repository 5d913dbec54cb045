"""The admin API of the sites' webhooks, on the admin blueprint (its Bearer-key check).

GET /v1/sites/<site>/webhook says what the policy sets (the policy file is the one place
a webhook is configured: PUT and POST answer 405 saying so); /test sends a signed ping
now; /deliveries lists what was sent and how each try went; /deliveries/<id>/retry sends
a failed one again.
"""

from __future__ import annotations

import re

from flask import Response, current_app, g, jsonify, request
from werkzeug.exceptions import NotFound as HTTPNotFound

from moderator.errors import UnknownSiteError
from moderator.http.admin import DEFAULT_PAGE, MAX_PAGE, _int_arg, _store, admin
from moderator.http.errors import InvalidRequest, error_response
from moderator.service import Moderator
from moderator.store import DELIVERY_STATUSES, DeliveryNotFound, RetryRefused
from moderator.webhooks import manage

_DELIVERY_ID = re.compile(r"[0-9a-f]{32}")


def _service() -> Moderator:
    return current_app.extensions["moderator"]  # type: ignore[no-any-return]


def _site(site: str) -> str:
    try:
        _service().policy(site)
    except UnknownSiteError as exc:
        raise HTTPNotFound(f"No policy is configured for site {site!r}.") from exc
    return site


def _no_body() -> None:
    if request.content_length or request.headers.get("Transfer-Encoding"):
        raise InvalidRequest("This endpoint takes no request body.")


def _no_webhook(site: str) -> Response:
    return error_response(409, "no_webhook", f"The policy of site {site!r} has no [webhook] "
                          "section; add one with its url and restart or reload the server.")


@admin.get("/v1/sites/<site>/webhook")
def webhook_status(site: str) -> Response:
    _site(site)
    return jsonify(manage.status(_service(), site, _store()))


@admin.route("/v1/sites/<site>/webhook", methods=["PUT", "POST", "PATCH"])
def webhook_edit(site: str) -> Response:
    _site(site)
    response = error_response(405, "method_not_allowed",
                              "A site's webhook is set in its policy file ([webhook] url, "
                              "events, enabled, timeout_seconds, max_attempts) and its "
                              "secret in MODERATOR_WEBHOOK_SECRETS; this endpoint only reads.")
    response.headers["Allow"] = "GET, HEAD"
    return response


@admin.post("/v1/sites/<site>/webhook/test")
def webhook_test(site: str) -> Response:
    _site(site)
    _no_body()
    store = _store()
    try:
        result = manage.ping(_service(), store, site, g.admin_name)
    except manage.NoWebhook:
        return _no_webhook(site)
    except manage.NoSecret as exc:
        return error_response(409, "no_secret", f"{str(exc).capitalize()}.")
    return jsonify(result.to_dict())


@admin.get("/v1/sites/<site>/webhook/deliveries")
def webhook_deliveries(site: str) -> Response:
    _site(site)
    status = request.args.get("status") or None
    if status is not None and status not in DELIVERY_STATUSES:
        raise InvalidRequest("Query parameter status must be one of "
                             f"{', '.join(DELIVERY_STATUSES)}.")
    limit = _int_arg("limit", DEFAULT_PAGE, 1, MAX_PAGE)
    before = _int_arg("cursor", 0, 0, 2**62) or None
    records, next_cursor = _store().deliveries(site, limit, before, status)
    return jsonify({"items": [r.to_dict() for r in records],
                    "next_cursor": None if next_cursor is None else str(next_cursor)})


@admin.post("/v1/sites/<site>/webhook/deliveries/<delivery_id>/retry")
def webhook_retry(site: str, delivery_id: str) -> Response:
    _site(site)
    _no_body()
    if not _DELIVERY_ID.fullmatch(delivery_id):
        raise HTTPNotFound(f"No delivery has id {delivery_id!r}.")
    try:
        record = manage.retry(_service(), _store(), site, delivery_id)
    except manage.NoWebhook:
        return _no_webhook(site)
    except DeliveryNotFound as exc:
        raise HTTPNotFound(f"Site {site!r} has no delivery with id {delivery_id!r}.") from exc
    except RetryRefused as exc:
        return error_response(409, "not_failed", f"This delivery is {exc.status}; only a "
                              "failed delivery can be retried.")
    response = jsonify(record.to_dict())
    response.status_code = 202
    return response
