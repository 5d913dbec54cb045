"""Repeat-post and flood limits over the `limits` package: Redis when configured, else memory.

Why `limits` and its moving window: the count of the last M seconds is exact (no burst of
2N across a fixed window's edge), and in Redis each check is one Lua script, atomic across
every worker and host that share the Redis. Counters are keyed by keyed hashes (the
store's hash key), so neither Redis nor a log ever holds an email, an address or text.

A counter store that cannot be reached never becomes a 500 nor a silent pass: the comment
gets a `system.flood_error` finding with the policy's `failure.on_flood_error` action.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import math
import threading
import time
import unicodedata
from collections.abc import Callable, Iterator

import regex
from limits import RateLimitItem, RateLimitItemPerSecond
from limits.errors import ConfigurationError, StorageError
from limits.storage import Storage, storage_from_string
from limits.strategies import MovingWindowRateLimiter
from redis.backoff import NoBackoff
from redis.exceptions import RedisError
from redis.retry import Retry

from moderator.errors import ModeratorError
from moderator.policy.flood import FloodSettings, Rate
from moderator.policy.model import Policy
from moderator.store.privacy import keyed_hash
from moderator.store.store import IP_KEYS
from moderator.types import Comment, Finding

log = logging.getLogger(__name__)
MEMORY_URL = "memory://"
DEFAULT_KEY_PREFIX = "moderator"
#: Seconds to connect to and to wait on Redis: a stalled Redis costs a comment this, not more.
REDIS_TIMEOUT_SECONDS = 0.5
#: /healthz pings Redis at most this often per process.
HEALTH_CACHE_SECONDS = 2.0


class FloodUnavailable(ModeratorError):
    """The hash key that names commenters cannot be read (the key file, MODERATOR_HASH_KEY)."""


#: Whatever a counter store can raise when it is down, full, read-only or a replica.
FAILURES = (StorageError, RedisError, OSError, FloodUnavailable)
FAILURE_MESSAGE = "This comment is held for a moderator."
_INVISIBLE = regex.compile(r"[\p{Cf}\p{Default_Ignorable_Code_Point}]+")


class FloodConfigError(ModeratorError):
    """MODERATOR_REDIS_URL names no storage the `limits` package knows."""


class FloodLimited(ModeratorError):
    """Too many comments from one commenter or address: answer 429 with Retry-After."""

    def __init__(self, site: str, scope: str, retry_after: int, message: str) -> None:
        self.site = site
        #: `commenter` or `ip`: which limit was reached (never whose).
        self.scope = scope
        self.retry_after = retry_after
        self.message = message
        super().__init__(f"{scope} rate limit reached on site {site!r}")


def wait_text(seconds: int) -> str:
    """`1 second`, `40 seconds`, `2 minutes`: what `{wait}` says in the commenter's message."""
    if seconds < 120:
        return "1 second" if seconds == 1 else f"{seconds} seconds"
    minutes = math.ceil(seconds / 60)
    if minutes < 120:
        return f"{minutes} minutes"
    return f"{math.ceil(minutes / 60)} hours"


def repeat_text(text: str) -> str:
    """The text as compared for repeats: NFKC, case folded, invisible characters dropped,
    whitespace runs as one space. "The same comment again", not an obfuscation defence
    (the rules and the classifier see through that on their own)."""
    folded = unicodedata.normalize("NFKC", text).casefold()
    if not folded.isascii():  # ASCII has no invisible characters: skip the (slow) scan
        folded = _INVISIBLE.sub("", folded)
    return " ".join(folded.split())


def _item(rate: Rate) -> RateLimitItem:
    return RateLimitItemPerSecond(rate.amount, rate.seconds)


class FloodLimiter:
    """Counts comments per commenter, per IP address and per repeated text, for `Moderator`."""

    def __init__(self, storage_url: str | None, hash_key: Callable[[], bytes], *,
                 key_prefix: str = DEFAULT_KEY_PREFIX,
                 timeout: float = REDIS_TIMEOUT_SECONDS) -> None:
        url = storage_url or MEMORY_URL
        options: dict[str, object] = {}
        if not url.startswith("memory"):
            # No retries: redis-py's default backs off for seconds, a comment cannot wait.
            options = {"key_prefix": key_prefix, "socket_timeout": timeout,
                       "socket_connect_timeout": timeout, "retry": Retry(NoBackoff(), 0)}
        try:
            self.storage: Storage = storage_from_string(url, **options)  # type: ignore[arg-type]
        except (ConfigurationError, ValueError):
            raise FloodConfigError("MODERATOR_REDIS_URL must be a redis:// (or rediss://, "
                                   "redis+unix://) URL") from None
        self._strategy = MovingWindowRateLimiter(self.storage)
        self._hash_key = hash_key
        self._key: bytes | None = None
        self._health: tuple[float, str | None] | None = None
        self._lock = threading.Lock()

    def _secret(self) -> bytes:
        if self._key is None:
            with self._lock:
                if self._key is None:
                    try:
                        self._key = self._hash_key()
                    except (OSError, ValueError, RuntimeError) as exc:
                        raise FloodUnavailable(type(exc).__name__) from None
        return self._key

    # -- identities: keyed hashes only --------------------------------------------------

    def commenter(self, comment: Comment, policy: Policy) -> str | None:
        """Keyed hash of the first email field filled in, else of context author_id."""
        for name, spec in policy.fields.items():
            value = comment.fields.get(name)
            if spec.type == "email" and value and value.strip():
                return keyed_hash(self._secret(), "email", value)
        author = comment.context.get("author_id")
        if author is not None and str(author).strip():
            return keyed_hash(self._secret(), "author", str(author))
        return None

    def address(self, comment: Comment) -> str | None:
        ip = next((str(comment.context[k]) for k in IP_KEYS if comment.context.get(k)), None)
        return keyed_hash(self._secret(), "ip", ip) if ip else None

    def _repeat_key(self, who: str, text: str) -> str:
        body = f"{who}\x00{text}".encode()
        return hmac.new(self._secret(), b"repeat\x00" + body, hashlib.sha256).hexdigest()

    # -- the check ----------------------------------------------------------------------

    def check(self, comment: Comment, policy: Policy) -> tuple[Finding, ...]:
        """The repeat finding, if any; raises FloodLimited past a rate.

        A counter store that fails gives the policy's failure action instead (logged by
        the error's class only: a Redis error can quote the key or the URL).
        """
        settings = policy.flood
        if settings is None:
            return ()
        try:
            commenter = self.commenter(comment, policy)
            address = self.address(comment)
            self._rates(settings, policy, commenter, address)
            return self._repeat(settings, policy, comment, commenter or address)
        except FAILURES as exc:
            log.warning("flood limits unavailable on site %s: %s", policy.site,
                        type(exc).__name__)
            self._health = (time.monotonic(), f"cannot be counted ({type(exc).__name__})")
            return (Finding("system.flood_error", None, policy.failure.on_flood_error,
                            FAILURE_MESSAGE),)

    def _limits(self, settings: FloodSettings, site: str, commenter: str | None,
                address: str | None) -> Iterator[tuple[str, RateLimitItem, tuple[str, ...]]]:
        if commenter is not None:
            for rate in settings.per_commenter:
                yield "commenter", _item(rate), ("flood", site, "commenter", commenter)
        if address is not None:
            for rate in settings.per_ip:
                yield "ip", _item(rate), ("flood", site, "ip", address)

    def _rates(self, settings: FloodSettings, policy: Policy, commenter: str | None,
               address: str | None) -> None:
        """Test every limit first, then take one from each: a comment refused by one limit
        spends nothing of the others. Two workers racing past the test are stopped by the
        take itself (one atomic script per limit)."""
        limits = list(self._limits(settings, policy.site, commenter, address))
        for scope, item, ids in limits:
            if not self._strategy.test(item, *ids):
                raise self._limited(settings, policy, scope, item, ids)
        for scope, item, ids in limits:
            if not self._strategy.hit(item, *ids):
                raise self._limited(settings, policy, scope, item, ids)

    def _limited(self, settings: FloodSettings, policy: Policy, scope: str,
                 item: RateLimitItem, ids: tuple[str, ...]) -> FloodLimited:
        reset = self._strategy.get_window_stats(item, *ids).reset_time
        retry_after = max(1, math.ceil(reset - time.time()))
        log.info("flood limit per %s reached on site %s", scope, policy.site)
        message = settings.message.replace("{wait}", wait_text(retry_after))
        return FloodLimited(policy.site, scope, retry_after, message)

    def _repeat(self, settings: FloodSettings, policy: Policy, comment: Comment,
                who: str | None) -> tuple[Finding, ...]:
        if not settings.repeat_window_seconds or who is None:
            return ()
        text = repeat_text(comment.fields.get(settings.field) or "")
        if not text:
            return ()
        item = RateLimitItemPerSecond(1, settings.repeat_window_seconds)
        if self._strategy.hit(item, "repeat", policy.site, self._repeat_key(who, text)):
            return ()
        return (Finding("flood.repeat", settings.field, settings.repeat_action,
                        settings.repeat_message,
                        detail={"window_minutes": settings.repeat_window_seconds // 60}),)

    # -- health -------------------------------------------------------------------------

    def problem(self) -> str | None:
        """Why comments cannot be counted now (None: they can); pings at most every 2 s."""
        now = time.monotonic()
        if self._health is not None and now - self._health[0] < HEALTH_CACHE_SECONDS:
            return self._health[1]
        try:
            self._secret()
        except FloodUnavailable as exc:
            problem: str | None = f"the hash key cannot be read ({exc})"
        else:
            problem = None if self.storage.check() else "the counter store (Redis) is unreachable"
        self._health = (now, problem)
        return problem
