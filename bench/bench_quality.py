"""Side by side, one run, same splits: the plain baseline against the shipped recipe.

    .venv/bin/python bench/bench_quality.py [--data ../shared/data] [--quick] [--json OUT]

* **baseline**: scikit-learn's own pipeline, exactly as issue #12 defines it
  (HashingVectorizer word 1-2 grams + char_wb 2-5 grams, 2**20 columns each, sublinear
  TfidfTransformer per block, LogisticRegression(C=4, class_weight="balanced")).
* **shipped**: `moderator.classifier.train` (the same features hashed with numpy, the
  model stored as data) as `moderator train` builds it; **served** is that model as the
  rule engine calls it (the higher of the typed and the normalised reading).
* **NB ratio**: the shipped recipe with every column scaled by its naive-Bayes log-count
  ratio before the regression (NB-LR), tried and kept out (`--ablations`).
* **source-balanced**: the shipped recipe with every (source, label) weighted equally,
  a refinement tried and kept out (`--ablations`).
* **concepts**: the shipped recipe with shared concept tokens from the incitement
  lexicons (`Params(concepts=True)`, a documented option; `--ablations`). Its concept
  tokens are counted apart and added to the same n-gram counts.

Printed: random-split ROC-AUC, PR-AUC and recall at the thresholds that flag 0.1%, 0.2%
and 0.5% of validation negatives, overall and per language; then leave-one-source-out:
each source left out of training in turn, the threshold fixed by the shipping rule
(0.2% of the training sources' validation negatives, each source weighted equally),
recall on its propaganda and the share of its `discusses` and `other` flagged.
`--quick` leaves out only the propaganda sources and those with 1,000+ `discusses`.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from moderator.classifier.data import load_csvs  # noqa: E402
from moderator.classifier.sidebyside import print_tables, side_by_side  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--data", type=Path, default=ROOT.parent / "shared" / "data")
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--no-loso", action="store_true")
    parser.add_argument("--ablations", action="store_true")
    parser.add_argument("--salts", type=int, default=0,
                        help="also train the shipped recipe with N other hash salts (random "
                             "split only): how much the hash function alone moves the numbers")
    parser.add_argument("--json", type=Path)
    args = parser.parse_args()

    def say(msg: str) -> None:
        print(msg, file=sys.stderr, flush=True)

    data = load_csvs(sorted(args.data.glob("*.csv")))
    results = side_by_side(data, quick=args.quick, ablations=args.ablations,
                           salts=args.salts, with_loso=not args.no_loso, say=say)
    print_tables(results)
    if args.json:
        args.json.write_text(json.dumps(results, indent=2) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
