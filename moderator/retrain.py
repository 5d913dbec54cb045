"""`moderator retrain`: a candidate from base data plus moderators' labels, and a gate.

Three steps, each answering a way labels went wrong before (issue #12):

1. **Cross-check** (`moderator.labels.cross_check`): k models, each trained on the base
   data and the other folds' labels, score every label; labels they strongly disagree
   with are flagged in the store and leave training until a moderator confirms them.
2. **Rotation** (`moderator.labels.rotate`): run N holds back the labels of fold N mod k
   for the label report; the rest train. Every label trains in k-1 of k runs.
3. **Gate** (`moderator.gate`): candidate and current model are scored on the training
   recipe's own validation rows of the *base* data (`validation_mask`), which no label
   can enter, and the candidate is promoted only if no base metric is worse beyond its
   tolerance. The held-back labels are reported beside it and decide nothing: the
   current model may have trained on them in an earlier run, and a candidate that
   learnt a wrong batch would agree with the rest of that batch.
"""

from __future__ import annotations

import csv
import json
import tempfile
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from moderator.classifier.data import Dataset, load_csvs
from moderator.classifier.evaluate import unseen_rows
from moderator.classifier.metrics import report as metrics_report
from moderator.classifier.model import Model, load_model
from moderator.classifier.recipe import train_and_save
from moderator.classifier.registry import model_dir
from moderator.classifier.train import Params, validation_mask
from moderator.errors import ModelError
from moderator.gate import TOLERANCES, fpr_at, gate, group_checks, recall_at_fpr_of
from moderator.labels import FLAG_SHARE, FOLDS, cross_check, rotate
from moderator.promotion import current_version, promote
from moderator.retrain_report import markdown
from moderator.store import LabelRow

__all__ = ["FOLDS", "TOLERANCES", "RetrainResult", "gate", "retrain", "write_labels_csv"]

LABEL_FILE = "moderator_labels.csv"
BATCH = 512


@dataclass(frozen=True)
class RetrainResult:
    version: str
    path: Path
    promoted: bool
    report: dict[str, Any]
    #: Label id -> cross-validated score, for the labels this run flagged.
    flagged: dict[int, float] = field(default_factory=dict)


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


def _scores(model: Model, texts: Sequence[str]) -> list[float]:
    out: list[float] = []
    for i in range(0, len(texts), BATCH):
        out.extend(model.score(texts[i : i + BATCH]))
    return out


def _metrics(model: Model, rows: Dataset, scores: Sequence[float]) -> dict[str, Any]:
    out = metrics_report(scores, rows.labels, rows.sources, rows.langs, model.thresholds)
    out["model"] = model.version
    out["thresholds"] = dict(model.thresholds)
    return out


def base_validation(base: Dataset, params: Params, current: Model | None) -> Dataset:
    """The recipe's validation rows of the base data that the current model did not train on.

    The candidate holds them out by construction (same recipe, same seed); intersecting
    with the current model's own unseen rows keeps the comparison fair when it was
    trained with another seed or validation share.
    """
    keep = validation_mask(base.texts, params)
    if current is not None:
        keep &= unseen_rows(current, base)[0]
    rows = base.subset(keep.tolist())
    if not len(rows):
        raise ModelError("the evaluation set is empty: no base validation rows")
    return rows


def compare(current: Model | None, candidate: Model, rows: Dataset
            ) -> tuple[dict[str, Any] | None, dict[str, Any], list[dict[str, Any]]]:
    """Both models' metrics on exactly `rows`, recall at one shared FPR, per-group checks.

    `recall_at_review_fpr` is each model's recall at the false-positive rate the current
    model's review threshold has on these rows (the candidate's own, with no current
    model), so a candidate cannot look better by choosing its threshold differently.
    """
    new_scores = _scores(candidate, rows.texts)
    old_scores = _scores(current, rows.texts) if current is not None else None
    new = _metrics(candidate, rows, new_scores)
    old = _metrics(current, rows, old_scores) if current is not None and old_scores is not None \
        else None
    reference, ref_scores = (current, old_scores) if old_scores is not None \
        else (candidate, new_scores)
    fpr = fpr_at(ref_scores, rows.labels, float(reference.thresholds.get("review", 1.0)))
    for block, scores in ((new, new_scores), (old, old_scores)):
        if block is not None and scores is not None:
            block["review_fpr_reference"] = None if fpr is None else round(fpr, 4)
            block["recall_at_review_fpr"] = None if fpr is None else \
                recall_at_fpr_of(scores, rows.labels, fpr)
    groups = [] if current is None or old_scores is None else group_checks(
        old_scores, new_scores, rows.labels, rows.sources,
        float(current.thresholds.get("review", 1.0)),
        float(candidate.thresholds.get("review", 1.0)))
    return old, new, groups


def label_report(current: Model | None, candidate: Model, held: Sequence[LabelRow]
                 ) -> dict[str, Any] | None:
    """Both models on the held-back labels: reported, never gated on."""
    if not held:
        return None
    rows = Dataset([r.text for r in held], [r.label for r in held],
                   [r.source for r in held], [r.lang for r in held])
    new = _metrics(candidate, rows, _scores(candidate, rows.texts))
    old = _metrics(current, rows, _scores(current, rows.texts)) if current else None
    keep = ("rows", "roc_auc", "pr_auc", "recall_at_1pct_fpr", "review", "reject")
    return {"rows": len(rows),
            "current": None if old is None else {k: old.get(k) for k in keep},
            "candidate": {k: new.get(k) for k in keep},
            "note": "not part of the gate: the current model may have trained on these "
                    "labels in an earlier run"}


def _screen(base: Dataset, labels: Sequence[LabelRow], params: Params, folds: int,
            share: float, say: Callable[[str], None]
            ) -> tuple[list[LabelRow], dict[int, float], int]:
    """(labels that may train, newly flagged id -> score, labels flagged but unstored)."""
    checks = cross_check(base, labels, params, folds, share, progress=say)
    flagged = {c.id: c.score for c in checks if c.flagged and c.id is not None}
    unstored = sum(1 for c in checks if c.flagged and c.id is None)
    keep = [labels[c.index] for c in checks if not c.flagged]
    return keep, flagged, unstored


def _in_recipe_validation(rows: Sequence[LabelRow], params: Params) -> int:
    """Labels whose text hashes into the recipe's validation share: they calibrate and set
    thresholds instead of fitting weights (docs/retraining.md)."""
    return int(validation_mask([r.text for r in rows], params).sum()) if rows else 0


def retrain(base_paths: Sequence[Path], labels: Iterable[LabelRow], models_dir: Path,
            name: str = "propaganda", params: Params | None = None, *,
            version: str | None = None, auto_promote: bool = True,
            tolerances: Mapping[str, tuple[bool, float]] = TOLERANCES,
            held_fold: int = 0, folds: int = FOLDS, check_labels: bool = True,
            flag_share: float = FLAG_SHARE,
            on_flagged: Callable[[dict[int, float]], object] | None = None,
            progress: Callable[[str], None] | None = None) -> RetrainResult:
    """Cross-check the labels, train a candidate, gate it on base rows, promote if it passes.

    `labels` with status `flagged` never train; `on_flagged` gets the labels this run
    flags (id -> score) as soon as they are known, before training starts.
    """
    say = progress or (lambda _msg: None)
    params = params or Params()
    version = version or datetime.now(UTC).strftime("%Y.%m.%d-%H%M%S")
    out = model_dir(models_dir, name, version)
    if out.exists():
        raise ModelError(f"{out} already exists")
    base_paths = sorted(base_paths)
    base = load_csvs(base_paths)
    given = list(labels)
    usable = [r for r in given if r.status != "flagged"]
    flagged: dict[int, float] = {}
    unstored = 0
    if check_labels and usable:
        usable, flagged, unstored = _screen(base, usable, params, folds, flag_share, say)
        if flagged and on_flagged is not None:
            on_flagged(flagged)
    train_rows, held_rows = rotate(usable, held_fold, folds)
    running = current_version(models_dir, name)
    current = load_model(model_dir(models_dir, name, running)) if running else None
    with tempfile.TemporaryDirectory(prefix="moderator-retrain-") as tmp:
        train_paths = list(base_paths)
        if train_rows:
            write_labels_csv(train_rows, Path(tmp) / LABEL_FILE)
            train_paths.append(Path(tmp) / LABEL_FILE)
        say(f"training {name}/{version} on {len(train_paths)} files "
            f"({len(train_rows)} moderator labels, {len(held_rows)} held back, "
            f"{len(flagged) + unstored} flagged)")
        train_and_save(sorted(train_paths), out, params, progress=say)
    candidate = load_model(out)
    rows = base_validation(base, params, current)
    old, new, groups = compare(current, candidate, rows)
    verdict = gate(old, new, tolerances, rows=new["rows"], extra=groups)
    report = {
        "candidate": candidate.version, "current": current.version if current else None,
        "evaluation": {"set": "base validation rows (the recipe's validation_mask)",
                       "rows": len(rows), "by_label": new["rows"],
                       "validation_seed": params.seed,
                       "validation_fraction": params.validation_fraction},
        "labels": {"given": len(given),
                   "flagged_before": sum(r.status == "flagged" for r in given),
                   "cross_checked": check_labels, "flag_share": flag_share,
                   "flagged_now": len(flagged) + unstored, "folds": folds,
                   "held_back_fold": held_fold % folds, "trained_on": len(train_rows),
                   "held_back": len(held_rows),
                   "in_recipe_validation": _in_recipe_validation(train_rows, params)},
        "gate": verdict, "decision": verdict["decision"],
        "metrics": {"current": old, "candidate": new},
        "label_report": label_report(current, candidate, held_rows),
    }
    (out / "comparison.json").write_text(json.dumps(report, indent=2, ensure_ascii=False) + "\n",
                                         encoding="utf-8")
    (out / "comparison.md").write_text(markdown(report), encoding="utf-8")
    promoted = verdict["decision"] == "promote" and auto_promote
    if promoted:
        promote(models_dir, name, version)
    return RetrainResult(version, out, promoted, report, flagged)
