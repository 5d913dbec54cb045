"""`moderator labels` (export, list, confirm, delete), `retrain`, `store purge`: both databases."""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner
from sqlalchemy import text

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


def _env(database_url: str) -> dict[str, str]:
    return {"MODERATOR_DATABASE_URL": database_url, "MODERATOR_HASH_KEY": "ab" * 16}


def test_labels_list_confirm_delete(store: Store, database_url: str) -> None:
    first = store.add_label("first label\nwith a line break", "propaganda", "en", "alice")
    second = store.add_label("second", "other", None, "bob")
    store.flag_labels({second: 0.93})
    runner = CliRunner()
    listed = runner.invoke(main, ["labels", "list"], env=_env(database_url))
    assert listed.exit_code == 0, listed.output
    lines = listed.output.splitlines()
    assert len(lines) == 2 and "first label with a line break" in lines[0]
    assert "flagged" in lines[1] and "0.930" in lines[1]
    flagged = runner.invoke(main, ["labels", "list", "--flagged", "--json"],
                            env=_env(database_url))
    assert [r["id"] for r in json.loads(flagged.output)] == [second]
    assert runner.invoke(main, ["labels", "list", "--site", "news"],
                         env=_env(database_url)).output == ""

    third = store.add_label("third", "other", None, "bob")
    confirmed = runner.invoke(main, ["labels", "confirm", str(second), str(third),
                                     "--by", "carol"], env=_env(database_url))
    assert confirmed.exit_code == 0 and confirmed.output.count("confirmed by carol") == 2
    assert store.get_label(second).status == "confirmed"
    runner.invoke(main, ["labels", "delete", str(third)], env=_env(database_url))
    deleted = runner.invoke(main, ["labels", "delete", str(first)], env=_env(database_url))
    assert deleted.exit_code == 0 and f"label {first} deleted" in deleted.output
    again = runner.invoke(main, ["labels", "delete", str(first)], env=_env(database_url))
    assert again.exit_code == 1 and f"no label with id {first}" in again.output
    bad = runner.invoke(main, ["labels", "confirm", "1; drop"], env=_env(database_url))
    assert bad.exit_code == 2 and "not a label id" in bad.output
    assert [r.id for r in store.labels()] == [second]


def test_retrain_command_rotates_the_fold_and_skips_flagged_labels(
        store: Store, database_url: str, sample_csvs: list[Path], tmp_path: Path) -> None:
    data = sample_csvs[0].parent
    for i in range(12):
        store.add_label(f"an ordinary remark number {i}", "other", "en", "alice")
    flagged = store.add_label("held for a second look", "other", "en", "alice")
    store.flag_labels({flagged: 0.97})
    models = tmp_path / "models"
    runner = CliRunner()
    for version in ("r1", "r2"):
        result = runner.invoke(main, ["retrain", "--data", str(data), "--models", str(models),
                                      "--version", version, "--no-promote"],
                               env=_env(database_url))
        assert result.exit_code in (0, 3), result.output
        report = json.loads((models / "propaganda" / version / "comparison.json")
                            .read_text(encoding="utf-8"))
        assert report["labels"]["given"] == 13 and report["labels"]["flagged_before"] == 1
        assert report["labels"]["trained_on"] + report["labels"]["held_back"] + \
            report["labels"]["flagged_now"] == 12
    with store.engine.connect() as conn:
        runs = conn.execute(text("SELECT fold, candidate, decision FROM retrain_runs "
                                 "ORDER BY id")).all()
    assert [(fold, candidate) for fold, candidate, _ in runs] == \
        [(0, "propaganda/r1"), (1, "propaganda/r2")]
    assert all(decision in ("promote", "refuse") for _, _, decision in runs)
