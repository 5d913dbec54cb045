"""Keyed hashes for emails and IPs: equal inputs still match (to spot a repeat commenter),
but a leaked database cannot be reversed by hashing a list of guessed addresses without
the key, which lives outside the database.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import secrets
import time
from pathlib import Path

KEY_BYTES = 32


def keyed_hash(key: bytes, kind: str, value: str) -> str:
    """HMAC-SHA256 of a normalised value; `kind` keeps an email and an IP apart."""
    normalised = value.strip().lower()
    return hmac.new(key, f"{kind}\x00{normalised}".encode(), hashlib.sha256).hexdigest()


def load_or_create_key(path: Path) -> bytes:
    """The hash key in `path`, created (0600, exclusively, so racing workers agree) if absent."""
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        pass
    else:
        with os.fdopen(fd, "w") as fh:
            fh.write(secrets.token_hex(KEY_BYTES) + "\n")
    for _ in range(50):  # another worker may be between create and write
        raw = path.read_text(encoding="ascii").strip()
        if raw:
            return bytes.fromhex(raw)
        time.sleep(0.02)
    raise RuntimeError(f"hash key file {path} stays empty")


def parse_key(raw: str) -> bytes:
    """A configured key: hex if it looks like hex, else its UTF-8 bytes."""
    try:
        key = bytes.fromhex(raw)
    except ValueError:
        key = raw.encode("utf-8")
    if len(key) < 16:
        raise ValueError("MODERATOR_HASH_KEY must be at least 16 bytes (32 hex digits)")
    return key
