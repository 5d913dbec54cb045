"""The queue, the card, decisions, bulk, undo and the poll, through the Flask test client."""

from __future__ import annotations

import html
import re
from collections.abc import Callable

import pytest
from flask import Flask
from flask.testing import FlaskClient

from moderator.service import DecisionEvent
from tests.moderate.conftest import ALICE, JSON

Signed = tuple[FlaskClient, str]


def post(signed: Signed, path: str, **data: object) -> object:
    client, csrf = signed
    return client.post(path, data={**data, "csrf": csrf}, headers=JSON)


def card_of(page: str, comment_id: str) -> str:
    start = page.index(f'id="c-{comment_id}"')
    ends = [i for i in (page.find('<li class="card', start), page.find("</ol>", start)) if i > 0]
    return page[start:min(ends)]


def test_a_held_comment_shows_its_spans_article_history_and_language(
        alice: Signed, hold: Callable[..., str]) -> None:
    comment_id = hold("<b>😀 martyr</b> hmm", article_url="https://news.example/x",
                      article_title="Local news")
    hold("martyr again")
    page = alice[0].get("/moderate").text
    card = card_of(page, comment_id)
    text = "<b>😀 martyr</b> hmm"
    marks = re.findall(r'<mark class="([^"]+)" data-refs="([^"]+)" data-codes="([^"]+)" '
                       r'title="([^"]+)">([^<]*)</mark>', card)
    assert [(m[0], m[1], m[2], html.unescape(m[4])) for m in marks] == [
        ("hl hl-suspect", "0", "suspect.word", "martyr"),
        ("hl hl-pattern", "1", "noted.word", "hmm")]
    assert marks[0][3] == "suspect.word: Held."
    assert "&lt;b&gt;😀 " in card and "<b>" not in card.split('data-field="comment">')[1]
    assert html.unescape(re.sub(r"<[^>]+>", "", card.split('data-field="comment">')[1]
                                .split("</p>")[0])) == text
    assert '<a href="https://news.example/x" rel="noopener noreferrer"' in card
    assert ">Local news</a>" in card
    assert "waiting 2 · approved 0 · rejected 0 · rejected by rules 0" in card
    assert "Language: English" in card
    assert "ann@example.com" not in page


def test_an_article_url_that_is_not_http_is_shown_but_never_linked(
        alice: Signed, hold: Callable[..., str]) -> None:
    comment_id = hold(article_url="javascript:alert(1)")
    card = card_of(alice[0].get("/moderate").text, comment_id)
    assert "javascript:alert(1)" in card and 'href="javascript' not in card


def test_queues_filters_order_and_counts(alice: Signed, hold: Callable[..., str]) -> None:
    first = hold("martyr one", article_url="https://news.example/a")
    second = hold("martyr two", article_url="https://news.example/b")
    rejected = hold("kill", expect="reject")
    client = alice[0]
    page = client.get("/moderate").text
    assert page.index(first) < page.index(second) and rejected not in page
    assert re.search(r'data-count="pending">2<', page)
    assert re.search(r'data-count="rejected_by_rules">1<', page)
    newest = client.get("/moderate?order=newest").text
    assert newest.index(second) < newest.index(first)
    by_article = client.get("/moderate?article=https://news.example/b").text
    assert second in by_article and first not in by_article
    assert re.search(r'data-count="pending">1<', by_article)
    rules = client.get("/moderate?queue=rejected_by_rules&code=banned").text
    assert rejected in rules and "Rejected by rules" in rules
    assert first not in client.get("/moderate?code=links").text
    assert client.get("/moderate?site=strict&language=en").status_code == 200


@pytest.mark.parametrize("query", ["queue=nope", "min=2", "min=0.9&max=0.1", "max=x",
                                   "site=nowhere", "code=%3Cscript%3E", "cursor=abc",
                                   "order=sideways", "language=de"])
def test_a_malformed_filter_is_a_400_saying_what(alice: Signed, query: str) -> None:
    response = alice[0].get(f"/moderate?{query}")
    assert response.status_code == 400 and "This request is not valid" in response.text


def test_pages_of_a_long_queue(alice: Signed, hold: Callable[..., str]) -> None:
    ids = [hold(f"martyr {i}") for i in range(27)]
    first = alice[0].get("/moderate").text
    link = re.search(r'class="next-page" href="([^"]+)"', first)
    assert link is not None and ids[24] in first and ids[25] not in first
    second = alice[0].get(html.unescape(link.group(1))).text
    assert ids[25] in second and ids[26] in second and ids[0] not in second


def test_approve_and_reject_record_label_reason_note_and_audit(
        alice: Signed, hold: Callable[..., str], app: Flask) -> None:
    store = app.extensions["moderator"].store
    a, b, c = hold("martyr a"), hold("martyr b"), hold("martyr c")
    approved = post(alice, "/moderate/decide", id=a, decision="approve")
    assert approved.status_code == 200  # type: ignore[attr-defined]
    [result] = approved.get_json()["results"]  # type: ignore[attr-defined]
    assert (result["ok"], result["status"], result["label"], result["decided_by"]) == \
        (True, "approved", "discusses", "alice")  # suspect word: it discusses the topic
    assert approved.get_json()["message"] == "Approved."  # type: ignore[attr-defined]

    missing = post(alice, "/moderate/decide", id=b, decision="reject")
    assert missing.status_code == 400  # type: ignore[attr-defined]
    assert "Choose a reason" in missing.get_json()["error"]["message"]  # type: ignore[attr-defined]
    post(alice, "/moderate/decide", id=b, decision="reject", reason="propaganda",
         note="Calls to join an armed group are not allowed.")
    post(alice, "/moderate/decide", id=c, decision="reject", reason="spam", label="discusses")
    item = store.get(b)
    assert (item.status, item.reason, item.note, item.label) == \
        ("rejected", "propaganda", "Calls to join an armed group are not allowed.",
         "propaganda")
    assert store.get(c).label == "discusses"  # the moderator's pick beats the default
    assert [(e.action, e.label, e.reason, e.overrode) for e in reversed(store.audit())] == [
        ("approve", "discusses", None, "checker:review"),
        ("reject", "propaganda", "propaganda", "checker:review"),
        ("reject", "discusses", "spam", "checker:review")]
    labels = sorted((r.text, r.label) for r in store.labels())
    assert labels == [("martyr a", "discusses"), ("martyr b", "propaganda"),
                      ("martyr c", "discusses")]


@pytest.mark.parametrize("data", [
    {"decision": "maybe"}, {"decision": "reject", "reason": "because"},
    {"decision": "approve", "label": "spam"}, {"decision": "reject", "reason": "spam",
                                               "note": "x" * 1001}, {},
])
def test_a_malformed_decision_is_a_400(alice: Signed, hold: Callable[..., str],
                                       data: dict[str, str], app: Flask) -> None:
    comment_id = hold()
    response = post(alice, "/moderate/decide", id=comment_id, **data)
    assert response.status_code == 400  # type: ignore[attr-defined]
    assert app.extensions["moderator"].store.get(comment_id).status == "pending"


def test_malformed_or_too_many_ids_are_a_400(alice: Signed) -> None:
    assert post(alice, "/moderate/decide", id="../etc", decision="approve"
                ).status_code == 400  # type: ignore[attr-defined]
    client, csrf = alice
    many = client.post("/moderate/decide", headers=JSON, data={
        "csrf": csrf, "decision": "approve", "id": [f"{i:032x}" for i in range(201)]})
    assert many.status_code == 400


def test_the_second_moderator_gets_already_decided_from_the_409(
        alice: Signed, bob: Signed, hold: Callable[..., str]) -> None:
    comment_id = hold()
    assert post(alice, "/moderate/decide", id=comment_id, decision="approve"
                ).status_code == 200  # type: ignore[attr-defined]
    second = post(bob, "/moderate/decide", id=comment_id, decision="reject", reason="spam")
    assert second.status_code == 409  # type: ignore[attr-defined]
    body = second.get_json()  # type: ignore[attr-defined]
    assert body["error"]["code"] == "already_decided"
    assert body["error"]["message"] == "Already decided: Approved by alice."
    client, csrf = bob
    page = client.post("/moderate/decide", data={"id": comment_id, "decision": "approve",
                                                 "csrf": csrf})
    assert page.status_code == 409 and "Already decided: Approved by alice." in page.text
    unknown = post(bob, "/moderate/decide", id="f" * 32, decision="approve")
    assert unknown.status_code == 404  # type: ignore[attr-defined]


def test_bulk_decides_each_and_reports_the_ones_taken_first(
        alice: Signed, bob: Signed, hold: Callable[..., str], app: Flask) -> None:
    ids = [hold(f"martyr {i}") for i in range(3)]
    post(bob, "/moderate/decide", id=ids[1], decision="approve")
    client, csrf = alice
    response = client.post("/moderate/decide", headers=JSON, data={
        "csrf": csrf, "id": ids, "decision": "reject", "reason": "incitement"})
    assert response.status_code == 200
    body = response.get_json()
    assert [(r["id"], r["ok"]) for r in body["results"]] == \
        [(ids[0], True), (ids[1], False), (ids[2], True)]
    assert body["results"][1]["error"] == "already_decided"
    assert body["message"] == "2 decided, 1 already decided by someone else."
    store = app.extensions["moderator"].store
    assert [store.get(i).status for i in ids] == ["rejected", "approved", "rejected"]
    assert store.get(ids[0]).label == "propaganda"


def test_a_form_post_without_script_returns_to_the_queue(alice: Signed,
                                                         hold: Callable[..., str]) -> None:
    client, csrf = alice
    comment_id = hold()
    back = client.post("/moderate/decide", data={"csrf": csrf, "id": comment_id,
                                                 "decision": "approve",
                                                 "next": "/moderate?queue=pending"})
    assert back.status_code == 303 and back.headers["Location"] == "/moderate?queue=pending"
    for elsewhere in ("https://evil.example/", "//evil.example/x", "/v1/queue"):
        other = hold()
        away = client.post("/moderate/decide", data={"csrf": csrf, "id": other,
                                                     "decision": "approve", "next": elsewhere})
        assert away.headers["Location"] == "/moderate"


def test_undo_within_the_window_by_the_same_moderator_only(
        alice: Signed, bob: Signed, hold: Callable[..., str], app: Flask) -> None:
    store = app.extensions["moderator"].store
    comment_id = hold()
    post(alice, "/moderate/decide", id=comment_id, decision="reject", reason="spam")
    page = alice[0].get("/moderate?queue=decided").text
    assert 'class="undo-form"' in card_of(page, comment_id)
    assert "hidden" not in card_of(page, comment_id).split('class="undo-form"')[1].split(">")[0]
    refused = post(bob, "/moderate/undo", id=comment_id)
    assert refused.status_code == 409  # type: ignore[attr-defined]
    assert refused.get_json()["error"]["message"] == \
        "Only the moderator who decided can undo it."  # type: ignore[attr-defined]
    undone = post(alice, "/moderate/undo", id=comment_id)
    assert undone.status_code == 200  # type: ignore[attr-defined]
    assert undone.get_json() == {"id": comment_id, "status": "pending",  # type: ignore[attr-defined]
                                 "message": "Decision undone."}
    assert store.get(comment_id).status == "pending" and list(store.labels()) == []
    again = post(alice, "/moderate/undo", id=comment_id)
    assert again.status_code == 409  # type: ignore[attr-defined]


def test_undo_after_the_window_is_refused(alice: Signed, hold: Callable[..., str],
                                          app: Flask) -> None:
    app.config["UNDO_SECONDS"] = 0
    comment_id = hold()
    post(alice, "/moderate/decide", id=comment_id, decision="approve")
    late = post(alice, "/moderate/undo", id=comment_id)
    assert late.status_code == 409  # type: ignore[attr-defined]
    assert late.get_json()["error"]["code"] == "undo_expired"  # type: ignore[attr-defined]


def test_the_poll_reports_counts_and_who_decided(alice: Signed, bob: Signed,
                                                 hold: Callable[..., str]) -> None:
    a, b = hold("martyr a"), hold("martyr b")
    post(bob, "/moderate/decide", id=a, decision="approve")
    body = alice[0].get(f"/moderate/poll?ids={a},{b}", headers=JSON).get_json()
    assert body["counts"] == {"pending": 1, "rejected_by_rules": 0, "decided": 1}
    assert body["statuses"][a]["status"] == "approved"
    assert body["statuses"][a]["message"] == "Already decided: Approved by bob."
    assert body["statuses"][b] == {"status": "pending", "decided_by": None,
                                   "decided_at": None, "message": None}
    assert alice[0].get("/moderate/poll?ids=x", headers=JSON).status_code == 400


def test_a_wrong_rejection_by_the_rules_can_be_reversed(alice: Signed,
                                                        hold: Callable[..., str],
                                                        app: Flask) -> None:
    comment_id = hold("kill time", expect="reject")
    card = card_of(alice[0].get("/moderate?queue=rejected_by_rules").text, comment_id)
    assert 'data-codes="banned.word"' in card and ">kill</mark>" in card
    post(alice, "/moderate/decide", id=comment_id, decision="approve", label="other")
    api = app.test_client().get("/v1/queue?status=approved",
                                headers={"Authorization": f"Bearer {ALICE}"}).get_json()
    assert [(i["id"], i["verdict"], i["decision"]["decided_by"]) for i in api["items"]] == \
        [(comment_id, "reject", "alice")]


def test_the_single_comment_view(alice: Signed, hold: Callable[..., str]) -> None:
    comment_id = hold()
    page = alice[0].get(f"/moderate/comment/{comment_id}")
    assert page.status_code == 200 and "single-page" in page.text
    assert f'id="c-{comment_id}"' in page.text
    assert alice[0].get("/moderate/comment/nope").status_code == 404


def test_decision_listeners_hear_page_and_api_decisions_and_cannot_break_them(
        alice: Signed, hold: Callable[..., str], app: Flask) -> None:
    heard: list[DecisionEvent] = []
    service = app.extensions["moderator"]

    def broken(event: DecisionEvent) -> None:
        raise RuntimeError("a webhook that is down")

    service.decision_listeners.extend([heard.append, broken])
    a, b = hold("martyr a"), hold("martyr b")
    assert post(alice, "/moderate/decide", id=a, decision="approve"
                ).status_code == 200  # type: ignore[attr-defined]
    post(alice, "/moderate/undo", id=a)
    api = app.test_client().post(f"/v1/queue/{b}/decision",
                                 headers={"Authorization": f"Bearer {ALICE}"},
                                 json={"decision": "reject", "label": "propaganda",
                                       "reason": "propaganda", "note": "Not here."})
    assert api.status_code == 200
    assert [(e.action, e.item.id, e.item.status, e.moderator, e.undone) for e in heard] == [
        ("approve", a, "approved", "alice", None), ("undo", a, "pending", "alice", "approve"),
        ("reject", b, "rejected", "alice", None)]
    assert (heard[2].item.reason, heard[2].item.note) == ("propaganda", "Not here.")
