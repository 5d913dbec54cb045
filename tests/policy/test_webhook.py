"""The `[webhook]` policy section: defaults, and every refusal naming the key."""

from __future__ import annotations

from pathlib import Path

import pytest

from moderator.errors import PolicyError
from moderator.policy import load_policy
from moderator.policy.webhook import EVENTS

HEAD = '[policy]\nsite = "news"\nversion = "1"\n\n[fields.comment]\nrequired = true\n\n'


def load(tmp_path: Path, section: str) -> object:
    path = tmp_path / "news.toml"
    path.write_text(HEAD + section, encoding="utf-8")
    return load_policy(path).webhook


def test_no_section_no_webhook(tmp_path: Path) -> None:
    assert load(tmp_path, "") is None


def test_the_defaults(tmp_path: Path) -> None:
    hook = load(tmp_path, '[webhook]\nurl = "https://news.example/hook"\n')
    assert hook is not None
    assert (hook.url, hook.events, hook.enabled, hook.timeout_seconds, hook.max_attempts) == \
        ("https://news.example/hook", EVENTS, True, 5.0, 8)  # type: ignore[attr-defined]


def test_every_setting(tmp_path: Path) -> None:
    hook = load(tmp_path, '[webhook]\nurl = "http://127.0.0.1:9000/h"\nevents = '
                '["comment.rejected"]\nenabled = false\ntimeout_seconds = 1.5\n'
                'max_attempts = 2\n')
    assert hook.to_dict() == {"url": "http://127.0.0.1:9000/h",  # type: ignore[attr-defined]
                              "events": ["comment.rejected"], "enabled": False,
                              "timeout_seconds": 1.5, "max_attempts": 2}
    assert not hook.wants("comment.rejected")  # type: ignore[attr-defined]


@pytest.mark.parametrize("url", ["http://localhost:8080/h", "http://127.0.0.1/h",
                                 "http://[::1]:9/h", "https://hooks.news.example/x?t=1",
                                 "https://93.184.216.34/hook"])
def test_allowed_urls(tmp_path: Path, url: str) -> None:
    assert load(tmp_path, f'[webhook]\nurl = "{url}"\n').url == url  # type: ignore[attr-defined]


@pytest.mark.parametrize(("section", "key", "problem"), [
    ('url = "http://news.example/hook"', "webhook.url", "must use https"),
    ('url = "ftp://news.example/hook"', "webhook.url", "https:// URL with a host"),
    ('url = "https:///nohost"', "webhook.url", "https:// URL with a host"),
    ('url = "https://10.0.0.5/hook"', "webhook.url", "private or reserved"),
    ('url = "https://192.168.1.1/hook"', "webhook.url", "private or reserved"),
    ('url = "https://169.254.169.254/latest"', "webhook.url", "private or reserved"),
    ('url = "https://[fd00::1]/hook"', "webhook.url", "private or reserved"),
    ('url = "https://100.64.1.1/hook"', "webhook.url", "private or reserved"),
    ('url = "https://user:pw@news.example/hook"', "webhook.url", "user name or password"),
    ('url = "https://news.example/a b"', "webhook.url", "whitespace"),
    ('url = "https://news.example:port/"', "webhook.url", "is not a URL"),
    ('events = ["comment.approved"]', "webhook.url", "is required"),
    ('url = "https://n.example/h"\nevents = []', "webhook.events", "at least one"),
    ('url = "https://n.example/h"\nevents = ["comment.deleted"]', "webhook.events",
     "'comment.deleted' is not one of"),
    ('url = "https://n.example/h"\nevents = ["comment.approved", "comment.approved"]',
     "webhook.events", "twice"),
    ('url = "https://n.example/h"\ntimeout_seconds = 60', "webhook.timeout_seconds",
     "from 0.1 to 30"),
    ('url = "https://n.example/h"\nmax_attempts = 0', "webhook.max_attempts", "from 1 to 20"),
    ('url = "https://n.example/h"\nmax_attempts = "3"', "webhook.max_attempts", "must be int"),
    ('url = "https://n.example/h"\nsecret = "abc"', "webhook.secret", "not a known setting"),
])
def test_refusals_name_the_key(tmp_path: Path, section: str, key: str, problem: str) -> None:
    with pytest.raises(PolicyError) as caught:
        load(tmp_path, f"[webhook]\n{section}\n")
    assert key in str(caught.value)
    assert problem in str(caught.value)
