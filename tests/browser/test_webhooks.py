"""The site's webhook from the moderators' page, in Chromium against a real `moderator serve`:
an approval with `f` reaches a local receiver signed with the site's secret, and the
Webhooks panel's test button delivers a ping and shows the receiver's answer."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from moderator.servertest import copy_site
from moderator.webhooks import signing
from tests.browser.conftest import BrowserServer
from tests.browser.test_moderate import PLAIN, article, hold, sign_in
from tests.webhooks.receiver import Receiver

if TYPE_CHECKING:
    from playwright.sync_api import Page

pytestmark = pytest.mark.slow

SECRET = "default-site-webhook-secret-42"


@pytest.fixture(scope="module")
def receiver() -> Iterator[Receiver]:
    with Receiver() as running:
        yield running


@pytest.fixture(scope="module")
def server_env(tmp_path_factory: pytest.TempPathFactory,
               receiver: Receiver) -> dict[str, str]:
    """The repo's policies with a [webhook] to the receiver on the default site."""
    policies, _ = copy_site(tmp_path_factory.mktemp("hooked-site"))
    policy = policies / "default.toml"
    policy.write_text(policy.read_text(encoding="utf-8") +
                      f'\n[webhook]\nurl = "{receiver.url}"\ntimeout_seconds = 5\n',
                      encoding="utf-8")
    return {"MODERATOR_POLICY_DIR": str(Path(policies)),
            "MODERATOR_WEBHOOK_SECRETS": f"default={SECRET}"}


def test_an_approval_with_f_reaches_the_site_signed(server: BrowserServer, page: Page,
                                                    receiver: Receiver) -> None:
    url = article()
    comment_id = hold(server, PLAIN.format(n="hook"), url)["id"]
    before = len(receiver.received)
    sign_in(page, server, f"article={url}")
    page.wait_for_selector(f"#c-{comment_id}.current")
    page.keyboard.press("f")
    page.wait_for_selector(f"#c-{comment_id}.status-approved")
    request = receiver.wait_for(before + 1)[before]
    assert signing.verify(SECRET.encode(), request.headers["X-Moderator-Signature"],
                          request.body)
    assert not signing.verify(b"not-the-site-secret-000", request.headers[
        "X-Moderator-Signature"], request.body)
    body = json.loads(request.body)
    assert (body["event"], body["comment_id"], body["site"], body["moderator"]) == \
        ("comment.approved", comment_id, "default", server.admin_name)
    assert request.headers["X-Moderator-Event"] == "comment.approved"
    assert b"Selling my bike" not in request.body and b"reader@example.org" not in request.body


def test_the_test_button_delivers_a_ping_and_shows_the_answer(server: BrowserServer,
                                                              page: Page,
                                                              receiver: Receiver) -> None:
    sign_in(page, server)
    page.click("nav.sections a[href$='/moderate/webhooks']")
    page.wait_for_selector("#webhook-test")
    assert receiver.url in page.inner_text(".webhook-settings")
    before = len(receiver.received)
    receiver.answers.append(202)
    page.click("#webhook-test")
    result = page.wait_for_selector("#webhook-result")
    assert result is not None
    assert "the receiver answered 202 in" in result.inner_text()
    ping = receiver.wait_for(before + 1)[before]
    assert ping.headers["X-Moderator-Event"] == "ping"
    assert signing.verify(SECRET.encode(), ping.headers["X-Moderator-Signature"], ping.body)
    first = page.locator("table.deliveries tbody tr").first
    assert "ping" in first.inner_text() and first.get_attribute("data-status") == "delivered"

    page.goto(f"{server.url}/moderate/webhooks?lang=ru")
    receiver.answers.append(503)
    page.click("#webhook-test")
    assert "Проверка не прошла: HTTP 503." in page.inner_text("#webhook-result")
