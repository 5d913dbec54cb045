"""The browser harness itself: the browser reaches the real server, a failure leaves a PNG."""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from tests.browser import conftest
from tests.browser.conftest import BrowserServer

if TYPE_CHECKING:
    from playwright.sync_api import Page

pytestmark = pytest.mark.slow


def test_the_browser_reaches_the_real_server(server: BrowserServer, page: Page) -> None:
    response = page.goto(f"{server.url}/healthz")
    assert response is not None and response.status == 200
    body = json.loads(page.inner_text("body"))
    assert body["status"] == "ok", body["problems"]
    assert server.request("GET", "/v1/queue", headers=server.admin_headers()).status == 200
    assert server.request("GET", "/v1/queue").status == 401


def test_a_failed_test_leaves_a_screenshot(page: Page, tmp_path: Path,
                                           monkeypatch: pytest.MonkeyPatch,
                                           request: pytest.FixtureRequest) -> None:
    page.set_content("<h1>failed here</h1>")
    monkeypatch.setattr(conftest, "ARTIFACTS", tmp_path)
    conftest._screenshots(request.node, [page.context])
    shots = list(tmp_path.glob("*.png"))
    expected = "test_harness.py--test_a_failed_test_leaves_a_screenshot.png"
    assert [p.name for p in shots] == [expected]
    assert shots[0].read_bytes().startswith(b"\x89PNG")
