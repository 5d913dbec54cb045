"""Configuration layers and `moderator config check`."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from moderator.cli import main
from moderator.http.config import DEFAULTS, ConfigError, load

REPO = Path(__file__).resolve().parents[1]
FIXTURE_POLICIES = REPO / "tests" / "fixtures" / "policies"


def test_file_then_environment_override_defaults(tmp_path: Path) -> None:
    file = tmp_path / "moderator.toml"
    file.write_text('[moderator]\npolicy_dir = "pol"\nmax_body_bytes = 1000\n', encoding="utf-8")
    settings = load({"MODERATOR_CONFIG": str(file), "MODERATOR_MAX_BODY_BYTES": "2000"})
    assert settings["POLICY_DIR"] == str(tmp_path / "pol")  # relative to the file
    assert settings["MAX_BODY_BYTES"] == 2000  # the environment wins
    assert settings["MODELS_DIR"] == DEFAULTS["MODELS_DIR"]


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ("[moderator]\nmax_body_bytes = 'big'\n", "moderator.max_body_bytes: must be int"),
        ("[moderator]\nmax_body = 1\n", "moderator.max_body: is not a known setting"),
        ("[server]\nport = 1\n", "server: is not a known table"),
        ("[moderator\n", "is not valid UTF-8 TOML"),
    ],
)
def test_bad_config_files_name_the_key(tmp_path: Path, text: str, words: str) -> None:
    file = tmp_path / "moderator.toml"
    file.write_text(text, encoding="utf-8")
    with pytest.raises(ConfigError, match=words.replace("[", r"\[")):
        load({}, config_file=file)


def test_bad_environment_value() -> None:
    with pytest.raises(ConfigError, match="MODERATOR_MAX_BODY_BYTES='x' is not a valid int"):
        load({"MODERATOR_MAX_BODY_BYTES": "x"})


def run(*args: str, env: dict[str, str] | None = None) -> tuple[int, str]:
    result = CliRunner(env=env).invoke(main, ["config", "check", *args])
    return result.exit_code, result.output


def test_config_check_passes_on_a_valid_setup(tmp_path: Path) -> None:
    code, output = run(env={"MODERATOR_POLICY_DIR": str(FIXTURE_POLICIES),
                            "MODERATOR_MODELS_DIR": str(tmp_path)})
    assert code == 0, output
    assert "policy strict@test-1: ok" in output and "configuration ok" in output


def test_config_check_fails_on_a_broken_policy(tmp_path: Path) -> None:
    (tmp_path / "bad.toml").write_text("[policy]\nsite = 's'\n", encoding="utf-8")
    code, output = run(env={"MODERATOR_POLICY_DIR": str(tmp_path)})
    assert code == 1 and "policy.version: is required" in output


def test_config_check_fails_when_a_policy_needs_a_missing_model(tmp_path: Path) -> None:
    code, output = run(env={"MODERATOR_MODELS_DIR": str(tmp_path)})
    assert code == 1 and "propaganda" in output
