"""Every page message exists in English, Russian and Kazakh with the same placeholders."""

from __future__ import annotations

import re
import string

import pytest
from flask import Flask, request

from moderator.moderate import i18n


def placeholders(text: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(text) if name}


@pytest.mark.parametrize("lang", ["ru", "kk"])
def test_each_language_has_every_key_with_the_same_placeholders(lang: str) -> None:
    catalog = i18n.CATALOGS[lang]
    assert set(catalog) == set(i18n.EN)
    for key, english in i18n.EN.items():
        assert placeholders(catalog[key]) == placeholders(english), key
        if not re.search(r"[A-Z_]{6,}|CSV", english):  # names of settings stay as they are
            assert catalog[key] != english or len(english) < 6, f"{lang}:{key} untranslated"


def test_script_messages_are_a_subset_of_the_catalog() -> None:
    for lang in i18n.LANGUAGES:
        assert set(i18n.script_messages(lang)) <= set(i18n.CATALOGS[lang])


@pytest.mark.parametrize(("query", "cookie", "accept", "expected"), [
    ("ru", None, "en", "ru"), ("xx", "kk", "en", "kk"), (None, None, "kk-KZ,ru;q=0.8", "kk"),
    (None, None, "de", "en"), (None, "fr", "ru", "ru"),
])
def test_the_language_is_the_switch_then_the_cookie_then_the_browser(
        query: str | None, cookie: str | None, accept: str, expected: str) -> None:
    app = Flask(__name__)
    headers = {"Accept-Language": accept}
    if cookie:
        headers["Cookie"] = f"{i18n.COOKIE}={cookie}"
    with app.test_request_context("/", query_string={"lang": query} if query else None,
                                  headers=headers):
        assert i18n.pick(request) == expected


def test_translate_fills_placeholders_and_falls_back_to_english() -> None:
    assert i18n.translate("ru", "signed_in_as", name="alice") == "Вы вошли как alice"
    assert i18n.translate("de", "sign_in") == "Sign in"
