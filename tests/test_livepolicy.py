"""PolicyKeeper: a reload takes a policy set that loads whole, and keeps the last good one."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from moderator.errors import PolicyError
from moderator.livepolicy import PolicyKeeper, policy_digest
from moderator.paths import PROJECT_ROOT


@pytest.fixture
def policies(tmp_path: Path) -> Path:
    shutil.copytree(PROJECT_ROOT / "rules", tmp_path / "rules")
    return tmp_path / "rules" / "policies"


def test_a_broken_edit_keeps_the_running_policy_and_says_why(policies: Path) -> None:
    keeper = PolicyKeeper(policies)
    running = keeper.state
    (policies / "default.toml").write_text("[policy\n", encoding="utf-8")
    assert keeper.reload() is False
    assert keeper.state.policies is running.policies
    assert keeper.state.error is not None
    assert keeper.state.error.startswith("kept default@2026.12.04: default.toml: ")
    assert str(policies) not in keeper.state.error


def test_an_edit_that_keeps_its_version_string_still_changes_the_digest(policies: Path) -> None:
    keeper = PolicyKeeper(policies)
    before = keeper.state.digest
    wordlist = policies.parent / "wordlists" / "en" / "banned.txt"
    wordlist.write_text(wordlist.read_text(encoding="utf-8") + "\nnewbannedword\n",
                        encoding="utf-8")
    assert keeper.reload() is True
    assert keeper.state.digest != before and keeper.state.error is None
    assert [p.label for p in keeper.state.policies] == ["default@2026.12.04"]
    assert keeper.reload() is False  # nothing changed since


def test_no_good_policy_at_all_is_an_error(policies: Path) -> None:
    (policies / "default.toml").write_text("[policy\n", encoding="utf-8")
    with pytest.raises(PolicyError):
        PolicyKeeper(policies)
    assert len(policy_digest(policies)) == 64


def test_an_incitement_edit_is_taken_on_reload(policies: Path) -> None:
    keeper = PolicyKeeper(policies)
    before = keeper.state.digest
    targets = policies.parent / "incitement" / "en" / "targets.txt"
    targets.write_text(targets.read_text(encoding="utf-8") + "\nreferee\n", encoding="utf-8")
    assert keeper.reload() is True
    assert keeper.state.digest != before
    [policy] = list(keeper.state.policies)
    assert policy.incitement is not None
    assert policy.incitement.matcher.find("shoot the referee")


def test_a_broken_incitement_file_keeps_the_running_policy(policies: Path) -> None:
    keeper = PolicyKeeper(policies)
    (policies.parent / "incitement" / "kk" / "grammar.toml").write_text(
        'grammar = "klingon"\n', encoding="utf-8")
    assert keeper.reload() is False
    assert keeper.state.error is not None and "grammar.toml: grammar" in keeper.state.error
