"""`moderator labels export` and `moderator store purge` against both databases."""

from __future__ import annotations

from pathlib import Path

from click.testing import CliRunner

from moderator.classifier.data import load_csvs
from moderator.cli import main
from moderator.store import Store

TRICKY = 'He said, "join us"\nnext line, и ещё'


def test_labels_export_writes_the_shared_data_format(store: Store, database_url: str,
                                                     tmp_path: Path) -> None:
    store.add_label(TRICKY, "propaganda", "en", "alice")
    store.add_label("plain", "other", None, "bob")
    out = tmp_path / "labels.csv"
    result = CliRunner().invoke(main, ["labels", "export", "--out", str(out)],
                                env={"MODERATOR_DATABASE_URL": database_url,
                                     "MODERATOR_HASH_KEY": "ab" * 16})
    assert result.exit_code == 0, result.output
    raw = out.read_bytes()
    assert raw.startswith(b"text,label,source,lang\r\n")
    assert raw.endswith(b"plain,other,moderator_api,und\r\n")
    assert b'"He said, ""join us""\nnext line, \xd0\xb8' in raw  # quoted, newline kept inside
    data = load_csvs([out])  # the trainer reads it as it reads the shared data
    assert data.texts == [TRICKY, "plain"] and data.labels == ["propaganda", "other"]


def test_store_purge_command(store: Store, database_url: str) -> None:
    env = {"MODERATOR_DATABASE_URL": database_url, "MODERATOR_HASH_KEY": "ab" * 16}
    result = CliRunner().invoke(main, ["store", "purge"], env=env)  # the default: 90 days
    assert result.exit_code == 0 and "purged the text of 0" in result.output
    result = CliRunner().invoke(main, ["store", "purge"],
                                env={**env, "MODERATOR_RETENTION_DAYS": "0"})
    assert result.exit_code == 1 and "retention is off" in result.output
    result = CliRunner().invoke(main, ["store", "purge", "--days", "0"], env=env)
    assert result.exit_code == 0 and "purged the text of 0" in result.output
