"""Browser tests: a real `moderator serve` and Debian's Chromium driven by Playwright.

Fixtures (their names and what they give are kept stable for every page's tests):

- `server` (per module): `moderator serve` (gunicorn, 2 workers) on a free 127.0.0.1 port,
  with copies of the repo's rules and promoted models (flood limits off: tests post the
  same comment on purpose), its own SQLite database and one admin key set through
  MODERATOR_ADMIN_KEYS. A `BrowserServer`: `.url`, `.admin_key`, `.admin_name`,
  `.database_url`, `.request(...)` / `.check(...)` straight to the server, `.log()`.
  A module may define its own `server_env` fixture (module scope) to add variables.
- `browser` (per session): headless Chromium from /usr/bin/chromium (never downloaded).
- `new_context(**options)`: a fresh browser context (own cookies; options as Playwright's
  `browser.new_context`, e.g. `java_script_enabled=False`), closed after the test.
- `page`: a page in a fresh context.

Every page still open when a test fails is saved as a PNG under test-artifacts/ (named
after the test), for CI to keep. Without Chromium the tests skip, saying why; under CI
(`CI` set) that is a failure instead, since .ci/run installs it.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from moderator.servertest import LiveServer, Response, copy_site

if TYPE_CHECKING:
    from playwright.sync_api import Browser, BrowserContext, Page

REPO = Path(__file__).resolve().parents[2]
ARTIFACTS = REPO / "test-artifacts"
CHROMIUM = Path(os.environ.get("MODERATOR_CHROMIUM", "/usr/bin/chromium"))
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu",
                 "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--no-first-run"]
#: The admin key the server is started with (MODERATOR_ADMIN_KEYS=`ADMIN_NAME=ADMIN_KEY`).
ADMIN_NAME = "browser-tester"
ADMIN_KEY = "browser-test-admin-key-7f3a91c2"
#: Playwright's wait for a page element, in milliseconds.
TIMEOUT_MS = 10_000


@dataclass
class BrowserServer:
    """The running server the browser talks to."""

    url: str
    admin_key: str
    admin_name: str
    database_url: str
    live: LiveServer

    def request(self, method: str, path: str, body: Any = None,
                headers: dict[str, str] | None = None) -> Response:
        """A request straight to the server (JSON body unless `body` is bytes)."""
        return self.live.request(method, path, body, headers=headers)

    def check(self, payload: Any) -> Response:
        """POST /v1/check, as a site's backend sends it."""
        return self.live.check(payload)

    def admin_headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.admin_key}"}

    def log(self) -> str:
        return self.live.log()


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Mark every test under tests/browser `browser` (`-m "not browser"` leaves them out)."""
    here = Path(__file__).parent
    for item in items:
        if here in Path(str(item.path)).parents:
            item.add_marker(pytest.mark.browser)


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Any:
    """Keep each phase's report on the item, so fixtures can tell a failed test."""
    report = yield
    setattr(item, f"report_{report.when}", report)
    return report


def _no_browser(reason: str) -> None:
    if os.environ.get("CI"):
        pytest.fail(f"{reason}; .ci/run installs Debian's chromium, so CI must have it")
    pytest.skip(reason)


@pytest.fixture(scope="module")
def server_env() -> dict[str, str]:
    """More environment for the module's server (none by default)."""
    return {}


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory,
           server_env: dict[str, str]) -> Iterator[BrowserServer]:
    root = tmp_path_factory.mktemp("browser-server")
    policies, models = copy_site(root)
    database_url = f"sqlite:///{root / 'store.sqlite3'}"
    env = {"MODERATOR_POLICY_DIR": str(policies), "MODERATOR_MODELS_DIR": str(models),
           "MODERATOR_DATABASE_URL": database_url,
           "MODERATOR_ADMIN_KEYS": f"{ADMIN_NAME}={ADMIN_KEY}",
           # gunicorn 27 puts its control socket under $HOME unless told otherwise
           "HOME": str(root), "XDG_RUNTIME_DIR": "", **server_env}
    live = LiveServer(root, env)
    try:
        live.start(timeout=120)
        yield BrowserServer(f"http://127.0.0.1:{live.port}", ADMIN_KEY, ADMIN_NAME,
                            database_url, live)
    finally:
        live.stop()


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    if not CHROMIUM.is_file():
        _no_browser(f"no Chromium at {CHROMIUM} (apt-get install chromium chromium-driver)")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        _no_browser("Python playwright is not installed (make install-test)")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM),
                                             args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            browser.close()


@pytest.fixture
def new_context(browser: Browser,
                request: pytest.FixtureRequest) -> Iterator[Callable[..., BrowserContext]]:
    contexts: list[BrowserContext] = []

    def factory(**options: Any) -> BrowserContext:
        context = browser.new_context(**options)
        context.set_default_timeout(TIMEOUT_MS)
        contexts.append(context)
        return context

    yield factory
    try:
        if _failed(request.node):
            _screenshots(request.node, contexts)
    finally:
        for context in contexts:
            context.close()


@pytest.fixture
def page(new_context: Callable[..., BrowserContext]) -> Page:
    return new_context().new_page()


def _failed(item: pytest.Item) -> bool:
    return any(getattr(getattr(item, f"report_{when}", None), "failed", False)
               for when in ("setup", "call"))


def _screenshots(item: pytest.Item, contexts: list[BrowserContext]) -> None:
    """Each open page as test-artifacts/<test>[-<n>].png; a page that cannot be shot is
    skipped (the test's own failure is what matters)."""
    ARTIFACTS.mkdir(exist_ok=True)
    stem = re.sub(r"[^A-Za-z0-9_.-]+", "_",
                  item.nodeid.split("/")[-1].replace("::", "--")).strip("_")
    pages = [p for context in contexts for p in context.pages if not p.is_closed()]
    for number, open_page in enumerate(pages):
        suffix = f"-{number}" if number else ""
        try:
            open_page.screenshot(path=str(ARTIFACTS / f"{stem}{suffix}.png"), full_page=True)
        except Exception as exc:  # a crashed page: say so, keep the test's own error
            print(f"screenshot of page {number} failed: {type(exc).__name__}")
