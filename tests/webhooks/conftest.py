"""A site `news` whose policy has a `[webhook]`, its store on SQLite and PostgreSQL, and a
dispatcher with a clock the tests move forward (retries are due later, not slept for)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import datetime, timedelta
from pathlib import Path

import pytest

from moderator.policy import PolicySet
from moderator.service import Moderator
from moderator.store import Store
from moderator.store.times import utcnow
from moderator.types import Action, Comment, Decision, Finding, Span, Verdict
from moderator.webhooks import WebhookDispatcher
from tests.store import conftest as store_fixtures

#: The store tests' fixtures (a SQLite file and a PostgreSQL schema per test), here too.
database_url = store_fixtures.database_url
store = store_fixtures.store

SITE = "news"
SECRET = b"news-webhook-secret-0123456789"
TEXT = "Call me on +7 701 234 5678, brothers"
NAME = "Aigerim Private"
EMAIL = "aigerim.private@example.kz"


def write_policy(folder: Path, url: str, **webhook: object) -> Path:
    """A policy for `news` with a [webhook] to `url` (more keys as given, TOML-rendered)."""
    folder.mkdir(parents=True, exist_ok=True)
    lines = [f'url = "{url}"']
    for key, value in webhook.items():
        if isinstance(value, bool):
            rendered = "true" if value else "false"
        elif isinstance(value, list | tuple):
            rendered = "[" + ", ".join(f'"{v}"' for v in value) + "]"
        else:
            rendered = repr(value)
        lines.append(f"{key} = {rendered}")
    (folder / "news.toml").write_text(
        '[policy]\nsite = "news"\nversion = "1"\n\n'
        '[fields.comment]\nrequired = true\nmax_length = 1500\n\n'
        '[fields.name]\n\n[fields.email]\ntype = "email"\n\n'
        '[webhook]\n' + "\n".join(lines) + "\n", encoding="utf-8")
    return folder


class Clock:
    """Real time plus an offset the test moves forward."""

    def __init__(self) -> None:
        self.offset = timedelta()

    def __call__(self) -> datetime:
        return utcnow() + self.offset

    def advance(self, seconds: float) -> None:
        self.offset += timedelta(seconds=seconds)


def hold(store: Store, text: str = TEXT) -> str:
    comment = Comment({"comment": text, "name": NAME, "email": EMAIL}, site=SITE)
    finding = Finding("personal_data.phone", "comment", Action.REVIEW, "No phones.", Span(11, 27))
    verdict = Verdict(Decision.REVIEW, (finding,), {}, "news@1", None, "en")
    return store.hold(comment, verdict, "comment", ("email",))


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def site(tmp_path: Path) -> Callable[..., Moderator]:
    """`site(url, store, **webhook)`: the checker of `news` on `store`."""

    def build(url: str, store: Store, **webhook: object) -> Moderator:
        policies = PolicySet.from_path(write_policy(tmp_path / "policies", url, **webhook))
        return Moderator(policies, {}, store=store)

    return build


@pytest.fixture
def dispatcher(clock: Clock) -> Callable[..., WebhookDispatcher]:
    """`dispatcher(service, secrets=...)`: sends for `service`, 10 s base back-off, no jitter
    (rng 1.0: the full step), on the test's clock."""

    def build(service: Moderator, secrets: dict[str, tuple[bytes, ...]] | None = None,
              store: Store | None = None) -> WebhookDispatcher:
        chosen = store or service.store
        sender = WebhookDispatcher(lambda: chosen, lambda: service.policies,
                                   {SITE: (SECRET,)} if secrets is None else secrets,
                                   backoff_base=10.0, clock=clock, rng=lambda: 1.0)
        service.webhooks = sender
        return sender

    return build


@pytest.fixture
def stores(database_url: str) -> Iterator[Callable[[], Store]]:
    """More stores on the same database (another worker's view of it)."""
    opened: list[Store] = []

    def another() -> Store:
        opened.append(Store.open(database_url, b"k" * 32, migrate=False))
        return opened[-1]

    yield another
    for s in opened:
        s.close()
