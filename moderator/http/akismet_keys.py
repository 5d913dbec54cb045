"""Akismet API keys (MODERATOR_AKISMET_KEYS): which 12-character key speaks for which site.

Twelve characters because WordPress's `verify_key` answers `invalid` without calling the
server for any other length; lower-case letters and digits because clients also send the
key as the first label of the Host name, where case is lost. Only each key's SHA-256 is
kept, and a key is found by its digest, so nothing compares the secret itself.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable

from moderator.errors import ModeratorError

KEY_LENGTH = 12
_KEY = re.compile(r"[a-z0-9]{12}")


class AkismetKeyError(ModeratorError):
    """MODERATOR_AKISMET_KEYS is malformed or names a site without a policy."""


def _digest(key: str) -> bytes:
    return hashlib.sha256(key.encode("ascii")).digest()


class AkismetKeys:
    """12-character key -> site, held as SHA-256 digests."""

    def __init__(self, sites_by_digest: dict[bytes, str]) -> None:
        self._sites = dict(sites_by_digest)

    @classmethod
    def parse(cls, raw: str | None, sites: Iterable[str]) -> AkismetKeys:
        """`key=site` entries separated by commas or whitespace; errors never quote a key."""
        known = set(sites)
        found: dict[bytes, str] = {}
        entries = [e for e in re.split(r"[,\s]+", raw or "") if e]
        for n, entry in enumerate(entries, 1):
            key, sep, site = entry.partition("=")
            where = f"MODERATOR_AKISMET_KEYS entry {n}"
            if not sep or not site:
                raise AkismetKeyError(f"{where}: must be key=site")
            if not _KEY.fullmatch(key):
                raise AkismetKeyError(f"{where}: the key must be exactly {KEY_LENGTH} lower-case "
                                      "letters and digits (WordPress refuses other keys)")
            if site not in known:
                raise AkismetKeyError(f"{where}: no policy is configured for site {site!r}")
            if _digest(key) in found:
                raise AkismetKeyError(f"{where}: the key is listed twice")
            found[_digest(key)] = site
        return cls(found)

    def __len__(self) -> int:
        return len(self._sites)

    def site_for(self, candidate: str | None) -> str | None:
        """The site of this key (case-insensitive, as a Host label is), or None."""
        if not candidate or len(candidate) != KEY_LENGTH or not candidate.isascii():
            return None
        return self._sites.get(_digest(candidate.lower()))
