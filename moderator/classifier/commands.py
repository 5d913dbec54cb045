"""Click commands for training, evaluating and scoring models.

Output goes to stdout as JSON or short summaries; comment text never reaches logs.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import click

from moderator.classifier.registry import DEFAULT_NAME, resolve_current, set_current
from moderator.errors import ModeratorError
from moderator.paths import DEFAULT_MODELS_DIR

_data_option = click.option(
    "--data", "data_paths", multiple=True, required=True,
    type=click.Path(exists=True, path_type=Path),
    help="Labelled CSV (text,label,source,lang) or a directory of them; repeatable.",
)


def _csvs(paths: tuple[Path, ...]) -> list[Path]:
    """Expand directories to their *.csv files; sorted so the order never depends on argv."""
    out: set[Path] = set()
    for path in paths:
        out.update(path.glob("*.csv") if path.is_dir() else [path])
    if not out:
        raise click.BadParameter("no CSV files found", param_hint="--data")
    return sorted(out)


def _model_dir(model: Path | None) -> Path:
    return model if model is not None else resolve_current(DEFAULT_MODELS_DIR, DEFAULT_NAME)


def _fail(exc: ModeratorError) -> None:
    raise click.ClickException(str(exc)) from exc


@click.command()
@_data_option
@click.option("--out", required=True, type=click.Path(file_okay=False, path_type=Path),
              help="Model directory, models/<name>/<version>.")
@click.option("--loso/--no-loso", default=False,
              help="Also run leave-one-source-out and put its table in the card.")
@click.option("--promote", is_flag=True, help="Point models/<name>/CURRENT at this version.")
def train(data_paths: tuple[Path, ...], out: Path, loso: bool, promote: bool) -> None:
    """Train the propaganda classifier and write model.npz + card.json."""
    from moderator.classifier.recipe import train_and_save
    from moderator.classifier.train import Params

    def say(msg: str) -> None:
        click.echo(msg, err=True)

    try:
        card = train_and_save(_csvs(data_paths), out, Params(), with_loso=loso, progress=say)
        if promote:
            set_current(out.parent.parent, out.parent.name, out.name)
    except ModeratorError as exc:
        _fail(exc)
    metrics = card["metrics"]["random_split_validation"]
    click.echo(json.dumps({
        "model": card["version"], "thresholds": card["thresholds"],
        "validation_roc_auc": metrics["roc_auc"],
        "validation_recall_at_1pct_fpr": metrics["recall_at_1pct_fpr"],
    }))
    if loso:
        click.echo(card["metrics"]["leave_one_source_out_markdown"])


@click.command()
@click.option("--model", type=click.Path(file_okay=False, exists=True, path_type=Path),
              help="Model directory (default: the promoted models/propaganda).")
@_data_option
@click.option("--json", "as_json", is_flag=True, help="Print the full report as JSON.")
@click.option("--include-training-rows", is_flag=True,
              help="Do not drop rows the model trained on (optimistic numbers).")
@click.option("--loso", is_flag=True,
              help="Leave-one-source-out with the training recipe instead of a saved model.")
@click.option("--baseline", is_flag=True,
              help="Train the plain scikit-learn baseline and the shipped recipe on the same "
                   "split and print them side by side (with --loso: leave-one-source-out "
                   "too).")
@click.option("--policy", "policy_path", type=click.Path(exists=True, dir_okay=False,
                                                          path_type=Path),
              help="Run the whole check of this policy file (rules and classifier) and "
                   "print catch and moderator load per source and language.")
def evaluate(model: Path | None, data_paths: tuple[Path, ...], as_json: bool,
             include_training_rows: bool, loso: bool, baseline: bool,
             policy_path: Path | None) -> None:
    """ROC-AUC, PR-AUC, precision/recall and FPR on discusses/other, per source and language.

    With --policy: the decisions of the whole policy instead of the model's scores.
    """
    from moderator.classifier import evaluate as ev
    from moderator.classifier.data import load_csvs
    from moderator.classifier.metrics import loso_markdown
    from moderator.classifier.model import load_model
    from moderator.classifier.train import Params

    try:
        data = load_csvs(_csvs(data_paths))
        if baseline:
            from moderator.classifier.sidebyside import print_tables, side_by_side

            results = side_by_side(data, with_loso=loso,
                                   say=lambda m: click.echo(m, err=True))
            if as_json:
                click.echo(json.dumps(results, indent=2))
            else:
                print_tables(results)
            return
        if loso:
            rows = ev.loso(data, Params(), progress=lambda m: click.echo(m, err=True))
            if as_json:
                click.echo(json.dumps(rows, indent=2))
            else:
                click.echo(loso_markdown(rows))
                for miss in ev.loso_targets(rows):
                    click.echo(f"missed: {miss}")
            return
        loaded = load_model(_model_dir(model))
        if policy_path is not None:
            _evaluate_policy(policy_path, loaded, data, as_json, include_training_rows)
            return
        result = ev.evaluate_model(loaded, data, include_training_rows)
    except ModeratorError as exc:
        _fail(exc)
    click.echo(json.dumps(result, indent=2) if as_json else _summary(result))


def _evaluate_policy(policy_path: Path, model: Any, data: Any, as_json: bool,
                     include_training_rows: bool) -> None:
    from moderator.classifier.evaluate import unseen_rows
    from moderator.policy.loader import load_policy
    from moderator.policy_eval import evaluate_policy, markdown

    policy = load_policy(policy_path)
    if not include_training_rows:
        keep, dropped = unseen_rows(model, data)
        data = data.subset(keep.tolist())
        click.echo(f"{len(data)} rows the model did not train on ({dropped} left out)",
                   err=True)
    result = evaluate_policy(policy, model, data,
                             progress=lambda i: click.echo(f"{i} rows", err=True))
    click.echo(json.dumps(result, indent=2) if as_json else markdown(result))


def _summary(r: dict[str, Any]) -> str:
    """A few readable lines; the full table is in --json."""
    lines = [f"model {r['model']}  thresholds {r['thresholds']}  "
             f"(dropped {r['training_rows_dropped']} training rows)",
             f"ROC-AUC {r['roc_auc']}  PR-AUC {r['pr_auc']}  "
             f"recall@1%FPR {r['recall_at_1pct_fpr']}",
             f"review {r['review']}", f"reject {r['reject']}", "per source (review):"]
    for src, block in r["by_source"].items():
        lines.append(f"  {src}: rows {block['rows']} review {block['review']}")
    return "\n".join(lines)


@click.command()
@click.option("--model", type=click.Path(file_okay=False, exists=True, path_type=Path),
              help="Model directory (default: the promoted models/propaganda).")
@click.option("--batch-size", default=256, show_default=True, type=click.IntRange(1))
def score(model: Path | None, batch_size: int) -> None:
    """Read JSON lines {"text": ...} on stdin, write {"score": ...} lines, in batches."""
    from moderator.classifier.model import load_model

    try:
        loaded = load_model(_model_dir(model))
    except ModeratorError as exc:
        _fail(exc)
    batch: list[str] = []

    def flush() -> None:
        for s in loaded.score(batch):
            sys.stdout.write(json.dumps({"score": round(s, 6)}) + "\n")
        sys.stdout.flush()
        batch.clear()

    for number, line in enumerate(sys.stdin, start=1):
        if not line.strip():
            continue
        try:
            text = json.loads(line)["text"]
        except (ValueError, KeyError, TypeError) as exc:
            raise click.ClickException(f"line {number}: expected {{\"text\": ...}}") from exc
        if not isinstance(text, str):
            raise click.ClickException(f"line {number}: \"text\" must be a string")
        batch.append(text)
        if len(batch) >= batch_size:
            flush()
    flush()


COMMANDS: list[click.Command] = [train, evaluate, score]
