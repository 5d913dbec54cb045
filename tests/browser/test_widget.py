"""The comment-form widget on /demo, in Chromium, against a real `moderator serve`.

Every expectation is the server's own answer for the same input (its count, its email
check, its messages), never a copy of it written into the test.
"""

from __future__ import annotations

import random
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import TYPE_CHECKING, Any
from urllib.parse import unquote_plus

import pytest

from moderator.policy.fields import email_problem, form_length
from moderator.servertest import free_port
from tests.browser.conftest import BrowserServer

if TYPE_CHECKING:
    from collections.abc import Callable

    from playwright.sync_api import BrowserContext, Page

pytestmark = pytest.mark.slow

#: Held by the default policy's incitement rules (a call to violence).
HELD_TEXT = "Kill all the infidels, brothers, take up arms now!"
READER = {"name": "Reader", "email": "reader@example.org"}

COUNTED = [
    "", "plain", "  padded \t", "a\r\nb", "a\rb", "a\nb", "\r\n\r\nx\r\n\r\n",
    "👍🏽", "👨‍👩‍👧‍👦 family", "e\u0301", "Z\u0351\u0352\u0353\u0354\u0355", "Ж\u0301",
    "\ufeffbom\ufeff", "\u0085nel\u0085", "\x1cfs\x1f", "\u00a0nbsp\u3000", "\u200bzw\u200b",
    "қазақша мәтін", "\u2028line\u2029", "\U0001d400\U0001d401",
]
EMAILS = [
    "reader@example.org", "reader@example", "@example.org", "reader@", "reader",
    "a..b@example.org", ".a@example.org", "a.@example.org", "a b@example.org",
    "a,b@example.org", "a'b@example.org", "a\\b@example.org", "a@-example.org",
    "a@example-.org", "a@exa_mple.org", "a@example..org", "a@example.org.",
    "a@ab--cd.org", "a@example.123", "a@localhost", "a@mail.local", "a@x.onion",
    "a@[127.0.0.1]", "a@example.org@b", "x@" + "a" * 64 + ".org", "A@EXAMPLE.ORG",
    "a+tag@sub.example.co.uk", "a@b.c", "!#$%&'*+-/=?^_`{|}~@example.org",
    "a" * 250 + "@b.org", "a@" + "b" * 60 + "." + "c" * 60 + "." + "d" * 60 + "." + "e" * 75,
]


class Site:
    """A news site of its own on another 127.0.0.1 port (another origin): serves its
    article page and takes its form's posts, as a site's own server does."""

    def __init__(self, server_url: str = "") -> None:
        self.port = free_port()
        self.origin = f"http://127.0.0.1:{self.port}"
        self.server_url = server_url
        self.posted: list[str] = []
        site = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                self.reply(site.article())

            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length", "0"))
                site.posted.append(unquote_plus(self.rfile.read(length).decode()))
                self.reply("<p>Thanks</p>")

            def reply(self, html: str) -> None:
                body = html.encode()
                self.send_response(200)
                self.send_header("Content-Type", "text/html; charset=utf-8")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args: Any) -> None:  # the comment's text stays out
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", self.port), Handler)

    def article(self) -> str:
        return f"""<!doctype html><html lang="en"><head><title>News</title></head><body>
<h1>Local news</h1><p>An article.</p>
<form id="reply" method="post" action="/comments">
  <label for="c">Your comment</label><textarea id="c" name="comment"></textarea>
  <label for="n">Your name</label><input id="n" name="name">
  <label for="e">Your email</label><input id="e" name="email">
  <button>Send</button>
</form>
<script src="{self.server_url}/v1/widget.js" data-form="#reply" defer></script>
</body></html>"""

    def __enter__(self) -> Site:
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture(scope="module")
def listed_site() -> Site:
    """The site the server lets use the widget (MODERATOR_WIDGET_ORIGINS)."""
    return Site()


@pytest.fixture(scope="module")
def server_env(listed_site: Site) -> dict[str, str]:
    return {"MODERATOR_WIDGET_ORIGINS": listed_site.origin}


def ready(page: Page, server: BrowserServer, query: str = "") -> Page:
    page.goto(f"{server.url}/demo{query}")
    page.wait_for_selector("form[data-moderator-ready]")
    return page


def server_findings(server: BrowserServer, fields: dict[str, str]) -> dict[str, Any]:
    """What /v1/check says of these fields, by finding code."""
    verdict = server.check({"fields": fields}).json()
    return {f["code"]: f for f in verdict["findings"]}


def message_of(page: Page, field: str) -> str:
    return page.inner_text(f"[data-moderator-message='{field}']").strip()


def test_the_counter_counts_as_the_server(server: BrowserServer, page: Page) -> None:
    ready(page, server)
    counted = page.evaluate("texts => texts.map(ModeratorWidget.formLength)", COUNTED)
    assert counted == [form_length(text) for text in COUNTED]

    # At the limit by the server's count: emoji count 2 each, a combining mark 1.
    piece = "Great 👍🏽 cafe\u0301\n"  # 17 UTF-16 code units
    text = "  " + piece * 88 + "done"  # the two leading spaces are trimmed: 1500
    page.fill("#comment", text)
    assert page.inner_text("[data-moderator-counter='comment']") == "0 / 1500"
    typed = page.input_value("#comment")
    assert "comment.too_long" not in server_findings(server, {**READER, "comment": typed})

    page.focus("#comment")
    page.keyboard.press("Control+End")
    page.keyboard.type("x")
    assert page.inner_text("[data-moderator-counter='comment']") == "-1 / 1500"
    too_long = server_findings(server, {**READER, "comment": page.input_value("#comment")})
    assert too_long["comment.too_long"]["detail"]["length"] == 1501
    page.fill("#name", READER["name"])
    page.fill("#email", READER["email"])
    page.click("button[type=submit]")
    assert message_of(page, "comment") == too_long["comment.too_long"]["message"]
    assert page.evaluate("document.activeElement.id") == "comment"


def test_required_fields_are_marked_and_said(server: BrowserServer, page: Page) -> None:
    ready(page, server)
    for field in ("comment", "name", "email"):
        assert page.get_attribute(f"#{field}", "aria-required") == "true"
        assert "*" in page.inner_text(f"label[for={field}]")
    assert page.locator("label[for=comment] .moderator-required").count() == 1
    assert page.get_by_text("* Denotes Required Field").count() == 1
    page.click("button[type=submit]")
    expected = server_findings(server, {})
    for field in ("comment", "name", "email"):
        assert message_of(page, field) == expected[f"{field}.required"]["message"]
        assert page.get_attribute(f"#{field}", "aria-invalid") == "true"
        described = page.get_attribute(f"#{field}", "aria-describedby") or ""
        assert f"{field}-message" in described.split()
    assert page.get_attribute("[data-moderator-message='comment']", "aria-live") == "polite"
    assert page.evaluate("document.activeElement.id") == "comment"

    ready(page, server, "?lang=ru")
    page.click("button[type=submit]")
    assert message_of(page, "comment") == "Поле «Комментарий» обязательно."


def test_email_syntax_as_the_server(server: BrowserServer, page: Page) -> None:
    ready(page, server)
    rng = random.Random(14)
    local = "ab1._-+!',\\ "
    domain = "ab1.-_"
    generated = [
        "".join(rng.choice(local) for _ in range(rng.randint(0, 6))) + "@"
        + "".join(rng.choice(domain) for _ in range(rng.randint(0, 8)))
        + rng.choice(["", ".org", ".1", ".test", "."]) for _ in range(300)
    ]
    cases = [c.strip() for c in EMAILS + generated if c.strip()]
    answers = page.evaluate("xs => xs.map(ModeratorWidget.emailProblem)", cases)
    compared = 0
    for value, answer in zip(cases, answers, strict=True):
        if answer is None:  # only the server can tell: the widget asks it
            continue
        compared += 1
        assert (answer or None) == email_problem(value), value
    assert compared > 250

    expected = server_findings(server, {"email": "reader@example"})["email.invalid"]["message"]
    page.fill("#email", "reader@example")
    page.keyboard.press("Tab")
    assert message_of(page, "email") == expected
    page.fill("#email", "reader@example.org")
    page.keyboard.press("Tab")
    assert message_of(page, "email") == ""
    assert page.get_attribute("#email", "aria-invalid") is None

    # Non-ASCII: the widget asks the server, and shows its message.
    odd = "читатель@пример"
    expected = server_findings(server, {"email": odd})["email.invalid"]["message"]
    page.fill("#email", odd)
    page.keyboard.press("Tab")
    page.wait_for_function("() => document.querySelector(\"[data-moderator-message='email']\")"
                           ".textContent.length > 0")
    assert message_of(page, "email") == expected


def test_the_nudge_then_send_anyway(server: BrowserServer, page: Page) -> None:
    sent: list[tuple[str, str, str]] = []
    page.on("request", lambda r: sent.append((r.method, r.url, r.post_data or "")))
    ready(page, server)
    page.fill("#comment", HELD_TEXT)
    page.fill("#name", READER["name"])
    page.fill("#email", READER["email"])
    page.click("button[type=submit]")
    nudge = page.locator(".moderator-nudge")
    nudge.wait_for()
    held = server.request("POST", "/v1/precheck", {"fields": {**READER, "comment": HELD_TEXT}})
    reasons = [f["message"] for f in held.json()["findings"] if f["action"] == "review"]
    assert held.json()["decision"] == "review" and reasons
    assert "Are you sure?" in nudge.inner_text()
    for reason in reasons:
        assert reason in nudge.inner_text()
    assert page.evaluate("document.activeElement.className") == "moderator-nudge"

    page.click("text=Send anyway")
    page.wait_for_selector(".outcome-review")
    assert "Your comment will appear after a moderator has read it." in page.inner_text(
        ".outcome")
    queue = server.request("GET", "/v1/queue", headers=server.admin_headers()).json()
    assert HELD_TEXT in [item["fields"]["comment"] for item in queue["items"]]

    # The comment went only to this server: to the pre-check, then with the form.
    assert all(url.startswith(server.url + "/") for _, url, _ in sent), sent
    carried = [(method, url.removeprefix(server.url)) for method, url, body in sent
               if "infidels" in body]
    assert carried == [("POST", "/v1/precheck"), ("POST", "/demo")]


def test_the_form_works_without_javascript(server: BrowserServer,
                                           new_context: Callable[..., BrowserContext]) -> None:
    page = new_context(java_script_enabled=False).new_page()
    page.goto(f"{server.url}/demo")
    assert page.inner_text("[data-moderator-counter='comment']") == "1500 / 1500"
    assert page.locator("form[data-moderator-ready]").count() == 0
    page.fill("#comment", HELD_TEXT)
    page.fill("#name", READER["name"])
    page.fill("#email", READER["email"])
    page.click("button[type=submit]")
    page.wait_for_selector(".outcome-review")
    reasons = [f["message"] for f in server_findings(
        server, {**READER, "comment": HELD_TEXT}).values() if f["action"] == "review"]
    for reason in reasons:
        assert reason in page.inner_text(".outcome")

    # The browser posts line breaks as CRLF; the server counts each once.
    text = "\n".join(["The bus was late again this morning."] * 41)[:1500]
    page.fill("#comment", text)
    page.fill("#name", READER["name"])
    page.fill("#email", READER["email"])
    page.click("button[type=submit]")
    page.wait_for_selector(".outcome")
    assert message_of(page, "comment") == ""
    page.fill("#comment", text + "!")
    page.fill("#name", READER["name"])
    page.fill("#email", READER["email"])
    page.click("button[type=submit]")
    page.wait_for_selector(".outcome-reject")
    assert message_of(page, "comment") == "Comment is 1501 characters long; the limit is 1500."


def test_keyboard_only(server: BrowserServer, page: Page) -> None:
    """Tab through the form, meet the nudge, edit, and send: once nudged, never twice."""
    ready(page, server)
    keyboard = page.keyboard

    def focused() -> str:
        return str(page.evaluate("document.activeElement.id || document.activeElement."
                                 "className || document.activeElement.textContent"))

    keyboard.press("Tab")
    assert focused() == "comment"
    keyboard.type(HELD_TEXT)
    assert page.inner_text("[data-moderator-counter='comment']") == (
        f"{1500 - len(HELD_TEXT)} / 1500")
    keyboard.press("Tab")
    keyboard.type(READER["name"])
    keyboard.press("Tab")
    keyboard.type(READER["email"])
    keyboard.press("Tab")
    assert focused() == "Post comment"
    keyboard.press("Enter")
    page.locator(".moderator-nudge").wait_for()
    assert focused() == "moderator-nudge"
    keyboard.press("Tab")
    assert focused() == "moderator-edit"
    keyboard.press("Enter")
    assert page.locator(".moderator-nudge").count() == 0
    assert focused() == "comment"
    keyboard.press("End")
    keyboard.type(" Now.")
    for _ in range(3):
        keyboard.press("Tab")
    assert focused() == "Post comment"
    keyboard.press("Enter")
    page.wait_for_selector(".outcome-review")  # no second nudge: the server holds it


def test_a_site_on_another_origin(server: BrowserServer, page: Page,
                                   listed_site: Site) -> None:
    """A listed site gets the widget on its own form, which still posts to the site. An
    unlisted one cannot read the policy, and its form works as it is."""
    sent: list[tuple[str, str]] = []
    page.on("request", lambda r: sent.append((r.url, r.post_data or "")))
    listed_site.server_url = server.url
    with listed_site:
        page.goto(f"{listed_site.origin}/article")
        page.wait_for_selector("form[data-moderator-ready]")
        assert page.inner_text(".moderator-counter") == "1500 / 1500"
        assert page.locator("label[for=n] .moderator-required").count() == 1
        assert page.get_by_text("* Denotes Required Field").count() == 1  # the form had none
        page.fill("#c", HELD_TEXT)
        page.fill("#n", READER["name"])
        page.fill("#e", READER["email"])
        page.click("text=Send")
        page.locator(".moderator-nudge").wait_for()
        page.click("text=Send anyway")
        page.wait_for_selector("text=Thanks")
    assert len(listed_site.posted) == 1 and HELD_TEXT in listed_site.posted[0]
    carried = [url for url, body in sent if "infidels" in body]
    assert carried == [f"{server.url}/v1/precheck", f"{listed_site.origin}/comments"]

    with Site(server.url) as stranger:
        page.goto(f"{stranger.origin}/article")
        page.wait_for_load_state("networkidle")
        assert page.locator("form[data-moderator-ready]").count() == 0
        page.click("text=Send")  # nothing stops the plain form
        page.wait_for_selector("text=Thanks")
        assert len(stranger.posted) == 1


@pytest.mark.parametrize(("lang", "phone", "required"), [
    ("ru", "Пожалуйста, не публикуйте номера телефонов.", "Поле «Имя» обязательно."),
    ("kk", "Телефон нөмірлерін жарияламаңыз.", "«Аты» өрісін толтыру міндетті."),
])
def test_the_server_s_messages_in_the_form_s_language(server: BrowserServer, page: Page,
                                                      lang: str, phone: str,
                                                      required: str) -> None:
    """The form's locale goes to the pre-check as context.language: the nudge gives the
    server's reason in that language, and the no-script post answers in it too."""
    ready(page, server, f"?lang={lang}")
    page.fill("#comment", "Call me on +7 701 234 5678 after six.")
    page.fill("#name", READER["name"])
    page.fill("#email", READER["email"])
    page.click("button[type=submit]")
    nudge = page.locator(".moderator-nudge")
    nudge.wait_for()
    assert phone in nudge.inner_text()
    assert "Please do not post phone numbers." not in nudge.inner_text()
    answer = server.request("POST", "/v1/precheck", {
        "fields": {"comment": "Hello there", "name": "", "email": READER["email"]},
        "context": {"language": lang}}).json()
    assert [f["message"] for f in answer["findings"]] == [required]
