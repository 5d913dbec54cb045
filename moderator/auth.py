"""Admin API keys: kept only as SHA-256 digests and compared in constant time.

Keys are long random secrets (at least 16 characters), so one unsalted SHA-256 is
enough to make a leaked config or memory dump useless without a slow KDF. A config
entry is `[name=]secret` or `[name=]sha256:<64 hex digits>`; the name is what the
queue records as the decider (`key-<first 8 hex of the digest>` when none is given).
`moderator admin hash-key` prints the sha256 form so the secret itself need not be
written into a config file.
"""

from __future__ import annotations

import hashlib
import hmac
import re
from collections.abc import Iterable
from dataclasses import dataclass

from moderator.errors import ModeratorError

MIN_KEY_LENGTH = 16
#: Hex digits of a key's SHA-256 that a page session keeps in the store: enough to tell
#: a key from its replacement; a leaked database gives 64 bits of a hash of a 16+ character
#: random secret, no way back to the key.
FINGERPRINT_HEX = 16
_DIGEST = re.compile(r"sha256:([0-9a-f]{64})")
_NAME = re.compile(r"[A-Za-z0-9._@-]{1,64}")


class AdminKeyError(ModeratorError):
    """An admin key entry in the configuration is malformed or too short."""


def digest(secret: str) -> bytes:
    return hashlib.sha256(secret.encode("utf-8")).digest()


def hash_entry(secret: str, name: str | None = None) -> str:
    """The config entry that stands for `secret` without containing it."""
    entry = f"sha256:{digest(secret).hex()}"
    return f"{name}={entry}" if name else entry


@dataclass(frozen=True, slots=True)
class AdminKeys:
    """Who may use the admin endpoints: (name, sha256 digest) pairs, nothing in clear."""

    keys: tuple[tuple[str, bytes], ...] = ()

    @classmethod
    def parse(cls, entries: str | Iterable[str] | None) -> AdminKeys:
        """Comma-separated (or listed) entries from MODERATOR_ADMIN_KEYS or the config file."""
        if entries is None:
            return cls()
        items = entries.split(",") if isinstance(entries, str) else list(entries)
        keys: list[tuple[str, bytes]] = []
        for position, raw in enumerate(items, start=1):
            entry = raw.strip()
            if not entry:
                continue
            name, sep, value = entry.partition("=")
            if not sep or not _NAME.fullmatch(name):
                name, value = "", entry
            match = _DIGEST.fullmatch(value)
            if match:
                key_digest = bytes.fromhex(match.group(1))
            elif len(value) < MIN_KEY_LENGTH:
                raise AdminKeyError(f"admin key #{position} is shorter than {MIN_KEY_LENGTH} "
                                    "characters; use a long random secret")
            else:
                key_digest = digest(value)
            keys.append((name or f"key-{key_digest.hex()[:8]}", key_digest))
        return cls(tuple(keys))

    def __bool__(self) -> bool:
        return bool(self.keys)

    def identify(self, presented: str | None) -> str | None:
        """The name of the key presented, or None; every stored digest is compared."""
        if not presented:
            return None
        candidate = digest(presented)
        found: str | None = None
        for name, key_digest in self.keys:
            if hmac.compare_digest(candidate, key_digest) and found is None:
                found = name
        return found


    def match(self, presented: str | None) -> tuple[str, str] | None:
        """(name, fingerprint) of the key presented, or None; see `fingerprint`."""
        name = self.identify(presented)
        if name is None or presented is None:
            return None
        return name, digest(presented).hex()[:FINGERPRINT_HEX]

    def fingerprint(self, name: str) -> str | None:
        """The first hex digits of the named key's digest: a page session remembers them, so
        a key removed from the config or given a new secret ends the sessions it began."""
        return next((d.hex()[:FINGERPRINT_HEX] for n, d in self.keys if n == name), None)


def bearer_token(header: str | None) -> str | None:
    """The token of an `Authorization: Bearer <token>` header, else None."""
    if not header:
        return None
    scheme, _, token = header.strip().partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        return None
    return token.strip()
