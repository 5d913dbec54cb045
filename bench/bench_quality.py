"""Side by side, one run, same splits: the plain baseline against the shipped recipe.

    .venv/bin/python bench/bench_quality.py [--data ../shared/data] [--quick] [--ablations]
        [--only NAME ...] [--salts N] [--no-loso] [--json OUT]

What each recipe is and what is printed: `moderator/classifier/sidebyside.py`, which this
script runs (as does `moderator evaluate --baseline`).
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from moderator.classifier.data import load_csvs  # noqa: E402
from moderator.classifier.sidebyside import (  # noqa: E402
    ABLATIONS,
    print_tables,
    side_by_side,
)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--data", type=Path, default=ROOT.parent / "shared" / "data")
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--no-loso", action="store_true")
    parser.add_argument("--ablations", action="store_true")
    parser.add_argument("--only", nargs="+", choices=ABLATIONS, metavar="NAME",
                        help="train only these ablation rows beside baseline and shipped "
                             f"(implies --ablations; one of {', '.join(ABLATIONS)})")
    parser.add_argument("--salts", type=int, default=0,
                        help="also train the shipped recipe with N other hash salts (random "
                             "split only): how much the hash function alone moves the numbers")
    parser.add_argument("--json", type=Path)
    args = parser.parse_args()

    def say(msg: str) -> None:
        print(msg, file=sys.stderr, flush=True)

    data = load_csvs(sorted(args.data.glob("*.csv")))
    results = side_by_side(data, quick=args.quick, ablations=args.ablations,
                           salts=args.salts, with_loso=not args.no_loso, only=args.only,
                           say=say)
    print_tables(results)
    if args.json:
        args.json.write_text(json.dumps(results, indent=2) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
