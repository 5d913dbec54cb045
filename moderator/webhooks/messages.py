"""The bodies a site's webhook receives: what was decided, by whom, never the comment.

A body names the comment by its queue id (the id the site got in the verdict of
/v1/check), so the site can publish or remove it; it never carries the comment's text,
the commenter's name or email, or anything else the commenter typed.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable
from datetime import datetime
from typing import TYPE_CHECKING, Any

from moderator.errors import UnknownSiteError
from moderator.store.times import iso, utcnow
from moderator.store.webhooks import Outgoing

if TYPE_CHECKING:
    from moderator.policy.loader import PolicySet
    from moderator.policy.webhook import WebhookSettings
    from moderator.store import QueueItem

EVENT_OF = {"approve": "comment.approved", "reject": "comment.rejected"}
PING = "ping"


def _dump(body: dict[str, Any]) -> str:
    return json.dumps(body, ensure_ascii=False, separators=(",", ":"))


def decision_body(delivery: str, event: str, item: QueueItem, moderator: str,
                  at: datetime, undone: str | None = None) -> dict[str, Any]:
    return {"event": event, "delivery": delivery, "site": item.site, "comment_id": item.id,
            "decision": item.decision, "status": item.status, "reason": item.reason,
            "note": item.note, "label": item.label, "moderator": moderator,
            "decided_at": iso(item.decided_at), "undone": undone, "sent_for": iso(at)}


def webhook_of(policies: PolicySet, site: str) -> WebhookSettings | None:
    try:
        return policies.get(site).webhook
    except UnknownSiteError:
        return None  # a comment of a site whose policy was since removed


def _message(settings: WebhookSettings, item: QueueItem, event: str,
             body: Callable[[str], dict[str, Any]]) -> Outgoing:
    delivery = uuid.uuid4().hex
    return Outgoing(item.site, event, item.id, settings.url, _dump(body(delivery)),
                    settings.max_attempts, delivery)


def for_decision(policies: PolicySet, moderator: str) -> Callable[[QueueItem], Outgoing | None]:
    """The `notify` of `Store.decide`: the site's message for the decision, if it wants one."""

    def notify(item: QueueItem) -> Outgoing | None:
        event = EVENT_OF.get(item.decision or "")
        settings = webhook_of(policies, item.site)
        if event is None or settings is None or not settings.wants(event):
            return None
        at = item.decided_at or utcnow()
        return _message(settings, item, event,
                        lambda d: decision_body(d, event, item, moderator, at))

    return notify


def for_undo(policies: PolicySet, moderator: str
             ) -> Callable[[tuple[QueueItem, QueueItem]], Outgoing | None]:
    """The `notify` of `Store.undo`: `comment.undone`, naming the decision taken back."""

    def notify(items: tuple[QueueItem, QueueItem]) -> Outgoing | None:
        decided, now = items
        settings = webhook_of(policies, now.site)
        if settings is None or not settings.wants("comment.undone"):
            return None
        at = utcnow()
        return _message(settings, now, "comment.undone",
                        lambda d: decision_body(d, "comment.undone", now, moderator, at,
                                                undone=decided.decision))

    return notify


def ping(settings: WebhookSettings, site: str, moderator: str) -> Outgoing:
    """The test button's message: nothing to publish, only whether the receiver answers."""
    delivery = uuid.uuid4().hex
    body = {"event": PING, "delivery": delivery, "site": site, "moderator": moderator,
            "sent_for": iso(utcnow())}
    return Outgoing(site, PING, None, settings.url, _dump(body), 1, delivery)
