"""One POST to a receiver, bounded by a timeout; redirects are not followed.

A redirect is reported as a failure rather than followed: the policy's URL is the one
that was checked (https, not a private address), a Location header is not. Nothing of
the receiver's answer is kept but its status code.
"""

from __future__ import annotations

import socket
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from typing import Any

USER_AGENT = "moderator-webhook/1"
#: Bytes of the answer read (and dropped) so the connection closes cleanly.
MAX_ANSWER = 4096


@dataclass(frozen=True, slots=True)
class Sent:
    """What one try gave: the status code (None: no answer) and why it failed."""

    status_code: int | None
    error: str | None
    duration_ms: int

    @property
    def ok(self) -> bool:
        return self.error is None and self.status_code is not None and \
            200 <= self.status_code < 300


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None


_OPENER = urllib.request.build_opener(_NoRedirect)


def _reason(exc: BaseException) -> str:
    """A short, data-free why: `timeout`, `connection refused`, `ssl: ...`."""
    inner = getattr(exc, "reason", exc)
    if isinstance(inner, TimeoutError | socket.timeout):
        return "timeout"
    if isinstance(inner, ConnectionRefusedError):
        return "connection refused"
    if isinstance(inner, socket.gaierror):
        return "host not found"
    if isinstance(inner, OSError) and getattr(inner, "strerror", None):
        return f"{type(inner).__name__}: {inner.strerror}"
    return type(inner).__name__


def post(url: str, body: bytes, headers: dict[str, str], timeout: float) -> Sent:
    """POST `body` to `url`; a 2xx is success, anything else (or no answer) a failure."""
    request = urllib.request.Request(url, data=body, method="POST", headers={
        "Content-Type": "application/json", "User-Agent": USER_AGENT, **headers})
    started = time.monotonic()
    try:
        with _OPENER.open(request, timeout=timeout) as answer:
            answer.read(MAX_ANSWER)
            status = int(answer.status)
    except urllib.error.HTTPError as exc:
        status = int(exc.code)
        exc.close()
        error = f"HTTP {status}" + (" (redirects are not followed)"
                                    if 300 <= status < 400 else "")
        return Sent(status, error, _ms(started))
    except (urllib.error.URLError, OSError, ValueError) as exc:
        return Sent(None, _reason(exc), _ms(started))
    if not 200 <= status < 300:
        return Sent(status, f"HTTP {status}", _ms(started))
    return Sent(status, None, _ms(started))


def _ms(started: float) -> int:
    return round((time.monotonic() - started) * 1000)
