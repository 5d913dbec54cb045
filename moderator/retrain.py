"""`moderator retrain`: a candidate from base data plus moderators' labels, and a gate.

The gate compares candidate and current model on one fixed evaluation set: the base
rows that *neither* model trained on (each model's own validation fold, via its card)
plus a held-back share of the moderators' labels. Which labels are held back is a hash
of their text under a fixed seed, so a label held back once is held back on every
retrain and never leaks into training. The candidate is promoted only when no headline
metric is worse than the current model's beyond its tolerance (`TOLERANCES`).
"""

from __future__ import annotations

import csv
import json
import tempfile
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np

from moderator.classifier.data import in_fold, load_csvs
from moderator.classifier.evaluate import evaluate_model, unseen_rows
from moderator.classifier.model import Model, load_model
from moderator.classifier.recipe import train_and_save
from moderator.classifier.registry import model_dir
from moderator.classifier.train import Params
from moderator.errors import ModelError
from moderator.promotion import current_version, promote
from moderator.store import LabelRow

HOLDOUT_SEED = "moderator-labels-holdout-v1"
HOLDOUT_FRACTION = 0.3
#: Headline metric -> (higher is better, tolerance in absolute units). About two standard
#: errors of each metric on an evaluation set of a few thousand rows: a smaller margin
#: would refuse candidates for noise, a larger one would let a real regression through.
#: FPRs get half the margin of recall because their budgets are tiny (0.5% / 0.2%).
TOLERANCES: dict[str, tuple[bool, float]] = {
    "roc_auc": (True, 0.01),
    "pr_auc": (True, 0.01),
    "recall_at_1pct_fpr": (True, 0.02),
    "review.recall": (True, 0.02),
    "review.fpr_discusses": (False, 0.005),
    "review.fpr_other": (False, 0.005),
}
LABEL_FILE = "moderator_labels.csv"
HELD_BACK_FILE = "moderator_labels_held_back.csv"


@dataclass(frozen=True)
class RetrainResult:
    version: str
    path: Path
    promoted: bool
    report: dict[str, Any]


def split_labels(rows: Iterable[LabelRow]) -> tuple[list[LabelRow], list[LabelRow]]:
    """(for training, held back for evaluation), decided by a fixed hash of the text."""
    train: list[LabelRow] = []
    held: list[LabelRow] = []
    for row in rows:
        (held if in_fold(row.text, HOLDOUT_SEED, HOLDOUT_FRACTION) else train).append(row)
    return train, held


def write_labels_csv(rows: Iterable[LabelRow], path: Path) -> int:
    """The shared data format: text,label,source,lang, RFC 4180 with CRLF line ends."""
    n = 0
    with path.open("w", encoding="utf-8", newline="") as fh:
        writer = csv.writer(fh, lineterminator="\r\n")
        writer.writerow(["text", "label", "source", "lang"])
        for row in rows:
            writer.writerow([row.text, row.label, row.source, row.lang])
            n += 1
    return n


def _metric(block: Mapping[str, Any], key: str) -> float | None:
    value: Any = block
    for part in key.split("."):
        value = value.get(part) if isinstance(value, Mapping) else None
    return None if value is None else float(value)


def gate(current: Mapping[str, Any] | None, candidate: Mapping[str, Any],
         tolerances: Mapping[str, tuple[bool, float]] = TOLERANCES) -> dict[str, Any]:
    """Per-metric comparison and the overall verdict: promote, or refuse with reasons."""
    checks = []
    for key, (higher, tol) in tolerances.items():
        new = _metric(candidate, key)
        old = _metric(current, key) if current is not None else None
        if old is None or new is None:
            ok, delta = True, None  # nothing to compare (no current model, or one class only)
        else:
            delta = round(new - old, 4)
            ok = new >= old - tol if higher else new <= old + tol
        checks.append({"metric": key, "current": old, "candidate": new, "delta": delta,
                       "better": "higher" if higher else "lower", "tolerance": tol, "ok": ok})
    failed = [c["metric"] for c in checks if not c["ok"]]
    return {"decision": "refuse" if failed else "promote", "worse_beyond_tolerance": failed,
            "checks": checks}


def _markdown(report: Mapping[str, Any]) -> str:
    lines = [f"# Retrain {report['candidate']} vs {report['current'] or '(none)'}", "",
             f"Evaluation set: {report['evaluation']['rows']} rows "
             f"({report['evaluation']['held_back_labels']} held-back moderator labels).", "",
             f"**Decision: {report['gate']['decision']}**", "",
             "| metric | current | candidate | delta | tolerance | ok |",
             "| --- | ---: | ---: | ---: | ---: | --- |"]
    for c in report["gate"]["checks"]:
        lines.append(f"| {c['metric']} ({c['better']} is better) | {c['current']} "
                     f"| {c['candidate']} | {c['delta']} | {c['tolerance']} "
                     f"| {'yes' if c['ok'] else 'NO'} |")
    return "\n".join(lines) + "\n"


def evaluate_pair(current: Model | None, candidate: Model, paths: Sequence[Path]
                  ) -> tuple[dict[str, Any] | None, dict[str, Any], int]:
    """Both models on exactly the same rows: those neither of them trained on."""
    data = load_csvs(paths)
    keep, _ = unseen_rows(candidate, data)
    if current is not None:
        keep &= unseen_rows(current, data)[0]
    rows = data.subset(np.asarray(keep).tolist())
    if not len(rows):
        raise ModelError("the evaluation set is empty: no rows either model left unseen")
    new = evaluate_model(candidate, rows, include_training_rows=True)
    old = evaluate_model(current, rows, include_training_rows=True) if current else None
    return old, new, len(rows)


def retrain(base_paths: Sequence[Path], labels: Iterable[LabelRow], models_dir: Path,
            name: str = "propaganda", params: Params | None = None, *,
            version: str | None = None, auto_promote: bool = True,
            tolerances: Mapping[str, tuple[bool, float]] = TOLERANCES,
            progress: Callable[[str], None] | None = None) -> RetrainResult:
    """Train a candidate, compare it with the current model, promote it if the gate allows."""
    say = progress or (lambda _msg: None)
    version = version or datetime.now(UTC).strftime("%Y.%m.%d-%H%M%S")
    out = model_dir(models_dir, name, version)
    if out.exists():
        raise ModelError(f"{out} already exists")
    train_rows, held_rows = split_labels(labels)
    running = current_version(models_dir, name)
    current = load_model(model_dir(models_dir, name, running)) if running else None
    with tempfile.TemporaryDirectory(prefix="moderator-retrain-") as tmp:
        train_paths, eval_paths = list(base_paths), list(base_paths)
        if train_rows:
            write_labels_csv(train_rows, Path(tmp) / LABEL_FILE)
            train_paths.append(Path(tmp) / LABEL_FILE)
        if held_rows:
            write_labels_csv(held_rows, Path(tmp) / HELD_BACK_FILE)
            eval_paths.append(Path(tmp) / HELD_BACK_FILE)
        say(f"training {name}/{version} on {len(train_paths)} files "
            f"({len(train_rows)} moderator labels, {len(held_rows)} held back)")
        train_and_save(sorted(train_paths), out, params or Params(), progress=say)
        candidate = load_model(out)
        old, new, n_rows = evaluate_pair(current, candidate, eval_paths)
    verdict = gate(old, new, tolerances)
    report = {
        "candidate": candidate.version, "current": current.version if current else None,
        "evaluation": {"rows": n_rows, "held_back_labels": len(held_rows),
                       "held_back_seed": HOLDOUT_SEED, "held_back_fraction": HOLDOUT_FRACTION,
                       "labels_trained_on": len(train_rows)},
        "gate": verdict, "decision": verdict["decision"],
        "metrics": {"current": old, "candidate": new},
    }
    (out / "comparison.json").write_text(json.dumps(report, indent=2, ensure_ascii=False) + "\n",
                                         encoding="utf-8")
    (out / "comparison.md").write_text(_markdown(report), encoding="utf-8")
    promoted = verdict["decision"] == "promote" and auto_promote
    if promoted:
        promote(models_dir, name, version)
    return RetrainResult(version, out, promoted, report)
