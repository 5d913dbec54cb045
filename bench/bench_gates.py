"""What each exact gate saves: its step's time with the gate and without (`ungated()`).

On the comments bench_load.py sends (real reader comments and tweets from ../shared/data),
each step runs over all of them gated, then ungated, in turns (`--turns`, best kept), so
both sides see the same machine. Steps: the link count (`check_links`), the digit pattern
(`check_patterns`, normalised text made beforehand), language detection, and the
normaliser (whose letter-joining scan has the stricter precondition).

    .venv/bin/python bench/bench_gates.py [--comments 500] [--turns 5]
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections.abc import Callable
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "bench"))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--comments", type=int, default=500)
    parser.add_argument("--turns", type=int, default=5)
    args = parser.parse_args()
    from bench_load import DATA, MARK, SOURCES, sample_bodies

    if not (DATA / SOURCES[0]).is_file():
        print(f"labelled data not found at {DATA}", file=sys.stderr)
        return 2
    from moderator import gates
    from moderator.paths import DEFAULT_POLICY_DIR
    from moderator.policy import PolicySet
    from moderator.policy.engine import CheckContext, check_links, check_patterns
    from moderator.text import normalize_uncached
    from moderator.types import Comment

    policy = PolicySet.from_path(DEFAULT_POLICY_DIR).get("default")
    comments = [Comment({k: v.replace(MARK, str(i)) for k, v in json.loads(b)["fields"].items()})
                for i, b in enumerate(sample_bodies(args.comments, 20261125))]
    texts = [c.fields["comment"] for c in comments]
    prepared = []
    for comment in comments:
        ctx = CheckContext(comment, policy)
        ctx.normalized("comment")
        prepared.append(ctx)

    def links() -> None:
        for comment in comments:
            check_links(CheckContext(comment, policy))

    def patterns() -> None:
        for ctx in prepared:
            ctx._regex_deadline = None
            check_patterns(ctx)

    def detect() -> None:
        for text in texts:
            gates.detect_language(text)

    def normalise() -> None:
        for text in texts:
            normalize_uncached(text)

    steps: dict[str, Callable[[], None]] = {"links": links, "digit pattern": patterns,
                                            "language": detect, "normaliser": normalise}
    print(f"{len(texts)} comments, best of {args.turns} turns each side; µs per comment")
    print(f"{'step':<15} {'gated':>9} {'ungated':>9} {'ratio':>7}")
    for name, step in steps.items():
        best = {"gated": float("inf"), "ungated": float("inf")}
        for _ in range(args.turns):
            for side in best:
                started = time.perf_counter()
                if side == "gated":
                    step()
                else:
                    with gates.ungated():
                        step()
                best[side] = min(best[side], time.perf_counter() - started)
        gated, ungated = (best[s] / len(texts) * 1e6 for s in ("gated", "ungated"))
        print(f"{name:<15} {gated:>9.1f} {ungated:>9.1f} {gated / ungated:>7.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
