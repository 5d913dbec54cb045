"""Configuration layers and `moderator config check`."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from moderator.cli import main
from moderator.http.config import DEFAULTS, ConfigError, load

REPO = Path(__file__).resolve().parents[1]
FIXTURE_POLICIES = REPO / "tests" / "fixtures" / "policies"
ALICE = "alice-secret-0123456789"


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


def valid_env(tmp_path: Path) -> dict[str, str]:
    return {"MODERATOR_POLICY_DIR": str(FIXTURE_POLICIES), "MODERATOR_MODELS_DIR": str(tmp_path),
            "MODERATOR_DATABASE_URL": f"sqlite:///{tmp_path / 'store.sqlite3'}",
            "MODERATOR_HASH_KEY": "ab" * 16, "MODERATOR_ADMIN_KEYS": f"alice={ALICE}"}


def test_config_check_passes_on_a_valid_setup(tmp_path: Path) -> None:
    code, output = run(env=valid_env(tmp_path))
    assert code == 0, output
    assert "policy strict@test-1: ok" in output and "configuration ok" in output
    assert "admin keys: ok (alice)" in output and "store: ok" in output


def test_config_check_refuses_the_admin_keys_the_server_refuses(tmp_path: Path) -> None:
    from moderator.auth import AdminKeyError
    from moderator.http import create_app

    env = {**valid_env(tmp_path), "MODERATOR_ADMIN_KEYS": f"alice={ALICE}, bob=too-short"}
    with pytest.raises(AdminKeyError):  # what serving does with it
        create_app({key.removeprefix("MODERATOR_"): value for key, value in env.items()})
    code, output = run(env=env)
    assert code == 1 and "configuration ok" not in output
    assert "MODERATOR_ADMIN_KEYS" in output and "admin key #2 is shorter than 16" in output


def test_config_check_refuses_the_akismet_keys_the_server_refuses(tmp_path: Path) -> None:
    env = {**valid_env(tmp_path), "MODERATOR_AKISMET_KEYS": "abcdefghijkl=strict"}
    code, output = run(env=env)
    assert code == 0 and "akismet keys: 1" in output, output
    env["MODERATOR_AKISMET_KEYS"] = "abcdefghijkl=nowhere"
    code, output = run(env=env)
    assert code == 1 and "MODERATOR_AKISMET_KEYS" in output and "'nowhere'" in output
    assert "abcdefghijkl" not in output


def test_config_check_refuses_the_widget_origins_the_server_refuses(tmp_path: Path) -> None:
    from moderator.http import create_app
    from moderator.http.widget import WidgetOriginsError

    env = {**valid_env(tmp_path), "MODERATOR_WIDGET_ORIGINS": "https://news.example, *"}
    code, output = run(env=env)
    assert code == 0 and "widget origins: *, https://news.example" in output, output
    env["MODERATOR_WIDGET_ORIGINS"] = "https://news.example/articles"
    with pytest.raises(WidgetOriginsError):  # what serving does with it
        create_app({key.removeprefix("MODERATOR_"): value for key, value in env.items()})
    code, output = run(env=env)
    assert code == 1 and "MODERATOR_WIDGET_ORIGINS" in output
    assert "'https://news.example/articles' is not an origin" in output


@pytest.mark.parametrize(("url", "words"), [
    ("postgresql+psycopg://postgres@127.0.0.1:1/test", "Connection refused"),
    ("sqlite:////proc/no-such-dir/store.sqlite3", ""),
    ("mysql://user@localhost/db", "ModuleNotFoundError"),
])
def test_config_check_fails_on_an_unusable_database(tmp_path: Path, url: str,
                                                    words: str) -> None:
    code, output = run(env={**valid_env(tmp_path), "MODERATOR_DATABASE_URL": url})
    assert code == 1 and "configuration ok" not in output
    assert "MODERATOR_DATABASE_URL" in output and words in output


def test_config_check_fails_on_a_corrupt_sqlite_file(tmp_path: Path) -> None:
    env = valid_env(tmp_path)
    (tmp_path / "store.sqlite3").write_bytes(b"not a database" * 100)
    code, output = run(env=env)
    assert code == 1 and "MODERATOR_DATABASE_URL" in output and "not a database" in output


def test_config_check_fails_on_a_short_hash_key(tmp_path: Path) -> None:
    code, output = run(env={**valid_env(tmp_path), "MODERATOR_HASH_KEY": "short"})
    assert code == 1 and "MODERATOR_HASH_KEY" in output and "16 bytes" in output


def test_config_check_hides_the_database_password(tmp_path: Path) -> None:
    code, output = run(env={**valid_env(tmp_path), "MODERATOR_DATABASE_URL":
                            "postgresql+psycopg://postgres:hunter2@127.0.0.1:1/test"})
    assert code == 1 and "hunter2" not in output and "***" in output


def test_config_check_fails_on_a_broken_policy(tmp_path: Path) -> None:
    (tmp_path / "bad.toml").write_text("[policy]\nsite = 's'\n", encoding="utf-8")
    code, output = run(env={**valid_env(tmp_path), "MODERATOR_POLICY_DIR": str(tmp_path)})
    assert code == 1 and "policy.version: is required" in output


def test_config_check_fails_when_a_policy_needs_a_missing_model(tmp_path: Path) -> None:
    env = {**valid_env(tmp_path), "MODERATOR_POLICY_DIR": str(REPO / "rules" / "policies")}
    code, output = run(env=env)
    assert code == 1 and "propaganda" in output


def test_config_check_reports_a_schema_the_start_up_will_migrate(tmp_path: Path) -> None:
    from moderator.store import make_engine, upgrade

    env = valid_env(tmp_path)
    engine = make_engine(env["MODERATOR_DATABASE_URL"])
    upgrade(engine, "0001")  # a database from the previous release
    engine.dispose()
    code, output = run(env=env)
    assert code == 0, output
    assert "schema at 0001; start-up migrates it" in output
    run_ok = CliRunner(env=env).invoke(main, ["store", "purge"])  # any store use migrates
    assert run_ok.exit_code == 0, run_ok.output
    code, output = run(env=env)
    assert "schema at head" in output


def test_config_check_refuses_a_schema_from_a_newer_version(tmp_path: Path) -> None:
    from sqlalchemy import text

    from moderator.store import make_engine, upgrade

    env = valid_env(tmp_path)
    engine = make_engine(env["MODERATOR_DATABASE_URL"])
    upgrade(engine)
    with engine.begin() as conn:
        conn.execute(text("UPDATE alembic_version SET version_num = '9999'"))
    engine.dispose()
    code, output = run(env=env)
    assert code == 1 and "MODERATOR_DATABASE_URL" in output and "'9999'" in output


def test_config_check_reports_where_flood_counters_live(tmp_path: Path) -> None:
    from moderator.servertest import free_port

    code, output = run(env=valid_env(tmp_path))
    assert code == 0 and "flood counters: memory (per worker" in output
    closed = f"redis://:hunter2@127.0.0.1:{free_port()}/0"
    code, output = run(env={**valid_env(tmp_path), "MODERATOR_REDIS_URL": closed})
    assert code == 0, output  # serving starts too: comments get on_flood_error
    assert "does not answer" in output and "hunter2" not in output


def test_config_check_refuses_a_redis_url_the_server_refuses(tmp_path: Path) -> None:
    code, output = run(env={**valid_env(tmp_path), "MODERATOR_REDIS_URL": "mysql://x:hunter3@h/db"})
    assert code == 1 and "MODERATOR_REDIS_URL" in output and "hunter3" not in output


def test_config_check_pings_redis(tmp_path: Path, redis_prefix: tuple[str, str]) -> None:
    code, output = run(env={**valid_env(tmp_path), "MODERATOR_REDIS_URL": redis_prefix[0]})
    assert code == 0 and "flood counters: ok (redis://" in output


@pytest.mark.parametrize(("coral", "code", "words"), [
    ({}, 0, "coral: off"),
    ({"MODERATOR_CORAL_SECRETS": f"t1={ALICE}|{ALICE[::-1]}",
      "MODERATOR_CORAL_SITES": "site-1=strict"}, 0, "coral: ok (1 tenant(s), 2 secret(s)"),
    ({"MODERATOR_CORAL_SECRETS": "t1=short"}, 1, "MODERATOR_CORAL_SECRETS"),
    ({"MODERATOR_CORAL_SITES": "site-1=nowhere"}, 1, "'nowhere', which no policy has"),
])
def test_config_check_reads_the_coral_settings_as_the_server_does(
        tmp_path: Path, coral: dict[str, str], code: int, words: str) -> None:
    exit_code, output = run(env={**valid_env(tmp_path), **coral})
    assert exit_code == code and words in output, output
    assert "=short" not in output


def test_config_check_refuses_the_webhook_secrets_the_server_refuses(tmp_path: Path) -> None:
    import shutil

    from moderator.http import create_app
    from moderator.http.config import ConfigError as ServerConfigError
    from tests.webhooks.conftest import write_policy

    policies = write_policy(tmp_path / "policies", "https://news.example/hooks/m?token=abc")
    shutil.copy(FIXTURE_POLICIES / "strict.toml", policies)
    secret = "news-webhook-secret-0123456789"
    env = {**valid_env(tmp_path), "MODERATOR_POLICY_DIR": str(policies),
           "MODERATOR_WEBHOOK_SECRETS": f"news={secret}"}
    code, output = run(env=env)
    assert code == 0 and "webhooks: ok (news -> https://news.example)" in output, output
    assert "token=abc" not in output and secret not in output
    for raw, words in ((f"news={secret},nwes={secret}", "'nwes', which no policy has"),
                       ("news=short", "shorter than 16"), ("", "'news' has an enabled")):
        env["MODERATOR_WEBHOOK_SECRETS"] = raw
        code, output = run(env=env)
        assert code == 1 and "MODERATOR_WEBHOOK_SECRETS" in output and words in output, output
        assert secret not in output
    env["MODERATOR_WEBHOOK_SECRETS"] = f"nwes={secret}"
    with pytest.raises(ServerConfigError, match="no policy has"):  # what serving does with it
        create_app({key.removeprefix("MODERATOR_"): value for key, value in env.items()})
