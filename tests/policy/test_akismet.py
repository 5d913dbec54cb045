"""A policy's [akismet] section: defaults from the policy's own fields, and refusals."""

from __future__ import annotations

from pathlib import Path

import pytest

from moderator.errors import PolicyError
from moderator.policy import load_policy

POLICY = """
[policy]
site = "forum"
version = "1"
[fields.body]
required = true
[fields.nick]
[fields.mail]
type = "email"
[classifier]
enabled = false
field = "body"
"""


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "policies" / "forum.toml"
    path.parent.mkdir(exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def test_without_a_section_the_policys_own_fields_are_used(tmp_path: Path) -> None:
    settings = load_policy(write(tmp_path, POLICY)).akismet
    assert settings is not None
    assert (settings.content_field, settings.author_field, settings.email_field) == (
        "body", None, "mail")
    assert settings.review_is_spam and settings.spam_label == "propaganda"
    assert settings.ham_label == "other"


def test_the_section_maps_fields_answers_and_labels(tmp_path: Path) -> None:
    settings = load_policy(write(tmp_path, POLICY + """
[akismet]
review = "ham"
spam_label = ""
ham_label = "discusses"
author_field = "nick"
email_field = ""
""")).akismet
    assert settings is not None
    assert not settings.review_is_spam
    assert (settings.spam_label, settings.ham_label) == (None, "discusses")
    assert (settings.author_field, settings.email_field) == ("nick", None)


@pytest.mark.parametrize("extra, key", [
    ('review = "maybe"', "akismet.review"),
    ('spam_label = "spam"', "akismet.spam_label"),
    ('author_field = "name"', "akismet.author_field"),
    ('content_field = ""', "akismet.content_field"),
    ('discard = true', "akismet"),
])
def test_mistakes_name_the_key(tmp_path: Path, extra: str, key: str) -> None:
    with pytest.raises(PolicyError) as caught:
        load_policy(write(tmp_path, POLICY + "[akismet]\n" + extra + "\n"))
    assert caught.value.key.startswith(key)
