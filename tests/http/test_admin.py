"""The moderators' API over HTTP on SQLite and PostgreSQL: queue flow, labels, auth."""

from __future__ import annotations

import logging
import os
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient
from werkzeug.test import TestResponse

from moderator.auth import hash_entry
from moderator.store.testing import BACKENDS, PostgresUnavailable, temp_database

Conforms = Callable[[TestResponse], TestResponse]
REPO = Path(__file__).resolve().parents[2]
ALICE = "alice-secret-0123456789"
BOB = "bob-secret-9876543210xyz"
HELD = {"comment": "a martyr", "name": "Ann", "email": "ann@example.com"}


@pytest.fixture(params=BACKENDS)
def app(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Flask]:
    from moderator.http import create_app

    try:
        with temp_database(request.param, tmp_path) as url:
            app = create_app({
                "POLICY_DIR": str(REPO / "tests" / "fixtures" / "policies"),
                "MODELS_DIR": str(tmp_path), "TESTING": True, "DATABASE_URL": url,
                # One key in clear (named), one configured only by its hash.
                "ADMIN_KEYS": f"alice={ALICE}, {hash_entry(BOB, 'bob')}",
            })
            yield app
            app.extensions["moderator"].store.close()
    except PostgresUnavailable as exc:
        if os.environ.get("CI"):
            raise
        pytest.skip(str(exc))


def auth(key: str = ALICE) -> dict[str, str]:
    return {"Authorization": f"Bearer {key}"}


def hold(client: FlaskClient, comment: str = "a martyr") -> str:
    body = client.post("/v1/check", json={"site": "strict", "fields": {**HELD,
                                                                       "comment": comment}})
    verdict = body.get_json()
    assert verdict["decision"] == "review"
    return verdict["id"]


def test_queue_flow_end_to_end(client: FlaskClient, conforms: Conforms, app: Flask) -> None:
    accepted = conforms(client.post("/v1/check", json={"site": "strict", "fields": {
        **HELD, "comment": "fine"}})).get_json()
    assert accepted["decision"] == "accept" and "id" not in accepted
    verdict = conforms(client.post("/v1/check", json={"site": "strict", "fields": HELD}))
    comment_id = verdict.get_json()["id"]

    page = conforms(client.get("/v1/queue?site=strict&status=pending", headers=auth()))
    [item] = page.get_json()["items"]
    assert item["id"] == comment_id and item["text"] == "a martyr"
    assert item["findings"][0]["code"] == "suspect.word"
    assert "email" not in item["fields"] and item["decision"] is None

    decided = conforms(client.post(f"/v1/queue/{comment_id}/decision", headers=auth(BOB),
                                   json={"decision": "reject", "label": "propaganda"}))
    assert decided.status_code == 200
    record = decided.get_json()["decision"]
    assert (record["decision"], record["label"], record["decided_by"]) == \
        ("reject", "propaganda", "bob")
    assert record["decided_at"].endswith("Z")

    assert conforms(client.get("/v1/queue?site=strict", headers=auth())).get_json()["items"] == []
    rejected = client.get("/v1/queue?status=rejected", headers=auth()).get_json()["items"]
    assert [i["id"] for i in rejected] == [comment_id]
    again = conforms(client.post(f"/v1/queue/{comment_id}/decision", headers=auth(),
                                 json={"decision": "approve", "label": "other"}))
    assert again.status_code == 409
    store = app.extensions["moderator"].store
    assert [(r.text, r.label) for r in store.labels()] == [("a martyr", "propaganda")]


def test_queue_pages_oldest_first(client: FlaskClient, conforms: Conforms) -> None:
    ids = [hold(client, f"martyr {i}") for i in range(5)]
    seen: list[str] = []
    url = "/v1/queue?site=strict&limit=2"
    while True:
        body = conforms(client.get(url, headers=auth())).get_json()
        seen += [i["id"] for i in body["items"]]
        if body["next_cursor"] is None:
            break
        url = f"/v1/queue?site=strict&limit=2&cursor={body['next_cursor']}"
    assert seen == ids


def test_labels_from_elsewhere(client: FlaskClient, conforms: Conforms, app: Flask) -> None:
    response = conforms(client.post("/v1/labels", headers=auth(), json={
        "text": "Join the fight, brothers", "label": "propaganda", "lang": "en"}))
    assert response.status_code == 201 and response.get_json()["lang"] == "en"
    response = conforms(client.post("/v1/labels", headers=auth(), json={
        "text": "ordinary words", "label": "other"}))
    assert response.get_json()["lang"] == "und" and response.get_json()["site"] is None
    response = conforms(client.post("/v1/labels", headers=auth(), json={
        "text": "from a site", "label": "other", "site": "strict"}))
    assert response.get_json()["site"] == "strict"
    assert [r.text for r in app.extensions["moderator"].store.list_labels("strict")[0]] == \
        ["from a site"]
    rows = list(app.extensions["moderator"].store.labels())
    assert [(r.label, r.source) for r in rows] == [("propaganda", "moderator_api"),
                                                   ("other", "moderator_api"),
                                                   ("other", "moderator_api")]


def test_labels_listed_flagged_confirmed_and_deleted(client: FlaskClient, conforms: Conforms,
                                                     app: Flask,
                                                     caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    comment_id = hold(client, "a martyr Qzxv")
    client.post(f"/v1/queue/{comment_id}/decision", headers=auth(),
                json={"decision": "approve", "label": "other"})
    store = app.extensions["moderator"].store
    api_id = store.add_label("Wplmq text from elsewhere", "propaganda", "en", "bob")
    page = conforms(client.get("/v1/admin/labels?limit=1", headers=auth())).get_json()
    [first] = page["items"]
    assert (first["text"], first["site"], first["origin"], first["status"]) == \
        ("a martyr Qzxv", "strict", "queue", "active")
    rest = conforms(client.get(f"/v1/admin/labels?cursor={page['next_cursor']}",
                               headers=auth())).get_json()
    assert [r["id"] for r in rest["items"]] == [api_id] and rest["next_cursor"] is None
    assert [r["id"] for r in conforms(client.get(
        "/v1/admin/labels?site=strict", headers=auth())).get_json()["items"]] == [first["id"]]

    store.flag_labels({api_id: 0.03})
    [flagged] = conforms(client.get("/v1/admin/labels?flagged=true",
                                    headers=auth())).get_json()["items"]
    assert (flagged["id"], flagged["status"], flagged["flag_score"]) == (api_id, "flagged", 0.03)
    confirmed = conforms(client.post(f"/v1/admin/labels/{api_id}/confirm", headers=auth(BOB)))
    assert confirmed.status_code == 200
    assert (confirmed.get_json()["status"], confirmed.get_json()["confirmed_by"]) == \
        ("confirmed", "bob")
    assert client.get("/v1/admin/labels?flagged=1", headers=auth()).get_json()["items"] == []

    deleted = conforms(client.delete(f"/v1/admin/labels/{first['id']}", headers=auth()))
    assert deleted.status_code == 204 and deleted.get_data() == b""
    assert [r.id for r in store.labels()] == [api_id]
    gone = conforms(client.delete(f"/v1/admin/labels/{first['id']}", headers=auth()))
    assert gone.status_code == 404
    assert "Qzxv" not in caplog.text and "Wplmq" not in caplog.text  # ids, never text


@pytest.mark.parametrize(("method", "path", "status", "words"), [
    ("get", "/v1/admin/labels?flagged=yes", 400, "flagged must be true or false"),
    ("get", "/v1/admin/labels?limit=500", 400, "limit"),
    ("get", "/v1/admin/labels?cursor=x", 400, "cursor"),
    ("get", "/v1/admin/labels?site=" + "s" * 201, 400, "site"),
    ("delete", "/v1/admin/labels/abc", 404, "No label"),
    ("delete", "/v1/admin/labels/0", 404, "No label"),
    ("delete", "/v1/admin/labels/999999", 404, "No label"),
    ("post", "/v1/admin/labels/999999/confirm", 404, "No label"),
    ("post", "/v1/admin/labels/-1/confirm", 404, "No label"),
])
def test_label_admin_mistakes_are_4xx(client: FlaskClient, method: str, path: str,
                                      status: int, words: str) -> None:
    response = getattr(client, method)(path, headers=auth())
    assert response.status_code == status
    assert words in response.get_json()["error"]["message"]


def test_confirm_refuses_a_body(client: FlaskClient, app: Flask) -> None:
    label_id = app.extensions["moderator"].store.add_label("x", "other", None, "bob")
    response = client.post(f"/v1/admin/labels/{label_id}/confirm", headers=auth(),
                           json={"label": "propaganda"})
    assert response.status_code == 400 and "no request body" in \
        response.get_json()["error"]["message"]
    assert app.extensions["moderator"].store.get_label(label_id).status == "active"


@pytest.mark.parametrize(("method", "path", "body", "status", "words"), [
    ("post", "/v1/labels", {"text": "", "label": "other"}, 400, "/text"),
    ("post", "/v1/labels", {"text": "x", "label": "spam"}, 400, "/label must be one of"),
    ("post", "/v1/labels", {"text": "x", "label": "other", "lang": "english"}, 400, "/lang"),
    ("post", "/v1/labels", {"text": "x", "label": "other", "lang": "en\n"}, 400, "/lang"),
    ("post", "/v1/labels", {"text": "x", "label": "other", "who": 1}, 400, "Unknown member"),
    ("post", "/v1/labels", [1], 400, "JSON object"),
    ("post", "/v1/labels", {"text": "x", "label": "other", "site": "nowhere"}, 400,
     "No policy is configured for site 'nowhere'"),
    ("post", "/v1/labels", {"text": "x", "label": "other", "site": 3}, 400, "/site"),
    ("post", "/v1/queue/{id}/decision", {"decision": "maybe", "label": "other"}, 400,
     "/decision"),
    ("post", "/v1/queue/{id}/decision", {"decision": "approve"}, 400, "/label"),
    ("post", "/v1/queue/" + "0" * 32 + "/decision", {"decision": "approve", "label": "other"},
     404, "No held comment"),
    ("post", "/v1/queue/../decision", {"decision": "approve", "label": "other"}, 404, ""),
    ("get", "/v1/queue?status=open", None, 400, "status must be one of"),
    ("get", "/v1/queue?limit=0", None, 400, "limit"),
    ("get", "/v1/queue?limit=abc", None, 400, "limit"),
    ("get", "/v1/queue?cursor=-1", None, 400, "cursor"),
    ("get", "/v1/queue?site=nowhere", None, 404, "nowhere"),
])
def test_client_mistakes_are_4xx_with_a_message(client: FlaskClient, conforms: Conforms,
                                                method: str, path: str, body: object,
                                                status: int, words: str) -> None:
    comment_id = hold(client)
    response = getattr(client, method)(path.replace("{id}", comment_id), headers=auth(),
                                       json=body)
    assert response.status_code == status
    assert words in response.get_json()["error"]["message"]
    if "{id}" in path or path.startswith("/v1/queue?") or path == "/v1/labels":
        conforms(response)


def test_not_json_is_415(client: FlaskClient) -> None:
    response = client.post("/v1/labels", headers=auth(), data="text=x",
                           content_type="application/x-www-form-urlencoded")
    assert response.status_code == 415


SECRET_BODY = "SECRET-BODY-MARKER reader@example.org"


@pytest.mark.parametrize("header", [
    None, "Bearer", "Bearer ", f"Basic {ALICE}", "Bearer wrong-key-0123456789",
    f"Bearer {ALICE}x", f"Bearer {hash_entry(BOB)}", f"bearer {ALICE[:-1]}",
])
def test_auth_failures_are_401_and_leave_no_trace(client: FlaskClient, conforms: Conforms,
                                                  app: Flask, header: str | None,
                                                  caplog: pytest.LogCaptureFixture,
                                                  capfd: pytest.CaptureFixture[str]) -> None:
    caplog.set_level(logging.DEBUG)
    headers = {"Authorization": header} if header is not None else {}
    for method, path, body in [
        ("post", "/v1/labels", {"text": SECRET_BODY, "label": "propaganda"}),
        ("get", "/v1/queue", None),
        ("post", "/v1/queue/" + "a" * 32 + "/decision",
         {"decision": "approve", "label": "other", "note": SECRET_BODY}),
        ("get", "/v1/admin/labels", None),
        ("delete", "/v1/admin/labels/1", None),
        ("post", "/v1/admin/labels/1/confirm", None),
    ]:
        response = getattr(client, method)(path, headers=headers, json=body)
        assert response.status_code == 401, path
        assert response.headers["WWW-Authenticate"].startswith("Bearer")
        conforms(response)
        assert "SECRET" not in response.get_data(as_text=True)
    out, err = capfd.readouterr()
    assert "SECRET" not in out + err + caplog.text
    assert app.extensions["moderator"].store.count()["labels"] == 0


def test_keys_are_kept_only_as_hashes(app: Flask) -> None:
    keys = app.extensions["admin_keys"]
    assert ALICE not in repr(keys) and ALICE.encode() not in repr(keys).encode()
    assert {name for name, _ in keys.keys} == {"alice", "bob"}
    assert keys.identify(ALICE) == "alice" and keys.identify(BOB) == "bob"
    assert "ADMIN_KEYS" in app.config  # the raw setting; the app only ever reads digests


def test_the_bearer_scheme_is_case_insensitive(client: FlaskClient) -> None:
    response = client.get("/v1/queue", headers={"Authorization": f"bearer {ALICE}"})
    assert response.status_code == 200


def test_a_database_outage_is_503_not_500(app: Flask, client: FlaskClient) -> None:
    from sqlalchemy import create_engine

    store = app.extensions["moderator"].store
    unreachable = ("sqlite:////nonexistent/dir/store.sqlite3"
                   if store.engine.dialect.name == "sqlite"
                   else "postgresql+psycopg://postgres@127.0.0.1:1/test")
    store.engine.dispose()
    store.engine = create_engine(unreachable)
    store._session.configure(bind=store.engine)
    store._writes.configure(bind=store.engine)
    for method, path in (("get", "/v1/queue"), ("get", "/v1/admin/labels"),
                         ("delete", "/v1/admin/labels/1"), ("post", "/v1/admin/labels/1/confirm")):
        response = getattr(client, method)(path, headers=auth())
        assert response.status_code == 503, path
        assert response.get_json()["error"]["code"] == "store_unavailable"
    response = client.post("/v1/check", json={"site": "strict", "fields": HELD})
    assert response.status_code == 503 and response.headers["Retry-After"] == "5"


def test_a_rejection_carries_a_reason_and_a_note_into_the_audit_log(
        client: FlaskClient, conforms: Conforms, app: Flask) -> None:
    comment_id = hold(client)
    decided = conforms(client.post(f"/v1/queue/{comment_id}/decision", headers=auth(), json={
        "decision": "reject", "label": "propaganda", "reason": "incitement",
        "note": "  Calls to violence are removed.  "}))
    assert decided.status_code == 200
    record = decided.get_json()["decision"]
    assert (record["reason"], record["note"]) == ("incitement", "Calls to violence are removed.")
    [entry] = app.extensions["moderator"].store.audit()
    assert (entry.action, entry.moderator, entry.reason, entry.overrode) == \
        ("reject", "alice", "incitement", "checker:review")
    again = client.post(f"/v1/queue/{comment_id}/decision", headers=auth(BOB),
                        json={"decision": "approve", "label": "other"})
    assert again.status_code == 409
    assert again.get_json()["error"]["message"] == \
        "This comment was already decided (rejected by alice)."


@pytest.mark.parametrize("body", [
    {"decision": "approve", "label": "other", "reason": "spam"},
    {"decision": "approve", "label": "other", "note": "why"},
    {"decision": "reject", "label": "other", "reason": "because"},
    {"decision": "reject", "label": "other", "note": 5},
    {"decision": "reject", "label": "other", "note": "x" * 1001},
])
def test_a_reason_or_note_that_does_not_fit_is_a_400(client: FlaskClient,
                                                     body: dict[str, object]) -> None:
    comment_id = hold(client)
    response = client.post(f"/v1/queue/{comment_id}/decision", headers=auth(), json=body)
    assert response.status_code == 400
    assert response.get_json()["error"]["pointer"] in ("/reason", "/note")
