"""Per-site webhooks: each moderator decision told to the site (README "Webhooks").

`messages` builds the bodies (written into the store's outbox with each decision),
`signing` signs them, `sender` posts one, `dispatcher` is the thread that sends what is
due, and `attach` wires them to a `Moderator` for the app.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from moderator.webhooks.dispatcher import WebhookDispatcher
from moderator.webhooks.signing import WebhookConfigError, parse_secrets, sign, verify

if TYPE_CHECKING:
    from moderator.service import Moderator

__all__ = ["WebhookConfigError", "WebhookDispatcher", "attach", "parse_secrets", "sign",
           "verify"]

_FALSE = {"0", "false", "no", "off"}


def attach(service: Moderator, settings: Mapping[str, Any]) -> WebhookDispatcher:
    """The dispatcher for `service`, woken by its decisions; its thread runs when a policy
    has an enabled `[webhook]` and WEBHOOK_WORKER is not off. Raises WebhookConfigError."""
    if service.webhooks is not None:
        return service.webhooks
    secrets = parse_secrets(settings.get("WEBHOOK_SECRETS"), service.policies.sites())

    def store_of() -> Any:
        try:
            return service.store
        except Exception:  # StoreUnavailable: nothing to send until it is back
            return None

    dispatcher = WebhookDispatcher(store_of, lambda: service.policies, secrets)
    service.webhooks = dispatcher
    service.decision_listeners.append(lambda _event: dispatcher.wake())
    worker = str(settings.get("WEBHOOK_WORKER", "true")).strip().lower() not in _FALSE
    if worker and any(p.webhook and p.webhook.enabled for p in service.policies):
        dispatcher.start()
    return dispatcher
