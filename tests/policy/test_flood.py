"""The `[flood]` section: defaults, rates in `limits`' notation, and clear load errors."""

from __future__ import annotations

from pathlib import Path

import pytest

from moderator.errors import PolicyError
from moderator.policy import load_policy
from moderator.policy.flood import DEFAULT_MESSAGE, Rate
from moderator.types import Action

REPO = Path(__file__).resolve().parents[2]

BASE = """
[policy]
site = "s"
version = "1"

[fields.comment]
required = true

[fields.email]
type = "email"
"""


def load(tmp_path: Path, extra: str) -> object:
    path = tmp_path / "p.toml"
    path.write_text(BASE + extra, encoding="utf-8")
    return load_policy(path)


def test_default_policy_limits_floods_and_holds_repeats() -> None:
    policy = load_policy(REPO / "rules" / "policies" / "default.toml")
    flood = policy.flood
    assert flood is not None
    assert flood.repeat_window_seconds == 600 and flood.repeat_action is Action.REVIEW
    assert flood.per_commenter == (Rate(5, 60), Rate(30, 3600))
    assert flood.per_ip == (Rate(20, 60),)
    assert flood.field == "comment" and "{wait}" in flood.message
    assert policy.failure.on_flood_error is Action.REVIEW


def test_no_section_means_no_limits(tmp_path: Path) -> None:
    policy = load(tmp_path, "")
    assert policy.flood is None  # type: ignore[attr-defined]
    assert policy.failure.on_flood_error is Action.REVIEW  # type: ignore[attr-defined]


def test_section_defaults(tmp_path: Path) -> None:
    flood = load(tmp_path, "[flood]\n").flood  # type: ignore[attr-defined]
    assert flood.repeat_window_seconds == 600 and flood.repeat_action is Action.REVIEW
    assert flood.per_commenter == () and flood.per_ip == ()
    assert flood.message == DEFAULT_MESSAGE and flood.field == "comment"


def test_disabled_section_is_checked_but_off(tmp_path: Path) -> None:
    off = load(tmp_path, "[flood]\nenabled = false\nper_ip = '3 per minute'\n")
    assert off.flood is None  # type: ignore[attr-defined]
    with pytest.raises(PolicyError, match=r"flood\.per_ip"):
        load(tmp_path, "[flood]\nenabled = false\nper_ip = 'often'\n")


@pytest.mark.parametrize(("notation", "rates"), [
    ("5 per 60 seconds", (Rate(5, 60),)),
    ("5 per minute", (Rate(5, 60),)),
    ("5/minute", (Rate(5, 60),)),
    ("1 per second", (Rate(1, 1),)),
    ("20 per 2 hours; 100 per day", (Rate(20, 7200), Rate(100, 86400))),
])
def test_rates(tmp_path: Path, notation: str, rates: tuple[Rate, ...]) -> None:
    policy = load(tmp_path, f"[flood]\nper_commenter = '{notation}'\n")
    assert policy.flood.per_commenter == rates  # type: ignore[attr-defined]


@pytest.mark.parametrize(("extra", "key", "problem"), [
    ("per_commenter = 'five a minute'", "flood.per_commenter", "is not a rate such as"),
    ("per_commenter = '5 per fortnight'", "flood.per_commenter", "is not a rate such as"),
    ("per_commenter = 5", "flood.per_commenter", "must be str"),
    ("per_ip = '0 per minute'", "flood.per_ip", "the count must be 1 to"),
    ("per_ip = '5 per 0 seconds'", "flood.per_ip", "the window must be 1 second to 7 days"),
    ("per_ip = '5 per 8 days'", "flood.per_ip", "the window must be 1 second to 7 days"),
    ("per_ip = '5 per minute;'", "flood.per_ip", "is not a rate such as"),
    ("repeat_window_minutes = -1", "flood.repeat_window_minutes", "must be 0 (off) to"),
    ("repeat_window_minutes = '10'", "flood.repeat_window_minutes", "must be int"),
    ("repeat_action = 'nudge'", "flood.repeat_action", "must be one of flag, review, reject"),
    ("field = 'body'", "flood.field", "names unknown field 'body'"),
    ("field = 'email'", "flood.field", "'email' is not a text field"),
    ("message = ' '", "flood.message", "must not be empty"),
    ("per_minute = 5", "flood.per_minute", "is not a known setting"),
])
def test_bad_settings_name_the_key(tmp_path: Path, extra: str, key: str, problem: str) -> None:
    with pytest.raises(PolicyError) as caught:
        load(tmp_path, f"[flood]\n{extra}\n")
    assert caught.value.key == key
    assert problem in caught.value.problem


def test_failure_action_for_the_counters(tmp_path: Path) -> None:
    policy = load(tmp_path, "[failure]\non_flood_error = 'reject'\n")
    assert policy.failure.on_flood_error is Action.REJECT  # type: ignore[attr-defined]
    with pytest.raises(PolicyError, match=r"failure\.on_flood_error: must be one of review"):
        load(tmp_path, "[failure]\non_flood_error = 'flag'\n")
