"""MODERATOR_WEBHOOK_SECRETS parsing, and the signature a receiver checks."""

from __future__ import annotations

import hashlib
import hmac

import pytest

from moderator.webhooks.signing import WebhookConfigError, parse_secrets, sign, verify

LONG = "s" * 16


def test_pairs_and_rotation() -> None:
    assert parse_secrets(f" news={LONG} , blog=a{LONG}|b{LONG},", ["news", "blog"]) == {
        "news": (LONG.encode(),), "blog": (f"a{LONG}".encode(), f"b{LONG}".encode())}
    assert parse_secrets(None) == {} == parse_secrets("")


@pytest.mark.parametrize(("raw", "problem"), [
    ("news", "entry #1 is not <site>=<secret>"),
    (f"news={LONG},=x{LONG}", "entry #2 is not"),
    ("news=tiny", "shorter than 16"),
    (f"news={LONG},news=x{LONG}", "twice"),
    (f"nwes={LONG}", "'nwes', which no policy has"),
])
def test_refusals_never_echo_the_secret(raw: str, problem: str) -> None:
    with pytest.raises(WebhookConfigError) as caught:
        parse_secrets(raw, ["news"])
    assert problem in str(caught.value)
    assert LONG not in str(caught.value) and "tiny" not in str(caught.value)


def test_the_signature_is_hmac_of_t_dot_body() -> None:
    header = sign([b"k" * 16], b'{"a":1}', timestamp=1700000000)
    expected = hmac.new(b"k" * 16, b'1700000000.{"a":1}', hashlib.sha256).hexdigest()
    assert header == f"t=1700000000,v1={expected}"
    assert verify(b"k" * 16, header, b'{"a":1}', now=1700000100)
    assert not verify(b"k" * 16, header, b'{"a":1}', now=1700000400)
    assert not verify(b"k" * 16, "v1=" + expected, b'{"a":1}', now=1700000000)
