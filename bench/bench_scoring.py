"""Scoring latency and throughput of the propaganda model against alt-profanity-check.

Both scorers see the same texts in the same run, so the printed ratios are fair on a
shared, noisy machine. Run:

    .venv/bin/python bench/bench_scoring.py [--model models/propaganda/<version>]

Needs the `bench` extra (alt-profanity-check). Texts are generated here: no data rows.
"""

from __future__ import annotations

import argparse
import gc
import random
import statistics
import time
from collections.abc import Callable, Sequence
from pathlib import Path

from moderator.classifier import load_model, resolve_current

_PROSE = (
    "the minister said on tuesday that security forces had arrested several people after "
    "the attack readers argued about religion history and the war while others asked why "
    "the city council had not answered questions about the new road and the school budget "
    "police officials reported that the investigation would continue next week"
)
WORDS = _PROSE.split()


def comment(length: int, rng: random.Random) -> str:
    """A plausible comment of exactly `length` characters (words, commas, full stops)."""
    out: list[str] = []
    size = 0
    while size < length:
        word = rng.choice(WORDS)
        if rng.random() < 0.08:
            word += rng.choice([",", "."])
        out.append(word)
        size += len(word) + 1
    return " ".join(out)[:length]


def latencies(fn: Callable[[list[str]], object], texts: Sequence[str]) -> list[float]:
    """Seconds per single-text call, one call per text."""
    fn([texts[0]])  # warm-up
    out = []
    gc.disable()
    try:
        for text in texts:
            start = time.perf_counter()
            fn([text])
            out.append(time.perf_counter() - start)
    finally:
        gc.enable()
    return out


def throughput(fn: Callable[[list[str]], object], texts: list[str], batch: int) -> float:
    """Texts per second when scored in batches of `batch`."""
    start = time.perf_counter()
    for i in range(0, len(texts), batch):
        fn(texts[i : i + batch])
    return len(texts) / (time.perf_counter() - start)


PROFANITY_SCRIPT = """
import json, sys
from profanity_check import predict_prob
texts = [json.loads(line)["text"] for line in sys.stdin]
for i in range(0, len(texts), 256):
    for p in predict_prob(texts[i:i + 256]):
        sys.stdout.write(json.dumps({"score": round(float(p), 6)}) + "\\n")
"""


def whole_process(texts: list[str], model: Path | None) -> dict[str, float]:
    """Seconds for a whole process to score `texts` read as JSON lines on stdin: the
    `moderator score` command against a script around predict_prob, batches of 256."""
    import json
    import subprocess
    import sys

    lines = "".join(json.dumps({"text": t}) + "\n" for t in texts).encode()
    moderator = [str(Path(sys.executable).with_name("moderator")), "score",
                 "--batch-size", "256"] + (["--model", str(model)] if model else [])
    commands = {"moderator": moderator,
                "profanity_check": [sys.executable, "-c", PROFANITY_SCRIPT]}
    out: dict[str, float] = {}
    for _ in range(2):
        for name, command in commands.items():
            start = time.perf_counter()
            done = subprocess.run(command, input=lines, capture_output=True, check=True)
            elapsed = time.perf_counter() - start
            assert done.stdout.count(b"\n") == len(texts), name
            out[name] = min(out.get(name, 1e9), elapsed)
    return out


def p99(values: Sequence[float]) -> float:
    return sorted(values)[min(len(values) - 1, int(0.99 * len(values)))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--model", type=Path, default=None)
    parser.add_argument("--n", type=int, default=500, help="single-comment calls per scorer")
    parser.add_argument("--batch", type=int, default=256)
    parser.add_argument("--batch-texts", type=int, default=4000)
    args = parser.parse_args()

    from profanity_check import predict_prob  # the bench extra

    model = load_model(args.model or resolve_current(Path("models")))
    rng = random.Random(0)
    single = [comment(1500, rng) for _ in range(args.n)]
    mixed = [comment(rng.randint(20, 1500), rng) for _ in range(args.batch_texts)]
    scorers: dict[str, Callable[[list[str]], object]] = {
        "moderator": model.score,
        "profanity_check": predict_prob,
    }
    results: dict[str, dict[str, float]] = {name: {} for name in scorers}
    # Interleave the scorers in rounds so drift in machine load hits both alike.
    for round_ in range(2):
        for name, fn in scorers.items():
            lat = latencies(fn, single)
            r = results[name]
            r["median_ms"] = min(r.get("median_ms", 1e9), 1e3 * statistics.median(lat))
            r["p99_ms"] = min(r.get("p99_ms", 1e9), 1e3 * p99(lat))
            r["batch_per_s"] = max(r.get("batch_per_s", 0.0), throughput(fn, mixed, args.batch))
        print(f"round {round_ + 1} done")
    print(f"model {model.version}; {args.n} single calls on 1500-char comments; "
          f"{args.batch_texts} comments of 20-1500 chars in batches of {args.batch}")
    print(f"{'':18}{'median ms':>12}{'p99 ms':>12}{'batch /s':>12}")
    for name, r in results.items():
        print(f"{name:18}{r['median_ms']:12.3f}{r['p99_ms']:12.3f}{r['batch_per_s']:12.0f}")
    ours, base = results["moderator"], results["profanity_check"]
    process = whole_process([comment(1500, rng) for _ in range(3000)], args.model)
    print(f"whole process, 3000 comments of 1500 chars as JSON lines, batches of 256: "
          f"moderator score {process['moderator']:.2f} s, predict_prob script "
          f"{process['profanity_check']:.2f} s")
    print("speed-up vs profanity_check (>1 means moderator is faster):")
    print(f"  median latency {base['median_ms'] / ours['median_ms']:.2f}x   "
          f"p99 latency {base['p99_ms'] / ours['p99_ms']:.2f}x   "
          f"batch throughput {ours['batch_per_s'] / base['batch_per_s']:.2f}x   "
          f"whole process {process['profanity_check'] / process['moderator']:.2f}x")


if __name__ == "__main__":
    main()
