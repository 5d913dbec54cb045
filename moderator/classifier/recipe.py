"""One training run end to end: data -> fitted pipeline -> model directory with its card."""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from moderator.classifier.data import licences_for, load_csvs
from moderator.classifier.evaluate import loso, loso_targets
from moderator.classifier.metrics import loso_markdown
from moderator.classifier.model import save_model
from moderator.classifier.train import Params, fit

log = logging.getLogger(__name__)

def version_name(out: Path) -> str:
    """`models/propaganda/2026.11.25` -> `propaganda/2026.11.25`."""
    return f"{out.parent.name}/{out.name}"


def train_and_save(
    paths: Sequence[Path],
    out: Path,
    params: Params,
    with_loso: bool = False,
    progress: Callable[[str], None] | None = None,
) -> dict[str, Any]:
    """Train on `paths`, optionally run LOSO, write `out/model.npz` and `out/card.json`."""
    say = progress or (lambda _msg: None)
    data = load_csvs(paths)
    say(f"loaded {len(data)} rows from {len(paths)} files")
    fitted = fit(data, params)
    say(f"fitted on {fitted.train_rows} rows, validated on {fitted.validation_rows}")
    card: dict[str, Any] = {
        "name": out.parent.name,
        "version": version_name(out),
        "task": "probability that a comment is extremist propaganda "
                "(recruitment, incitement, glorification); discussion is a negative",
        "recipe": "hashed word 1-2 grams + char_wb 2-5 grams, sublinear TF-IDF per block, "
                  "logistic regression (balanced classes), Platt calibration on validation"
                  + (", shared concept tokens from the incitement lexicons in the word block "
                     "(features.concepts)" if params.concepts else "")
                  + (", stance cue tokens (quoted/reported speech, imperatives, "
                     "condemnation) in the word block (features.stance)"
                     if params.stance else ""),
        "languages": "trained on English mostly; Russian has 13 propaganda rows and Kazakh "
                     "none, so ru/kk calls to violence are covered by the incitement rules",
        "hyperparameters": params.to_dict(),
        "thresholds": fitted.thresholds,
        "threshold_rule": {
            "review": f"lowest score that flags at most {params.review_share:.2%} of "
                      "validation negatives, each source weighted equally",
            "reject": f"lowest score that flags at most {params.reject_share:.2%} of "
                      "validation negatives, each source weighted equally",
            "recall_at_review": fitted.metrics["review"]["recall"],
            "recall_at_reject": fitted.metrics["reject"]["recall"],
        },
        "data": {
            "files": data.files,
            "train_rows": fitted.train_rows,
            "validation_rows": fitted.validation_rows,
            "licences": licences_for(paths),
        },
        "metrics": {"random_split_validation": fitted.metrics},
    }
    if with_loso:
        say("leave-one-source-out: one fit per source")
        rows = loso(data, params, progress=say)
        card["metrics"]["leave_one_source_out"] = rows
        card["metrics"]["leave_one_source_out_markdown"] = loso_markdown(rows)
        card["metrics"]["leave_one_source_out_missed_targets"] = loso_targets(rows)
    save_model(fitted.model, card, out)
    return card
