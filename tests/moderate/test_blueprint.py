"""Who may use the page: sign-in, the session cookie, CSRF, sign-out, headers, errors."""

from __future__ import annotations

import re
from collections.abc import Callable

from flask import Flask
from flask.testing import FlaskClient

from moderator.auth import AdminKeys
from moderator.service import StoreUnavailable
from tests.moderate.conftest import ALICE, JSON, sign_in


def cookie_header(response: object, name: str) -> str:
    headers = [h for h in response.headers.getlist("Set-Cookie")  # type: ignore[attr-defined]
               if h.startswith(f"{name}=")]
    assert headers, f"no {name} cookie set"
    return headers[-1]


def test_strangers_get_the_sign_in_page_with_401(client_factory: Callable[[], FlaskClient]
                                                 ) -> None:
    client = client_factory()
    page = client.get("/moderate")
    assert page.status_code == 401
    assert 'name="key"' in page.text and "Sign in to see this page." in page.text
    assert client.get("/moderate/poll", headers=JSON).status_code == 401
    assert client.get("/moderate/dashboard").status_code == 401
    assert client.get("/moderate/audit.csv").status_code == 401
    decided = client.post("/moderate/decide", data={"id": "a" * 32, "decision": "approve"})
    assert decided.status_code == 401  # no session: not even asked for a CSRF token
    with client.get("/moderate/static/moderate.js") as script:
        assert script.status_code == 200 and "keydown" in script.text


def test_a_wrong_key_is_refused_and_starts_no_session(
        client_factory: Callable[[], FlaskClient]) -> None:
    client = client_factory()
    form = client.get("/moderate/sign-in")
    token = re.search(r'name="sign_in_token" value="([^"]+)"', form.text).group(1)  # type: ignore[union-attr]
    refused = client.post("/moderate/sign-in", data={"sign_in_token": token,
                                                     "key": "not-a-key-of-this-server"})
    assert refused.status_code == 401
    assert "That key is not an admin key of this server." in refused.text
    assert not any(h.startswith("moderator_session=")
                   for h in refused.headers.getlist("Set-Cookie"))
    assert client.get("/moderate").status_code == 401


def test_the_sign_in_form_needs_its_own_token(client_factory: Callable[[], FlaskClient]
                                              ) -> None:
    client = client_factory()
    assert client.post("/moderate/sign-in", data={"key": ALICE}).status_code == 403
    client.get("/moderate/sign-in")
    forged = client.post("/moderate/sign-in", data={"key": ALICE, "sign_in_token": "forged"})
    assert forged.status_code == 403 and client.get("/moderate").status_code == 401


def test_the_session_cookie_is_httponly_strict_and_secure_over_https(app: Flask) -> None:
    for base, secure in (("http://localhost", False), ("https://localhost", True)):
        client = app.test_client()
        form = client.get("/moderate/sign-in", base_url=base)
        token = re.search(r'name="sign_in_token" value="([^"]+)"', form.text).group(1)  # type: ignore[union-attr]
        response = client.post("/moderate/sign-in", base_url=base,
                               data={"sign_in_token": token, "key": ALICE})
        assert response.status_code == 303
        header = cookie_header(response, "moderator_session")
        assert "HttpOnly" in header and "SameSite=Strict" in header and "Path=/moderate" in header
        assert ("Secure" in header) is secure
        assert ALICE not in header


def test_every_post_needs_the_session_csrf_token(alice: tuple[FlaskClient, str],
                                                 hold: Callable[..., str],
                                                 app: Flask) -> None:
    client, csrf = alice
    comment_id = hold()
    for headers in ({}, {"X-CSRF-Token": "wrong"}):
        for path, data in (("/moderate/decide", {"id": comment_id, "decision": "approve"}),
                           ("/moderate/undo", {"id": comment_id}),
                           ("/moderate/sign-out", {})):
            response = client.post(path, data=data, headers={**headers, **JSON})
            assert response.status_code == 403, path
            assert response.get_json()["error"]["code"] == "csrf_failed"
    html = client.post("/moderate/decide", data={"id": comment_id, "decision": "approve",
                                                 "csrf": "wrong"})
    assert html.status_code == 403 and "security token" in html.text
    assert app.extensions["moderator"].store.get(comment_id).status == "pending"
    ok = client.post("/moderate/decide", headers={"X-CSRF-Token": csrf, **JSON},
                     data={"id": comment_id, "decision": "approve"})
    assert ok.status_code == 200


def test_another_sessions_token_does_not_pass(alice: tuple[FlaskClient, str],
                                              bob: tuple[FlaskClient, str],
                                              hold: Callable[..., str]) -> None:
    client, _ = alice
    _, bobs_csrf = bob
    response = client.post("/moderate/decide", headers=JSON,
                           data={"id": hold(), "decision": "approve", "csrf": bobs_csrf})
    assert response.status_code == 403


def test_sign_out_ends_the_session_for_every_copy_of_the_cookie(
        alice: tuple[FlaskClient, str], app: Flask) -> None:
    client, csrf = alice
    stolen = app.test_client()
    token = client.get_cookie("moderator_session", path="/moderate")
    assert token is not None
    stolen.set_cookie("moderator_session", token.value, path="/moderate")
    assert stolen.get("/moderate").status_code == 200
    out = client.post("/moderate/sign-out", data={"csrf": csrf})
    assert out.status_code == 303 and out.headers["Location"].endswith("/moderate/sign-in")
    assert "moderator_session=;" in cookie_header(out, "moderator_session")
    assert stolen.get("/moderate").status_code == 401


def test_a_key_removed_from_the_config_ends_its_sessions(alice: tuple[FlaskClient, str],
                                                         app: Flask) -> None:
    client, _ = alice
    app.extensions["admin_keys"] = AdminKeys.parse("alice=another-secret-for-alice-0000")
    assert client.get("/moderate").status_code == 401


def test_pages_forbid_framing_scripts_from_elsewhere_and_caching(
        alice: tuple[FlaskClient, str]) -> None:
    client, _ = alice
    page = client.get("/moderate")
    assert "script-src 'self'" in page.headers["Content-Security-Policy"]
    assert "frame-ancestors 'none'" in page.headers["Content-Security-Policy"]
    assert page.headers["X-Frame-Options"] == "DENY"
    assert page.headers["Cache-Control"] == "no-store"
    assert page.headers["Referrer-Policy"] == "no-referrer"
    assert "<script>" not in page.text and "https://" not in page.text.split("<main>")[0]


def test_errors_are_pages_in_the_readers_language(alice: tuple[FlaskClient, str]) -> None:
    client, _ = alice
    missing = client.get("/moderate/comment/" + "0" * 32 + "?lang=kk")
    assert missing.status_code == 404 and "Бұл пікір енді кезекте жоқ." in missing.text
    assert client.get("/moderate/nowhere").status_code == 404
    bad = client.get("/moderate?queue=nope", headers=JSON)
    assert bad.status_code == 400 and "queue must be one of" in bad.get_json()["error"]["message"]


def test_an_unavailable_store_is_a_503_page(alice: tuple[FlaskClient, str], app: Flask) -> None:
    client, _ = alice
    service = app.extensions["moderator"]
    kept = service._store

    def failing() -> object:
        raise StoreUnavailable("down")

    service._store, service._store_opener, service._store_next_try = None, failing, 0.0
    try:
        response = client.get("/moderate")
        assert response.status_code == 503 and response.headers["Retry-After"] == "5"
        assert "The review store is unavailable" in response.text
    finally:
        service._store = kept


def test_the_language_switch_is_remembered(alice: tuple[FlaskClient, str]) -> None:
    client, _ = alice
    russian = client.get("/moderate?lang=ru")
    assert "Ожидают" in russian.text and 'lang="ru"' in russian.text
    assert "moderator_lang=ru" in cookie_header(russian, "moderator_lang")
    assert "Ожидают" in client.get("/moderate").text
    kazakh = client.get("/moderate", headers={"Accept-Language": "kk-KZ"},
                        query_string={"lang": "kk"})
    assert "Күтуде" in kazakh.text


def test_sign_in_again_while_signed_in_is_harmless(alice: tuple[FlaskClient, str]) -> None:
    client, _ = alice
    assert sign_in(client)  # a second session; the first stays valid until it expires
