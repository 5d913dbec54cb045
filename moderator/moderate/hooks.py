"""The page's webhook panel: each site's settings, a test button, the last deliveries.

It calls `moderator.webhooks.manage`, as the admin API does, so a test from the page is
the same signed ping, kept among the deliveries, as POST /v1/sites/<site>/webhook/test.
"""

from __future__ import annotations

import re

from flask import Response, g, jsonify, request

from moderator.moderate.blueprint import PageError, moderate, render, service, store, t
from moderator.store import DeliveryNotFound, RetryRefused
from moderator.webhooks import manage

SHOWN = 20
_DELIVERY_ID = re.compile(r"[0-9a-f]{32}")


def _site(raw: str | None) -> str:
    """The site asked for, else the first with a webhook, else the first."""
    sites = service().policies.sites()
    if raw:
        if raw not in sites:
            raise PageError(400, "bad_request", message=f"no policy is configured for site {raw!r}")
        return raw
    hooked = [s for s in sites if service().policy(s).webhook is not None]
    return (hooked or sites)[0]


def _panel(site: str, status: int = 200, message: str | None = None,
           ok: bool | None = None) -> Response:
    s = store()
    deliveries, _ = s.deliveries(site, SHOWN)
    return render("webhooks.html", status, site=site, sites=service().policies.sites(),
                  hook=manage.status(service(), site, s), deliveries=deliveries,
                  message=message, ok=ok)


def _wants_json() -> bool:
    best = request.accept_mimetypes.best_match(["text/html", "application/json"])
    return best == "application/json"


@moderate.get("/moderate/webhooks")
def webhooks_page() -> Response:
    return _panel(_site(request.args.get("site")))


@moderate.post("/moderate/webhooks/test")
def webhook_test() -> Response:
    """Send a signed ping now; the page shows what the receiver answered."""
    site = _site(request.form.get("site"))
    try:
        result = manage.ping(service(), store(), site, g.moderator)
    except manage.NoWebhook as exc:
        raise PageError(409, "webhook_none") from exc
    except manage.NoSecret as exc:
        raise PageError(409, "webhook_no_secret") from exc
    if result.ok:
        message = t("webhook_test_ok", code=result.status_code, ms=result.duration_ms)
    else:
        message = t("webhook_test_failed", error=result.error or t("no_answer"))
    if _wants_json():
        return jsonify({**result.to_dict(), "message": message})
    return _panel(site, message=message, ok=result.ok)


@moderate.post("/moderate/webhooks/retry")
def webhook_retry() -> Response:
    site = _site(request.form.get("site"))
    delivery = request.form.get("delivery", "")
    if not _DELIVERY_ID.fullmatch(delivery):
        raise PageError(404, "not_found")
    try:
        manage.retry(service(), store(), site, delivery)
    except manage.NoWebhook as exc:
        raise PageError(409, "webhook_none") from exc
    except DeliveryNotFound as exc:
        raise PageError(404, "not_found") from exc
    except RetryRefused as exc:
        raise PageError(409, "webhook_not_failed") from exc
    return _panel(site, message=t("webhook_retried"), ok=True)
