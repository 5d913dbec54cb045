"""The `[webhook]` section of a policy: where a site hears of its moderators' decisions.

Only the settings live here; the outbox, the signing and the sending are
`moderator.webhooks`' job. The signing secret is not in the policy (policy files are
shared and versioned): it comes from MODERATOR_WEBHOOK_SECRETS.

Where a webhook may point: https, or plain http to a loopback host only (localhost,
127.0.0.1, ::1: a receiver on the same machine, as in development). A literal IP address
in a private, link-local, shared, multicast or reserved range is refused (a policy must not
make the server call into the network it runs in, such as a cloud metadata address);
loopback is allowed. Host names are not resolved here: DNS answers change after load.
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass
from urllib.parse import urlsplit

from moderator.policy.tables import Table

EVENTS = ("comment.approved", "comment.rejected", "comment.undone")
DEFAULT_TIMEOUT_SECONDS = 5.0
MAX_TIMEOUT_SECONDS = 30.0
DEFAULT_MAX_ATTEMPTS = 8
MAX_ATTEMPTS = 20
MAX_URL = 2048
LOOPBACK_HOSTS = ("localhost", "127.0.0.1", "::1")


@dataclass(frozen=True, slots=True)
class WebhookSettings:
    """Where and what to send for one site, and how hard to try."""

    url: str
    events: tuple[str, ...]
    enabled: bool
    timeout_seconds: float
    max_attempts: int

    def wants(self, event: str) -> bool:
        return self.enabled and event in self.events

    def to_dict(self) -> dict[str, object]:
        return {"url": self.url, "events": list(self.events), "enabled": self.enabled,
                "timeout_seconds": self.timeout_seconds, "max_attempts": self.max_attempts}


def url_problem(url: str) -> str | None:
    """Why `url` cannot be a webhook's address (None: it can)."""
    if len(url) > MAX_URL:
        return f"is longer than {MAX_URL} characters"
    if any(ch.isspace() or ord(ch) < 32 for ch in url):
        return "contains whitespace or control characters"
    try:
        parts = urlsplit(url)
        host = (parts.hostname or "").lower()
        parts.port  # noqa: B018 (raises on a port that is no number)
    except ValueError:
        return "is not a URL"
    if parts.scheme not in ("https", "http") or not host:
        return "must be an https:// URL with a host"
    if parts.username or parts.password:
        return "must not carry a user name or password (the signature authenticates)"
    if parts.fragment:
        return "must not have a #fragment"
    loopback = host in LOOPBACK_HOSTS
    if parts.scheme == "http" and not loopback:
        return "must use https (plain http only to localhost or 127.0.0.1)"
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return None  # a host name
    if address.is_loopback:
        return None
    if (address.is_private or address.is_link_local or address.is_multicast
            or address.is_reserved or address.is_unspecified
            or address in ipaddress.ip_network("100.64.0.0/10")):
        return "points at a private or reserved address (only loopback is allowed)"
    return None


def load_webhook(root: Table) -> WebhookSettings | None:
    """`[webhook]`: url, events, enabled, timeout_seconds, max_attempts. None when absent."""
    table = root.table("webhook")
    if table is None:
        return None
    url = table.get("url", str, required=True)
    problem = url_problem(url)
    if problem:
        raise table.error("url", problem)
    events = table.string_list("events", EVENTS)
    if not events:
        raise table.error("events", f"must name at least one of {', '.join(EVENTS)}")
    for event in events:
        if event not in EVENTS:
            raise table.error("events", f"{event!r} is not one of {', '.join(EVENTS)}")
    if len(set(events)) != len(events):
        raise table.error("events", "names an event twice")
    timeout = table.get("timeout_seconds", float, DEFAULT_TIMEOUT_SECONDS)
    if not 0.1 <= timeout <= MAX_TIMEOUT_SECONDS:
        raise table.error("timeout_seconds", f"must be from 0.1 to {MAX_TIMEOUT_SECONDS:g}")
    attempts = table.get("max_attempts", int, DEFAULT_MAX_ATTEMPTS)
    if not 1 <= attempts <= MAX_ATTEMPTS:
        raise table.error("max_attempts", f"must be from 1 to {MAX_ATTEMPTS}")
    settings = WebhookSettings(url=url, events=events, enabled=table.get("enabled", bool, True),
                               timeout_seconds=timeout, max_attempts=attempts)
    table.done()
    return settings
