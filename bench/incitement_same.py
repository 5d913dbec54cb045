"""Do two revisions of the incitement matcher find exactly the same hits?

A speed change to `moderator/policy/incitement.py` must not move a single finding. This
bench runs the matcher of this tree and of git revision REV (say `main`, its `moderator`
package in a subprocess, with this tree's `rules/`) over the same texts and compares
every hit (code, language, start, end, trigger, partner):

* every row of the team-written set (tests/fixtures/incitement_eval), alone and padded to
  1,500 characters as bench_incitement.py pads it;
* each row obfuscated by both obfuscation generators (bench_obfuscation.py's techniques
  and obfuscation_second.py's), seeded;
* with --shared, every row of the shared data, cut to 1,500 characters as
  bench_incitement.py cuts it (read at run time, never copied; only hits are compared).

    .venv/bin/python bench/incitement_same.py [--baseline main [--own-rules]] [--shared]

With --own-rules the revision reads its own `rules/` too, and the differences (a change
to the rules means to move some) are printed as hits, never as text.

Without --baseline it prints how many texts and hits this tree has (and a digest).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import random
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path

import bench_incitement as bi
import obfuscation_second
from bench_obfuscation import TECHNIQUES

from moderator.policy.incitement import IncitementMatcher
from moderator.policy.incitement_lexicon import load_lexicon
from moderator.text import normalize

REPO = Path(__file__).resolve().parents[1]


def texts(shared: bool, seed: int) -> Iterator[str]:
    rng = random.Random(f"incitement-same-{seed}")
    for lang in bi.LANGS:
        rows = [text for _, text in bi.eval_rows(lang)]
        benign = [text for label, text in bi.eval_rows(lang) if label == "benign"]
        for i, text in enumerate(rows):
            yield text
            yield (text + " " + bi.filled(benign, i))[:bi.LENGTH]
            yield (bi.filled(benign, i) + " " + text)[-bi.LENGTH:]
            for fn in (*TECHNIQUES.values(), *obfuscation_second.TECHNIQUES.values()):
                yield fn(text, rng)
    if shared:
        for row in bi.shared_rows(labels=("discusses", "other", "propaganda")):
            yield row["text"][:bi.LENGTH]


def hits(shared: bool, seed: int, rules: Path = REPO / "rules") -> list[list[list[object]]]:
    matcher = IncitementMatcher([load_lexicon(rules / "incitement" / lang, lang)
                                 for lang in bi.LANGS])
    return [[[h.code, h.lang, h.start, h.end, h.trigger, h.partner]
             for h in matcher.find(normalize(text).text)] for text in texts(shared, seed)]


def baseline(rev: str, argv: list[str], own_rules: bool) -> list[list[list[object]]]:
    """Revision `rev`'s `moderator` package (and with `own_rules` its `rules/`) runs this
    same script in a subprocess."""
    with tempfile.TemporaryDirectory() as tmp:
        parts = ["moderator", *(["rules"] if own_rules else [])]
        archive = subprocess.run(["git", "-C", str(REPO), "archive", rev, *parts],
                                 check=True, capture_output=True).stdout
        subprocess.run(["tar", "-x", "-C", tmp], input=archive, check=True)
        out = Path(tmp) / "hits.json"
        env = {**os.environ, "PYTHONPATH": tmp}
        rules = ["--rules", str(Path(tmp) / "rules")] if own_rules else []
        subprocess.run([sys.executable, __file__, *argv, *rules, "--json", str(out)], env=env,
                       check=True)
        return json.loads(out.read_text(encoding="utf-8"))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--baseline", metavar="REV", help="compare with git revision REV")
    parser.add_argument("--shared", action="store_true", help="also every shared-data row")
    parser.add_argument("--seed", type=int, default=4)
    parser.add_argument("--own-rules", action="store_true",
                        help="REV reads its own rules/ (for a change to the rules, which is "
                             "meant to move hits: the differences are printed)")
    parser.add_argument("--json", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--rules", type=Path, default=REPO / "rules", help=argparse.SUPPRESS)
    args = parser.parse_args()
    argv = [f"--seed={args.seed}", *(["--shared"] if args.shared else [])]
    mine = hits(args.shared, args.seed, args.rules)
    if args.json:
        args.json.write_text(json.dumps(mine), encoding="utf-8")
        return
    digest = hashlib.sha256(json.dumps(mine).encode()).hexdigest()[:16]
    print(f"this tree: {len(mine)} texts, {sum(map(len, mine))} hits in "
          f"{sum(bool(h) for h in mine)} texts, digest {digest}")
    if args.baseline:
        theirs = baseline(args.baseline, argv, args.own_rules)
        differ = [i for i, (a, b) in enumerate(zip(mine, theirs, strict=True)) if a != b]
        print(f"{args.baseline}: {sum(map(len, theirs))} hits in {sum(bool(h) for h in theirs)}"
              f" texts; texts whose hits differ: {len(differ)}")
        for i in differ[:40]:  # hits only (code, language, span, words), never the text
            print(f"  text {i}: {args.baseline} {theirs[i]} -> this tree {mine[i]}")
        if differ and not args.own_rules:
            sys.exit(1)


if __name__ == "__main__":
    main()
