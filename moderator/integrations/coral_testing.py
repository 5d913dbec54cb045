"""Coral's request exactly as Coral sends it, signed, for tests and bench/bench_coral.py.

The shape, key order and 2-space indent are Coral v9.11.8's (`JSON.stringify(request,
null, 2)` in phases/external.ts); `json.dumps(..., indent=2, ensure_ascii=False)` makes the
same bytes for ordinary strings. Callers sign the bytes they send, never a re-encoding.
"""

from __future__ import annotations

import hashlib
import hmac
import json

#: Ids as Coral makes them (UUIDs); the secret as Coral makes one ("empsec_" + hex).
TENANT_ID = "19ba5794-7eeb-4d46-a81b-c00c61672501"
SITE_ID = "a4bede88-2d2c-4424-bc18-4322a9e285a6"
AUTHOR_ID = "baf4e943-3594-4fcc-b2ba-3e8de7a76352"
SECRET = "empsec_" + "5f1c0a9e" * 8
OTHER_SECRET = "empsec_" + "a07b3c2d" * 8


def coral_body(body: str, *, action: str = "NEW", site_id: str = SITE_ID,
               tenant_id: str = TENANT_ID, parent_id: str | None = None,
               author_id: str = AUTHOR_ID) -> bytes:
    """The request bytes for one comment body (HTML or plain text)."""
    request = {
        "action": action,
        "comment": {"body": body, "parentID": parent_id},
        "author": {"id": author_id, "role": "COMMENTER"},
        "story": {"id": "245b3856-b0a0-4d2f-a6bb-58c71f18d6a6",
                  "url": "http://localhost:1313/posts/a-story-url/"},
        "site": {"id": site_id},
        "tenantID": tenant_id,
        "tenantDomain": "localhost",
    }
    return json.dumps(request, indent=2, ensure_ascii=False).encode("utf-8")


def sign(body: bytes, *secrets: str) -> str:
    """`X-Coral-Signature`: one `sha256=<hex>` per active secret, joined by commas."""
    return ",".join(
        "sha256=" + hmac.new(s.encode("utf-8"), body, hashlib.sha256).hexdigest()
        for s in secrets)


def headers(body: bytes, *secrets: str) -> dict[str, str]:
    """The headers Coral sends with `body` signed by `secrets` (default: SECRET)."""
    return {"Content-Type": "application/json", "User-Agent": "Coral Moderation/9.11.8",
            "X-Coral-Signature": sign(body, *(secrets or (SECRET,)))}
