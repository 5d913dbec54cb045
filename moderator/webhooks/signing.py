"""Stripe-style signatures: `X-Moderator-Signature: t=<unix time>,v1=<hex HMAC-SHA256>`.

The HMAC is over `"<t>.<body>"` with the site's secret, so a receiver checks both that
the body came from us and that it is fresh (a replayed delivery has an old `t`). While a
secret is being rotated (`site=new|old`), one `v1=` is sent per secret.
"""

from __future__ import annotations

import hashlib
import hmac
import time
from collections.abc import Iterable, Mapping

from moderator.errors import ModeratorError

SIGNATURE_HEADER = "X-Moderator-Signature"
EVENT_HEADER = "X-Moderator-Event"
DELIVERY_HEADER = "X-Moderator-Delivery"
MIN_SECRET_LENGTH = 16
#: How old a signature a receiver should accept (README "Webhooks").
DEFAULT_TOLERANCE_SECONDS = 300


class WebhookConfigError(ModeratorError):
    """MODERATOR_WEBHOOK_SECRETS is malformed; says which entry, never the secret."""


def parse_secrets(raw: str | None, sites: Iterable[str] | None = None
                  ) -> dict[str, tuple[bytes, ...]]:
    """`site=secret[|old secret],...`: every signing secret of each site.

    With `sites`, an entry for a site no policy has is an error (a typo would leave the
    real site's deliveries unsigned).
    """
    found: dict[str, tuple[bytes, ...]] = {}
    known = set(sites) if sites is not None else None
    for number, entry in enumerate((raw or "").split(","), start=1):
        if not entry.strip():
            continue
        site, sep, value = entry.partition("=")
        site = site.strip()
        secrets = tuple(s.strip() for s in value.split("|") if s.strip())
        if not sep or not site or not secrets:
            raise WebhookConfigError(f"MODERATOR_WEBHOOK_SECRETS entry #{number} is not "
                                     "<site>=<secret>")
        if any(len(s) < MIN_SECRET_LENGTH for s in secrets):
            raise WebhookConfigError(f"MODERATOR_WEBHOOK_SECRETS entry #{number} has a secret "
                                     f"shorter than {MIN_SECRET_LENGTH} characters")
        if site in found:
            raise WebhookConfigError(f"MODERATOR_WEBHOOK_SECRETS names site {site!r} twice "
                                     "(rotate with site=new|old)")
        if known is not None and site not in known:
            raise WebhookConfigError(f"MODERATOR_WEBHOOK_SECRETS names site {site!r}, which "
                                     "no policy has")
        found[site] = tuple(s.encode("utf-8") for s in secrets)
    return found


def signature(secret: bytes, timestamp: int, body: bytes) -> str:
    return hmac.new(secret, f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()


def sign(secrets: Iterable[bytes], body: bytes, timestamp: int | None = None) -> str:
    """The header value for `body` signed now (or at `timestamp`) with each secret."""
    t = int(time.time()) if timestamp is None else timestamp
    return ",".join([f"t={t}", *(f"v1={signature(s, t, body)}" for s in secrets)])


def parse_header(header: str) -> tuple[int | None, list[str]]:
    """(t, [v1 signatures]) of a header; t is None when missing or not a number."""
    timestamp: int | None = None
    found = []
    for part in header.split(","):
        key, _, value = part.strip().partition("=")
        if key == "t" and value.isdigit():
            timestamp = int(value)
        elif key == "v1":
            found.append(value)
    return timestamp, found


def verify(secret: bytes, header: str, body: bytes, *, now: float | None = None,
           tolerance: int = DEFAULT_TOLERANCE_SECONDS) -> bool:
    """What a receiver does (README "Webhooks" has the same in a dozen lines)."""
    timestamp, given = parse_header(header)
    if timestamp is None or abs((time.time() if now is None else now) - timestamp) > tolerance:
        return False
    expected = signature(secret, timestamp, body)
    return any(hmac.compare_digest(expected, value) for value in given)


def secrets_for(secrets: Mapping[str, tuple[bytes, ...]], site: str) -> tuple[bytes, ...]:
    return secrets.get(site, ())
