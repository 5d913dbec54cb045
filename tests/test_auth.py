"""Admin key entries: names and digests are matched whole, a trailing newline included."""

from __future__ import annotations

from moderator.auth import AdminKeys, digest

SECRET = "a-long-random-secret-0123"


def test_a_name_with_a_trailing_newline_is_not_a_name() -> None:
    keys = AdminKeys.parse(f"alice\n={SECRET}")
    [(name, key_digest)] = keys.keys
    assert name.startswith("key-")  # the whole entry is the secret, as for any bad name
    assert key_digest == digest(f"alice\n={SECRET}")
    assert AdminKeys.parse(f"alice={SECRET}").keys[0][0] == "alice"
