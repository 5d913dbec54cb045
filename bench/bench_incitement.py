"""The incitement rules: catch and hold per language, and what they add to a policy check.

1. Catch/hold on the team-written evaluation set (tests/fixtures/incitement_eval), through
   the whole default policy: the share of calls with an `incitement.*` finding, and of
   everyday comments with one.
2. Cost: the whole policy check (`run_policy`, default policy, no model) of 1,500-character
   comments with and without the `[incitement]` rule, timed alternately in the same run
   (each check on a fresh copy of the text, and each policy first in every other round);
   the fastest of N runs per comment (load on the machine cannot inflate it), averaged
   over 20 comments, per language, beside the policy without the rule timed against
   itself the same way (what the bench cannot resolve). Two kinds of comment: everyday
   text (the shared data's `discusses`/`other` rows of that language joined to 1,500
   characters, or the set's everyday rows where the data is absent) and a call padded to
   1,500 characters. The cost moves by up to a factor of two from one process to the next
   on the same code, so it is timed in --processes fresh processes (default 5, one after
   the other) and the median is printed with the lowest and highest.
3. With --shared: how many `discusses`/`other` rows of the shared data the rule flags
   (and how many `propaganda` rows), per source: the matcher alone on the normalised
   text, so the 200k rows take about a minute. Rows are read
   from ../shared/data (or $MODERATOR_SHARED_DATA) and never copied.

    .venv/bin/python bench/bench_incitement.py [--rounds 40] [--processes 5] [--shared]
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import statistics
import subprocess
import sys
import time
from collections import Counter
from dataclasses import replace
from pathlib import Path

from moderator.policy import load_policy, run_policy
from moderator.policy.model import Policy
from moderator.text import normalize
from moderator.types import Comment

REPO = Path(__file__).resolve().parents[1]
EVAL = REPO / "tests" / "fixtures" / "incitement_eval"
LANGS = ("en", "ru", "kk")
LENGTH = 1500


def shared_dir() -> Path:
    configured = os.environ.get("MODERATOR_SHARED_DATA")
    return Path(configured) if configured else REPO.parent / "shared" / "data"


def eval_rows(lang: str) -> list[tuple[str, str]]:
    out = []
    for line in (EVAL / f"{lang}.tsv").read_text(encoding="utf-8").splitlines():
        if line.strip() and not line.startswith("#"):
            label, _, _, text = line.split("\t")
            out.append((label, text))
    return out


def check(policy: Policy, text: str) -> list[str]:
    verdict = run_policy(Comment({"comment": text, "name": "A", "email": "a@example.com"}),
                         policy)
    return [f.code for f in verdict.findings if f.code.startswith("incitement.")]


def shared_rows(lang: str | None = None, labels: tuple[str, ...] = ("discusses", "other")):
    folder = shared_dir()
    for path in sorted(folder.glob("*.csv")):
        with path.open(encoding="utf-8", newline="") as fh:
            for row in csv.DictReader(fh):
                if row["label"] in labels and (lang is None or row["lang"] == lang):
                    yield row


def filled(pieces: list[str], start: int) -> str:
    """Pieces from `start` on, joined until the comment is LENGTH characters long."""
    out: list[str] = []
    size = 0
    i = start
    while size < LENGTH:
        piece = pieces[i % len(pieces)]
        out.append(piece)
        size += len(piece) + 1
        i += 1
    return " ".join(out)[:LENGTH]


def everyday_pieces(lang: str) -> tuple[list[str], str]:
    if (shared_dir() / "README.md").is_file():
        pieces = []
        for row in shared_rows(lang):
            if 40 <= len(row["text"]) <= 600:
                pieces.append(row["text"])
            if len(pieces) >= 4000:
                break
        if pieces:
            return pieces[::7] or pieces, "shared data"
    return [t for label, t in eval_rows(lang) if label == "benign"], "eval set"


def once(policy: Policy, text: str) -> float:
    """One check of a fresh copy of `text`: every comment a site sends is a new string, and
    a string keeps what was computed from it (its hash, its UTF-8 form), so checking the
    same object twice makes the second check look cheaper than any real one."""
    fresh = text[:1] + text[1:]
    start = time.perf_counter()
    check(policy, fresh)
    return time.perf_counter() - start


def cost(first: Policy, second: Policy, comments: list[str], rounds: int) -> tuple:
    """Per comment, the fastest of `rounds` checks with each policy; the mean over comments,
    in ms. The two alternate, so load on the machine hits both alike, and which goes first
    alternates too: the second of two checks of one text finds the caches warmer (the
    policy without the rule against itself, always first against always second, differed
    by 0.021-0.028 ms a Russian comment before both changes)."""
    for text in comments[:20]:  # warm caches and the lexicon
        check(first, text)
        check(second, text)
    firsts = [float("inf")] * len(comments)
    seconds = [float("inf")] * len(comments)
    for turn in range(rounds):
        for k, text in enumerate(comments):
            if turn % 2:
                seconds[k] = min(seconds[k], once(second, text))
                firsts[k] = min(firsts[k], once(first, text))
            else:
                firsts[k] = min(firsts[k], once(first, text))
                seconds[k] = min(seconds[k], once(second, text))
    return statistics.mean(firsts) * 1e3, statistics.mean(seconds) * 1e3


#: The rows of the cost table: (language, kind of comment).
KINDS = ("everyday", "call", "same policy twice")


def costs(policy: Policy, without: Policy, rounds: int) -> dict[str, dict[str, list]]:
    """{lang: {kind: [with, without]}} in ms, one process: see `cost`. "same policy twice"
    is the policy without the rule against itself (what the bench cannot resolve)."""
    out: dict[str, dict[str, list]] = {}
    for lang in LANGS:
        pieces, _ = everyday_pieces(lang)
        everyday = [filled(pieces, i * 3) for i in range(20)]
        calls = [t for label, t in eval_rows(lang) if label != "benign"]
        padded = [(c + " " + filled(pieces, i))[:LENGTH] for i, c in enumerate(calls[:20])]
        out[lang] = {
            "everyday": list(cost(policy, without, everyday, rounds)),
            "call": list(cost(policy, without, padded, rounds)),
            "same policy twice": list(cost(without, replace(without), padded, rounds)),
        }
    return out


def costs_in_processes(processes: int, rounds: int) -> list[dict[str, dict[str, list]]]:
    """`costs` in `processes` fresh interpreters, one after the other: the added cost moves
    by up to a factor of two from one process to the next on the same code (where the
    allocator puts the lexicon and the automaton), so one process says little."""
    runs = []
    for _ in range(processes):
        done = subprocess.run([sys.executable, __file__, "--rounds", str(rounds), "--cost-json"],
                              check=True, capture_output=True, text=True)
        runs.append(json.loads(done.stdout))
    return runs


def print_costs(runs: list[dict[str, dict[str, list]]], rounds: int) -> None:
    print(f"\nadded cost per {LENGTH}-character comment: the whole policy check with minus "
          f"without [incitement], fastest of {rounds} runs per comment, mean over 20 "
          f"comments; median of {len(runs)} processes [lowest, highest] (target <= 0.1 ms)")
    for lang in LANGS:
        labels = {"everyday": f"everyday ({everyday_pieces(lang)[1]})",
                  "call": "a call + padding", "same policy twice": "same policy twice"}
        for kind in KINDS:
            pairs = [run[lang][kind] for run in runs]
            added = sorted(a - b for a, b in pairs)
            first = statistics.median(a for a, _ in pairs)
            second = statistics.median(b for _, b in pairs)
            names = ("first", "second", "difference") if kind == "same policy twice" else (
                "with", "without", "added")
            print(f"  {lang} {labels[kind]:26s} {names[0]} {first:.3f} ms, {names[1]} "
                  f"{second:.3f} ms, {names[2]} {statistics.median(added):+.3f} ms "
                  f"[{added[0]:+.3f}, {added[-1]:+.3f}]")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=40)
    parser.add_argument("--processes", type=int, default=5,
                        help="time the cost in this many fresh processes (median printed)")
    parser.add_argument("--shared", action="store_true", help="count hits on the shared data")
    parser.add_argument("--cost-json", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    policy = load_policy(REPO / "rules" / "policies" / "default.toml")
    without = replace(policy, incitement=None)
    if args.cost_json:  # one process of `costs_in_processes`
        print(json.dumps(costs(policy, without, args.rounds)))
        return

    print("catch / hold on the team-written evaluation set (whole default policy)")
    for lang in LANGS:
        rows = eval_rows(lang)
        calls = [t for label, t in rows if label != "benign"]
        benign = [t for label, t in rows if label == "benign"]
        caught = sum(bool(check(policy, t)) for t in calls)
        held = sum(bool(check(policy, t)) for t in benign)
        print(f"  {lang}: caught {caught}/{len(calls)} = {caught / len(calls):.1%} "
              f"(target >= 90%), held {held}/{len(benign)} = {held / len(benign):.1%} "
              f"(target <= 5%)")

    if args.processes > 1:
        runs = costs_in_processes(args.processes, args.rounds)
    else:
        runs = [costs(policy, without, args.rounds)]
    print_costs(runs, args.rounds)

    if args.shared:
        if not (shared_dir() / "README.md").is_file():
            print("\nshared data not found: set MODERATOR_SHARED_DATA")
            return
        print("\nshared data: rows with an incitement hit (the rule alone, on normalised text)")
        assert policy.incitement is not None
        matcher = policy.incitement.matcher
        hits: Counter[tuple[str, str]] = Counter()
        totals: Counter[tuple[str, str]] = Counter()
        for row in shared_rows(labels=("discusses", "other", "propaganda")):
            key = (row["label"], row["source"])
            totals[key] += 1
            if matcher.find(normalize(row["text"][:LENGTH]).text):
                hits[key] += 1
        for label in ("discusses", "other", "propaganda"):
            total = sum(n for (lab, _), n in totals.items() if lab == label)
            flagged = sum(n for (lab, _), n in hits.items() if lab == label)
            print(f"  {label}: {flagged} of {total} rows")
            for (lab, source), n in sorted(hits.items()):
                if lab == label:
                    print(f"    {source}: {n} of {totals[(lab, source)]}")


if __name__ == "__main__":
    main()
