"""Moderators' and operators' commands: models, labels, retrain, store, admin keys.

Settings come from the same layers as the server (`moderator.http.config.load`:
defaults, MODERATOR_CONFIG file, MODERATOR_* variables), so a command run beside a
server talks to the same database and the same models folder.
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path
from typing import Any

import click

from moderator.errors import ModeratorError
from moderator.paths import PROJECT_ROOT

DEFAULT_NAME = "propaganda"


def _settings() -> dict[str, Any]:
    from moderator.http.config import load

    try:
        return load()
    except ModeratorError as exc:
        raise click.ClickException(str(exc)) from exc


def _models_dir(option: Path | None) -> Path:
    return option if option is not None else Path(_settings()["MODELS_DIR"])


_models_option = click.option("--models", "models_dir", type=click.Path(path_type=Path),
                              default=None, help="Models folder (default: MODERATOR_MODELS_DIR).")
_name_option = click.option("--name", default=DEFAULT_NAME, show_default=True)


@click.group()
def models() -> None:
    """List, promote and roll back model versions (servers follow within a second)."""


@models.command("list")
@_models_option
@_name_option
@click.option("--json", "as_json", is_flag=True)
def list_models(models_dir: Path | None, name: str, as_json: bool) -> None:
    """Every version, oldest first; * marks the one servers run."""
    from moderator.promotion import list_versions

    rows = list_versions(_models_dir(models_dir), name)
    if as_json:
        click.echo(json.dumps(rows, indent=2))
        return
    for r in rows:
        click.echo(f"{'*' if r['current'] else ' '} {r['version']:<24} {r['created']}  "
                   f"roc_auc={r['roc_auc']}  gate={r['gate'] or '-'}")


@models.command("promote")
@click.argument("version")
@_models_option
@_name_option
def promote_model(version: str, models_dir: Path | None, name: str) -> None:
    """Verify VERSION loads, then make it the current model."""
    from moderator.promotion import promote

    try:
        previous = promote(_models_dir(models_dir), name, version)
    except ModeratorError as exc:
        raise click.ClickException(str(exc)) from exc
    click.echo(f"{name}: {previous or '(none)'} -> {version}")


@models.command("rollback")
@_models_option
@_name_option
def rollback_model(models_dir: Path | None, name: str) -> None:
    """Return to the version promoted before the current one."""
    from moderator.promotion import rollback

    try:
        undone, target = rollback(_models_dir(models_dir), name)
    except ModeratorError as exc:
        raise click.ClickException(str(exc)) from exc
    click.echo(f"{name}: {undone} -> {target}")


def _open_store() -> Any:
    from moderator.store import open_store

    try:
        return open_store(_settings())
    except ModeratorError as exc:
        raise click.ClickException(str(exc)) from exc


@click.group()
def labels() -> None:
    """Labels from moderators' decisions and POST /v1/labels."""


@labels.command("export")
@click.option("--out", required=True, type=click.Path(dir_okay=False, path_type=Path))
def export_labels(out: Path) -> None:
    """Write the labels that train as CSV in the shared data format (flagged ones left out)."""
    from moderator.retrain import write_labels_csv

    store = _open_store()
    tmp = out.with_name(out.name + ".tmp")
    try:
        n = write_labels_csv(store.labels(), tmp)
        os.replace(tmp, out)
    finally:
        store.close()
    click.echo(f"{n} labels -> {out}", err=True)


def _label_line(record: Any) -> str:
    """One label on one line: the start of its text with line breaks shown as spaces."""
    text = " ".join(record.text.split())
    text = text if len(text) <= 60 else text[:59] + "…"
    score = "-" if record.flag_score is None else f"{record.flag_score:.3f}"
    return (f"{record.id:>7}  {record.status:<9}  {record.label:<10}  {record.lang:<3}  "
            f"{record.site or '-':<12}  {score:>5}  {text}")


@labels.command("list")
@click.option("--flagged", is_flag=True, help="Only labels the cross-check flagged.")
@click.option("--site", default=None, help="Only labels from this site's review queue.")
@click.option("--limit", type=click.IntRange(1, 10_000), default=200, show_default=True)
@click.option("--json", "as_json", is_flag=True, help="Full records (text included) as JSON.")
def list_labels(flagged: bool, site: str | None, limit: int, as_json: bool) -> None:
    """Labels oldest first: id, status, label, language, site, flag score, text."""
    st = _open_store()
    try:
        records, _ = st.list_labels(site, "flagged" if flagged else None, limit)
    finally:
        st.close()
    if as_json:
        click.echo(json.dumps([r.to_dict() for r in records], indent=2, ensure_ascii=False))
        return
    for record in records:
        click.echo(_label_line(record))
    if len(records) == limit:
        click.echo(f"(first {limit}; pass --limit for more)", err=True)


def _label_id(raw: str) -> int:
    if not raw.isascii() or not raw.isdigit() or not 0 < int(raw) < 2**62:
        raise click.BadParameter(f"{raw!r} is not a label id (a positive integer)")
    return int(raw)


@labels.command("delete")
@click.argument("label_ids", nargs=-1, required=True)
def delete_label(label_ids: tuple[str, ...]) -> None:
    """Delete labels for good: no later model trains on them."""
    from moderator.store import LabelNotFound

    idents = [_label_id(raw) for raw in label_ids]
    st = _open_store()
    try:
        for ident in idents:
            st.delete_label(ident)
            click.echo(f"label {ident} deleted")
    except LabelNotFound as exc:
        raise click.ClickException(str(exc)) from exc
    finally:
        st.close()


@labels.command("confirm")
@click.argument("label_ids", nargs=-1, required=True)
@click.option("--by", "moderator", default=None,
              help="Who confirms (default: cli:<user name>).")
def confirm_label(label_ids: tuple[str, ...], moderator: str | None) -> None:
    """Confirm labels after a second look: they train again and are never flagged again."""
    import getpass

    from moderator.store import LabelNotFound

    idents = [_label_id(raw) for raw in label_ids]
    who = moderator or f"cli:{getpass.getuser()}"
    st = _open_store()
    try:
        for ident in idents:
            record = st.confirm_label(ident, who)
            click.echo(f"label {record.id} confirmed by {record.confirmed_by}")
    except LabelNotFound as exc:
        raise click.ClickException(str(exc)) from exc
    finally:
        st.close()


def _data_paths(data: Path | None) -> list[Path]:
    folder = data or Path(os.environ.get("MODERATOR_SHARED_DATA")
                          or PROJECT_ROOT.parent / "shared" / "data")
    paths = sorted(folder.glob("*.csv")) if folder.is_dir() else [folder]
    if not paths or not all(p.is_file() for p in paths):
        raise click.ClickException(f"no labelled CSV files at {folder} (use --data)")
    return paths


@click.command()
@click.option("--data", type=click.Path(exists=True, path_type=Path), default=None,
              help="Base data: a folder of CSVs or one CSV (default: MODERATOR_SHARED_DATA).")
@_models_option
@_name_option
@click.option("--version", default=None, help="Candidate version (default: a UTC timestamp).")
@click.option("--promote/--no-promote", "auto_promote", default=True, show_default=True,
              help="Promote the candidate when the gate allows it.")
@click.option("--cross-check/--no-cross-check", "check_labels", default=True,
              show_default=True,
              help="Flag labels a cross-validated model strongly disagrees with.")
def retrain(data: Path | None, models_dir: Path | None, name: str, version: str | None,
            auto_promote: bool, check_labels: bool) -> None:
    """Train a candidate on base data + stored labels; promote it only if the gate passes.

    Labels a cross-validated model strongly disagrees with are flagged and left out
    until a moderator confirms them; this run's held-back fold of labels rotates.
    """
    from moderator.labels import FOLDS
    from moderator.retrain import retrain as run
    from moderator.store import LABEL_STATUSES

    store = _open_store()
    try:
        run_id, fold = store.start_retrain_run(FOLDS)
        given = list(store.labels(LABEL_STATUSES))  # flagged ones are counted, not trained
        result = run(_data_paths(data), given, _models_dir(models_dir), name,
                     version=version, auto_promote=auto_promote, held_fold=fold,
                     folds=FOLDS, check_labels=check_labels, on_flagged=store.flag_labels,
                     progress=lambda m: click.echo(m, err=True))
        store.finish_retrain_run(run_id, result.report["candidate"], result.report["decision"])
    except ModeratorError as exc:
        raise click.ClickException(str(exc)) from exc
    finally:
        store.close()
    click.echo((result.path / "comparison.md").read_text(encoding="utf-8"))
    click.echo(f"report: {result.path / 'comparison.json'}")
    click.echo(f"{'promoted' if result.promoted else 'not promoted'}: {name}/{result.version}")
    if result.report["decision"] != "promote":
        sys.exit(3)


@click.group()
def store() -> None:
    """The review queue's database."""


@store.command("purge")
@click.option("--days", type=click.IntRange(0), default=None,
              help="Default: MODERATOR_RETENTION_DAYS (90).")
def purge(days: int | None) -> None:
    """Remove the text of comments decided more than N days ago (pending ones and labels stay)."""
    if days is None:
        days = int(_settings().get("RETENTION_DAYS") or 0)
        if days == 0:
            raise click.ClickException("retention is off (MODERATOR_RETENTION_DAYS=0): "
                                       "pass --days")
    st = _open_store()
    try:
        click.echo(f"purged the text of {st.purge(int(days))} decided comments")
    finally:
        st.close()


@click.group()
def admin() -> None:
    """Admin API keys."""


@admin.command("hash-key")
@click.option("--name", default=None, help="Who the key belongs to (recorded on decisions).")
def hash_key(name: str | None) -> None:
    """Read a key on stdin; print the entry to put in admin_keys instead of the key."""
    from moderator.auth import MIN_KEY_LENGTH, hash_entry

    secret = sys.stdin.readline().strip()
    if len(secret) < MIN_KEY_LENGTH:
        raise click.ClickException(f"a key needs at least {MIN_KEY_LENGTH} characters")
    click.echo(hash_entry(secret, name))


COMMANDS: list[click.Command] = [models, labels, retrain, store, admin]
