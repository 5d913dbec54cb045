"""POST /v1/coral/moderate: Coral's signed request in, only what Coral accepts out."""

from __future__ import annotations

import json
import logging
import sqlite3
from collections.abc import Callable
from pathlib import Path
from typing import Any

import jsonschema
import pytest
from flask import Flask
from flask.testing import FlaskClient
from werkzeug.test import TestResponse

from moderator.integrations.coral_testing import (
    OTHER_SECRET,
    SECRET,
    SITE_ID,
    TENANT_ID,
    coral_body,
    headers,
    sign,
)

REPO = Path(__file__).resolve().parents[2]
SCHEMA = json.loads((REPO / "tests/fixtures/coral/reply.schema.json").read_text("utf-8"))
ADMIN_KEY = "alice-secret-0123456789"
URL = "/v1/coral/moderate"
POLICY = """
[policy]
site = "news"
version = "c-1"
[fields.comment]
label = "Comment"
required = true
max_length = 1500
[fields.name]
label = "Name"
required = true
[fields.email]
label = "Email"
type = "email"
required = true
[[terms]]
name = "banned"
code = "banned"
words = ["join the caliphate"]
action = "reject"
message = "This comment contains language that is not allowed here."
[[terms]]
name = "suspect"
code = "suspect"
words = ["mujahid*"]
action = "review"
message = "This comment will appear after a moderator has read it."
[classifier]
enabled = {classifier}
model = "propaganda"
field = "comment"
message = "held"
[failure]
on_classifier_error = "{on_failure}"
{flood}"""
ACCEPTED = "<p>The bus was late again this morning &amp; nobody said why.</p>"
#: "mujahideen" sits after a tag and an entity, so its span must be mapped back.
HELD = "<p>Brothers &amp; sisters,</p><p>the <b>mujahideen</b> are coming.</p>"
REJECTED = "<p>You should <em>join the caliphate</em> now.</p>"
#: Words that appear only in what is sent: finding one in a log is a leak.
PRIVATE = "Zqxwvb mujahideen"


FLOOD = """
[flood]
enabled = true
repeat_window_minutes = 10
per_commenter = "2 per 60 seconds"
message = "You are posting comments too quickly. Please wait {wait} and try again."
"""


def make_app(tmp_path: Path, *, on_failure: str = "review", classifier: bool = False,
             database: str | None = None, flood: str = "", **config: Any) -> Flask:
    from moderator.http import create_app

    policies = tmp_path / "policies"
    policies.mkdir(exist_ok=True)
    text = POLICY.replace("{classifier}", str(classifier).lower()).replace("{flood}", flood)
    (policies / "news.toml").write_text(text.replace("{on_failure}", on_failure), "utf-8")
    settings = {"POLICY_DIR": str(policies), "MODELS_DIR": str(tmp_path / "no-models"),
                "TESTING": True, "ADMIN_KEYS": f"alice={ADMIN_KEY}",
                "DATABASE_URL": database or f"sqlite:///{tmp_path / 'store.sqlite3'}",
                "CORAL_SECRETS": f"{TENANT_ID}={SECRET}",
                "CORAL_SITES": f"{SITE_ID}=news", **config}
    return create_app(settings)


@pytest.fixture
def client(tmp_path: Path) -> FlaskClient:
    return make_app(tmp_path).test_client()


def send(client: FlaskClient, body: bytes, sent_headers: dict[str, str] | None = None
         ) -> TestResponse:
    return client.post(URL, data=body,
                       headers=headers(body) if sent_headers is None else sent_headers)


def coral_reply(response: TestResponse) -> dict[str, Any]:
    """The reply, which must be valid under the contract's schema (no other key or value)."""
    assert response.status_code == 200, response.get_data(as_text=True)
    assert response.mimetype == "application/json"
    body = json.loads(response.get_data())
    jsonschema.validate(body, SCHEMA)
    return body  # type: ignore[no-any-return]


def test_the_recorded_request_is_pretty_printed_as_coral_sends_it(client: FlaskClient
                                                                  ) -> None:
    """Coral's documented example, byte for byte (JSON.stringify(request, null, 2))."""
    recorded = (REPO / "tests/fixtures/coral/request.json").read_bytes()
    assert coral_body("<p>Here's a comment!</p>") == recorded
    assert send(client, recorded).status_code == 204


def test_an_accepted_comment_gets_204_and_nothing_else(client: FlaskClient) -> None:
    response = send(client, coral_body(ACCEPTED))
    assert response.status_code == 204
    assert response.get_data() == b""


def test_a_held_comment_is_withheld_flagged_and_in_the_review_queue(client: FlaskClient
                                                                    ) -> None:
    response = send(client, coral_body(HELD))
    assert coral_reply(response) == {
        "status": "SYSTEM_WITHHELD",
        "actions": [{"actionType": "FLAG", "reason": "COMMENT_DETECTED_TOXIC"}]}
    queue = client.get("/v1/queue?site=news",
                       headers={"Authorization": f"Bearer {ADMIN_KEY}"}).get_json()
    [item] = queue["items"]
    assert item["id"] == response.headers["X-Moderator-Id"]
    text = item["fields"]["comment"]
    assert text == "Brothers & sisters,\nthe mujahideen are coming."
    [finding] = item["findings"]
    span, body_span = finding["span"], finding["detail"]["body_span"]
    assert text[span["start"]:span["end"]] == "mujahideen"
    assert HELD[body_span["start"]:body_span["end"]] == "mujahideen"


def test_a_rejected_comment_carries_the_reason_and_the_message(client: FlaskClient) -> None:
    body = coral_reply(send(client, coral_body(REJECTED)))
    assert body == {
        "status": "REJECTED",
        "moderationAction": {"status": "REJECTED", "rejectionReason": {
            "code": "OTHER",
            "detailedExplanation": "This comment contains language that is not allowed here.",
        }}}


def test_an_edit_is_checked_like_a_new_comment(client: FlaskClient) -> None:
    body = coral_body(REJECTED, action="EDIT", parent_id="6b7c4e0a-reply-to")
    assert coral_reply(send(client, body))["status"] == "REJECTED"


def test_a_plain_text_body_is_checked_as_it_is(client: FlaskClient) -> None:
    assert send(client, coral_body("The bus was late, 3 < 4 & so on.")).status_code == 204
    body = coral_body("Brothers, the mujahideen are coming.")
    assert coral_reply(send(client, body))["status"] == "SYSTEM_WITHHELD"


def test_html_cannot_split_a_banned_phrase(client: FlaskClient) -> None:
    body = coral_body("<p>join <b>the</b> cali&#112;hate</p>")
    assert coral_reply(send(client, body))["status"] == "REJECTED"


# --- signatures -------------------------------------------------------------------------


@pytest.mark.parametrize("header", [
    None, "", "sha256=" + "0" * 64, "sha256=zz", "md5=abc", "sha256=" + "é" * 64,
    sign(coral_body(REJECTED), OTHER_SECRET),
    ",".join([sign(coral_body(REJECTED), OTHER_SECRET)] * 40) + "," + sign(
        coral_body(REJECTED), SECRET),  # the good value past the cap of 16
])
def test_a_missing_or_bad_signature_is_401_and_nothing_is_checked(
        client: FlaskClient, header: str | None) -> None:
    sent = {"Content-Type": "application/json"}
    if header is not None:
        sent["X-Coral-Signature"] = header
    response = send(client, coral_body(REJECTED), sent)
    assert response.status_code == 401
    assert response.get_json()["error"]["code"] == "bad_signature"
    assert "X-Coral-Signature" in response.headers["WWW-Authenticate"]


def test_the_signature_is_over_the_raw_bytes_not_the_json(client: FlaskClient) -> None:
    body = coral_body(REJECTED)
    compact = json.dumps(json.loads(body)).encode()  # the same JSON, other bytes
    assert send(client, compact, headers(body)).status_code == 401
    assert send(client, body + b" ", headers(body)).status_code == 401


def test_a_rotation_passes_with_either_secret_configured(tmp_path: Path) -> None:
    body = coral_body(REJECTED)
    rotating = headers(body, OTHER_SECRET, SECRET)  # Coral signs with both while both live
    assert rotating["X-Coral-Signature"].count("sha256=") == 2
    for configured in (SECRET, OTHER_SECRET, f"{OTHER_SECRET}|{SECRET}"):
        client = make_app(tmp_path, CORAL_SECRETS=f"{TENANT_ID}={configured}").test_client()
        assert coral_reply(send(client, body, rotating))["status"] == "REJECTED"
    # After the old secret expired Coral sends only the new one; the old alone fails.
    client = make_app(tmp_path, CORAL_SECRETS=f"{TENANT_ID}={OTHER_SECRET}").test_client()
    assert send(client, body, headers(body, SECRET)).status_code == 401


def test_uppercase_hex_is_accepted(client: FlaskClient) -> None:
    body = coral_body(REJECTED)
    header = {**headers(body)}
    header["X-Coral-Signature"] = "sha256=" + header["X-Coral-Signature"][7:].upper()
    assert send(client, body, header).status_code == 200


def test_a_secret_of_another_tenant_does_not_sign_for_this_one(tmp_path: Path) -> None:
    client = make_app(tmp_path, CORAL_SECRETS=f"{TENANT_ID}={SECRET},other={OTHER_SECRET}"
                      ).test_client()
    body = coral_body(REJECTED)
    response = send(client, body, headers(body, OTHER_SECRET))
    assert response.status_code == 401
    assert "tenantID" in response.get_json()["error"]["message"]


def test_no_secrets_configured_refuses_every_request(tmp_path: Path) -> None:
    client = make_app(tmp_path, CORAL_SECRETS="").test_client()
    response = send(client, coral_body(ACCEPTED))
    assert response.status_code == 401
    assert "MODERATOR_CORAL_SECRETS" in response.get_json()["error"]["message"]


@pytest.mark.parametrize("setting", [
    {"CORAL_SECRETS": f"{TENANT_ID}"}, {"CORAL_SECRETS": f"{TENANT_ID}=short"},
    {"CORAL_SITES": "no-equals-sign"},
])
def test_a_malformed_setting_stops_the_app_naming_it(tmp_path: Path,
                                                     setting: dict[str, str]) -> None:
    from moderator.http.config import ConfigError

    with pytest.raises(ConfigError, match="MODERATOR_CORAL_") as caught:
        make_app(tmp_path, **setting)
    assert "short" not in str(caught.value).replace("shorter", "")  # no secret echoed


# --- bad input --------------------------------------------------------------------------


@pytest.mark.parametrize(("body", "pointer"), [
    (b'{\n  "action": "NEW",\n  "comment": {', None),
    (b"[1, 2]", None),
    (json.dumps({"action": "NEW"}).encode(), "/comment/body"),
    (coral_body(ACCEPTED).replace(b'"NEW"', b'"DELETE"'), "/action"),
    (coral_body(ACCEPTED).replace(b'"COMMENTER"', b"42"), "/author/role"),
    (coral_body(ACCEPTED).replace(b"The bus", b"\\ud800The bus"), "/comment/body"),
])
def test_malformed_json_or_members_are_400_with_a_message(
        client: FlaskClient, body: bytes, pointer: str | None) -> None:
    response = send(client, body)
    assert response.status_code == 400
    error = response.get_json()["error"]
    assert error["message"]
    assert error.get("pointer") == pointer


def test_a_body_that_is_not_json_is_415_once_signed(client: FlaskClient) -> None:
    body = coral_body(ACCEPTED)
    sent = {**headers(body), "Content-Type": "text/plain"}
    assert send(client, body, sent).status_code == 415


def test_unknown_members_coral_may_add_later_are_ignored(client: FlaskClient) -> None:
    request = json.loads(coral_body(REJECTED))
    request["comment"]["revisionID"] = "r1"
    body = json.dumps(request, indent=2).encode()
    assert coral_reply(send(client, body))["status"] == "REJECTED"


# --- mapping and failures ---------------------------------------------------------------


def test_tenant_and_site_pick_the_policy(tmp_path: Path) -> None:
    by_tenant = make_app(tmp_path, CORAL_SITES=f"{TENANT_ID}=news").test_client()
    assert coral_reply(send(by_tenant, coral_body(REJECTED)))["status"] == "REJECTED"
    # No mapping and no `default` policy: nothing to check against, so held, not passed.
    unmapped = make_app(tmp_path, CORAL_SITES="").test_client()
    assert coral_reply(send(unmapped, coral_body(ACCEPTED)))["status"] == "SYSTEM_WITHHELD"


@pytest.mark.parametrize(("on_failure", "status"),
                         [("review", "SYSTEM_WITHHELD"), ("reject", "REJECTED")])
def test_a_model_outage_gives_the_policys_failure_action(
        tmp_path: Path, on_failure: str, status: str) -> None:
    client = make_app(tmp_path, on_failure=on_failure, classifier=True).test_client()
    assert coral_reply(send(client, coral_body(ACCEPTED)))["status"] == status


@pytest.mark.parametrize(("on_failure", "status"),
                         [("review", "SYSTEM_WITHHELD"), ("reject", "REJECTED")])
def test_a_store_that_cannot_be_opened_gives_the_failure_action(
        tmp_path: Path, on_failure: str, status: str, caplog: pytest.LogCaptureFixture
        ) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("not a directory")
    client = make_app(tmp_path, on_failure=on_failure,
                      database=f"sqlite:///{blocker / 'store.sqlite3'}").test_client()
    with caplog.at_level(logging.DEBUG):
        held = send(client, coral_body(f"<p>{PRIVATE}</p>"))
        accepted = send(client, coral_body(ACCEPTED))
    assert coral_reply(held)["status"] == status
    assert accepted.status_code == 204  # an accept needs no store
    assert "StoreUnavailable" in caplog.text
    assert "Zqxwvb" not in caplog.text


def test_a_store_error_while_holding_gives_the_failure_action(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
        ) -> None:
    app = make_app(tmp_path, on_failure="reject")
    store = app.extensions["moderator"].store

    def broken(*args: object, **kwargs: object) -> str:
        raise sqlite3.DatabaseError(f"file is not a database: {PRIVATE}")

    monkeypatch.setattr(store, "hold", broken)
    with caplog.at_level(logging.DEBUG):
        body = coral_reply(send(app.test_client(), coral_body(f"<p>{PRIVATE}</p>")))
    assert body["status"] == "REJECTED"
    assert body["moderationAction"]["rejectionReason"]["code"] == "OTHER"
    assert "DatabaseError" in caplog.text and "Zqxwvb" not in caplog.text


def test_the_endpoint_is_in_the_openapi_contract(openapi: Any,
                                                 conforms: Callable[..., Any],
                                                 client: FlaskClient) -> None:
    conforms(send(client, coral_body(ACCEPTED)))
    conforms(send(client, coral_body(HELD)))
    conforms(send(client, coral_body(REJECTED)))
    conforms(send(client, coral_body(ACCEPTED), {"Content-Type": "application/json"}))
    conforms(send(client, b"{", headers(b"{")))


def test_a_body_too_large_to_check_in_time_is_held_unparsed(client: FlaskClient) -> None:
    body = coral_body("<p>" + "&a" * 6100 + "</p>")  # 8 x 1500 characters and more
    assert coral_reply(send(client, body))["status"] == "SYSTEM_WITHHELD"
    assert send(client, coral_body("<b>x</b>" * 1400)).status_code == 204  # 11,200 chars


def test_any_error_of_ours_is_the_failure_action_not_a_5xx(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import moderator.service

    def broken(*args: object, **kwargs: object) -> None:
        raise RuntimeError("a bug")

    monkeypatch.setattr(moderator.service, "run_policy", broken)
    client = make_app(tmp_path, on_failure="reject").test_client()
    assert coral_reply(send(client, coral_body(ACCEPTED)))["status"] == "REJECTED"


def test_flood_limits_count_per_coral_author(tmp_path: Path) -> None:
    client = make_app(tmp_path, flood=FLOOD).test_client()
    assert send(client, coral_body("<p>First thoughts on the bus.</p>")).status_code == 204
    repeat = coral_reply(send(client, coral_body("<p>First thoughts on the bus.</p>")))
    assert repeat["status"] == "SYSTEM_WITHHELD"  # the same text again: held
    # Past the rate /v1/check says 429, which Coral would publish: rejected with the wait.
    body = coral_reply(send(client, coral_body("<p>Third comment in a minute.</p>")))
    assert body["status"] == "REJECTED"
    explanation = body["moderationAction"]["rejectionReason"]["detailedExplanation"]
    assert explanation.startswith("You are posting comments too quickly. Please wait")


def test_a_full_queue_still_withholds_in_coral(tmp_path: Path) -> None:
    client = make_app(tmp_path, MAX_PENDING_PER_SITE=1).test_client()
    first = send(client, coral_body(HELD))
    second = send(client, coral_body(HELD, author_id="another-author"))
    assert coral_reply(first)["status"] == coral_reply(second)["status"] == "SYSTEM_WITHHELD"
    assert "X-Moderator-Id" in first.headers and "X-Moderator-Id" not in second.headers
