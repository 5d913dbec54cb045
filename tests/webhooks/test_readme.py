"""The README's verification snippet, run against real signed deliveries."""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from moderator.service import Moderator
from moderator.store import Store
from moderator.webhooks import WebhookDispatcher, sign
from tests.webhooks.conftest import SECRET, hold
from tests.webhooks.receiver import Receiver

README = Path(__file__).resolve().parents[2] / "README.md"
MARKER = "<!-- webhook-verify:"


def readme_verify() -> Callable[..., bool]:
    text = README.read_text(encoding="utf-8")
    assert MARKER in text, "the README lost its webhook verification snippet"
    block = re.search(r"```python\n(.*?)```", text[text.index(MARKER):], re.S)
    assert block is not None
    namespace: dict[str, Any] = {}
    exec(compile(block.group(1), "README.md", "exec"), namespace)
    return namespace["verify"]  # type: ignore[no-any-return]


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_the_readme_snippet_verifies_real_deliveries(
        store: Store, site: Callable[..., Moderator],
        dispatcher: Callable[..., WebhookDispatcher]) -> None:
    verify = readme_verify()
    with Receiver() as receiver:
        service = site(receiver.url, store)
        comment_id = hold(store)
        service.decide(comment_id, "approve", "other", "alice")
        service.undo(comment_id, "alice", 60)
        sender = dispatcher(service, secrets={"news": (b"new-secret-0123456789", SECRET)})
        sender.deliver_due()
        requests = receiver.wait_for(2)
    for request in requests:
        header = request.headers["X-Moderator-Signature"]
        assert header.count("v1=") == 2  # rotation: one per secret
        assert verify(SECRET, header, request.body)
        assert verify(b"new-secret-0123456789", header, request.body)
        assert not verify(b"wrong-secret-0123456789", header, request.body)
        assert not verify(SECRET, header, request.body + b" ")
        # A correct signature made well over 300 s ago: a replay, refused for its age alone
        # (one well inside the window passes; margins wide of the clock's own progress).
        now = int(time.time())
        assert verify(SECRET, sign([SECRET], request.body, now - 200), request.body)
        assert not verify(SECRET, sign([SECRET], request.body, now - 400), request.body)
        assert not verify(SECRET, sign([SECRET], request.body, now + 400), request.body)
