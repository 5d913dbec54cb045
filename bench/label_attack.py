"""The label attack of issue #12 item 6, on a small sample: does the retrain gate hold?

Base data: the first 300 rows per label of four sources (Fifth Tribe recruitment tweets,
CrisisLex and PHEME news tweets, SFU comments), written to a temporary folder. The current
model is trained on it; then `moderator.retrain.retrain` runs with 300 Fifth Tribe tweets
the sample does not hold, labelled by one key:

* `attack`: as `other` (the issue's attack), cross-check off, so the gate alone decides;
* `attack-checked`: the same with the cross-check on (how many are flagged);
* `honest`: as `propaganda`.

It prints, for each, the decision and the gate's checks that moved, the held-back labels'
numbers (which the old gate decided on), and the mean score both models give 100 of the
attack texts. Data is read at run time from $MODERATOR_SHARED_DATA or ../shared/data and
stays in a temporary folder; nothing is written into the repository.

    .venv/bin/python bench/label_attack.py
"""

from __future__ import annotations

import csv
import os
import sys
import tempfile
from dataclasses import replace
from pathlib import Path

from moderator.classifier.model import load_model
from moderator.classifier.recipe import train_and_save
from moderator.classifier.train import Params
from moderator.promotion import promote
from moderator.retrain import retrain
from moderator.store import LabelRow

REPO = Path(__file__).resolve().parent.parent
FILES = ("fifthtribe_isis_tweets", "crisislex_tweets", "sfu_ctc_comments",
         "pheme_terror_tweets")
PER_LABEL = 300
ATTACK_ROWS = 300
#: As in tests/test_retrain.py: review budgets a few hundred validation rows can resolve.
PARAMS = replace(Params(n_features=1 << 16, max_iter=100), review_share=0.02,
                 reject_share=0.005)


def sample(shared: Path, out: Path) -> tuple[list[Path], list[str]]:
    """The base sample's files, and recruitment tweets beyond it."""
    paths, extra = [], []
    for name in FILES:
        seen: dict[str, int] = {}
        rows = []
        with (shared / f"{name}.csv").open(encoding="utf-8", newline="") as fh:
            for row in csv.DictReader(fh):
                n = seen.get(row["label"], 0)
                seen[row["label"]] = n + 1
                if n < PER_LABEL:
                    rows.append(row)
                elif row["label"] == "propaganda" and len(extra) < ATTACK_ROWS:
                    extra.append(row["text"])
        path = out / f"{name}.csv"
        with path.open("w", encoding="utf-8", newline="") as fh:
            writer = csv.DictWriter(fh, fieldnames=["text", "label", "source", "lang"])
            writer.writeheader()
            writer.writerows(rows)
        paths.append(path)
    return paths, extra


def show(name: str, result: object, models: Path, probe: list[str]) -> None:
    report = result.report  # type: ignore[attr-defined]
    print(f"\n== {name}: {report['decision']}  (flagged {report['labels']['flagged_now']}, "
          f"trained on {report['labels']['trained_on']}, held back "
          f"{report['labels']['held_back']})")
    print(f"   {'check':<48} {'current':>8} {'candidate':>9} {'allowed':>8}  ok")
    for c in report["gate"]["checks"]:
        if c["delta"] is None or (c["metric"].startswith("review_rate[") and c["ok"]
                                  and abs(c["delta"]) < 0.02):
            continue  # per-source groups that barely moved
        print(f"   {c['metric']:<48} {c['current']!s:>8} {c['candidate']!s:>9} "
              f"{c['tolerance']!s:>8}  {'yes' if c['ok'] else 'NO'}")
    held = report["label_report"]
    if held and held["current"]:
        cur, new = held["current"]["review"], held["candidate"]["review"]
        print(f"   held-back labels ({held['rows']}, not gated): review fpr_other "
              f"{cur['fpr_other']} -> {new['fpr_other']}, recall {cur['recall']} -> "
              f"{new['recall']}")
    current = load_model(models / "propaganda" / "v1")
    candidate = load_model(result.path)  # type: ignore[attr-defined]
    mean = [sum(m.score(probe)) / len(probe) for m in (current, candidate)]
    print(f"   mean score on 100 attack texts: current {mean[0]:.3f}, "
          f"candidate {mean[1]:.3f}")


def main() -> int:
    shared = Path(os.environ.get("MODERATOR_SHARED_DATA") or REPO.parent / "shared" / "data")
    if not (shared / "README.md").is_file():
        print(f"shared labelled data not found at {shared}", file=sys.stderr)
        return 2
    with tempfile.TemporaryDirectory(prefix="label-attack-") as tmp:
        folder = Path(tmp)
        paths, texts = sample(shared, folder)
        models = folder / "models"
        train_and_save(sorted(paths), models / "propaganda" / "v1", PARAMS)
        promote(models, "propaganda", "v1")
        runs = (("attack", "other", False), ("attack-checked", "other", True),
                ("honest", "propaganda", True))
        for name, label, check in runs:
            labels = [LabelRow(t, label, "moderator_api", "en", i + 1, "active", "one-key")
                      for i, t in enumerate(texts)]
            result = retrain(paths, labels, models, params=PARAMS, version=name,
                             auto_promote=False, check_labels=check)
            show(name, result, models, texts[:100])
    return 0


if __name__ == "__main__":
    sys.exit(main())
