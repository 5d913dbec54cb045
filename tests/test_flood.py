"""Flood limits: the same behaviour in memory and in the real Redis; Redis down is no 500."""

from __future__ import annotations

import logging
import socket
from collections.abc import Iterator
from pathlib import Path

import pytest
import redis

from moderator.flood import (
    FloodConfigError,
    FloodLimited,
    FloodLimiter,
    repeat_text,
    wait_text,
)
from moderator.policy import PolicySet, load_policy
from moderator.policy.model import Policy
from moderator.servertest import free_port
from moderator.service import Moderator
from moderator.types import Action, Comment, Decision

KEY = b"k" * 32
POLICY = """
[policy]
site = "s"
version = "1"

[fields.comment]
required = true

[fields.name]

[fields.email]
type = "email"

[flood]
repeat_window_minutes = 10
repeat_action = "{repeat_action}"
per_commenter = "3 per 60 seconds"
per_ip = "5 per 60 seconds"
message = "Slow down: wait {{wait}}."

[failure]
on_flood_error = "{on_error}"
"""


def make_policy(tmp_path: Path, repeat_action: str = "review",
                on_error: str = "review") -> Policy:
    path = tmp_path / f"p-{repeat_action}-{on_error}.toml"
    path.write_text(POLICY.format(repeat_action=repeat_action, on_error=on_error),
                    encoding="utf-8")
    return load_policy(path)


def comment(text: str, email: str | None = "ann@example.org", ip: str | None = "203.0.113.7",
            **context: object) -> Comment:
    fields = {"comment": text, **({"email": email} if email else {})}
    return Comment(fields, site="s", context={**({"ip": ip} if ip else {}), **context})


@pytest.fixture(params=["memory", "redis"])
def limiter(request: pytest.FixtureRequest) -> Iterator[FloodLimiter]:
    """The same tests on each counter store (Redis: the shared one, a prefix of its own)."""
    if request.param == "memory":
        yield FloodLimiter(None, lambda: KEY)
        return
    url, prefix = request.getfixturevalue("redis_prefix")
    yield FloodLimiter(url, lambda: KEY, key_prefix=prefix)


@pytest.fixture
def policy(tmp_path: Path) -> Policy:
    return make_policy(tmp_path)


def test_per_commenter_rate_gives_retry_after_and_a_message(limiter: FloodLimiter,
                                                            policy: Policy) -> None:
    for i in range(3):  # different addresses: only the commenter's limit is in play
        assert limiter.check(comment(f"post {i}", ip=f"198.51.100.{i}"), policy) == ()
    with pytest.raises(FloodLimited) as caught:
        limiter.check(comment("post 3", ip="198.51.100.9"), policy)
    assert caught.value.scope == "commenter"
    assert 1 <= caught.value.retry_after <= 60
    assert caught.value.message == f"Slow down: wait {wait_text(caught.value.retry_after)}."
    # Another commenter is not held back; the email's case and spaces do not make a new one.
    assert limiter.check(comment("post 4", email="bob@example.org", ip="198.51.100.8"),
                         policy) == ()
    with pytest.raises(FloodLimited):
        limiter.check(comment("post 5", email=" ANN@example.org ", ip="198.51.100.7"), policy)


def test_per_ip_rate_across_commenters(limiter: FloodLimiter, policy: Policy) -> None:
    for i in range(5):
        limiter.check(comment(f"post {i}", email=f"c{i}@example.org"), policy)
    with pytest.raises(FloodLimited) as caught:
        limiter.check(comment("post 5", email="c5@example.org"), policy)
    assert caught.value.scope == "ip"
    assert limiter.check(comment("post 6", email="c6@example.org", ip="192.0.2.1"), policy) == ()


def test_a_refused_comment_spends_nothing_of_the_other_limit(limiter: FloodLimiter,
                                                             policy: Policy) -> None:
    for i in range(5):
        limiter.check(comment(f"a{i}", email=f"c{i}@example.org"), policy)  # address: 5 of 5
    for i in range(3):
        with pytest.raises(FloodLimited) as caught:
            limiter.check(comment(f"again {i}"), policy)  # ann, refused by the address
        assert caught.value.scope == "ip"
    # Had the refusals counted against ann, she would be past her 3 by now.
    for i in range(3):
        assert limiter.check(comment(f"b{i}", ip=f"192.0.2.{i}"), policy) == ()


def test_repeat_post_is_held_with_the_policy_action(limiter: FloodLimiter, tmp_path: Path) -> None:
    policy = make_policy(tmp_path, repeat_action="reject")
    assert limiter.check(comment("Great article, thanks!"), policy) == ()
    findings = limiter.check(comment("  great ARTICLE,\n thanks!\u200b"), policy)
    assert [(f.code, f.field, f.action) for f in findings] == \
        [("flood.repeat", "comment", Action.REJECT)]
    assert findings[0].detail == {"window_minutes": 10}
    # Another commenter may say the same; the same commenter may say something else.
    assert limiter.check(comment("Great article, thanks!", email="bob@example.org"),
                         policy) == ()


def test_without_email_author_id_then_the_address_name_the_commenter(
        limiter: FloodLimiter, policy: Policy) -> None:
    assert limiter.check(comment("hi", email=None, author_id=42), policy) == ()
    assert [f.code for f in limiter.check(comment("hi", email=None, ip="192.0.2.9",
                                                  author_id="42"), policy)] == ["flood.repeat"]
    assert limiter.check(comment("yo", email=None, ip="192.0.2.50"), policy) == ()
    assert [f.code for f in limiter.check(comment("yo", email=None, ip="192.0.2.50"),
                                          policy)] == ["flood.repeat"]
    assert limiter.check(comment("anonymous", email=None, ip=None), policy) == ()
    assert limiter.check(comment("anonymous", email=None, ip=None), policy) == ()


def test_no_flood_section_counts_nothing(limiter: FloodLimiter, tmp_path: Path) -> None:
    path = tmp_path / "plain.toml"
    path.write_text(POLICY.split("[flood]")[0], encoding="utf-8")
    plain = load_policy(path)
    for _ in range(10):
        assert limiter.check(comment("same"), plain) == ()


def test_redis_keys_hold_no_email_address_or_text(redis_prefix: tuple[str, str],
                                                  policy: Policy) -> None:
    url, prefix = redis_prefix
    FloodLimiter(url, lambda: KEY, key_prefix=prefix).check(comment("Secret words"), policy)
    client = redis.Redis.from_url(url)
    keys = [k.decode() for k in client.scan_iter(match=f"{prefix}:*")]
    assert len(keys) == 3  # commenter, address, repeat
    dump = " ".join(keys).lower()
    for private in ("ann", "example.org", "203.0.113.7", "secret"):
        assert private not in dump


def test_two_limiters_on_one_redis_share_counts(redis_prefix: tuple[str, str],
                                                policy: Policy) -> None:
    """As two workers or two hosts do: the counts live in Redis, not in either process."""
    url, prefix = redis_prefix
    first = FloodLimiter(url, lambda: KEY, key_prefix=prefix)
    second = FloodLimiter(url, lambda: KEY, key_prefix=prefix)
    first.check(comment("one"), policy)
    second.check(comment("two"), policy)
    first.check(comment("three"), policy)
    with pytest.raises(FloodLimited):
        second.check(comment("four"), policy)
    assert [f.code for f in second.check(comment("x", email="new@example.org"), policy)] == []
    assert [f.code for f in first.check(comment("x", email="new@example.org"), policy)] == \
        ["flood.repeat"]


@pytest.mark.parametrize("on_error", ["review", "reject"])
def test_redis_down_gives_the_failure_action(tmp_path: Path, on_error: str,
                                             caplog: pytest.LogCaptureFixture) -> None:
    policy = make_policy(tmp_path, on_error=on_error)
    down = FloodLimiter(f"redis://127.0.0.1:{free_port()}/0", lambda: KEY)
    with caplog.at_level(logging.INFO):
        findings = down.check(comment("Secret words"), policy)
    assert [(f.code, f.action) for f in findings] == [("system.flood_error", Action(on_error))]
    assert down.problem() is not None
    assert "Secret" not in caplog.text and "ann@" not in caplog.text
    assert "203.0.113.7" not in caplog.text


def test_a_redis_that_never_answers_gives_the_failure_action(policy: Policy) -> None:
    """Connected but silent (a stalled or black-holed Redis): the read timeout ends it."""
    with socket.socket() as silent:
        silent.bind(("127.0.0.1", 0))
        silent.listen(8)  # the kernel completes the connection; nobody ever reads or answers
        port = silent.getsockname()[1]
        stalled = FloodLimiter(f"redis://127.0.0.1:{port}/0", lambda: KEY, timeout=0.2)
        findings = stalled.check(comment("hi"), policy)
    assert [(f.code, f.action) for f in findings] == [("system.flood_error", Action.REVIEW)]


def test_an_unreadable_hash_key_gives_the_failure_action(policy: Policy) -> None:
    def broken() -> bytes:
        raise OSError("read-only file system")

    limiter = FloodLimiter(None, broken)
    assert [f.code for f in limiter.check(comment("hi"), policy)] == ["system.flood_error"]
    limiter._health = None  # past the 2 s cache
    assert limiter.problem() == "the hash key cannot be read (OSError)"


def test_problem_is_none_while_redis_answers(redis_prefix: tuple[str, str]) -> None:
    url, prefix = redis_prefix
    assert FloodLimiter(url, lambda: KEY, key_prefix=prefix).problem() is None
    assert FloodLimiter(None, lambda: KEY).problem() is None


def test_a_url_of_no_known_store_is_a_config_error() -> None:
    with pytest.raises(FloodConfigError, match="MODERATOR_REDIS_URL"):
        FloodLimiter("postgres://localhost/x", lambda: KEY)


def test_moderator_adds_the_repeat_finding_and_raises_before_any_rule(
        tmp_path: Path, policy: Policy) -> None:
    service = Moderator(PolicySet({"s": policy}), {}, limiter=FloodLimiter(None, lambda: KEY))
    first = service.check(comment("A fine day."))
    assert first.decision is Decision.ACCEPT and first.findings == ()
    again = service.check(comment("A fine day."))
    assert again.decision is Decision.REVIEW
    assert [f.code for f in again.findings] == ["flood.repeat"]
    service.check(comment("Another."))
    with pytest.raises(FloodLimited):
        service.check(comment(""))  # rules would reject it (required); the rate comes first
    unlimited = Moderator(PolicySet({"s": policy}), {})
    assert unlimited.check(comment("A fine day.")).decision is Decision.ACCEPT
    assert unlimited.check(comment("A fine day.")).decision is Decision.ACCEPT


@pytest.mark.parametrize(("seconds", "words"), [
    (1, "1 second"), (40, "40 seconds"), (119, "119 seconds"), (120, "2 minutes"),
    (3599, "60 minutes"), (7200, "2 hours"),
])
def test_wait_text(seconds: int, words: str) -> None:
    assert wait_text(seconds) == words


def test_repeat_text_folds_only_case_width_and_spacing() -> None:
    assert repeat_text(" Ｈello\u200b  WORLD\n") == "hello world"
    assert repeat_text("hello, world") != repeat_text("hello world")
