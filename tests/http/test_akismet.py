"""The Akismet endpoints as each real client speaks to them (integrations b2), in-process.

The clients themselves run against a live server in test_akismet_clients.py; here are the
spellings, bodies and failures one by one, with the test policy `strict` (comment of at
most 20 characters; "kill" rejects, "martyr" holds).
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from moderator.http.akismet_form import host_label, truthy
from moderator.http.akismet_keys import AkismetKeyError, AkismetKeys

REPO = Path(__file__).resolve().parents[2]
FIXTURE_POLICIES = REPO / "tests" / "fixtures" / "policies"
KEY = "abcdefghijkl"
THANKS = b"Thanks for making the web a better place."
HAM = {"api_key": KEY, "comment_content": "Nice article", "comment_author": "Bob",
       "comment_author_email": "bob@example.org", "user_ip": "192.0.2.7",
       "blog": "https://news.example.org"}
HELD = {**HAM, "comment_content": "a martyr Zqxwvb"}
REJECTED = {**HAM, "comment_content": "kill them"}


def make_app(tmp_path: Path, policies: Path = FIXTURE_POLICIES, **config: Any) -> Flask:
    from moderator.http import create_app

    settings = {"POLICY_DIR": str(policies), "MODELS_DIR": str(tmp_path), "TESTING": True,
                "DATABASE_URL": f"sqlite:///{tmp_path / 'store.sqlite3'}",
                "AKISMET_KEYS": f"{KEY}=strict", **config}
    return create_app(settings)


@pytest.fixture
def app(tmp_path: Path) -> Flask:
    return make_app(tmp_path)


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


def pending(app: Flask) -> list[Any]:
    items, _ = app.extensions["moderator"].store.queue("strict")
    return items


# -- keys ------------------------------------------------------------------------------------


@pytest.mark.parametrize("data, host", [
    ({"key": KEY, "blog": "https://news.example.org"}, None),   # WordPress, ubernostrum
    ({"api_key": KEY}, None),                                    # the docs' spelling
    ({"blog": "https://news.example.org"}, f"{KEY}.rest.example.org"),  # key in the host
    ({"key": KEY.upper()}, None),                                # a host label has no case
])
def test_verify_key_takes_the_key_from_the_body_or_the_host(
        client: FlaskClient, data: dict[str, str], host: str | None) -> None:
    headers = {"Host": host} if host else {}
    response = client.post("/1.1/verify-key", data=data, headers=headers)
    assert response.status_code == 200
    assert response.data == b"valid"
    assert response.mimetype == "text/plain"


@pytest.mark.parametrize("data, host", [
    ({"key": "zzzzzzzzzzzz"}, None),
    ({"key": KEY[:11]}, None),
    ({}, "localhost"),
    ({}, "rest.example.org"),
    ({}, "127.0.0.1:8000"),
])
def test_an_unknown_key_is_invalid_with_debug_help(
        client: FlaskClient, data: dict[str, str], host: str | None) -> None:
    for path in ("/1.1/verify-key", "/1.1/comment-check", "/1.1/submit-spam"):
        response = client.post(path, data=data, headers={"Host": host} if host else {})
        assert (response.status_code, response.data) == (200, b"invalid"), path
        assert "12-character key" in response.headers["X-akismet-debug-help"]


def test_without_configured_keys_every_key_is_invalid_and_the_help_says_why(
        tmp_path: Path) -> None:
    client = make_app(tmp_path, AKISMET_KEYS=None).test_client()
    response = client.post("/1.1/comment-check", data=HAM)
    assert response.data == b"invalid"
    assert "MODERATOR_AKISMET_KEYS" in response.headers["X-akismet-debug-help"]


@pytest.mark.parametrize("raw, problem", [
    ("abcdefghijk=strict", "exactly 12"),
    ("ABCDEFGHIJKL=strict", "lower-case"),
    ("abcdefghijkl", "key=site"),
    ("abcdefghijkl=nowhere", "no policy"),
    ("abcdefghijkl=strict,abcdefghijkl=strict", "twice"),
])
def test_malformed_keys_are_refused_without_quoting_the_key(raw: str, problem: str) -> None:
    with pytest.raises(AkismetKeyError, match=problem) as caught:
        AkismetKeys.parse(raw, ["strict"])
    assert "abcdefghij" not in str(caught.value)


def test_keys_map_to_their_sites() -> None:
    keys = AkismetKeys.parse("abcdefghijkl=strict, mnopqrstuvwx=default", ["strict", "default"])
    assert keys.site_for("abcdefghijkl") == "strict"
    assert keys.site_for("MNOPQRSTUVWX") == "default"
    assert keys.site_for("abcdefghijkm") is None and keys.site_for(None) is None


def test_an_unknown_key_fails_app_creation(tmp_path: Path) -> None:
    with pytest.raises(AkismetKeyError):
        make_app(tmp_path, AKISMET_KEYS="abcdefghijkl=nowhere")


@pytest.mark.parametrize("host, label", [
    ("abcdefghijkl.rest.akismet.com", "abcdefghijkl"), ("abcdefghijkl.localhost:9000",
                                                        "abcdefghijkl"),
    ("localhost:9000", None), ("10.0.0.1", None), ("[::1]:80", None),
])
def test_host_label(host: str, label: str | None) -> None:
    assert host_label(host) == label


@pytest.mark.parametrize("value, expected", [
    ("1", True), ("true", True), ("True", True), (" TRUE ", True),
    ("0", False), ("false", False), ("False", False), ("", False), (None, False),
])
def test_is_test_spellings(value: str | None, expected: bool) -> None:
    assert truthy(value) is expected


# -- comment-check ---------------------------------------------------------------------------


def test_ham_is_a_bare_false_with_a_guid(client: FlaskClient) -> None:
    response = client.post("/1.1/comment-check", data=HAM)
    assert (response.status_code, response.data) == (200, b"false")
    assert response.headers["Content-Type"] == "text/plain; charset=utf-8"
    assert len(response.headers["X-akismet-guid"]) == 32
    assert "X-akismet-pro-tip" not in response.headers
    assert response.headers["X-moderator-decision"] == "accept"


def test_reject_is_true_with_discard(client: FlaskClient, app: Flask) -> None:
    response = client.post("/1.1/comment-check", data=REJECTED)
    assert response.data == b"true"
    assert response.headers["X-akismet-pro-tip"] == "discard"
    assert pending(app) == []


def test_review_is_spam_held_and_the_guid_is_the_queue_id(client: FlaskClient,
                                                           app: Flask) -> None:
    response = client.post("/1.1/comment-check", data=HELD)
    assert response.data == b"true"
    assert "X-akismet-pro-tip" not in response.headers  # kept in the spam folder, not dropped
    [item] = pending(app)
    assert response.headers["X-akismet-guid"] == item.id
    # comment_content -> comment, comment_author -> name; the email is kept only hashed
    assert item.fields == {"comment": "a martyr Zqxwvb", "name": "Bob"}


def _policy_copy(tmp_path: Path, extra: str) -> Path:
    folder = tmp_path / "policies"
    folder.mkdir()
    text = (FIXTURE_POLICIES / "strict.toml").read_text(encoding="utf-8")
    (folder / "strict.toml").write_text(text + "\n" + extra, encoding="utf-8")
    return folder


def test_review_as_ham_by_policy_setting_still_holds(tmp_path: Path) -> None:
    app = make_app(tmp_path, _policy_copy(tmp_path, '[akismet]\nreview = "ham"\n'))
    response = app.test_client().post("/1.1/comment-check", data=HELD)
    assert response.data == b"false"
    assert response.headers["X-moderator-decision"] == "review"
    assert [i.id for i in pending(app)] == [response.headers["X-akismet-guid"]]


def test_fields_the_client_does_not_send_are_empty(client: FlaskClient) -> None:
    """strict requires a name: a check without comment_author is rejected by the policy."""
    data = {k: v for k, v in HAM.items() if k != "comment_author"}
    response = client.post("/1.1/comment-check", data=data)
    assert response.data == b"true"


def test_every_spelling_real_clients_send_is_accepted(client: FlaskClient) -> None:
    wordpress = {**HAM, "comment_type": "comment", "blog_lang": "en_US", "blog_charset": "UTF-8",
                 "comment_context[0]": "politics", "comment_context[1]": "local",
                 "HTTP_USER_AGENT": "Mozilla/5.0", "POST_comment": "Nice article",
                 "akismet_comment_nonce": "passed", "recheck_reason": "recheck_queue",
                 "is_test": "true"}
    discourse = {**HAM, "content_type": "forum-post", "referrer": "unknown"}
    nekmo = {k: v for k, v in HAM.items() if k != "api_key"} | {"charset": "utf-8",
                                                                  "is_test": "False"}
    for data, headers in ((wordpress, {}), (discourse, {}),
                          (nekmo, {"Host": f"{KEY}.rest.example.org"})):
        response = client.post("/1.1/comment-check", data=data, headers=headers)
        assert (response.status_code, response.data) == (200, b"false"), data


def test_a_json_body_is_read_like_a_form(client: FlaskClient, app: Flask) -> None:
    response = client.post("/1.1/comment-check", json={**HELD, "is_test": False,
                                                        "comment_context": ["a", "b"]})
    assert response.data == b"true"
    assert len(pending(app)) == 1


def test_the_declared_charset_decodes_the_body(client: FlaskClient, app: Flask) -> None:
    from urllib.parse import urlencode

    body = urlencode({**HAM, "comment_author": "Сергей"}, encoding="cp1251")
    response = client.post("/1.1/comment-check", data=body, headers={
        "Content-Type": "application/x-www-form-urlencoded; charset=windows-1251"})
    assert response.data == b"false"
    # and the `charset` field where the header has none (Nekmo's client)
    body = urlencode({**HELD, "comment_author": "Сергей", "charset": "cp1251"},
                     encoding="cp1251")
    response = client.post("/1.1/comment-check", data=body,
                           content_type="application/x-www-form-urlencoded")
    assert response.data == b"true"
    assert pending(app)[0].fields["name"] == "Сергей"


def test_is_test_answers_but_never_fills_the_queue(client: FlaskClient, app: Flask) -> None:
    for spelling in ("1", "true", "True"):
        response = client.post("/1.1/comment-check", data={**HELD, "is_test": spelling})
        assert response.data == b"true"
    assert pending(app) == []


def test_akismets_guaranteed_test_inputs(client: FlaskClient) -> None:
    spam = {**HAM, "comment_author": "akismet-guaranteed-spam", "is_test": "1"}
    assert client.post("/1.1/comment-check", data=spam).data == b"true"
    admin = {**REJECTED, "user_role": "administrator", "is_test": "1"}
    assert client.post("/1.1/comment-check", data=admin).data == b"false"
    # without is_test they are ordinary comments
    assert client.post("/1.1/comment-check", data={**REJECTED, "user_role":
                                                    "administrator"}).data == b"true"


@pytest.mark.parametrize("body, content_type, problem", [
    (b"api_key=abcdefghijkl&comment_content=a%00b", "application/x-www-form-urlencoded", "NUL"),
    (b"api_key=abcdefghijkl&comment_content=%ff", "application/x-www-form-urlencoded",
     "not valid utf-8"),
    (b"api_key=abcdefghijkl", "application/x-www-form-urlencoded; charset=klingon", "charset"),
    (b"&".join(b"f%d=1" % i for i in range(1001)), "application/x-www-form-urlencoded",
     "1000 fields"),
    (b'{"comment_content": "\\ud800"}', "application/json", "surrogate"),
    (b"[1]", "application/json", "object"),
    (b'{"comment_content": {"a": 1}}', "application/json", "string, number or boolean"),
    (b"<xml/>", "text/xml", "form-encoded"),
])
def test_unreadable_bodies_are_a_4xx_in_plain_text(client: FlaskClient, body: bytes,
                                                   content_type: str, problem: str) -> None:
    response = client.post("/1.1/comment-check", data=body, content_type=content_type)
    assert 400 <= response.status_code < 500
    assert response.mimetype == "text/plain"
    assert problem.lower() in response.headers["X-akismet-debug-help"].lower()
    assert response.data not in (b"true", b"false")


def test_a_body_over_the_limit_is_413(tmp_path: Path) -> None:
    client = make_app(tmp_path, MAX_BODY_BYTES=1024).test_client()
    response = client.post("/1.1/comment-check", data={**HAM, "comment_content": "x" * 2000})
    assert response.status_code == 413
    assert "X-akismet-debug-help" in response.headers


# -- outages ---------------------------------------------------------------------------------


def _broken_store(tmp_path: Path, extra: str = "") -> Flask:
    """A database URL that cannot be opened: the store is down from the start."""
    policies = _policy_copy(tmp_path, extra) if extra else FIXTURE_POLICIES
    (tmp_path / "blocker").write_text("a file where the database's folder should be")
    return make_app(tmp_path, policies,
                    DATABASE_URL=f"sqlite:///{tmp_path / 'blocker' / 'x.sqlite3'}")


def test_store_down_a_held_comment_stays_spam_and_the_help_says_so(
        tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    client = _broken_store(tmp_path).test_client()
    with caplog.at_level(logging.DEBUG):
        response = client.post("/1.1/comment-check", data=HELD)
        ham = client.post("/1.1/comment-check", data=HAM)
    assert (response.status_code, response.data) == (200, b"true")
    assert "cannot take it" in response.headers["X-akismet-debug-help"]
    assert ham.data == b"false"  # an accept never needed the store
    assert "Zqxwvb" not in caplog.text


def test_store_down_with_review_as_ham_is_503_never_false(tmp_path: Path) -> None:
    client = _broken_store(tmp_path, '[akismet]\nreview = "ham"\n').test_client()
    response = client.post("/1.1/comment-check", data=HELD)
    assert response.status_code == 503
    assert response.data != b"false"
    assert response.headers["X-akismet-error"] and response.headers["Retry-After"] == "5"
    submit = client.post("/1.1/submit-spam", data=HELD)
    assert submit.status_code == 503 and submit.data != THANKS


def test_a_missing_model_holds_as_the_policy_fails(tmp_path: Path) -> None:
    policy = _policy_copy(tmp_path, '[classifier]\nenabled = true\nmodel = "propaganda"\n'
                                    'field = "comment"\n')
    app = make_app(tmp_path, policy)  # MODELS_DIR is empty: the model cannot load
    response = app.test_client().post("/1.1/comment-check", data=HAM)
    assert response.data == b"true"
    assert response.headers["X-moderator-decision"] == "review"
    assert len(pending(app)) == 1


# -- submit-spam / submit-ham ----------------------------------------------------------------


def labels(app: Flask) -> list[Any]:
    records, _ = app.extensions["moderator"].store.list_labels()
    return records


def test_submit_spam_of_a_held_comment_rejects_it_with_the_spam_label(
        client: FlaskClient, app: Flask) -> None:
    guid = client.post("/1.1/comment-check", data=HELD).headers["X-akismet-guid"]
    response = client.post("/1.1/submit-spam", data=HELD)  # WordPress sends no guid back
    assert (response.status_code, response.data) == (200, THANKS)
    item = app.extensions["moderator"].store.get(guid)
    assert (item.status, item.label, item.decided_by) == ("rejected", "propaganda",
                                                          "akismet:strict")
    [label] = labels(app)
    assert (label.text, label.label, label.origin, label.site) == (
        "a martyr Zqxwvb", "propaganda", "queue", "strict")


def test_submit_ham_with_a_guid_approves_that_comment(client: FlaskClient, app: Flask) -> None:
    guid = client.post("/1.1/comment-check", data=HELD).headers["X-akismet-guid"]
    response = client.post("/1.1/submit-ham", json={**HELD, "guid": guid})  # Coral: JSON
    assert response.data == THANKS
    item = app.extensions["moderator"].store.get(guid)
    assert (item.status, item.label) == ("approved", "other")
    # a second submit about the same comment adds nothing: the first decision stands
    client.post("/1.1/submit-spam", data=HELD)
    assert [(r.label, r.origin) for r in labels(app)] == [("other", "queue")]


def test_submit_of_a_comment_never_held_is_a_label_of_its_own(client: FlaskClient,
                                                              app: Flask) -> None:
    client.post("/1.1/comment-check", data=HAM)  # accepted: nothing stored
    assert client.post("/1.1/submit-spam", data=HAM).data == THANKS
    [label] = labels(app)
    assert (label.text, label.label, label.origin, label.created_by, label.lang) == (
        "Nice article", "propaganda", "akismet", "akismet:strict", "en")


def test_a_guid_of_another_site_is_not_matched(tmp_path: Path) -> None:
    folder = _policy_copy(tmp_path, "")
    other = (folder / "strict.toml").read_text(encoding="utf-8").replace(
        'site = "strict"', 'site = "other"')
    (folder / "other.toml").write_text(other, encoding="utf-8")
    app = make_app(tmp_path, folder, AKISMET_KEYS=f"{KEY}=strict,mnopqrstuvwx=other")
    client = app.test_client()
    guid = client.post("/1.1/comment-check", data=HELD).headers["X-akismet-guid"]
    client.post("/1.1/submit-ham", data={**HELD, "api_key": "mnopqrstuvwx", "guid": guid,
                                         "comment_content": "something else"})
    assert app.extensions["moderator"].store.get(guid).status == "pending"


def test_test_submits_and_unlabelled_kinds_learn_nothing(tmp_path: Path) -> None:
    app = make_app(tmp_path, _policy_copy(tmp_path, '[akismet]\nspam_label = ""\n'))
    client = app.test_client()
    assert client.post("/1.1/submit-ham", data={**HAM, "is_test": "1"}).data == THANKS
    assert client.post("/1.1/submit-spam", data=HAM).data == THANKS
    assert client.post("/1.1/submit-ham", data={**HAM, "comment_content": ""}).data == THANKS
    assert labels(app) == []
    assert client.post("/1.1/submit-ham", data=HAM).data == THANKS
    assert [r.label for r in labels(app)] == ["other"]


def test_a_site_maps_submits_to_its_own_labels(tmp_path: Path) -> None:
    app = make_app(tmp_path, _policy_copy(tmp_path, '[akismet]\nspam_label = "other"\n'
                                                    'ham_label = "discusses"\n'))
    client = app.test_client()
    client.post("/1.1/submit-spam", data=HAM)
    client.post("/1.1/submit-ham", data={**HAM, "comment_content": "Another one"})
    assert [r.label for r in labels(app)] == ["other", "discusses"]


def test_answers_match_the_openapi_contract(client: FlaskClient, conforms: Any) -> None:
    conforms(client.post("/1.1/verify-key", data={"key": KEY}))
    conforms(client.post("/1.1/verify-key", data={"key": "zzzzzzzzzzzz"}))
    conforms(client.post("/1.1/comment-check", data=HAM))
    conforms(client.post("/1.1/comment-check", data=HELD))
    conforms(client.post("/1.1/comment-check", data={}))
    conforms(client.post("/1.1/submit-spam", data=HELD))
    conforms(client.post("/1.1/submit-ham", data={**HAM, "comment_content": "a%00"},
                         content_type="text/xml"))


def test_past_the_flood_rate_is_spam_kept_not_discarded(tmp_path: Path) -> None:
    policy = _policy_copy(tmp_path, '[flood]\nper_commenter = "2 per 60 seconds"\n')
    client = make_app(tmp_path, policy, REDIS_URL="", HASH_KEY="0123456789abcdef" * 2
                      ).test_client()
    answers = [client.post("/1.1/comment-check",
                           data={**HAM, "comment_content": f"Nice article {n}"})
               for n in range(3)]
    assert [a.data for a in answers] == [b"false", b"false", b"true"]
    assert answers[2].headers["X-moderator-decision"] == "flood"
    assert "X-akismet-pro-tip" not in answers[2].headers
    assert "rate limit" in answers[2].headers["X-akismet-debug-help"]


def test_a_recheck_of_a_waiting_comment_does_not_queue_it_twice(client: FlaskClient,
                                                                app: Flask) -> None:
    first = client.post("/1.1/comment-check", data=HELD).headers["X-akismet-guid"]
    again = client.post("/1.1/comment-check", data={**HELD, "recheck_reason": "recheck_queue"})
    assert again.data == b"true"
    assert again.headers["X-akismet-guid"] == first
    assert [i.id for i in pending(app)] == [first]
    other = client.post("/1.1/comment-check", data={**HELD, "recheck_reason": "edit",
                                                    "comment_content": "a martyr, edited"})
    assert len(pending(app)) == 2 and other.headers["X-akismet-guid"] != first
