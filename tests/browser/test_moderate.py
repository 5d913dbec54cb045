"""The moderators' page in headless Chromium against a real `moderator serve`.

Each test posts its own comments under an article of its own and opens the queue
filtered to that article, so the tests share one server without seeing each other's.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import pytest

from tests.browser.conftest import BrowserServer

if TYPE_CHECKING:
    from playwright.sync_api import BrowserContext, Page

pytestmark = pytest.mark.slow

#: Held by the default policy: a phone number, a suspect word and the classifier, all
#: after an emoji with a skin-tone modifier (two code points, four UTF-16 units).
SPANNED = ("🙂👍🏽 Call me on +7 701 234 5678, the mujahideen will win. "
           "Martyrdom awaits the brothers.")
PLAIN = "Selling my bike, call me on +7 701 234 5678 after six. #{n}"


def article() -> str:
    return f"https://news.example/{uuid.uuid4().hex}"


def hold(server: BrowserServer, text: str, url: str) -> dict[str, Any]:
    verdict = server.check({"site": "default", "context": {"article_url": url,
                                                           "article_title": "Test article"},
                            "fields": {"comment": text, "name": "Reader",
                                       "email": "reader@example.org"}}).json()
    assert verdict["decision"] == "review", verdict
    return verdict  # type: ignore[no-any-return]


def stored(server: BrowserServer, comment_id: str) -> dict[str, Any]:
    page = server.request("GET", "/v1/queue?status=all&limit=200",
                          headers=server.admin_headers()).json()
    [item] = [i for i in page["items"] if i["id"] == comment_id]
    return item  # type: ignore[no-any-return]


def sign_in(page: Page, server: BrowserServer, queue: str = "") -> None:
    page.goto(f"{server.url}/moderate")
    page.fill("#key", server.admin_key)
    page.click(".sign-in button[type=submit]")
    page.wait_for_selector(".queues")
    if queue:
        page.goto(f"{server.url}/moderate?{queue}")


def test_a_wrong_key_is_refused_and_the_right_one_signs_in(server: BrowserServer,
                                                           page: Page) -> None:
    stranger = page.goto(f"{server.url}/moderate")
    assert stranger is not None and stranger.status == 401
    page.fill("#key", "this-is-not-the-admin-key")
    with page.expect_response(lambda r: r.url.endswith("/moderate/sign-in")) as answer:
        page.click(".sign-in button[type=submit]")
    assert answer.value.status == 401
    assert page.inner_text("#sign-in-message") == "That key is not an admin key of this server."
    page.fill("#key", server.admin_key)
    page.click(".sign-in button[type=submit]")
    page.wait_for_selector(".queues")
    assert f"Signed in as {server.admin_name}" in page.inner_text(".me")
    cookie = next(c for c in page.context.cookies() if c["name"] == "moderator_session")
    assert cookie["httpOnly"] and cookie["sameSite"] == "Strict"
    page.click(".sign-out button")
    page.wait_for_selector(".sign-in")
    assert page.goto(f"{server.url}/moderate").status == 401  # type: ignore[union-attr]


def test_a_held_comment_shows_every_span_at_its_characters(server: BrowserServer,
                                                           page: Page) -> None:
    url = article()
    verdict = hold(server, SPANNED, url)
    sign_in(page, server, f"article={url}")
    text_node = page.locator(f"#c-{verdict['id']} p.text[data-field=comment]")
    assert text_node.inner_text() == SPANNED
    marks = text_node.locator("mark").evaluate_all(
        "ms => ms.map(m => [m.dataset.refs.split(' '), m.textContent, m.className, m.title])")
    expected: dict[str, str] = {}
    for index, finding in enumerate(verdict["findings"]):
        terms = finding.get("detail", {}).get("explanation")
        if finding["code"].startswith("classifier.") and terms:
            spans = {f"{index}.{t}": term["span"] for t, term in enumerate(terms)}
        else:
            spans = {str(index): finding["span"]} if finding["span"] else {}
        for ref, span in spans.items():
            expected[ref] = SPANNED[span["start"]:span["end"]]
    assert len(expected) >= 7  # the phone number, the suspect word and five terms
    for ref, characters in expected.items():
        assert "".join(text for refs, text, _, _ in marks if ref in refs) == characters, ref
    codes = [f["code"] for f in verdict["findings"]]
    phone = [m for m in marks if str(codes.index("personal_data.phone")) in m[0]]
    assert "".join(m[1] for m in phone) == "+7 701 234 5678"
    assert all("hl-personal" in m[2] and "personal_data.phone: " in m[3] for m in phone)
    [word] = [m for m in marks if m[1] == "mujahideen"]  # suspect word and top term at once
    assert "hl-suspect" in word[2] and "hl-classifier" in word[2]
    assert "classifier.propaganda" in word[3] and "suspect.word" in word[3]
    card = page.locator(f"#c-{verdict['id']}")
    assert "(held from 0.50, rejected from 0.99)" in card.locator(".score").inner_text()
    assert card.locator(".article a").inner_text() == "Test article"


def test_approve_with_f_undo_then_reject_with_d_and_a_reason(server: BrowserServer,
                                                             page: Page) -> None:
    url = article()
    first = hold(server, PLAIN.format(n=1), url)["id"]
    second = hold(server, PLAIN.format(n=2), url)["id"]
    sign_in(page, server, f"article={url}")
    page.wait_for_selector(f"#c-{first}.current")
    page.keyboard.press("f")
    page.wait_for_selector(f"#c-{first}.status-approved")
    assert page.inner_text("#toast .toast-message") == "Approved."
    assert stored(server, first)["decision"]["decided_by"] == server.admin_name
    assert page.locator(f"#c-{second}").evaluate("c => c.classList.contains('current')")

    page.keyboard.press("u")
    page.wait_for_selector(f"#c-{first}.status-pending:not(.is-decided)")
    assert stored(server, first)["status"] == "pending"
    assert page.inner_text("#toast .toast-message") == "Decision undone."

    page.keyboard.press("d")
    reason = page.locator(f"#c-{first} select.reason")
    assert reason.evaluate("s => s === document.activeElement")
    page.locator(f"#c-{first} textarea.note").type("fd")  # typing is not a shortcut
    assert stored(server, first)["status"] == "pending"
    reason.select_option("spam")
    reason.focus()
    page.keyboard.press("Enter")
    page.wait_for_selector(f"#c-{first}.status-rejected")
    decision = stored(server, first)["decision"]
    assert (decision["decision"], decision["reason"], decision["note"], decision["label"]) == \
        ("reject", "spam", "fd", "other")
    assert stored(server, second)["status"] == "pending"


def test_a_second_moderator_deciding_the_same_comment_sees_already_decided(
        server: BrowserServer, new_context: Callable[..., BrowserContext]) -> None:
    url = article()
    comment_id = hold(server, PLAIN.format(n=3), url)["id"]
    first, second, watcher = (new_context().new_page() for _ in range(3))
    second.route("**/moderate/poll*", lambda route: route.abort())  # only the 409 can tell it
    for page in (first, second, watcher):
        sign_in(page, server, f"article={url}")
        page.wait_for_selector(f"#c-{comment_id}.current")
    first.keyboard.press("f")
    first.wait_for_selector(f"#c-{comment_id}.status-approved")
    with second.expect_response(lambda r: r.url.endswith("/moderate/decide")) as answer:
        second.keyboard.press("f")
    assert answer.value.status == 409
    second.wait_for_selector(f"#c-{comment_id}.taken")
    message = f"Already decided: Approved by {server.admin_name}."
    assert second.inner_text("#toast .toast-message") == message
    # The page that polls learns it without trying: the card is marked within a poll.
    watcher.wait_for_selector(f"#c-{comment_id}.taken", timeout=10_000)
    assert watcher.inner_text(f"#c-{comment_id} .decided-line") == message


def test_bulk_reject_of_a_selection(server: BrowserServer, page: Page) -> None:
    url = article()
    ids = [hold(server, PLAIN.format(n=10 + i), url)["id"] for i in range(3)]
    sign_in(page, server, f"article={url}")
    page.check("#select-all")
    assert page.inner_text("#selected-count") == "3 selected"
    page.select_option("#bulk-reason", "incitement")
    page.click("#bulk-reject")
    for comment_id in ids:
        page.wait_for_selector(f"#c-{comment_id}.status-rejected")
    assert page.inner_text("#toast .toast-message") == \
        "3 decided, 0 already decided by someone else."
    assert {stored(server, i)["decision"]["reason"] for i in ids} == {"incitement"}


def test_a_post_without_the_csrf_token_is_403(server: BrowserServer, page: Page) -> None:
    url = article()
    comment_id = hold(server, PLAIN.format(n=20), url)["id"]
    sign_in(page, server, f"article={url}")
    script = """([id, token]) => fetch('/moderate/decide', {method: 'POST',
        headers: Object.assign({Accept: 'application/json'},
                               token ? {'X-CSRF-Token': token} : {}),
        body: new URLSearchParams({id: id, decision: 'approve'})}).then(r => r.status)"""
    assert page.evaluate(script, [comment_id, None]) == 403
    assert page.evaluate(script, [comment_id, "not-the-token"]) == 403
    assert stored(server, comment_id)["status"] == "pending"
