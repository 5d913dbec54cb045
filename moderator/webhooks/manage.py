"""What the admin API and the moderators' page do with a site's webhook: one place for both.

Each function takes the `Moderator` and a site (the caller has checked that a policy
exists) and raises `NoWebhook` when that policy has no `[webhook]` section.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from moderator.errors import ModeratorError
from moderator.store import DeliveryRecord
from moderator.webhooks import messages, signing

if TYPE_CHECKING:
    from moderator.policy.webhook import WebhookSettings
    from moderator.service import Moderator
    from moderator.store import Store
    from moderator.webhooks.dispatcher import WebhookDispatcher


class NoWebhook(ModeratorError):
    def __init__(self, site: str) -> None:
        self.site = site
        super().__init__(f"the policy of site {site!r} has no [webhook] section")


class NoSecret(ModeratorError):
    def __init__(self, site: str) -> None:
        self.site = site
        super().__init__(f"no signing secret is configured for site {site!r} "
                         "(MODERATOR_WEBHOOK_SECRETS)")


@dataclass(frozen=True, slots=True)
class PingResult:
    """What the receiver made of a test ping."""

    delivery: DeliveryRecord
    ok: bool
    status_code: int | None
    error: str | None
    duration_ms: int

    def to_dict(self) -> dict[str, Any]:
        return {"ok": self.ok, "status_code": self.status_code, "error": self.error,
                "duration_ms": self.duration_ms, "delivery": self.delivery.to_dict()}


def settings_of(service: Moderator, site: str) -> WebhookSettings:
    settings = service.policy(site).webhook
    if settings is None:
        raise NoWebhook(site)
    return settings


def dispatcher_of(service: Moderator) -> WebhookDispatcher:
    if service.webhooks is None:  # a Moderator used without the app: no secrets known
        from moderator.webhooks import WebhookDispatcher

        return WebhookDispatcher(lambda: service.store, lambda: service.policies, {})
    return service.webhooks


def status(service: Moderator, site: str, store: Store | None) -> dict[str, Any]:
    """The site's webhook as the policy sets it, whether it can sign, and delivery counts."""
    settings = service.policy(site).webhook
    secret = bool(signing.secrets_for(dispatcher_of(service).secrets, site))
    return {"site": site, "configured": settings is not None,
            **(settings.to_dict() if settings else {"url": None, "events": [],
                                                    "enabled": False,
                                                    "timeout_seconds": None,
                                                    "max_attempts": None}),
            "secret_configured": secret,
            "counts": store.delivery_counts(site) if store is not None else None}


def ping(service: Moderator, store: Store, site: str, moderator: str) -> PingResult:
    """Send a signed `ping` now and say what the receiver answered (kept as a delivery)."""
    settings = settings_of(service, site)
    dispatcher = dispatcher_of(service)
    if not signing.secrets_for(dispatcher.secrets, site):
        raise NoSecret(site)
    message = messages.ping(settings, site, moderator)
    sent = dispatcher.send_now(store, message)
    return PingResult(store.delivery(message.id), sent.ok, sent.status_code, sent.error,
                      sent.duration_ms)


def retry(service: Moderator, store: Store, site: str, delivery_id: str) -> DeliveryRecord:
    """Send a failed delivery again (as many more tries as the policy's max_attempts)."""
    settings = settings_of(service, site)
    record = store.retry_delivery(site, delivery_id, settings.max_attempts)
    dispatcher_of(service).wake()
    return record
